import type { Readable } from 'node:stream';
import { z } from 'zod';
import { StringMap, type Answer } from './answer.js';
import { authFromConfig, checkAuth, encodeAuth, registryOf, type RegistryAuth } from './auth.js';
import { EngineError } from './errors.js';
import { encodeFilters, type Filters } from './filters.js';
import { checkRef, pathOf, splitImageReference } from './names.js';
import { Progress, type ProgressMessage, type ProgressSource } from './streams/progress.js';
import type { CallOptions, StreamOptions, Transport } from './transport.js';

export const ImageSummary = z.object({
  Id: z.string(),
  RepoTags: z.array(z.string()).nullish(),
  RepoDigests: z.array(z.string()).nullish(),
  Created: z.number(),
  Size: z.number(),
  Labels: StringMap.nullish(),
});
export type ImageSummary = Answer<typeof ImageSummary>;

export const ImageInspect = z.object({
  Id: z.string(),
  RepoTags: z.array(z.string()).nullish(),
  RepoDigests: z.array(z.string()).nullish(),
  Created: z.string().optional(),
  Size: z.number().optional(),
  Architecture: z.string().optional(),
  Os: z.string().optional(),
  Config: z.object({
    Cmd: z.array(z.string()).nullish(),
    Entrypoint: z.array(z.string()).nullish(),
    Env: z.array(z.string()).nullish(),
    User: z.string().nullish(),
    Labels: StringMap.nullish(),
  }).nullish(),
  RootFS: z.object({ Type: z.string(), Layers: z.array(z.string()).optional() }).optional(),
});
export type ImageInspect = Answer<typeof ImageInspect>;

const DeleteItem = z.object({ Untagged: z.string().optional(), Deleted: z.string().optional() });
// Built once: a schema made per call costs tens of microseconds, a sizeable part of a local call.
const ImageList = z.array(ImageSummary);
const DeleteList = z.array(DeleteItem);
const IdResponse = z.object({ Id: z.string() });

export interface RegistryOptions extends StreamOptions {
  /** Explicit credentials; otherwise `~/.docker/config.json` `auths` is consulted. */
  auth?: RegistryAuth;
  platform?: string;
}

export class Images {
  constructor(private readonly transport: Transport) {}

  /** POST /images/create?fromImage=: progress, and `done` rejecting on an in-band error. */
  pull(reference: string, options: RegistryOptions = {}): Progress {
    checkRef('image', reference);
    const { name, tag } = splitImageReference(reference);
    const path = '/images/create';
    const response = this.registryHeaders(reference, options).then((headers) => this.transport.stream({
      method: 'POST', path, query: { fromImage: name, tag, platform: options.platform }, headers,
    }, options)).then((res) => res.body);
    return new Progress(response, this.source('POST', path, options), () => undefined);
  }

  /** POST /images/{name}/push */
  push(reference: string, options: RegistryOptions = {}): Progress {
    checkRef('image', reference);
    const { name, tag } = splitImageReference(reference);
    const path = pathOf`/images/${name}/push`;
    const response = this.registryHeaders(reference, options).then((headers) => this.transport.stream({
      method: 'POST', path, query: { tag }, headers,
    }, options)).then((res) => res.body);
    return new Progress(response, this.source('POST', path, options), () => undefined);
  }

  /**
   * POST /images/create?fromSrc=-: a root filesystem tar becomes a one-layer image. `done`
   * resolves with the new image id.
   */
  import(tar: Readable | Buffer | AsyncIterable<Uint8Array>, options: StreamOptions & { repo?: string; tag?: string; changes?: string[]; message?: string } = {}): Progress<string> {
    if (options.repo) checkRef('image', options.tag ? `${options.repo}:${options.tag}` : options.repo);
    const path = '/images/create';
    const response = this.transport.stream({
      method: 'POST', path,
      query: { fromSrc: '-', repo: options.repo, tag: options.tag, message: options.message, changes: options.changes },
      headers: { 'content-type': 'application/x-tar' },
      body: tar,
    }, options).then((res) => res.body);
    return new Progress(response, this.source('POST', path, options), (messages) => importedId(messages, path));
  }

  /**
   * GET /images/get: the named images (with their layers and tags) as one tar stream, the format
   * `load` reads. Used to copy local images from engine to engine with no registry between them.
   */
  async save(names: string[], options: StreamOptions = {}): Promise<Readable> {
    if (!names.length) throw new EngineError('images.save: name at least one image (an empty list would export every image)', { kind: 'invalid-argument' });
    for (const name of names) checkRef('image', name);
    const res = await this.transport.stream({ method: 'GET', path: '/images/get', query: { names } }, options);
    return res.body;
  }

