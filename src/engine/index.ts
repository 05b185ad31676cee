import { connect, type ConnectionOptions } from './connection.js';
import { Containers } from './containers.js';
import { Exec } from './exec.js';
import { Images } from './images.js';
import { Networks } from './networks.js';
import { Configs, Nodes, Swarm } from './swarm.js';
import { System } from './system.js';
import { Transport, type EngineFlavour, type TransportOptions } from './transport.js';
import { Volumes } from './volumes.js';

export interface EngineOptions extends ConnectionOptions, TransportOptions {}
export type { EngineFlavour } from './transport.js';

/**
 * The Docker Engine API client: one object per engine, one namespace per API area, one method per
 * operation. It knows nothing about pods.
 */
export class Engine {
  readonly transport: Transport;
  readonly system: System;
  readonly images: Images;
  readonly containers: Containers;
  readonly exec: Exec;
  readonly networks: Networks;
  readonly volumes: Volumes;
  readonly swarm: Swarm;
  readonly nodes: Nodes;
  readonly configs: Configs;

  constructor(options: EngineOptions = {}, env: NodeJS.ProcessEnv = process.env) {
    const { apiVersion, timeout, ...connection } = options;
    this.transport = new Transport(connect(connection, env), { apiVersion, timeout }, env);
    this.system = new System(this.transport);
    this.images = new Images(this.transport);
    this.containers = new Containers(this.transport);
    this.exec = new Exec(this.transport);
    this.networks = new Networks(this.transport);
    this.volumes = new Volumes(this.transport);
    this.swarm = new Swarm(this.transport);
    this.nodes = new Nodes(this.transport);
    this.configs = new Configs(this.transport);
  }

  /** The socket path, host:port or ssh:// URL this engine is reached at. */
  get address(): string {
    return this.transport.address;
  }

  /** The negotiated (or pinned) API version. */
  apiVersion(): Promise<string> {
    return this.transport.apiVersion();
  }

  /** Docker's engine or Podman's compatible API, from the negotiation ping (transport.ts). */
  flavour(): Promise<EngineFlavour> {
    return this.transport.flavour();
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
