import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runMain } from '../support/cli.js';
import { fixtureOf, inTempDir, podling, SESSIONS, sessionEnv } from './sessions/sessions.js';

// What `podling record` and `podling replay` say when the input is wrong, and when a replayed
// command does something the fixture does not hold. No engine: a replay needs none, and a record
// that cannot reach its engine must fail before the command runs.
const input = suite('cli/record-replay-input');

const CURL = fixtureOf('curl');
/** A client any machine with node has: GET each path on the socket DOCKER_HOST names, print the statuses. */
const client = (...paths: string[]) => [process.execPath, '-e', `
  const http = require('node:http');
  const get = (path) => new Promise((done) => http.get({ socketPath: process.env.DOCKER_HOST.slice(7), path }, (res) => { res.resume(); res.on('end', () => done(res.statusCode)); }));
  (async () => { for (const path of ${JSON.stringify(paths)}) console.log(path, await get(path)); })();
`];

/** One line on stderr, starting `podling: `, and nothing on stdout. */
function oneError(result: { code: number | null; stdout: string; stderr: string }, code: number, pattern: RegExp): void {
  assert.is(result.code, code, result.stderr);
  assert.is(result.stdout, '');
  assert.match(result.stderr, /^podling: [^\n]+\n$/);
  assert.match(result.stderr, pattern);
}

input('no fixture file: usage error (2) naming the file and how to record it; the command never runs', () => inTempDir(async (dir) => {
  const marker = join(dir, 'ran');
  const result = await runMain(['replay', join(dir, 'nope.json'), '--', 'touch', marker]);
  oneError(result, 2, /^podling: no fixture at \S*nope\.json: record one with `podling record \S*nope\.json -- COMMAND`/);
  assert.not.ok(existsSync(marker), 'the command ran');
}));

input('a fixture that is not JSON, or JSON of another shape: usage error (2) saying which', () => inTempDir(async (dir) => {
  const marker = join(dir, 'ran');
  writeFileSync(join(dir, 'text.json'), 'HTTP/1.1 200 OK\r\n');
  oneError(await runMain(['replay', join(dir, 'text.json'), '--', 'touch', marker]), 2, /text\.json is not JSON: /);
  writeFileSync(join(dir, 'shape.json'), JSON.stringify({ podling: 1, epoch: '2026-01-01T00:00:00.000Z', clock: [], exchanges: [{ request: { method: 'GET' } }] }));
  oneError(await runMain(['replay', join(dir, 'shape.json'), '--', 'touch', marker]), 2, /shape\.json is not a valid fixture: .*exchanges\[0\]\.request\.path/);
  assert.not.ok(existsSync(marker), 'the command ran');
}));

input('no command, or a command not after --: usage error (2) with the synopsis', async () => {
  oneError(await runMain(['replay', CURL]), 2, /replay needs a command after --: podling replay FIXTURE \[--strict\] -- COMMAND \[ARGS\.\.\.\]/);
  oneError(await runMain(['record', 'x.json', '--']), 2, /record needs a command after --: podling record FIXTURE \[--upstream ADDRESS\] -- COMMAND/);
  oneError(await runMain(['record']), 2, /record needs a fixture file and a command/);
  oneError(await runMain(['replay', CURL, 'docker', 'ps']), 2, /replay takes one fixture \(got .*curl\.json docker ps\); the command goes after --/);
  oneError(await runMain(['record', 'x.json', '--upstream', 'http://127.0.0.1:2375', '--', 'true']), 2, /cannot record through http:\/\/127\.0\.0\.1:2375: name the engine as unix:\/\/\/path/);
  oneError(await runMain(['replay', CURL, '--upstream', 'unix:///x', '--', 'true']), 2, /Unknown option '--upstream'/);
});

input('an upstream that does not answer: a failure (1) naming it, before the command runs; no fixture written', () => inTempDir(async (dir) => {
  const marker = join(dir, 'ran');
  const fixture = join(dir, 'f.json');
  oneError(await runMain(['record', fixture, '--upstream', `unix://${dir}/absent.sock`, '--', 'touch', marker]), 1,
    /^podling: no engine answers at \S+\/absent\.sock \(--upstream names another\): engine unavailable: socket \S+ not found/);
  // A socket that accepts and hangs up without a word.
  const mute = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => mute.listen(join(dir, 'mute.sock'), resolve));
  try {
    oneError(await runMain(['record', fixture, '--upstream', join(dir, 'mute.sock'), '--', 'touch', marker]), 1, /^podling: no engine answers at \S+\/mute\.sock/);
  } finally {
    mute.close();
  }
  assert.not.ok(existsSync(marker), 'the command ran');
  assert.not.ok(existsSync(fixture), 'a fixture was written');
}));

