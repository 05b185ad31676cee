/**
 * Makes the test images locally, through Podling's own engine client, and pushes them to the
 * loopback test registries started by scripts/engine.sh. Nothing is pulled from the internet.
 *
 *   podling-test/busybox:latest  one layer: /bin/busybox (Debian's busybox-static) + an applet link
 *                                for every applet, /etc/passwd, /etc/group, /tmp, /root; CMD ["sh"]
 *   podling-test/layers:latest   busybox + 3 layers of 2 MB of random data each (pull-progress tests)
 *
 * Each is also pushed as 127.0.0.1:5000/podling-test/<name>:latest (no auth) and
 * 127.0.0.1:5001/podling-test/<name>:latest (htpasswd auth). Idempotent: when the engine has the
 * image and both registries serve a manifest whose config digest is the image's id, nothing is
 * done. An image missing from the engine but present in the 5000 registry is pulled back from there
 * rather than rebuilt, so tests may delete the local copies (e.g. to watch real pull progress).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import tar from 'tar-stream';
import { z } from 'zod';
import { isNotFound } from '../src/engine/errors.js';
import { Engine } from '../src/engine/index.js';
import type { EngineRequest } from '../src/engine/transport.js';

const STATE = process.env.PODLING_STATE || '/var/lib/podling-registry';
const env = readEnvFile(process.env.PODLING_ENV_FILE || `${STATE}/test.env`);
const PLAIN_REGISTRY = env.PODLING_REGISTRY ?? '127.0.0.1:5000';
const AUTH_REGISTRY = env.PODLING_AUTH_REGISTRY ?? '127.0.0.1:5001';
const AUTH = { username: required('PODLING_AUTH_USER'), password: required('PODLING_AUTH_PASSWORD') };
const BUSYBOX = '/bin/busybox';
/** 2024-01-01T00:00:00Z: fixed mtimes keep the busybox layer byte-for-byte reproducible. */
const MTIME = new Date(1_704_067_200_000);
const DATA_LAYERS = 3;
const LAYER_MB = 2;

interface Registry { address: string; auth?: { username: string; password: string } }
const REGISTRIES: Registry[] = [{ address: PLAIN_REGISTRY }, { address: AUTH_REGISTRY, auth: AUTH }];

const engine = new Engine();
const t = engine.transport;
const log: string[] = [];

async function main(): Promise<void> {
  const busybox = await ensureImage('busybox', buildBusybox);
  const layers = await ensureImage('layers', buildLayers);
  const summary = [busybox, layers].map((i) => `${i.ref} (${i.id.slice(7, 19)}, ${i.layers} layer${i.layers === 1 ? '' : 's'})`).join(', ');
  console.log(`images: ready: ${summary} in the engine, ${PLAIN_REGISTRY} and ${AUTH_REGISTRY}${log.length ? ` [${log.join('; ')}]` : ''}`);
}

// ------------------------------------------------------------------ per image

interface Ready { ref: string; id: string; layers: number }

async function ensureImage(name: string, build: (ref: string) => Promise<void>): Promise<Ready> {
  const ref = `podling-test/${name}:latest`;
  let local = await inspectImage(ref);
  if (!local) {
    const remote = await manifestConfigDigest(REGISTRIES[0]!, name);
    if (remote) {
      const source = `${PLAIN_REGISTRY}/podling-test/${name}:latest`;
      await progress({ method: 'POST', path: '/images/create', query: { fromImage: `${PLAIN_REGISTRY}/podling-test/${name}`, tag: 'latest' }, headers: registryAuth(REGISTRIES[0]!) });
      await t.empty({ method: 'POST', path: `/images/${source}/tag`, query: { repo: `podling-test/${name}`, tag: 'latest' } });
      await untag(source);
      log.push(`${ref} pulled back from ${PLAIN_REGISTRY}`);
    } else {
      await build(ref);
      log.push(`${ref} built`);
    }
    local = await inspectImage(ref);
    if (!local) throw new Error(`${ref} is still missing from the engine after it was made`);
  }
  for (const registry of REGISTRIES) {
    if (await manifestConfigDigest(registry, name) === local.Id) continue;
    const target = `${registry.address}/podling-test/${name}`;
    await t.empty({ method: 'POST', path: `/images/${ref}/tag`, query: { repo: target, tag: 'latest' } });
    try {
      await progress({ method: 'POST', path: `/images/${target}/push`, query: { tag: 'latest' }, headers: registryAuth(registry) });
    } finally {
      await untag(`${target}:latest`);
    }
    const pushed = await manifestConfigDigest(registry, name);
    if (pushed !== local.Id) {
      throw new Error(`pushed ${ref} to ${registry.address} but its manifest names config ${pushed ?? '(none)'}, not ${local.Id}`);
    }
    log.push(`${ref} pushed to ${registry.address}`);
  }
  return { ref, id: local.Id, layers: local.RootFS?.Layers?.length ?? 0 };
}

