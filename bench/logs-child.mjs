// One read of a container's whole log, in a process of its own so that its peak RSS is its own:
//   node bench/logs-child.mjs podling|raw CONTAINER_ID
// podling: Podling's compiled client, engine.containers.logs() iterated frame by frame (the demuxer),
//   counting payload bytes;
// raw: a bare undici Client reading the same endpoint's bytes and only counting them.
// Modules are loaded and the client made before the starting RSS is taken, so the growth is what
// reading the stream costs. Prints one JSON line.
import { readFileSync } from 'node:fs';

const [mode, id] = process.argv.slice(2);
const socketPath = '/var/run/docker.sock';
const status = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);

let read;
let close;
if (mode === 'podling') {
  const { Engine } = await import(new URL('../dist/index.js', import.meta.url).href);
  const engine = new Engine({ socketPath });
  await engine.apiVersion();
  read = async () => {
    const output = await engine.containers.logs(id);
    let payload = 0;
    let frames = 0;
    for await (const frame of output) { payload += frame.payload.length; frames++; }
    // `frames` is what the demuxer handed out; it may merge adjacent frames of one stream.
    return { payload, frames };
  };
  close = () => engine.close();
} else if (mode === 'raw') {
  const { Client } = await import('undici');
  const client = new Client('http://localhost', { socketPath, headersTimeout: 0, bodyTimeout: 0 });
  const res = await client.request({ method: 'GET', path: '/_ping' });
  const version = res.headers['api-version'];
  await res.body.dump();
  read = async () => {
    const logs = await client.request({ method: 'GET', path: `/v${version}/containers/${id}/logs?stderr=1&stdout=1` });
    if (logs.statusCode !== 200) throw new Error(`logs: HTTP ${logs.statusCode}`);
    let bytes = 0;
    for await (const chunk of logs.body) bytes += chunk.length;
    return { bytes };
  };
  close = () => client.close();
} else {
  throw new Error('usage: logs-child.mjs podling|raw CONTAINER_ID');
}

const rssStartKB = status('VmRSS');
const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
const counted = await read();
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const hwmKB = status('VmHWM');
const { user, system } = process.cpuUsage(cpu);
await close();
process.stdout.write(JSON.stringify({ mode, ms, ...counted, rssStartKB, hwmKB, maxRssKB: process.resourceUsage().maxRSS, cpuMs: (user + system) / 1000 }) + '\n');
