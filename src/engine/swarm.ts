import { z } from 'zod';
import { StringMap, type Answer } from './answer.js';
import { isEngineError } from './errors.js';
import { encodeFilters, type Filters } from './filters.js';
import { checkInput, checkRef, pathOf } from './names.js';
import type { CallOptions, Transport } from './transport.js';

/**
 * Swarm mode: membership of an engine in a swarm, and the swarm's nodes. Podling does not run
 * swarm services (their tasks cannot share a network namespace); it uses the swarm for what it
 * is: who the nodes are, their labels, and the overlay networks between them.
 */

const Labels = z.record(z.string(), z.string());

export const SwarmInitSpec = z.strictObject({
  ListenAddr: z.string().min(1),
  AdvertiseAddr: z.string().optional(),
  DataPathAddr: z.string().optional(),
  DataPathPort: z.number().int().optional(),
  DefaultAddrPool: z.array(z.string()).optional(),
  SubnetSize: z.number().int().optional(),
  ForceNewCluster: z.boolean().optional(),
  Spec: z.record(z.string(), z.unknown()).optional(),
});
export type SwarmInitSpec = z.input<typeof SwarmInitSpec>;

export const SwarmJoinSpec = z.strictObject({
  ListenAddr: z.string().min(1),
  AdvertiseAddr: z.string().optional(),
  DataPathAddr: z.string().optional(),
  RemoteAddrs: z.array(z.string().min(1)).min(1, 'needs the address of at least one manager'),
  JoinToken: z.string().min(1),
});
export type SwarmJoinSpec = z.input<typeof SwarmJoinSpec>;

export const SwarmInfo = z.object({
  ID: z.string(),
  Version: z.object({ Index: z.number() }),
  JoinTokens: z.object({ Worker: z.string(), Manager: z.string() }),
  DefaultAddrPool: z.array(z.string()).nullish(),
  SubnetSize: z.number().optional(),
});
export type SwarmInfo = Answer<typeof SwarmInfo>;

export const NodeSpec = z.strictObject({
  Name: z.string().optional(),
  Labels: Labels.optional(),
  Role: z.enum(['worker', 'manager']),
  Availability: z.enum(['active', 'pause', 'drain']),
});
export type NodeSpec = z.input<typeof NodeSpec>;

export const SwarmNode = z.object({
  ID: z.string(),
  Version: z.object({ Index: z.number() }),
  Spec: z.object({ Name: z.string().optional(), Labels: StringMap.nullish(), Role: z.string(), Availability: z.string() }),
  Description: z.object({
    Hostname: z.string().optional(),
    Resources: z.object({ NanoCPUs: z.number().optional(), MemoryBytes: z.number().optional() }).optional(),
    Engine: z.object({ EngineVersion: z.string().optional(), Labels: StringMap.nullish() }).optional(),
  }).optional(),
  Status: z.object({ State: z.string(), Message: z.string().optional(), Addr: z.string().optional() }),
  ManagerStatus: z.object({ Leader: z.boolean().optional(), Reachability: z.string().optional(), Addr: z.string().optional() }).nullish(),
});
export type SwarmNode = Answer<typeof SwarmNode>;
const NodeList = z.array(SwarmNode);

/** 503 "This node is not part of a swarm" or "not a swarm manager": the answer of an engine that cannot say. */
export const isNotSwarmManager = (err: unknown): boolean => isEngineError(err) && err.status === 503;

export class Swarm {
  constructor(private readonly transport: Transport) {}

  /** GET /swarm (a manager only; a worker or a lone engine answers 503). */
  async inspect(options: CallOptions = {}): Promise<SwarmInfo> {
    return this.transport.json({ method: 'GET', path: '/swarm' }, SwarmInfo, options);
  }

  /** POST /swarm/init: answers the new node's id. */
  async init(spec: SwarmInitSpec, options: CallOptions = {}): Promise<string> {
    const body = checkInput('swarm init spec', SwarmInitSpec, spec);
    return this.transport.json({ method: 'POST', path: '/swarm/init', json: body }, z.string(), options);
  }

