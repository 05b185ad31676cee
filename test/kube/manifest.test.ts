import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { inNamespace, loadManifests, ManifestError, parseManifests, type Manifest } from '../../src/kube/manifest.js';

// Manifests in: documents, Lists, files and directories, read and checked whole (no engine).
const manifest = suite('kube/manifest');

const POD = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}${extra}
spec:
  containers:
    - name: app
      image: x:1
`;
const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: { app: api }
  ports:
    - { name: http, port: 80, targetPort: http }
`;

async function problemsOf(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, ManifestError);
    return (err as ManifestError).problems;
  }
  throw new Error('accepted');
}

const summary = (ms: Manifest[]) => ms.map((m) => `${m.kind}/${m.namespace}/${m.name}`);

manifest('several documents, empty ones skipped, each object named with its source', async () => {
  const found = await parseManifests(`${POD('a')}---\n${SERVICE}---\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n`, 'f.yaml');
  assert.equal(summary(found), ['Pod/default/a', 'Service/default/api', 'Namespace/shop/shop']);
  assert.equal(found.map((m) => m.source), ['f.yaml: document 1 (Pod a)', 'f.yaml: document 2 (Service api)', 'f.yaml: document 4 (Namespace shop)']);
  const service = found[1]!;
  assert.ok(service.kind === 'Service');
  if (service.kind === 'Service') assert.equal(service.service.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: undefined }]);
});

manifest('a List is its items; JSON is read as YAML', async () => {
  const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } }] });
  assert.equal(summary(await parseManifests(list, 'l.json')), ['Pod/default/a']);
  const podList = `apiVersion: v1\nkind: PodList\nitems:\n  - ${POD('b').trim().split('\n').join('\n    ')}\n`;
  assert.equal(summary(await parseManifests(podList, 'p.yaml')), ['Pod/default/b']);
});

manifest('one bad document refuses the whole file, and every problem of every document is named', async () => {
  const problems = await problemsOf(parseManifests(`${POD('a')}---\n${POD('B_ad')}---\nkind: Deployment\nmetadata: { name: d }\n---\n${SERVICE.replace('ports:', 'type: NodePort\n  ports:')}`, 'f.yaml'));
  assert.equal(problems, [
    'f.yaml: document 2 (Pod B_ad): metadata.name: pod name must be a DNS label: lower-case letters, digits and \'-\', starting and ending with a letter or digit',
    'f.yaml: document 3 (Deployment d): kind: Deployment is not supported: Podling reads Pod, Service, ConfigMap, Secret, Namespace and List',
    'f.yaml: document 4 (Service api): spec.type: not supported: only ClusterIP; publish a pod\'s port with hostPort instead of a NodePort or LoadBalancer',
  ]);
});

manifest('not YAML, no kind, a Pod of another apiVersion, a namespace that is no DNS label: one problem each', async () => {
  assert.equal(await problemsOf(parseManifests('a: [unclosed\n', 'bad.yaml')), ['bad.yaml: document 1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] (line 2)']);
  assert.equal(await problemsOf(parseManifests('metadata: { name: x }\n', 'f.yaml')), ['f.yaml: document 1: kind: missing (Pod, Service, ConfigMap, Secret, Namespace or List)']);
  assert.equal(await problemsOf(parseManifests(POD('a').replace('v1', 'apps/v1'), 'f.yaml')), ['f.yaml: document 1 (Pod a): apiVersion: a Pod is apiVersion "v1"']);
  assert.match((await problemsOf(parseManifests(POD('a', '\n  namespace: Shop'), 'f.yaml')))[0]!, /^f\.yaml: document 1 \(Pod a\): metadata\.namespace: namespace must be a DNS label/);
});

manifest('a Service refuses what it cannot do and names its notices', async () => {
  const [svc] = await parseManifests(SERVICE.replace('ports:', 'clusterIP: None\n  sessionAffinity: ClientIP\n  ports:'), 's.yaml');
  assert.equal(svc!.notices, ['spec.sessionAffinity: accepted, has no effect here (DNS answers come shuffled per query: no client affinity)']);
  if (svc!.kind === 'Service') assert.equal(svc!.service.extra, { clusterIP: 'None', sessionAffinity: 'ClientIP' }, 'kept, so get gives them back');
  assert.equal(await problemsOf(parseManifests(SERVICE.replace('ports:', 'clusterIP: 10.96.0.10\n  ports:'), 's.yaml')),
    ['s.yaml: document 1 (Service api): spec.clusterIP: only "None" (or leaving it out): every Podling service is headless, its name answers with its pods\' IPs']);
  assert.equal(await problemsOf(parseManifests(SERVICE.replace('targetPort: http', 'targetPort: http, nodePort: 30080'), 's.yaml')),
    ['s.yaml: document 1 (Service api): spec.ports.0.nodePort: not supported: no node ports: publish a pod\'s port with hostPort']);
  assert.equal(await problemsOf(parseManifests(SERVICE.replace('  selector: { app: api }\n', ''), 's.yaml')),
    ['s.yaml: document 1 (Service api): spec.selector: a service needs a selector: Podling keeps no hand-made endpoints']);
});

