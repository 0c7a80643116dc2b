/**
 * The article's five commands, typed verbatim into a terminal (a tmux
 * session) from the repository root, as a reader would: format the storage
 * with the shipped config/kraft/server.properties, start the server, create
 * the topic, type two orders at the producer's ">" prompt, and watch the
 * consumer print them until Ctrl-C.
 *
 * It uses the ports and data directory of the shipped config (localhost:9092
 * and 9093, /tmp/kraft-combined-logs), so it fails with a clear message when
 * something else holds those ports.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { rmSync } from 'node:fs';
import { repoRoot } from './cli-support.js';

const session = `samsa-article-${process.pid}`;
const dataDir = '/tmp/kraft-combined-logs';
const tmuxEnv = { ...process.env, TERM: 'xterm-256color' };

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { env: tmuxEnv, encoding: 'utf8' });
}

function type(window: string, line: string): void {
  tmux('send-keys', '-t', `${session}:${window}`, '-l', line);
  tmux('send-keys', '-t', `${session}:${window}`, 'Enter');
}

function screen(window: string): string {
  return tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', `${session}:${window}`);
}

/** Polls the window's screen until `predicate` holds; fails with the screen after timeoutMs. */
async function waitForScreen(window: string, predicate: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screen(window);
    if (predicate(text)) return text;
    if (Date.now() > deadline) assert.fail(`window ${window} never showed what was expected:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

before(async () => {
  assert.equal(spawnSync('tmux', ['-V']).status, 0, 'tmux is needed for this test (apt-get install tmux)');
  for (const port of [9092, 9093]) {
    assert.equal(await portInUse(port), false, `port ${port} is taken; the article's commands need it free`);
  }
  rmSync(dataDir, { recursive: true, force: true });
  tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', '-c', repoRoot, '-n', 'storage');
  for (const name of ['server', 'topics', 'producer', 'consumer']) tmux('new-window', '-d', '-t', session, '-n', name, '-c', repoRoot);
});

after(async () => {
  try {
    // Ctrl-C the server the way a reader would, then wait for its shell prompt's exit line.
    tmux('send-keys', '-t', `${session}:server`, 'C-c');
    await waitForScreen('server', (s) => /shut down cleanly/.test(s), 15_000);
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session], { env: tmuxEnv });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("the article's five commands, typed into a terminal, show the two orders", async () => {
  type('storage', 'bin/kafka-storage.sh format -t test-cluster -c config/kraft/server.properties');
  await waitForScreen('storage', (s) => /Formatting metadata directory \/tmp\/kraft-combined-logs/.test(s));

  type('server', 'bin/kafka-server-start.sh config/kraft/server.properties');
  await waitForScreen('server', (s) => /listening on PLAINTEXT:\/\/localhost:9092/.test(s));

  type('topics', 'bin/kafka-topics.sh --create --topic orders --bootstrap-server localhost:9092');
  await waitForScreen('topics', (s) => /Created topic orders\./.test(s));

  type('producer', 'bin/kafka-console-producer.sh --topic orders --bootstrap-server localhost:9092');
  await waitForScreen('producer', (s) => /^>\s*$/m.test(s));
  type('producer', '{"order_id": 1, "amount": 500}');
  await waitForScreen('producer', (s) => /^>\s*\{"order_id": 1, "amount": 500\}\n>/m.test(s));
  type('producer', '{"order_id": 2, "amount": 650}');
  await waitForScreen('producer', (s) => /^>\s*\{"order_id": 2, "amount": 650\}\n>/m.test(s));
  tmux('send-keys', '-t', `${session}:producer`, 'C-d');

  type('consumer', 'bin/kafka-console-consumer.sh --topic orders --from-beginning --bootstrap-server localhost:9092');
  await waitForScreen('consumer', (s) => s.includes('{"order_id": 1, "amount": 500}\n{"order_id": 2, "amount": 650}'));
  tmux('send-keys', '-t', `${session}:consumer`, 'C-c');
  const consumed = await waitForScreen('consumer', (s) => /Processed a total of 2 messages/.test(s));
  // The terminal echoes the Ctrl-C as ^C in front of the consumer's last line.
  assert.match(consumed, /\{"order_id": 1, "amount": 500\}\n\{"order_id": 2, "amount": 650\}\n(\^C)?Processed a total of 2 messages/);
});
