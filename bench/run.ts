/**
 * `make bench`: every figure is a ratio against a baseline measured in the same run, with the
 * median of several repetitions. Writes bench/RESULTS.md and bench/results.json.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { demuxThroughput, perCall, type Row } from './client.js';
import { footprint } from './footprint.js';
import { fmt, interleave } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function replaySuite(): Promise<Row> {
  const run = (args: string[], env: Record<string, string> = {}) => async () => {
    execFileSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' });
  };
  const s = await interleave(3, {
    replay: run(['--import', 'tsx', 'test/run.ts'], { PODLING_TEST_MODE: 'replay', DOCKER_HOST: 'unix:///nonexistent.sock' }),
    node: run(['--import', 'tsx', '-e', '']),
  });
  return { case: 'replay suite wall time (no engine)', podling: s.replay!, baseline: s.node!, baselineName: 'node --import tsx -e ""', ratio: s.replay!.median / s.node!.median, unit: 'ms' };
}

function table(rows: Row[]): string {
  const lines = ['| case | Podling (median) | baseline | baseline (median) | ratio | target | met | runs | Podling min / median / max |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.case} | ${fmt(r.podling.median)} ${r.unit} | ${r.baselineName} | ${fmt(r.baseline.median)} ${r.unit} | ${fmt(r.ratio)}× | ${r.target ?? '—'} | ${r.met === undefined ? '—' : r.met ? 'yes' : 'NO'} | ${r.podling.runs} | ${fmt(r.podling.min)} / ${fmt(r.podling.median)} / ${fmt(r.podling.max)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  rows.push(...await perCall());
  rows.push(await demuxThroughput());
  rows.push(await replaySuite());
  const fp = footprint(ROOT);
  const md = [
    '# Benchmark results',
    '',
    `Measured ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}. Ratios compare medians from the same run; candidates alternate round by round.`,
    '',
    table(rows),
    '',
    '## Production install footprint',
    '',
    `- packages: ${fp.packages} (${fp.names.join(', ')})`,
    `- size on disk: ${fmt(fp.bytes / 1024 / 1024)} MB`,
    `- install scripts: ${fp.installScripts.length ? fp.installScripts.join(', ') : 'none'}`,
    `- native builds: ${fp.nativeBuilds.length ? fp.nativeBuilds.join(', ') : 'none'}`,
    '',
  ].join('\n');
  writeFileSync(new URL('RESULTS.md', import.meta.url), md);
  writeFileSync(new URL('results.json', import.meta.url), JSON.stringify({ rows, footprint: fp }, null, 2) + '\n');
  console.log(md);
}

main().catch((err) => { console.error(err); process.exit(1); });
