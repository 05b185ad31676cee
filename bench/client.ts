/**
 * Engine client benchmarks (issue 2): per-call time against a bare undici Client on the same
 * socket, and demux throughput against a raw read of the same bytes.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';
import { Engine } from '../src/index.js';
import { frames } from '../src/engine/streams/demux.js';
import { interleave, summarize, time, type Sample } from './stats.js';

export interface Row { case: string; podling: Sample; baseline: Sample; baselineName: string; ratio: number; unit: string; target?: string; met?: boolean }

const CALLS = 200;
const ROUNDS = 9;

export async function perCall(socketPath = '/var/run/docker.sock'): Promise<Row[]> {
  const engine = new Engine({ socketPath });
  const version = await engine.apiVersion();
  const bare = new Client('http://localhost', { socketPath });
  const repeat = (fn: () => Promise<unknown>) => async () => { for (let i = 0; i < CALLS; i++) await fn(); };
  const cases = {
    '/_ping': {
      podling: repeat(() => engine.system.ping()),
      bare: repeat(async () => { const r = await bare.request({ method: 'GET', path: '/_ping' }); await r.body.dump(); }),
    },
    '/containers/json': {
      podling: repeat(() => engine.containers.list({ all: true })),
      bare: repeat(async () => { const r = await bare.request({ method: 'GET', path: `/v${version}/containers/json?all=1` }); await r.body.json(); }),
    },
  };
  const rows: Row[] = [];
  for (const [name, c] of Object.entries(cases)) {
    await c.podling(); await c.bare(); // warm both connections and JIT
    const s = await interleave(ROUNDS, c);
    const ratio = s.podling!.median / s.bare!.median;
    rows.push({ case: `per call ${name} (${CALLS} sequential calls)`, podling: s.podling!, baseline: s.bare!, baselineName: 'bare undici Client', ratio, unit: 'ms', target: '≤ 1.1×', met: ratio <= 1.1 });
  }
  await engine.close();
  await bare.close();
  return rows;
}

/** 100 MB of frames of mixed sizes and streams, cut into 64 KiB chunks as a socket would. */
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
 * Demux throughput over a real Unix socket: a local server streams the same synthetic bytes to
 * Podling's transport + demuxer and to a bare undici Client that only counts them.
 */
export async function demuxThroughput(megabytes = 100): Promise<Row> {
  const chunks = syntheticStream(megabytes * 1024 * 1024);
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  const socketPath = join(tmpdir(), `podling-bench-${process.pid}.sock`);
  const server = createServer(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
    for (const chunk of chunks) if (!res.write(chunk)) await once(res, 'drain');
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const engine = new Engine({ socketPath, apiVersion: '1.41' });
  const bare = new Client('http://localhost', { socketPath });
  const demuxed = async () => {
    const res = await engine.transport.stream({ method: 'GET', path: '/logs', unversioned: true });
    let n = 0;
    for await (const f of frames(res.body)) n += f.payload.length;
    return n;
  };
  const raw = async () => {
    const res = await bare.request({ method: 'GET', path: '/logs' });
    let n = 0;
    for await (const c of res.body) n += (c as Buffer).length;
    return n;
  };
  await demuxed(); await raw();
  const s = await interleave(7, { demuxed, raw });
  await Promise.all([engine.close(), bare.close()]);
  server.close();
  const mbps = (ms: number) => (bytes / 1024 / 1024) / (ms / 1000);
  const toThroughput = (x: Sample): Sample => ({ min: mbps(x.max), median: mbps(x.median), max: mbps(x.min), runs: x.runs });
  const podling = toThroughput(s.demuxed!);
  const baseline = toThroughput(s.raw!);
  const ratio = podling.median / baseline.median;
  return { case: `demux ${megabytes} MB synthetic multiplexed stream over a Unix socket`, podling, baseline, baselineName: 'bare undici Client, raw bytes', ratio, unit: 'MB/s', target: '≥ 0.9×', met: ratio >= 0.9 };
}

export { summarize, time };
