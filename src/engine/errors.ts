import { PodlingError } from '../errors.js';

/**
 * Every failure the engine client reports is an EngineError with a `kind`. The kind is decided in
 * exactly one place (kindForStatus / kindForCause below) so callers can branch on it and never on
 * message text — the same design as moby's errdefs.
 */
export type EngineErrorKind =
  | 'not-found'
  | 'conflict'
  | 'invalid-argument'
  | 'unauthorized'
  | 'forbidden'
  | 'server'
  | 'unavailable'
  | 'timeout'
  | 'aborted'
  | 'protocol'
  | 'stream';

export interface EngineErrorDetails {
  kind: EngineErrorKind;
  method?: string;
  path?: string;
  status?: number;
  /** What the daemon itself said, verbatim, when it said anything. */
  daemonMessage?: string;
  cause?: unknown;
}

export class EngineError extends PodlingError<EngineErrorKind> {
  override readonly name = 'EngineError';
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly status: number | undefined;
  readonly daemonMessage: string | undefined;

  constructor(message: string, details: EngineErrorDetails) {
    super(details.kind, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.daemonMessage = details.daemonMessage;
  }
}

export function isEngineError(err: unknown, kind?: EngineErrorKind): err is EngineError {
  return err instanceof EngineError && (kind === undefined || err.kind === kind);
}

export const isNotFound = (err: unknown): err is EngineError => isEngineError(err, 'not-found');
export const isConflict = (err: unknown): err is EngineError => isEngineError(err, 'conflict');

export function kindForStatus(status: number): EngineErrorKind {
  if (status === 400) return 'invalid-argument';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status >= 500) return 'server';
  return 'protocol';
}

/**
 * Podman's Docker-compatible API answers 500 where dockerd answers 409 for a name already taken or
 * an object in the wrong state, and names libpod's error in a `cause` field beside the message.
 * These causes are conflicts whatever the status (docs/engine-behaviour.md, "Podman 4.3").
 */
const PODMAN_CONFLICT_CAUSES = new Set([
  'that name is already in use',
  'container already exists',
  'pod already exists',
  'network already exists',
  'volume already exists',
  'container state improper',
  'volume is being used',
  'container has dependent containers which must be removed before it',
]);

/** The kind of an error answer: Docker's status, or what Podman's `cause` says it is. */
export function kindForAnswer(status: number, cause: string | undefined): EngineErrorKind {
  if (cause !== undefined && PODMAN_CONFLICT_CAUSES.has(cause)) return 'conflict';
  return kindForStatus(status);
}

/** An HTTP error answer from the daemon, carrying its `{"message": ...}` text. */
export function errorFromResponse(method: string, path: string, status: number, body: string): EngineError {
  const daemonMessage = parseDaemonMessage(body);
  const kind = kindForAnswer(status, parseCause(body));
  return new EngineError(`${method} ${path}: ${daemonMessage || `HTTP ${status}`} (${status})`, {
    kind, method, path, status, daemonMessage,
  });
}

function parseDaemonMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: some proxies and old daemons answer in plain text
  }
  return body.trim();
}

/** The `code` of the error that ends an ssh:// connection whose ssh failed (ssh-connector.ts). */
export const SSH_FAILED = 'PODLING_SSH_FAILED';
/** Podman's `{"cause": ...}`: libpod's own error, without the context the message adds. */
function parseCause(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { cause?: unknown };
    return typeof parsed.cause === 'string' ? parsed.cause : undefined;
  } catch {
    return undefined;
  }
}

const UNAVAILABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** Turns a transport failure (not an HTTP answer) into an EngineError. */
export function errorFromCause(method: string, path: string, cause: unknown, address: string): EngineError {
  if (cause instanceof EngineError) return cause;
  const code = findCode(cause);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return new EngineError(`${method} ${path}: timed out waiting for the engine at ${address}`, { kind: 'timeout', method, path, cause });
  }
  // AbortSignal.timeout() aborts with a DOMException named TimeoutError.
  if ((cause as Error)?.name === 'TimeoutError') {
    return new EngineError(`${method} ${path}: timed out waiting for the engine at ${address}`, { kind: 'timeout', method, path, cause });
  }
  if (code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED' || (cause as Error)?.name === 'AbortError') {
    return new EngineError(`${method} ${path}: aborted`, { kind: 'aborted', method, path, cause });
  }
  if (code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED') {
    return new EngineError(`${method} ${path}: this Engine was closed (engine.close()); a closed Engine sends nothing`, { kind: 'unavailable', method, path, cause });
  }
  if (code === SSH_FAILED) {
    // ssh's own words (host refused, key refused, no docker there) are the message.
    return new EngineError(`engine unavailable: ${messageOf(cause, SSH_FAILED)} (${method} ${path})`, { kind: 'unavailable', method, path, cause });
  }
  if (code && UNAVAILABLE_CODES.has(code)) {
    return new EngineError(`${unavailableHint(code, address)} (${method} ${path})`, { kind: 'unavailable', method, path, cause });
  }
  const text = cause instanceof Error ? cause.message : String(cause);
  return new EngineError(`${method} ${path}: ${text}`, { kind: 'protocol', method, path, cause });
}

function unavailableHint(code: string, address: string): string {
  if (code === 'ENOENT') return `engine unavailable: socket ${address} not found. Is the Docker daemon running? (set DOCKER_HOST to use another engine)`;
  if (code === 'EACCES') return `engine unavailable: permission denied on ${address}. Run as root or join the docker group`;
  if (code === 'ECONNREFUSED') return `engine unavailable: connection refused at ${address}. Is the Docker daemon running and listening there?`;
  return `engine unavailable: cannot reach ${address} (${code}). Is the Docker daemon running?`;
}

function messageOf(err: unknown, code: string): string {
  for (let e: any = err, depth = 0; e && depth < 5; e = e.cause, depth++) {
    if (e.code === code) return String(e.message);
  }
  return String(err);
}

function findCode(err: unknown): string | undefined {
  for (let e: any = err, depth = 0; e && depth < 5; e = e.cause, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}
