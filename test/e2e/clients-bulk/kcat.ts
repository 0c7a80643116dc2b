/**
 * kcat (librdkafka's CLI, /usr/bin/kcat) for clients-bulk.test.ts, run as a
 * child process (asynchronously: the broker runs on this event loop). kcat
 * cannot create topics, so Samsa's own Admin client does; kcat produces
 * `key:value` lines from stdin with `-K: -z <codec>` (its default
 * partitioner, librdkafka's consistent_random) and reads everything back with
 * `-C -e`.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { Admin } from '../../../src/client/index.js';
import { PARTITIONS, RECORDS, TOPIC_CONFIGS, type Codec, type InRecord } from './support.js';

export const KCAT = '/usr/bin/kcat';

/** Fails the test with a clear message when kcat is not there. */
export function checkKcat(): void {
  try {
    accessSync(KCAT, constants.X_OK);
  } catch {
    throw new Error(`kcat is not installed at ${KCAT} (apt-get install kcat, as .ci/run does)`);
  }
}

/** Runs kcat to completion; rejects with its stderr on a non-zero exit or on an error line. */
function kcat(args: readonly string[], input: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} timed out after ${timeoutMs} ms; stderr: ${err.slice(-500)}`));
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const errors = err.split('\n').filter((l) => /ERROR|FAIL|fatal/i.test(l));
      if (code === 0 && errors.length === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${(errors.length > 0 ? errors : err.trim().split('\n')).slice(0, 3).join(' | ')}`));
    });
    child.stdin.end(input);
  });
}

export async function kcatRoundTrip(bootstrap: string, topic: string, codec: Codec): Promise<InRecord[]> {
  checkKcat();
  const admin = new Admin({ bootstrapServers: bootstrap, clientId: 'bulk-kcat-setup' });
  try {
    await admin.createTopics([{ name: topic, numPartitions: PARTITIONS, configs: { ...TOPIC_CONFIGS } }]);
  } finally {
    await admin.close();
  }

  const input = RECORDS.map((r) => `${r.key}:${r.value}\n`).join('');
  await kcat(['-b', bootstrap, '-P', '-t', topic, '-K:', '-z', codec, '-X', 'linger.ms=10'], input, 30_000);

  const out = await kcat(['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\\t%o\\t%k\\t%s\\n'], '', 30_000);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [partition, offset, key, value] = line.split('\t');
      return { partition: Number(partition), offset: Number(offset), key: key ?? null, value: value ?? null };
    });
}
