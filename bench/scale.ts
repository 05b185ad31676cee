/**
 * Scale (issue case 4): N one-container pods created at once through one Podling `Pods`, then all
 * deleted at once, for N = 10, 25, 50; against the docker CLI script (bench/pod-cli.sh) run N times
 * by `xargs -P 8`, then its deletes the same way. Reported: wall time, throughput (pods per
 * second), failures, and leaks (objects of those pods still on the engine after the deletes),
 * which must be zero. Podling and the CLI alternate; the largest N is repeated.
 */
import { spawn } from 'node:child_process';
import type { Dispatcher } from 'undici';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_IMAGE, BENCH_CLUSTER, BENCH_CREATOR, BENCH_MANAGED, CREATOR, ROOT, SOCKET, dockerEnv, msSince, podling, podlingCluster, podlingInfra, podlingPods, type Engine } from './lib.js';
import { summarize, type Sample } from './stats.js';

export const SCALE_SIZES = (process.env.PODLING_BENCH_SCALE_SIZES ?? '10,25,50').split(',').map(Number);
/** Repetitions of the largest N (the smaller ones run once: they show how time grows). */
const LARGEST_ROUNDS = Number(process.env.PODLING_BENCH_SCALE_ROUNDS ?? 2);
const CLI_PARALLEL = 8;
/** One extra run at the largest N with Podling bounded to 8 pods in flight (PODLING_BENCH_SCALE_DIAGNOSTIC=0: none). */
const DIAGNOSTIC = process.env.PODLING_BENCH_SCALE_DIAGNOSTIC !== '0';
const POD_PREFIX = 'pscale-';
const CLI_PREFIX = 'cscale-';

/** Per kind of engine call during one run: how many, and their latency (ms, request to headers). */
export interface CallStats { call: string; count: number; median: number; max: number }
export interface ScaleRun { candidate: 'podling' | 'docker-cli' | 'podling-8-at-a-time'; pods: number; createMs: number; deleteMs: number; createFailures: number; deleteFailures: number; leaks: number; failureSamples: string[]; calls?: { create: CallStats[]; delete: CallStats[] } }
export interface ScaleResult {
  runs: ScaleRun[];
  /** Set when the bench's cluster network could not be removed afterwards (the engine's answer). */
  clusterLeak?: string;
  /** Per candidate and N: medians over the runs of that N. */
  summary: Array<{ candidate: ScaleRun['candidate']; pods: number; runs: number; create: Sample; delete: Sample; createPerSecond: number; deletePerSecond: number; failures: number; leaks: number }>;
}

const cliScript = join(ROOT, 'bench', 'pod-cli.sh');

/** `xargs -P 8` over the names; each failing script appends its name to a file. Resolves with the failures. */
function xargs(action: 'create' | 'delete', names: string[], cluster: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'podling-bench-xargs-'));
  const failed = join(dir, 'failed');
  const errors = join(dir, 'errors');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c',
      `xargs -P ${CLI_PARALLEL} -I{} bash -c 'bash "$0" ${action} "$1" 1 2>>"$2" || echo "$1" >>"$3"' "$SCRIPT" {} "$ERRORS" "$FAILED"`,
    ], {
      stdio: ['pipe', 'ignore', 'inherit'],
      env: dockerEnv({ SCRIPT: cliScript, ERRORS: errors, FAILED: failed, BENCH_CREATOR: CREATOR, BENCH_IMAGE: APP_IMAGE, BENCH_INFRA_IMAGE: podlingInfra.INFRA_IMAGE, BENCH_CLUSTER: cluster }),
    });
    child.stdin.end(names.join('\n') + '\n');
    child.on('error', reject);
    child.on('exit', () => {
      const read = (f: string) => { try { return readFileSync(f, 'utf8').split('\n').filter(Boolean); } catch { return []; } };
      const out = read(failed).map((name) => `${name}: ${read(errors).slice(-1)[0] ?? 'failed'}`);
      rmSync(dir, { recursive: true, force: true });
      resolve(out);
    });
  });
}

