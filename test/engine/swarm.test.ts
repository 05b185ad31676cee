import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { EngineError } from '../../src/engine/errors.js';
import { isNotSwarmManager } from '../../src/engine/swarm.js';
import { engineSpeaking, fakeEngine } from '../support/fake-engine.js';
import { scenario, unit } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';

// The swarm and node operations. On an engine in no swarm (the main engine): each answers 503,
// which Podling reads as "this engine cannot say", not as a failure of the engine. What a swarm
// answers is checked on the multi-node test bed (test/nodes/).
const swarm = suite('engine/swarm');

scenario(swarm, 'an engine in no swarm: GET /swarm, GET /nodes and GET /configs answer 503 with the daemon\'s words', async ({ engine }) => {
  for (const call of [() => engine.swarm.inspect(), () => engine.nodes.list(), () => engine.configs.list()]) {
    const err = await call().catch((e: unknown) => e);
    assert.instance(err, EngineError);
    assert.is((err as EngineError).status, 503);
    assert.ok(isNotSwarmManager(err));
    assert.match((err as EngineError).message, /swarm/i, 'the daemon says why');
  }
  assert.not.ok(isNotSwarmManager(new EngineError('x', { kind: 'not-found', status: 404 })));
}, { unsupported: { podman: 'Podman has no Swarm: GET /swarm and /nodes are not routes of its compatible API (404), where dockerd in no swarm answers 503' } });

unit(swarm, 'bad node ids, versions and specs are refused before anything is sent', async () => {
  const fake = await fakeEngine(engineSpeaking('1.41'));
  const engine = new Engine({ socketPath: fake.socketPath });
  try {
    const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
      ['a node id with a slash', () => engine.nodes.inspect('../swarm'), /invalid node name or id/],
      ['an empty node id', () => engine.nodes.remove(''), /invalid node name or id/],
      ['a negative version', () => engine.nodes.update('node1', -1, { Role: 'worker', Availability: 'active' }), /node version/],
      ['an unknown availability', () => engine.nodes.update('node1', 3, { Role: 'worker', Availability: 'gone' as 'drain' }), /Availability/],
      ['labels that are not strings', () => engine.nodes.update('node1', 3, { Role: 'worker', Availability: 'active', Labels: { a: 1 as unknown as string } }), /Labels/],
      ['a config name with a slash', () => engine.configs.remove('a/b'), /invalid config name or id/],
      ['a config name over 64 characters', () => engine.configs.create({ Name: 'x'.repeat(65), Data: '' }), /config spec/],
      ['a join with no manager', () => engine.swarm.join({ ListenAddr: '0.0.0.0:2377', RemoteAddrs: [], JoinToken: 't' }), /at least one manager/],
    ];
    for (const [what, call, message] of cases) {
      let err: unknown;
      const sent = await requestsDuring(async () => { err = await call().catch((e: unknown) => e); });
      assert.instance(err, EngineError, what);
      assert.is((err as EngineError).kind, 'invalid-argument', what);
      assert.match((err as Error).message, message, what);
      assert.equal(sent, [], `${what}: requests sent`);
    }
    assert.is(fake.connections(), 0);
  } finally {
    await engine.close();
    await fake.close();
  }
});

swarm.run();
