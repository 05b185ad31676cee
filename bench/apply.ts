/**
 * `podling apply` (issue 10): a file of 20 pods (the busybox image, sleeping) and a service that
 * selects them, applied to an engine that has none of them, then applied again unchanged. Wall
 * time and engine calls of each (every request undici creates, counted on its diagnostics channel
 * 'undici:request:create', as test/support/sent.ts counts them), and the writes of the unchanged
 * applies (anything but GET and HEAD; the target is 0). The library functions the CLI runs
 * (src/kube/apply.ts), in this process; and the whole CLI process (`podling apply -f`) for the
 * unchanged case, as a user pays it. Everything removed after each round.
 *
 * Environment: PODLING_BENCH_APPLY_ROUNDS (default 3), PODLING_BENCH_APPLY_UNCHANGED (unchanged
 * applies per round, default 3).
 */
import { spawnSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { aloneLabel, engineVersion, writeAloneSection } from './alone.js';
import { ROOT, SOCKET, dist, msSince, podling, podlingPods, removeNetwork } from './lib.js';
import { baseline, tables, type Row } from './report.js';
import { fmt, summarize } from './stats.js';

const kubeApply = await dist<typeof import('../src/kube/apply.js')>('kube/apply.js');
const kubeManifest = await dist<typeof import('../src/kube/manifest.js')>('kube/manifest.js');
const { Engine } = podling;
const { Pods } = podlingPods;
type Pods = InstanceType<typeof Pods>;

const SECTION = '`podling apply`: a file of 20 pods and a service, first apply vs unchanged apply';
const ROUNDS = Number(process.env.PODLING_BENCH_APPLY_ROUNDS ?? 3);
const UNCHANGED = Number(process.env.PODLING_BENCH_APPLY_UNCHANGED ?? 3);
/** The corpus's image (test/corpus): present locally; IfNotPresent would pull it from the loopback registry, never further. */
const IMAGE = '127.0.0.1:5000/podling-test/busybox:latest';
const PODS = 20;
const NAMESPACE = 'kc-bench-apply';
const CLUSTER = { name: 'podling-bench-apply', subnet: '10.212.252.0/24' };

/** The file: a Service, then PODS pods it selects, as one multi-document YAML text. */
export function applyFile(pods = PODS): string {
  const service = `apiVersion: v1\nkind: Service\nmetadata:\n  name: sleepers\n  namespace: ${NAMESPACE}\nspec:\n  selector:\n    app: sleepers\n  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n`;
  const pod = (i: number) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: sleeper-${String(i).padStart(2, '0')}\n  namespace: ${NAMESPACE}\n  labels:\n    app: sleepers\nspec:\n  containers:\n    - name: sleep\n      image: ${IMAGE}\n      imagePullPolicy: IfNotPresent\n      command: ["sleep", "3600"]\n      resources:\n        limits:\n          memory: 16Mi\n`;
  return [service, ...Array.from({ length: pods }, (_, i) => pod(i))].join('---\n');
}

interface Counted { ms: number; calls: number; writes: string[]; verbs: Record<string, number>; /** `METHOD path` of every call, query left out. */ requests: string[] }

/** Runs `fn`, timing it and counting the requests undici creates meanwhile (this process only). */
async function counted(fn: () => Promise<Record<string, number>>): Promise<Counted> {
  const requests: string[] = [];
  const onCreate = (message: unknown) => {
    const { request } = message as { request: { method: string; path: string } };
    requests.push(`${request.method} ${request.path.replace(/\?.*$/, '')}`);
  };
  subscribe('undici:request:create', onCreate);
  const started = process.hrtime.bigint();
  try {
    const verbs = await fn();
    const writes = requests.filter((r) => !r.startsWith('GET ') && !r.startsWith('HEAD '));
    return { ms: msSince(started), calls: requests.length, writes, verbs, requests };
  } finally {
    unsubscribe('undici:request:create', onCreate);
  }
}

/** What `podling apply -f FILE` runs: load, observe, plan, execute; the verbs counted. */
async function applyOnce(pods: Pods, file: string): Promise<Record<string, number>> {
  const manifests = kubeManifest.inNamespace(await kubeManifest.loadManifests([file]), undefined);
  const actions = kubeApply.planApply(manifests, await kubeApply.observeForApply(pods, manifests));
  await kubeApply.executeApply(pods, actions);
  const verbs: Record<string, number> = {};
  for (const a of actions) if (a.manifest.kind !== 'Namespace') verbs[a.verb] = (verbs[a.verb] ?? 0) + 1;
  return verbs;
}

async function cleanUp(pods: Pods, file: string): Promise<void> {
  const manifests = kubeManifest.inNamespace(await kubeManifest.loadManifests([file]), undefined);
  await kubeApply.deleteManifests(pods, manifests, { onDone: () => {} }); // see corpus.ts: its deletes are awaited only with onDone
}

export interface ApplyBenchResult {
  first: Counted[]; unchanged: Counted[]; cli: number[]; cliFailures: string[];
  /** The engine's answer when it would not remove the bench's cluster network at the end. */
  networkLeft?: string;
}

export async function applyBench(socketPath = SOCKET, log: (line: string) => void = () => {}): Promise<ApplyBenchResult> {
  const engine = new Engine({ socketPath });
  const pods = new Pods(engine, { cluster: CLUSTER });
  const dir = mkdtempSync(join(tmpdir(), 'podling-bench-apply-'));
  const file = join(dir, 'sleepers.yaml');
  writeFileSync(file, applyFile());
  const result: ApplyBenchResult = { first: [], unchanged: [], cli: [], cliFailures: [] };
  const cliEnv = { ...process.env, DOCKER_HOST: `unix://${socketPath}`, PODLING_CLUSTER_NETWORK: CLUSTER.name, PODLING_CLUSTER_SUBNET: CLUSTER.subnet };
  try {
    await cleanUp(pods, file); // what a killed run left
    for (let round = 0; round < ROUNDS; round++) {
      const first = await counted(() => applyOnce(pods, file));
      result.first.push(first);
      for (let i = 0; i < UNCHANGED; i++) result.unchanged.push(await counted(() => applyOnce(pods, file)));
      // The CLI in a process of its own: node's start and the bundle's load included.
      const started = process.hrtime.bigint();
      const cli = spawnSync(process.execPath, ['bin/podling.js', 'apply', '-f', file], { cwd: ROOT, env: cliEnv, encoding: 'utf8' });
      result.cli.push(msSince(started));
      const lines = cli.stdout.trim().split('\n');
      if (cli.status !== 0 || lines.length !== PODS + 1 || !lines.every((l) => l.endsWith(' unchanged'))) result.cliFailures.push(`exit ${cli.status}: ${(cli.stdout + cli.stderr).trim().split('\n').slice(0, 3).join(' | ')}`);
      const last = result.unchanged.at(-1)!;
      log(`apply round ${round + 1}: first ${fmt(first.ms, 0)} ms, ${first.calls} calls (${first.writes.length} writes) ${JSON.stringify(first.verbs)}; unchanged ${fmt(last.ms, 0)} ms, ${last.calls} calls, ${last.writes.length} writes ${JSON.stringify(last.verbs)}; CLI unchanged ${fmt(result.cli.at(-1)!, 0)} ms`);
      await cleanUp(pods, file);
    }
  } finally {
    await cleanUp(pods, file).catch(() => {});
    result.networkLeft = await removeNetwork(engine, CLUSTER.name);
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

export function applyRows(r: ApplyBenchResult): Row[] {
  const firstMs = summarize(r.first.map((x) => x.ms));
  const unchangedMs = summarize(r.unchanged.map((x) => x.ms));
  const firstCalls = summarize(r.first.map((x) => x.calls));
  const unchangedCalls = summarize(r.unchanged.map((x) => x.calls));
  const writes = summarize(r.unchanged.map((x) => x.writes.length));
  const firstWrites = summarize(r.first.map((x) => x.writes.length));
  const stray = [...new Set(r.unchanged.flatMap((x) => x.writes))];
  const verbs = (xs: Counted[]) => [...new Set(xs.map((x) => Object.entries(x.verbs).map(([verb, n]) => `${n} ${verb}`).join(', ')))].join(' / ');
  const unchangedRequests = [...new Set(r.unchanged.flatMap((x) => x.requests))].join(', ');
  return [
    { section: SECTION, case: `wall time, library (load, observe, plan, execute in this process): unchanged apply vs first apply — first: ${verbs(r.first)}; unchanged: ${verbs(r.unchanged)}`, unit: 'ms', podling: unchangedMs, baselines: [baseline('first apply (creates all 21 objects)', unchangedMs, firstMs)], note: `the first apply takes ${fmt(firstMs.median / unchangedMs.median, 0)}× as long` },
    { section: SECTION, case: 'engine calls: unchanged apply vs first apply', unit: 'calls', podling: unchangedCalls, baselines: [baseline('first apply (creates all 21 objects)', unchangedCalls, firstCalls)], note: `the unchanged apply's calls: ${unchangedRequests}; ${fmt(firstWrites.median, 0)} of the first apply's calls are writes` },
    {
      section: SECTION, case: 'engine writes of an unchanged apply', unit: 'writes', podling: writes, baselines: [],
      target: { text: '0 engine writes when nothing changed', met: writes.max === 0, evidence: `${fmt(writes.max, 0)} writes at most over ${r.unchanged.length} unchanged applies (every request but GET and HEAD counted)${stray.length ? `: ${stray.join(', ')}` : ''}` },
    },
    { section: SECTION, case: `\`podling apply -f\` unchanged, whole CLI process (node start included)${r.cliFailures.length ? ` — **${r.cliFailures.length} runs did not print 21 unchanged lines**: ${r.cliFailures[0]}` : ' — every run printed 21 "unchanged" lines'}`, unit: 'ms', podling: summarize(r.cli), baselines: [] },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const when = new Date();
  applyBench(SOCKET, (line) => console.error(line)).then(async (r) => {
    const lines = [
      aloneLabel('node --import tsx bench/apply.ts', when, await engineVersion(SOCKET), SOCKET, 'PODLING_BENCH_APPLY'),
      `${ROUNDS} rounds, each: a first apply on an engine without the objects, ${UNCHANGED} unchanged applies through the library, one through the CLI, then \`delete -f\`.`,
      '', tables(applyRows(r)),
      ...(r.networkLeft ? [`The engine would not remove the bench's cluster network ${CLUSTER.name} afterwards: ${r.networkLeft}.`, ''] : []),
    ];
    writeAloneSection('## `podling apply`, 20 pods: measured alone', lines);
    console.log(lines.join('\n'));
  }).catch((err) => { console.error(err); process.exit(1); });
}
