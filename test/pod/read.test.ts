import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PodNotFoundError } from '../../src/pod/index.js';
import { ANNOTATION_POD_IP } from '../../src/pod/labels.js';
import { scenario } from '../support/scenario.js';
import { rejection, sleeper, testPods } from '../support/pods.js';

// Pods read back from the engine's labels alone: metadata exactly as given, selection by label,
// lookup by name or id (fixtures/pod/read/).
const read = suite('pod/read');

const LABELS = { app: 'x', tier: 'web', 'example.com/team': 'a-b.c_D9', empty: '' };
const ANNOTATIONS = {
  quoted: 'say "hi" and \'bye\'',
  multiline: 'first line\nsecond line\n\ttabbed\n',
  unicode: 'héllo wörld ✓ 日本語 🚀',
  json: '{"a":[1,2,{"b":null}],"c":"\\u0000"}',
  'example.com/backslashes': 'C:\\path\\to\\file',
  empty: '',
};

scenario(read, 'labels and annotations round-trip exactly through get and list, quotes, newlines and unicode included', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/read round trip');
  defer(() => pods.delete('pt-meta', { force: true }), 'pt-meta');
  const created = await pods.create({ metadata: { name: 'pt-meta', labels: LABELS, annotations: ANNOTATIONS }, spec: { containers: [sleeper('a')] } });
  const podIP = created.status.podIP!;
  assert.ok(podIP);
  assert.equal(created.metadata.labels, LABELS);
  assert.equal(created.metadata.annotations, { ...ANNOTATIONS, [ANNOTATION_POD_IP]: podIP });
  const got = await pods.get('pt-meta');
  assert.equal(got.metadata.labels, LABELS);
  assert.equal(got.metadata.annotations, { ...ANNOTATIONS, [ANNOTATION_POD_IP]: podIP });
  const listed = (await pods.list()).find((p) => p.metadata.name === 'pt-meta');
  assert.equal(listed?.metadata.labels, LABELS);
  assert.equal(listed?.metadata.annotations, { ...ANNOTATIONS, [ANNOTATION_POD_IP]: podIP });
});

scenario(read, 'a label selector picks exactly the pods whose labels match it', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/read selector');
  for (const name of ['pt-sel-web', 'pt-sel-db', 'pt-sel-other']) defer(() => pods.delete(name, { force: true }), name);
  await Promise.all([
    pods.create({ metadata: { name: 'pt-sel-web', labels: { suite: 'pt-sel', app: 'x', tier: 'web' } }, spec: { containers: [sleeper('a')] } }),
    pods.create({ metadata: { name: 'pt-sel-db', labels: { suite: 'pt-sel', app: 'x', tier: 'db', canary: 'true' } }, spec: { containers: [sleeper('a')] } }),
    pods.create({ metadata: { name: 'pt-sel-other', labels: { suite: 'pt-sel', app: 'y' } }, spec: { containers: [sleeper('a')] } }),
  ]);
  const names = async (selector: string) => (await pods.list({ selector: `suite=pt-sel,${selector}` })).map((p) => p.metadata.name);
  assert.equal(await names('app=x'), ['pt-sel-db', 'pt-sel-web']);
  assert.equal(await names('app==x'), ['pt-sel-db', 'pt-sel-web']);
  assert.equal(await names('app!=x'), ['pt-sel-other']);
  assert.equal(await names('tier'), ['pt-sel-db', 'pt-sel-web']);
  assert.equal(await names('!tier'), ['pt-sel-other']);
  assert.equal(await names('app=x,!canary'), ['pt-sel-web']);
  assert.equal(await names('app=z'), []);
  const all = await pods.list({ selector: 'suite=pt-sel' });
  assert.ok(all.every((p) => p.status.phase === 'Running'), all.map((p) => p.status.phase).join());
});

scenario(read, 'a pod is found by its name or by its id, and an unknown one is PodNotFoundError naming it', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/read by name or id');
  defer(() => pods.delete('pt-find', { force: true }), 'pt-find');
  const created = await pods.create({ metadata: { name: 'pt-find' }, spec: { containers: [sleeper('a'), sleeper('b')] } });
  const uid = created.metadata.uid;
  assert.match(uid, /^[0-9a-f]{10}$/);
  const byName = await pods.get('pt-find');
  const byId = await pods.get(uid);
  assert.is(byName.metadata.uid, uid);
  assert.is(byId.metadata.name, 'pt-find');
  assert.equal(byId.status.containerStatuses.map((c) => c.containerID), byName.status.containerStatuses.map((c) => c.containerID));
  assert.equal(byName.status.containerStatuses.map((c) => c.name), ['a', 'b'], 'containers in spec order');
  assert.ok(byName.status.containerStatuses.every((c) => c.ready && 'running' in c.state));
  assert.is(byName.status.phase, 'Running');
  assert.ok(byName.status.startTime, 'startTime from the infra container');
  assert.equal(byName.spec, created.spec);
  const missing = await rejection(pods.get('pt-no-such-pod'));
  assert.instance(missing, PodNotFoundError);
  assert.is((missing as Error).message, 'pod "pt-no-such-pod" not found');
});

read.run();
