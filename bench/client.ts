/**
 * Per call (issue case 1): `/_ping`, `/containers/json` and a container inspect, each CALLS
 * sequential calls on a warm connection, through Podling's client against a bare undici Client on
 * the same socket and against dockerode. Two more candidates run in the same rounds to show where
 * Podling's extra time goes: the bare Client plus Podling's check of the answer (the same zod
 * schema, the answer itself returned), and undici's Pool, which Podling used before its own
 * connection set (src/engine/connections.ts).
 *
 * The list is filtered to CONTAINERS containers this bench made (created, never started), so the
 * answer is the same size in every round whatever else runs on the shared engine.
 *
 * Also the demultiplexer alone: a local server streams synthetic frames over a Unix socket to
 * Podling's transport + demuxer and to a bare Client that only counts bytes (no engine in the way).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'undici';
import { z } from 'zod';
import { dockerode, dockerodeVersion } from './dockerode.js';
import { APP_IMAGE, BENCH_CREATOR, BENCH_MANAGED, CREATOR, SOCKET, podling } from './lib.js';
import { baseline, type Row } from './report.js';
import { fmt, interleaveRaw, pairedRatio, summarize, type Sample } from './stats.js';

const CALLS = Number(process.env.PODLING_BENCH_CALLS ?? 100);
const ROUNDS = Number(process.env.PODLING_BENCH_CALL_ROUNDS ?? 25);
const CONTAINERS = 10;
const SECTION = 'Per call (warm connection, sequential calls)';

const { ContainerSummary, ContainerInspect } = await import(new URL('../dist/engine/containers.js', import.meta.url).href) as typeof import('../src/engine/containers.js');

export interface PerCallBreakdown { case: string; usPerCall: Record<string, number> }

export async function perCall(socketPath = SOCKET, log: (line: string) => void = () => {}): Promise<{ rows: Row[]; breakdown: PerCallBreakdown[] }> {
  const engine = new podling.Engine({ socketPath });
  const version = await engine.apiVersion();
  const bare = new Client('http://localhost', { socketPath });
  // undici's Pool with the options Podling gives its connections (src/engine/connection.ts): what
  // Podling sat on before src/engine/connections.ts, kept as a diagnostic.
  const pool = new Pool('http://localhost', { socketPath, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000 });
  const docker = dockerode(socketPath);
  const label = `${BENCH_PREFIX_PERCALL}=${process.pid}`;
  const ids: string[] = [];
  try {
    for (let i = 0; i < CONTAINERS; i++) {
      const { Id } = await engine.containers.create({
        Image: APP_IMAGE, Cmd: ['true'],
        Labels: { [BENCH_MANAGED]: 'true', [BENCH_CREATOR]: CREATOR, [BENCH_PREFIX_PERCALL]: String(process.pid) },
        HostConfig: { NetworkMode: 'none' },
      }, { name: `podlingbench_percall-${process.pid}-${i}` });
      ids.push(Id);
    }
    const id = ids[0]!;
    const filters = { label: [label] };
    const listPath = `/v${version}/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`;
    const inspectPath = `/v${version}/containers/${id}/json`;
    const listSchema = z.array(ContainerSummary);
    const repeat = (fn: () => Promise<unknown>) => async () => { for (let i = 0; i < CALLS; i++) await fn(); };
    const get = (dispatcher: Client | Pool, path: string, schema?: z.ZodType) => repeat(async () => {
      const res = await dispatcher.request({ method: 'GET', path });
      if (path === '/_ping') { await res.body.dump(); return; }
      const value = await res.body.json();
      if (schema) schema.safeParse(value);
    });
    const cases: Record<string, Record<string, () => Promise<void>>> = {
      '/_ping': {
        podling: repeat(() => engine.system.ping()),
        bare: get(bare, '/_ping'),
        dockerode: repeat(() => docker.ping()),
        pool: get(pool, '/_ping'),
      },
      [`/containers/json (all, label filter: ${CONTAINERS} containers)`]: {
        podling: repeat(() => engine.containers.list({ all: true, filters })),
        bare: get(bare, listPath),
        dockerode: repeat(() => docker.listContainers({ all: true, filters })),
        pool: get(pool, listPath),
        bareZod: get(bare, listPath, listSchema),
      },
      '/containers/{id}/json (inspect)': {
        podling: repeat(() => engine.containers.inspect(id)),
        bare: get(bare, inspectPath),
        dockerode: repeat(() => docker.getContainer(id).inspect()),
        pool: get(pool, inspectPath),
        bareZod: get(bare, inspectPath, ContainerInspect),
      },
    };
    const rows: Row[] = [];
    const breakdown: PerCallBreakdown[] = [];
    for (const [name, c] of Object.entries(cases)) {
      for (const fn of Object.values(c)) await fn(); // warm every connection and the JIT
      const raw = await interleaveRaw(ROUNDS, c);
      const s = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, summarize(v)])) as Record<string, Sample>;
      const p = s.podling!;
      const vsBare = baseline('bare undici Client', p, s.bare!, pairedRatio(raw.podling!, raw.bare!));
      rows.push({
        section: SECTION, case: `per call ${name}, ${CALLS} calls`, unit: 'ms', podling: p,
        baselines: [vsBare, baseline(`dockerode ${dockerodeVersion()}`, p, s.dockerode!, pairedRatio(raw.podling!, raw.dockerode!))],
        target: { text: '≤ 1.1× bare undici Client', met: vsBare.ratio <= 1.1, evidence: `${vsBare.ratio.toFixed(2)}× (ratio of medians; paired ${vsBare.paired!.toFixed(2)}×), ${(p.median * 1000 / CALLS).toFixed(0)} vs ${(s.bare!.median * 1000 / CALLS).toFixed(0)} µs per call` },
      });
      breakdown.push({ case: name, usPerCall: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.median * 1000 / CALLS])) });
      log(`per call ${name}: ${Object.entries(s).map(([k, v]) => `${k} ${(v.median * 1000 / CALLS).toFixed(1)} µs`).join(', ')}`);
    }
    return { rows, breakdown };
  } finally {
    await Promise.all(ids.map((i) => engine.containers.remove(i, { force: true }).catch(() => {})));
    await Promise.all([engine.close(), bare.close(), pool.close()]);
  }
}

const BENCH_PREFIX_PERCALL = 'podling-bench.io/percall';

/** Frames of mixed sizes and streams, cut into 64 KiB chunks as a socket would. */
function syntheticStream(totalBytes: number): Buffer[] {
  const parts: Buffer[] = [];
  let size = 0;
  let seed = 7;
  const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  const payload = Buffer.alloc(32 * 1024, 'x');
  while (size < totalBytes) {
    const length = 1 + (rand() % payload.length);
    const header = Buffer.alloc(8);
    header[0] = rand() % 4 === 0 ? 2 : 1;
    header.writeUInt32BE(length, 4);
    parts.push(header, payload.subarray(0, length));
    size += 8 + length;
  }
  const whole = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let i = 0; i < whole.length; i += 64 * 1024) chunks.push(whole.subarray(i, i + 64 * 1024));
  return chunks;
}

