import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { contextId } from '../../src/engine/context-store.js';
import { Engine } from '../../src/engine/index.js';
import { isEngineError } from '../../src/engine/errors.js';
import { engineSpeaking, fakeEngine, type FakeEngine } from '../support/fake-engine.js';
import { requestsDuring } from '../support/sent.js';
import { runMain } from '../support/cli.js';
import { thrown } from '../support/assertions.js';

// Docker contexts as the docker CLI stores them ($DOCKER_CONFIG/contexts, written here by hand in
// a temporary directory, the layout `docker context create` leaves), read by the engine client:
// which engine answers, what TLS is used, and the clear error for a context that is missing or
// malformed, with nothing sent. No engine needed: fake engines stand behind the contexts.
const contexts = suite('engine/contexts');

let dir = '';
let fake: FakeEngine;
let other: FakeEngine;
contexts.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podling-contexts-'));
  fake = await fakeEngine(engineSpeaking('1.41'));
  other = await fakeEngine(engineSpeaking('1.41'));
});
contexts.after(async () => {
  await Promise.all([fake.close(), other.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** A docker config directory with the given contexts (name → meta.json text, or an object). */
function configDir(contextsByName: Record<string, unknown>, config?: unknown): string {
  const root = mkdtempSync(join(dir, 'docker-'));
  for (const [name, meta] of Object.entries(contextsByName)) {
    const metaDir = join(root, 'contexts', 'meta', contextId(name));
    mkdirSync(metaDir, { recursive: true });
    writeFileSync(join(metaDir, 'meta.json'), typeof meta === 'string' ? meta : JSON.stringify(meta));
  }
  if (config !== undefined) writeFileSync(join(root, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return root;
}

/** What `docker context create NAME --docker host=HOST` writes. */
const meta = (name: string, host: string, extra: Record<string, unknown> = {}) => ({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false, ...extra } } });

/** Pings through a fresh Engine and says which fake engine answered. */
async function whoAnswers(options: ConstructorParameters<typeof Engine>[0], env: NodeJS.ProcessEnv): Promise<'fake' | 'other'> {
  const before = { fake: fake.requests.length, other: other.requests.length };
  const engine = new Engine(options, env);
  try {
    await engine.system.ping();
  } finally {
    await engine.close();
  }
  const answered = (['fake', 'other'] as const).filter((f) => ({ fake, other })[f].requests.length > before[f]);
  assert.is(answered.length, 1, `exactly one engine answered: ${answered.join(', ')}`);
  return answered[0]!;
}

contexts('the context named by DOCKER_CONTEXT, --context or config.json\'s currentContext is the engine that answers', async () => {
  const docker = configDir({ near: meta('near', `unix://${fake.socketPath}`), far: meta('far', `unix://${other.socketPath}`) }, { auths: {}, currentContext: 'far' });
  assert.is(await whoAnswers({}, { DOCKER_CONFIG: docker }), 'other', 'config.json');
  assert.is(await whoAnswers({}, { DOCKER_CONFIG: docker, DOCKER_CONTEXT: 'near' }), 'fake', 'DOCKER_CONTEXT over config.json');
  assert.is(await whoAnswers({ context: 'far' }, { DOCKER_CONFIG: docker, DOCKER_CONTEXT: 'near' }), 'other', '--context over DOCKER_CONTEXT');
  assert.is(await whoAnswers({}, { DOCKER_CONFIG: docker, DOCKER_CONTEXT: 'near', DOCKER_HOST: `unix://${other.socketPath}` }), 'other', 'DOCKER_HOST over DOCKER_CONTEXT');
  assert.is(await whoAnswers({ context: 'near' }, { DOCKER_CONFIG: docker, DOCKER_HOST: `unix://${other.socketPath}` }), 'fake', '--context over DOCKER_HOST');
  assert.is(await whoAnswers({ context: 'default' }, { DOCKER_CONFIG: docker, DOCKER_HOST: `unix://${fake.socketPath}` }), 'fake', 'context "default" is DOCKER_HOST');
  const engine = new Engine({ context: 'near' }, { DOCKER_CONFIG: docker });
  assert.is(engine.address, fake.socketPath);
  await engine.close();
});

contexts('meta.json keys are matched without regard to case, as Go\'s encoding/json matches them', async () => {
  const docker = configDir({ lower: { name: 'lower', endpoints: { docker: { host: `unix://${fake.socketPath}` } } } });
  assert.is(await whoAnswers({ context: 'lower' }, { DOCKER_CONFIG: docker }), 'fake');
});

contexts('a tcp context speaks TLS only with TLS material or SkipTLSVerify, never from DOCKER_TLS_VERIFY', async () => {
  // A plain HTTP server on loopback: a plain client gets its ping, a TLS client's hello is garbage to it.
  const server = createServer((_req, res) => { res.writeHead(200, { 'api-version': '1.41' }); res.end('OK'); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
  const docker = configDir({ plain: meta('plain', host), skip: meta('skip', host, { SkipTLSVerify: true }), files: meta('files', host) });
  const tlsDir = join(docker, 'contexts', 'tls', contextId('files'), 'docker');
  mkdirSync(tlsDir, { recursive: true });
  writeFileSync(join(tlsDir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n');
  const ping = async (context: string, env: NodeJS.ProcessEnv = {}) => {
    const engine = new Engine({ context }, { DOCKER_CONFIG: docker, ...env });
    try {
      await engine.system.ping({ timeout: 5000 });
      return 'plain';
    } catch (err) {
      return isEngineError(err) ? 'refused' : `unexpected: ${String(err)}`;
    } finally {
      await engine.transport.client.destroy();
    }
  };
  try {
    assert.is(await ping('plain'), 'plain');
    assert.is(await ping('plain', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir }), 'plain', 'the environment\'s TLS belongs to the default context');
    assert.is(await ping('skip'), 'refused', 'SkipTLSVerify: TLS without verification');
    assert.is(await ping('files'), 'refused', 'a ca.pem: TLS');
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

contexts('an unknown context: invalid-argument naming it, where the name came from and the file looked for; nothing sent', async () => {
  const docker = configDir({}, { currentContext: 'gone' });
  const cases: Array<[string, ConstructorParameters<typeof Engine>[0], NodeJS.ProcessEnv, string]> = [
    ['--context', { context: 'nope' }, { DOCKER_CONFIG: docker }, 'context "nope" (from the --context option) not found'],
    ['DOCKER_CONTEXT', {}, { DOCKER_CONFIG: docker, DOCKER_CONTEXT: 'nope' }, 'context "nope" (from DOCKER_CONTEXT) not found'],
    ['config.json', {}, { DOCKER_CONFIG: docker }, `context "gone" (from currentContext in ${join(docker, 'config.json')}) not found`],
  ];
  for (const [what, options, env, message] of cases) {
    const sent = await requestsDuring(async () => {
      const err = thrown(() => new Engine(options, env), 'invalid-argument');
      assert.ok(err.message.startsWith(message), `${what}: ${err.message}`);
      assert.match(err.message, join(docker, 'contexts', 'meta'));
      assert.match(err.message, 'docker context ls');
    });
    assert.equal(sent, [], what);
  }
});

contexts('a malformed meta.json or config.json: invalid-argument naming the file and what is wrong; nothing sent', async () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['not JSON', '{"Name": "x", ', /malformed .*meta\.json: .*JSON/],
    ['a JSON array', '[]', /malformed .*meta\.json: not a JSON object/],
    ['no endpoints', { Name: 'x', Metadata: {} }, /has no endpoints .*cannot find docker endpoint in context/],
    ['no docker endpoint', { Name: 'x', Endpoints: { kubernetes: {} } }, /has no docker endpoint/],
    ['docker endpoint a string', { Name: 'x', Endpoints: { docker: 'unix:///x' } }, /Endpoints\.docker is not an object/],
    ['Host a number', { Name: 'x', Endpoints: { docker: { Host: 2375 } } }, /Endpoints\.docker\.Host is not a string/],
    ['SkipTLSVerify a string', { Name: 'x', Endpoints: { docker: { Host: 'tcp://h:2376', SkipTLSVerify: 'yes' } } }, /SkipTLSVerify is not true or false/],
    ['an unusable Host', meta('x', 'npipe:////./pipe/docker_engine'), /unsupported DOCKER_HOST "npipe/],
  ];
  for (const [what, body, message] of cases) {
    const docker = configDir({ x: body });
    const sent = await requestsDuring(async () => {
      const err = thrown(() => new Engine({ context: 'x' }, { DOCKER_CONFIG: docker }), 'invalid-argument');
      assert.match(err.message, message, `${what}: ${err.message}`);
    });
    assert.equal(sent, [], what);
  }
  const broken = configDir({}, '{"currentContext": ');
  const err = thrown(() => new Engine({}, { DOCKER_CONFIG: broken }), 'invalid-argument');
  assert.match(err.message, `cannot read the docker CLI's config file ${join(broken, 'config.json')}`);
});

contexts('a context whose docker endpoint has no Host is the standard socket, as in the CLI', () => {
  const docker = configDir({ bare: { Name: 'bare', Endpoints: { docker: {} } } });
  const engine = new Engine({ context: 'bare' }, { DOCKER_CONFIG: docker });
  assert.is(engine.address, '/var/run/docker.sock');
  void engine.close();
});

contexts('host and context options together are refused, socketPath counting as a host', () => {
  for (const options of [{ host: 'unix:///x', context: 'c' }, { socketPath: '/x', context: 'c' }]) {
    assert.is(thrown(() => new Engine(options, {}), 'invalid-argument').message, 'conflicting options: cannot specify both --host and --context');
  }
});

contexts('podling: -c/--context pick the context; with -H it is the CLI\'s refusal, exit 2; an unknown one exits 1 and names it', async () => {
  const docker = configDir({ near: meta('near', `unix://${fake.socketPath}`) });
  const saved = { DOCKER_CONFIG: process.env.DOCKER_CONFIG, DOCKER_HOST: process.env.DOCKER_HOST, DOCKER_CONTEXT: process.env.DOCKER_CONTEXT };
  process.env.DOCKER_CONFIG = docker;
  delete process.env.DOCKER_HOST;
  delete process.env.DOCKER_CONTEXT;
  try {
    for (const args of [['-c', 'near', 'pod', 'list'], ['pod', 'list', '--context', 'near'], ['--context=near', 'pod', 'list']]) {
      const before = fake.requests.length;
      const listed = await runMain(args);
      assert.is(listed.code, 0, `${args.join(' ')}: ${listed.stderr}`);
      assert.ok(fake.requests.length > before, `${args.join(' ')} reached the context's engine`);
    }
    const both = await runMain(['-H', `unix://${other.socketPath}`, '--context', 'near', 'pod', 'list']);
    assert.equal([both.code, both.stderr], [2, 'podling: conflicting options: cannot specify both --host and --context\n']);
    const unknown = await runMain(['--context', 'nope', 'pod', 'list']);
    assert.is(unknown.code, 1);
    assert.match(unknown.stderr, /^podling: context "nope" \(from the --context option\) not found: there is no .*meta\.json \(docker context ls lists the contexts\)\n$/);
    // After the command word, -c stays the command's own (the container flag of logs and exec).
    const late = await runMain(['-H', `unix://${fake.socketPath}`, 'pod', 'logs', 'no-such-pod', '-c', 'app']);
    assert.not.match(late.stderr, /conflicting|context/);
    assert.match(late.stderr, /no-such-pod/);
  } finally {
    for (const [key, value] of Object.entries(saved)) if (value === undefined) delete process.env[key]; else process.env[key] = value;
  }
});

contexts.run();
