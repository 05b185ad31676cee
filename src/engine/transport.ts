import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Connections } from './connections.js';
import type { z } from 'zod';
import { checkAnswer, type Answer } from './answer.js';
import { EngineError, errorFromCause, errorFromResponse, isEngineError } from './errors.js';
import type { Endpoint } from './connection.js';

/** Options every engine call takes. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Milliseconds for the whole call; 0 disables it. Streaming calls use it up to the headers. */
  timeout?: number;
  /**
   * The request or its answer carries a Secret's values: sent with SENSITIVE_HEADER, which the
   * engine ignores and Podling's fixture recorder honours (it never writes such values).
   */
  sensitive?: boolean;
}

/** See CallOptions.sensitive; src/testing/sensitive.ts is its reader. */
export const SENSITIVE_HEADER = 'x-podling-sensitive';

export interface StreamOptions extends CallOptions {
  /** Milliseconds without data after which a stream fails; 0 (the default) never. */
  idleTimeout?: number;
}

export type QueryValue = string | number | boolean | undefined | null | Record<string, unknown> | string[];

export interface EngineRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, QueryValue>;
  /** A JSON body; mutually exclusive with `body`. */
  json?: unknown;
  body?: Buffer | Readable | AsyncIterable<Uint8Array>;
  headers?: Record<string, string>;
  /** Status codes that are answers, not failures (304 on start/stop). 2xx always are. */
  accept?: number[];
  /** `/_ping` and friends are served without the version prefix. */
  unversioned?: boolean;
}

export interface EngineResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData['body'];
}

export const MIN_API_VERSION = '1.41';
export const MAX_API_VERSION = '1.55';
const DEFAULT_TIMEOUT = 60_000;
const ERROR_BODY_CAP = 64 * 1024;

export interface TransportOptions {
  /** Pin the API version (skips negotiation); DOCKER_API_VERSION does the same. */
  apiVersion?: string;
  /** Default per-call timeout in ms. */
  timeout?: number;
}

/**
 * The one place that talks to undici: version prefix, query and JSON encoding, timeouts and
 * aborts, error mapping, and draining bodies so keep-alive connections are reused.
 */
export class Transport {
  readonly address: string;
  readonly client: Connections;
  private pinned: string | undefined;
  private negotiation: Negotiation | undefined;
  /** The version once known: read without an await on every call after the first. */
  private settled: string | undefined;
  /** Whether the ping came from Podman (its Libpod-Api-Version header): see flavour(). */
  private libpod = false;
  private readonly defaultTimeout: number;

  constructor(endpoint: Endpoint, options: TransportOptions = {}, env: NodeJS.ProcessEnv = process.env) {
    this.address = endpoint.address;
    this.client = endpoint.client;
    this.pinned = options.apiVersion ?? (env.DOCKER_API_VERSION || undefined);
    this.defaultTimeout = options.timeout ?? DEFAULT_TIMEOUT;
  }

  /**
   * The API version used for every call: lazily negotiated once from `/_ping`'s Api-Version
   * (downgrade only), shared by concurrent first calls, and forgotten on failure so a later call
   * can retry once the engine is up.
   */
  async apiVersion(options: CallOptions = {}): Promise<string> {
    for (;;) {
      // Every versioned call passes here before it connects: one aborted already must not connect.
      if (options.signal?.aborted) throw aborted(options.signal, 'before any request was sent');
      if (this.pinned) return checkPinned(this.pinned);
      const attempt = (this.negotiation ??= this.startNegotiation(options));
      try {
        return await untilAborted(attempt.version, options.signal);
      } catch (err) {
        // The shared ping ran under its first caller's signal and timeout. When those ended it, the
        // engine said nothing: the other callers ping again under their own.
        if (attempt.owner === options || !(isEngineError(err, 'aborted') || isEngineError(err, 'timeout'))) throw err;
      }
    }
  }

  private startNegotiation(owner: CallOptions): Negotiation {
    const version = this.negotiate(owner).then((v) => (this.settled = v), (err: unknown) => {
      this.negotiation = undefined;
      throw err;
    });
    return { version, owner };
  }

