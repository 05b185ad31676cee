import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { executeApply, observeForApply, planApply, type ApplyAction } from '../../src/kube/apply.js';
import { inNamespace, parseManifests, ManifestError } from '../../src/kube/manifest.js';
import type { Pods } from '../../src/pod/index.js';
import { PodError } from '../../src/pod/errors.js';
import { mode, scenario } from '../support/scenario.js';
import { containerId, rejection } from '../support/pods.js';
import { clusterPods, subnet } from '../support/cluster.js';
import { requestsDuring } from '../support/sent.js';

// `podling apply` against the engine: created, then unchanged with no engine write, a changed
// ConfigMap replacing it and the pod that reads it, a hand-made pod refused, and delete -f
// (fixtures/kube/apply-live/). Cluster subnet 10.212.32.0/24.
const applyLive = suite('kube/apply-live');

const IMAGE = '127.0.0.1:5000/podling-test/busybox:latest';
const SECRET = `apiVersion: v1
kind: Secret
metadata: { name: apt-creds, namespace: apt-ns }
stringData: { token: s3cr3t-t0ken }
---
`;
const FILE = (greeting: string, secret = false) => `apiVersion: v1
kind: ConfigMap
metadata: { name: apt-conf, namespace: apt-ns }
data: { greeting: ${greeting} }
---
${secret ? SECRET : ''}
apiVersion: v1
kind: Service
metadata: { name: apt-svc, namespace: apt-ns }
spec:
  selector: { app: apt }
  ports: [{ name: http, port: 80, targetPort: http }]
---
apiVersion: v1
kind: Pod
metadata: { name: apt-reader, namespace: apt-ns, labels: { app: apt } }
spec:
  containers:
    - name: app
      image: ${IMAGE}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "exec httpd -f -p 8080"]
      ports: [{ name: http, containerPort: 8080 }]
      envFrom: [{ configMapRef: { name: apt-conf } }]${secret ? `
      env: [{ name: TOKEN, valueFrom: { secretKeyRef: { name: apt-creds, key: token } } }]` : ''}
---
apiVersion: v1
kind: Pod
metadata: { name: apt-other, namespace: apt-ns }
spec:
  containers: [{ name: app, image: '${IMAGE}', imagePullPolicy: IfNotPresent, command: [sleep, '3600'] }]
`;

async function applyText(pods: Pods, text: string): Promise<string[]> {
  const manifests = inNamespace(await parseManifests(text, 'apply.yaml'), undefined);
  const actions = planApply(manifests, await observeForApply(pods, manifests));
  const done: string[] = [];
  await executeApply(pods, actions, { onDone: (a: ApplyAction) => { if (a.manifest.kind !== 'Namespace') done.push(`${a.manifest.kind}/${a.manifest.name} ${a.verb}`); } });
  return done.sort();
}

const WRITE = /^(POST|PUT|DELETE) /;

/**
 * The flow, with or without a Secret. With one it can only run live: fixtures hold a Secret's
 * values redacted (src/testing/sensitive.ts), so on replay the stored Secret would read as changed.
 */
