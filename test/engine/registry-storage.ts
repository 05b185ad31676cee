import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mode } from '../../src/testing/index.js';

/**
 * The test registries' side of the image tests: what scripts/engine.sh wrote to test.env, and
 * the storage folders tests clean up after themselves. The registry has no API to delete a
 * repository, so a test that pushed one removes its folder; that is only ever done live or while
 * recording, never on replay (no registry is involved then).
 */

export const STATE = process.env.PODLING_STATE || '/var/lib/podling-registry';
export const PLAIN_REGISTRY = '127.0.0.1:5000';
export const AUTH_REGISTRY = '127.0.0.1:5001';

export interface TestCredentials { username: string; password: string }

/** Stands in for the real password on replay: fixtures hold `<redacted>` wherever it went. */
export const REPLAY_PASSWORD = 'replay-placeholder';

export async function readTestEnv(): Promise<Record<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(join(STATE, 'test.env'), 'utf8');
  } catch {
    return undefined;
  }
  return Object.fromEntries(text.split('\n').filter((line) => /^[A-Z_]+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

/** The 5001 registry's user and password; a placeholder on replay, where nothing checks them. */
export async function authRegistryCredentials(mode: Mode): Promise<TestCredentials> {
  if (mode === 'replay') return { username: 'podling', password: REPLAY_PASSWORD };
  const env = await readTestEnv();
  if (!env?.PODLING_AUTH_USER || !env.PODLING_AUTH_PASSWORD) throw new Error(`no credentials in ${STATE}/test.env: run scripts/engine.sh`);
  return { username: env.PODLING_AUTH_USER, password: env.PODLING_AUTH_PASSWORD };
}

const v2 = (registry: string) => join(STATE, registry.split(':')[1]!, 'docker/registry/v2');
const blobFolder = (root: string, digest: string) => join(root, 'blobs/sha256', digest.slice(0, 2), digest);
const LINK_FOLDERS = [['_layers', 'sha256'], ['_manifests', 'revisions', 'sha256']];

/**
 * Every blob some repository still links to (as a layer, a config or a manifest). A folder that
 * vanishes while we look (another test removing its repository) links nothing; any other failure
 * throws, so that no blob is ever deleted on an incomplete picture.
 */
async function linkedBlobs(root: string): Promise<Set<string>> {
  const linked = new Set<string>();
  const list = (dir: string) => readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const walk = async (dir: string): Promise<void> => {
    const entries = await list(dir);
    if (entries.some((entry) => entry.name === '_layers' || entry.name === '_manifests')) {
      for (const parts of LINK_FOLDERS) for (const entry of await list(join(dir, ...parts))) linked.add(entry.name);
    }
    // Repositories nest (`podling-test/busybox`); their own folders start with `_`.
    for (const entry of entries) if (entry.isDirectory() && !entry.name.startsWith('_')) await walk(join(dir, entry.name));
  };
  await walk(join(root, 'repositories'));
  return linked;
}

/** The blobs a repository's manifests name: the manifests themselves, their configs and layers. */
async function blobsOf(root: string, repo: string): Promise<Set<string>> {
  const manifests = await readdir(join(repo, '_manifests/revisions/sha256')).catch(() => [] as string[]);
  const blobs = new Set(manifests);
  for (const digest of manifests) {
    const text = await readFile(join(blobFolder(root, digest), 'data'), 'utf8').catch(() => '{}');
    const manifest = JSON.parse(text) as { config?: { digest?: string }; layers?: Array<{ digest?: string }> };
    for (const ref of [manifest.config, ...(manifest.layers ?? [])]) {
      if (ref?.digest?.startsWith('sha256:')) blobs.add(ref.digest.slice('sha256:'.length));
    }
  }
  return blobs;
}

/**
 * Removes a repository a test pushed, and then those of its blobs no other repository links to:
 * the random layers tests make are theirs alone, while layers shared with the podling-test/*
 * images stay (those images link them). Only test-named repositories, only live or recording.
 */
export async function forgetRepository(mode: Mode, registry: string, name: string): Promise<void> {
  if (mode === 'replay') return;
  if (!/^podling-test-[a-z0-9-]+$/.test(name)) throw new Error(`refusing to delete registry repository ${JSON.stringify(name)}: not a test name`);
  const root = v2(registry);
  const repo = join(root, 'repositories', name);
  const candidates = await blobsOf(root, repo);
  await rm(repo, { recursive: true, force: true });
  const linked = await linkedBlobs(root);
  for (const digest of candidates) if (!linked.has(digest)) await rm(blobFolder(root, digest), { recursive: true, force: true });
}

/** Whether the registry still holds a repository of that name (live and recording only). */
export async function repositoryExists(registry: string, name: string): Promise<boolean> {
  return readdir(join(v2(registry), 'repositories', name)).then(() => true, () => false);
}

/**
 * Makes the registry lose one layer of a repository it serves, the way a half-finished garbage
 * collection or a broken mirror does: its manifest still names the layer, fetching the layer 404s.
 * Through the registry's own API (delete is enabled), which unlinks it from this repository only.
 */
export async function dropTopLayer(mode: Mode, registry: string, name: string, tag = 'latest'): Promise<void> {
  if (mode === 'replay') return;
  const base = `http://${registry}/v2/${name}`;
  const res = await fetch(`${base}/manifests/${tag}`, {
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`GET ${base}/manifests/${tag}: HTTP ${res.status}`);
  const manifest = await res.json() as { layers: Array<{ digest: string }> };
  const top = manifest.layers.at(-1)!.digest;
  const deleted = await fetch(`${base}/blobs/${top}`, { method: 'DELETE', signal: AbortSignal.timeout(10_000) });
  if (deleted.status !== 202) throw new Error(`DELETE ${base}/blobs/${top}: HTTP ${deleted.status}`);
}
