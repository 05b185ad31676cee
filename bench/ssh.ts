/**
 * An ssh:// engine against the Unix socket (issue 12): the same engine (the test bed's sshd on
 * loopback, scripts/sshd.sh, whose remote `docker system dial-stdio` joins the main engine's
 * socket), so the difference is the transport alone. Candidates alternate round by round.
 *   - `GET /_ping` on a connection already open: the ssh and dial-stdio pipes in each direction.
 *   - the first call of a new Engine (`GET /_ping` with its connection): for ssh:// a login, with
 *     the remote user's shell start-up (docs/engine-behaviour.md).
 *   - a one-container pod created on an Engine already connected, and deleted: each create opens
 *     as many connections (ssh logins) as it has calls in flight at once.
 *
 * Environment: PODLING_BENCH_SSH_ROUNDS (default 5), PODLING_BENCH_SSH_PINGS (pings per round,
 * default 50); PODLING_SSH_ENGINE and PODLING_SSH_CONFIG (else $PODLING_STATE/test.env).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { aloneLabel, engineVersion, writeAloneSection } from './alone.js';
import { SOCKET, msSince, podling, podlingPods, removeNetwork } from './lib.js';
import { baseline, tables, type Row } from './report.js';
import { pairedRatio, summarize, time } from './stats.js';

const { Engine } = podling;
const { Pods } = podlingPods;
type Engine = InstanceType<typeof Engine>;

const SECTION = 'Engine over ssh:// (sshd on loopback, `docker system dial-stdio` to the same engine) against its Unix socket';
const ROUNDS = Number(process.env.PODLING_BENCH_SSH_ROUNDS ?? 5);
const PINGS = Number(process.env.PODLING_BENCH_SSH_PINGS ?? 50);
const IMAGE = '127.0.0.1:5000/podling-test/busybox:latest';
const CLUSTER = { name: 'podling-bench-ssh', subnet: '10.212.249.0/24' };

/** PODLING_SSH_ENGINE and PODLING_SSH_CONFIG: the environment's, else the test bed's test.env. */
export function sshTestBed(): { engine: string; config?: string } {
  const read = (key: string): string | undefined => {
    if (process.env[key]) return process.env[key];
    try {
      const text = readFileSync(`${process.env.PODLING_STATE || '/var/lib/podling-registry'}/test.env`, 'utf8');
      return new RegExp(`^${key}=(.+)$`, 'm').exec(text)?.[1];
    } catch {
      return undefined;
    }
  };
  const engine = read('PODLING_SSH_ENGINE');
  if (!engine) throw new Error('no PODLING_SSH_ENGINE (scripts/sshd.sh sets up the test bed)');
  return { engine, config: read('PODLING_SSH_CONFIG') };
}

interface Samples { ssh: number[]; unix: number[] }
export interface SshBenchResult { address: string; ping: Samples; first: Samples; create: Samples; remove: Samples; connectionsPerCreate: number[] }

export async function sshBench(socketPath = SOCKET, log: (line: string) => void = () => {}): Promise<SshBenchResult> {
  const bed = sshTestBed();
  const make = { ssh: () => new Engine({ host: bed.engine, ssh: { configFile: bed.config } }), unix: () => new Engine({ socketPath }) };
  const warm = { ssh: make.ssh(), unix: make.unix() };
  const pods = { ssh: new Pods(warm.ssh, { cluster: CLUSTER }), unix: new Pods(warm.unix, { cluster: CLUSTER }) };
  const result: SshBenchResult = { address: warm.ssh.address, ping: { ssh: [], unix: [] }, first: { ssh: [], unix: [] }, create: { ssh: [], unix: [] }, remove: { ssh: [], unix: [] }, connectionsPerCreate: [] };
  try {
    await Promise.all([warm.ssh.system.ping(), warm.unix.system.ping()]);
    await cleanUp(pods.unix);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? (['unix', 'ssh'] as const) : (['ssh', 'unix'] as const);
      for (const via of order) {
        result.ping[via].push(await perPing(warm[via]));
        const fresh = make[via]();
        try { result.first[via].push(await time(() => fresh.system.ping())); } finally { await fresh.close(); }
        const name = `bench-ssh-${via}-${round}`;
        const before = warm[via].transport.client.stats.connections;
        result.create[via].push(await time(() => pods[via].create(sleeper(name))));
        if (via === 'ssh') result.connectionsPerCreate.push(warm.ssh.transport.client.stats.connections - before);
        result.remove[via].push(await time(() => pods[via].delete(name)));
      }
      log(`ssh round ${round + 1}/${ROUNDS}: ping ${result.ping.ssh.at(-1)!.toFixed(2)} vs ${result.ping.unix.at(-1)!.toFixed(2)} ms, create ${result.create.ssh.at(-1)!.toFixed(0)} vs ${result.create.unix.at(-1)!.toFixed(0)} ms`);
    }
  } finally {
    await cleanUp(pods.unix).catch(() => {});
    await removeNetwork(warm.unix, CLUSTER.name);
    await Promise.all([warm.ssh.close(), warm.unix.close()]);
  }
  return result;
}

/** Median ms of PINGS sequential pings on an open connection. */
async function perPing(engine: Engine): Promise<number> {
  await engine.system.ping();
  const times: number[] = [];
  for (let i = 0; i < PINGS; i++) {
    const start = process.hrtime.bigint();
    await engine.system.ping();
    times.push(msSince(start));
  }
  return summarize(times).median;
}

const sleeper = (name: string) => ({ metadata: { name }, spec: { containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sleep', '3600'] }] } });

async function cleanUp(pods: InstanceType<typeof Pods>): Promise<void> {
  for (const pod of await pods.list()) if (pod.metadata.name.startsWith('bench-ssh-')) await pods.delete(pod.metadata.name, { force: true });
}

export function sshRows(r: SshBenchResult): Row[] {
  const row = (what: string, s: Samples, note?: string): Row => {
    const ssh = summarize(s.ssh);
    return { section: SECTION, case: what, unit: 'ms', podling: ssh, baselines: [baseline('Unix socket', ssh, summarize(s.unix), pairedRatio(s.ssh, s.unix))], ...(note && { note }) };
  };
  const opened = summarize(r.connectionsPerCreate);
  return [
    row('`GET /_ping`, connection open (median of each round\'s pings)', r.ping),
    row('first call of a new Engine: `GET /_ping` and its connection (ssh: a login)', r.first),
    row('pod create, one container, Engine connected', r.create, `ssh logins opened per create: ${opened.min}–${opened.max}`),
    row('pod delete', r.remove),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const when = new Date();
  sshBench(SOCKET, (line) => console.error(line)).then(async (r) => {
    const lines = [
      aloneLabel('node --import tsx bench/ssh.ts', when, await engineVersion(SOCKET), SOCKET, 'PODLING_BENCH_SSH'),
      `${ROUNDS} rounds against ${r.address}, ssh and the socket alternating; Podling's column is ssh://, the ratio ssh over socket.`,
      '', tables(sshRows(r)),
    ];
    writeAloneSection('## ssh:// against the Unix socket: measured alone', lines);
    console.log(lines.join('\n'));
  }).catch((err) => { console.error(err); process.exit(1); });
}