/** Latency of every request sent through a dispatcher while recording, grouped by call. */
function recorder(dispatcher: Dispatcher) {
  let records: Array<{ call: string; ms: number }> | undefined;
  const original = dispatcher.request.bind(dispatcher) as (opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
  (dispatcher as { request: unknown }).request = (opts: Dispatcher.RequestOptions, callback?: unknown) => {
    if (callback !== undefined) return (original as (o: unknown, c: unknown) => void)(opts, callback);
    const promise = original(opts);
    if (records) {
      const mine = records;
      const start = process.hrtime.bigint();
      const call = `${opts.method} ${String(opts.path).replace(/^\/v\d+\.\d+/, '').replace(/\?.*$/, '').replace(/\/containers\/[^/]+\/(start|stop|json)$/, '/containers/{id}/$1').replace(/\/containers\/[0-9a-f]{64}$/, '/containers/{id}').replace(/\/networks\/pod-[0-9a-f]+$/, '/networks/{pod network}').replace(/\/images\/.+\/json$/, '/images/{name}/json')}`;
      const done = () => mine.push({ call, ms: msSince(start) });
      promise.then(done, done);
    }
    return promise;
  };
  return {
    start: () => { records = []; },
    stop: (): CallStats[] => {
      const by = new Map<string, number[]>();
      for (const r of records ?? []) by.set(r.call, [...(by.get(r.call) ?? []), r.ms]);
      records = undefined;
      return [...by].map(([call, ms]) => { const s = summarize(ms); return { call, count: ms.length, median: s.median, max: s.max }; });
    },
  };
}

/** Runs `fn` over the items with at most `limit` at once. */
async function limited<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<PromiseSettledResult<unknown>[]> {
  const results: PromiseSettledResult<unknown>[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!).then((value) => ({ status: 'fulfilled' as const, value }), (reason: unknown) => ({ status: 'rejected' as const, reason }));
    }
  }));
  return results;
}

/** Containers and networks left of pods whose names start with `prefix` (Podling's labels or the bench's). */
async function leftovers(engine: Engine, prefix: string): Promise<{ containers: string[]; networks: string[] }> {
  const [c1, c2, n1, n2] = await Promise.all([
    engine.containers.list({ all: true, filters: { label: [`podling.io/creator=${CREATOR}`] } }),
    engine.containers.list({ all: true, filters: { label: [`${BENCH_CREATOR}=${CREATOR}`] } }),
    engine.networks.list({ filters: { label: [`podling.io/creator=${CREATOR}`] } }),
    engine.networks.list({ filters: { label: [`${BENCH_CREATOR}=${CREATOR}`] } }),
  ]);
  const podName = (labels: Record<string, string> | null | undefined) => labels?.['podling.io/pod-name'] ?? labels?.['podling-bench.io/pod-name'] ?? '';
  return {
    containers: [...c1, ...c2].filter((c) => podName(c.Labels).startsWith(prefix)).map((c) => c.Id),
    networks: [...n1, ...n2].filter((n) => podName(n.Labels).startsWith(prefix)).map((n) => n.Id),
  };
}

async function removeAll(engine: Engine, left: { containers: string[]; networks: string[] }): Promise<void> {
  await Promise.all(left.containers.map((id) => engine.containers.remove(id, { force: true, volumes: true }).catch(() => {})));
  await Promise.all(left.networks.map((id) => engine.networks.remove(id).catch(() => {})));
}

