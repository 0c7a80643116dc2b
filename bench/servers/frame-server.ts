/**
 * The ceiling servers: the least work a broker could do for each request, run
 * as a child process so that it gets its own event loop like a real broker.
 *
 *   sink    read size-prefixed frames and count them; never answer
 *   append  append every whole frame to a file (one writev per group of frames
 *           that arrived while the previous write ran, no fsync), then answer
 *           each with 8 bytes: size 4 + the request's correlation id
 *   fsync   as append, plus one fdatasync per group before answering
 *           (group commit: frames that arrive during an fdatasync wait for the next)
 *
 * Usage (forked with an IPC channel):
 *   node frame-server.js <sink|append|fsync> <dir> <lifetimeMs>
 * Sends {type:'listening', port} once bound to 127.0.0.1 on an ephemeral port;
 * on {type:'stop'} replies {type:'stats', ...} and exits. Exits by itself when
 * the parent goes away or the lifetime passes.
 */
import { createServer, type Socket } from 'node:net';
import { closeSync, fdatasync, openSync, writev } from 'node:fs';
import { join } from 'node:path';
import { FrameSplitter, readUInt32InParts } from '../load/frame-splitter.js';

export type FrameServerMode = 'sink' | 'append' | 'fsync';

export interface FrameServerStats {
  type: 'stats';
  frames: number;
  bytes: number;
  /** File writes (one writev each) and fdatasync calls. */
  writes: number;
  syncs: number;
  /** Largest number of frames committed by a single write. */
  groupFramesMax: number;
}

export type FrameServerMessage = { type: 'listening'; port: number } | FrameServerStats;

/** Requests larger than this close the connection (Kafka's socket.request.max.bytes default). */
const frameBytesMax = 100 * 1024 * 1024;
/**
 * Start a new file after this many bytes. Old files are kept until the
 * suite's directory is removed, as the broker keeps its segments: deleting
 * them let the ceiling write into page-cache pages it had just freed while
 * the broker had to take new ones. On a VM whose memory the host backs on
 * first touch (this machine's kind) that alone moved the ceiling from
 * 0.8-1.8 to 1.9-2.3 GB/s in the broker.produce workload (a plain 64 KiB
 * writeSync loop: 0.5 GB/s into new pages, 3.2 GB/s into just-freed ones).
 */
const segmentBytesMax = 256 * 1024 * 1024;
/** Kafka request header: api key 2, api version 2, correlation id 4, after the size prefix. */
const requestCorrelationIdAt = 8;

interface PendingFrame {
  socket: Socket;
  parts: Buffer[];
  frameBytes: number;
  correlationId: number;
}

function main(): void {
  const [modeArg, dir, lifetimeArg] = process.argv.slice(2);
  if ((modeArg !== 'sink' && modeArg !== 'append' && modeArg !== 'fsync') || !dir || !lifetimeArg) {
    process.stderr.write('usage: frame-server <sink|append|fsync> <dir> <lifetimeMs>\n');
    process.exit(2);
  }
  const mode: FrameServerMode = modeArg;
  const send = (message: FrameServerMessage): void => {
    process.send?.(message);
  };

  const stats: FrameServerStats = { type: 'stats', frames: 0, bytes: 0, writes: 0, syncs: 0, groupFramesMax: 0 };
  const sockets = new Set<Socket>();

  let segmentIndex = 0;
  const segmentPath = (index: number): string => join(dir, `${String(index).padStart(20, '0')}.log`);
  let fd = mode === 'sink' ? -1 : openSync(segmentPath(0), 'w');
  let segmentBytes = 0;

  let queue: PendingFrame[] = [];
  let flushing = false;

  const fail = (what: string, err: unknown): never => {
    process.stderr.write(`frame-server: ${what}: ${String(err)}\n`);
    process.exit(1);
  };

  const answer = (batch: PendingFrame[]): void => {
    // One buffer per connection holding all its responses, written in request order.
    const bySocket = new Map<Socket, number[]>();
    for (const frame of batch) {
      let ids = bySocket.get(frame.socket);
      if (!ids) bySocket.set(frame.socket, (ids = []));
      ids.push(frame.correlationId);
    }
    for (const [socket, ids] of bySocket) {
      if (socket.destroyed) continue;
      const out = Buffer.allocUnsafe(8 * ids.length);
      for (let i = 0; i < ids.length; i++) {
        out.writeUInt32BE(4, 8 * i);
        out.writeUInt32BE(ids[i]!, 8 * i + 4);
      }
      socket.write(out);
    }
  };

  const rollIfFull = (): void => {
    if (segmentBytes < segmentBytesMax) return;
    closeSync(fd);
    segmentIndex++;
    fd = openSync(segmentPath(segmentIndex), 'w');
    segmentBytes = 0;
  };

  const flush = (): void => {
    if (flushing || queue.length === 0) return;
    flushing = true;
    const batch = queue;
    queue = [];
    const buffers: Buffer[] = [];
    let bytes = 0;
    for (const frame of batch) {
      for (const part of frame.parts) buffers.push(part);
      bytes += frame.frameBytes;
    }
    if (batch.length > stats.groupFramesMax) stats.groupFramesMax = batch.length;
    writev(fd, buffers, (err, written) => {
      if (err) fail('write', err);
      if (written !== bytes) fail('write', new Error(`short write ${written} of ${bytes}`));
      stats.writes++;
      segmentBytes += bytes;
      const done = (): void => {
        answer(batch);
        rollIfFull();
        flushing = false;
        flush();
      };
      if (mode === 'fsync') {
        fdatasync(fd, (syncErr) => {
          if (syncErr) fail('fdatasync', syncErr);
          stats.syncs++;
          done();
        });
      } else {
        done();
      }
    });
  };

  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    const splitter = new FrameSplitter(frameBytesMax);
    const onFrame = (parts: Buffer[], frameBytes: number): void => {
      stats.frames++;
      stats.bytes += frameBytes;
      if (mode === 'sink') return;
      const correlationId = readUInt32InParts(parts, requestCorrelationIdAt) ?? 0;
      queue.push({ socket, parts, frameBytes, correlationId });
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk, onFrame);
      } catch {
        socket.destroy();
        return;
      }
      flush();
    });
    socket.on('end', () => socket.end());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });

  const stop = (): void => {
    server.close();
    for (const socket of sockets) socket.destroy();
    // The file is closed by exit; a write may still be in flight here.
    if (process.send) process.send(stats, () => process.exit(0));
    else process.exit(0);
  };

  process.on('message', (message: unknown) => {
    if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'stop') stop();
  });
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => {
    process.stderr.write('frame-server: lifetime exceeded, exiting\n');
    process.exit(3);
  }, Number(lifetimeArg)).unref();

  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') fail('listen', new Error('no port'));
    else send({ type: 'listening', port: address.port });
  });
}

main();