// ------------------------------------------------------------------ builds

/** A root filesystem around Debian's static busybox, imported as a one-layer image. */
async function buildBusybox(ref: string): Promise<void> {
  const binary = readFileSync(BUSYBOX);
  if (!isStaticElf(binary)) throw new Error(`${BUSYBOX} is dynamically linked: install Debian's busybox-static`);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' })
    .split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox' && !s.includes('/'));
  if (!applets.includes('sh')) throw new Error(`${BUSYBOX} --list does not report sh`);

  const pack = tar.pack();
  const dir = (name: string, mode = 0o755) => pack.entry({ name, type: 'directory', mode, mtime: MTIME, uid: 0, gid: 0 });
  const file = (name: string, content: Buffer | string, mode = 0o644) => pack.entry({ name, type: 'file', mode, mtime: MTIME, uid: 0, gid: 0 }, content);
  const link = (name: string, target: string) => pack.entry({ name, type: 'symlink', linkname: target, mode: 0o777, mtime: MTIME, uid: 0, gid: 0 });
  for (const d of ['bin', 'sbin', 'etc', 'home', 'usr', 'usr/bin', 'usr/sbin', 'var', 'var/www', 'proc', 'sys', 'dev']) dir(d);
  dir('root', 0o700);
  dir('tmp', 0o1777);
  dir('var/tmp', 0o1777);
  file('bin/busybox', binary, 0o755);
  for (const applet of [...new Set(applets)].sort()) link(`bin/${applet}`, 'busybox');
  link('usr/bin/env', '/bin/busybox');
  file('etc/passwd', [
    'root:x:0:0:root:/root:/bin/sh',
    'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
    'www-data:x:33:33:www-data:/var/www:/bin/false',
    'nobody:x:65534:65534:nobody:/home:/bin/false',
    '',
  ].join('\n'));
  file('etc/group', ['root:x:0:', 'daemon:x:1:', 'www-data:x:33:', 'nogroup:x:65534:', ''].join('\n'));
  pack.finalize();
  const archive = await collect(pack);

  const options = { repo: ref.split(':')[0]!, tag: 'latest' };
  const changes = ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["sh"]'];
  const images = (engine as unknown as { images?: { import?: (tar: Buffer, o: typeof options & { changes: string[] }) => unknown } }).images;
  if (typeof images?.import === 'function') {
    await settle(images.import(archive, { ...options, changes }));
  } else {
    await progress({
      method: 'POST', path: '/images/create',
      query: { fromSrc: '-', ...options, changes },
      headers: { 'content-type': 'application/x-tar' },
      body: archive,
    });
  }
}

/** busybox + DATA_LAYERS committed layers of random data: a real multi-layer image. */
async function buildLayers(ref: string): Promise<void> {
  await removeBuildContainers();
  let from = 'podling-test/busybox:latest';
  for (let n = 1; n <= DATA_LAYERS; n++) {
    const last = n === DATA_LAYERS;
    const { Id: container } = await t.json({
      method: 'POST', path: '/containers/create', query: { name: `podling-test-build-${process.pid}-${n}` },
      json: {
        Image: from,
        Cmd: ['sh', '-c', `mkdir -p /data && dd if=/dev/urandom of=/data/layer${n} bs=1M count=${LAYER_MB} 2>/dev/null`],
        HostConfig: { NetworkMode: 'none' },
      },
    }, z.looseObject({ Id: z.string() }));
    try {
      await t.empty({ method: 'POST', path: `/containers/${container}/start` });
      const { StatusCode } = await t.json({ method: 'POST', path: `/containers/${container}/wait` }, z.looseObject({ StatusCode: z.number() }), { timeout: 120_000 });
      if (StatusCode !== 0) throw new Error(`building layer ${n} of ${ref}: the container exited with ${StatusCode}`);
      const committed = await t.json({
        method: 'POST', path: '/commit',
        query: { container, repo: last ? ref.split(':')[0] : undefined, tag: last ? 'latest' : undefined, comment: `podling test layer ${n}` },
        // The body replaces the builder's command; everything else is merged from the container.
        json: { Cmd: ['sh'] },
      }, z.looseObject({ Id: z.string() }));
      from = committed.Id;
    } finally {
      await t.empty({ method: 'DELETE', path: `/containers/${container}`, query: { force: true, v: true } }).catch(() => {});
    }
  }
}

