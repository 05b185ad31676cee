/**
 * Podling on Podman's Docker-compatible API (issue 11): create and delete of the same 4-container
 * pod through Podling on Podman 4.3's socket, against `podman kube play` / `podman kube down` of
 * the same manifest, in one run, candidates alternating. CLI to CLI (each a process of its own, as
 * a user pays it), plus the library in this process with every engine call counted and timed: the
 * time with at least one call in flight is the engine's, the rest is ours (planning, building
 * bodies, JSON, waiting on nothing). The podman CLI is the baseline being measured, never
 * something Podling uses; it runs in the service's mount namespace with the service's own
 * configuration (scripts/podman-engine.sh), so both sides see the same storage and resolver.
 *
 * Environment: PODLING_BENCH_PODMAN_ROUNDS (default 5), PODLING_PODMAN_ENGINE (default
 * unix:///run/podling-podman/podman.sock).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { aloneLabel, writeAloneSection } from './alone.js';
import { ROOT, msSince, podling, podlingPods, removeNetwork } from './lib.js';
import { baseline, tables, type Row } from './report.js';
import { fmt, summarize } from './stats.js';

const { Engine } = podling;
const { Pods } = podlingPods;

export const PODMAN_SOCKET = (process.env.PODLING_PODMAN_ENGINE ?? 'unix:///run/podling-podman/podman.sock').replace(/^unix:\/\//, '');
const SECTION = 'Podman 4.3: a 4-container pod, Podling on Podman\'s Docker-compatible API vs `podman kube play` / `kube down`';
const ROUNDS = Number(process.env.PODLING_BENCH_PODMAN_ROUNDS ?? 5);
const POD = 'podling-bench-podman';
/** Inside Podman's own pool (scripts/podman-engine.sh): 10.89.0.0/16 in /24s, handed out from the bottom. */
const CLUSTER = { name: 'podling-bench-podman-cluster', subnet: '10.89.253.0/24' };
const IMAGE = 'podling-test/busybox:latest';

/**
 * The pod both sides run: four sleepers that exit on SIGTERM (a shell trap), so neither side's
 * delete waits out a grace period (`podman kube down` stops with podman's 10 s timeout; kube play
 * gives the containers no init to pass the signal on, as Podling's docker-init/catatonit does).
 */
export function podManifest(): string {
  const container = (name: string) => `  - name: ${name}
    image: ${IMAGE}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${POD}
spec:
  terminationGracePeriodSeconds: 5
  containers:
${['web', 'sidecar', 'logger', 'metrics'].map(container).join('\n')}
`;
}

interface Calls { ms: number; calls: number; engineMs: number; ourMs: number; byCall: Record<string, number> }
export interface PodmanBenchResult {
  version: string;
  cli: { podlingCreate: number[]; podlingDelete: number[]; kubePlay: number[]; kubeDown: number[]; podlingList: number[]; podmanPs: number[] };
  library: { create: Calls[]; delete: Calls[] };
  failures: string[];
}

/**
 * Runs `fn`, counting the engine calls undici makes meanwhile and the time at least one is in
 * flight (from the request's creation to its last byte or its error): the engine's share.
 */
async function counted(fn: () => Promise<unknown>): Promise<Calls> {
  const open = new Map<object, number>();
  const byCall: Record<string, number> = {};
  let calls = 0;
  let inFlight = 0;
  let busySince = 0n;
  let busyNs = 0n;
  const begin = (message: unknown) => {
    const { request } = message as { request: { method: string; path: string } };
    calls++;
    const key = `${request.method} ${request.path.replace(/\?.*$/, '').replace(/^\/v[\d.]+/, '').replace(/[0-9a-f]{64}/, '{id}').replace(/\/(podling_|podling-|pod-)[^/]*/, '/{name}')}`;
    byCall[key] = (byCall[key] ?? 0) + 1;
    if (inFlight++ === 0) busySince = process.hrtime.bigint();
    open.set(request, 1);
  };
  const end = (message: unknown) => {
    const { request } = message as { request: object };
    if (!open.delete(request)) return;
    if (--inFlight === 0) busyNs += process.hrtime.bigint() - busySince;
  };
  subscribe('undici:request:create', begin);
  subscribe('undici:request:trailers', end);
  subscribe('undici:request:error', end);
  const started = process.hrtime.bigint();
  try {
    await fn();
    const ms = msSince(started);
    if (inFlight > 0) busyNs += process.hrtime.bigint() - busySince; // a stream still open (none expected)
    const engineMs = Number(busyNs) / 1e6;
    return { ms, calls, engineMs, ourMs: ms - engineMs, byCall };
  } finally {
    unsubscribe('undici:request:create', begin);
    unsubscribe('undici:request:trailers', end);
    unsubscribe('undici:request:error', end);
  }
}

