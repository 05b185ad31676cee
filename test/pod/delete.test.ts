import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ANNOTATION_NETWORK, PodNotFoundError } from '../../src/pod/index.js';
import { scenario } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';
import { assertGone, containerId, IMAGE, rejection, sleeper, testPods } from '../support/pods.js';

// Delete stops the whole pod at once, removes apps before the infra (Podman insists) and the pod
// network, and finishes whatever an earlier delete or a crash left (fixtures/pod/delete/).
const deletion = suite('pod/delete');

/** A process that ignores SIGTERM: only SIGKILL ends it. */
const stubborn = (name: string) => ({
  name, image: IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sh', '-c', 'trap "" TERM; while true; do sleep 1; done'],
});

const index = (sent: string[], pattern: RegExp) => sent.findIndex((line) => pattern.test(line));

scenario(deletion, 'delete stops every container, removes the apps before the infra and removes the network; a second delete is PodNotFoundError and nothing is left', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/delete twice');
  defer(() => pods.delete('pt-delete', { force: true }), 'pt-delete');
  // A pod with a network of its own (`own`), so its removal's place in the order is checked too.
  const pod = await pods.create({ metadata: { name: 'pt-delete', annotations: { [ANNOTATION_NETWORK]: 'own' } }, spec: { containers: [sleeper('a'), sleeper('b')] } });
  const [infra] = (await engine.containers.list({ all: true, filters: { label: ['podling.io/pod-name=pt-delete', 'podling.io/role=infra'] } })).map((c) => c.Id);
  const sent = await requestsDuring(() => pods.delete('pt-delete'));
  const removeA = index(sent, new RegExp(`^DELETE \\S*/containers/${containerId(pod, 'a')}\\?`));
  const removeB = index(sent, new RegExp(`^DELETE \\S*/containers/${containerId(pod, 'b')}\\?`));
  const removeInfra = index(sent, new RegExp(`^DELETE \\S*/containers/${infra}\\?`));
  const removeNetwork = index(sent, new RegExp(`^DELETE \\S*/networks/pod-${pod.metadata.uid}$`));
  assert.ok(removeA >= 0 && removeB >= 0 && removeInfra >= 0 && removeNetwork >= 0, sent.join('\n'));
  assert.ok(Math.max(removeA, removeB) < removeInfra, `apps before the infra: ${sent.join(', ')}`);
  assert.is(sent.filter((line) => /\/stop\?t=30$/.test(line)).length, 3, 'every running container stopped with the default grace');
  await assertGone(engine, 'pt-delete');
  const second = await rejection(pods.delete('pt-delete'));
  assert.instance(second, PodNotFoundError);
  assert.is((second as Error).message, 'pod "pt-delete" not found');
  await assertGone(engine, 'pt-delete');
});

scenario(deletion, 'a forced delete sends no stop and removes a pod whose process ignores SIGTERM', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/delete force');
  defer(() => pods.delete('pt-force', { force: true }), 'pt-force');
  await pods.create({ metadata: { name: 'pt-force' }, spec: { containers: [stubborn('stubborn'), sleeper('b')] } });
  const started = Date.now();
  const sent = await requestsDuring(() => pods.delete('pt-force', { force: true }));
  assert.ok(Date.now() - started < 10_000, 'no grace period waited out');
  assert.equal(sent.filter((line) => line.includes('/stop')), []);
  const removes = sent.filter((line) => /^DELETE \S*\/containers\//.test(line));
  assert.is(removes.length, 3);
  assert.ok(removes.every((line) => line.includes('force=true')), removes.join('\n'));
  await assertGone(engine, 'pt-force');
});

scenario(deletion, 'a grace period of one second stops a process that ignores SIGTERM with SIGKILL after it', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/delete grace');
  defer(() => pods.delete('pt-grace', { force: true }), 'pt-grace');
  const pod = await pods.create({ metadata: { name: 'pt-grace' }, spec: { restartPolicy: 'Never', containers: [stubborn('stubborn')] } });
  const id = containerId(pod, 'stubborn');
  const sent = await requestsDuring(() => pods.delete('pt-grace', { gracePeriod: 1 }));
  assert.ok(sent.some((line) => line.includes(`/containers/${id}/stop?t=1`)), sent.join('\n'));
  await assertGone(engine, 'pt-grace');
});

scenario(deletion, 'a pod whose infra container was removed by hand reads as Unknown and delete still removes the rest', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/delete half gone');
  defer(() => pods.delete('pt-half', { force: true }), 'pt-half');
  await pods.create({ metadata: { name: 'pt-half' }, spec: { containers: [sleeper('a')] } });
  const [infra] = await engine.containers.list({ all: true, filters: { label: ['podling.io/pod-name=pt-half', 'podling.io/role=infra'] } });
  await engine.containers.remove(infra!.Id, { force: true });
  const pod = await pods.get('pt-half');
  assert.is(pod.status.phase, 'Unknown');
  assert.is(pod.status.reason, 'InfraContainerMissing');
  await pods.delete('pt-half', { force: true });
  await assertGone(engine, 'pt-half');
}, { unsupported: { podman: 'Podman 4.3 refuses to remove a container whose namespaces others join ("has dependent containers which must be removed before it"): an infra cannot be removed by hand under its apps' } });

deletion.run();
