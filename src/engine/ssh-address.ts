import { EngineError } from './errors.js';

/**
 * `ssh://[user@]host[:port][/path/to/remote/docker.sock]`, read as the docker CLI reads it
 * (cli/connhelper/ssh): no password, no query, no fragment, a host required.
 */
export interface SshTarget {
  user?: string;
  host: string;
  port?: string;
  /** The engine's socket on the remote machine; absent: the remote docker CLI's own default. */
  path?: string;
}

/** What the caller adds to ssh: the docker CLI has no such options (its users write ~/.ssh/config). */
export interface SshOptions {
  /** `-i FILE`: the private key to offer. */
  identityFile?: string;
  /** `-F FILE`: an ssh_config used instead of ~/.ssh/config (host keys, identities, BatchMode). */
  configFile?: string;
  /** Further `-o` options, as ssh_config lines: `ConnectTimeout=5`, `StrictHostKeyChecking=yes`. */
  options?: string[];
}

export function parseSshAddress(address: string): SshTarget {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw invalid(address, 'not a URL');
  }
  if (url.protocol !== 'ssh:') throw invalid(address, `scheme ${url.protocol.replace(/:$/, '')}, expected ssh`);
  if (url.password) throw invalid(address, 'a plain-text password is not supported (use a key: ssh-agent, -i or ~/.ssh/config)');
  if (url.search) throw invalid(address, `query parameters are not allowed (${url.search})`);
  if (url.hash) throw invalid(address, `fragments are not allowed (${url.hash})`);
  // WHATWG keeps IPv6 brackets in hostname; ssh wants the bare address, as Go's Hostname() gives.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw invalid(address, 'no host');
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  const path = decodeURIComponent(url.pathname);
  // Not shell-quoted like the remote command: user and host reach ssh as argv items of their own.
  // Whitespace or a control character in them can only be a mistake.
  for (const [what, value] of [['user', user], ['host', host]] as const) {
    if (value !== undefined && /[\s\x00-\x1f\x7f]/.test(value)) throw invalid(address, `the ${what} holds whitespace or a control character`);
  }
  return {
    ...(user && { user }),
    host,
    ...(url.port && { port: url.port }),
    ...(path.replace(/\//g, '') && { path }),
  };
}

/** The docker CLI's default, kept unless the caller's options already set one. */
const CONNECT_TIMEOUT = '-o ConnectTimeout=30';

/**
 * The argv of `ssh` for one engine connection, in the docker CLI's order: `-l USER -p PORT`, the
 * flags, `-- HOST`, then the remote command as ONE shell-quoted string (ssh hands it to the remote
 * user's shell). `-T`: no pseudo-terminal, so the remote side is not a login shell and the bytes
 * are not rewritten by a tty. `docker system dial-stdio` joins its stdio to the remote engine's socket.
 */
export function sshArgv(target: SshTarget, options: SshOptions = {}): string[] {
  const flags: string[] = [];
  if (options.configFile) flags.push('-F', options.configFile);
  if (options.identityFile) flags.push('-i', options.identityFile);
  for (const option of options.options ?? []) flags.push('-o', option);
  // One argv item, space included, exactly as the CLI passes it; ssh reads "-o" and its value from it.
  if (!flags.join('').includes('ConnectTimeout')) flags.push(CONNECT_TIMEOUT);
  flags.push('-T');
  const remote = target.path ? ['docker', `--host=unix://${target.path}`, 'system', 'dial-stdio'] : ['docker', 'system', 'dial-stdio'];
  return [
    ...(target.user ? ['-l', target.user] : []),
    ...(target.port ? ['-p', target.port] : []),
    ...flags,
    '--', target.host,
    remote.map(shellQuote).join(' '),
  ];
}

/** A word the remote POSIX shell reads back unchanged: bare when safe, else single-quoted. */
export function shellQuote(word: string): string {
  if (word && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The address back as a URL: what error messages and `engine.address` name. */
export function describeSshTarget(target: SshTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `ssh://${target.user ? `${target.user}@` : ''}${host}${target.port ? `:${target.port}` : ''}${target.path ?? ''}`;
}

function invalid(address: string, why: string): EngineError {
  return new EngineError(`invalid ssh engine address ${JSON.stringify(address)}: ${why}`, { kind: 'invalid-argument' });
}
