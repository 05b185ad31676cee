/**
 * `make bench`: Podling side by side with a bare HTTP client, dockerode, the docker CLI and the
 * original sequential design, in one run on the local engine. Every figure is a ratio against a
 * baseline measured in the same run, from medians of several repetitions, candidates alternating.
 * Writes bench/RESULTS.md and bench/results.json.
 *
 * Environment: PODLING_BENCH_SERVICES=0|1 (the service-DNS rows; default: run them when the run is
 * still inside its time budget), PODLING_BENCH_AGENT=0 (skip the agent's supervision rows, about
 * four minutes), PODLING_BENCH_RECORD_REPLAY=0 (skip the docker CLI session under podling record and
 * replay, about 30 s), PODLING_BENCH_CORPUS=0 (skip the manifest corpus, test/corpus, about 75 s),
 * PODLING_BENCH_APPLY=0 (skip `podling apply` of 20 pods, about 70 s), PODLING_BENCH_SSH=0 (skip
 * the ssh:// engine against the socket, bench/ssh.ts), PODLING_BENCH_PODMAN=0 (skip the
 * 4-container pod on Podman's API against `podman kube play`, about 60 s), PODLING_BENCH_NODES=0 (skip the
 * multi-node test bed's rows, bench/nodes.ts, about 15 min; skipped with the reason when the bed is
 * not up), PODLING_BENCH_REPLAY=1 (also
 * time the replay test suite), and the per-module PODLING_BENCH_* round counts.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'undici';
import { AGENT_CLUSTER_NAME, agentBench, agentLeftovers, type AgentBenchResult } from './agent.js';
import { engineVersion } from './alone.js';
import { applyBench, applyRows } from './apply.js';
import { podmanBench, podmanRows } from './podman.js';
import { demuxSynthetic, perCall, type PerCallBreakdown } from './client.js';
import { corpusBench, corpusNotes, corpusRows } from './corpus.js';
import { coldStart, footprintRows, installs, type ColdStart, type Installed } from './footprint.js';
import { BENCH_CLUSTER, BENCH_CREATOR, BENCH_MANAGED, CREATOR, ROOT, SOCKET, msSince, podling } from './lib.js';
import { nodeBench, type NodeBenchResult } from './nodes.js';
import { describeTrace, podBench, traceSummary, type PodBenchResult } from './pods.js';
import { baseline, tables, targetList, type Row, type Target } from './report.js';
import { recordReplayBench } from './record-replay.js';
import { growthBench, growthNotes, type GrowthResult } from './growth.js';
import { scaleBench, type ScaleResult } from './scale.js';
import { serviceBench } from './services.js';
import { sshBench, sshRows } from './ssh.js';
import { fmt, interleave, summarize } from './stats.js';
import { PULL_REF, PULL_REPO, REGISTRY, logsBench, pullBench, type LogsResult, type PullResult } from './streams.js';

const BUDGET_S = 600;
/** The service rows are extra (not in the issue's list): skipped when the run is already this far in. */
const SERVICES_BY_S = 480;
const started = process.hrtime.bigint();
const elapsedS = () => msSince(started) / 1000;
const log = (line: string) => console.error(`[${elapsedS().toFixed(0).padStart(3)} s] ${line}`);

async function replaySuite(): Promise<Row> {
  let failed = false;
  const run = (args: string[], env: Record<string, string> = {}) => async () => {
    try {
      execFileSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' });
    } catch {
      failed = true;
    }
  };
  const s = await interleave(3, {
    replay: run(['--import', 'tsx', 'test/run.ts'], { PODLING_TEST_MODE: 'replay', DOCKER_HOST: 'unix:///nonexistent.sock' }),
    node: run(['--import', 'tsx', '-e', '']),
  });
  return { section: 'Test suite', case: `replay suite wall time (no engine)${failed ? ' — some tests FAILED' : ''}`, unit: 'ms', podling: s.replay!, baselines: [baseline('node --import tsx -e ""', s.replay!, s.node!)] };
}

