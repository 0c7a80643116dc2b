/**
 * A load generator for anything that speaks size-prefixed frames over TCP:
 * the ceiling servers today, the Samsa broker with pre-built Produce requests
 * later. The frames are an input, sent as they are, cycled in order.
 *
 * Two ways to drive a connection:
 *  - inFlightMax > 0: request/response. Each connection keeps at most
 *    inFlightMax requests outstanding, expects exactly one response frame per
 *    request in request order (as Kafka does per connection), checks that the
 *    response carries the request's correlation id, and records the latency
 *    from the write call to the arrival of the response.
 *  - inFlightMax = 0: a one-way stream with no responses; a frame counts once
 *    the socket has handed it to the kernel. Sending is paced only by the
 *    socket's backpressure.
 *
 * Only completions inside the measured window (after warm-up) are counted.
 */
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FrameSplitter, readUInt32InParts } from './frame-splitter.js';
import { Histogram, type HistogramSummary } from './histogram.js';

export interface FrameLoadOptions {
  host: string;
  port: number;
  /** Complete request frames, size prefix included. */
  frames: readonly Buffer[];
  connections: number;
  /** Outstanding requests per connection; 0 for a one-way stream. */
  inFlightMax: number;
  /** Length of the measured window. */
  durationMs: number;
  /** Load before the window starts, not counted. Default: min(500, durationMs / 5). */
  warmupMs?: number;
  /** After the window, how long to wait for outstanding responses before closing. Default 5000. */
  drainTimeoutMs?: number;
  /**
   * Where the correlation id sits in request frames and in response frames,
   * counting the size prefix; null skips the check. Defaults 8 and 4 (Kafka
   * request header v1+ and response header v0+).
   */
  requestCorrelationIdAt?: number | null;
  responseCorrelationIdAt?: number;
  /** Largest response frame accepted. Default 100 MiB. */
  responseBytesMax?: number;
}

export interface FrameLoadResult {
  /** Measured window in ms. */
  durationMs: number;
  connections: number;
  /** Requests completed in the window (response received, or written for a one-way stream). */
  requests: number;
  requestBytes: number;
  responseBytes: number;
  requestsPerSec: number;
  /** Request bytes per second, in MB/s (10^6). */
  requestMBps: number;
  /** Latency in microseconds; null for a one-way stream. */
  latencyUs: HistogramSummary | null;
  /** Responses whose correlation id did not match the request they answered. */
  correlationMismatches: number;
  /** Connection errors and protocol violations, one line each. */
  errors: string[];
}

interface InFlight {
  sentAt: number;
  frameBytes: number;
  correlationId: number | undefined;
}