  private async negotiate(options: CallOptions): Promise<string> {
    const res = await this.send({ method: 'GET', path: '/_ping', unversioned: true }, options);
    await res.body.dump();
    this.libpod = headerValue(res.headers['libpod-api-version']) !== undefined;
    const server = headerValue(res.headers['api-version']);
    // No header (a proxy, an odd engine) or one we cannot read: the oldest version we support is
    // the one most likely to be understood; a newer engine still serves it.
    if (!server || !API_VERSION.test(server)) return MIN_API_VERSION;
    if (compareVersions(server, MIN_API_VERSION) < 0) {
      throw new EngineError(`engine at ${this.address} speaks API ${server}; Podling needs ${MIN_API_VERSION} or newer`, { kind: 'server' });
    }
    return compareVersions(server, MAX_API_VERSION) < 0 ? server : MAX_API_VERSION;
  }

  /**
   * Which engine answers: Podman's compatible API names itself in the ping's Libpod-Api-Version
   * header, which Podling reads from the negotiation ping (no request of its own). A pinned version
   * skips the ping, and the engine is then taken to be Docker's.
   */
  async flavour(options: CallOptions = {}): Promise<EngineFlavour> {
    await this.apiVersion(options);
    return this.libpod ? 'podman' : 'docker';
  }

  /** Sends a request and returns the response once its headers arrived; rejects on error statuses. */
  async send(req: EngineRequest, options: StreamOptions = {}, streaming = false): Promise<EngineResponse> {
    if (options.signal?.aborted) throw this.failure(req, options.signal.reason, options);
    const path = req.unversioned ? req.path : `/v${this.settled ?? await this.apiVersion(options)}${req.path}`;
    const timeout = options.timeout ?? this.defaultTimeout;
    const headers: Record<string, string> = { ...req.headers, ...(options.sensitive && { [SENSITIVE_HEADER]: '1' }) };
    let body: EngineRequest['body'] | string | undefined = req.body;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }
    let res: Dispatcher.ResponseData;
    try {
      // undici's own timers bound the call: an AbortController and a timer of our own per call
      // cost more than the request itself on a local socket. For a plain call the body timeout is
      // the same bound; for a stream it is the idle timeout, off unless asked for. undici's timers
      // tick about once a second, so a sub-second timeout gets a precise timer of its own.
      res = await this.client.request({
        method: req.method,
        path: path + queryString(req.query),
        headers,
        body: body as Dispatcher.RequestOptions['body'],
        signal: timeout > 0 && timeout < 1000 ? withDeadline(options.signal, timeout) : options.signal,
        headersTimeout: timeout,
        bodyTimeout: streaming ? (options.idleTimeout ?? 0) : timeout,
      });
    } catch (err) {
      throw this.failure(req, err, options);
    }
    if (res.statusCode >= 400 || (res.statusCode >= 300 && !req.accept?.includes(res.statusCode))) {
      const text = await readCapped(res.body, ERROR_BODY_CAP).catch(() => '');
      throw errorFromResponse(req.method, req.path, res.statusCode, text);
    }
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  /** A transport failure as an EngineError; an abort by the caller is always kind `aborted`. */
  failure(req: Pick<EngineRequest, 'method' | 'path'>, err: unknown, options: CallOptions): EngineError {
    if (options.signal?.aborted) {
      return new EngineError(`${req.method} ${req.path}: aborted`, { kind: 'aborted', method: req.method, path: req.path, cause: options.signal.reason });
    }
    return errorFromCause(req.method, req.path, err, this.address);
  }

  /** A call answered with JSON: the engine's own object, checked against `schema` (see answer.ts). */
  async json<S extends z.ZodType>(req: EngineRequest, schema: S, options: CallOptions = {}): Promise<Answer<S>> {
    const res = await this.send(req, options);
    let value: unknown;
    try {
      value = await res.body.json();
    } catch (err) {
      throw this.failure(req, err, options);
    }
    return checkAnswer(schema, value, { method: req.method, path: req.path, status: res.status });
  }

  /** A call whose body does not matter; returns the status (so 304 can be told from 204). */
  async empty(req: EngineRequest, options: CallOptions = {}): Promise<number> {
    const res = await this.send(req, options);
    try {
      await res.body.dump({ limit: ERROR_BODY_CAP });
    } catch (err) {
      throw this.failure(req, err, options);
    }
    return res.status;
  }

