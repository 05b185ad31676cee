import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ANNOTATION_NETWORK, PodFailedError, PodNotFoundError } from '../../src/pod/index.js';
import { engineUnderTest, scenario } from '../support/scenario.js';
import { sentDuring } from '../support/sent.js';
import { assertGone, IMAGE, labelled, poll, rejection, sleeper, testPods } from '../support/pods.js';

// A create that fails at any step takes back everything it made: zero objects, one PodFailedError
// with the kubelet's reason and the daemon's own message (fixtures/pod/rollback/).
const rollback = suite('pod/rollback');

const MISSING_IMAGE = '127.0.0.1:5000/podling-test/does-not-exist:latest';

/**
 * The create's failure, every request it sent (`METHOD path`) and the pod networks it made. Only
 * pod networks count: the first create of a tier also makes the tier's cluster network, and which
 * scenario that is depends on what else the tier runs.
 */
async function failedCreate(create: () => Promise<unknown>): Promise<{ err: PodFailedError; sent: string[]; podNetworks: string[] }> {
  let err: unknown;
  const requests = await sentDuring(async () => { err = await rejection(create()); });
  assert.instance(err, PodFailedError, String(err));
  const podNetworks = requests
    .filter((r) => r.method === 'POST' && /\/networks\/create$/.test(r.path))
    .map((r) => (JSON.parse(r.body) as { Name: string }).Name)
    .filter((name) => name.startsWith('pod-'));
  return { err: err as PodFailedError, sent: requests.map((r) => `${r.method} ${r.path}`), podNetworks };
}

const count = (sent: string[], pattern: RegExp) => sent.filter((line) => pattern.test(line)).length;

// The pods that check their own network's rollback ask for one (`own`): the default (`cluster`) makes none.
scenario(rollback, 'an image the registry does not have fails with ImagePullError and the daemon message, and the network made meanwhile is removed', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/rollback bad image');
  defer(() => pods.delete('pt-bad-image', { force: true }), 'pt-bad-image');
  const { err, sent, podNetworks } = await failedCreate(() => pods.create({
    metadata: { name: 'pt-bad-image', annotations: { [ANNOTATION_NETWORK]: 'own' } },
    spec: { containers: [sleeper('ok'), { name: 'broken', image: MISSING_IMAGE }] },
  }));
  assert.is(err.reason, 'ImagePullError');
  assert.is(err.phase, 'Failed');
  assert.is(err.pod, 'pt-bad-image');
  assert.match(err.detail, 'podling-test/does-not-exist');
  assert.match(err.detail, /manifest unknown|not found/);
  assert.match(err.message, /^pod pt-bad-image Failed: ImagePullError: /);
  assert.is(podNetworks.length, 1, 'the network was made while the image was pulled');
  assert.is(count(sent, /^DELETE \S*\/networks\/pod-/), 1, 'and removed by the rollback');
  assert.is(count(sent, /^POST \S*\/containers\/create/), 0, 'no container is made for a pod whose images are missing');
  await assertGone(engine, 'pt-bad-image');
  assert.instance(await rejection(pods.get('pt-bad-image')), PodNotFoundError);
});

scenario(rollback, 'imagePullPolicy Never with an image that is not present fails with ErrImageNeverPull and pulls nothing', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/rollback never pull');
  defer(() => pods.delete('pt-never-pull', { force: true }), 'pt-never-pull');
  const { err, sent } = await failedCreate(() => pods.create({
    metadata: { name: 'pt-never-pull' },
    spec: { containers: [{ name: 'app', image: MISSING_IMAGE, imagePullPolicy: 'Never' }] },
  }));
  assert.is(err.reason, 'ErrImageNeverPull');
  assert.match(err.detail, MISSING_IMAGE);
  assert.is(count(sent, /^POST \S*\/images\/create/), 0, 'nothing pulled');
  await assertGone(engine, 'pt-never-pull');
});

