import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { defaultUpstream } from '../../src/testing/index.js';
import { mode, probe } from '../support/scenario.js';
import { withTeardown } from '../support/teardown.js';
import type { CliResult } from '../support/cli.js';
import { fixtureOf, inTempDir, NEWER_ENGINE, outputOf, podling, SESSION_LABEL, SESSIONS, sessionEnv, storedOutput, type Session } from './sessions/sessions.js';

// `podling record` and `podling replay` around three real clients (the docker CLI, dockerode, a
// curl script): whatever a session printed while recorded, its replay prints the same, byte for
// byte, with the same exit code. Recorded against the newer engine (Docker 26), which only these
// sessions' own objects touch. Replay tier: the stored sessions (fixtures/cli/record-replay/, with
// what each printed while recorded); record tier: re-records them; live tier: records to a
// temporary file and replays at once.
const rr = suite('cli/record-replay');

const engineUp = mode === 'replay' ? false : await probe(defaultUpstream({ DOCKER_HOST: NEWER_ENGINE }));
if (mode !== 'replay' && !engineUp) console.log(`note: the newer engine does not answer at ${NEWER_ENGINE}: the record-replay sessions are skipped`);

/** Removes whatever a session left (a run killed midway), before and after each. */
async function sweep(engine: Engine): Promise<void> {
  for (const c of await engine.containers.list({ all: true, filters: { label: [SESSION_LABEL] } })) await engine.containers.remove(c.Id, { force: true });
  for (const n of await engine.networks.list({ filters: { label: [SESSION_LABEL] } })) await engine.networks.remove(n.Id);
}

async function onNewerEngine(body: (engine: Engine) => Promise<void>): Promise<void> {
  const engine = new Engine({ host: NEWER_ENGINE }, {});
  try {
    await sweep(engine);
    await withTeardown(engine, async ({ defer }) => {
      defer(() => sweep(engine), 'remove the objects labelled podling-test-rr=1');
      await body(engine);
    });
  } finally {
    await engine.close();
  }
}

const printed = (r: CliResult) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr });

/** Records `session` into `fixture`, replays it strictly, and checks both printed the same. */
async function recordThenReplay(session: Session, fixture: string, home: string): Promise<CliResult> {
  const env = sessionEnv(home);
  const recorded = await podling(['record', fixture, '--upstream', NEWER_ENGINE, '--', ...session.command], env);
  const replayed = await podling(['replay', fixture, '--strict', '--', ...session.command], env);
  assert.equal(printed(replayed), printed(recorded), `${session.name}: the replay printed something else than the recorded run`);
  return recorded;
}

