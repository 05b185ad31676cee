import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultUpstream } from '../src/testing/index.js';
import { versionOf } from './support/scenario.js';

/**
 * `make test-engines`: the live tier (test/run.ts) once on every engine the project starts, then
 * one line per engine and the total. The engines are the main dockerd (20.10), the newer dockerd
 * (PODLING_NEWER_ENGINE, scripts/newer-engine.sh) and Podman's API service (PODLING_PODMAN_ENGINE,
 * scripts/podman-engine.sh), the last two named in $PODLING_STATE/test.env. An engine that is not
 * there is reported with the reason; PODLING_REQUIRE_ENGINE=1 counts it as a failure.
 * PODLING_TEST_ENGINES=main,newer,podman (the default: all) picks some; arguments are test/run.ts
 * filters, passed on.
 *
 * One engine after another, never at once: every engine's bridges are interfaces of this host, and
 * the tests give several networks explicit subnets (the test cluster 10.214.0.0/16, pod/cluster's
 * 10.212.x.0/24, agent/engine-restart's 10.217.0.0/24). Two engines creating the same subnet at
 * the same time put two routes for it in the host's table, and traffic from the host (probes,
 * fetches of pod addresses) goes to whichever comes first. (agent/engine-restart stops and starts
 * the newer engine whichever engine is under test, which would also cut a parallel run on it.)
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const STATE = process.env.PODLING_STATE || '/var/lib/podling-registry';
const requireEngine = process.env.PODLING_REQUIRE_ENGINE === '1';

interface Candidate { key: string; label: string; host?: string; missing?: string }
interface Totals { passed: number; failed: number; skipped: number }

function testEnv(): Record<string, string> {
  try {
    const lines = readFileSync(`${STATE}/test.env`, 'utf8').split('\n').filter((l) => l.includes('='));
    return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  } catch {
    return {};
  }
}

function candidates(env: Record<string, string>): Candidate[] {
  const named = (key: string, label: string, variable: string, script: string): Candidate => (env[variable]
    ? { key, label, host: env[variable] }
    : { key, label, missing: `${variable} is not in ${STATE}/test.env (scripts/${script} writes it when the engine is up)` });
  const wanted = (process.env.PODLING_TEST_ENGINES || 'main,newer,podman').split(',').map((k) => k.trim());
  return [
    { key: 'main', label: 'docker (main)', host: 'unix:///var/run/docker.sock' },
    named('newer', 'docker (newer)', 'PODLING_NEWER_ENGINE', 'newer-engine.sh'),
    named('podman', 'podman', 'PODLING_PODMAN_ENGINE', 'podman-engine.sh'),
  ].filter((c) => wanted.includes(c.key));
}

/** The runner's `tier live: N passed, N failed[, N skipped]` line. */
function parseTier(output: string): Totals | undefined {
  const m = /tier live: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?/.exec(output.replace(/\x1b\[[0-9;]*m/g, ''));
  return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0) } : undefined;
}

function runLive(host: string): Promise<Totals> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/run.ts', ...process.argv.slice(2)], {
      cwd: root,
      env: { ...process.env, DOCKER_HOST: host, PODLING_TEST_MODE: 'live' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString('utf8');
      process.stdout.write(data);
    });
    // A run that crashed before its summary is one failure, not silence.
    child.on('close', () => resolve(parseTier(output) ?? { passed: 0, failed: 1, skipped: 0 }));
  });
}

const counts = (t: Totals) => `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
const minutes = (ms: number) => `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;

const sum: Totals = { passed: 0, failed: 0, skipped: 0 };
const lines: string[] = [];
const started = Date.now();
for (const engine of candidates(testEnv())) {
  const version = engine.host ? await versionOf(defaultUpstream({ DOCKER_HOST: engine.host })) : undefined;
  const missing = engine.missing ?? (version ? undefined : `nothing answers GET /version at ${engine.host}`);
  if (missing || !version || !engine.host) {
    lines.push(`${engine.label}: not started (${missing})`);
    if (requireEngine) sum.failed += 1;
    continue;
  }
  const name = `${version.flavour} ${version.version} (API ${version.apiVersion})`;
  console.log(`\n##### ${name} at ${engine.host}`);
  const began = Date.now();
  const totals = await runLive(engine.host);
  for (const key of ['passed', 'failed', 'skipped'] as const) sum[key] += totals[key];
  console.log(`##### ${name}: ${minutes(Date.now() - began)}`);
  lines.push(`${name}: ${counts(totals)}`);
}
console.log(`\n${lines.join('\n')}`);
console.log(`all engines in ${minutes(Date.now() - started)}`);
console.log(`${sum.passed} passed, ${sum.failed} failed`);
process.exit(sum.failed ? 1 : 0);
