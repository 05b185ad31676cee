import { fileURLToPath } from 'node:url';
import type { Test } from 'uvu';
import type { Engine } from '../../src/engine/index.js';
import { defaultUpstream, FixtureError, modeFromEnv, ReplayMismatchError, withEngine, type Mode, type Upstream } from '../../src/testing/index.js';
import { connectUpstream, describeUpstream } from '../../src/testing/recorder.js';
import { withTeardown, type Teardown } from './teardown.js';

/**
 * The harness for this project's own engine tests. A scenario is written once and runs in the
 * tier PODLING_TEST_MODE names: `replay` (the default: fixtures only, no daemon), `record`
 * (against the engine, rewriting fixtures/<suite>/<scenario>.json) or `live` (engine, no fixture).
 */

/**
 * What a scenario gets. Its teardown (`defer`, `track`, see teardown.ts) runs after the body, pass
 * or fail, on the same engine session: recorded with the scenario and replayed with it.
 */
export interface ScenarioContext extends Teardown {
  engine: Engine;
  mode: Mode;
  /** Unix seconds; the recorded values on replay, so time-bounded queries match. */
  now(): number;
  /** A deterministic object name, `podling-test-<suite>-<scenario>-<part>`: fixtures must not vary. */
  name(part: string): string;
}

