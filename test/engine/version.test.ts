import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { isEngineError } from '../../src/engine/errors.js';
import { MAX_API_VERSION, compareVersions } from '../../src/engine/transport.js';
import { engineSpeaking, fakeEngine, paths, type Answer, type FakeEngine } from '../support/fake-engine.js';
import { fixturePath, scenario, unit } from '../support/scenario.js';
import { rejection } from '../support/assertions.js';

// Version negotiation is the client's own logic: a tiny fake engine (a Unix socket served by
// node:http) says which version it speaks and counts what reaches it. The real engine's answer is
// the last scenario, recorded like every other.
const version = suite('engine/version');

async function withFake(answer: Answer, fn: (fake: FakeEngine, engine: (env?: NodeJS.ProcessEnv) => Engine) => Promise<void>): Promise<void> {
  const fake = await fakeEngine(answer);
  const engines: Engine[] = [];
  try {
    await fn(fake, (env = {}) => {
      const engine = new Engine({ socketPath: fake.socketPath }, env);
      engines.push(engine);
      return engine;
    });
  } finally {
    await Promise.all(engines.map((engine) => engine.transport.client.destroy()));
    await fake.close();
  }
}

const pings = (fake: FakeEngine) => paths(fake).filter((path) => path === '/_ping').length;

for (const [server, expected] of [['1.55', '1.55'], ['1.99', '1.55'], ['1.41', '1.41'], ['1.44', '1.44']] as const) {
  unit(version, `a server speaking ${server} is spoken to in ${expected}`, () => withFake(engineSpeaking(server), async (fake, engine) => {
    const e = engine();
    await e.system.version();
    assert.is(await e.apiVersion(), expected);
    assert.equal(paths(fake), ['/_ping', `/v${expected}/version`]);
  }));
}

unit(version, 'a server below 1.41 is refused with an error naming both versions, and nothing versioned is sent', () => withFake(engineSpeaking('1.40'), async (fake, engine) => {
  const err = await rejection(engine().system.version());
  assert.ok(isEngineError(err, 'server'), String(err));
  assert.match(err.message, 'speaks API 1.40');
  assert.match(err.message, 'needs 1.41 or newer');
  assert.equal(paths(fake), ['/_ping']);
}));

unit(version, 'a ping without an Api-Version header falls back to 1.41', () => withFake(engineSpeaking(undefined), async (fake, engine) => {
  await engine().system.version();
  assert.equal(paths(fake), ['/_ping', '/v1.41/version']);
}));

unit(version, 'an Api-Version header that is not MAJOR.MINOR falls back to 1.41 instead of the maximum', () => withFake(engineSpeaking('banana'), async (fake, engine) => {
  await engine().system.version();
  assert.equal(paths(fake), ['/_ping', '/v1.41/version']);
}));

unit(version, 'DOCKER_API_VERSION pins the version and no ping is made', () => withFake(engineSpeaking('1.41'), async (fake, engine) => {
  const e = engine({ DOCKER_API_VERSION: '1.43' });
  await e.system.version();
  await e.networks.list();
  assert.is(await e.apiVersion(), '1.43');
  assert.equal(paths(fake), ['/v1.43/version', '/v1.43/networks']);
}));

unit(version, 'the apiVersion option pins the version and beats DOCKER_API_VERSION', () => withFake(engineSpeaking('1.41'), async (fake) => {
  const e = new Engine({ socketPath: fake.socketPath, apiVersion: '1.42' }, { DOCKER_API_VERSION: '1.43' });
  try {
    await e.system.version();
    assert.equal(paths(fake), ['/v1.42/version']);
  } finally {
    await e.transport.client.destroy();
  }
}));

unit(version, 'a malformed pinned version is an invalid-argument naming it, and nothing is sent', () => withFake(engineSpeaking('1.41'), async (fake, engine) => {
  for (const pinned of ['v1.41', '1.41 ', '1']) {
    const err = await rejection(engine({ DOCKER_API_VERSION: pinned }).system.version());
    assert.ok(isEngineError(err, 'invalid-argument'), String(err));
    assert.match(err.message, JSON.stringify(pinned));
  }
  assert.is(fake.connections(), 0);
}));

