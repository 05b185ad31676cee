import { connect, type ConnectionOptions } from './connection.js';
import { Transport, type TransportOptions } from './transport.js';

export interface EngineOptions extends ConnectionOptions, TransportOptions {}

/**
 * The Docker Engine API client: one object per engine, one namespace per API area, one method per
 * operation. It knows nothing about pods.
 */
export class Engine {
  readonly transport: Transport;

  constructor(options: EngineOptions = {}, env: NodeJS.ProcessEnv = process.env) {
    const { apiVersion, timeout, ...connection } = options;
    this.transport = new Transport(connect(connection, env), { apiVersion, timeout }, env);
  }

  /** The socket path or host:port this engine is reached at. */
  get address(): string {
    return this.transport.address;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
