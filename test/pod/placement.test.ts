import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { engineNode, placementProblem } from '../../src/pod/placement.js';
import { parsePod, PodFailedError } from '../../src/pod/index.js';
import { scenario } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';
import { assertRefusedWithoutSending } from '../support/refused.js';
import { containerId, rejection, sleeper, testPods } from '../support/pods.js';

// nodeName and nodeSelector on one engine: the pod fits the engine or is refused before anything
// is made (fixtures/pod/placement/).
const placement = suite('pod/placement');

const INFO = { Name: 'Builder-7', OSType: 'linux', Architecture: 'x86_64', Labels: ['disk=ssd', 'zone=a=b', 'bare'] };
const pod = (spec: Record<string, unknown>) => parsePod({ metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'i' }], ...spec } });

placement('the engine as a node: lower-cased name, the well-known labels, then the daemon\'s own (value after the first =)', () => {
  assert.equal(engineNode(INFO), {
    name: 'builder-7',
    labels: {
      'kubernetes.io/hostname': 'builder-7', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64', disk: 'ssd', zone: 'a=b', bare: '',
    },
  });
  assert.is(engineNode({ Architecture: 'aarch64' }).labels['kubernetes.io/arch'], 'arm64');
  assert.is(engineNode({ Architecture: 's390x' }).labels['kubernetes.io/arch'], 's390x', 'a name Go spells alike is kept');
  // An administrator's label wins over a well-known one.
  assert.is(engineNode({ ...INFO, Labels: ['kubernetes.io/arch=custom'] }).labels['kubernetes.io/arch'], 'custom');
});

const TABLE: [string, Record<string, unknown>, RegExp | undefined][] = [
  ['no nodeName and no selector', {}, undefined],
  ['an empty selector', { nodeSelector: {} }, undefined],
  ['the engine\'s name', { nodeName: 'builder-7' }, undefined],
  ['well-known and daemon labels together', { nodeSelector: { 'kubernetes.io/os': 'linux', disk: 'ssd', 'beta.kubernetes.io/arch': 'amd64' } }, undefined],
  ['a label with no value', { nodeSelector: { bare: '' } }, undefined],
  ['name and selector both fitting', { nodeName: 'builder-7', nodeSelector: { disk: 'ssd' } }, undefined],
  ['another node\'s name', { nodeName: 'builder-8' }, /^spec\.nodeName "builder-8" is not this engine, which is node "builder-7"$/],
  ['a label of another value', { nodeSelector: { disk: 'hdd' } }, /^spec\.nodeSelector disk=hdd does not match this engine \(node "builder-7", labels bare=, beta\.kubernetes\.io\/arch=amd64, .*disk=ssd.*zone=a=b\)$/],
  ['a label the engine has not, beside one it has', { nodeSelector: { disk: 'ssd', gpu: 'true' } }, /^spec\.nodeSelector gpu=true does not match/],
  ['another OS', { nodeSelector: { 'kubernetes.io/os': 'windows' } }, /kubernetes\.io\/os=windows does not match/],
  ['the right selector on the wrong name: the name is said', { nodeName: 'x', nodeSelector: { disk: 'ssd' } }, /^spec\.nodeName "x"/],
];

placement('whether a pod fits the engine: nodeName is its name, every selector label is one of its labels', () => {
  const node = engineNode(INFO);
  for (const [what, spec, problem] of TABLE) {
    const found = placementProblem(pod(spec), node);
    if (problem) assert.match(found ?? '', problem, what);
    else assert.is(found, undefined, what);
  }
});

const BAD: [string, Record<string, unknown>, RegExp][] = [
  ['an upper-case nodeName', { nodeName: 'Builder' }, /spec\.nodeName: must be a DNS subdomain/],
  ['a nodeName with a space', { nodeName: 'a b' }, /spec\.nodeName: must be a DNS subdomain/],
  ['a selector key that is no label key', { nodeSelector: { 'a b': 'x' } }, /spec\.nodeSelector\.a b: invalid label key/],
  ['a selector value that is no label value', { nodeSelector: { disk: 'not ok' } }, /spec\.nodeSelector\.disk: invalid label value/],
  ['a selector value that is no string', { nodeSelector: { disk: 1 } }, /spec\.nodeSelector\.disk/],
];

placement('a bad nodeName or nodeSelector is one PodSpecError naming it, and nothing is sent', () => assertRefusedWithoutSending(
  BAD.map(([what, spec, message]) => [what, { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'i' }], ...spec } }, message]),
));

scenario(placement, 'a pod naming another node or a label the engine has not is refused after one read of /info, before anything is made', async ({ engine }) => {
  const pods = testPods(engine, 'pod/placement refused');
  let byName: unknown;
  let bySelector: unknown;
  const sent = await requestsDuring(async () => {
    byName = await rejection(pods.create({ metadata: { name: 'pk-place-name' }, spec: { nodeName: 'no-such-node-pk', containers: [sleeper('app')] } }));
    bySelector = await rejection(pods.create({ metadata: { name: 'pk-place-sel' }, spec: { nodeSelector: { 'podling.io/test-disk': 'ssd' }, containers: [sleeper('app')] } }));
  });
  assert.instance(byName, PodFailedError);
  assert.is((byName as PodFailedError).reason, 'NodeAffinity');
  assert.match(String(byName), /spec\.nodeName "no-such-node-pk" is not this engine, which is node "[^"]+"/);
  assert.instance(bySelector, PodFailedError);
  assert.match(String(bySelector), /spec\.nodeSelector podling\.io\/test-disk=ssd does not match this engine \(node "[^"]+", labels .*kubernetes\.io\/os=linux/);
  // The engine's info is read once for both pods (cached by the runtime), and nothing else is sent.
  assert.equal(sent.filter((r) => !r.endsWith('/_ping')).map((r) => r.replace(/\/v1\.\d+/, '')), ['GET /info']);
});

scenario(placement, 'a pod naming this engine and selecting its labels runs; spec.nodeName is what the downward API reads', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/placement accepted');
  const name = (await engine.system.info()).Name!.toLowerCase();
  defer(() => pods.delete('pk-place-ok', { force: true }), 'pk-place-ok');
  const pod = await pods.create({
    metadata: { name: 'pk-place-ok' },
    spec: {
      nodeName: name,
      nodeSelector: { 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': name },
      containers: [sleeper('app', { env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] })],
    },
  });
  assert.is((await engine.exec.run(containerId(pod, 'app'), ['sh', '-c', 'echo $NODE'])).stdout.trim(), name);
  assert.is(((await pods.get('pk-place-ok')).spec as { nodeName?: string }).nodeName, name, 'kept, so the manifest round-trips');
});

placement.run();
