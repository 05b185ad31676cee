import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** Registry credentials, as the engine's X-Registry-Auth header carries them. */
export const RegistryAuth = z.union([
  z.strictObject({ username: z.string(), password: z.string(), serveraddress: z.string().optional() }),
  z.strictObject({ identitytoken: z.string(), serveraddress: z.string().optional() }),
]);
export type RegistryAuth = z.infer<typeof RegistryAuth>;

const DOCKER_HUB = 'https://index.docker.io/v1/';

/** The registry host an image reference points at, as the docker CLI decides it. */
export function registryOf(reference: string): string {
  const slash = reference.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = reference.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : DOCKER_HUB;
}

/**
 * Encodes credentials for X-Registry-Auth. Always sent (as `{}` when anonymous), as the CLI does.
 * URL-safe base64 WITH padding (Go's base64.URLEncoding): Node's 'base64url' drops the `=`, and
 * dockerd 20.10 then silently ignores the credentials.
 */
export function encodeAuth(auth: RegistryAuth | undefined): string {
  return Buffer.from(JSON.stringify(auth ? RegistryAuth.parse(auth) : {})).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

const DockerConfig = z.looseObject({
  auths: z.record(z.string(), z.looseObject({ auth: z.string().optional(), identitytoken: z.string().optional() })).optional(),
});

/**
 * Credentials for a registry from `~/.docker/config.json` (or $DOCKER_CONFIG), `auths` only:
 * credential helpers would mean running other programs, which we do not do.
 */
export async function authFromConfig(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<RegistryAuth | undefined> {
  const dir = env.DOCKER_CONFIG || join(homedir(), '.docker');
  let config: z.infer<typeof DockerConfig>;
  try {
    config = DockerConfig.parse(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')));
  } catch {
    return undefined;
  }
  const entry = Object.entries(config.auths ?? {}).find(([key]) => stripScheme(key) === stripScheme(registry))?.[1];
  if (!entry) return undefined;
  if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: registry };
  if (!entry.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: registry };
}

function stripScheme(address: string): string {
  return address.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}