/**
 * The demultiplexer alone, CPU-bound: a local server (not the engine) streams the same synthetic
 * bytes to Podling's transport + `frames()` and to a bare undici Client that only counts them.
 */
export async function demuxSynthetic(megabytes = 100): Promise<Row> {
  const chunks = syntheticStream(megabytes * 1024 * 1024);
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  const socketPath = join(tmpdir(), `podling-bench-${process.pid}.sock`);
  const server = createServer(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
    for (const chunk of chunks) if (!res.write(chunk)) await once(res, 'drain');
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const engine = new podling.Engine({ socketPath, apiVersion: '1.41' });
  const bare = new Client('http://localhost', { socketPath });
  const pool = new Pool('http://localhost', { socketPath, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000 });
  const count = async (body: AsyncIterable<Buffer | Uint8Array>) => { let n = 0; for await (const c of body) n += c.length; return n; };
  const demuxed = async () => {
    const res = await engine.transport.stream({ method: 'GET', path: '/logs', unversioned: true });
    let n = 0;
    for await (const f of podling.frames(res.body)) n += f.payload.length;
    return n;
  };
  const raw = async () => count((await bare.request({ method: 'GET', path: '/logs' })).body);
  // Where a gap comes from: Podling's transport without the demuxer, and the bare Pool it sits on.
  const transport = async () => count((await engine.transport.stream({ method: 'GET', path: '/logs', unversioned: true })).body);
  const poolRaw = async () => count((await pool.request({ method: 'GET', path: '/logs' })).body);
  try {
    await demuxed(); await raw(); await transport(); await poolRaw();
    const s = await interleaveRaw(9, { demuxed, raw, transport, poolRaw });
    const mbps = (ms: number) => (bytes / 1048576) / (ms / 1000);
    const p = summarize(s.demuxed!.map(mbps));
    const b = summarize(s.raw!.map(mbps));
    const t = summarize(s.transport!.map(mbps));
    const q = summarize(s.poolRaw!.map(mbps));
    return {
      section: 'Streams', case: `demux alone: ${megabytes} MB of synthetic frames from a local server (no engine), throughput`, unit: 'MB/s', podling: p,
      baselines: [baseline('bare undici Client, raw bytes', p, b, pairedRatio(s.demuxed!.map(mbps), s.raw!.map(mbps)))],
      note: `diagnostic: CPU-bound, nothing else limits the rate. Same rounds: Podling's transport without the demuxer ${fmt(t.median, 0)} MB/s, a bare undici Pool ${fmt(q.median, 0)} MB/s`,
    };
  } finally {
    await Promise.all([engine.close(), bare.close(), pool.close()]);
    server.close();
  }
}
