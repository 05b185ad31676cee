import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { deletePod } from '../../src/pod/delete.js';
import { readPods } from '../../src/pod/read.js';
import { scenario } from '../support/scenario.js';
import { sleeper, testPods } from '../support/pods.js';

// Many pods at once: creates that overlap do not step on each other (fixtures/pod/concurrency/).
const concurrency = suite('pod/concurrency');

const COUNT = 20;
const names = Array.from({ length: COUNT }, (_, i) => `pt-many-${String(i + 1).padStart(2, '0')}`);

scenario(concurrency, 'twenty pods created concurrently are all Running with distinct IPs, and deleting them concurrently leaves nothing', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/concurrency twenty');
  for (const name of names) defer(() => pods.delete(name, { force: true }), name);
  const created = await Promise.all(names.map((name) => pods.create({
    metadata: { name, labels: { suite: 'pt-many' } },
    spec: { containers: [sleeper('app')] },
  })));
  assert.equal(created.map((p) => p.metadata.name), names);
  assert.equal(created.map((p) => p.status.phase), names.map(() => 'Running'));
  const ips = created.map((p) => p.status.podIP);
  assert.ok(ips.every((ip) => ip && /^\d+\.\d+\.\d+\.\d+$/.test(ip)), ips.join());
  assert.is(new Set(ips).size, COUNT, `distinct IPs: ${ips.join(', ')}`);
  assert.is(new Set(created.map((p) => p.metadata.uid)).size, COUNT);

  // One list, read once, agrees with what each create returned.
  const listed = await pods.list({ selector: 'suite=pt-many' });
  assert.equal(listed.map((p) => p.metadata.name), names);
  assert.equal(listed.map((p) => p.status.podIP), ips);
  assert.ok(listed.every((p) => p.status.phase === 'Running'));

  // Each delete works from the same reading of the engine: concurrent `pods.delete` calls would
  // each list the engine at a different moment, which a replay cannot reproduce.
  const records = (await readPods(engine)).filter((r) => names.includes(r.name));
  assert.is(records.length, COUNT);
  await Promise.all(records.map((record) => deletePod(engine, record)));
  const [containers, networks] = await Promise.all([
    engine.containers.list({ all: true, filters: { label: ['podling.io/managed=true'] } }),
    engine.networks.list({ filters: { label: ['podling.io/managed=true'] } }),
  ]);
  const ids = new Set(created.map((p) => p.metadata.uid));
  assert.equal(containers.filter((c) => ids.has(c.Labels?.['podling.io/pod-id'] ?? '')).map((c) => c.Names[0]), []);
  assert.equal(networks.filter((n) => ids.has(n.Labels?.['podling.io/pod-id'] ?? '')).map((n) => n.Name), []);
  assert.equal(await pods.list({ selector: 'suite=pt-many' }), []);
});

concurrency.run();
