import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { errorFromResponse } from '../../src/engine/errors.js';
import { createNetwork, isInterfaceRace, NETWORK_CREATE_TRIES } from '../../src/pod/network-create.js';
import { fakeEngine, type Answer } from '../support/fake-engine.js';
import { unit } from '../support/scenario.js';
import { rejection } from '../support/assertions.js';

// The bounded retry of a network create where Podman races with an interface going away
// (src/pod/network-create.ts): which errors are that race, and how many tries each gets.
const networkCreate = suite('pod/network-create');

const RACE = '{"cause":"route ip+net: no such network interface","message":"route ip+net: no such network interface","response":500}';

networkCreate('only the interface race is retried: not another server error, not a conflict', () => {
  assert.ok(isInterfaceRace(errorFromResponse('POST', '/networks/create', 500, RACE)));
  assert.not.ok(isInterfaceRace(errorFromResponse('POST', '/networks/create', 500, '{"message":"plugin not found"}')));
  assert.not.ok(isInterfaceRace(errorFromResponse('POST', '/networks/create', 409, '{"message":"network with name x already exists"}')));
  assert.not.ok(isInterfaceRace(new Error('no such network interface')));
});

/** An engine whose network creates answer from `answers` in turn (the last one repeated). */
function creates(answers: Array<[number, string]>): Answer {
  let n = 0;
  return (req, res) => {
    res.setHeader('Api-Version', '1.41');
    if (req.url === '/_ping') { res.end('OK'); return; }
    const [status, body] = answers[Math.min(n++, answers.length - 1)]!;
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json');
    res.end(body);
  };
}

async function withFake<T>(answers: Array<[number, string]>, fn: (engine: Engine) => Promise<T>): Promise<[T, number]> {
  const fake = await fakeEngine(creates(answers));
  const engine = new Engine({ socketPath: fake.socketPath }, {});
  try {
    const result = await fn(engine);
    return [result, fake.requests.filter((r) => r.url.endsWith('/networks/create')).length];
  } finally {
    await engine.close();
    await fake.close();
  }
}

unit(networkCreate, 'a create that lost the race is tried again and succeeds; one that keeps losing fails after the bounded tries', async () => {
  const [made, tries] = await withFake([[500, RACE], [201, '{"Id":"n1"}']], (engine) => createNetwork(engine, { Name: 'n' }));
  assert.is(made.Id, 'n1');
  assert.is(tries, 2);
  const [err, all] = await withFake([[500, RACE]], (engine) => rejection(createNetwork(engine, { Name: 'n' })));
  assert.match(String(err), 'no such network interface');
  assert.is(all, NETWORK_CREATE_TRIES);
  const [other, once] = await withFake([[500, '{"message":"plugin not found"}']], (engine) => rejection(createNetwork(engine, { Name: 'n' })));
  assert.match(String(other), 'plugin not found');
  assert.is(once, 1, 'any other error is not retried');
});

networkCreate.run();
