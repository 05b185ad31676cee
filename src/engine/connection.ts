import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Connections } from './connections.js';
import { EngineError } from './errors.js';
import { checkInput } from './names.js';

/** Where the engine is. Explicit options beat the docker CLI's environment variables. */
export const ConnectionOptions = z.strictObject({
  socketPath: z.string().min(1).optional(),
  /** `unix:///path`, `tcp://host:port` or `https://host:port`, as DOCKER_HOST takes. */
  host: z.string().min(1).optional(),
  tls: z.strictObject({
    ca: z.union([z.string(), z.instanceof(Buffer)]).optional(),
    cert: z.union([z.string(), z.instanceof(Buffer)]).optional(),
    key: z.union([z.string(), z.instanceof(Buffer)]).optional(),
    verify: z.boolean().optional(),
  }).optional(),
});
export type ConnectionOptions = z.infer<typeof ConnectionOptions>;

export interface Endpoint {
  /** Human-readable address for error messages: the socket path or host:port. */
  address: string;
  /**
   * Several connections, not a single Client: one undici Client is one connection, and a
   * long-lived stream (events, logs --follow, wait) would hold every other call behind it.
   */
  client: Connections;
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';

export function connect(options: ConnectionOptions = {}, env: NodeJS.ProcessEnv = process.env): Endpoint {
  const opts = checkInput('connection options', ConnectionOptions, options);
  if (opts.socketPath) return unixEndpoint(opts.socketPath);
  const host = opts.host ?? env.DOCKER_HOST;
  if (!host) return unixEndpoint(DEFAULT_SOCKET);
  if (host.startsWith('/')) return unixEndpoint(host);
  if (host.startsWith('unix://') && host.length > 'unix://'.length) return unixEndpoint(host.slice('unix://'.length));
  const match = /^(tcp|https?):\/\/([^/]+?)(?::(\d+))?\/?$/.exec(host);
  if (!match) {
    throw new EngineError(`unsupported DOCKER_HOST "${host}": use unix:///path/to/docker.sock or tcp://host:port`, { kind: 'invalid-argument' });
  }
  const [, scheme, hostname, port] = match;
  const tls = opts.tls ?? tlsFromEnv(env);
  const secure = scheme === 'https' || tls !== undefined;
  const address = `${hostname}:${port ?? (secure ? 2376 : 2375)}`;
  const origin = `${secure ? 'https' : 'http'}://${address}`;
  const client = new Connections(origin, {
    connect: secure ? { ca: tls?.ca, cert: tls?.cert, key: tls?.key, rejectUnauthorized: tls?.verify ?? true } : undefined,
    ...CLIENT_DEFAULTS,
  });
  return { address, client };
}

function unixEndpoint(socketPath: string): Endpoint {
  // The origin is never contacted by name over a Unix socket; "localhost" keeps the Host header
  // valid for the daemon's HTTP parser.
  return { address: socketPath, client: new Connections('http://localhost', { socketPath, ...CLIENT_DEFAULTS }) };
}

// Timeouts are applied per request by the transport, so the client-wide ones are switched off:
// a quiet `events` stream must not be killed by undici's default 300 s body timeout.
const CLIENT_DEFAULTS = { headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000 } as const;

/** DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, read the way the docker CLI reads them. */
function tlsFromEnv(env: NodeJS.ProcessEnv): ConnectionOptions['tls'] {
  if (!env.DOCKER_TLS_VERIFY && !env.DOCKER_TLS) return undefined;
  const dir = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  const read = (name: string) => {
    try { return readFileSync(join(dir, name)); } catch { return undefined; }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem'), verify: Boolean(env.DOCKER_TLS_VERIFY) };
}
