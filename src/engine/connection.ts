import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Client } from 'undici';
import { Connections } from './connections.js';
import { currentContextIn, dockerConfigDir, readContext, type StoredContext } from './context-store.js';
import { chooseEngine } from './engine-choice.js';
import { EngineError } from './errors.js';
import { checkInput } from './names.js';
import { parseEngineAddress } from './engine-address.js';
import { describeSshTarget, sshArgv, type SshOptions, type SshTarget } from './ssh-address.js';
import { sshConnector } from './ssh-connector.js';

type UndiciClientOptions = Client.Options;

/**
 * Where the engine is: an address or a docker context, chosen as the docker CLI chooses
 * (engine-choice.ts). Explicit options play the CLI's flags and beat its environment variables.
 */
export const ConnectionOptions = z.strictObject({
  socketPath: z.string().min(1).optional(),
  /** `unix:///path`, `tcp://host:port`, `https://host:port` or `ssh://[user@]host[:port][/socket]`, as DOCKER_HOST takes. */
  host: z.string().min(1).optional(),
  /** A docker context by name (`docker context ls`), as `docker --context`; `default` is the environment. */
  context: z.string().min(1).optional(),
  tls: z.strictObject({
    ca: z.union([z.string(), z.instanceof(Buffer)]).optional(),
    cert: z.union([z.string(), z.instanceof(Buffer)]).optional(),
    key: z.union([z.string(), z.instanceof(Buffer)]).optional(),
    verify: z.boolean().optional(),
  }).optional(),
  /** For ssh:// addresses; PODLING_SSH_IDENTITY and PODLING_SSH_CONFIG give the first two. */
  ssh: z.strictObject({
    identityFile: z.string().min(1).optional(),
    configFile: z.string().min(1).optional(),
    options: z.array(z.string().min(1)).optional(),
  }).optional(),
});
export type ConnectionOptions = z.infer<typeof ConnectionOptions>;

export interface Endpoint {
  /** Human-readable address for error messages: the socket path, host:port or ssh:// URL. */
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
  const configDir = dockerConfigDir(env);
  // socketPath plays the host flag: with a context it is the same conflict, and it needs no choice.
  const choice = chooseEngine({ host: opts.socketPath ?? opts.host, context: opts.context }, env, () => currentContextIn(configDir));
  if (opts.socketPath) return unixEndpoint(opts.socketPath);
  const ssh = { identityFile: env.PODLING_SSH_IDENTITY || undefined, configFile: env.PODLING_SSH_CONFIG || undefined, ...opts.ssh };
  if (choice.kind === 'address') return addressEndpoint(choice.host ?? DEFAULT_SOCKET, () => opts.tls ?? tlsFromEnv(env), ssh);
  // A context carries its own TLS material; DOCKER_TLS_VERIFY and DOCKER_CERT_PATH are the
  // default context's, as in the CLI.
  const context = readContext(configDir, choice.name, choice.from);
  return addressEndpoint(context.host ?? DEFAULT_SOCKET, () => opts.tls ?? contextTls(context), ssh);
}

function addressEndpoint(host: string, tlsFor: () => ConnectionOptions['tls'], ssh: SshOptions): Endpoint {
  const address = parseEngineAddress(host);
  if (address.scheme === 'unix') return unixEndpoint(address.path);
  if (address.scheme === 'ssh') return sshEndpoint(address.target, ssh);
  const { scheme, hostname, port } = address;
  const tls = tlsFor();
  const secure = scheme === 'https' || tls !== undefined;
  const hostPort = `${hostname}:${port ?? (secure ? 2376 : 2375)}`;
  const origin = `${secure ? 'https' : 'http'}://${hostPort}`;
  const client = new Connections(origin, {
    connect: secure ? { ca: tls?.ca, cert: tls?.cert, key: tls?.key, rejectUnauthorized: tls?.verify ?? true } : undefined,
    ...CLIENT_DEFAULTS,
  });
  return { address: hostPort, client };
}

function unixEndpoint(socketPath: string): Endpoint {
  // The origin is never contacted by name over a Unix socket; "localhost" keeps the Host header
  // valid for the daemon's HTTP parser.
  return { address: socketPath, client: new Connections('http://localhost', { socketPath, ...CLIENT_DEFAULTS }) };
}

/** Every connection is an ssh process running `docker system dial-stdio` on the remote side. */
function sshEndpoint(target: SshTarget, ssh: SshOptions): Endpoint {
  const address = describeSshTarget(target);
  // As over a Unix socket, the origin only fills the Host header: dial-stdio passes bytes through.
  // undici types the connection as a net.Socket; it uses the stream API of it, and ref/unref
  // when they exist, which the ssh connection has.
  const connect = sshConnector(sshArgv(target, ssh), address) as unknown as UndiciClientOptions['connect'];
  return { address, client: new Connections('http://localhost', { connect, ...CLIENT_DEFAULTS }) };
}

/** A context's TLS: its files, SkipTLSVerify; none of either means plain tcp, as in the CLI. */
function contextTls(context: StoredContext): ConnectionOptions['tls'] {
  if (!context.tls && !context.skipTLSVerify) return undefined;
  return { ...context.tls, verify: !context.skipTLSVerify };
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
