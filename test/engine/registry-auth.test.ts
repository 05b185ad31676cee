import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { authFromConfig, DOCKER_HUB, encodeAuth, registryOf, type RegistryAuth } from '../../src/engine/auth.js';
import { EngineError } from '../../src/engine/errors.js';
import { REDACTED } from '../../src/testing/index.js';
import { scenario, unit, type ScenarioContext } from '../support/scenario.js';
import { AUTH_REGISTRY, authRegistryCredentials, forgetRepository, readTestEnv, REPLAY_PASSWORD, type TestCredentials } from './registry-storage.js';
import { drain, engineFailure } from '../support/assertions.js';

// Registry credentials: how they are encoded for X-Registry-Auth and found in a docker config
// file (no engine), and what the engine does with wrong, missing and right ones against the
// htpasswd registry at 127.0.0.1:5001 (fixtures/engine/registry-auth/). Fixtures never hold them.
const auth = suite('engine/registry-auth');

const BUSYBOX = 'podling-test/busybox:latest';
const WRONG_PASSWORD = 'certainly-not-the-password';

const login = (credentials: TestCredentials, password = credentials.password): RegistryAuth => ({ username: credentials.username, password, serveraddress: AUTH_REGISTRY });

/** This scenario's image on the authenticated registry: the tag and the repository go after the scenario. */
function authReference({ mode, name, track, defer }: ScenarioContext): string {
  defer(() => forgetRepository(mode, AUTH_REGISTRY, name('image')), `forget repository ${AUTH_REGISTRY}/${name('image')}`);
  return track.image(`${AUTH_REGISTRY}/${name('image')}:latest`);
}

/**
 * A test-named copy of busybox on the authenticated registry (pushed with the right credentials;
 * every layer is already there, so it is quick), with no local copy left. Its reference; the local
 * copy and the registry repository are removed after the scenario.
 */
async function remoteImage(ctx: ScenarioContext): Promise<{ reference: string; credentials: TestCredentials }> {
  const { engine, mode } = ctx;
  const credentials = await authRegistryCredentials(mode);
  const reference = authReference(ctx);
  await engine.images.tag(BUSYBOX, reference);
  await engine.images.push(reference, { auth: login(credentials) }).done;
  await engine.images.remove(reference);
  return { reference, credentials };
}

/** Runs `fn` with DOCKER_CONFIG pointing at a fresh folder holding `config` (none if undefined). */
async function withDockerConfig(config: unknown, fn: () => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'podling-docker-config-'));
  const saved = process.env.DOCKER_CONFIG;
  try {
    if (config !== undefined) await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    process.env.DOCKER_CONFIG = dir;
    await fn();
  } finally {
    if (saved === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved;
    await rm(dir, { recursive: true, force: true });
  }
}

const userPass = (username: string, password: string) => Buffer.from(`${username}:${password}`).toString('base64');

// ------------------------------------------------------------------------------- the engine

// dockerd 20.10 answers a registry's 401 with a 500 before streaming: the kind follows the status
// (as moby's errdefs do), and the registry's words are in daemonMessage.
scenario(auth, 'pull with the wrong password is refused before streaming with the registry message, and makes no image', async (ctx) => {
  const { engine } = ctx;
  const { reference, credentials } = await remoteImage(ctx);
  const pull = engine.images.pull(reference, { auth: login(credentials, WRONG_PASSWORD) });
  const { messages, error } = await drain(pull);
  const err = await engineFailure(pull.done, 'server');
  assert.is(error, err);
  assert.equal(messages, []);
  assert.is(err.status, 500);
  assert.is(err.daemonMessage, 'unauthorized: authentication required');
  assert.equal(await engine.images.list({ filters: { reference: [reference] } }), []);
}, { unsupported: { podman: 'Podman reports a refused login inside the 200 stream (kind stream), not before it' } });

scenario(auth, 'pull with no credentials anywhere is refused: no basic auth credentials', async (ctx) => {
  const { engine, name } = ctx;
  const { reference } = await remoteImage(ctx);
  await withDockerConfig(undefined, async () => {
    const err = await engineFailure(engine.images.pull(reference).done, 'server');
    assert.match(err.daemonMessage ?? '', `${AUTH_REGISTRY}/v2/${name('image')}/manifests/latest": no basic auth credentials`);
  });
}, { unsupported: { podman: 'Podman reports a refused login inside the 200 stream (kind stream), not before it' } });

scenario(auth, 'pull with the right credentials succeeds', async (ctx) => {
  const { engine } = ctx;
  const { reference, credentials } = await remoteImage(ctx);
  const pull = engine.images.pull(reference, { auth: login(credentials) });
  const { messages, error } = await drain(pull);
  assert.is(error, undefined);
  await pull.done;
  assert.is(messages.at(-1)!.status, `Status: Downloaded newer image for ${reference}`);
  assert.is((await engine.images.inspect(reference)).Id, (await engine.images.inspect(BUSYBOX)).Id);
}, { unsupported: { podman: 'Podman\'s pull ends without dockerd\'s \'Status: Downloaded newer image\' line' } });