/** A part of the run its variable can skip (`=0`); one that fails is reported as skipped, with why, and the run goes on. */
async function optional<T>(name: string, variable: string, run: () => Promise<T>, skipped: string[]): Promise<T | undefined> {
  if (process.env[variable] === '0') {
    skipped.push(`${name} (${variable}=0)`);
    return undefined;
  }
  log(name);
  try {
    return await run();
  } catch (err) {
    skipped.push(`${name} (failed: ${(err as Error).message})`);
    return undefined;
  }
}

// ----------------------------------------------------------------------------- rows from results

function scaleRows(r: ScaleResult): Row[] {
  const section = 'Scale: N one-container pods at once (Podling: one process, all N concurrent; docker CLI: the pod script under xargs -P 8)';
  const rows: Row[] = [];
  const largest = Math.max(...r.summary.map((s) => s.pods));
  for (const n of [...new Set(r.summary.map((s) => s.pods))]) {
    const p = r.summary.find((s) => s.candidate === 'podling' && s.pods === n)!;
    const c = r.summary.find((s) => s.candidate === 'docker-cli' && s.pods === n)!;
    const runs = r.runs.filter((x) => x.pods === n);
    const thr = (candidate: string, phase: 'create' | 'delete' | 'cycle') => summarize(runs.filter((x) => x.candidate === candidate).map((x) => n / ((phase === 'create' ? x.createMs : phase === 'delete' ? x.deleteMs : x.createMs + x.deleteMs) / 1000)));
    const pc = thr('podling', 'create'); const cc = thr('docker-cli', 'create');
    const pd = thr('podling', 'delete'); const cd = thr('docker-cli', 'delete');
    const py = thr('podling', 'cycle'); const cy = thr('docker-cli', 'cycle');
    const notes = `failures ${p.failures} (CLI ${c.failures}), leaks ${p.leaks} (CLI ${c.leaks}); wall create ${fmt(p.create.median / 1000, 1)} s (CLI ${fmt(c.create.median / 1000, 1)} s), delete ${fmt(p.delete.median / 1000, 1)} s (CLI ${fmt(c.delete.median / 1000, 1)} s)`;
    let target: Target | undefined;
    const diag = r.summary.find((s) => s.candidate === 'podling-8-at-a-time' && s.pods === n);
    if (n === largest) {
      const met = p.failures === 0 && p.leaks === 0 && !r.clusterLeak && pc.median >= cc.median && pd.median >= cd.median;
      target = {
        text: '0 failures, 0 leaks, throughput ≥ the docker CLI script\'s (create and delete each)', met,
        evidence: `${p.failures} failures, ${p.leaks} leaks${r.clusterLeak ? ` (and the engine would not remove the bench cluster network: ${r.clusterLeak})` : ', the bench cluster network removed afterwards'}; create ${fmt(pc.median)} vs ${fmt(cc.median)} pods/s (${fmt(pc.median / cc.median)}×), delete ${fmt(pd.median)} vs ${fmt(cd.median)} pods/s (${fmt(pd.median / cd.median)}×), create + delete ${fmt(py.median)} vs ${fmt(cy.median)} pods/s (${fmt(py.median / cy.median)}×)${diag ? `; diagnostic, Podling with at most 8 pods in flight: create ${fmt(n / (diag.create.median / 1000))}, delete ${fmt(n / (diag.delete.median / 1000))} pods/s` : ''}`,
      };
    }
    rows.push(
      { section, case: `${n} pods: create throughput`, unit: 'pods/s', podling: pc, baselines: [baseline('docker CLI script, xargs -P 8', pc, cc)], note: notes, ...(target ? { target } : {}) },
      { section, case: `${n} pods: delete throughput`, unit: 'pods/s', podling: pd, baselines: [baseline('docker CLI script, xargs -P 8', pd, cd)] },
      { section, case: `${n} pods: create + delete throughput`, unit: 'pods/s', podling: py, baselines: [baseline('docker CLI script, xargs -P 8', py, cy)] },
    );
  }
  return rows;
}

