import { z } from 'zod';
import { registryOf, type RegistryAuth } from '../engine/auth.js';

/**
 * `imagePullSecrets` as the kubelet reads them (pkg/credentialprovider): each names a Secret of
 * type kubernetes.io/dockerconfigjson (`.dockerconfigjson`: `{"auths": {KEY: entry}}`) or the
 * older kubernetes.io/dockercfg (`.dockercfg`: the map of entries itself). Every KEY is a registry
 * location, with or without a scheme, possibly with a path and `*` globs in the host; an image
 * takes the credentials of every key that matches it, the most specific first, and its pull tries
 * them in that order. Pure: the Secrets are read beforehand (pull-secret-read.ts).
 */

export interface PullCredential { key: string; auth: RegistryAuth }

const Entry = z.looseObject({ auth: z.string().optional(), username: z.string().optional(), password: z.string().optional() });
const DockerConfigJson = z.looseObject({ auths: z.record(z.string(), Entry) });
const DockerCfg = z.record(z.string(), Entry);

export const PULL_SECRET_TYPES: Record<string, string> = { 'kubernetes.io/dockerconfigjson': '.dockerconfigjson', 'kubernetes.io/dockercfg': '.dockercfg' };

/**
 * A Secret's credentials by registry key, or the one problem that makes it unusable. `auth`
 * (base64 `user:password`) wins over `username`/`password`, as in the kubelet.
 */
export function parsePullSecret(name: string, type: string, values: Map<string, Buffer>): PullCredential[] | string {
  const key = PULL_SECRET_TYPES[type];
  if (!key) return `Secret "${name}" is of type ${type}, not kubernetes.io/dockerconfigjson (or kubernetes.io/dockercfg)`;
  const raw = values.get(key);
  if (!raw) return `Secret "${name}" has no key "${key}"`;
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return `Secret "${name}": "${key}" is not JSON`;
  }
  const entries = key === '.dockerconfigjson' ? DockerConfigJson.safeParse(json).data?.auths : DockerCfg.safeParse(json).data;
  if (!entries) return `Secret "${name}": "${key}" is not a docker config (${key === '.dockerconfigjson' ? 'an object with "auths"' : 'an object of registries'})`;
  const credentials: PullCredential[] = [];
  for (const [location, entry] of Object.entries(entries)) {
    const login = loginOf(entry);
    if (!login) return `Secret "${name}": the entry for "${location}" has neither "auth" (base64 of user:password) nor "username" and "password"`;
    credentials.push({ key: location, auth: login });
  }
  return credentials;
}

function loginOf(entry: z.infer<typeof Entry>): { username: string; password: string } | undefined {
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username === undefined && entry.password === undefined) return undefined;
  return { username: entry.username ?? '', password: entry.password ?? '' };
}

interface Location { host: string[]; port: string; path: string }

/** A location without its scheme, as `host[:port][/path]`; `/v1/` and `/v2/` (old `docker login` keys) are no path. */
function location(text: string): Location {
  const bare = text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = bare.indexOf('/');
  const hostPort = slash < 0 ? bare : bare.slice(0, slash);
  let path = slash < 0 ? '' : bare.slice(slash);
  if (/^\/v[12](\/|$)/.test(path)) path = path.slice(3);
  if (path === '/') path = '';
  const colon = hostPort.lastIndexOf(':');
  const [host, port] = colon < 0 ? [hostPort, ''] : [hostPort.slice(0, colon), hostPort.slice(colon + 1)];
  return { host: host.toLowerCase().split('.'), port, path };
}

/** filepath.Match on one host label: `*` any run, `?` one character. */
const globMatch = (glob: string, label: string) =>
  new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(label);

/** The kubelet's URLsMatch: as many host labels, each matching its glob, the same port, and the key's path a prefix of the image's. */
export function keyMatches(key: string, repository: string): boolean {
  const [glob, target] = [location(key), location(repository)];
  if (glob.host.length !== target.host.length || glob.port !== target.port) return false;
  if (!glob.host.every((label, i) => globMatch(label, target.host[i]!))) return false;
  return target.path.startsWith(glob.path);
}

const HUB_NAMES = new Set(['docker.io', 'index.docker.io']);

/**
 * The repository an image pulls from, normalised as the kubelet looks it up: no tag or digest,
 * Docker Hub spelt `docker.io` (`busybox` is `docker.io/library/busybox`).
 */
export function repositoryOf(image: string): string {
  const name = image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost') && !HUB_NAMES.has(first)) return name;
  const rest = slash >= 0 && HUB_NAMES.has(first) ? name.slice(slash + 1) : name;
  return `docker.io/${rest.includes('/') ? rest : `library/${rest}`}`;
}

/**
 * Every credential for an image, the most specific key first (the kubelet's reverse-sorted
 * index); for a Docker Hub image with no match, those of `index.docker.io` (also written
 * `https://index.docker.io/v1/`), the key `docker login` writes for it. Each carries the server
 * address the engine expects for that registry.
 */
export function credentialsFor(image: string, credentials: PullCredential[]): RegistryAuth[] {
  const repository = repositoryOf(image);
  const serveraddress = registryOf(image);
  const withKey = credentials.map((c) => ({ ...c, index: schemeless(c.key) }));
  let matched = withKey.filter((c) => keyMatches(c.index, repository));
  if (!matched.length && repository.startsWith('docker.io/')) matched = withKey.filter((c) => c.index === 'index.docker.io');
  return matched
    .sort((a, b) => (a.index < b.index ? 1 : a.index > b.index ? -1 : 0))
    .map((c) => ({ ...c.auth, serveraddress }));
}

/** The key as the kubelet indexes it: no scheme, no `/v1/` or `/v2/`, no trailing `/`. */
function schemeless(key: string): string {
  const { host, port, path } = location(key);
  return `${host.join('.')}${port ? `:${port}` : ''}${path.replace(/\/$/, '')}`;
}
