import type { Duplex, Readable } from 'node:stream';
import { z } from 'zod';
import { ContainerSpec, type EndpointSettings } from './container-spec.js';
import { EngineError, errorFromCause } from './errors.js';
import { encodeFilters, type Filters } from './filters.js';
import { checkInput, checkRef, pathOf } from './names.js';
import { Output } from './streams/output.js';
import { compareVersions, type CallOptions, type StreamOptions, type Transport } from './transport.js';

const Labels = z.record(z.string(), z.string()).nullish();

export const ContainerState = z.looseObject({
  Status: z.string(),
  Running: z.boolean(),
  Paused: z.boolean().optional(),
  Restarting: z.boolean().optional(),
  OOMKilled: z.boolean().optional(),
  Dead: z.boolean().optional(),
  Pid: z.number().optional(),
  ExitCode: z.number().optional(),
  Error: z.string().optional(),
  StartedAt: z.string().optional(),
  FinishedAt: z.string().optional(),
});

const NetworkEndpoint = z.looseObject({
  NetworkID: z.string().optional(),
  EndpointID: z.string().optional(),
  IPAddress: z.string().optional(),
  Gateway: z.string().optional(),
  MacAddress: z.string().optional(),
  Aliases: z.array(z.string()).nullish(),
});

export const ContainerInspect = z.looseObject({
  Id: z.string(),
  Name: z.string(),
  Created: z.string(),
  Image: z.string(),
  RestartCount: z.number().optional(),
  State: ContainerState,
  Config: z.looseObject({
    Image: z.string().optional(),
    Hostname: z.string().optional(),
    Tty: z.boolean().optional(),
    Env: z.array(z.string()).nullish(),
    Cmd: z.array(z.string()).nullish(),
    Labels,
  }),
  HostConfig: z.looseObject({
    NetworkMode: z.string().optional(),
    IpcMode: z.string().optional(),
    NanoCpus: z.number().optional(),
    CpuShares: z.number().optional(),
    CpuQuota: z.number().optional(),
    CpuPeriod: z.number().optional(),
    Memory: z.number().optional(),
    MemorySwap: z.number().optional(),
    PidsLimit: z.number().nullish(),
    PortBindings: z.record(z.string(), z.array(z.looseObject({ HostIp: z.string().optional(), HostPort: z.string().optional() })).nullish()).nullish(),
    Init: z.boolean().nullish(),
    Tmpfs: z.record(z.string(), z.string()).nullish(),
    Binds: z.array(z.string()).nullish(),
    Mounts: z.array(z.looseObject({ Type: z.string(), Source: z.string().optional(), Target: z.string() })).nullish(),
    ExtraHosts: z.array(z.string()).nullish(),
    Dns: z.array(z.string()).nullish(),
    CapAdd: z.array(z.string()).nullish(),
    CapDrop: z.array(z.string()).nullish(),
    ReadonlyRootfs: z.boolean().optional(),
    SecurityOpt: z.array(z.string()).nullish(),
    RestartPolicy: z.looseObject({ Name: z.string(), MaximumRetryCount: z.number().optional() }).optional(),
  }),
  Mounts: z.array(z.looseObject({ Type: z.string(), Name: z.string().optional(), Source: z.string().optional(), Destination: z.string() })).nullish(),
  NetworkSettings: z.looseObject({
    IPAddress: z.string().optional(),
    Ports: z.record(z.string(), z.array(z.looseObject({ HostIp: z.string(), HostPort: z.string() })).nullish()).nullish(),
    Networks: z.record(z.string(), NetworkEndpoint).nullish(),
  }),
});
export type ContainerInspect = z.infer<typeof ContainerInspect>;

export const ContainerSummary = z.looseObject({
  Id: z.string(),
  Names: z.array(z.string()),
  Image: z.string(),
  State: z.string(),
  Status: z.string().optional(),
  Created: z.number(),
  Labels,
  NetworkSettings: z.looseObject({ Networks: z.record(z.string(), NetworkEndpoint).nullish() }).nullish(),
});
export type ContainerSummary = z.infer<typeof ContainerSummary>;
// Built once: a schema made per call costs tens of microseconds, a sizeable part of a local call.
const ContainerList = z.array(ContainerSummary);

const CreateResponse = z.looseObject({ Id: z.string(), Warnings: z.array(z.string()).nullish() });
const WaitResponse = z.looseObject({ StatusCode: z.number(), Error: z.looseObject({ Message: z.string().optional() }).nullish() });
export type WaitResult = z.infer<typeof WaitResponse>;
const PathStat = z.looseObject({ name: z.string(), size: z.number(), mode: z.number(), mtime: z.string(), linkTarget: z.string() });
export type PathStat = z.infer<typeof PathStat>;
const Stats = z.looseObject({
  read: z.string(),
  memory_stats: z.looseObject({ usage: z.number().optional(), limit: z.number().optional() }).optional(),
  cpu_stats: z.looseObject({ cpu_usage: z.looseObject({ total_usage: z.number().optional() }).optional() }).optional(),
  pids_stats: z.looseObject({ current: z.number().optional(), limit: z.number().optional() }).optional(),
});
export type ContainerStats = z.infer<typeof Stats>;

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

  /** DELETE /containers/{id} */
  async remove(id: string, options: CallOptions & { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.transport.empty({
      method: 'DELETE', path: pathOf`/containers/${checkRef('container', id)}`, query: { force: options.force, v: options.volumes },
    }, options);
  }

  /** GET /containers/{id}/json */
  inspect(id: string, options: CallOptions = {}): Promise<ContainerInspect> {
    return this.transport.json({ method: 'GET', path: pathOf`/containers/${checkRef('container', id)}/json` }, ContainerInspect, options);
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
    const exited = res.body.json().then((value) => WaitResponse.parse(value), (err) => { throw errorFromCause('POST', path, err, this.transport.address); });
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
  stats(id: string, options: CallOptions = {}): Promise<z.infer<typeof Stats>> {
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
  return PathStat.parse(JSON.parse(Buffer.from(value, 'base64').toString('utf8')));
}
