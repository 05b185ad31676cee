import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isEngineError } from '../../src/engine/errors.js';
import { isPodlingError } from '../../src/errors.js';
import { ENGINE_LABEL } from '../../src/nodes/node.js';
import { readRecords, removeRecord, writeRecord } from '../../src/nodes/records.js';
import { findNode, listNodes, setNodeLabel } from '../../src/nodes/registry.js';
import { parsePod } from '../../src/pod/spec.js';
import { managerScenario } from '../support/nodes.js';
import { IMAGE } from '../support/pods.js';

// The swarm's own API as Podling uses it, on the bed's manager (node1) alone: recorded there
// (fixtures/nodes/swarm-api/), so the replay tier covers the node registry and the pod records
// with no swarm on the machine. Traffic between nodes is the bed scenarios' (cluster.test.ts).
const api = suite('nodes/swarm-api');

const ZONE = 'podling-test/zone';
const RACK = 'podling-test/rack';

managerScenario(api, 'through the manager: the swarm, its three nodes Ready, a label set and cleared at the node\'s version, a stale version refused, other labels kept', async ({ engine, defer }) => {
  const swarm = await engine.swarm.inspect();
  assert.ok(swarm.ID, 'the manager is in a swarm');
  const nodes = await listNodes(engine);
  assert.equal(nodes.map((n) => [n.name, n.role, n.state]), [['node1', 'manager', 'ready'], ['node2', 'worker', 'ready'], ['node3', 'worker', 'ready']]);
  assert.ok(nodes.every((n) => n.cpus > 0 && n.memory > 0 && n.maxPods === 110), JSON.stringify(nodes));

  defer(() => setNodeLabel(engine, 'node2', RACK, undefined), `label ${RACK}`);
  defer(() => setNodeLabel(engine, 'node2', ZONE, undefined), `label ${ZONE}`);
  const before = await findNode(engine, 'node2');
  await setNodeLabel(engine, 'node2', RACK, 'r1');
  const zoned = await setNodeLabel(engine, 'node2', ZONE, 'a');
  assert.is(zoned.labels[ZONE], 'a');
  assert.is(zoned.labels[RACK], 'r1', 'the label set before is kept');
  assert.is(zoned.labels['kubernetes.io/hostname'], 'node2');
  assert.ok(zoned.version > before.version, `the swarm's version moved on: ${before.version} → ${zoned.version}`);
  assert.is(zoned.engine, before.engine, `${ENGINE_LABEL} untouched`);

  // A write at the version read before the two above: the swarm refuses it, and nothing changes.
  const stale = await engine.nodes.update(before.id, before.version, { Role: 'worker', Availability: 'active', Labels: {} }).then(() => undefined, (err: unknown) => err);
  assert.ok(isEngineError(stale) && /out of sequence/i.test(stale.message), String(stale));
  assert.is((await findNode(engine, 'node2')).labels[ZONE], 'a');

  const cleared = await setNodeLabel(engine, 'node2', ZONE, undefined);
  assert.is(cleared.labels[ZONE], undefined);
  assert.is(cleared.labels[RACK], 'r1');
});

managerScenario(api, 'pod records: written with the node and the spec, read back by node and by name, a second pod of the name refused naming its node, removed', async ({ engine, defer }) => {
  const pod = parsePod({ metadata: { name: 'swapi-web', namespace: 'swapi' }, spec: { containers: [{ name: 'web', image: IMAGE }] } });
  const id = await writeRecord(engine, pod, 'node2');
  defer(() => removeRecord(engine, { id }), 'record swapi-web');

  const [byNode] = await readRecords(engine, { node: 'node2', namespace: 'swapi' });
  assert.equal(byNode && { id: byNode.id, name: byNode.name, namespace: byNode.namespace, node: byNode.node, pod: byNode.pod }, { id, name: 'swapi-web', namespace: 'swapi', node: 'node2', pod });
  assert.equal((await readRecords(engine, { name: 'swapi-web', namespace: 'swapi' })).map((r) => r.id), [id]);
  assert.equal(await readRecords(engine, { node: 'node3', namespace: 'swapi' }), []);

  const twin = await writeRecord(engine, pod, 'node3').then(() => undefined, (err: unknown) => err);
  assert.ok(isPodlingError(twin, 'already-exists'), String(twin));
  assert.match((twin as Error).message, 'pod "swapi-web" already exists on node node2');
  assert.equal((await readRecords(engine, { name: 'swapi-web', namespace: 'swapi' })).map((r) => r.node), ['node2'], 'the first record stands');

  await removeRecord(engine, { id });
  assert.equal(await readRecords(engine, { namespace: 'swapi' }), []);
  await removeRecord(engine, { id }); // gone already: no error
});

api.run();