input('-H names the upstream when --upstream does not; replay needs no engine, whatever DOCKER_HOST says', () => inTempDir(async (dir) => {
  oneError(await runMain(['-H', `unix://${dir}/absent.sock`, 'record', join(dir, 'f.json'), '--', 'true']), 1, /^podling: no engine answers at \S+\/absent\.sock /);
  const result = await podling(['replay', CURL, '--', ...client('/v1.45/_ping')], sessionEnv(dir, { DOCKER_HOST: 'ssh://nowhere' }));
  assert.equal([result.code, result.stdout, result.stderr], [0, '/v1.45/_ping 200\n', '']);
}));

input('the command\'s environment is the caller\'s but for DOCKER_HOST, the replay socket, and no TLS settings', () => inTempDir(async (home) => {
  const show = 'for (const k of ["DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONTEXT", "MY_SETTING"]) console.log(k, process.env[k] ?? "-")';
  const env = sessionEnv(home, { DOCKER_HOST: 'tcp://10.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: home, DOCKER_CONTEXT: 'ci', MY_SETTING: 'kept' });
  const result = await podling(['replay', CURL, '--', process.execPath, '-e', show], env);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /^DOCKER_HOST unix:\/\/\/\S+\/engine\.sock\nDOCKER_TLS_VERIFY -\nDOCKER_CERT_PATH -\nDOCKER_CONTEXT ci\nMY_SETTING kept\n$/);
}));

input('a command that does not exist ends as in a shell: 127, with one line saying so', async () => {
  const result = await runMain(['replay', CURL, '--', 'podling-no-such-command']);
  assert.is(result.code, 127);
  assert.is(result.stderr, 'podling: cannot run podling-no-such-command: not found\n');
});

input('a request the fixture does not hold: answered 599, printed with the nearest recording; the exit code stays the command\'s', () => inTempDir(async (home) => {
  const result = await podling(['replay', CURL, '--', ...client('/v1.45/_ping', '/v1.45/containers/podling-test-rr-other/json')], sessionEnv(home));
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout, '/v1.45/_ping 200\n/v1.45/containers/podling-test-rr-other/json 599\n');
  assert.is(result.stderr, `podling replay: 1 request with no recording in ${CURL}:
  no recording for
      GET /containers/podling-test-rr-other/json
    nearest recording:
      GET /containers/podling-test-rr-curl/json
    (if the test changed on purpose, re-record it: \`podling record ${CURL} -- COMMAND\`)
`);
}));

input('--strict: the same miss and every recording left unused, and exit 1 though the command succeeded', () => inTempDir(async (home) => {
  const result = await podling(['replay', CURL, '--strict', '--', ...client('/v1.45/_ping', '/v1.45/containers/podling-test-rr-other/json')], sessionEnv(home));
  assert.is(result.code, 1, result.stderr);
  assert.match(result.stderr, /^podling replay: 1 request with no recording in .*curl\.json:\n  no recording for\n      GET \/containers\/podling-test-rr-other\/json\n/);
  assert.match(result.stderr, /\npodling replay: 7 recordings of .*curl\.json never used:\n  #2 GET \/version\n  #3 POST \/containers\/create\?name=podling-test-rr-curl\n      body: \{"Image":"podling-test\/busybox:latest",/);
  assert.match(result.stderr, /\n  #8 GET \/containers\/podling-test-rr-curl\/json\n$/);
}));

const docker = SESSIONS.find((s) => s.name === 'docker-cli')!.client();
const dockerTitle = 'the docker CLI asking for something else than recorded fails, the miss named by it and by podling';
if (!docker) input.skip(dockerTitle);
else input(dockerTitle, () => inTempDir(async (home) => {
  const result = await podling(['replay', fixtureOf('docker-cli'), '--', 'docker', 'inspect', 'podling-test-rr-other'], sessionEnv(home));
  assert.is(result.code, 1); // the docker CLI's own exit code on an error answer
  assert.match(result.stderr, /^Error response from daemon: podling replay: no recording for\n    GET \/containers\/podling-test-rr-other\/json\n/);
  assert.match(result.stderr, /\npodling replay: 1 request with no recording in \S+docker-cli\.json:\n  no recording for\n      GET \/containers\/podling-test-rr-other\/json\n    nearest recording:\n      GET \/containers\/podling-test-rr-box\/json\n/);
}));

input.run();
