/**
 * Streams (issue case 5).
 *
 * Logs: one container writes 200 MB, stdout and stderr at once (busybox `yes` of a fixed 1000-byte
 * line through `head -c`, so the engine's log interleaves both streams), then its whole log is read
 * by Podling's demultiplexer (`engine.containers.logs()` iterated frame by frame) and, as the
 * baseline, as raw bytes by a bare undici Client. Each read runs in a child process of its own
 * (bench/logs-child.mjs), alternating, so its peak RSS (VmHWM) is its own; RSS growth is the peak
 * over the process's RSS once its modules were loaded and its client made.
 *
 * Pull: a 4-layer image of 4 × 25 MiB of incompressible data, pushed to the loopback registry as
 * 127.0.0.1:5000/podling-bench/pull-100mb:latest, pulled by Podling (`engine.images.pull()`, every
 * progress message read) and by `docker pull -q`, alternating, the local copy removed before each
 * round. The layers are built here, byte for byte the same on every run (AES-CTR keystream, fixed
 * tar headers, gzip), and uploaded through the registry API only when the registry lacks them, so
 * repeated runs do not grow the registry. Afterwards the manifest is deleted through the registry
 * API; the blobs stay in the repository's store (the registry frees them only in an offline
 * garbage collection) and are reused by the next run.
 */
import { execFile, spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import { APP_IMAGE, BENCH_CREATOR, BENCH_MANAGED, CREATOR, ROOT, SOCKET, dockerEnv, msSince, podling, type Engine } from './lib.js';
import { summarize, type Sample } from './stats.js';

const LOG_MB_PER_STREAM = 100;
const LOG_ROUNDS = Number(process.env.PODLING_BENCH_LOG_ROUNDS ?? 7);
const PULL_ROUNDS = Number(process.env.PODLING_BENCH_PULL_ROUNDS ?? 3);
export const REGISTRY = '127.0.0.1:5000';
export const PULL_REPO = 'podling-bench/pull-100mb';
export const PULL_REF = `${REGISTRY}/${PULL_REPO}:latest`;
const LAYERS = 4;
const LAYER_BYTES = 25 * 1024 * 1024;

// ----------------------------------------------------------------------------- logs

interface ChildResult { mode: string; ms: number; bytes?: number; payload?: number; frames?: number; rssStartKB: number; hwmKB: number; maxRssKB: number; cpuMs: number }

function child(mode: 'podling' | 'raw', id: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [`${ROOT}bench/logs-child.mjs`, mode, id], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => { out += d; });
    proc.on('error', reject);
    proc.on('exit', (code) => code === 0 ? resolve(JSON.parse(out) as ChildResult) : reject(new Error(`logs-child ${mode} exited with ${code}`)));
  });
}

export interface LogsResult {
  /** Bytes on the wire (headers and payload), as the raw reads counted them; `payload` what the container wrote. */
  bytes: number; payload: number; wireFrames: number; podlingFrames: number;
  podling: { ms: Sample; mbps: Sample; growthMB: Sample; startMB: Sample; cpuMs: Sample };
  raw: { ms: Sample; mbps: Sample; growthMB: Sample; startMB: Sample; cpuMs: Sample };
  /** Median over rounds of podling throughput / raw throughput within the round. */
  pairedRatio: number;
}

