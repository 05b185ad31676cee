import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { appliedDigest, canonical, planApply, type Current } from '../../src/kube/apply.js';
import { inNamespace, parseManifests } from '../../src/kube/manifest.js';
import { PodError } from '../../src/pod/errors.js';
import { parseService } from '../../src/pod/services.js';

// apply's plan, from manifests and what the engine holds (no engine).
const apply = suite('kube/apply');

const FILE = `apiVersion: v1
kind: Pod
metadata: { name: web, labels: { app: web } }
spec:
  containers: [{ name: app, image: 'x:1' }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80 }]
---
apiVersion: v1
kind: Namespace
metadata: { name: shop }
`;

const load = async (text = FILE) => inNamespace(await parseManifests(text, 'f.yaml'), undefined);
const empty = (): Current => ({ pods: new Map(), services: new Map() });
const verbs = (actions: ReturnType<typeof planApply>) => actions.map((a) => `${a.manifest.kind}/${a.manifest.name} ${a.verb}`);

apply('nothing there: every object is created, namespaces first, then services, then pods', async () => {
  assert.equal(verbs(planApply(await load(), empty())), ['Namespace/shop unchanged', 'Service/web created', 'Pod/web created']);
});

apply('what was applied before is unchanged; a changed pod or service is replaced', async () => {
  const manifests = await load();
  const pod = manifests.find((m) => m.kind === 'Pod')!;
  const service = manifests.find((m) => m.kind === 'Service')!;
  if (pod.kind !== 'Pod' || service.kind !== 'Service') throw new Error('kinds');
  const current: Current = { pods: new Map([['default/web', { applied: appliedDigest(pod.pod) }]]), services: new Map([['default/web', { ...parseService(service.service), created: '2026-01-01T00:00:00.000Z' }]]) };
  assert.equal(verbs(planApply(manifests, current)), ['Namespace/shop unchanged', 'Service/web unchanged', 'Pod/web unchanged']);
  const changed = await load(FILE.replace("image: 'x:1'", "image: 'x:2'").replace('ports: [{ port: 80 }]', 'ports: [{ port: 81 }]'));
  assert.equal(planApply(changed, current).map((a) => [a.manifest.kind, a.verb, a.why]), [
    ['Namespace', 'unchanged', undefined], ['Service', 'replaced', 'the service changed'], ['Pod', 'replaced', 'the spec or what it reads changed'],
  ]);
});

apply('a pod of the same name not made by apply is refused before anything is done', async () => {
  const current: Current = { pods: new Map([['default/web', {}]]), services: new Map() };
  try {
    planApply(await load(), current);
    assert.unreachable('planned');
  } catch (err) {
    assert.instance(err, PodError);
    assert.is((err as PodError).kind, 'already-exists');
    assert.is((err as Error).message, 'pod "web" in namespace "default" exists and was not made by apply: delete it first, or apply under another name');
  }
});

apply('the digest does not depend on key order, defaults written out, or its own annotation; it does on the spec and the inputs', async () => {
  const [a] = await load('apiVersion: v1\nkind: Pod\nmetadata: { name: p, labels: { x: "1", y: "2" } }\nspec: { containers: [{ name: c, image: "x:1" }] }\n');
  const [b] = await load('kind: Pod\napiVersion: v1\nspec: { restartPolicy: Always, containers: [{ image: "x:1", name: c }] }\nmetadata: { labels: { y: "2", x: "1" }, name: p, namespace: default, annotations: { podling.io/last-applied: 0123456789abcdef } }\n');
  if (a!.kind !== 'Pod' || b!.kind !== 'Pod') throw new Error('kinds');
  assert.is(appliedDigest(a!.pod), appliedDigest(b!.pod));
  assert.is.not(appliedDigest(a!.pod), appliedDigest(a!.pod, ['configmap/x:abc']));
  assert.is(canonical({ b: 1, a: [{ d: undefined, c: 2 }] }), '{"a":[{"c":2}],"b":1}');
});

const DATA = (value: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: conf }
data: { greeting: ${value} }
---
apiVersion: v1
kind: Secret
metadata: { name: creds }
stringData: { password: hunter2 }
---
apiVersion: v1
kind: Pod
metadata: { name: reader }
spec:
  containers: [{ name: app, image: 'x:1', envFrom: [{ configMapRef: { name: conf } }] }]
---
apiVersion: v1
kind: Pod
metadata: { name: other }
spec:
  containers: [{ name: app, image: 'x:1' }]
`;

apply('a changed ConfigMap is replaced, and so is the pod that reads it; a pod that does not read it is left alone', async () => {
  const first = await load(DATA('hello'));
  const created = planApply(first, empty());
  assert.equal(verbs(created), ['ConfigMap/conf created', 'Secret/creds created', 'Pod/reader created', 'Pod/other created']);
  const { comparableData } = await import('../../src/kube/apply.js');
  const { configMapValues, secretValues } = await import('../../src/pod/config-spec.js');
  const cm = first.find((m) => m.kind === 'ConfigMap')!;
  const secret = first.find((m) => m.kind === 'Secret')!;
  if (cm.kind !== 'ConfigMap' || secret.kind !== 'Secret') throw new Error('kinds');
  const digests = new Map(created.filter((a) => a.digest).map((a) => [`default/${a.manifest.name}`, { applied: a.digest }]));
  const current: Current = {
    pods: digests, services: new Map(),
    configMaps: new Map([['default/conf', comparableData({ immutable: undefined, values: new Map(configMapValues(cm.configMap)), binaryKeys: [] })]]),
    secrets: new Map([['default/creds', comparableData({ type: 'Opaque', values: secretValues(secret.secret) })]]),
  };
  assert.equal(verbs(planApply(first, current)), ['ConfigMap/conf unchanged', 'Secret/creds unchanged', 'Pod/reader unchanged', 'Pod/other unchanged']);
  assert.equal(verbs(planApply(await load(DATA('goodbye')), current)), ['ConfigMap/conf replaced', 'Secret/creds unchanged', 'Pod/reader replaced', 'Pod/other unchanged']);
  assert.not.ok(created.some((a) => a.digest?.includes('hunter2')));
});

apply.run();
