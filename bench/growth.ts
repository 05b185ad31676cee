/**
 * Pod network modes side by side (issue 12, "Create cost as pods grow"): `cluster` (the infra on the
 * cluster network only) against `own` (also a bridge `pod-<id>` per pod, the seed's way), on one
 * engine, in one run.
 *  1. start and delete of one pod on a near-empty engine: ROUNDS cycles, the modes alternating;
 *  2. growth: GROWTH_PODS one-container pods created one after another (each create's time is its
 *     own), then deleted one after another, newest first; per mode: the 1st against the Nth pod's
 *     create, the delete with N pods present against the last one's (the medians of the first and
 *     last WINDOW, and a least-squares line through all N, read at 1 and at N), and the host's
 *     iptables rules (`iptables-save`, lines that add a rule) before, at N and after.
 * Serial on purpose: the question is what one more pod costs, not throughput (bench/scale.ts).
 * Other users of the shared engine add noise; the windows (first and last WINDOW pods) damp it.
 *
 * Environment: PODLING_BENCH_GROWTH_PODS (110), PODLING_BENCH_GROWTH_ROUNDS (5),
 * PODLING_BENCH_GROWTH_MODES (`cluster,own`: the order of the growth runs).
 */
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { APP_IMAGE, BENCH_CLUSTER, CREATOR, SOCKET, msSince, podling, podlingCluster, podlingPods, type Engine } from './lib.js';
import { summarize, type Sample } from './stats.js';

type Mode = 'cluster' | 'own';
const GROWTH_PODS = Number(process.env.PODLING_BENCH_GROWTH_PODS ?? 110);
const ROUNDS = Number(process.env.PODLING_BENCH_GROWTH_ROUNDS ?? 5);
const MODES = (process.env.PODLING_BENCH_GROWTH_MODES ?? 'cluster,own').split(',') as Mode[];
/** The first and last WINDOW pods' medians: one create on a shared 2-CPU machine varies by ±40 %. */
const WINDOW = 10;
const PREFIX = 'pgrow-';

export interface Growth {
  mode: Mode;
  pods: number;
  /** Each create's ms, in order (the i-th found i-1 pods there). */
  creates: number[];
  /** Each delete's ms, newest pod first (the first found all N there). */
  deletes: number[];
  rules: { before: number; atN: number; after: number };
  failures: string[];
}

export interface GrowthResult {
  /** Start and delete of one pod on a near-empty engine, per mode. */
  single: Record<Mode, { create: Sample; delete: Sample }>;
  growth: Growth[];
  /** Per mode: the 1st vs the Nth create, the windows' medians and ratios; the same for deletes. */
  summary: GrowthSummary[];
}

export interface GrowthSummary {
  mode: Mode; pods: number;
  /** Create: the first and last WINDOW pods' medians, and the fitted line at pod 1 and pod N. */
  firstWindow: number; lastWindow: number; windowRatio: number; fitFirst: number; fitLast: number; fitRatio: number;
  /** Delete: with N pods there (the first WINDOW deletes) and with few (the last WINDOW), and the fitted line. */
  deleteAtN: number; deleteAtOne: number; deleteRatio: number; deleteFitAtN: number; deleteFitAtOne: number; deleteFitRatio: number;
  rulesAtN: number; rulesAdded: number; failures: number;
}

/** The host's iptables rules (filter and nat): what every bridge adds to. */
export function iptablesRules(): number {
  try {
    return execFileSync('iptables-save', { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('-A ')).length;
  } catch {
    return NaN; // not root, or no iptables: reported as such
  }
}

const median = (values: number[]) => summarize(values).median;
const spec = (name: string) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: APP_IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sleep', '3600'] }] } });

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return msSince(t);
}

/** Whatever pods of this bench are left (a killed earlier run, or a failure now): removed with their networks. */
async function sweep(engine: Engine): Promise<void> {
  const [containers, networks] = await Promise.all([
    engine.containers.list({ all: true, filters: { label: [`podling.io/creator=${CREATOR}`] } }),
    engine.networks.list({ filters: { label: [`podling.io/creator=${CREATOR}`] } }),
  ]);
  const ours = (labels: Record<string, string> | null | undefined) => (labels?.['podling.io/pod-name'] ?? '').startsWith(PREFIX);
  await Promise.all(containers.filter((c) => ours(c.Labels)).map((c) => engine.containers.remove(c.Id, { force: true, volumes: true }).catch(() => {})));
  await Promise.all(networks.filter((n) => ours(n.Labels)).map((n) => engine.networks.remove(n.Id).catch(() => {})));
}