export async function logsBench(engine: Engine, log: (line: string) => void = () => {}): Promise<LogsResult> {
  const line = 'podling-bench-log-line-0123456789abcdef'.repeat(26).slice(0, 999);
  const { Id } = await engine.containers.create({
    Image: APP_IMAGE,
    Entrypoint: ['sh', '-c', `yes "$0" | head -c ${LOG_MB_PER_STREAM * 1048576} & yes "$0" | head -c ${LOG_MB_PER_STREAM * 1048576} >&2 & wait`, line],
    Labels: { [BENCH_MANAGED]: 'true', [BENCH_CREATOR]: CREATOR, 'podling-bench.io/type': 'logs' },
    HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: {} } },
  }, { name: `podlingbench_logs-${process.pid}` });
  try {
    const { exited } = await engine.containers.wait(Id, { condition: 'next-exit' });
    await engine.containers.start(Id);
    const result = await exited;
    if (result.StatusCode !== 0) throw new Error(`the log writer exited with ${result.StatusCode}`);
    await child('podling', Id); await child('raw', Id); // warm the engine's page cache for the log file
    const runs: Record<'podling' | 'raw', ChildResult[]> = { podling: [], raw: [] };
    for (let round = 0; round < LOG_ROUNDS; round++) {
      for (const mode of round % 2 ? ['raw', 'podling'] as const : ['podling', 'raw'] as const) {
        const r = await child(mode, Id);
        runs[mode].push(r);
        log(`logs ${mode}: ${(((r.bytes ?? r.payload) ?? 0) / 1048576).toFixed(1)} MB${mode === 'podling' ? ` payload in ${r.frames} frames` : ' on the wire'} in ${r.ms.toFixed(0)} ms (CPU ${r.cpuMs.toFixed(0)} ms), RSS ${(r.rssStartKB / 1024).toFixed(1)} → peak ${(r.hwmKB / 1024).toFixed(1)} MB`);
      }
    }
    // Every raw read saw the same bytes; every Podling read exactly the payload the container wrote.
    const bytes = runs.raw[0]!.bytes!;
    const payload = 2 * LOG_MB_PER_STREAM * 1048576;
    for (const r of runs.raw) if (r.bytes !== bytes) throw new Error(`raw reads differ: ${r.bytes} and ${bytes} bytes`);
    for (const r of runs.podling) if (r.payload !== payload) throw new Error(`Podling read ${r.payload} payload bytes; the container wrote ${payload}`);
    // Throughput of both over the same bytes: the stream as the engine sent it.
    const mbps = (r: ChildResult) => (bytes / 1048576) / (r.ms / 1000);
    const of = (rs: ChildResult[]) => ({
      ms: summarize(rs.map((r) => r.ms)), mbps: summarize(rs.map(mbps)),
      growthMB: summarize(rs.map((r) => (r.hwmKB - r.rssStartKB) / 1024)), startMB: summarize(rs.map((r) => r.rssStartKB / 1024)),
      cpuMs: summarize(rs.map((r) => r.cpuMs)),
    });
    return {
      bytes, payload, wireFrames: (bytes - payload) / 8, podlingFrames: summarize(runs.podling.map((r) => r.frames ?? 0)).median,
      podling: of(runs.podling), raw: of(runs.raw),
      pairedRatio: summarize(runs.podling.map((p, i) => mbps(p) / mbps(runs.raw[i]!))).median,
    };
  } finally {
    await engine.containers.remove(Id, { force: true, volumes: true }).catch(() => {});
  }
}

// ----------------------------------------------------------------------------- the pull image

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A one-file tar (ustar), mtime 0, root-owned: the same bytes on every run. */
function tarOf(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const put = (offset: number, length: number, value: string) => header.write(value.padEnd(length, '\0').slice(0, length), offset, 'latin1');
  const octal = (offset: number, length: number, value: number) => put(offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
  put(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, content.length);
  octal(136, 12, 0);
  put(148, 8, '        ');
  put(156, 1, '0');
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

interface Blob { digest: string; data: Buffer; mediaType: string }

/** Four gzip layers of pseudo-random bytes, a config naming their diff ids, and the manifest. */
function buildImage(): { layers: Blob[]; config: Blob; manifest: Buffer } {
  const layers: Blob[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const key = createHash('sha256').update(`podling-bench layer ${i}`).digest().subarray(0, 16);
    const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
    const random = Buffer.concat([cipher.update(Buffer.alloc(LAYER_BYTES)), cipher.final()]);
    const tar = tarOf(`bench/layer-${i}.bin`, random);
    diffIds.push(sha256(tar));
    const gz = gzipSync(tar, { level: 1 });
    layers.push({ digest: sha256(gz), data: gz, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' });
  }
  const configData = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '1970-01-01T00:00:00Z',
    config: { Labels: { [BENCH_MANAGED]: 'true' } },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: '1970-01-01T00:00:00Z', created_by: `podling bench layer ${i}` })),
  }));
  const config: Blob = { digest: sha256(configData), data: configData, mediaType: 'application/vnd.docker.container.image.v1+json' };
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: config.mediaType, size: config.data.length, digest: config.digest },
    layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.data.length, digest: l.digest })),
  }));
  return { layers, config, manifest };
}

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const registryUrl = (path: string) => `http://${REGISTRY}/v2/${PULL_REPO}${path}`;