export async function runFrameLoad(options: FrameLoadOptions): Promise<FrameLoadResult> {
  if (options.frames.length === 0) throw new RangeError('frames must not be empty');
  if (options.connections < 1) throw new RangeError('connections must be at least 1');
  const warmupMs = options.warmupMs ?? Math.min(500, options.durationMs / 5);
  const drainTimeoutMs = options.drainTimeoutMs ?? 5_000;
  const requestIdAt = options.requestCorrelationIdAt === undefined ? 8 : options.requestCorrelationIdAt;
  const responseIdAt = options.responseCorrelationIdAt ?? 4;
  const oneWay = options.inFlightMax === 0;
  const frames = options.frames;
  const frameIds = frames.map((frame) =>
    requestIdAt === null || frame.length < requestIdAt + 4 ? undefined : frame.readUInt32BE(requestIdAt),
  );

  const histogram = new Histogram();
  const errors: string[] = [];
  let requests = 0;
  let requestBytes = 0;
  let responseBytes = 0;
  let correlationMismatches = 0;

  const startedAt = performance.now();
  const windowStart = startedAt + warmupMs;
  const windowEnd = windowStart + options.durationMs;
  let sending = true;
  const inWindow = (t: number): boolean => t >= windowStart && t <= windowEnd;

  const sockets: Socket[] = [];
  const finished: Promise<void>[] = [];
  const enders: (() => void)[] = [];

  for (let c = 0; c < options.connections; c++) {
    // Node passes stream options through to the socket, but the typings do not list
    // them; a one-way stream may queue this much before it reports backpressure.
    const connectOptions: NetConnectOpts & { writableHighWaterMark: number } = {
      host: options.host,
      port: options.port,
      noDelay: true,
      writableHighWaterMark: 1024 * 1024,
    };
    const socket = connect(connectOptions);
    sockets.push(socket);
    // Start each connection at a different frame so they do not send identical streams.
    let next = Math.floor((c * frames.length) / options.connections);
    const inFlight: InFlight[] = [];
    let head = 0; // index of the oldest outstanding request in inFlight

    const countCompletion = (frameBytes: number, now: number): boolean => {
      if (!inWindow(now)) return false;
      requests++;
      requestBytes += frameBytes;
      return true;
    };

    /** Writes the next frame; false when the socket asks us to wait for 'drain'. */
    const sendOne = (): boolean => {
      const index = next;
      next = next + 1 === frames.length ? 0 : next + 1;
      const frame = frames[index]!;
      if (oneWay) {
        return socket.write(frame, (err) => {
          if (!err) countCompletion(frame.length, performance.now());
        });
      }
      inFlight.push({ sentAt: performance.now(), frameBytes: frame.length, correlationId: frameIds[index] });
      return socket.write(frame);
    };

    const pump = (): void => {
      if (!sending || socket.destroyed) return;
      if (oneWay) {
        while (sending && sendOne());
        return;
      }
      const outstanding = inFlight.length - head;
      if (outstanding >= options.inFlightMax) return;
      socket.cork();
      for (let i = outstanding; i < options.inFlightMax; i++) sendOne();
      socket.uncork();
    };

    /** After the window: close once nothing is outstanding (at once for a one-way stream). */
    const endIfIdle = (): void => {
      if (!socket.destroyed && (oneWay || head === inFlight.length)) socket.end();
    };
    enders.push(endIfIdle);

    const splitter = new FrameSplitter(options.responseBytesMax ?? 100 * 1024 * 1024);
    const onResponse = (parts: Buffer[], frameBytes: number): void => {
      const now = performance.now();
      responseBytes += frameBytes;
      const request = inFlight[head];
      if (!request) {
        errors.push(`connection ${c}: response with no request outstanding`);
        socket.destroy();
        return;
      }
      head++;
      if (request.correlationId !== undefined && readUInt32InParts(parts, responseIdAt) !== request.correlationId) {
        correlationMismatches++;
      }
      if (countCompletion(request.frameBytes, now)) histogram.record((now - request.sentAt) * 1000);
    };

    finished.push(
      new Promise<void>((resolve) => {
        socket.once('connect', pump);
        socket.on('drain', pump);
        socket.on('data', (chunk: Buffer) => {
          try {
            splitter.push(chunk, onResponse);
          } catch (err) {
            errors.push(`connection ${c}: ${String(err)}`);
            socket.destroy();
            return;
          }
          // Compact the queue now and then instead of shifting per response.
          if (head > 1024 && head * 2 > inFlight.length) {
            inFlight.splice(0, head);
            head = 0;
          }
          if (sending) pump();
          else endIfIdle();
        });
        socket.on('error', (err) => {
          if (sending) errors.push(`connection ${c}: ${err.message}`);
        });
        socket.once('close', () => {
          if (sending) errors.push(`connection ${c}: closed by the server during the run`);
          resolve();
        });
      }),
    );
  }

  await new Promise<void>((resolve) => setTimeout(resolve, warmupMs + options.durationMs));
  sending = false;
  for (const endIfIdle of enders) endIfIdle();
  const drainTimer = setTimeout(() => {
    for (const socket of sockets) socket.destroy();
  }, drainTimeoutMs);
  await Promise.all(finished);
  clearTimeout(drainTimer);

  const seconds = options.durationMs / 1000;
  return {
    durationMs: options.durationMs,
    connections: options.connections,
    requests,
    requestBytes,
    responseBytes,
    requestsPerSec: requests / seconds,
    requestMBps: requestBytes / 1e6 / seconds,
    latencyUs: oneWay ? null : histogram.summary(),
    correlationMismatches,
    errors,
  };
}
