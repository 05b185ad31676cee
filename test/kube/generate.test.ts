import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse as parseYaml } from 'yaml';
import { configMapManifest, podManifest, secretManifest, serviceManifest, withoutUndefined } from '../../src/kube/generate.js';
import { planApply, type Current } from '../../src/kube/apply.js';
import { inNamespace, parseManifests } from '../../src/kube/manifest.js';
import { parsePod, type PodInput } from '../../src/pod/index.js';
import type { PodObject } from '../../src/pod/read.js';
import { parseService, type ServiceObject } from '../../src/pod/services.js';
import type { ConfigMapObject } from '../../src/pod/configmaps.js';
import type { SecretObject } from '../../src/pod/secrets.js';
import { parseRef } from '../../src/cli/kube-generate.js';
import { UsageError } from '../../src/cli/usage.js';
import { runMain, type CliResult } from '../support/cli.js';
import { schemaProblems } from '../support/kube-schema.js';
import { requestsDuring } from '../support/sent.js';

// Manifests out (src/kube/generate.ts), from objects as Podling reads them back: no engine.
const generate = suite('kube/generate');

/** A pod as people write them for Kubernetes: most of what Podling does, in one spec (notice fields included). */
const WEB = {
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', tier: 'front' }, annotations: { 'example.com/owner': 'team-a', 'podling.io/isolated': 'false' } },
  spec: {
    serviceAccountName: 'web',
    terminationGracePeriodSeconds: 5,
    securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000, supplementalGroups: [3000], seccompProfile: { type: 'RuntimeDefault' } },
    hostAliases: [{ ip: '10.1.2.3', hostnames: ['db.local'] }],
    dnsConfig: { options: [{ name: 'ndots', value: '2' }] },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
    initContainers: [{ name: 'init', image: 'busybox:1', command: ['sh', '-c', 'echo ready > /work/ready'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
    containers: [{
      name: 'app', image: 'example/web:1.2', args: ['--port=$(PORT)'],
      ports: [{ name: 'http', containerPort: 8080 }],
      env: [
        { name: 'PORT', value: '8080' },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'color', optional: true } } },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'web-secret', key: 'token' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      ],
      envFrom: [{ configMapRef: { name: 'web-config' }, prefix: 'CFG_' }],
      resources: { requests: { cpu: '100m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } },
      livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
      readinessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 1 },
      startupProbe: { exec: { command: ['cat', '/work/ready'] }, failureThreshold: 30 },
      lifecycle: { postStart: { exec: { command: ['touch', '/tmp/started'] } }, preStop: { httpGet: { path: '/quit', port: 8080 } } },
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } },
      volumeMounts: [
        { name: 'work', mountPath: '/work' }, { name: 'config', mountPath: '/etc/web', readOnly: true },
        { name: 'creds', mountPath: '/run/creds' }, { name: 'info', mountPath: '/etc/podinfo' }, { name: 'all', mountPath: '/etc/all' },
        { name: 'data', mountPath: '/data' }, { name: 'host', mountPath: '/host/tmp' },
      ],
    }],
    volumes: [
      { name: 'work', emptyDir: { medium: 'Memory' } },
      { name: 'config', configMap: { name: 'web-config', items: [{ key: 'web.conf', path: 'web.conf' }] } },
      { name: 'creds', secret: { secretName: 'web-secret', defaultMode: 0o400 } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'all', projected: { sources: [{ configMap: { name: 'web-config' } }, { secret: { name: 'web-secret' } }] } },
      { name: 'data', persistentVolumeClaim: { claimName: 'web-data' } },
      { name: 'host', hostPath: { path: '/tmp', type: 'Directory' } },
    ],
  },
} as PodInput;

/** What `pods.get` answers for it: server-set metadata, Podling's annotations and a status beside the spec. */
function readBack(input: PodInput): PodObject {
  const pod = parsePod(input);
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: pod.metadata.name, namespace: pod.metadata.namespace ?? 'default', uid: 'a1b2c3d4e5f6', labels: pod.metadata.labels,
      annotations: { ...pod.metadata.annotations, 'podling.io/pod-ip': '10.214.0.7', 'podling.io/last-applied': '0123456789abcdef' },
      creationTimestamp: '2026-11-29T10:00:00.000Z',
    },
    spec: pod.spec,
    status: { phase: 'Running', podIP: '10.214.0.7', podIPs: [{ ip: '10.214.0.7' }], startTime: '2026-11-29T10:00:01.000Z', containerStatuses: [] },
  };
}