function streamRows(logs: LogsResult, pull: PullResult): Row[] {
  const section = 'Streams';
  const mb = (logs.bytes / 1048576).toFixed(0);
  const thr = baseline('bare undici Client, raw bytes', logs.podling.mbps, logs.raw.mbps, logs.pairedRatio);
  const growth = baseline('bare undici Client, raw bytes', logs.podling.growthMB, logs.raw.growthMB);
  return [
    {
      section, case: `logs: ${mb} MB on the wire (${(logs.payload / 1048576).toFixed(0)} MB of stdout and stderr interleaved in ${logs.wireFrames} frames; Podling's demuxer handed out ${logs.podlingFrames.toFixed(0)}), read through engine.containers.logs(): throughput`, unit: 'MB/s',
      podling: logs.podling.mbps, baselines: [thr],
      target: { text: '≥ 0.9× raw read throughput', met: thr.ratio >= 0.9, evidence: `${fmt(thr.ratio)}× (ratio of medians; paired ${fmt(thr.paired!)}×): ${fmt(logs.podling.mbps.median, 1)} vs ${fmt(logs.raw.mbps.median, 1)} MB/s` },
    },
    {
      section, case: `logs: ${mb} MB: peak RSS growth over the process's RSS after start-up (own child process each)`, unit: 'MB',
      podling: logs.podling.growthMB, baselines: [growth],
      note: `RSS after start-up: Podling ${fmt(logs.podling.startMB.median, 1)} MB, raw ${fmt(logs.raw.startMB.median, 1)} MB`,
      target: { text: '< 50 MB over 200 MB', met: logs.podling.growthMB.median < 50, evidence: `median ${fmt(logs.podling.growthMB.median, 1)} MB (max ${fmt(logs.podling.growthMB.max, 1)}); the raw read of the same bytes grows ${fmt(logs.raw.growthMB.median, 1)} MB` },
    },
    {
      section, case: `logs: ${mb} MB: CPU time of the reading process (user + system)`, unit: 'ms',
      podling: logs.podling.cpuMs, baselines: [baseline('bare undici Client, raw bytes', logs.podling.cpuMs, logs.raw.cpuMs)],
      note: 'the engine serves the log at about 100 MB/s, so the demuxer\'s CPU shows here rather than in the throughput',
    },
    {
      section, case: `pull: ${pull.megabytes.toFixed(0)} MB in 4 layers from the loopback registry, local copy removed before each`, unit: 'ms',
      podling: pull.podling, baselines: [baseline('docker pull -q', pull.podling, pull.docker, pull.pairedRatio)],
    },
  ];
}

// ----------------------------------------------------------------------------- leftovers

interface LeakReport { containers: string[]; networks: string[]; volumes: string[]; registryManifest: boolean }

