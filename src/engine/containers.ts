import type { Duplex, Readable } from 'node:stream';
import { z } from 'zod';
import { checkAnswer, StringMap, type Answer } from './answer.js';
import { ContainerSpec, type EndpointSettings } from './container-spec.js';
import { EngineError, errorFromCause } from './errors.js';
import { encodeFilters, type Filters } from './filters.js';
import { checkInput, checkRef, pathOf } from './names.js';
import { Output } from './streams/output.js';
import { compareVersions, type CallOptions, type StreamOptions, type Transport } from './transport.js';

const Labels = StringMap.nullish();

// Checked: the fields Podling reads (see answer.ts). The engine's other fields come back too,
// typed from the API spec below but not checked: a check costs about half a microsecond per
// field on a warm call, and an inspect has some 150.
export const ContainerState = z.object({
  Status: z.string(),
  Running: z.boolean(),
  OOMKilled: z.boolean().optional(),
  ExitCode: z.number().optional(),
  StartedAt: z.string().optional(),
  FinishedAt: z.string().optional(),
});

const NetworkEndpoint = z.object({
  IPAddress: z.string().optional(),
  Aliases: z.array(z.string()).nullish(),
});

export const ContainerInspect = z.object({
  Id: z.string(),
  Name: z.string(),
  Created: z.string(),
  Image: z.string(),
  RestartCount: z.number().optional(),
  State: ContainerState,
  Config: z.object({
    Image: z.string().optional(),
    Tty: z.boolean().optional(),
    Labels,
  }),
  NetworkSettings: z.object({
    Networks: z.record(z.string(), NetworkEndpoint).nullish(),
  }),
});

/** Fields of an inspect Podling does not read: typed from the API spec, not checked. */
interface InspectUnchecked {
  State: { Paused?: boolean; Restarting?: boolean; Dead?: boolean; Pid?: number; Error?: string };
  Config: { Hostname?: string; Env?: string[] | null; Cmd?: string[] | null };
  HostConfig: {
    NetworkMode?: string;
    IpcMode?: string;
    NanoCpus?: number;
    CpuShares?: number;
    CpuQuota?: number;
    CpuPeriod?: number;
    Memory?: number;
    MemorySwap?: number;
    MemoryReservation?: number;
    PidsLimit?: number | null;
    PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null;
    Init?: boolean | null;
    Tmpfs?: Record<string, string> | null;
    Binds?: string[] | null;
    Mounts?: Array<{ Type: string; Source?: string; Target: string }> | null;
    ExtraHosts?: string[] | null;
    Dns?: string[] | null;
    CapAdd?: string[] | null;
    CapDrop?: string[] | null;
    ReadonlyRootfs?: boolean;
    SecurityOpt?: string[] | null;
    RestartPolicy?: { Name: string; MaximumRetryCount?: number };
    [key: string]: unknown;
  };
  Mounts?: Array<{ Type: string; Name?: string; Source?: string; Destination: string; [key: string]: unknown }> | null;
  NetworkSettings: {
    IPAddress?: string;
    Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null;
    Networks?: Record<string, EndpointUnchecked> | null;
  };
}

/** Fields of a network endpoint Podling does not read: typed, not checked. */
interface EndpointUnchecked { NetworkID?: string; EndpointID?: string; Gateway?: string; MacAddress?: string }

export type ContainerInspect = Answer<typeof ContainerInspect> & InspectUnchecked;

export const ContainerSummary = z.object({
  Id: z.string(),
  Names: z.array(z.string()),
  Image: z.string(),
  State: z.string(),
  Created: z.number(),
  Labels,
  NetworkSettings: z.object({ Networks: z.record(z.string(), NetworkEndpoint).nullish() }).nullish(),
});
export type ContainerSummary = Answer<typeof ContainerSummary> & {
  Status?: string;
  NetworkSettings?: { Networks?: Record<string, EndpointUnchecked> | null } | null;
};
// Built once: a schema made per call costs tens of microseconds, a sizeable part of a local call.
const ContainerList = z.array(ContainerSummary);