async function applyFlow({ engine, name, track, defer }: Parameters<Parameters<typeof scenario>[2]>[0], secret: boolean, octet: number): Promise<void> {
  const cl = { name: track.network(name('cluster')), subnet: subnet(octet) };
  const pods = clusterPods(engine, `kube/apply-live apply${secret ? ' secret' : ''}`, cl);
  for (const pod of ['apt-reader', 'apt-other']) defer(() => pods.delete(pod, { namespace: 'apt-ns', force: true }), pod);
  defer(() => pods.deleteService('apt-svc', { namespace: 'apt-ns' }), 'apt-svc');
  defer(() => pods.deleteConfigMap('apt-conf', { namespace: 'apt-ns' }), 'apt-conf');
  if (secret) defer(() => pods.deleteSecret('apt-creds', { namespace: 'apt-ns' }), 'apt-creds');
  const withSecret = (lines: string[]) => (secret ? [...lines, lines.some((l) => l.endsWith('created')) ? 'Secret/apt-creds created' : 'Secret/apt-creds unchanged'] : lines).sort();

  assert.equal(await applyText(pods, FILE('hello', secret)), withSecret(['ConfigMap/apt-conf created', 'Pod/apt-other created', 'Pod/apt-reader created', 'Service/apt-svc created']));
  const reader = await pods.get('apt-reader', { namespace: 'apt-ns' });
  const env = await engine.exec.run(containerId(reader, 'app'), ['sh', '-c', 'echo "$greeting"']);
  assert.is(env.stdout.trim(), 'hello');
  const svc = await pods.getService('apt-svc', { namespace: 'apt-ns' });
  assert.equal(svc.endpoints, [`${reader.status.podIP}:8080`], 'the named targetPort resolves to the pod\'s http port');

  let again: string[] = [];
  const sent = await requestsDuring(async () => { again = await applyText(pods, FILE('hello', secret)); });
  assert.equal(again, withSecret(['ConfigMap/apt-conf unchanged', 'Pod/apt-other unchanged', 'Pod/apt-reader unchanged', 'Service/apt-svc unchanged']));
  assert.equal(sent.filter((r) => WRITE.test(r)), [], 'no engine write');

  assert.equal(await applyText(pods, FILE('goodbye', secret)), withSecret(['ConfigMap/apt-conf replaced', 'Pod/apt-other unchanged', 'Pod/apt-reader replaced', 'Service/apt-svc unchanged']));
  const replaced = await pods.get('apt-reader', { namespace: 'apt-ns' });
  assert.is.not(replaced.metadata.uid, reader.metadata.uid);
  const changed = await engine.exec.run(containerId(replaced, 'app'), ['sh', '-c', 'echo "$greeting"']);
  assert.is(changed.stdout.trim(), 'goodbye', 'the changed ConfigMap reached the re-applied pod');
  if (secret) {
    const token = await engine.exec.run(containerId(replaced, 'app'), ['sh', '-c', 'echo "$TOKEN"']);
    assert.is(token.stdout.trim(), 's3cr3t-t0ken');
  }
}

scenario(applyLive, 'apply creates, a second apply changes nothing and writes nothing, a changed ConfigMap replaces it and the pod that reads it', (ctx) => applyFlow(ctx, false, 32));

if (mode === 'live') {
  scenario(applyLive, 'the same with a Secret the pod reads: an unchanged Secret stays, and is compared by its values (live only: fixtures keep Secret values redacted)', (ctx) => applyFlow(ctx, true, 34));
}

scenario(applyLive, 'a pod of the same name made without apply is refused, and nothing is written', async ({ engine, name, track, defer }) => {
  const cl = { name: track.network(name('cluster')), subnet: subnet(33) };
  const pods = clusterPods(engine, 'kube/apply-live collision', cl);
  defer(() => pods.delete('apt-other', { namespace: 'apt-ns', force: true }), 'apt-other');
  await pods.create({ metadata: { name: 'apt-other', namespace: 'apt-ns' }, spec: { containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] } });
  const pod = FILE('x').split('---\n').at(-1)!;
  let err: unknown;
  const sent = await requestsDuring(async () => { err = await rejection(applyText(pods, pod)); });
  assert.instance(err, PodError);
  assert.is((err as Error).message, 'pod "apt-other" in namespace "apt-ns" exists and was not made by apply: delete it first, or apply under another name');
  assert.equal(sent.filter((r) => WRITE.test(r)), []);
});

applyLive('a file with one bad document is refused whole before any request', async () => {
  let err: unknown;
  const sent = await requestsDuring(async () => { err = await rejection(parseManifests(`${FILE('x')}---\napiVersion: v1\nkind: Secret\nmetadata: { name: bad }\ndata: { key: "not base64!" }\n`, 'f.yaml')); });
  assert.instance(err, ManifestError);
  assert.equal((err as ManifestError).problems, ['f.yaml: document 5 (Secret bad): data.key: the value of key "key" is not valid base64']);
  assert.equal(sent, []);
});

applyLive.run();
