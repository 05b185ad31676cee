import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { checkInput } from './names.js';

/** Registry credentials, as the engine's X-Registry-Auth header carries them. */
export const RegistryAuth = z.union([
  z.strictObject({ username: z.string(), password: z.string(), serveraddress: z.string().optional() }),
  z.strictObject({ identitytoken: z.string(), serveraddress: z.string().optional() }),
]);
export type RegistryAuth = z.infer<typeof RegistryAuth>;

/** Docker Hub's key in config.json `auths`, and the server address the CLI sends for it. */
export const DOCKER_HUB = 'https://index.docker.io/v1/';
// Names that all mean Docker Hub in a reference (docker/distribution normalises them the same way).
const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The registry host an image reference points at, as the docker CLI decides it. */
export function registryOf(reference: string): string {
  const slash = reference.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = reference.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  return isHost && !HUB_HOSTS.has(first) ? first : DOCKER_HUB;
}

/** Checks credentials a caller handed us: a misspelt field would otherwise be sent as anonymous. */
export function checkAuth(auth: unknown): RegistryAuth {
  return checkInput('registry credentials', RegistryAuth, auth);
}

/**
 * Encodes credentials for X-Registry-Auth. Always sent (as `{}` when anonymous), as the CLI does.
 * URL-safe base64 WITH padding (Go's base64.URLEncoding): Node's 'base64url' drops the `=`, and
 * dockerd 20.10 then silently ignores the credentials.
 */
export function encodeAuth(auth: RegistryAuth | undefined): string {
  return Buffer.from(JSON.stringify(auth ? checkAuth(auth) : {})).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

const DockerConfig = z.looseObject({
  auths: z.record(z.string(), z.looseObject({ auth: z.string().optional(), identitytoken: z.string().optional() })).optional(),
});
type ConfigEntry = NonNullable<z.infer<typeof DockerConfig>['auths']>[string];

/**
 * Credentials for a registry from `~/.docker/config.json` (or $DOCKER_CONFIG, read at call time),
 * `auths` only: credential helpers would mean running other programs, which we do not do. A
 * missing or unreadable file means no credentials, as the CLI carries on without them too.
 */
export async function authFromConfig(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<RegistryAuth | undefined> {
  const dir = env.DOCKER_CONFIG || join(homedir(), '.docker');
  let config: z.infer<typeof DockerConfig>;
  try {
    config = DockerConfig.parse(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')));
  } catch {
    return undefined;
  }
  const entry = findEntry(config.auths ?? {}, registry);
  if (!entry) return undefined;
  if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: registry };
  if (!entry.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: registry };
}

/**
 * The exact key first, then any key naming the same host: `docker login` has written keys as
 * `host:port`, `https://host:port` and the legacy `https://host:port/v1/` over the years, and the
 * CLI still finds them all (its ConvertToHostname drops the scheme and everything after the host).
 */
function findEntry(auths: Record<string, ConfigEntry>, registry: string): ConfigEntry | undefined {
  if (auths[registry]) return auths[registry];
  const host = hostOf(registry);
  return Object.entries(auths).find(([key]) => hostOf(key) === host)?.[1];
}

function hostOf(address: string): string {
  return address.replace(/^https?:\/\//, '').split('/')[0]!;
}