  /**
   * POST /images/load: images from a `save` tar. The engine answers 200 before it reads the tar,
   * so a bad archive fails INSIDE the stream (`done` rejects); `done` resolves with what was
   * loaded, as the engine names it (`name:tag`, or `sha256:...` for an image without a tag).
   */
  load(tar: Readable | Buffer | AsyncIterable<Uint8Array>, options: StreamOptions & { quiet?: boolean } = {}): Progress<string[]> {
    const path = '/images/load';
    const response = this.transport.stream({
      method: 'POST', path, query: { quiet: options.quiet }, headers: { 'content-type': 'application/x-tar' }, body: tar,
    }, options).then((res) => res.body);
    return new Progress(response, this.source('POST', path, options), loadedImages);
  }

  // The calls below that answer a promise are async so that a bad reference rejects it like any
  // other failure, instead of throwing before the caller's `.catch()` is attached.

  /** GET /images/{name}/json */
  async inspect(reference: string, options: CallOptions = {}): Promise<ImageInspect> {
    return this.transport.json({ method: 'GET', path: pathOf`/images/${checkRef('image', reference)}/json` }, ImageInspect, options);
  }

  /** GET /images/json */
  async list(options: CallOptions & { all?: boolean; filters?: Filters } = {}): Promise<ImageSummary[]> {
    return this.transport.json({
      method: 'GET', path: '/images/json', query: { all: options.all, filters: encodeFilters(options.filters) },
    }, ImageList, options);
  }

  /** DELETE /images/{name} */
  async remove(reference: string, options: CallOptions & { force?: boolean; noprune?: boolean } = {}): Promise<Answer<typeof DeleteItem>[]> {
    return this.transport.json({
      method: 'DELETE', path: pathOf`/images/${checkRef('image', reference)}`,
      query: { force: options.force, noprune: options.noprune },
    }, DeleteList, options);
  }

  /** POST /images/{name}/tag */
  async tag(source: string, target: string, options: CallOptions = {}): Promise<void> {
    checkRef('image', target);
    const { name, tag } = splitImageReference(target);
    await this.transport.empty({
      method: 'POST', path: pathOf`/images/${checkRef('image', source)}/tag`, query: { repo: name, tag },
    }, options);
  }

  /** POST /commit: a container's filesystem becomes a new image layer. */
  async commit(container: string, options: CallOptions & { repo?: string; tag?: string; comment?: string; changes?: string[] } = {}): Promise<string> {
    const res = await this.transport.json({
      method: 'POST', path: '/commit',
      query: { container: checkRef('container', container), repo: options.repo, tag: options.tag, comment: options.comment, changes: options.changes },
      json: {},
    }, IdResponse, options);
    return res.Id;
  }

  /**
   * Credentials a caller passed are checked before anything is sent (a typo would otherwise pull
   * as anonymous); without any, config.json is read now, when the call is made.
   */
  private registryHeaders(reference: string, options: RegistryOptions): Promise<Record<string, string>> {
    const given = options.auth === undefined ? undefined : checkAuth(options.auth);
    return (async () => {
      const auth = given ?? await authFromConfig(registryOf(reference));
      return { 'x-registry-auth': encodeAuth(auth) };
    })();
  }

  private source(method: string, path: string, options: StreamOptions): ProgressSource {
    return { method, path, address: this.transport.address, signal: options.signal };
  }
}

/** Each image a load reports: `{"stream":"Loaded image: NAME\n"}` or `Loaded image ID: sha256:...`. */
function loadedImages(messages: ProgressMessage[]): string[] {
  return messages.flatMap((m) => /^Loaded image(?: ID)?: (\S+)/.exec(m.stream ?? '')?.[1] ?? []);
}

/** The last message of an import is `{"status":"sha256:..."}`; anything else is not an import. */
function importedId(messages: ProgressMessage[], path: string): string {
  const status = messages.at(-1)?.status ?? '';
  if (status.startsWith('sha256:')) return status;
  throw new EngineError(`POST ${path}: the import ended without an image id (last message: ${JSON.stringify(messages.at(-1) ?? null)})`, {
    kind: 'protocol', method: 'POST', path,
  });
}