export const mode: Mode = modeFromEnv();
const upstream: Upstream = defaultUpstream();
const requireEngine = process.env.PODLING_REQUIRE_ENGINE === '1';
const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** Whether an engine answers `/_ping`; asked once per process, before any scenario registers. */
export function probe(target: Upstream, timeout = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectUpstream(target);
    const done = (up: boolean) => { clearTimeout(timer); socket.destroy(); resolve(up); };
    const timer = setTimeout(() => done(false), timeout);
    let answer = '';
    socket.on('connect', () => socket.write('GET /_ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
    socket.on('data', (data: Buffer) => {
      answer += data.toString('latin1');
      if (answer.includes('\r\n')) done(/^HTTP\/1\.[01] 200 /.test(answer));
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}

/** Which engine answers: Docker's dockerd or Podman's Docker-compatible service. */
export type EngineFlavour = 'docker' | 'podman';
export interface EngineUnderTest { flavour: EngineFlavour; version: string; apiVersion: string }

/** The engine's /version, read over a raw socket (the harness must not depend on the client it tests). */
export function versionOf(target: Upstream, timeout = 3000): Promise<EngineUnderTest | undefined> {
  return new Promise((resolve) => {
    const socket = connectUpstream(target);
    const done = (answer: EngineUnderTest | undefined) => { clearTimeout(timer); socket.destroy(); resolve(answer); };
    const timer = setTimeout(() => done(undefined), timeout);
    let text = '';
    socket.on('connect', () => socket.write('GET /version HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
    socket.on('data', (data: Buffer) => { text += data.toString('utf8'); });
    socket.on('error', () => done(undefined));
    // 'end', not 'close': the socket is half-open capable, so the daemon's close ends only its side.
    socket.on('end', () => {
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      const json = /\{[\s\S]*\}/.exec(body)?.[0]; // chunked framing around one JSON object
      try {
        const v = JSON.parse(json ?? '') as { Version?: string; ApiVersion?: string; Components?: Array<{ Name?: string }> };
        const podman = (v.Components ?? []).some((c) => /podman/i.test(c.Name ?? ''));
        done({ flavour: podman ? 'podman' : 'docker', version: v.Version ?? '?', apiVersion: v.ApiVersion ?? '?' });
      } catch {
        done(undefined);
      }
    });
  });
}

// Top-level await: registration (test vs skip) must know the answer synchronously.
const engineUp = mode === 'replay' ? false : await probe(upstream);
/**
 * The engine the live and record tiers run against. Replay runs the fixtures, which are recorded
 * on the main engine (dockerd 20.10), so it counts as Docker.
 */
export const engineUnderTest: EngineUnderTest = (engineUp ? await versionOf(upstream) : undefined) ?? { flavour: 'docker', version: 'recorded', apiVersion: 'recorded' };
if (mode !== 'replay' && !engineUp && !requireEngine) {
  console.log(`note: no engine answers at ${describeUpstream(upstream)}: ${mode} scenarios are skipped (PODLING_REQUIRE_ENGINE=1 makes this a failure)`);
}

export function sanitize(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

/** fixtures/<suite>/<scenario>.json; a suite named `engine/containers` gives two directory levels. */
export function fixturePath(suite: string, scenarioName: string): string {
  return `${FIXTURES}${suite.split('/').map(sanitize).join('/')}/${sanitize(scenarioName)}.json`;
}

export function objectName(suite: string, scenarioName: string, part: string): string {
  return ['podling-test', sanitize(suite), sanitize(scenarioName), sanitize(part)].filter(Boolean).join('-');
}

export interface ScenarioOptions {
  /**
   * Engines this scenario cannot run on, each with the reason (what the engine lacks, not what the
   * test expects): the scenario is skipped there and the reason printed, never silently dropped.
   */
  unsupported?: Partial<Record<EngineFlavour, string>>;
  /**
   * Another engine than DOCKER_HOST's for the live and record tiers (the swarm bed's manager,
   * test/support/nodes.ts); its fixture replays like any other. `absent` says why it is not there:
   * the scenario is skipped with that reason, or fails under PODLING_REQUIRE_ENGINE=1 unless
   * `optional` (an engine this tier never has, such as the bed beside another engine's tier).
   */
  on?: { upstream: Upstream } | { absent: string; optional?: boolean };
}

/** DOCKER_HOST when this tier's engine is not the main one (`make test-engines` on another engine). */
export const besideMain = process.env.DOCKER_HOST && !/^(unix:\/\/)?\/var\/run\/docker\.sock$/.test(process.env.DOCKER_HOST) ? process.env.DOCKER_HOST : undefined;

/**
 * For a scenario whose test bed reaches the main engine whatever DOCKER_HOST says (the swarm bed,
 * the ssh:// sshd): beside another engine's tier it is skipped with `why`, never run against an
 * engine it would not see.
 */
export function mainEngineOnly(why: string): ScenarioOptions['on'] {
  return besideMain ? { absent: `${why}; this tier's engine is ${besideMain}`, optional: true } : undefined;
}

/** Registers a test that talks to an engine; `suite` must be a named uvu suite (its name picks the fixture). */
export function scenario(suite: Test, name: string, fn: (ctx: ScenarioContext) => Promise<void>, options: ScenarioOptions = {}): void {
  const unsupported = mode === 'replay' ? undefined : options.unsupported?.[engineUnderTest.flavour];
  if (unsupported) {
    console.log(`skip on ${engineUnderTest.flavour} ${engineUnderTest.version}: ${name}: ${unsupported}`);
    return suite.skip(name);
  }
  const other = mode === 'replay' ? undefined : options.on;
  if (other && 'absent' in other) {
    if (requireEngine && !other.optional) {
      suite(name, () => { throw new Error(`PODLING_REQUIRE_ENGINE=1 but ${other.absent}`); });
      return;
    }
    console.log(`skip: ${name}: ${other.absent}`);
    return suite.skip(name);
  }
  if (mode !== 'replay' && !other && !engineUp) {
    if (!requireEngine) return suite.skip(name);
    suite(name, () => {
      throw new Error(`PODLING_REQUIRE_ENGINE=1 but no engine answers at ${describeUpstream(upstream)} (try \`make engine\`)`);
    });
    return;
  }
  suite(name, async (state) => {
    const suiteName = state.__suite__;
    if (!suiteName) throw new Error(`scenario "${name}" needs a named suite: suite('area/topic')`);
    await withEngine({ mode, fixture: fixturePath(suiteName, name), upstream: other?.upstream ?? upstream }, (engine, session) => withTeardown(engine, (teardown) => fn({
      engine,
      mode,
      now: session.now,
      name: (part) => objectName(suiteName, name, part),
      ...teardown,
    }))).catch((err: unknown) => {
      // uvu prints the message, then the stack minus its first line: a multi-line message would
      // appear twice. The report is the message; where it was thrown from says nothing here.
      if (err instanceof ReplayMismatchError || err instanceof FixtureError) err.stack = `${err.name}: ${err.message.split('\n')[0]}`;
      throw err;
    });
  });
}

/**
 * A test that needs no engine: its logic does not change between tiers, so it runs in the replay
 * tier only. (Test files that do not import this harness at all are only loaded in that tier too.)
 */
export function unit(suite: Test, name: string, fn: () => unknown): void {
  if (mode === 'replay') suite(name, async () => { await fn(); });
}