const UpdateResponse = z.object({ Warnings: z.array(z.string()).nullish() });
/** What `update` may change; strict, so a misspelt field is an error rather than a no-op. */
export const UpdateSpec = z.strictObject({
  RestartPolicy: ContainerSpec.shape.HostConfig.unwrap().shape.RestartPolicy,
  Memory: z.number().int().optional(),
  MemorySwap: z.number().int().optional(),
  NanoCpus: z.number().int().optional(),
  CpuShares: z.number().int().optional(),
});
export type UpdateSpec = z.input<typeof UpdateSpec>;
const CreateResponse = z.object({ Id: z.string(), Warnings: z.array(z.string()).nullish() });
const WaitResponse = z.object({ StatusCode: z.number(), Error: z.object({ Message: z.string().optional() }).nullish() });
export type WaitResult = Answer<typeof WaitResponse>;
const PathStat = z.object({ name: z.string(), size: z.number(), mode: z.number(), mtime: z.string(), linkTarget: z.string() });
export type PathStat = Answer<typeof PathStat>;
const Stats = z.object({
  read: z.string(),
  memory_stats: z.object({ usage: z.number().optional(), limit: z.number().optional() }).optional(),
  cpu_stats: z.object({ cpu_usage: z.object({ total_usage: z.number().optional() }).optional() }).optional(),
  pids_stats: z.object({ current: z.number().optional(), limit: z.number().optional() }).optional(),
});
export type ContainerStats = Answer<typeof Stats>;

/** `already` is true when the engine answered 304: the container was already in that state. */
export interface StateChange { already: boolean }

export interface LogOptions extends StreamOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  since?: number;
  until?: number;
  timestamps?: boolean;
  tail?: number | 'all';
  /** The container's Tty; looked up with an inspect when not given. */
  tty?: boolean;
}

export class Containers {
  constructor(private readonly transport: Transport) {}

  /**
   * POST /containers/create. API versions before 1.44 take a single network at create: there the
   * others are connected right after, so callers can hand over every network on any engine.
   */
  async create(spec: ContainerSpec, options: CallOptions & { name?: string; platform?: string } = {}): Promise<{ Id: string; Warnings?: string[] | null }> {
    const body = checkInput('container spec', ContainerSpec, spec);
    if (options.name !== undefined) checkRef('container', options.name);
    const endpoints = Object.entries(body.NetworkingConfig?.EndpointsConfig ?? {});
    const oneAtCreate = endpoints.length > 1 && compareVersions(await this.transport.apiVersion(options), '1.44') < 0;
    if (oneAtCreate) body.NetworkingConfig = { EndpointsConfig: Object.fromEntries(endpoints.slice(0, 1)) };
    const created = await this.transport.json({
      method: 'POST', path: '/containers/create', query: { name: options.name, platform: options.platform }, json: body,
    }, CreateResponse, options);
    if (oneAtCreate) await this.connectRest(created.Id, endpoints.slice(1), options);
    return created;
  }

  /**
   * The networks API 1.41 could not take at create. A failure removes the container: to the caller
   * the create failed, and a container it never got an id for would be left behind for good.
   */
  private async connectRest(id: string, endpoints: Array<[string, EndpointSettings]>, options: CallOptions): Promise<void> {
    try {
      for (const [network, settings] of endpoints) {
        await this.transport.empty({
          method: 'POST', path: pathOf`/networks/${checkRef('network', network)}/connect`,
          json: { Container: id, EndpointConfig: settings },
        }, options);
      }
    } catch (err) {
      await this.remove(id, { force: true, volumes: true }).catch(() => {});
      throw err;
    }
  }

  /** POST /containers/{id}/start */
  async start(id: string, options: CallOptions = {}): Promise<StateChange> {
    const status = await this.transport.empty({ method: 'POST', path: pathOf`/containers/${checkRef('container', id)}/start`, accept: [304] }, options);
    return { already: status === 304 };
  }