  /** POST /swarm/join */
  async join(spec: SwarmJoinSpec, options: CallOptions = {}): Promise<void> {
    const body = checkInput('swarm join spec', SwarmJoinSpec, spec);
    await this.transport.empty({ method: 'POST', path: '/swarm/join', json: body }, options);
  }

  /** POST /swarm/leave */
  async leave(options: CallOptions & { force?: boolean } = {}): Promise<void> {
    await this.transport.empty({ method: 'POST', path: '/swarm/leave', query: { force: options.force } }, options);
  }
}

export class Nodes {
  constructor(private readonly transport: Transport) {}

  /** GET /nodes (a manager only). */
  async list(options: CallOptions & { filters?: Filters } = {}): Promise<SwarmNode[]> {
    return this.transport.json({ method: 'GET', path: '/nodes', query: { filters: encodeFilters(options.filters) } }, NodeList, options);
  }

  /** GET /nodes/{id}: by id or by hostname. */
  async inspect(id: string, options: CallOptions = {}): Promise<SwarmNode> {
    return this.transport.json({ method: 'GET', path: pathOf`/nodes/${checkRef('node', id)}` }, SwarmNode, options);
  }

  /**
   * POST /nodes/{id}/update?version=N. The whole spec is replaced, and only if the node is still
   * at `version` (from its inspect): a concurrent change makes this fail rather than be lost.
   */
  async update(id: string, version: number, spec: NodeSpec, options: CallOptions = {}): Promise<void> {
    const body = checkInput('node spec', NodeSpec, spec);
    checkInput('node version', z.number().int().nonnegative(), version);
    await this.transport.empty({ method: 'POST', path: pathOf`/nodes/${checkRef('node', id)}/update`, query: { version: String(version) }, json: body }, options);
  }

  /** DELETE /nodes/{id} */
  async remove(id: string, options: CallOptions & { force?: boolean } = {}): Promise<void> {
    await this.transport.empty({ method: 'DELETE', path: pathOf`/nodes/${checkRef('node', id)}`, query: { force: options.force } }, options);
  }
}

export const ConfigSpec = z.strictObject({
  Name: z.string().min(1).max(64),
  Labels: Labels.optional(),
  /** The content, base64. */
  Data: z.string(),
});
export type ConfigSpec = z.input<typeof ConfigSpec>;

export const SwarmConfig = z.object({
  ID: z.string(),
  Version: z.object({ Index: z.number() }),
  Spec: z.object({ Name: z.string(), Labels: StringMap.nullish(), Data: z.string().optional() }),
});
export type SwarmConfig = Answer<typeof SwarmConfig>;
const ConfigList = z.array(SwarmConfig);
const IdResponse = z.object({ ID: z.string() });

/** Swarm configs: small documents the managers keep, replicated and cluster-wide. */
export class Configs {
  constructor(private readonly transport: Transport) {}

  /** POST /configs/create: answers the id; a name already taken is a conflict (409). */
  async create(spec: ConfigSpec, options: CallOptions = {}): Promise<string> {
    const body = checkInput('config spec', ConfigSpec, spec);
    checkRef('config', body.Name);
    return (await this.transport.json({ method: 'POST', path: '/configs/create', json: body }, IdResponse, options)).ID;
  }

  /** GET /configs */
  async list(options: CallOptions & { filters?: Filters } = {}): Promise<SwarmConfig[]> {
    return this.transport.json({ method: 'GET', path: '/configs', query: { filters: encodeFilters(options.filters) } }, ConfigList, options);
  }

  /** GET /configs/{id} */
  async inspect(id: string, options: CallOptions = {}): Promise<SwarmConfig> {
    return this.transport.json({ method: 'GET', path: pathOf`/configs/${checkRef('config', id)}` }, SwarmConfig, options);
  }

  /** DELETE /configs/{id} */
  async remove(id: string, options: CallOptions = {}): Promise<void> {
    await this.transport.empty({ method: 'DELETE', path: pathOf`/configs/${checkRef('config', id)}` }, options);
  }
}
