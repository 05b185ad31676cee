import { z } from 'zod';
import { StringMap, type Answer } from './answer.js';
import { encodeFilters, type Filters } from './filters.js';
import { checkInput, checkRef, pathOf } from './names.js';
import { compareVersions, type CallOptions, type Transport } from './transport.js';

const Labels = z.record(z.string(), z.string());

export const VolumeSpec = z.strictObject({
  Name: z.string().optional(),
  Driver: z.string().optional(),
  /** e.g. `{ type: 'tmpfs', device: 'tmpfs', o: 'size=64m' }` for a memory-backed volume. */
  DriverOpts: Labels.optional(),
  Labels: Labels.optional(),
});
export type VolumeSpec = z.input<typeof VolumeSpec>;

export const Volume = z.object({
  Name: z.string(),
  Driver: z.string(),
  Mountpoint: z.string(),
  CreatedAt: z.string().optional(),
  Labels: StringMap.nullish(),
  Options: StringMap.nullish(),
  Scope: z.string().optional(),
});
export type Volume = Answer<typeof Volume>;

const ListResponse = z.object({ Volumes: z.array(Volume).nullish(), Warnings: z.array(z.string()).nullish() });
const PruneResponse = z.object({ VolumesDeleted: z.array(z.string()).nullish(), SpaceReclaimed: z.number().optional() });

export class Volumes {
  constructor(private readonly transport: Transport) {}

  /** POST /volumes/create */
  async create(spec: VolumeSpec = {}, options: CallOptions = {}): Promise<Volume> {
    const body = checkInput('volume spec', VolumeSpec, spec);
    if (body.Name !== undefined) checkRef('volume', body.Name);
    return this.transport.json({ method: 'POST', path: '/volumes/create', json: body }, Volume, options);
  }

  /** GET /volumes/{name}. Async like every method here: a bad name rejects, never throws before a promise exists. */
  async inspect(name: string, options: CallOptions = {}): Promise<Volume> {
    return this.transport.json({ method: 'GET', path: pathOf`/volumes/${checkRef('volume', name)}` }, Volume, options);
  }

  /** GET /volumes */
  async list(options: CallOptions & { filters?: Filters } = {}): Promise<Volume[]> {
    const res = await this.transport.json({ method: 'GET', path: '/volumes', query: { filters: encodeFilters(options.filters) } }, ListResponse, options);
    return res.Volumes ?? [];
  }

  /** DELETE /volumes/{name} */
  async remove(name: string, options: CallOptions & { force?: boolean } = {}): Promise<void> {
    await this.transport.empty({ method: 'DELETE', path: pathOf`/volumes/${checkRef('volume', name)}`, query: { force: options.force } }, options);
  }

  /**
   * POST /volumes/prune. From API 1.42 the engine prunes only anonymous volumes unless the filter
   * `all=true` is given; we send it there so prune means the same on every engine. The engine
   * never prunes a local volume created with DriverOpts (a tmpfs, an NFS mount): remove those by name.
   */
  async prune(options: CallOptions & { filters?: Filters } = {}): Promise<string[]> {
    const filters: Filters = { ...options.filters };
    if (compareVersions(await this.transport.apiVersion(options), '1.42') >= 0 && filters.all === undefined) filters.all = 'true';
    const res = await this.transport.json({ method: 'POST', path: '/volumes/prune', query: { filters: encodeFilters(filters) } }, PruneResponse, options);
    return res.VolumesDeleted ?? [];
  }
}
