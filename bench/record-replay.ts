/**
 * `podling record` / `podling replay` (issue 13): the docker CLI session of the tests
 * (test/cli/sessions/docker-cli.sh: version, images, run, run -i, run -d, ps, exec -i, logs,
 * network create/ls/rm, rm -f, a 404; 14 docker commands) run three ways, alternating round by
 * round: live against the engine, under `podling record`, and under `podling replay` of a
 * recording made at the start. Whole processes, wall time, as a user's test script pays it. Every
 * replay's output is compared with the recorded run's: a replay that printed something else would
 * be timing the wrong thing, and is counted in the note.
 *
 * The engine is the newer one (Docker 26, PODLING_NEWER_ENGINE), which only these sessions' own
 * objects touch; its objects are named and labelled podling-bench-rr.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, podling } from './lib.js';
import { baseline, tables, type Row } from './report.js';
import { fmt, interleaveRaw, pairedRatio, summarize } from './stats.js';

const ENGINE = process.env.PODLING_NEWER_ENGINE || 'unix:///run/podling-newer/docker.sock';
const ROUNDS = Number(process.env.PODLING_BENCH_RECORD_REPLAY_ROUNDS ?? 5);
const PREFIX = 'podling-bench-rr';
const SESSION = ['sh', 'test/cli/sessions/docker-cli.sh'];
const SECTION = 'Record and replay of a docker CLI session (podling record / podling replay, whole processes)';

interface Printed { code: number | null; stdout: string; stderr: string }

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<Printed> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => { stdout += data.toString('utf8'); });
    child.stderr.on('data', (data: Buffer) => { stderr += data.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Removes what a killed session left on the engine. */
async function sweep(): Promise<void> {
  const engine = new podling.Engine({ host: ENGINE }, {});
  try {
    const label = [`${PREFIX}=1`];
    for (const c of await engine.containers.list({ all: true, filters: { label } })) await engine.containers.remove(c.Id, { force: true });
    for (const n of await engine.networks.list({ filters: { label } })) await engine.networks.remove(n.Id);
  } finally {
    await engine.close();
  }
}

export interface RecordReplayResult { rows: Row[]; skipped?: string }

export async function recordReplayBench(log: (line: string) => void = () => {}): Promise<RecordReplayResult> {
  const engine = new podling.Engine({ host: ENGINE }, {});
  const up = await engine.system.ping({ timeout: 5000 }).then(() => true, () => false);
  await engine.close();
  if (!up) return { rows: [], skipped: `record-replay (no engine answers at ${ENGINE})` };

  const dir = mkdtempSync(join(tmpdir(), 'podling-bench-rr-'));
  mkdirSync(join(dir, '.docker'));
  // The same environment every way: nothing inherited that changes what the CLI sends or prints.
  const env = { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: join(dir, '.docker'), TZ: 'UTC', LANG: 'C', DOCKER_CLI_HINTS: 'false', PODLING_RR_PREFIX: PREFIX };
  const fixture = join(dir, 'session.json');
  const podlingCli = [process.execPath, 'bin/podling.js'];
  try {
    await sweep();
    const recorded = await run([...podlingCli, 'record', fixture, '--upstream', ENGINE, '--', ...SESSION], env);
    // Every docker command starts with a ping: how many the session ran, as recorded.
    const commands = (JSON.parse(readFileSync(fixture, 'utf8')) as { exchanges: Array<{ request: { path: string } }> }).exchanges.filter((e) => e.request.path === '/_ping').length;
    log(`record-replay: recorded the session (${commands} docker commands, exit ${recorded.code}); ${ROUNDS} rounds of live, record, replay, empty replay`);
    let differing = 0;
    const samples = await interleaveRaw(ROUNDS, {
      live: () => run(SESSION, { ...env, DOCKER_HOST: ENGINE }),
      record: () => run([...podlingCli, 'record', join(dir, 'again.json'), '--upstream', ENGINE, '--', ...SESSION], env),
      // podling's own start, fixture load and exit, with a command that sends nothing.
      empty: () => run([...podlingCli, 'replay', fixture, '--', 'true'], env),
      replay: async () => {
        const replayed = await run([...podlingCli, 'replay', fixture, '--strict', '--', ...SESSION], env);
        if (replayed.code !== recorded.code || replayed.stdout !== recorded.stdout || replayed.stderr !== recorded.stderr) differing++;
      },
    });
    const [live, record, replay, empty] = [summarize(samples.live!), summarize(samples.record!), summarize(samples.replay!), summarize(samples.empty!)];
    const liveBaseline = 'live run (the docker CLI straight to the engine)';
    return {
      rows: [
        {
          section: SECTION, case: `docker CLI session, ${commands} commands: replayed (no engine) vs live`, unit: 'ms',
          podling: replay, baselines: [
            baseline(liveBaseline, replay, live, pairedRatio(samples.replay!, samples.live!)),
            baseline('`podling replay FIXTURE -- true` (podling alone: start, load, exit)', replay, empty, pairedRatio(samples.replay!, samples.empty!)),
          ],
          note: `${differing === 0 ? 'every replay printed what the recorded run printed (stdout, stderr, exit code)' : `**${differing} of ${ROUNDS} replays printed something else than the recorded run**`}; Docker 26 at ${ENGINE}`,
        },
        {
          section: SECTION, case: `docker CLI session, ${commands} commands: recorded (through the recording proxy) vs live`, unit: 'ms',
          podling: record, baselines: [baseline(liveBaseline, record, live, pairedRatio(samples.record!, samples.live!))],
          note: `record = ${fmt(record.median / live.median)}× live: the proxy's cost, and writing the fixture`,
        },
      ],
    };
  } finally {
    await sweep();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  recordReplayBench((line) => console.error(line)).then((r) => {
    console.log(r.skipped ? `skipped: ${r.skipped}` : tables(r.rows));
  }).catch((err) => { console.error(err); process.exit(1); });
}