unit(version, 'ten concurrent first calls share exactly one ping', () => withFake(engineSpeaking('1.44', 30), async (fake, engine) => {
  const e = engine();
  await Promise.all(Array.from({ length: 10 }, () => e.system.version()));
  assert.is(pings(fake), 1);
  assert.equal(paths(fake).filter((path) => path === '/v1.44/version').length, 10);
}));

unit(version, 'a failed ping is not cached: the next call pings again', async () => {
  let calls = 0;
  const healthy = engineSpeaking('1.44');
  await withFake((req, res, body) => {
    if (req.url === '/_ping' && calls++ === 0) {
      res.statusCode = 500;
      res.setHeader('Content-Type', 'application/json');
      res.end('{"message":"starting up"}');
      return;
    }
    return healthy(req, res, body);
  }, async (fake, engine) => {
    const e = engine();
    const err = await rejection(e.system.version());
    assert.ok(isEngineError(err, 'server'), String(err));
    assert.match(err.message, 'starting up');
    await e.system.version();
    assert.equal(paths(fake), ['/_ping', '/_ping', '/v1.44/version']);
  });
});

unit(version, 'the caller whose signal ran the shared ping aborting it does not fail the others', () => withFake(engineSpeaking('1.44', 100), async (fake, engine) => {
  const e = engine();
  const first = new AbortController();
  const aborted = e.system.version({ signal: first.signal });
  const patient = e.system.version();
  setTimeout(() => first.abort(), 20);
  const err = await rejection(aborted);
  assert.ok(isEngineError(err, 'aborted'), String(err));
  assert.is((await patient).ApiVersion, '1.44');
  assert.equal(paths(fake).filter((path) => path === '/v1.44/version').length, 1, 'only the patient call went on');
}));

unit(version, 'a caller waiting on the shared ping stops waiting when its own signal aborts', () => withFake(engineSpeaking('1.44', 400), async (_fake, engine) => {
  const e = engine();
  const owner = e.system.version();
  const waiter = new AbortController();
  const started = Date.now();
  const waiting = e.system.version({ signal: waiter.signal });
  setTimeout(() => waiter.abort(), 20);
  const err = await rejection(waiting);
  assert.ok(isEngineError(err, 'aborted'), String(err));
  assert.ok(Date.now() - started < 300, `gave up after ${Date.now() - started} ms, not when aborted`);
  await owner;
}));

unit(version, 'every call after negotiation carries the /vX.Y prefix; _ping never does', () => withFake(engineSpeaking('1.44'), async (fake, engine) => {
  const e = engine();
  await e.system.version();
  await e.system.info();
  await e.containers.list({ all: true });
  await e.networks.list();
  await e.volumes.list();
  await e.system.ping();
  assert.equal(paths(fake), ['/_ping', '/v1.44/version', '/v1.44/info', '/v1.44/containers/json', '/v1.44/networks', '/v1.44/volumes', '/_ping']);
}));

const REAL = 'the real engine negotiates its own API version (the client\'s maximum when the engine\'s is higher) and /version agrees';
scenario(version, REAL, async ({ engine, mode }) => {
  const negotiated = await engine.apiVersion();
  const info = await engine.system.version();
  const expected = compareVersions(info.ApiVersion, MAX_API_VERSION) < 0 ? info.ApiVersion : MAX_API_VERSION;
  assert.is(negotiated, expected, `the engine speaks ${info.ApiVersion}, the client at most ${MAX_API_VERSION}`);
  if (mode === 'replay') {
    // Recorded on the main engine, dockerd 20.10: below the client's maximum, so its own 1.41.
    assert.is(negotiated, '1.41');
    const recorded = JSON.parse(readFileSync(fixturePath('engine/version', REAL), 'utf8'));
    assert.equal(recorded.exchanges.map((x: { request: { path: string } }) => x.request.path), ['/_ping', '/v1.41/version']);
  }
});

version.run();