scenario(rollback, 'an app container the engine refuses at create, after the network and infra exist, fails with ContainerCreateError and every object is removed', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/rollback create refused');
  defer(() => pods.delete('pt-create-refused', { force: true }), 'pt-create-refused');
  const { err, sent, podNetworks } = await failedCreate(() => pods.create({
    metadata: { name: 'pt-create-refused', annotations: { [ANNOTATION_NETWORK]: 'own' } },
    // 4Mi passes the spec (a valid quantity) but is below the engine's 6MB minimum.
    spec: { containers: [sleeper('ok'), sleeper('tiny', { resources: { limits: { memory: '4Mi' } } })] },
  }));
  assert.is(err.reason, 'ContainerCreateError');
  assert.match(err.detail, /Minimum memory limit allowed is 6MB/);
  assert.is(podNetworks.length, 1);
  assert.is(count(sent, /^POST \S*\/containers\/create\?name=podling_pt-create-refused$/), 1, 'the infra was made');
  assert.is(count(sent, /^POST \S*\/containers\/create\?name=podling_pt-create-refused_ok$/), 1, 'the healthy app was made');
  assert.is(count(sent, /^DELETE \S*\/containers\//), 2, 'infra and healthy app removed');
  await assertGone(engine, 'pt-create-refused');
}, { unsupported: { podman: 'Podman has no 6 MB minimum memory limit, so nothing refuses this create (the rollback itself is the same code on every engine)' } });

scenario(rollback, 'an app container that fails at start fails with ContainerStartError and every object is removed', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/rollback start refused');
  defer(() => pods.delete('pt-start-refused', { force: true }), 'pt-start-refused');
  const { err, sent } = await failedCreate(() => pods.create({
    metadata: { name: 'pt-start-refused' },
    // The engine accepts this working directory at create; the runtime cannot enter it at start.
    spec: { containers: [sleeper('ok'), sleeper('nowhere', { workingDir: '/dev/null' })] },
  }));
  assert.is(err.reason, 'ContainerStartError');
  assert.match(err.detail, /\/dev\/null/);
  assert.is(count(sent, /^POST \S*\/containers\/[0-9a-f]{64}\/start/), 3, 'infra and both apps were started');
  await assertGone(engine, 'pt-start-refused');
});

scenario(rollback, 'a second pod with a taken name fails with AlreadyExists, removes its own network and leaves the first pod running', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/rollback taken name');
  defer(() => pods.delete('pt-taken', { force: true }), 'pt-taken');
  const own = { name: 'pt-taken', annotations: { [ANNOTATION_NETWORK]: 'own' } };
  const first = await pods.create({ metadata: own, spec: { containers: [sleeper('a')] } });
  const before = await labelled(engine, 'podling.io/pod-name=pt-taken');
  const { err } = await failedCreate(() => pods.create({ metadata: own, spec: { containers: [sleeper('b')] } }));
  assert.is(err.reason, 'AlreadyExists');
  assert.is(err.detail, 'a pod named "pt-taken" already exists');
  assert.equal(await labelled(engine, 'podling.io/pod-name=pt-taken'), before, 'exactly the first pod\'s objects remain');
  const again = await pods.get('pt-taken');
  assert.is(again.metadata.uid, first.metadata.uid);
  assert.is(again.status.phase, 'Running');
  assert.equal(again.status.containerStatuses.map((c) => c.name), ['a']);
  await pods.delete('pt-taken', { force: true });
  await assertGone(engine, 'pt-taken');
});

scenario(rollback, 'an app command that does not exist is no create failure: docker-init starts, the app terminates with exit code 127 and its logs say why', async ({ engine, mode, defer }) => {
  const pods = testPods(engine, 'pod/rollback missing executable');
  defer(() => pods.delete('pt-no-exec', { force: true }), 'pt-no-exec');
  // As PID 1, docker-init (HostConfig.Init) is what the runtime starts; it fails to exec the command only afterwards.
  const created = await pods.create({
    metadata: { name: 'pt-no-exec' },
    spec: { restartPolicy: 'Never', containers: [sleeper('ok'), { name: 'missing', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['/no/such/binary'] }] },
  });
  assert.is(created.metadata.name, 'pt-no-exec');
  const pod = await poll(mode, () => pods.get('pt-no-exec'), (p) => 'terminated' in (p.status.containerStatuses[1]?.state ?? {}), 50, 100);
  const state = pod.status.containerStatuses.find((c) => c.name === 'missing')?.state as { terminated?: { exitCode: number; reason: string } };
  // The init the engine puts in front (HostConfig.Init) decides the code and the words: dockerd's
  // docker-init (tini) exits 127, as a shell does; Podman's catatonit exits 1.
  const podman = engineUnderTest.flavour === 'podman';
  assert.equal([state.terminated?.exitCode, state.terminated?.reason], [podman ? 1 : 127, 'Error']);
  const lines: string[] = [];
  for await (const line of pods.logs('pt-no-exec', { container: 'missing' })) lines.push(line.text);
  assert.match(lines.join('\n'), podman ? 'failed to exec pid1: No such file or directory' : 'exec /no/such/binary failed: No such file or directory');
  await pods.delete('pt-no-exec', { force: true });
  await assertGone(engine, 'pt-no-exec');
});

rollback.run();