manifest('-n fills in missing namespaces and must agree with named ones; the same object twice is refused', async () => {
  const found = await parseManifests(`${POD('a')}---\n${POD('b', '\n  namespace: shop')}`, 'f.yaml');
  assert.equal(summary(inNamespace(found, 'shop')), ['Pod/shop/a', 'Pod/shop/b']);
  assert.equal(summary(inNamespace(found, undefined)), ['Pod/default/a', 'Pod/shop/b']);
  try {
    inNamespace(found, 'other');
    assert.unreachable('accepted');
  } catch (err) {
    assert.equal((err as ManifestError).problems, ['f.yaml: document 2 (Pod b): its namespace "shop" does not match -n other']);
  }
  const twice = await parseManifests(`${POD('a')}---\n${POD('a', '\n  namespace: default')}`, 'f.yaml');
  try {
    inNamespace(twice, undefined);
    assert.unreachable('accepted');
  } catch (err) {
    assert.equal((err as ManifestError).problems, ['f.yaml: document 2 (Pod a): Pod a in namespace default is also in f.yaml: document 1 (Pod a)']);
  }
});

manifest('files, directories (their .yaml/.yml/.json, sorted) and stdin; a missing path is one clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podling-manifests-'));
  mkdirSync(join(dir, 'd'));
  writeFileSync(join(dir, 'd', 'b.yaml'), POD('b'));
  writeFileSync(join(dir, 'd', 'a.yml'), POD('a'));
  writeFileSync(join(dir, 'd', 'notes.txt'), 'not a manifest');
  writeFileSync(join(dir, 'one.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'c' }, spec: { containers: [{ name: 'x', image: 'x:1' }] } }));
  assert.equal(summary(await loadManifests([join(dir, 'd'), join(dir, 'one.json'), '-'], async () => POD('s'))), ['Pod/default/a', 'Pod/default/b', 'Pod/default/c', 'Pod/default/s']);
  assert.equal(await problemsOf(loadManifests([join(dir, 'nope.yaml')])), [`${join(dir, 'nope.yaml')}: no such file or directory`]);
  mkdirSync(join(dir, 'empty'));
  assert.equal(await problemsOf(loadManifests([join(dir, 'empty')])), [`${join(dir, 'empty')}: no .yaml, .yml or .json files in the directory`]);
});

manifest('YAML is read as Kubernetes reads it (1.1): a leading zero is octal, so 0644 and 0400 are the modes they look like', async () => {
  const [cm] = await parseManifests(`apiVersion: v1
kind: Pod
metadata: { name: modes }
spec:
  containers: [{ name: c, image: 'x:1' }]
  volumes:
    - { name: a, configMap: { name: conf, defaultMode: 0644 } }
    - { name: b, secret: { secretName: creds, defaultMode: 0400 } }
`, 'm.yaml');
  if (cm!.kind !== 'Pod') throw new Error('kind');
  const modes = (cm!.pod.spec.volumes ?? []).map((v) => (v as { configMap?: { defaultMode?: number }; secret?: { defaultMode?: number } }).configMap?.defaultMode ?? (v as { secret?: { defaultMode?: number } }).secret?.defaultMode);
  assert.equal(modes, [0o644, 0o400]);
});

manifest('metadata notice fields are named for every kind, not only pods', async () => {
  const owner = '\n  ownerReferences: [{ apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u }]';
  const found = await parseManifests(`${SERVICE.replace('name: api', `name: api${owner}`)}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf${owner}\ndata: { a: b }\n`, 'o.yaml');
  const line = 'metadata.ownerReferences: accepted, has no effect here (no controllers and no garbage collector: nothing owns a pod)';
  assert.equal(found.map((m) => m.notices), [[line], [line]]);
});

manifest.run();