  /**
   * POST /containers/{id}/stop; `grace` is the seconds between the stop signal and SIGKILL.
   * `stopSignal` is the process signal; `signal` stays the AbortSignal every call takes.
   */
  async stop(id: string, options: CallOptions & { grace?: number; stopSignal?: string } = {}): Promise<StateChange> {
    const query: Record<string, number | string | undefined> = { t: options.grace };
    if (options.stopSignal !== undefined) {
      if (compareVersions(await this.transport.apiVersion(options), '1.42') < 0) {
        throw new EngineError('a stop signal needs API 1.42 or newer; use kill', { kind: 'invalid-argument' });
      }
      query.signal = options.stopSignal;
    }
    const status = await this.transport.empty({
      method: 'POST', path: pathOf`/containers/${checkRef('container', id)}/stop`, query, accept: [304],
    }, { ...options, timeout: graceTimeout(options) });
    return { already: status === 304 };
  }

  /** POST /containers/{id}/kill; `killSignal` (SIGKILL by default) is the process signal, as for stop. */
  async kill(id: string, options: CallOptions & { killSignal?: string } = {}): Promise<void> {
    await this.transport.empty({ method: 'POST', path: pathOf`/containers/${checkRef('container', id)}/kill`, query: { signal: options.killSignal } }, options);
  }

  /** POST /containers/{id}/restart */
  async restart(id: string, options: CallOptions & { grace?: number } = {}): Promise<void> {
    await this.transport.empty({
      method: 'POST', path: pathOf`/containers/${checkRef('container', id)}/restart`, query: { t: options.grace },
    }, { ...options, timeout: graceTimeout(options) });
  }

  /**
   * POST /containers/{id}/update: resources and the restart policy of a container, live. The pod
   * runtime uses it to take restarts over from the engine (and hand them back) without recreating.
   */
  async update(id: string, changes: UpdateSpec, options: CallOptions = {}): Promise<{ Warnings?: string[] | null }> {
    const body = checkInput('container update', UpdateSpec, changes);
    return this.transport.json({ method: 'POST', path: pathOf`/containers/${checkRef('container', id)}/update`, json: body }, UpdateResponse, options);
  }

  /** POST /containers/{id}/rename */
  async rename(id: string, name: string, options: CallOptions = {}): Promise<void> {
    await this.transport.empty({ method: 'POST', path: pathOf`/containers/${checkRef('container', id)}/rename`, query: { name: checkRef('container', name) } }, options);
  }

