import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODES, type Mode } from '../src/testing/index.js';

/**
 * The test runner. PODLING_TEST_MODE is one tier or a comma list (`replay,live`); the whole suite
 * runs once per tier, each in a child process so tiers share no state. Optional arguments keep only
 * the test files whose path contains one of them. The last line is the total over all tiers.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const TEST_CLUSTER = 'podling-test-cluster';

/**
 * The ranges of the test networks: the tier's cluster network (a /16) and the scenarios' own
 * cluster networks (/24s of one /16, test/support/cluster.ts). Not 10.211.0.0/16, where a real
 * `podling-cluster` would be. The live tier may run on several engines of this machine at once
 * (make test-engines), whose bridges share the host's routing table, so each engine gets ranges of
 * its own; the main engine keeps the ones its fixtures were recorded with.
 */
export function testSubnets(host: string | undefined): { cluster: string; scenarios: string } {
  const main = !host || /^(unix:\/\/)?\/var\/run\/docker\.sock$/.test(host);
  if (main) return { cluster: '10.214.0.0/16', scenarios: '10.212' };
  const known = [/podling-newer/, /podling-podman/].findIndex((re) => re.test(host));
  const slot = known >= 0 ? known + 1 : 3 + (parseInt(createHash('sha256').update(host).digest('hex').slice(0, 4), 16) % 6);
  return { cluster: `10.${230 + 2 * slot}.0.0/16`, scenarios: `10.${231 + 2 * slot}` };
}
const subnets = testSubnets(process.env.DOCKER_HOST);

interface Totals { passed: number; failed: number; skipped: number }

function tiers(): Mode[] {
  const names = (process.env.PODLING_TEST_MODE || 'replay').split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    if (!(MODES as readonly string[]).includes(name)) {
      console.error(`PODLING_TEST_MODE: unknown tier "${name}" (expected ${MODES.join(', ')})`);
      process.exit(2);
    }
  }
  return names as Mode[];
}

function testFiles(filters: string[]): string[] {
  return readdirSync(join(root, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => join('test', file))
    .filter((file) => !filters.length || filters.some((filter) => file.includes(filter)))
    .sort();
}

// Pure tests give the same answer in every tier, so engine tiers load only files using the harness.
function usesEngine(file: string): boolean {
  return /support\/(scenario|nodes)\.js['"]/.test(readFileSync(join(root, file), 'utf8'));
}

/** uvu's closing summary: Total counts tests that ran (skipped ones are apart). */
function parseTotals(output: string, exitCode: number | null): Totals {
  const text = output.replace(/\x1b\[[0-9;]*m/g, '');
  const count = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN);
  const [total, passed, skipped] = [count('Total'), count('Passed'), count('Skipped')];
  if (Number.isNaN(total) || Number.isNaN(passed)) return { passed: 0, failed: 1, skipped: 0 }; // crashed before reporting
  const failed = total - passed;
  return { passed, failed: failed === 0 && exitCode !== 0 ? 1 : failed, skipped: skipped || 0 };
}

function runTier(mode: Mode, files: string[]): Promise<Totals> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/tier.ts', ...files], {
      cwd: root,
      // Tests get a cluster network of their own, removed when the tier ends (test/support/tier.ts),
      // so a developer's real `podling-cluster` is never touched.
      env: { PODLING_CLUSTER_NETWORK: TEST_CLUSTER, PODLING_CLUSTER_SUBNET: subnets.cluster, PODLING_TEST_SCENARIO_SUBNETS: subnets.scenarios, ...process.env, PODLING_TEST_MODE: mode, ...(process.stdout.isTTY && { FORCE_COLOR: '1' }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString('utf8');
      process.stdout.write(data);
    });
    child.on('close', (code) => resolve(parseTotals(output, code)));
  });
}

function summary(totals: Totals): string {
  return `${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`;
}

const files = testFiles(process.argv.slice(2));
const sum: Totals = { passed: 0, failed: 0, skipped: 0 };
const lines: string[] = [];
for (const mode of tiers()) {
  const tierFiles = mode === 'replay' ? files : files.filter(usesEngine);
  console.log(`\n=== tier ${mode}: ${tierFiles.length} file(s) ===`);
  const totals = tierFiles.length ? await runTier(mode, tierFiles) : { passed: 0, failed: 0, skipped: 0 };
  for (const key of ['passed', 'failed', 'skipped'] as const) sum[key] += totals[key];
  lines.push(`tier ${mode}: ${summary(totals)}`);
}
console.log(`\n${lines.join('\n')}`);
console.log(summary(sum));
process.exit(sum.failed ? 1 : 0);