export async function scaleBench(socketPath = SOCKET, log: (line: string) => void = () => {}): Promise<ScaleResult> {
  const engine = new podling.Engine({ socketPath });
  const pods = new podlingPods.Pods(engine, { cluster: BENCH_CLUSTER });
  const cluster = pods.cluster;
  const trace = recorder(engine.transport.client);
  const clusterExisted = await engine.networks.inspect(cluster.name).then(() => true, () => false);
  if (!clusterExisted) await podlingCluster.findOrCreateClusterNetwork(engine, cluster);
  const runs: ScaleRun[] = [];
  let clusterLeak: string | undefined;
  let serial = 0;
  const tag = process.pid.toString(36);

  /**
   * All N at once through one Pods (`atOnce` undefined), or, as a diagnostic of where the time goes,
   * at most `atOnce` pods in flight, as xargs -P bounds the CLI.
   */
  const podlingRun = async (n: number, atOnce?: number): Promise<ScaleRun> => {
    const prefix = `${POD_PREFIX}${tag}-${serial++}-`;
    const names = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    const spec = (name: string) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: APP_IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sleep', '3600'] }] } });
    const all = (items: string[], fn: (name: string) => Promise<unknown>) => atOnce ? limited(items, atOnce, fn) : Promise.allSettled(items.map(fn));
    trace.start();
    let t = process.hrtime.bigint();
    const created = await all(names, (name) => pods.create(spec(name)));
    const createMs = msSince(t);
    const createCalls = trace.stop();
    const made = names.filter((_, i) => created[i]!.status === 'fulfilled');
    trace.start();
    t = process.hrtime.bigint();
    const deleted = await all(made, (name) => pods.delete(name));
    const deleteMs = msSince(t);
    const deleteCalls = trace.stop();
    const left = await leftovers(engine, prefix);
    await removeAll(engine, left);
    const reasons = [...created, ...deleted].flatMap((r) => r.status === 'rejected' ? [String((r.reason as Error)?.message ?? r.reason)] : []);
    return {
      candidate: atOnce ? 'podling-8-at-a-time' : 'podling', pods: n, createMs, deleteMs,
      createFailures: created.filter((r) => r.status === 'rejected').length,
      deleteFailures: deleted.filter((r) => r.status === 'rejected').length,
      leaks: left.containers.length + left.networks.length, failureSamples: reasons.slice(0, 3),
      calls: { create: createCalls, delete: deleteCalls },
    };
  };

  const cliRun = async (n: number): Promise<ScaleRun> => {
    const prefix = `${CLI_PREFIX}${tag}-${serial++}-`;
    const names = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    let t = process.hrtime.bigint();
    const createFailed = await xargs('create', names, cluster.name);
    const createMs = msSince(t);
    const failedNames = new Set(createFailed.map((f) => f.slice(0, f.indexOf(':'))));
    t = process.hrtime.bigint();
    const deleteFailed = await xargs('delete', names.filter((name) => !failedNames.has(name)), cluster.name);
    const deleteMs = msSince(t);
    const left = await leftovers(engine, prefix);
    await removeAll(engine, left);
    return {
      candidate: 'docker-cli', pods: n, createMs, deleteMs, createFailures: createFailed.length, deleteFailures: deleteFailed.length,
      leaks: left.containers.length + left.networks.length, failureSamples: [...createFailed, ...deleteFailed].slice(0, 3),
    };
  };

  try {
    // A killed earlier run of this bench may have left pods behind: theirs, not counted.
    await removeAll(engine, await leftovers(engine, POD_PREFIX));
    const largest = Math.max(...SCALE_SIZES);
    const report = (result: ScaleRun) => {
      runs.push(result);
      log(`scale ${result.candidate} ${result.pods} pods: create ${result.createMs.toFixed(0)} ms, delete ${result.deleteMs.toFixed(0)} ms, failures ${result.createFailures}+${result.deleteFailures}, leaks ${result.leaks}${result.failureSamples.length ? ` (${result.failureSamples.join(' | ')})` : ''}`);
    };
    let round = 0;
    for (const n of SCALE_SIZES) {
      for (let r = 0; r < (n === largest ? LARGEST_ROUNDS : 1); r++) {
        const order = round++ % 2 === 0 ? [podlingRun, cliRun] : [cliRun, podlingRun];
        for (const run of order) report(await run(n));
      }
    }
    // Diagnostic: the same Podling calls with at most 8 pods in flight, as xargs -P 8 bounds the CLI.
    if (DIAGNOSTIC) report(await podlingRun(largest, CLI_PARALLEL));
  } finally {
    await removeAll(engine, await leftovers(engine, POD_PREFIX));
    await removeAll(engine, await leftovers(engine, CLI_PREFIX));
    // The engine refuses while it still counts an endpoint on it: a leak even with no container left.
    if (!clusterExisted) await engine.networks.remove(cluster.name).catch((err: unknown) => { clusterLeak = (err as Error).message; log(`the bench cluster network could not be removed: ${clusterLeak}`); });
    await engine.close();
  }

  const summary: ScaleResult['summary'] = [];
  for (const candidate of ['podling', 'docker-cli', 'podling-8-at-a-time'] as const) {
    for (const n of SCALE_SIZES) {
      const mine = runs.filter((r) => r.candidate === candidate && r.pods === n);
      if (!mine.length) continue;
      const create = summarize(mine.map((r) => r.createMs));
      const del = summarize(mine.map((r) => r.deleteMs));
      summary.push({
        candidate, pods: n, runs: mine.length, create, delete: del,
        createPerSecond: n / (create.median / 1000), deletePerSecond: n / (del.median / 1000),
        failures: mine.reduce((s, r) => s + r.createFailures + r.deleteFailures, 0),
        leaks: mine.reduce((s, r) => s + r.leaks, 0),
      });
    }
  }
  return { runs, summary, ...(clusterLeak ? { clusterLeak } : {}) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t = process.hrtime.bigint();
  scaleBench(SOCKET, console.log).then((r) => {
    for (const s of r.summary) console.log(`${s.candidate} ${s.pods}: create ${s.create.median.toFixed(0)} ms (${s.createPerSecond.toFixed(1)} pods/s), delete ${s.delete.median.toFixed(0)} ms (${s.deletePerSecond.toFixed(1)}/s), failures ${s.failures}, leaks ${s.leaks}`);
    console.log(`total ${(msSince(t) / 1000).toFixed(1)} s`);
  }).catch((err) => { console.error(err); process.exit(1); });
}

export { BENCH_MANAGED };