async function pushImage(): Promise<{ uploadedMB: number }> {
  const { layers, config, manifest } = buildImage();
  let uploaded = 0;
  for (const blob of [...layers, config]) {
    const head = await request(registryUrl(`/blobs/${blob.digest}`), { method: 'HEAD' });
    await head.body.dump();
    if (head.statusCode === 200) continue;
    const start = await request(registryUrl('/blobs/uploads/'), { method: 'POST' });
    await start.body.dump();
    const location = start.headers.location as string | undefined;
    if (start.statusCode !== 202 || !location) throw new Error(`registry: starting an upload answered ${start.statusCode}`);
    const url = new URL(location, `http://${REGISTRY}`);
    url.searchParams.set('digest', blob.digest);
    const put = await request(url, { method: 'PUT', body: blob.data, headers: { 'content-type': 'application/octet-stream' } });
    const text = await put.body.text();
    if (put.statusCode !== 201) throw new Error(`registry: uploading ${blob.digest} answered ${put.statusCode}: ${text}`);
    uploaded += blob.data.length;
  }
  const put = await request(registryUrl('/manifests/latest'), { method: 'PUT', body: manifest, headers: { 'content-type': MANIFEST_TYPE } });
  const text = await put.body.text();
  if (put.statusCode !== 201) throw new Error(`registry: putting the manifest answered ${put.statusCode}: ${text}`);
  return { uploadedMB: uploaded / 1048576 };
}

/** Deletes the manifest (and with it the tag) through the registry API. */
export async function deleteRegistryImage(): Promise<boolean> {
  const head = await request(registryUrl('/manifests/latest'), { method: 'HEAD', headers: { accept: MANIFEST_TYPE } });
  await head.body.dump();
  const digest = head.headers['docker-content-digest'] as string | undefined;
  if (head.statusCode !== 200 || !digest) return false;
  const del = await request(registryUrl(`/manifests/${digest}`), { method: 'DELETE' });
  await del.body.dump();
  return del.statusCode === 202;
}

async function removeLocal(engine: Engine): Promise<void> {
  await engine.images.remove(PULL_REF, { force: true }).catch((err: unknown) => { if (!podling.isNotFound(err)) throw err; });
}

export interface PullResult { megabytes: number; uploadedMB: number; podling: Sample; docker: Sample; pairedRatio: number }

export async function pullBench(engine: Engine, log: (line: string) => void = () => {}): Promise<PullResult> {
  const t = process.hrtime.bigint();
  const { uploadedMB } = await pushImage();
  log(`pull image ready in ${msSince(t).toFixed(0)} ms (${uploadedMB.toFixed(1)} MB uploaded to the registry)`);
  const run = promisify(execFile);
  const candidates = {
    podling: async () => {
      const pull = engine.images.pull(PULL_REF);
      for await (const message of pull) void message;
      await pull.done;
    },
    docker: async () => { await run('docker', ['pull', '-q', PULL_REF], { env: dockerEnv() }); },
  };
  const samples: Record<keyof typeof candidates, number[]> = { podling: [], docker: [] };
  try {
    for (let round = 0; round < PULL_ROUNDS; round++) {
      for (const name of round % 2 ? ['docker', 'podling'] as const : ['podling', 'docker'] as const) {
        await removeLocal(engine);
        const start = process.hrtime.bigint();
        await candidates[name]();
        samples[name].push(msSince(start));
        const image = await engine.images.inspect(PULL_REF);
        if ((image.RootFS?.Layers?.length ?? 0) !== LAYERS) throw new Error(`${name} pulled an image with ${image.RootFS?.Layers?.length} layers`);
        log(`pull ${name}: ${samples[name].at(-1)!.toFixed(0)} ms`);
      }
    }
  } finally {
    await removeLocal(engine);
    await deleteRegistryImage();
  }
  return {
    megabytes: (LAYERS * LAYER_BYTES) / 1048576, uploadedMB,
    podling: summarize(samples.podling), docker: summarize(samples.docker),
    pairedRatio: summarize(samples.podling.map((p, i) => p / samples.docker[i]!)).median,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const engine = new podling.Engine({ socketPath: SOCKET });
  (async () => {
    const which = process.argv[2] ?? 'both';
    if (which !== 'pull') console.log(JSON.stringify(await logsBench(engine, console.log), null, 1));
    if (which !== 'logs') console.log(JSON.stringify(await pullBench(engine, console.log), null, 1));
  })().finally(() => engine.close()).catch((err) => { console.error(err); process.exit(1); });
}