/** What this run may have left: Podling objects it created, every bench-labelled object of this process, the bench's cluster networks, and the agent bench's pods, lease and network. */
async function leaks(): Promise<LeakReport> {
  const engine = new podling.Engine({ socketPath: SOCKET });
  try {
    const mine = [`podling.io/creator=${CREATOR}`, `${BENCH_CREATOR}=${CREATOR}`];
    const containers = (await Promise.all(mine.map((l) => engine.containers.list({ all: true, filters: { label: [l] } })))).flat();
    const networks = (await Promise.all(mine.map((l) => engine.networks.list({ filters: { label: [l] } })))).flat();
    const cluster = await engine.networks.inspect(BENCH_CLUSTER.name).then(() => [BENCH_CLUSTER.name], () => []);
    const volumes = (await Promise.all(['podling.io/managed=true', `${BENCH_MANAGED}=true`].map((l) => engine.volumes.list({ filters: { label: [l] } })))).flat()
      .filter((v) => v.Labels?.['podling.io/creator'] === CREATOR || v.Labels?.[BENCH_CREATOR] === CREATOR);
    const agent = await agentLeftovers(engine);
    const head = await request(`http://${REGISTRY}/v2/${PULL_REPO}/manifests/latest`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    await head.body.dump();
    return {
      containers: [...containers.map((c) => `${c.Names[0] ?? c.Id}`), ...agent.containers], networks: [...networks.map((n) => n.Name), ...cluster, ...agent.networks], volumes: volumes.map((v) => v.Name),
      registryManifest: head.statusCode === 200,
    };
  } finally {
    await engine.close();
  }
}

// ----------------------------------------------------------------------------- the report

function podNotes(pods: PodBenchResult): string[] {
  const m = pods.medians[4];
  const lines = ['### Pods: where the time goes', ''];
  if (m) {
    lines.push(
      `- Start, 4 containers: the parallel lower bound itself takes ${fmt(m.lowerBound! / m.sequential!)}× the sequential order's time (paired ${fmt(pods.paired['pod start, 4 containers: lower bound vs sequential order']!)}×): the same engine calls in the best order cannot reach 0.5×: what remains is the engine's own work (network create, infra start, then the app starts, which depend on the running infra), as the timelines below show.`,
      `- Delete, 4 containers: the delete's own lower bound (ids known, every stop at once, network removed as soon as the infra stopped) takes ${fmt(m.deleteFloor! / m.stopOne!)}× stop-one (paired ${fmt(pods.paired['pod delete, 4 containers: lower bound vs stop one container']!)}×). Stopping one container that has a bridge network of its own takes ${fmt(m.stopOneNet!, 0)} ms against ${fmt(m.stopOne!, 0)} ms without, and removing that network afterwards ${fmt(m.networkRemove!, 0)} ms: the engine's network teardown alone exceeds 1.2× stop-one.`,
    );
  }
  lines.push('', 'Round trips per candidate, 4 containers (one traced run each; ms from the candidate\'s start to each request and to its answer\'s headers):', '');
  for (const t of pods.traces) lines.push(`- ${t.candidate}: ${t.calls.length} round trips, ${fmt(t.total, 1)} ms (${traceSummary(t)})`);
  lines.push('', '<details><summary>timelines</summary>', '', '```', ...pods.traces.map(describeTrace), '```', '', '</details>', '');
  return lines;
}

function perCallNotes(breakdown: PerCallBreakdown[]): string[] {
  const lines = ['### Per call: where the time goes', '', 'µs per call, medians from the same rounds. `+ check` is the bare Client plus Podling\'s check of the answer (its zod schema; the answer itself is returned). Podling − bare Client = (the check) + (the rest of Podling: its connection set, path and query building, error mapping, promise layers). `undici Pool` is what Podling sat on before its own connection set (src/engine/connections.ts), shown for comparison.', ''];
  lines.push('| call | bare Client | bare Client + check | Podling | undici Pool | dockerode | check | rest of Podling | Pool − Client |', '|---|---|---|---|---|---|---|---|---|');
  for (const b of breakdown) {
    const u = b.usPerCall;
    const check = u.bareZod === undefined ? undefined : u.bareZod - u.bare!;
    const rest = u.podling! - (u.bareZod ?? u.bare!);
    const f = (n: number | undefined) => (n === undefined ? '—' : fmt(n, 1));
    lines.push(`| ${b.case} | ${f(u.bare)} | ${f(u.bareZod)} | ${f(u.podling)} | ${f(u.pool)} | ${f(u.dockerode)} | ${f(check)} | ${f(rest)} | ${f(u.pool! - u.bare!)} |`);
  }
  lines.push('');
  return lines;
}

function scaleNotes(r: ScaleResult): string[] {
  const lines = ['### Scale: how time grows, and where it goes', '', '`podling-8-at-a-time` is a diagnostic, not a baseline: the same Podling calls with at most 8 pods in flight (a limit in the caller), as `xargs -P 8` bounds the CLI script.', '', '| candidate | N | runs | create (median) | delete (median) | ms per pod, create | ms per pod, delete | failures | leaks |', '|---|---|---|---|---|---|---|---|---|'];
  for (const s of r.summary) lines.push(`| ${s.candidate} | ${s.pods} | ${s.runs} | ${fmt(s.create.median, 0)} ms | ${fmt(s.delete.median, 0)} ms | ${fmt(s.create.median / s.pods, 0)} | ${fmt(s.delete.median / s.pods, 0)} | ${s.failures} | ${s.leaks} |`);
  const largest = Math.max(...r.runs.map((x) => x.pods));
  const traced = [r.runs.filter((x) => x.candidate === 'podling' && x.pods === largest).at(-1), r.runs.find((x) => x.candidate === 'podling-8-at-a-time')].filter((x) => x?.calls);
  if (traced.length) {
    lines.push('', `Engine calls of Podling's last ${largest}-pod run${traced.length > 1 ? ' and of the diagnostic run' : ''}: how many, and their latency from request to answer headers (median / max ms). The engine serialises network create and remove and runs every container start and stop on 2 cores; all ${largest} pods at once make every call wait behind the others.`, '');
    lines.push(`| phase | call | ${traced.map((t) => `${t!.candidate}: count, median / max ms`).join(' | ')} |`, `|---|---|${traced.map(() => '---|').join('')}`);
    for (const phase of ['create', 'delete'] as const) {
      const calls = [...new Set(traced.flatMap((t) => t!.calls![phase].map((c) => c.call)))];
      for (const call of calls) {
        lines.push(`| ${phase} | ${call} | ${traced.map((t) => { const c = t!.calls![phase].find((x) => x.call === call); return c ? `${c.count}, ${fmt(c.median, 0)} / ${fmt(c.max, 0)}` : ''; }).join(' | ')} |`);
      }
    }
  }
  const failures = r.runs.flatMap((x) => x.failureSamples.map((f) => `${x.candidate} ${x.pods}: ${f}`));
  if (failures.length) lines.push('', 'Failures seen:', '', ...failures.map((f) => `- ${f}`));
  lines.push('');
  return lines;
}

function footprintNotes(inst: { podling: Installed; dockerode: Installed }, cold: ColdStart): string[] {
  const pkgList = (i: Installed) => `${i.packages} packages, ${fmt(i.bytes / 1048576)} MB: ${i.names.join(', ')}`;
  const lines = [
    '### Footprint and start-up: details', '',
    `- Podling: ${pkgList(inst.podling)}`,
    `  - install scripts: ${inst.podling.installScripts.join('; ') || 'none'}; native code: ${inst.podling.nativeBuilds.join(', ') || 'none'}`,
    `- ${inst.dockerode.what}: ${pkgList(inst.dockerode)}`,
    `  - install scripts: ${inst.dockerode.installScripts.join('; ') || 'none'}; native code: ${inst.dockerode.nativeBuilds.join(', ') || 'none'}`,
    '',
    `Cold start, same rounds (median ms): \`pod list\` ${fmt(cold.podling.median, 0)}, \`node -e ''\` ${fmt(cold.node.median, 0)}, \`docker ps\` ${fmt(cold.docker.median, 0)}; \`podling --help\` (every module loaded, no engine call) ${fmt(cold.help.median, 0)}; the same \`pod list\` from the unbundled modules (dist/cli/run.js) with V8's default tiers ${fmt(cold.unbundled.median, 0)}. The shipped command is one bundled file (no resolving and reading of some 170 modules) and runs V8 with Liftoff only, so the process does not wait at exit for V8 to finish optimising undici's llhttp WebAssembly on background threads.`,
    '',
    'Each in fresh processes, measured inside (median ms):', '',
    ...cold.breakdown.map((b) => `- ${b.what}: ${fmt(b.ms.median, 1)} (min ${fmt(b.ms.min, 1)}, max ${fmt(b.ms.max, 1)})`),
    '',
    `Modules \`pod list\` loads, per package: ${Object.entries(cold.modules).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
  ];
  return lines;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const skipped: string[] = [];
  log('per call');
  const calls = await perCall(SOCKET, log);
  rows.push(...calls.rows);
  log('pods');
  const pods = await podBench(SOCKET, log);
  rows.push(...pods.rows);
  log('scale');
  const scale = await scaleBench(SOCKET, log);
  rows.push(...scaleRows(scale));
  // Pod network modes side by side, growing to 110 pods one at a time (~11 min on 2 shared cores).
  let growth: GrowthResult | undefined;
  if (process.env.PODLING_BENCH_GROWTH !== '0') {
    log('growth');
    growth = await growthBench(SOCKET, log);
  } else skipped.push('pod network growth (PODLING_BENCH_GROWTH=0)');
  log('streams');
  const engine = new podling.Engine({ socketPath: SOCKET });
  let logs: LogsResult;
  let pull: PullResult;
  try {
    logs = await logsBench(engine, log);
    pull = await pullBench(engine, log);
  } finally {
    await engine.close();
  }
  rows.push(...streamRows(logs, pull));
  rows.push(await demuxSynthetic());
  log('footprint');
  const inst = await installs(log);
  const cold = await coldStart(log);
  rows.push(...footprintRows(inst, cold));
  const wantServices = process.env.PODLING_BENCH_SERVICES;
  if (wantServices === '1' || (wantServices !== '0' && elapsedS() < SERVICES_BY_S)) {
    log('services');
    rows.push(...await serviceBench(SOCKET, log));
  } else {
    skipped.push(`services (${wantServices === '0' ? 'PODLING_BENCH_SERVICES=0' : `the run was already ${elapsedS().toFixed(0)} s in; budget ${SERVICES_BY_S} s`})`);
  }
  let agent: AgentBenchResult | undefined;
  if (process.env.PODLING_BENCH_AGENT !== '0') {
    log('agent');
    try {
      agent = await agentBench(SOCKET, log);
      rows.push(...agent.rows);
      skipped.push(...agent.skipped.map((s) => `agent: ${s}`));
    } catch (err) {
      skipped.push(`agent (failed: ${(err as Error).message})`);
    }
  } else {
    skipped.push('agent (PODLING_BENCH_AGENT=0)');
  }
  if (process.env.PODLING_BENCH_RECORD_REPLAY !== '0') {
    log('record-replay');
    const recorded = await recordReplayBench(log).catch((err: Error) => ({ rows: [], skipped: `record-replay (failed: ${err.message})` }));
    rows.push(...recorded.rows);
    if (recorded.skipped) skipped.push(recorded.skipped);
  } else {
    skipped.push('record-replay (PODLING_BENCH_RECORD_REPLAY=0)');
  }
  const corpus = await optional('corpus', 'PODLING_BENCH_CORPUS', () => corpusBench(SOCKET, log), skipped);
  if (corpus) rows.push(...corpusRows(corpus));
  const applied = await optional('apply', 'PODLING_BENCH_APPLY', () => applyBench(SOCKET, log), skipped);
  if (applied) rows.push(...applyRows(applied));
  const overSsh = await optional('ssh', 'PODLING_BENCH_SSH', () => sshBench(SOCKET, log), skipped);
  if (overSsh) rows.push(...sshRows(overSsh));
  const podman = await optional('podman', 'PODLING_BENCH_PODMAN', () => podmanBench(log), skipped);
  if (podman) rows.push(...podmanRows(podman));
  const bed = await optional('nodes', 'PODLING_BENCH_NODES', () => nodeBench(log), skipped);
  const nodes: NodeBenchResult | undefined = bed && 'skipped' in bed ? (skipped.push(`nodes (${bed.skipped})`), undefined) : bed;
  if (nodes) rows.push(...nodes.rows);
  if (process.env.PODLING_BENCH_REPLAY === '1') rows.push(await replaySuite());
  const left = await leaks();
  const totalS = elapsedS();
  const makeStart = process.env.PODLING_BENCH_MAKE_START ? Number(process.env.PODLING_BENCH_MAKE_START) : undefined;
  const makeS = makeStart ? (Date.now() - makeStart) / 1000 : undefined;
  const leftCount = left.containers.length + left.networks.length + left.volumes.length;

  const md = [
    '# Benchmark results',
    '',
    `Measured ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}, ${(await engineVersion(SOCKET))}, 2 shared cores. Podling: ${sourceState()}, run compiled (dist/, built by this run). Every ratio is Podling's median over the baseline's median from the same run (time: lower is better for Podling; throughput in MB/s or pods/s: higher is better); "paired" is the median over rounds of the ratio within a round, where the two ran back to back. Candidates alternate, the order rotating round by round.`,
    '',
    `Run time: ${fmt(totalS, 0)} s for bench/run.ts${makeS === undefined ? '' : `, ${fmt(makeS, 0)} s for the whole \`make bench\` recipe (bench dependencies, build, run)`}; budget ${BUDGET_S} s.${skipped.length ? ` Skipped: ${skipped.join('; ')}.` : ''}`,
    '',
    '## Targets',
    '',
    targetList(rows),
    '',
    `Left behind: ${leftCount === 0 ? 'nothing' : `${left.containers.length} containers (${left.containers.join(', ')}), ${left.networks.length} networks (${left.networks.join(', ')}), ${left.volumes.length} volumes`} of this run (podling.io or podling-bench.io labels with this run's creator, the bench cluster network ${BENCH_CLUSTER.name}, and the agent bench's pods, whoever made their containers, its agent's lease and its network ${AGENT_CLUSTER_NAME}). Registry: the manifest of ${PULL_REF} was ${left.registryManifest ? '**still present**' : 'deleted through the registry API'}; its blobs (~100 MB, the same bytes every run, reused by the next) stay in the repository ${PULL_REPO} until an offline garbage collection of the registry.`,
    '',
    '## Results',
    '',
    tables(rows),
    ...perCallNotes(calls.breakdown),
    ...podNotes(pods),
    ...scaleNotes(scale),
    ...(growth ? [...growthNotes(growth), ''] : []),
    ...footprintNotes(inst, cold),
    ...(agent?.notes ?? []),
    ...(corpus ? corpusNotes(corpus) : []),
    ...(nodes?.notes ?? []),
    ...(applied?.networkLeft ? [`The engine would not remove the apply bench's cluster network afterwards: ${applied.networkLeft}.`, ''] : []),
    ...(podman?.failures.length ? ['Podman part, failures:', ...podman.failures.map((f) => `- ${f}`), ''] : []),
  ].join('\n');
  writeFileSync(new URL('RESULTS.md', import.meta.url), md);
  writeFileSync(new URL('results.json', import.meta.url), JSON.stringify({
    measured: new Date().toISOString(), source: sourceState(), node: process.version, runSeconds: totalS, makeSeconds: makeS, skipped,
    rows, perCallBreakdown: calls.breakdown, pods: { paired: pods.paired, medians: pods.medians, traces: pods.traces },
    scale, growth, logs, pull, install: inst, coldStart: cold, agent: agent?.data, corpus, apply: applied, podman, nodes: nodes?.data, leftBehind: left,
  }, null, 2) + '\n');
  console.log(md);
  if (leftCount || left.registryManifest) {
    console.error(`bench: left behind ${leftCount} objects${left.registryManifest ? ' and the registry manifest' : ''}`);
    process.exitCode = 1;
  }
}

/** Which source was measured: the commit, and src files changed on top of it (read-only git). */
function sourceState(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.slice(3));
    return `commit ${head}${changed.length ? ` with uncommitted changes to ${changed.join(', ')}` : ''}`;
  } catch {
    return 'commit unknown';
  }
}


main().catch((err) => { console.error(err); process.exit(1); });
