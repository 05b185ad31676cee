import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { assertKubernetesValid, schemaProblems } from '../support/kube-schema.js';

// The test support that checks objects against Kubernetes' schema (test/support/kube-schema.ts):
// it must refuse what `kubectl apply` refuses, or the tests that lean on it show nothing.
const schema = suite('kube/schema');

const POD = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { 'example.com/a': 'b' } },
  spec: {
    containers: [{
      name: 'app', image: 'x:1', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
      resources: { limits: { memory: '64Mi', cpu: 0.5 } },
      livenessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 10 },
      securityContext: { capabilities: { drop: ['ALL'] } },
    }],
    volumes: [{ name: 'v', emptyDir: {} }],
  },
};

/** The pod with one change at `path` (a dotted path; a number is an array index). */
function podWith(path: string, value: unknown): unknown {
  const copy = structuredClone(POD) as Record<string, unknown>;
  const parts = path.split('.');
  const last = parts.pop()!;
  const parent = parts.reduce<Record<string, unknown>>((node, part) => node[part] as Record<string, unknown>, copy);
  parent[last] = value;
  return copy;
}

const CASES: Array<[string, unknown, string[]]> = [
  ['a valid pod passes', POD, []],
  ['a misspelt nested field is named with its path', podWith('spec.containers.0.livenessProbe.httpGet.pth', '/'), ['spec.containers[0].livenessProbe.httpGet.pth: unknown field']],
  ['a misspelt field under securityContext is named', podWith('spec.containers.0.securityContext.capabilities.remove', ['X']), ['spec.containers[0].securityContext.capabilities.remove: unknown field']],
  ['a wrong type is named with its path', podWith('spec.containers.0.ports.0.containerPort', '8080'), ['spec.containers[0].ports[0].containerPort: must be integer']],
  ['a top-level field Kubernetes has not (a service\'s endpoints) is named', podWith('endpoints', ['10.0.0.1:80']), ['endpoints: unknown field']],
  ['server-set metadata is a field Kubernetes has', podWith('metadata.uid', 'abc'), []],
  ['the keys of a map (labels, limits) are the user\'s', podWith('metadata.labels', { 'any.example/key': 'v' }), []],
  ['an unknown kind is refused', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } }, ['kind: Deployment is not one of Pod, Service, ConfigMap, Secret']],
  ['a Service with endpoints beside its spec is refused', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] }, endpoints: [],
  }, ['endpoints: unknown field']],
  ['a Secret\'s data must be strings', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque', data: { a: 1 } }, ['data.a: must be string']],
  ['a ConfigMap with data passes', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' }, binaryData: { b: 'AA==' } }, []],
];

for (const [what, object, problems] of CASES) {
  schema(what, () => {
    assert.equal(schemaProblems(object), problems);
  });
}

schema('assertKubernetesValid throws listing every problem, and passes a valid object', () => {
  assertKubernetesValid(POD, 'pod web');
  assert.throws(() => assertKubernetesValid(podWith('spec.bogus', 1), 'pod web'), (err: Error) => err.message === 'pod web is not a valid Kubernetes object:\n  spec.bogus: unknown field');
});

schema.run();