export async function growthBench(socketPath = SOCKET, log: (line: string) => void = () => {}): Promise<GrowthResult> {
  const engine = new podling.Engine({ socketPath });
  const pods = Object.fromEntries((['cluster', 'own'] as const).map((mode) => [mode, new podlingPods.Pods(engine, { cluster: BENCH_CLUSTER, podNetwork: mode })])) as Record<Mode, InstanceType<typeof podlingPods.Pods>>;
  const cluster = pods.cluster.cluster;
  const clusterExisted = await engine.networks.inspect(cluster.name).then(() => true, () => false);
  if (!clusterExisted) await podlingCluster.findOrCreateClusterNetwork(engine, cluster);
  const tag = process.pid.toString(36);
  let serial = 0;
  try {
    await sweep(engine);
    // 1. One pod at a time on a near-empty engine, the modes alternating round by round.
    const single: Record<Mode, { create: number[]; delete: number[] }> = { cluster: { create: [], delete: [] }, own: { create: [], delete: [] } };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of round % 2 ? ['own', 'cluster'] as const : ['cluster', 'own'] as const) {
        const name = `${PREFIX}${tag}-${serial++}`;
        single[mode].create.push(await timed(() => pods[mode].create(spec(name))));
        single[mode].delete.push(await timed(() => pods[mode].delete(name)));
      }
    }
    log(`growth: one pod: ${(['cluster', 'own'] as const).map((m) => `${m} create ${median(single[m].create).toFixed(0)} ms, delete ${median(single[m].delete).toFixed(0)} ms`).join('; ')}`);
    // 2. Growth to N, per mode.
    const growth: Growth[] = [];
    for (const mode of MODES) {
      const names = Array.from({ length: GROWTH_PODS }, (_, i) => `${PREFIX}${tag}-${mode}-${i}`);
      const run: Growth = { mode, pods: GROWTH_PODS, creates: [], deletes: [], rules: { before: iptablesRules(), atN: NaN, after: NaN }, failures: [] };
      const made: string[] = [];
      try {
        for (const name of names) {
          try {
            run.creates.push(await timed(() => pods[mode].create(spec(name))));
            made.push(name);
          } catch (err) {
            run.failures.push(`create ${name}: ${(err as Error).message}`);
          }
        }
        run.rules.atN = iptablesRules();
        log(`growth ${mode}: ${made.length} pods made; create 1st ${run.creates[0]?.toFixed(0)} ms, last ${run.creates.at(-1)?.toFixed(0)} ms; iptables rules ${run.rules.before} -> ${run.rules.atN}`);
        for (const name of [...made].reverse()) {
          try {
            run.deletes.push(await timed(() => pods[mode].delete(name)));
          } catch (err) {
            run.failures.push(`delete ${name}: ${(err as Error).message}`);
          }
        }
      } finally {
        await sweep(engine);
      }
      run.rules.after = iptablesRules();
      log(`growth ${mode}: deletes at ${GROWTH_PODS} ${run.deletes[0]?.toFixed(0)} ms, at 1 ${run.deletes.at(-1)?.toFixed(0)} ms; rules after ${run.rules.after}; failures ${run.failures.length}`);
      growth.push(run);
    }
    const summary = growth.map(summarizeGrowth);
    return {
      single: Object.fromEntries((['cluster', 'own'] as const).map((m) => [m, { create: summarize(single[m].create), delete: summarize(single[m].delete) }])) as GrowthResult['single'],
      growth, summary,
    };
  } finally {
    await sweep(engine);
    if (!clusterExisted) await engine.networks.remove(cluster.name).catch((err: unknown) => log(`the bench cluster network could not be removed: ${(err as Error).message}`));
    await engine.close();
  }
}

/** A least-squares line through (1, ms[0]) … (n, ms[n-1]): its values at 1 and at n. */
function fitted(ms: number[]): [number, number] {
  const n = ms.length;
  const mx = (n + 1) / 2;
  const my = ms.reduce((a, b) => a + b, 0) / n;
  const slope = ms.reduce((a, y, i) => a + (i + 1 - mx) * (y - my), 0) / ms.reduce((a, _, i) => a + (i + 1 - mx) ** 2, 0);
  return [my + slope * (1 - mx), my + slope * (n - mx)];
}

