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
   * GET /events as an async iterator. Without `until` it never ends by itself: stop it with the
   * signal or by breaking out of the loop (either closes its connection). No idle timeout unless
   * asked: a quiet engine is normal. The request goes out on the first `next()`, so pass `since`
   * to be sure of events that happen before the loop starts.
   */
  async *events(options: StreamOptions & { filters?: Filters; since?: number; until?: number } = {}): AsyncGenerator<EngineEvent> {
    const res = await this.transport.stream({
      method: 'GET', path: '/events', query: { since: options.since, until: options.until, filters: encodeFilters(options.filters) },
    }, options);
    try {
      for await (const value of jsonLines(res.body)) yield checkAnswer(EngineEvent, value, EVENTS);
    } catch (err) {
      // undici ends the body with the signal's reason, which may be any value the caller chose.
      if (options.signal?.aborted) throw new EngineError('GET /events: aborted', { kind: 'aborted', method: 'GET', path: '/events', cause: options.signal.reason });
      throw errorFromCause('GET', '/events', err, this.transport.address);
    } finally {
      res.body.destroy();
    }
  }
}
