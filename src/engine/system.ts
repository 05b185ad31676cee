import type { Readable } from 'node:stream';
import { z } from 'zod';
import { checkAnswer, StringMap, type Answer } from './answer.js';
import { EngineError, errorFromCause } from './errors.js';
import { encodeFilters, type Filters } from './filters.js';
import { jsonLines } from './streams/json-lines.js';
import type { CallOptions, StreamOptions, Transport } from './transport.js';

export const VersionInfo = z.object({
  Version: z.string(),
  ApiVersion: z.string(),
  MinAPIVersion: z.string().optional(),
  Os: z.string(),
  Arch: z.string(),
  KernelVersion: z.string().optional(),
});
export type VersionInfo = Answer<typeof VersionInfo>;

export const SystemInfo = z.object({
  ID: z.string().optional(),
  Name: z.string().optional(),
  ServerVersion: z.string().optional(),
  Containers: z.number().optional(),
  Images: z.number().optional(),
  Driver: z.string().optional(),
  NCPU: z.number().optional(),
  MemTotal: z.number().optional(),
  CgroupVersion: z.string().optional(),
  SecurityOptions: z.array(z.string()).nullish(),
  OSType: z.string().optional(),
  Architecture: z.string().optional(),
  /** The daemon's `--label`s, each `key=value`; null when it has none. */
  Labels: z.array(z.string()).nullish(),
  /** Swarm membership: `LocalNodeState` is `inactive` on an engine in no swarm. */
  Swarm: z.object({
    NodeID: z.string().optional(),
    LocalNodeState: z.string().optional(),
    ControlAvailable: z.boolean().optional(),
    RemoteManagers: z.array(z.object({ NodeID: z.string().optional(), Addr: z.string().optional() })).nullish(),
  }).optional(),
});
export type SystemInfo = Answer<typeof SystemInfo>;

export const EngineEvent = z.object({
  Type: z.string(),
  Action: z.string(),
  Actor: z.object({ ID: z.string(), Attributes: StringMap.nullish() }),
  scope: z.string().optional(),
  time: z.number(),
  timeNano: z.number(),
});
export type EngineEvent = Answer<typeof EngineEvent>;
const EVENTS = { method: 'GET', path: '/events' };

export interface Ping {
  apiVersion: string | undefined;
  osType: string | undefined;
  experimental: boolean;
  server: string | undefined;
}

export class System {
  constructor(private readonly transport: Transport) {}

  /** GET /_ping (unversioned). Its headers are all optional: never assume they are present. */
  async ping(options: CallOptions = {}): Promise<Ping> {
    const res = await this.transport.send({ method: 'GET', path: '/_ping', unversioned: true }, options);
    await res.body.dump();
    const header = (name: string) => { const v = res.headers[name]; return Array.isArray(v) ? v[0] : v; };
    return {
      apiVersion: header('api-version'),
      osType: header('ostype'),
      experimental: header('docker-experimental') === 'true',
      server: header('server'),
    };
  }

  /** GET /version */
  version(options: CallOptions = {}): Promise<VersionInfo> {
    return this.transport.json({ method: 'GET', path: '/version' }, VersionInfo, options);
  }

  /** GET /info */
  info(options: CallOptions = {}): Promise<SystemInfo> {
    return this.transport.json({ method: 'GET', path: '/info' }, SystemInfo, options);
  }

  /**
   * GET /events. Resolves once the engine has answered (status and headers), to the stream of
   * events from then on; an error answer (400 for `since` after `until`) rejects it. So a watcher
   * can subscribe, then relist, and what changes after the relist reaches it. One caveat, read in
   * moby's getEvents (20.10 through 29): the engine flushes the headers just before it subscribes,
   * a window of microseconds. `since` closes it: the engine then first replays its log of recent
   * events from that time, taken under the lock that subscribes (20.10 may send an event on the
   * edge twice, never not at all). Without `until` the stream never ends by itself: stop it with
   * the signal, `close()` or by breaking out of the loop (each closes its connection). No idle
   * timeout unless asked: a quiet engine is normal.
   */
  async events(options: EventsOptions = {}): Promise<EventStream> {
    const res = await this.transport.stream({
      method: 'GET', path: '/events', query: { since: options.since, until: options.until, filters: encodeFilters(options.filters) },
    }, options);
    return new EventStream(res.body, options.signal, this.transport.address);
  }
}

export interface EventsOptions extends StreamOptions {
  filters?: Filters;
  /** Unix seconds (fractions allowed): events from then on, replayed from the engine's log (its last 256). */
  since?: number;
  /** Unix seconds: the stream ends once the engine's clock passes it. */
  until?: number;
}

/** A subscription the engine has answered: iterate it once for its events. */
export class EventStream implements AsyncIterable<EngineEvent> {
  private closed = false;

  constructor(private readonly body: Readable, private readonly signal: AbortSignal | undefined, private readonly address: string) {}

  async *[Symbol.asyncIterator](): AsyncIterator<EngineEvent> {
    try {
      for await (const value of jsonLines(this.body)) yield checkAnswer(EngineEvent, value, EVENTS);
    } catch (err) {
      // close() while a read was pending: the caller asked for the end, it is not a failure.
      if (this.closed) return;
      // undici ends the body with the signal's reason, which may be any value the caller chose.
      if (this.signal?.aborted) throw new EngineError('GET /events: aborted', { kind: 'aborted', method: 'GET', path: '/events', cause: this.signal.reason });
      throw errorFromCause('GET', '/events', err, this.address);
    } finally {
      this.body.destroy();
    }
  }

  /** Stops the subscription and releases its connection; a loop reading it ends quietly. */
  close(): void {
    this.closed = true;
    this.body.destroy();
  }
}