scenario(auth, 'credentials in the DOCKER_CONFIG config.json are used when none are passed', async (ctx) => {
  const { engine } = ctx;
  const { reference, credentials } = await remoteImage(ctx);
  // `docker login` has written the key with a scheme and a path too; the host is what counts.
  await withDockerConfig({ auths: { [`https://${AUTH_REGISTRY}/v1/`]: { auth: userPass(credentials.username, credentials.password) } } }, async () => {
    const pull = engine.images.pull(reference);
    await pull.done;
    assert.is((await engine.images.inspect(reference)).Id, (await engine.images.inspect(BUSYBOX)).Id);
  });
});

scenario(auth, 'push with the wrong password fails inside the stream, after it started', async (ctx) => {
  const { engine, name, mode } = ctx;
  const credentials = await authRegistryCredentials(mode);
  const reference = authReference(ctx);
  await engine.images.tag(BUSYBOX, reference);
  const push = engine.images.push(reference, { auth: login(credentials, WRONG_PASSWORD) });
  const { messages, error } = await drain(push);
  const err = await engineFailure(push.done, 'stream');
  assert.is(error, err);
  assert.is(messages[0]!.status, `The push refers to repository [${AUTH_REGISTRY}/${name('image')}]`);
  assert.is(err.daemonMessage, 'unauthorized: authentication required');
}, { unsupported: { podman: 'Podman\'s push progress names the repository with its tag' } });

// ------------------------------------------------------------------------------- the fixtures

const FIXTURES = fileURLToPath(new URL('../../fixtures/engine/registry-auth/', import.meta.url));

unit(auth, 'the recorded fixtures hold neither a password nor an X-Registry-Auth value', async () => {
  const files = (await readdir(FIXTURES)).filter((file) => file.endsWith('.json'));
  assert.ok(files.length >= 5, `expected the auth scenarios' fixtures in ${FIXTURES}`);
  const env = await readTestEnv(); // present where the fixtures were recorded; CI may not have it
  const password = env?.PODLING_AUTH_PASSWORD;
  const secrets = [WRONG_PASSWORD, REPLAY_PASSWORD, ...(password ? [password, encodeAuth({ username: 'podling', password, serveraddress: AUTH_REGISTRY }), userPass('podling', password)] : [])];
  let calls = 0;
  for (const file of files) {
    const text = await readFile(join(FIXTURES, file), 'utf8');
    for (const secret of secrets) assert.not.ok(text.includes(secret), `${file} contains a secret`);
    const fixture = JSON.parse(text) as { exchanges: Array<{ request: { path: string; query?: Record<string, unknown>; headers?: Record<string, string> } }> };
    for (const { request } of fixture.exchanges) {
      const registryCall = request.path.endsWith('/push') || (request.path.endsWith('/images/create') && request.query?.fromImage !== undefined);
      if (!registryCall) continue;
      calls++;
      const header = Object.entries(request.headers ?? {}).find(([key]) => key.toLowerCase() === 'x-registry-auth')?.[1];
      assert.is(header, REDACTED, `${file}: ${request.path} recorded X-Registry-Auth as ${header}`);
    }
  }
  assert.ok(calls >= 9, `the auth scenarios push and pull; only ${calls} such calls recorded`);
});

// ------------------------------------------------------------------------------- no engine

/** Go's base64.URLEncoding: URL alphabet, padding required. What dockerd decodes the header with. */
function goUrlDecode(text: string): string {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error(`not padded URL-safe base64: ${text}`);
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
}

unit(auth, 'registryOf names the registry of a reference the way the docker CLI does', () => {
  const cases: Array<[string, string]> = [
    ['busybox', DOCKER_HUB],
    ['library/busybox:1.36', DOCKER_HUB],
    ['someone/app', DOCKER_HUB],
    ['docker.io/library/busybox', DOCKER_HUB],
    ['index.docker.io/someone/app:v1', DOCKER_HUB],
    ['127.0.0.1:5001/podling-test/busybox:latest', '127.0.0.1:5001'],
    ['localhost/app', 'localhost'],
    ['localhost:5000/app@sha256:' + 'a'.repeat(64), 'localhost:5000'],
    ['registry.example.com/team/app', 'registry.example.com'],
  ];
  for (const [reference, registry] of cases) assert.is(registryOf(reference), registry, reference);
});

