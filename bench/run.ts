/**
 * `make bench`: every figure is a ratio against a baseline measured in the same run, with the
 * median of several repetitions. Writes bench/RESULTS.md and bench/results.json.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { demuxThroughput, perCall, type Row } from './client.js';
import { footprint } from './footprint.js';
import { describeTrace, podBench, traceSummary, type Trace } from './pods.js';
import { serviceBench } from './services.js';
import { fmt, interleave } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function replaySuite(): Promise<Row> {
  // A failing test must not cost the other rows: the wall time still counts, and the row says so.
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
  return { case: `replay suite wall time (no engine)${failed ? ' — some tests FAILED' : ''}`, podling: s.replay!, baseline: s.node!, baselineName: 'node --import tsx -e ""', ratio: s.replay!.median / s.node!.median, unit: 'ms' };
}

function table(rows: Row[]): string {
  const lines = ['| case | Podling (median) | baseline | baseline (median) | ratio | target | met | runs | Podling min / median / max |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.case} | ${fmt(r.podling.median)} ${r.unit} | ${r.baselineName} | ${fmt(r.baseline.median)} ${r.unit} | ${fmt(r.ratio)}× | ${r.target ?? '—'} | ${r.met === undefined ? '—' : r.met ? 'yes' : 'NO'} | ${r.podling.runs} | ${fmt(r.podling.min)} / ${fmt(r.podling.median)} / ${fmt(r.podling.max)} |`);
  }
  return lines.join('\n');
}

/** Pod rows' context: how far the baselines themselves are apart, and each candidate's round trips. */
function podNotes(rows: Row[], traces: Trace[], paired: Record<string, number>): string[] {
  const find = (prefix: string) => rows.find((r) => r.case.startsWith(prefix));
  const start = find('pod start, 4 containers: Podling vs sequential');
  const lower = find('pod start, 4 containers: Podling vs parallel');
  const floor = find('pod delete, 4 containers: Podling vs parallel');
  const stop = find('pod delete, 4 containers: Podling vs stopping');
  const size = traces[0]?.size ?? 4;
  const lines = ['## Pods', ''];
  if (start && lower) {
    const r = lower.baseline.median / start.baseline.median;
    lines.push(`- 4 containers: the parallel lower bound itself takes ${fmt(r)}× the sequential order's time${r > 0.5 ? ': the ≤ 0.5× target would need Podling to beat the fastest order of the same calls' : ''}.`);
  }
  if (floor && stop) {
    const r = floor.baseline.median / stop.baseline.median;
    lines.push(`- 4 containers: the lower bound of a delete itself takes ${fmt(r)}× the time to stop one container${r > 1.2 ? ' (the pod network can only be removed once the infra has stopped, so those two run one after the other): the ≤ 1.2× target is out of reach of any order of these calls' : ''}.`);
  }
  lines.push('', 'Paired ratios (median over rounds of the ratio within a round, where the two ran back to back; less disturbed by load that drifts during the run):', '');
  for (const [name, ratio] of Object.entries(paired)) lines.push(`- ${name}: ${fmt(ratio)}×`);
  lines.push('', `Round trips per candidate, ${size} containers (one traced run each; ms from the candidate's start to each request and to its answer's headers):`, '');
  for (const t of traces) lines.push(`- ${t.candidate}: ${t.calls.length} round trips, ${fmt(t.total, 1)} ms (${traceSummary(t)})`);
  lines.push('', '```', ...traces.map(describeTrace), '```', '');
  return lines;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  rows.push(...await perCall());
  rows.push(await demuxThroughput());
  rows.push(await replaySuite());
  const pods = await podBench();
  rows.push(...pods.rows);
  rows.push(...await serviceBench());
  const fp = footprint(ROOT);
  const md = [
    '# Benchmark results',
    '',
    `Measured ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}. Ratios compare medians from the same run; candidates alternate round by round.`,
    '',
    table(rows),
    '',
    ...podNotes(pods.rows, pods.traces, pods.paired),
    '## Production install footprint',
    '',
    `- packages: ${fp.packages} (${fp.names.join(', ')})`,
    `- size on disk: ${fmt(fp.bytes / 1024 / 1024)} MB`,
    `- install scripts: ${fp.installScripts.length ? fp.installScripts.join(', ') : 'none'}`,
    `- native builds: ${fp.nativeBuilds.length ? fp.nativeBuilds.join(', ') : 'none'}`,
    '',
  ].join('\n');
  writeFileSync(new URL('RESULTS.md', import.meta.url), md);
  writeFileSync(new URL('results.json', import.meta.url), JSON.stringify({ rows, footprint: fp, podPaired: pods.paired, podTraces: pods.traces }, null, 2) + '\n');
  console.log(md);
}

main().catch((err) => { console.error(err); process.exit(1); });
