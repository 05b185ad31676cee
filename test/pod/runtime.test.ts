import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import type { EngineEvent } from '../../src/engine/system.js';
import { PodRuntime } from '../../src/pod/runtime.js';
import { engineSpeaking, fakeEngine } from '../support/fake-engine.js';

// What pod operations on one engine share: the infra image and cluster network found once and
// forgotten when the engine says they went; one queue per pod under a global cap.
const runtime = suite('pod/runtime');

const event = (Type: string, Action: string, name: string): EngineEvent => ({ Type, Action, Actor: { ID: 'x', Attributes: { name } }, time: 0, timeNano: 0 }) as EngineEvent;

runtime('the infra image and the cluster network are looked up once, and again only after the engine says they went', async () => {
  // The image and the network are there: an inspect of each answers as the engine would, in short.
  const speaking = engineSpeaking('1.41');
  const fake = await fakeEngine((req, res, body) => {
    if (req.url?.includes('/images/podling')) return void res.end(JSON.stringify({ Id: `sha256:${'a'.repeat(64)}` }));
    if (req.url?.includes('/networks/podling-cluster')) return void res.end(JSON.stringify({ Id: 'b'.repeat(64), Name: 'podling-cluster', Driver: 'bridge' }));
    return speaking(req, res, body);
  });
  const engine = new Engine({ host: `unix://${fake.socketPath}` });
  try {
    const rt = new PodRuntime(engine, { name: 'podling-cluster', subnet: '10.211.0.0/16' });
    const looked = () => fake.requests.filter((r) => r.url.includes('/images/podling') || r.url.includes('/networks/podling-cluster')).length;
    await Promise.all([rt.ensureInfraImage(), rt.ensureInfraImage(), rt.ensureClusterNetwork(), rt.ensureClusterNetwork()]);
    assert.is(looked(), 2, 'one look each, however many ask at once');
    await rt.ensureInfraImage();
    await rt.ensureClusterNetwork();
    assert.is(looked(), 2, 'found once: not asked again');
    rt.observe(event('network', 'destroy', 'some-other-network'));
    rt.observe(event('container', 'destroy', 'podling-cluster'));
    await rt.ensureClusterNetwork();
    assert.is(looked(), 2, 'events about other objects change nothing');
    rt.observe(event('network', 'destroy', 'podling-cluster'));
    await rt.ensureClusterNetwork();
    assert.is(looked(), 3, 'the cluster network removed: looked up again');
    rt.observe(event('image', 'delete', 'podling/infra:1'));
    await rt.ensureInfraImage();
    assert.is(looked(), 4, 'an image deleted: the infra image looked up again');
  } finally {
    await engine.close();
    await fake.close();
  }
});

runtime('work on one pod runs one at a time, in order; different pods run side by side up to the cap', async () => {
  const rt = new PodRuntime({} as Engine, { name: 'c', subnet: '10.0.0.0/16' }, { limit: 2 });
  const log: string[] = [];
  let running = 0;
  let most = 0;
  const job = (pod: string, n: number, ms: number) => rt.serial(pod, async () => {
    running++;
    most = Math.max(most, running);
    log.push(`${pod}${n} start`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    log.push(`${pod}${n} end`);
    running--;
  });
  await Promise.all([job('a', 1, 30), job('a', 2, 5), job('b', 1, 10), job('c', 1, 10), job('d', 1, 10)]);
  const order = (pod: string) => log.filter((l) => l.startsWith(pod));
  assert.equal(order('a'), ['a1 start', 'a1 end', 'a2 start', 'a2 end'], 'one pod: in order, never overlapping');
  assert.is(most, 2, 'at most the cap at once');
  assert.ok(log.indexOf('b1 start') < log.indexOf('a1 end'), 'another pod does not wait for this one');
  const failed = await rt.serial('a', async () => { throw new Error('boom'); }).then(() => 'resolved', (err: Error) => err.message);
  assert.is(failed, 'boom', 'the caller hears the failure');
  await rt.serial('a', async () => { log.push('after a failure'); });
  assert.is(log.at(-1), 'after a failure', 'a failure does not stop the pod\'s queue');
});

runtime.run();