  /** DELETE /containers/{id} */
  async remove(id: string, options: CallOptions & { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.transport.empty({
      method: 'DELETE', path: pathOf`/containers/${checkRef('container', id)}`, query: { force: options.force, v: options.volumes },
    }, options);
  }

  /** GET /containers/{id}/json */
  inspect(id: string, options: CallOptions = {}): Promise<ContainerInspect> {
    // The unchecked part of the type (HostConfig, Mounts, ...) is the API's promise, not ours.
    return this.transport.json({ method: 'GET', path: pathOf`/containers/${checkRef('container', id)}/json` }, ContainerInspect, options) as Promise<ContainerInspect>;
  }

  /** GET /containers/json */
  list(options: CallOptions & { all?: boolean; filters?: Filters; limit?: number } = {}): Promise<ContainerSummary[]> {
    return this.transport.json({
      method: 'GET', path: '/containers/json', query: { all: options.all, limit: options.limit, filters: encodeFilters(options.filters) },
    }, ContainerList, options);
  }

  /**
   * POST /containers/{id}/wait. Resolves once the engine has registered the waiter (it sends the
   * headers first), so a caller that awaits this before `start` cannot miss the exit.
   */
  async wait(id: string, options: StreamOptions & { condition?: 'not-running' | 'next-exit' | 'removed' } = {}): Promise<{ exited: Promise<WaitResult> }> {
    const path = pathOf`/containers/${checkRef('container', id)}/wait`;
    const res = await this.transport.stream({ method: 'POST', path, query: { condition: options.condition } }, options);
    const exited = res.body.json().then((value) => checkAnswer(WaitResponse, value, { method: 'POST', path }), (err) => { throw errorFromCause('POST', path, err, this.transport.address); });
    exited.catch(() => {});
    return { exited };
  }

  /** GET /containers/{id}/logs, demultiplexed unless the container has a TTY. */
  async logs(id: string, options: LogOptions = {}): Promise<Output> {
    checkRef('container', id);
    const tty = options.tty ?? (await this.inspect(id, options)).Config.Tty ?? false;
    const path = pathOf`/containers/${id}/logs`;
    const res = await this.transport.stream({
      method: 'GET', path,
      query: {
        follow: options.follow, stdout: options.stdout ?? true, stderr: options.stderr ?? true,
        since: options.since, until: options.until, timestamps: options.timestamps, tail: options.tail,
      },
    }, options);
    return new Output(res.body, tty, { method: 'GET', path, address: this.transport.address });
  }

  /** POST /containers/{id}/attach over a hijacked connection: write to `stdin`, read `output`. */
  async attach(id: string, options: CallOptions & { stdin?: boolean; logs?: boolean; tty?: boolean } = {}): Promise<{ output: Output; stdin: Duplex }> {
    checkRef('container', id);
    const tty = options.tty ?? (await this.inspect(id, options)).Config.Tty ?? false;
    const path = pathOf`/containers/${id}/attach`;
    const { socket } = await this.transport.upgrade({
      method: 'POST', path, query: { stream: true, stdin: options.stdin, stdout: true, stderr: true, logs: options.logs },
    }, options);
    return { output: new Output(socket, tty, { method: 'POST', path, address: this.transport.address }), stdin: socket };
  }

  /** GET /containers/{id}/stats?stream=false: one sample. */
  stats(id: string, options: CallOptions = {}): Promise<Answer<typeof Stats>> {
    return this.transport.json({
      method: 'GET', path: pathOf`/containers/${checkRef('container', id)}/stats`, query: { stream: false, 'one-shot': true },
    }, Stats, options);
  }

  /** HEAD /containers/{id}/archive: what is at `path` inside the container. */
  async statPath(id: string, path: string, options: CallOptions = {}): Promise<PathStat> {
    const res = await this.transport.send({ method: 'HEAD', path: pathOf`/containers/${checkRef('container', id)}/archive`, query: { path } }, options)
      .catch((err: unknown) => { throw explainHeadError(err, id, path); });
    await res.body.dump();
    return decodePathStat(res.headers['x-docker-container-path-stat']);
  }

  /** GET /containers/{id}/archive: `path` as a tar stream. */
  async getArchive(id: string, path: string, options: StreamOptions = {}): Promise<{ stat: PathStat; tar: Readable }> {
    const res = await this.transport.stream({ method: 'GET', path: pathOf`/containers/${checkRef('container', id)}/archive`, query: { path } }, options);
    return { stat: decodePathStat(res.headers['x-docker-container-path-stat']), tar: res.body };
  }

  /** PUT /containers/{id}/archive: extracts a tar stream into directory `path`. */
  async putArchive(id: string, path: string, tar: Readable | Buffer, options: CallOptions & { noOverwriteDirNonDir?: boolean } = {}): Promise<void> {
    await this.transport.empty({
      method: 'PUT', path: pathOf`/containers/${checkRef('container', id)}/archive`,
      query: { path, noOverwriteDirNonDir: options.noOverwriteDirNonDir }, body: tar,
      headers: { 'content-type': 'application/x-tar' },
    }, options);
  }
}

/**
 * stop and restart block for the whole grace period (the engine's default is 10 s), so the call's
 * own timeout must outlast it unless the caller set one.
 */
function graceTimeout(options: CallOptions & { grace?: number }): number {
  return options.timeout ?? ((options.grace ?? 10) + 60) * 1000;
}

/** A HEAD answer has no body, so the daemon's message is lost: say what a 404 can mean here. */
function explainHeadError(err: unknown, id: string, path: string): unknown {
  if (!(err instanceof EngineError) || err.kind !== 'not-found' || err.daemonMessage) return err;
  return new EngineError(`${err.method} ${err.path}: no container ${JSON.stringify(id)} or no ${JSON.stringify(path)} in it (404)`, {
    kind: 'not-found', method: err.method, path: err.path, status: err.status, cause: err,
  });
}

function decodePathStat(header: string | string[] | undefined): PathStat {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) throw new EngineError('archive answer carried no X-Docker-Container-Path-Stat header', { kind: 'protocol' });
  return checkAnswer(PathStat, JSON.parse(Buffer.from(value, 'base64').toString('utf8')), { method: 'HEAD', path: 'X-Docker-Container-Path-Stat' });
}
