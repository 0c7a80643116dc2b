/**
 * The TCP listener: accepts connections up to `max.connections`, hands each
 * to a Connection, and on shutdown stops accepting, lets in-flight requests
 * finish (up to a deadline), then closes what is left.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Connection, type ConnectionOptions, type Dispatch } from './connection.js';
import type { Logger } from '../logger.js';

export interface SocketServerOptions extends ConnectionOptions {
  readonly listenerName: string;
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
}

export class SocketServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;

  constructor(
    private readonly options: SocketServerOptions,
    private readonly dispatch: Dispatch,
    private readonly logger: Logger,
  ) {
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => this.logger.error({ err }, 'listener error'));
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.options.maxConnections) {
      this.logger.warn({ remote: socket.remoteAddress }, 'max.connections reached; refusing a connection');
      socket.destroy();
      return;
    }
    const connection = new Connection(
      this.nextConnectionId++,
      this.options.listenerName,
      socket,
      this.options,
      this.dispatch,
      (err, c) => this.logger.info({ connection: c.id, remote: c.remoteAddress, err: err instanceof Error ? err.message : String(err) }, 'closing connection'),
    );
    this.connections.add(connection);
    connection.onClose(() => this.connections.delete(connection));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      const host = this.options.host === '' ? undefined : this.options.host;
      this.server.listen({ host, port: this.options.port }, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('listener has no TCP address'));
          return;
        }
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  /** Stops accepting, waits up to `graceMs` for in-flight requests, then closes every connection. */
  async shutdown(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const idle = Promise.all([...this.connections].map((c) => new Promise<void>((resolve) => c.whenIdle(resolve))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([idle, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    if (timer !== undefined) clearTimeout(timer);
    for (const c of [...this.connections]) c.close();
    await closed;
  }
}