const SERVICE: ServiceObject = {
  apiVersion: 'v1', kind: 'Service',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' }, annotations: { 'podling.io/note': 'x' }, creationTimestamp: '2026-11-29T10:00:00.000Z' },
  spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }, { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' }], publishNotReadyAddresses: true },
  endpoints: ['10.214.0.7:8080'],
};

const CONFIG_MAP: ConfigMapObject = {
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name: 'web-config', namespace: 'shop', labels: { app: 'web' }, annotations: undefined, creationTimestamp: '2026-11-29T10:00:00.000Z' },
  data: { color: 'blue', 'web.conf': 'listen 8080\n' }, binaryData: { 'logo.png': 'iVBORw0KGgo=' },
};

const SECRET: SecretObject & { data: Record<string, string> } = {
  apiVersion: 'v1', kind: 'Secret',
  metadata: { name: 'web-secret', namespace: 'shop', creationTimestamp: '2026-11-29T10:00:00.000Z' },
  type: 'Opaque', data: { token: Buffer.from('s3cret').toString('base64') }, immutable: true,
};

const CASES: Array<[string, () => unknown]> = [
  ['a pod with probes, security contexts, volumes, env valueFrom, init containers and lifecycle hooks', () => podManifest(readBack(WEB))],
  ['a minimal pod (defaults written out)', () => podManifest(readBack({ metadata: { name: 'tiny' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } }))],
  ['a pod whose spec could not be read back (name and image only)', () => podManifest({ ...readBack(WEB), spec: { containers: [{ name: 'app', image: 'example/web:1.2' }] } })],
  ['a pod, Podling annotations kept', () => podManifest(readBack(WEB), { keepPodling: true })],
  ['a multi-port headless service', () => serviceManifest(SERVICE)],
  ['a ConfigMap with data and binaryData', () => configMapManifest(CONFIG_MAP)],
  ['a Secret with its data', () => secretManifest(SECRET)],
];

for (const [what, make] of CASES) {
  generate(`${what} passes Kubernetes' schema check, unknown fields included`, () => {
    assert.equal(schemaProblems(make()), []);
  });
}

generate('a pod keeps its name, namespace, labels, the user\'s annotations and spec; no status, uid, creation time or podling.io/ annotation', () => {
  const object = readBack(WEB);
  const manifest = podManifest(object);
  assert.equal(Object.keys(manifest), ['apiVersion', 'kind', 'metadata', 'spec']);
  assert.equal(manifest.metadata, { name: 'web', namespace: 'shop', labels: { app: 'web', tier: 'front' }, annotations: { 'example.com/owner': 'team-a' } });
  assert.equal(manifest.spec, withoutUndefined(object.spec));
  const app = (manifest.spec.containers as { name: string; livenessProbe?: Record<string, unknown> }[])[0]!;
  assert.equal(app.livenessProbe, { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, periodSeconds: 5, initialDelaySeconds: 0, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 }, 'probe defaults written out');
});

generate('--keep-podling keeps podling.io/ annotations, still without server-set metadata', () => {
  const manifest = podManifest(readBack(WEB), { keepPodling: true });
  assert.equal(manifest.metadata.annotations, { 'example.com/owner': 'team-a', 'podling.io/isolated': 'false', 'podling.io/pod-ip': '10.214.0.7', 'podling.io/last-applied': '0123456789abcdef' });
  assert.not.ok('uid' in manifest.metadata);
});

generate('a service has no endpoints and no podling.io/ annotation; its spec fields are kept', () => {
  const manifest = serviceManifest(SERVICE);
  assert.equal(manifest, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: { clusterIP: 'None', selector: { app: 'web' }, ports: SERVICE.spec.ports, publishNotReadyAddresses: true },
  });
});

generate('a ConfigMap and a Secret keep their values; empty metadata maps are left out', () => {
  assert.equal(configMapManifest(CONFIG_MAP), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: 'shop', labels: { app: 'web' } }, data: CONFIG_MAP.data, binaryData: CONFIG_MAP.binaryData });
  assert.equal(secretManifest(SECRET), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-secret', namespace: 'shop' }, type: 'Opaque', data: SECRET.data, immutable: true });
});