/** The podman CLI as the service runs it: its mount namespace (netns files, its resolv.conf) and configuration. */
function podmanCli(): { command: string; prefix: string[]; env: NodeJS.ProcessEnv } {
  const pid = readFileSync('/run/podling-podman/service.pid', 'utf8').trim();
  const env = { ...process.env };
  for (const line of execFileSync('bash', [join(ROOT, 'scripts/podman-engine.sh'), '--env'], { encoding: 'utf8' }).trim().split('\n')) {
    const at = line.indexOf('=');
    env[line.slice(0, at)] = line.slice(at + 1);
  }
  return { command: 'nsenter', prefix: [`--mount=/proc/${pid}/ns/mnt`, '/usr/bin/podman'], env };
}

function timedRun(command: string, args: string[], env: NodeJS.ProcessEnv, failures: string[], what: string): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, { cwd: ROOT, env, encoding: 'utf8' });
  const ms = msSince(started);
  if (run.status !== 0) failures.push(`${what}: exit ${run.status}: ${(run.stderr || run.stdout).trim().split('\n').slice(-2).join(' | ')}`);
  return ms;
}

export async function podmanBench(log: (line: string) => void = () => {}): Promise<PodmanBenchResult> {
  const engine = new Engine({ socketPath: PODMAN_SOCKET });
  const version = await engine.system.version().then((v) => `Podman ${v.Version} (API ${v.ApiVersion})`, () => 'Podman ?');
  const pods = new Pods(engine, { cluster: CLUSTER });
  const dir = mkdtempSync(join(tmpdir(), 'podling-bench-podman-'));
  const file = join(dir, 'pod.yaml');
  writeFileSync(file, podManifest());
  const manifest = (await import('yaml')).parse(podManifest());
  const podman = podmanCli();
  const podlingEnv = { ...process.env, DOCKER_HOST: `unix://${PODMAN_SOCKET}`, PODLING_CLUSTER_NETWORK: CLUSTER.name, PODLING_CLUSTER_SUBNET: CLUSTER.subnet };
  const result: PodmanBenchResult = { version, cli: { podlingCreate: [], podlingDelete: [], kubePlay: [], kubeDown: [], podlingList: [], podmanPs: [] }, library: { create: [], delete: [] }, failures: [] };
  const kube = (verb: string) => timedRun(podman.command, [...podman.prefix, 'kube', verb, file], podman.env, result.failures, `podman kube ${verb}`);
  const cleanUp = async () => {
    await pods.delete(POD, { force: true }).catch(() => {});
    spawnSync(podman.command, [...podman.prefix, 'kube', 'down', file], { env: podman.env });
  };
  try {
    await cleanUp();
    // One untimed pass each: the infra images (Podling's, podman's pause image) and the cluster network exist before timing.
    await pods.create(manifest);
    await pods.delete(POD, { force: true });
    kube('play');
    kube('down');
    result.failures.length = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating which goes first, so neither always runs on a machine the other just warmed.
      const sides = [
        () => {
          result.cli.podlingCreate.push(timedRun(process.execPath, ['bin/podling.js', 'pod', 'create', '-f', file], podlingEnv, result.failures, 'podling pod create'));
          result.cli.podlingDelete.push(timedRun(process.execPath, ['bin/podling.js', 'pod', 'delete', POD], podlingEnv, result.failures, 'podling pod delete'));
        },
        () => {
          result.cli.kubePlay.push(kube('play'));
          result.cli.kubeDown.push(kube('down'));
        },
        // Each CLI's floor: a process that starts, reaches the engine and lists (one call for
        // Podling, GET /containers/json; podman reads its own database), with no pod there.
        () => {
          result.cli.podlingList.push(timedRun(process.execPath, ['bin/podling.js', 'pod', 'list'], podlingEnv, result.failures, 'podling pod list'));
          result.cli.podmanPs.push(timedRun(podman.command, [...podman.prefix, 'pod', 'ps'], podman.env, result.failures, 'podman pod ps'));
        },
      ];
      for (const side of round % 2 ? sides.reverse() : sides) side();
      result.library.create.push(await counted(() => pods.create(manifest)));
      result.library.delete.push(await counted(() => pods.delete(POD)));
      const [c, d] = [result.library.create.at(-1)!, result.library.delete.at(-1)!];
      log(`podman round ${round + 1}: CLI create ${fmt(result.cli.podlingCreate.at(-1)!, 0)} ms vs kube play ${fmt(result.cli.kubePlay.at(-1)!, 0)} ms; delete ${fmt(result.cli.podlingDelete.at(-1)!, 0)} ms vs kube down ${fmt(result.cli.kubeDown.at(-1)!, 0)} ms; library create ${fmt(c.ms, 0)} ms (${c.calls} calls, engine ${fmt(c.engineMs, 0)} ms), delete ${fmt(d.ms, 0)} ms (${d.calls} calls, engine ${fmt(d.engineMs, 0)} ms)`);
    }
  } finally {
    await cleanUp().catch(() => {});
    const left = await removeNetwork(engine, CLUSTER.name);
    if (left) result.failures.push(`cluster network ${CLUSTER.name} left: ${left}`);
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

export function podmanRows(r: PodmanBenchResult): Row[] {
  const s = (xs: number[]) => summarize(xs);
  const lib = (xs: Calls[], pick: (c: Calls) => number) => summarize(xs.map(pick));
  const calls = (xs: Calls[]) => Object.entries(xs[0]?.byCall ?? {}).map(([k, n]) => `${n}× ${k}`).join(', ');
  const share = (xs: Calls[]) => fmt(100 * lib(xs, (c) => c.engineMs).median / lib(xs, (c) => c.ms).median, 0);
  const failed = r.failures.length ? ` — **${r.failures.length} runs failed**: ${r.failures[0]}` : '';
  return [
    { section: SECTION, case: `create, CLI to CLI: \`podling pod create -f\` vs \`podman kube play\` (each a whole process)${failed}`, unit: 'ms', podling: s(r.cli.podlingCreate), baselines: [baseline('podman kube play', s(r.cli.podlingCreate), s(r.cli.kubePlay))] },
    { section: SECTION, case: 'delete, CLI to CLI: `podling pod delete` vs `podman kube down`', unit: 'ms', podling: s(r.cli.podlingDelete), baselines: [baseline('podman kube down', s(r.cli.podlingDelete), s(r.cli.kubeDown))] },
    { section: SECTION, case: 'each CLI\'s floor: a whole process that reaches the engine and lists pods (none there): `podling pod list` vs `podman pod ps`', unit: 'ms', podling: s(r.cli.podlingList), baselines: [baseline('podman pod ps', s(r.cli.podlingList), s(r.cli.podmanPs))], note: `Podling's CLI create less its floor: ${fmt(s(r.cli.podlingCreate).median - s(r.cli.podlingList).median, 0)} ms, against ${fmt(lib(r.library.create, (c) => c.ms).median, 0)} ms for the library's create in a warm process; kube play less podman's floor: ${fmt(s(r.cli.kubePlay).median - s(r.cli.podmanPs).median, 0)} ms` },
    { section: SECTION, case: `create, library in this process: time with an engine call in flight (${share(r.library.create)} % of it); calls: ${calls(r.library.create)}`, unit: 'ms', podling: lib(r.library.create, (c) => c.ms), baselines: [baseline('engine calls in flight', lib(r.library.create, (c) => c.ms), lib(r.library.create, (c) => c.engineMs))], note: `ours (no call in flight): ${fmt(lib(r.library.create, (c) => c.ourMs).median, 0)} ms median over ${fmt(lib(r.library.create, (c) => c.calls).median, 0)} calls` },
    { section: SECTION, case: `delete, library in this process: time with an engine call in flight (${share(r.library.delete)} % of it); calls: ${calls(r.library.delete)}`, unit: 'ms', podling: lib(r.library.delete, (c) => c.ms), baselines: [baseline('engine calls in flight', lib(r.library.delete, (c) => c.ms), lib(r.library.delete, (c) => c.engineMs))], note: `ours (no call in flight): ${fmt(lib(r.library.delete, (c) => c.ourMs).median, 0)} ms median over ${fmt(lib(r.library.delete, (c) => c.calls).median, 0)} calls` },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const when = new Date();
  podmanBench((line) => console.error(line)).then((r) => {
    const lines = [
      aloneLabel('node --import tsx bench/podman.ts', when, r.version, PODMAN_SOCKET, 'PODLING_BENCH_PODMAN'),
      `${ROUNDS} rounds, each: the CLI pair on both sides (order alternating), then the library's create and delete with every engine call counted and timed. The pod: ${podManifest().split('\n').length} lines of YAML, four busybox sleepers that exit on SIGTERM. Podling's pod joins its cluster network only (the default \`cluster\` pod network mode); kube play's joins podman's default network.`,
      '', tables(podmanRows(r)),
      ...(r.failures.length ? ['Failures:', ...r.failures.map((f) => `- ${f}`), ''] : []),
    ];
    writeAloneSection('## Podman 4.3, a 4-container pod: measured alone', lines);
    console.log(lines.join('\n'));
  }).catch((err) => { console.error(err); process.exit(1); });
}
