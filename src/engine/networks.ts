import { z } from 'zod';
import { StringMap, type Answer } from './answer.js';
import { encodeFilters, type Filters } from './filters.js';
import { checkInput, checkRef, pathOf } from './names.js';
import { compareVersions, type CallOptions, type Transport } from './transport.js';
import type { EndpointSettings } from './container-spec.js';

const Labels = z.record(z.string(), z.string());

export const NetworkSpec = z.strictObject({
  Name: z.string().min(1),
  Driver: z.string().optional(),
  Internal: z.boolean().optional(),
  Attachable: z.boolean().optional(),
  EnableIPv6: z.boolean().optional(),
  Options: Labels.optional(),
  Labels: Labels.optional(),
  IPAM: z.strictObject({
    Driver: z.string().optional(),
    Config: z.array(z.strictObject({ Subnet: z.string().optional(), IPRange: z.string().optional(), Gateway: z.string().optional() })).optional(),
    Options: Labels.optional(),
  }).optional(),
});
export type NetworkSpec = z.input<typeof NetworkSpec>;

export const NetworkInspect = z.object({
  Name: z.string(),
  Id: z.string(),
  Created: z.string().optional(),
  Driver: z.string(),
  Internal: z.boolean().optional(),
  Attachable: z.boolean().optional(),
  EnableIPv6: z.boolean().optional(),
  IPAM: z.object({ Config: z.array(z.object({ Subnet: z.string().optional(), Gateway: z.string().optional() })).nullish() }).optional(),
  Labels: StringMap.nullish(),
  Containers: z.record(z.string(), z.object({ Name: z.string().optional(), IPv4Address: z.string().optional() })).nullish(),
});
export type NetworkInspect = Answer<typeof NetworkInspect>;
// Built once: a schema made per call costs tens of microseconds, a sizeable part of a local call.
const NetworkList = z.array(NetworkInspect);

const CreateResponse = z.object({ Id: z.string(), Warning: z.string().nullish() });
const PruneResponse = z.object({ NetworksDeleted: z.array(z.string()).nullish() });

export class Networks {
  constructor(private readonly transport: Transport) {}

  /**
   * POST /networks/create. Before API 1.44 the engine happily creates two networks with one name
   * unless asked to check; from 1.44 it always checks and the field is deprecated.
   */
  async create(spec: NetworkSpec, options: CallOptions = {}): Promise<{ Id: string }> {
    const body: Record<string, unknown> = checkInput('network spec', NetworkSpec, spec);
    checkRef('network', body.Name);
    if (compareVersions(await this.transport.apiVersion(options), '1.44') < 0) body.CheckDuplicate = true;
    return this.transport.json({ method: 'POST', path: '/networks/create', json: body }, CreateResponse, options);
  }

  /** POST /networks/{id}/connect */
  async connect(network: string, container: string, settings: EndpointSettings = {}, options: CallOptions = {}): Promise<void> {
    await this.transport.empty({
      method: 'POST', path: pathOf`/networks/${checkRef('network', network)}/connect`,
      json: { Container: checkRef('container', container), EndpointConfig: settings },
    }, options);
  }

  /** POST /networks/{id}/disconnect */
  async disconnect(network: string, container: string, options: CallOptions & { force?: boolean } = {}): Promise<void> {
    await this.transport.empty({
      method: 'POST', path: pathOf`/networks/${checkRef('network', network)}/disconnect`,
      json: { Container: checkRef('container', container), Force: options.force ?? false },
    }, options);
  }

  /** GET /networks/{id}. Async like every method here: a bad name rejects, never throws before a promise exists. */
  async inspect(network: string, options: CallOptions = {}): Promise<NetworkInspect> {
    return this.transport.json({ method: 'GET', path: pathOf`/networks/${checkRef('network', network)}` }, NetworkInspect, options);
  }

  /** GET /networks */
  async list(options: CallOptions & { filters?: Filters } = {}): Promise<NetworkInspect[]> {
    return this.transport.json({ method: 'GET', path: '/networks', query: { filters: encodeFilters(options.filters) } }, NetworkList, options);
  }

  /** DELETE /networks/{id} */
  async remove(network: string, options: CallOptions = {}): Promise<void> {
    await this.transport.empty({ method: 'DELETE', path: pathOf`/networks/${checkRef('network', network)}` }, options);
  }

  /** POST /networks/prune */
  async prune(options: CallOptions & { filters?: Filters } = {}): Promise<string[]> {
    const res = await this.transport.json({ method: 'POST', path: '/networks/prune', query: { filters: encodeFilters(options.filters) } }, PruneResponse, options);
    return res.NetworksDeleted ?? [];
  }
}