unit(auth, 'encodeAuth keeps the padding and uses the URL alphabet, so Go decodes the JSON back', () => {
  // JSON of 1 and 2 bytes past a multiple of 3: base64 that needs '==' and '=' respectively.
  for (const [password, padding] of [['secret!', '=='], ['secret!!', '=']] as const) {
    const credentials = { username: 'podling', password, serveraddress: AUTH_REGISTRY };
    const encoded = encodeAuth(credentials);
    assert.ok(encoded.endsWith(padding) && !encoded.endsWith(`${padding}=`), `${encoded} lost its padding`);
    assert.equal(JSON.parse(goUrlDecode(encoded)), credentials);
  }
  assert.is(goUrlDecode(encodeAuth(undefined)), '{}', 'anonymous is sent as {}');
  assert.equal(JSON.parse(goUrlDecode(encodeAuth({ identitytoken: 'tok' }))), { identitytoken: 'tok' });

  // Plain base64 of this JSON holds both '+' and '/'; they must become '-' and '_'.
  const awkward = { username: 'u', password: '~~~???>>>' };
  const plain = Buffer.from(JSON.stringify(awkward)).toString('base64');
  assert.ok(plain.includes('+') && plain.includes('/'), plain);
  const url = encodeAuth(awkward);
  assert.is(url, plain.replace(/\+/g, '-').replace(/\//g, '_'));
  assert.equal(JSON.parse(goUrlDecode(url)), awkward);
});

unit(auth, 'encodeAuth refuses credentials with a misspelt field, naming it', () => {
  try {
    encodeAuth({ username: 'u', passwd: 'p' } as never);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, EngineError);
    assert.is((err as EngineError).kind, 'invalid-argument');
    assert.match((err as EngineError).message, 'invalid registry credentials');
  }
});

async function withConfigFile<T>(config: unknown, fn: (env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'podling-docker-config-'));
  try {
    if (config !== undefined) await writeFile(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
    return await fn({ DOCKER_CONFIG: dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

unit(auth, 'authFromConfig decodes auths.auth as user:password (a password may hold colons)', async () => {
  const found = await withConfigFile({ auths: { '127.0.0.1:5001': { auth: userPass('podling', 'pa:ss:word') } } }, (env) => authFromConfig('127.0.0.1:5001', env));
  assert.equal(found, { username: 'podling', password: 'pa:ss:word', serveraddress: '127.0.0.1:5001' });
});

unit(auth, 'authFromConfig returns an identity token as one', async () => {
  const found = await withConfigFile({ auths: { 'registry.example.com': { auth: '', identitytoken: 'refresh-token' } } }, (env) => authFromConfig('registry.example.com', env));
  assert.equal(found, { identitytoken: 'refresh-token', serveraddress: 'registry.example.com' });
});

unit(auth, 'authFromConfig finds keys written with a scheme, a trailing slash or a path', async () => {
  for (const key of ['https://127.0.0.1:5001', 'http://127.0.0.1:5001/', 'https://127.0.0.1:5001/v1/', '127.0.0.1:5001/']) {
    const found = await withConfigFile({ auths: { [key]: { auth: userPass('u', 'p') } } }, (env) => authFromConfig('127.0.0.1:5001', env));
    assert.equal(found, { username: 'u', password: 'p', serveraddress: '127.0.0.1:5001' }, key);
  }
  const hub = await withConfigFile({ auths: { [DOCKER_HUB]: { auth: userPass('hubuser', 'p') } } }, (env) => authFromConfig(registryOf('someone/app'), env));
  assert.is((hub as { username: string }).username, 'hubuser');
  const exact = await withConfigFile({ auths: { 'https://127.0.0.1:5001/v1/': { auth: userPass('legacy', 'p') }, '127.0.0.1:5001': { auth: userPass('current', 'p') } } }, (env) => authFromConfig('127.0.0.1:5001', env));
  assert.is((exact as { username: string }).username, 'current', 'the exact key wins over a legacy one');
});

unit(auth, 'authFromConfig gives nothing for another registry, a missing or malformed file, or an entry without user:password', async () => {
  const other = await withConfigFile({ auths: { '127.0.0.1:5001': { auth: userPass('u', 'p') } } }, (env) => authFromConfig('127.0.0.1:5000', env));
  assert.is(other, undefined);
  assert.is(await withConfigFile(undefined, (env) => authFromConfig('127.0.0.1:5001', env)), undefined);
  assert.is(await withConfigFile('{ not json', (env) => authFromConfig('127.0.0.1:5001', env)), undefined);
  const noColon = await withConfigFile({ auths: { '127.0.0.1:5001': { auth: Buffer.from('justauser').toString('base64') } } }, (env) => authFromConfig('127.0.0.1:5001', env));
  assert.is(noColon, undefined);
});

unit(auth, 'authFromConfig reads DOCKER_CONFIG from process.env when it is called', async () => {
  await withDockerConfig({ auths: { '127.0.0.1:5001': { auth: userPass('from-env', 'p') } } }, async () => {
    assert.is(((await authFromConfig('127.0.0.1:5001')) as { username: string }).username, 'from-env');
  });
});

auth.run();
