import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Pods } from '../../src/pod/index.js';
import { scenario } from '../support/scenario.js';
import { sleeper, testPods } from '../support/pods.js';
import { sweepLeftovers } from '../support/sweep.js';

// The sweep a live tier starts with (support/tier.ts): it must take everything a killed run of the
// tests left, and nothing of anyone else's (fixtures/support/sweep/).
const sweep = suite('support/sweep');

scenario(sweep, 'what a killed test run left is removed: its pod, service, ConfigMap and test-named network; a pod of another creator stays', async ({ engine, name, track, defer }) => {
  const tests = testPods(engine, 'support/sweep');
  const users = new Pods(engine, { newId: () => 'bbbbbb0001', creator: 'someone-else:1' });
  defer(() => users.delete('sw-users', { force: true }), 'sw-users');
  // Registered in case the sweep fails; each is not-found (clean) once it worked.
  defer(() => tests.delete('sw-left', { force: true }), 'sw-left');
  defer(() => tests.deleteService('sw-left-svc'), 'sw-left-svc');
  defer(() => tests.deleteConfigMap('sw-left-cm'), 'sw-left-cm');
  await users.create({ metadata: { name: 'sw-users' }, spec: { containers: [sleeper('app')] } });
  await tests.create({ metadata: { name: 'sw-left' }, spec: { containers: [sleeper('app')] } });
  await tests.createService({ name: 'sw-left-svc', selector: { app: 'sw-left' }, port: 80 });
  await tests.createConfigMap({ metadata: { name: 'sw-left-cm' }, data: { key: 'value' } });
  const network = (await engine.networks.create({ Name: track.network(name('left')) })).Id;

  const { removed, left } = await sweepLeftovers(engine);
  // The tier's cluster network is test-named too, but the other creator's pod is on it: said, and left.
  const cluster = process.env.PODLING_CLUSTER_NETWORK ?? 'podling-cluster';
  assert.equal(left.map((what) => what.split(" (")[0]), [`network ${cluster}`], JSON.stringify({ left, removed }));
  for (const what of ['pod default/sw-left', 'container podling_service_sw-left-svc', 'container podling_configmap_sw-left-cm', `network ${name('left')}`]) {
    assert.ok(removed.includes(what), `${what} in ${JSON.stringify(removed)}`);
  }
  assert.not.ok(removed.some((what) => what.includes('sw-users')), JSON.stringify(removed));

  assert.equal((await tests.list()).map((p) => p.metadata.name).filter((n) => n.startsWith('sw-')), ['sw-users']);
  assert.equal((await tests.listServices()).filter((s) => s.metadata.name === 'sw-left-svc'), []);
  assert.equal((await tests.listConfigMaps()).filter((c) => c.metadata.name === 'sw-left-cm'), []);
  assert.not.ok((await engine.networks.list()).some((n) => n.Id === network), 'the test-named network is gone');
  assert.not.ok((await engine.volumes.list()).some((v) => v.Name.includes('sw-left-cm')), 'the ConfigMap\'s volume is gone');
});

sweep.run();