async function removeBuildContainers(): Promise<void> {
  const stale = await t.json({
    method: 'GET', path: '/containers/json', query: { all: true, filters: { name: ['podling-test-build-'] } },
  }, z.array(z.looseObject({ Id: z.string() })));
  for (const c of stale) await t.empty({ method: 'DELETE', path: `/containers/${c.Id}`, query: { force: true, v: true } });
}

// ------------------------------------------------------------------ engine and registry helpers

async function inspectImage(ref: string) {
  try {
    return await t.json({ method: 'GET', path: `/images/${ref}/json` }, z.looseObject({
      Id: z.string(),
      RootFS: z.looseObject({ Layers: z.array(z.string()).optional() }).optional(),
    }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function untag(ref: string): Promise<void> {
  try {
    await t.empty({ method: 'DELETE', path: `/images/${ref}`, query: { noprune: true } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

function registryAuth(registry: Registry): Record<string, string> {
  const auth = registry.auth ? { ...registry.auth, serveraddress: registry.address } : {};
  // base64url WITH padding: dockerd 20.10 decodes with Go's base64.URLEncoding, which requires the
  // '=' padding; without it the JSON is cut short and the credentials silently dropped.
  const encoded = Buffer.from(JSON.stringify(auth)).toString('base64url');
  return { 'x-registry-auth': encoded + '='.repeat((4 - (encoded.length % 4)) % 4) };
}

/** A pull/push/import: 200 JSON lines, where a failure arrives IN the stream as `{"error": ...}`. */
async function progress(req: EngineRequest): Promise<unknown[]> {
  const res = await t.stream(req, { timeout: 120_000, idleTimeout: 120_000 });
  const messages: unknown[] = [];
  let pending = '';
  const take = (line: string) => {
    if (!line.trim()) return;
    const message = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
    const error = message.error ?? message.errorDetail?.message;
    if (error !== undefined) throw new Error(`${req.method} ${req.path}: ${error}`);
    messages.push(message);
  };
  try {
    for await (const chunk of res.body) {
      pending += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        take(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    }
    take(pending);
  } catch (err) {
    res.body.destroy();
    throw err;
  }
  return messages;
}

/** Settles whatever an area method returned: a `{ done }` progress, an async iterable, a promise. */
async function settle(result: unknown): Promise<void> {
  const r = result as { done?: Promise<unknown>; [Symbol.asyncIterator]?: () => AsyncIterator<unknown> } | undefined;
  if (r?.done && typeof r.done.then === 'function') await r.done;
  else if (r && typeof r[Symbol.asyncIterator] === 'function') for await (const _ of r as AsyncIterable<unknown>) { /* drain */ }
  else await result;
}

/** The config digest (= the engine's image id) of podling-test/<name>:latest, or undefined if absent. */
async function manifestConfigDigest(registry: Registry, name: string): Promise<string | undefined> {
  const headers: Record<string, string> = {
    accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
  };
  if (registry.auth) headers.authorization = `Basic ${Buffer.from(`${registry.auth.username}:${registry.auth.password}`).toString('base64')}`;
  const url = `http://${registry.address}/v2/podling-test/${name}/manifests/latest`;
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  if (res.status === 404) { await res.body?.cancel(); return undefined; }
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  const manifest = await res.json() as { config?: { digest?: string }; layers?: { digest?: string }[] };
  // A manifest whose blobs are gone (data folder wiped, blobs deleted) does not count.
  for (const digest of [manifest.config?.digest, ...(manifest.layers ?? []).map((l) => l.digest)]) {
    if (!digest) return undefined;
    const blob = await fetch(`http://${registry.address}/v2/podling-test/${name}/blobs/${digest}`, { method: 'HEAD', headers, signal: AbortSignal.timeout(10_000) });
    if (blob.status !== 200) return undefined;
  }
  return manifest.config?.digest;
}

// ------------------------------------------------------------------ small things

function isStaticElf(b: Buffer): boolean {
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false; // ELF, 64-bit
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) return false; // PT_INTERP
  return true;
}

function collect(stream: tar.Pack): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

function readEnvFile(path: string): Record<string, string> {
  let text = '';
  try { text = readFileSync(path, 'utf8'); } catch { return {}; }
  return Object.fromEntries(text.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

function required(key: string): string {
  const value = env[key] ?? process.env[key];
  if (!value) throw new Error(`${key} is not set: run scripts/engine.sh (it writes ${STATE}/test.env)`);
  return value;
}

main().then(
  () => engine.close(),
  async (err: unknown) => {
    console.error(`test-images: ${err instanceof Error ? err.message : String(err)}`);
    await engine.close().catch(() => {});
    process.exitCode = 1;
  },
);