  /** A call whose body is a stream; the request timeout covers only the wait for headers. */
  stream(req: EngineRequest, options: StreamOptions = {}): Promise<EngineResponse> {
    return this.send(req, options, true);
  }

  /**
   * A hijacked connection (exec start, attach). undici's `upgrade()` drops the daemon's answer on
   * a non-101 status, so this dispatches by hand: a 404 still reaches the caller with its message.
   */
  async upgrade(req: EngineRequest, options: CallOptions = {}): Promise<{ socket: Duplex; headers: IncomingHttpHeaders }> {
    const path = `/v${await this.apiVersion(options)}${req.path}` + queryString(req.query);
    const timeout = options.timeout ?? this.defaultTimeout;
    return new Promise((resolve, reject) => {
      let status = 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const fail = (err: unknown) => reject(this.failure(req, err, options));
      if (options.signal?.aborted) return fail(options.signal.reason);
      this.client.dispatch({
        method: req.method as Dispatcher.HttpMethod,
        path,
        headers: { 'content-type': 'application/json', ...req.headers },
        body: req.json === undefined ? undefined : JSON.stringify(req.json),
        upgrade: 'tcp',
        headersTimeout: timeout,
      }, {
        onRequestStart(controller) {
          options.signal?.addEventListener('abort', () => controller.abort(options.signal!.reason), { once: true });
        },
        onRequestUpgrade(_controller, _status, headers, socket) {
          resolve({ socket, headers: headers as IncomingHttpHeaders });
        },
        onResponseStart(_controller, statusCode) { status = statusCode; },
        onResponseData(_controller, chunk) {
          if (size < ERROR_BODY_CAP) { chunks.push(chunk); size += chunk.length; }
        },
        onResponseEnd() {
          const text = Buffer.concat(chunks).toString('utf8');
          reject(status >= 400
            ? errorFromResponse(req.method, req.path, status, text)
            : new EngineError(`${req.method} ${req.path}: expected a hijacked connection, got HTTP ${status}`, { kind: 'protocol', method: req.method, path: req.path, status }));
        },
        onResponseError(_controller, err) { fail(err); },
      });
    });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** The engines whose differences Podling works around where they cannot be told apart from the answers. */
export type EngineFlavour = 'docker' | 'podman';

/** A negotiation in flight, and the call options its ping runs under. */
interface Negotiation {
  version: Promise<string>;
  owner: CallOptions;
}

const API_VERSION = /^\d+\.\d+$/;

/** A pinned version goes into every path as is: `v1.41` or `1.41 ` would make every call a 404. */
function checkPinned(version: string): string {
  if (!API_VERSION.test(version)) {
    throw new EngineError(`invalid API version ${JSON.stringify(version)} (from the apiVersion option or DOCKER_API_VERSION): expected MAJOR.MINOR, e.g. 1.41`, { kind: 'invalid-argument' });
  }
  return version;
}

function aborted(signal: AbortSignal, when: string): EngineError {
  return new EngineError(`aborted ${when}`, { kind: 'aborted', cause: signal.reason });
}

/** Waits on a promise other callers share, but lets this caller's own signal end its wait. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(aborted(signal, 'while negotiating the API version'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The caller's signal joined with a precise deadline whose reason reads as a timeout. */
function withDeadline(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const deadline = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, deadline]) : deadline;
}

export function compareVersions(a: string, b: string): number {
  // parseInt, not Number: a part that is not a number counts as 0 instead of poisoning the sum.
  const [aMajor = 0, aMinor = 0] = a.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const [bMajor = 0, bMinor = 0] = b.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return aMajor - bMajor || aMinor - bMinor;
}

export function queryString(query: EngineRequest['query']): string {
  if (!query) return '';
  // Built by hand: URLSearchParams cost several microseconds a call. Lists repeat the key
  // (`changes=a&changes=b`); maps such as filters travel as JSON.
  let text = '';
  const add = (key: string, value: string) => { text += `${text ? '&' : '?'}${encodeURIComponent(key)}=${encodeURIComponent(value)}`; };
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) add(key, item);
    else add(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  return text;
}

async function readCapped(body: Readable, cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= cap) { body.destroy(); break; }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, cap);
}