/** One growth run's figures (pure: a saved run's raw numbers give the same table). */
export function summarizeGrowth(g: Growth): GrowthSummary {
  const [firstWindow, lastWindow] = [median(g.creates.slice(0, WINDOW)), median(g.creates.slice(-WINDOW))];
  const [deleteAtN, deleteAtOne] = [median(g.deletes.slice(0, WINDOW)), median(g.deletes.slice(-WINDOW))];
  const [fitFirst, fitLast] = fitted(g.creates);
  // Deletes run newest first: the first found N pods there, so the line is read backwards.
  const [deleteFitAtN, deleteFitAtOne] = fitted(g.deletes);
  return {
    mode: g.mode, pods: g.pods,
    firstWindow, lastWindow, windowRatio: lastWindow / firstWindow, fitFirst, fitLast, fitRatio: fitLast / fitFirst,
    deleteAtN, deleteAtOne, deleteRatio: deleteAtN / deleteAtOne, deleteFitAtN, deleteFitAtOne, deleteFitRatio: deleteFitAtN / deleteFitAtOne,
    rulesAtN: g.rules.atN, rulesAdded: g.rules.atN - g.rules.before, failures: g.failures.length,
  };
}

/** The table for RESULTS.md and the README. */
export function growthNotes(r: GrowthResult): string[] {
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '—');
  const lines = [
    '### Pod network modes: `cluster` (cluster network only) against `own` (also a bridge `pod-<id>` per pod)', '',
    `One pod on a near-empty engine (median of ${r.single.cluster.create.runs}, modes alternating): create cluster ${f(r.single.cluster.create.median)} ms, own ${f(r.single.own.create.median)} ms (${f(r.single.own.create.median / r.single.cluster.create.median, 2)}×); delete cluster ${f(r.single.cluster.delete.median)} ms, own ${f(r.single.own.delete.median)} ms (${f(r.single.own.delete.median / r.single.cluster.delete.median, 2)}×).`, '',
    `Growth to N pods, one at a time: the 1st against the Nth pod as the medians of the first and last ${WINDOW}, and (fit) a least-squares line through all N read at 1 and at N; deletes newest first, so "at N" is a delete with N pods there:`, '',
    '| mode | N | create 1st → Nth (medians) | ratio | create 1st → Nth (fit) | ratio | delete at N → at 1 (medians) | ratio | delete (fit) | ratio | iptables rules at N (added) | failures |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of r.summary) {
    lines.push(`| ${s.mode} | ${s.pods} | ${f(s.firstWindow)} → ${f(s.lastWindow)} ms | ${f(s.windowRatio, 2)}× | ${f(s.fitFirst)} → ${f(s.fitLast)} ms | ${f(s.fitRatio, 2)}× | ${f(s.deleteAtN)} → ${f(s.deleteAtOne)} ms | ${f(s.deleteRatio, 2)}× | ${f(s.deleteFitAtN)} → ${f(s.deleteFitAtOne)} ms | ${f(s.deleteFitRatio, 2)}× | ${f(s.rulesAtN)} (${s.rulesAdded >= 0 ? '+' : ''}${f(s.rulesAdded)}) | ${s.failures} |`);
  }
  const [c, o] = [r.summary.find((s) => s.mode === 'cluster'), r.summary.find((s) => s.mode === 'own')];
  if (c && o) lines.push('', `At N pods an own-mode pod's create costs ${f(o.lastWindow / c.lastWindow, 2)}× a cluster-mode pod's, its delete ${f(o.deleteAtN / c.deleteAtN, 2)}×; the own-mode engine holds ${f(o.rulesAdded - c.rulesAdded)} more iptables rules.`);
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t = process.hrtime.bigint();
  growthBench(SOCKET, console.log).then((r) => {
    for (const line of growthNotes(r)) console.log(line);
    console.log(JSON.stringify({ single: r.single, summary: r.summary, creates: r.growth.map((g) => ({ mode: g.mode, creates: g.creates.map(Math.round), deletes: g.deletes.map(Math.round), rules: g.rules, failures: g.failures.slice(0, 3) })) }));
    console.log(`total ${(msSince(t) / 1000).toFixed(1)} s`);
  }).catch((err) => { console.error(err); process.exit(1); });
}
