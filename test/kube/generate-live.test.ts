import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { apply } from '../../src/cli/kube-commands.js';
import { kubeGenerate } from '../../src/cli/kube-generate.js';
import { podGet } from '../../src/cli/pod-commands.js';
import { serviceGet } from '../../src/cli/service-commands.js';
import type { Pods, PodInput } from '../../src/pod/index.js';
import { mode, scenario } from '../support/scenario.js';
import { ensureBundle, ROOT, runCommand } from '../support/cli.js';
import { assertKubernetesValid } from '../support/kube-schema.js';
import { IMAGE, removePods, testPods } from '../support/pods.js';
import { removeServices } from '../support/cluster.js';
import { requestsDuring } from '../support/sent.js';

// Manifests out and in again, against the engine (fixtures/kube/generate-live/): `kube generate`
// and `get -o yaml` print what Kubernetes' schema accepts and what `podling apply` takes back.
// The commands run in this process on the scenario's engine, so their traffic is recorded.
const live = suite('kube/generate-live');

const dir = mkdtempSync(join(tmpdir(), 'podling-kube-generate-'));
live.after(() => rmSync(dir, { recursive: true, force: true }));

/** A pod with an init container, probes, a security context, a lifecycle hook, env from fieldRef and an emptyDir. */
const richPod = (name: string): PodInput => ({
  metadata: { name, labels: { app: name }, annotations: { 'example.com/owner': 'kube-generate' } },
  spec: {
    terminationGracePeriodSeconds: 2,
    initContainers: [{ name: 'init', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo ready > /work/ready'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
    containers: [{
      name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'],
      ports: [{ name: 'http', containerPort: 8080 }],
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'MODE', value: 'test' }],
      resources: { limits: { memory: '32Mi' } },
      readinessProbe: { exec: { command: ['cat', '/work/ready'] }, periodSeconds: 5 },
      livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 3600 },
      lifecycle: { postStart: { exec: { command: ['true'] } } },
      securityContext: { runAsUser: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      volumeMounts: [{ name: 'work', mountPath: '/work', readOnly: true }],
    }],
    volumes: [{ name: 'work', emptyDir: {} }],
  },
});

const withoutPodling = (record: Record<string, string> | undefined) => Object.fromEntries(Object.entries(record ?? {}).filter(([k]) => !k.startsWith('podling.io/')));

async function applyFile(pods: Pods, text: string, file: string) {
  writeFileSync(join(dir, file), text);
  return runCommand(apply, pods, ['-f', join(dir, file)]);
}

scenario(live, 'kube generate writes a pod, a service and a ConfigMap that pass Kubernetes\' schema check; applied after a delete, the same pod comes back', async ({ engine, defer }) => {
  const pods = testPods(engine, 'kube/generate-live generate');
  const name = 'kg-gen';
  defer(() => pods.deleteConfigMap(name).catch(() => {}), `configmap ${name}`);
  defer(() => removeServices(pods, name), `service ${name}`);
  defer(() => removePods(pods, name), `pod ${name}`);
  const made = await pods.create(richPod(name));
  await pods.createService({ name, selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
  await pods.createConfigMap({ metadata: { name, labels: { app: name } }, data: { 'app.conf': 'color=blue\n' }, binaryData: { raw: 'AAEC' } });

  const generated = await runCommand(kubeGenerate, pods, [name, `service/${name}`, `cm/${name}`]);
  assert.is(generated.code, 0);
  const documents = parseAllDocuments(generated.stdout);
  const objects = (Array.isArray(documents) ? documents : [documents]).map((d) => d.toJS() as { kind: string; metadata: Record<string, unknown>; spec: unknown });
  assert.equal(objects.map((o) => o.kind), ['Pod', 'Service', 'ConfigMap'], 'one document each, in the order named');
  for (const object of objects) assertKubernetesValid(object, `${object.kind} ${name}`);
  assert.equal(objects[0]!.metadata, { name, namespace: 'default', labels: { app: name }, annotations: { 'example.com/owner': 'kube-generate' } }, 'no podling.io/ annotation, no uid');
  assert.not.match(generated.stdout, /endpoints|status|uid|creationTimestamp/);

  await pods.delete(name, { force: true });
  await pods.deleteService(name);
  await pods.deleteConfigMap(name);
  const applied = await applyFile(pods, generated.stdout, 'generated.yaml');
  assert.is(applied.stdout, `configmap/${name} created\nservice/${name} created\npod/${name} created\n`);
  const back = await pods.get(name);
  assert.equal(back.spec, made.spec, 'the same spec');
  assert.equal(back.metadata.labels, made.metadata.labels);
  assert.equal(withoutPodling(back.metadata.annotations), withoutPodling(made.metadata.annotations));
  const service = await pods.getService(name);
  assert.equal(service.spec.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  const cm = await pods.getConfigMap(name);
  assert.equal([cm.metadata.labels, cm.data, cm.binaryData], [{ app: name }, { 'app.conf': 'color=blue\n' }, { raw: 'AAEC' }]);
});

scenario(live, 'what pod get -o yaml and service get -o yaml print applies again unchanged, with no engine write', async ({ engine, defer }) => {
  const pods = testPods(engine, 'kube/generate-live round-trip');
  const name = 'kg-rt';
  defer(() => removeServices(pods, name), `service ${name}`);
  defer(() => removePods(pods, name), `pod ${name}`);
  // The pod made by apply (apply leaves a pod made by hand alone), the service by hand: its
  // namespace and targetPort left out, as `service create` stores them.
  const manifest = { apiVersion: 'v1', kind: 'Pod', ...richPod(name) };
  assert.is((await applyFile(pods, JSON.stringify(manifest), 'pod.json')).stdout, `pod/${name} created\n`);
  await pods.createService({ name, selector: { app: name }, port: 80 });

  const pod = await runCommand(podGet, pods, [name, '-o', 'yaml']);
  const service = await runCommand(serviceGet, pods, [name, '-o', 'yaml']);
  assert.match(pod.stdout, /podling.io\/last-applied/, 'the pod as get prints it, apply\'s digest included');
  assert.match(service.stdout, /^endpoints:/m, 'the service as get prints it, endpoints included');
  let again: Awaited<ReturnType<typeof applyFile>> | undefined;
  const sent = await requestsDuring(async () => { again = await applyFile(pods, `${pod.stdout}\n---\n${service.stdout}\n`, 'got.yaml'); });
  assert.is(again!.stdout, `service/${name} unchanged\npod/${name} unchanged\n`);
  assert.equal(sent.filter((r) => !/^(GET|HEAD) /.test(r)), [], 'reads only');
});

if (mode === 'live') {
  // The pipe itself, through the installed command: `-f -` reads stdin (live only: a child
  // process's traffic is not recorded). The in-process scenario above counts the requests.
  scenario(live, 'podling pod get -o yaml | podling apply -f - answers unchanged', async ({ engine, defer }) => {
    const pods = testPods(engine, 'kube/generate-live pipe');
    const name = 'kg-pipe';
    defer(() => removePods(pods, name), `pod ${name}`);
    const manifest = { apiVersion: 'v1', kind: 'Pod', ...richPod(name) };
    assert.is((await applyFile(pods, JSON.stringify(manifest), 'pipe.json')).stdout, `pod/${name} created\n`);
    await ensureBundle();
    const piped = spawnSync('sh', ['-c', `node bin/podling.js pod get ${name} -o yaml | node bin/podling.js apply -f -`], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.is(piped.stderr, '');
    assert.is(piped.stdout, `pod/${name} unchanged\n`);
    assert.is(piped.status, 0);
  });
}

live.run();