generate('what is generated reads back through podling apply\'s parser as the same objects', async () => {
  const { stringify } = await import('yaml');
  const text = [podManifest(readBack(WEB)), serviceManifest(SERVICE)].map((m) => stringify(m)).join('---\n');
  const [pod, service] = await parseManifests(text, 'generated.yaml');
  if (pod?.kind !== 'Pod' || service?.kind !== 'Service') throw new Error('kinds');
  const { 'podling.io/isolated': _isolated, ...annotations } = WEB.metadata.annotations!;
  assert.equal(pod.pod, { apiVersion: 'v1', kind: 'Pod', ...parsePod({ ...WEB, metadata: { ...WEB.metadata, annotations } }) }, 'the same pod, parsed');
  assert.equal(withoutUndefined(service.service.ports), SERVICE.spec.ports);
  assert.equal(service.service.extra, { clusterIP: 'None' });
  assert.equal(parseYaml(stringify(podManifest(readBack(WEB)))), podManifest(readBack(WEB)), 'YAML keeps every value as it was');
});

generate('a service as `service get -o yaml` prints it (endpoints, creation time, targetPort and namespace written out) plans as unchanged against the one `service create` stored', async () => {
  const { stringify } = await import('yaml');
  const stored = { ...parseService({ name: 'web', selector: { app: 'web' }, port: 80 }), created: '2026-11-29T10:00:00.000Z' };
  const printed: ServiceObject = {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', creationTimestamp: stored.created },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] }, endpoints: ['10.214.0.7:80'],
  };
  const manifests = inNamespace(await parseManifests(stringify(printed), '<stdin>'), undefined);
  const current: Current = { pods: new Map(), services: new Map([['default/web', stored]]) };
  assert.equal(planApply(manifests, current).map((a) => a.verb), ['unchanged']);
  const changed = inNamespace(await parseManifests(stringify({ ...printed, spec: { ...printed.spec, ports: [{ port: 80, targetPort: 8080 }] } }), '<stdin>'), undefined);
  assert.equal(planApply(changed, current).map((a) => a.verb), ['replaced'], 'a targetPort other than the port is a change');
});

const REFS: Array<[string, ReturnType<typeof parseRef> | string]> = [
  ['web', { kind: 'pods', name: 'web' }],
  ['pod/web', { kind: 'pods', name: 'web' }],
  ['po/web', { kind: 'pods', name: 'web' }],
  ['svc/web', { kind: 'services', name: 'web' }],
  ['services/web', { kind: 'services', name: 'web' }],
  ['cm/web-config', { kind: 'configmaps', name: 'web-config' }],
  ['ConfigMap/web-config', { kind: 'configmaps', name: 'web-config' }],
  ['secret/web-secret', { kind: 'secrets', name: 'web-secret' }],
  ['deployment/web', 'deployment/web: not a kind kube generate writes (pod, service, configmap or secret)'],
  ['constructor/web', 'constructor/web: not a kind kube generate writes (pod, service, configmap or secret)'],
  ['service/', 'service/: KIND/NAME names one object'],
  ['service/a/b', 'service/a/b: KIND/NAME names one object'],
];

for (const [text, expected] of REFS) {
  generate(`the object reference ${text}: ${typeof expected === 'string' ? 'a usage error' : `${expected.kind} ${expected.name}`}`, () => {
    if (typeof expected !== 'string') return assert.equal(parseRef(text), expected);
    try {
      parseRef(text);
      assert.unreachable('parsed');
    } catch (err) {
      assert.instance(err, UsageError);
      assert.is((err as Error).message, expected);
    }
  });
}

const NO_ENGINE = ['-H', `unix://${join(tmpdir(), 'podling-kube-generate-no-engine.sock')}`];
const BAD: Array<[string[], string]> = [
  [['kube', 'generate'], 'kube generate needs at least one POD, service/NAME, configmap/NAME or secret/NAME'],
  [['kube', 'generate', 'web', 'deployment/web'], 'deployment/web: not a kind kube generate writes (pod, service, configmap or secret)'],
  [['kube', 'generate', 'web', '-n', 'Bad_NS'], '-n Bad_NS: a namespace is a DNS label (lower-case letters, digits and \'-\', at most 63)'],
];

for (const [args, message] of BAD) {
  generate(`podling ${args.join(' ')} exits 2 with one line on stderr, without reaching an engine`, async () => {
    let result: CliResult | undefined;
    const sent = await requestsDuring(async () => { result = await runMain([...NO_ENGINE, ...args]); });
    assert.equal(result, { code: 2, signal: null, stdout: '', stderr: `podling: ${message}\n` });
    assert.equal(sent, [], 'no request');
  });
}

generate('podling kube generate --help says a Secret is written with its values', async () => {
  const result = await runMain(['kube', 'generate', '--help']);
  assert.is(result.code, 0);
  assert.match(result.stdout, /A Secret is written WITH its values \(base64 data\), because it was named on the command line/);
});

generate.run();
