import { EngineError } from './errors.js';
import { parseSshAddress, type SshTarget } from './ssh-address.js';

/**
 * An engine address as DOCKER_HOST, `-H`, a context's Host or a node's label gives it, read
 * without connecting: so an address can be checked where it is taken (a flag, a node label)
 * long before it is used.
 */
export type EngineAddress =
  | { scheme: 'unix'; path: string }
  /** `https` asks for TLS; `tcp` and `http` use it when TLS material is given. */
  | { scheme: 'tcp' | 'http' | 'https'; hostname: string; port?: string }
  | { scheme: 'ssh'; target: SshTarget };

export function parseEngineAddress(address: string): EngineAddress {
  if (address.startsWith('/')) return { scheme: 'unix', path: address };
  if (address.startsWith('unix://') && address.length > 'unix://'.length) return { scheme: 'unix', path: address.slice('unix://'.length) };
  if (address.startsWith('ssh://')) return { scheme: 'ssh', target: parseSshAddress(address) };
  const match = /^(tcp|https?):\/\/([^/]+?)(?::(\d+))?\/?$/.exec(address);
  if (!match) {
    throw new EngineError(`unsupported DOCKER_HOST "${address}": use unix:///path/to/docker.sock, tcp://host:port or ssh://user@host`, { kind: 'invalid-argument' });
  }
  const [, scheme, hostname, port] = match;
  return { scheme: scheme as 'tcp' | 'http' | 'https', hostname: hostname!, ...(port && { port }) };
}
