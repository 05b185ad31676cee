import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterPods } from '../../src/nodes/cluster-pods.js';
import { scenario } from '../support/scenario.js';
import { sleeper, TEST_CREATOR } from '../support/pods.js';

// What `podling pod …` uses (ClusterPods) on an engine in no swarm: one GET /swarm (503 from
// dockerd, 404 from Podman) decides, once, and every call after it is the engine's own, as Pods
// answers it (fixtures/nodes/cluster-pods/). Not GET /info, which costs far more on Podman.
const clusterPods = suite('nodes/cluster-pods');

scenario(clusterPods, 'on an engine in no swarm one GET /swarm decides, once, and create, get, list and delete are the engine\'s own; no GET /info', async ({ engine, defer }) => {
  let infos = 0;
  const info = engine.system.info.bind(engine.system);
  engine.system.info = (options) => { infos++; return info(options); };
  const swarms: number[] = [];
  const inspect = engine.swarm.inspect.bind(engine.swarm);
  engine.swarm.inspect = (options) => { swarms.push(1); return inspect(options); };
  let counter = 0;
  // The tests' deterministic ids and creator: fixtures must not vary.
  const pods = new ClusterPods(engine, undefined, undefined, { newId: () => `c1a5e7${(++counter).toString(16).padStart(4, '0')}`, creator: TEST_CREATOR });
  defer(() => pods.delete('cp-solo', { force: true }).catch(() => {}), 'cp-solo');

  assert.is(await pods.swarm(), undefined, 'no swarm: the engine\'s own pods');
  const made = await pods.create({ metadata: { name: 'cp-solo' }, spec: { containers: [sleeper('app')] } });
  assert.is(made.status.phase, 'Running');
  assert.is((made.spec as { nodeName?: string }).nodeName, undefined, 'no node: this is one engine');
  assert.is((await pods.get('cp-solo')).metadata.uid, made.metadata.uid);
  assert.ok((await pods.list()).some((p) => p.metadata.name === 'cp-solo'));
  await pods.delete('cp-solo');
  assert.equal(swarms, [1], 'asked once');
  assert.is(infos, 0);
});

clusterPods.run();