/** What a session must show whatever the engine answered: proof the recording was a real run. */
const EXPECTED: Record<string, { code: number; stdout: RegExp[]; stderr: RegExp[] }> = {
  'docker-cli': {
    code: 1, // the last command asks for an object that does not exist
    stdout: [/API version:\s+1\.45 \(downgraded from/, /^hello from docker run$/m, /^STDIN OVER A HIJACKED ATTACH\nrun -i exited 3$/m,
      /^cexe dekcajih a revo nidts\nexec -i exited 4$/m, /^started$/m, /podling-test-rr-net\s+bridge\s+local/, /podling-test-rr-box\s+podling-test\/busybox:latest\s+"sh -c 'echo started…"\s+running/],
    stderr: [/^to stderr$/m, /^exec stderr$/m, /^Error: No such object: podling-test-rr-missing$/m],
  },
  dockerode: {
    code: 3,
    stdout: [/^ping: OK$/m, /^attach: stdout: STDIN OVER A HIJACKED ATTACH\nstderr: to stderr$/m, /^wait: 5$/m,
      /^exec: stdout: cexe dekcajih a revo nidts\nstderr: exec stderr$/m, /^exec exit: 4$/m, /^missing: \[404,"No such container: podling-test-rr-node-missing"\]$/m],
    stderr: [],
  },
  curl: {
    code: 0,
    stdout: [/^OK \[200\]$/m, /"ApiVersion":"1\.45"/, /^\{"Id":"[0-9a-f]{64}","Warnings":\[\]\}\n \[201\]$/m, /^\{"StatusCode":0\}\n \[200\]$/m, /^ \[204\]$/m, /No such container: podling-test-rr-curl"\}\n \[404\]$/m],
    stderr: [],
  },
};

function assertReal(session: Session, result: CliResult): void {
  const expected = EXPECTED[session.name]!;
  assert.is(result.code, expected.code, `${session.name} exited ${result.code}: ${result.stderr}`);
  for (const pattern of expected.stdout) assert.match(result.stdout, pattern);
  for (const pattern of expected.stderr) assert.match(result.stderr, pattern);
}

for (const session of SESSIONS) {
  const client = session.client();
  if (mode === 'replay') {
    const stored = storedOutput(session.name);
    const title = `${session.name}: the stored session replays with the output it had while recorded`;
    // A fixture belongs to the client version that made it: another version sends other requests.
    if (!client || !stored || stored.client !== client) {
      console.log(`note: ${title}: skipped (${!client ? 'client not installed' : !stored ? 'not recorded' : `recorded with ${stored.client}, this is ${client}`})`);
      rr.skip(title);
      continue;
    }
    rr(title, () => inTempDir(async (home) => {
      const replayed = await podling(['replay', fixtureOf(session.name), '--strict', '--', ...session.command], sessionEnv(home));
      assert.equal(printed(replayed), { code: stored.code, stdout: stored.stdout, stderr: stored.stderr });
    }));
    continue;
  }
  const title = `${session.name}: recorded, then replayed with the same stdout, stderr and exit code`;
  if (!engineUp || !client) {
    rr.skip(title);
    continue;
  }
  rr(title, () => onNewerEngine(() => inTempDir(async (dir) => {
    // Record mode rewrites the stored session; live mode leaves it alone.
    const fixture = mode === 'record' ? fixtureOf(session.name) : join(dir, 'session.json');
    const recorded = await recordThenReplay(session, fixture, dir);
    assertReal(session, recorded);
    if (session.name === 'docker-cli') assertDockerCliFixture(readFileSync(fixture, 'utf8'));
    if (mode === 'record') writeFileSync(outputOf(session.name), `${JSON.stringify({ client, ...printed(recorded) }, null, 2)}\n`);
  })));
}

/** What the docker CLI's fixture must hold for its replay to mean anything. */
function assertDockerCliFixture(text: string): void {
  const { exchanges } = JSON.parse(text) as { exchanges: Array<{ request: { method: string; path: string }; upgrade?: Array<{ from: string; text?: string }> }> };
  // Version negotiation: a ping first, then every call under the version the engine offered.
  assert.equal([exchanges[0]!.request.method, exchanges[0]!.request.path], ['HEAD', '/_ping']);
  assert.ok(exchanges.filter((e) => e.request.path !== '/_ping').every((e) => e.request.path.startsWith('/v1.45/')));
  // Hijacked streams with the stdin each wrote, as readable text.
  const stdin = exchanges.flatMap((e) => e.upgrade ?? []).filter((u) => u.from === 'client' && u.text).map((u) => u.text);
  assert.equal(stdin, ['stdin over a hijacked attach\n', 'stdin over a hijacked exec\n']);
}

if (mode === 'live') {
  const title = 'docker cp: the tar upload matches byte for byte; the same file with another mtime is a miss naming the byte';
  if (!engineUp || !SESSIONS[0]!.client()) rr.skip(title);
  else rr(title, () => onNewerEngine(() => inTempDir(async (dir) => {
    const box = 'podling-test-rr-cp';
    // The tar the CLI uploads carries the file's mtime (and owner): fixed here, or no replay matches.
    const script = (mtime: string) => `printf 'copied in\\n' > "$HOME/note.txt" && touch -d ${mtime} "$HOME/note.txt"
      docker run -d --pull never --name ${box} --label ${SESSION_LABEL} podling-test/busybox:latest sleep 300 >/dev/null
      docker cp "$HOME/note.txt" ${box}:/tmp/note.txt && docker exec ${box} cat /tmp/note.txt
      docker cp ${box}:/tmp/note.txt "$HOME/back.txt" && cat "$HOME/back.txt"
      docker rm -f ${box}`;
    const fixture = join(dir, 'cp.json');
    const env = sessionEnv(dir);
    const command = (mtime: string) => ['sh', '-c', script(mtime)];
    const recorded = await podling(['record', fixture, '--upstream', NEWER_ENGINE, '--', ...command('2024-01-01T00:00:00Z')], env);
    assert.equal(printed(recorded), { code: 0, stdout: `copied in\ncopied in\n${box}\n`, stderr: '' });
    assert.match(readFileSync(fixture, 'utf8'), /"entries": \[\n\s+\{\n\s+"name": "note\.txt",\n\s+"type": "file",\n\s+"size": 10/);
    assert.equal(printed(await podling(['replay', fixture, '--strict', '--', ...command('2024-01-01T00:00:00Z')], env)), printed(recorded));
    const touched = await podling(['replay', fixture, '--strict', '--', ...command('2024-01-01T00:00:01Z')], env);
    assert.match(touched.stderr, /podling replay: 1 request with no recording in \S+cp\.json:\n  no recording for\n      PUT \/containers\/podling-test-rr-cp\/archive\?noOverwriteDirNonDir=true&path=\/tmp\n      body: 2048 bytes\n    same request, body differs at byte 1\d\d: /);
    assert.is(touched.code, 1); // the script's last command replays fine: --strict fails it on the miss
  })));
}

if (mode === 'live') {
  const env = (() => {
    try {
      return Object.fromEntries(readFileSync(`${process.env.PODLING_STATE || '/var/lib/podling-registry'}/test.env`, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    } catch {
      return {} as Record<string, string>;
    }
  })();
  const registry = env.PODLING_AUTH_REGISTRY;
  const title = 'docker login and a pull with credentials: recorded without the password, replayed alike';
  if (!engineUp || !registry || !env.PODLING_AUTH_PASSWORD || !SESSIONS[0]!.client()) rr.skip(title);
  else rr(title, () => onNewerEngine((engine) => inTempDir(async (dir) => {
    const password = env.PODLING_AUTH_PASSWORD!;
    const image = `${registry}/podling-test/busybox:latest`;
    const fixture = join(dir, 'login.json');
    // The password reaches docker login through the command's environment, never its arguments.
    const script = `printf %s "$REGISTRY_PASSWORD" | docker login -u "${env.PODLING_AUTH_USER}" --password-stdin ${registry} && docker pull -q ${image}`;
    const environment = sessionEnv(dir, { REGISTRY_PASSWORD: password });
    const recorded = await podling(['record', fixture, '--upstream', NEWER_ENGINE, '--', 'sh', '-c', script], environment);
    await engine.images.remove(image).catch(() => {}); // only the tag this pull added
    assert.is(recorded.code, 0, recorded.stderr);
    assert.match(recorded.stdout, /Login Succeeded/);
    const text = readFileSync(fixture, 'utf8');
    for (const secret of [password, Buffer.from(password).toString('base64'), Buffer.from(`${env.PODLING_AUTH_USER}:${password}`).toString('base64')]) {
      assert.not.ok(text.includes(secret), 'the fixture holds the password');
    }
    assert.match(text, /"X-Registry-Auth": "<redacted>"/);
    assert.match(text, /"password": "<redacted>"/);
    // docker login warns (naming the file) only when it first stores the credentials: the replay
    // starts from the same empty configuration directory as the recording did.
    rmSync(environment.DOCKER_CONFIG!, { recursive: true });
    const replayed = await podling(['replay', fixture, '--strict', '--', 'sh', '-c', script], sessionEnv(dir, { REGISTRY_PASSWORD: password }));
    assert.equal(printed(replayed), printed(recorded));
  })));
}

rr.run();
