import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePod, PodSpecError } from '../../src/pod/index.js';
import { FIELDS, podNotices, type FieldRule, type FieldType } from '../../src/pod/fields.js';
import { Pod } from '../../src/pod/spec.js';
import { ServiceManifest, serviceNotices } from '../../src/kube/service.js';
import { renderFieldsTable, BEGIN, END } from '../../scripts/fields-table.js';
import { assertRefusedWithoutSending } from '../support/refused.js';

// The one table of Kubernetes fields (src/pod/fields.ts) against the three things that must agree
// with it: Kubernetes' own field list, the schema, and the README.
const fields = suite('pod/fields');

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Kubernetes' fields of a type, read from the kubernetes-models package's interfaces (generated from the OpenAPI spec). */
function kubernetesFields(type: FieldType): string[] {
  const file = type === 'ObjectMeta'
    ? `${ROOT}node_modules/@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta.d.ts`
    : `${ROOT}node_modules/kubernetes-models/v1/${type}.d.ts`;
  const text = readFileSync(file, 'utf8');
  const body = text.slice(text.search(new RegExp(`export interface I${type}( extends \\w+)? {`)));
  return [...new Set([...body.slice(0, body.indexOf('\n}')).matchAll(/^ {4}"(\w+)"\??:/gm)].map((m) => m[1]!))].sort();
}

const TYPES = Object.keys(FIELDS) as FieldType[];
const tableFields = (type: FieldType) => Object.keys(FIELDS[type]).sort();

for (const type of TYPES) {
  fields(`${type}: every Kubernetes field is in the table, and nothing else`, () => {
    assert.equal(tableFields(type), kubernetesFields(type));
  });
}

interface Node { _zod: { def: { type: string; shape?: Record<string, Node>; element?: Node; innerType?: Node; in?: Node } } }
const unwrap = (node: Node | undefined): Node | undefined => {
  const def = node?._zod.def;
  return def?.innerType ? unwrap(def.innerType) : def?.type === 'pipe' ? unwrap(def.in) : def?.type === 'array' ? unwrap(def.element) : node;
};
const child = (node: Node | undefined, field: string) => unwrap(unwrap(node)?._zod.def.shape?.[field]);

const SERVICE_TYPES = ['Service', 'ServiceSpec', 'ServicePort'] as const;
type ServiceType = (typeof SERVICE_TYPES)[number];
type PodType = Exclude<FieldType, ServiceType>;
const POD_TYPES = TYPES.filter((t): t is PodType => !(SERVICE_TYPES as readonly string[]).includes(t));

/** Where each type's schema is inside the Pod schema (the Service ones: inside the Service manifest's). */
const SERVICE_PATHS: Record<ServiceType, string[]> = { Service: [], ServiceSpec: ['spec'], ServicePort: ['spec', 'ports'] };
const PATHS: Record<PodType, string[]> = {
  Pod: [], ObjectMeta: ['metadata'], PodSpec: ['spec'], Container: ['spec', 'containers'], Volume: ['spec', 'volumes'],
  ContainerPort: ['spec', 'containers', 'ports'], EnvVar: ['spec', 'containers', 'env'],
  ResourceRequirements: ['spec', 'containers', 'resources'], VolumeMount: ['spec', 'containers', 'volumeMounts'],
  EnvVarSource: ['spec', 'containers', 'env', 'valueFrom'],
  VolumeProjection: ['spec', 'volumes', 'projected', 'sources'],
  PodDNSConfig: ['spec', 'dnsConfig'], PodDNSConfigOption: ['spec', 'dnsConfig', 'options'], HostAlias: ['spec', 'hostAliases'],
  SecurityContext: ['spec', 'containers', 'securityContext'], PodSecurityContext: ['spec', 'securityContext'],
  Capabilities: ['spec', 'containers', 'securityContext', 'capabilities'], SeccompProfile: ['spec', 'securityContext', 'seccompProfile'],
  AppArmorProfile: ['spec', 'containers', 'securityContext', 'appArmorProfile'], Sysctl: ['spec', 'securityContext', 'sysctls'],
  Lifecycle: ['spec', 'containers', 'lifecycle'], LifecycleHandler: ['spec', 'containers', 'lifecycle', 'preStop'],
};
const schemaFields = (path: string[], root: unknown = Pod) => Object.keys(unwrap(path.reduce<Node | undefined>(child, unwrap(root as Node)))?._zod.def.shape ?? {}).sort();

for (const type of POD_TYPES) {
  fields(`${type}: the schema has exactly the table's fields (the done ones are its own)`, () => {
    assert.equal(schemaFields(PATHS[type]), tableFields(type));
  });
}
for (const type of SERVICE_TYPES) {
  fields(`${type}: the Service manifest's schema has exactly the table's fields`, () => {
    assert.equal(schemaFields(SERVICE_PATHS[type], ServiceManifest), tableFields(type));
  });
}

fields('init containers have the same fields as containers', () => {
  assert.equal(schemaFields(['spec', 'initContainers']), tableFields('Container'));
});

fields('the README prints the table as it is in the code', () => {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END) + END.length);
  assert.is(section, renderFieldsTable(), 'run: node --import tsx scripts/fields-table.ts');
});

const app = { name: 'app', image: 'podling-test/busybox:latest' };

/** A valid pod with `value` set at `field` of the given type's object. */
function podWith(type: PodType, field: string, value: unknown): Record<string, unknown> {
  const container: Record<string, unknown> = { ...app };
  const volume: Record<string, unknown> = { name: 'v', emptyDir: {} };
  const metadata: Record<string, unknown> = { name: 'p' };
  const spec: Record<string, unknown> = { containers: [container], volumes: [volume] };
  const pod: Record<string, unknown> = { metadata, spec };
  const inner: Partial<Record<FieldType, Record<string, unknown>>> = {
    Pod: pod, ObjectMeta: metadata, PodSpec: spec, Container: container, Volume: volume,
    ContainerPort: { containerPort: 80 }, EnvVar: { name: 'E' }, ResourceRequirements: {}, VolumeMount: { name: 'v', mountPath: '/v' },
    EnvVarSource: {}, VolumeProjection: {},
    SecurityContext: {}, PodSecurityContext: {},
    Lifecycle: {}, LifecycleHandler: {},
  };
  const target = inner[type]!;
  target[field] = value;
  if (type === 'ContainerPort') container.ports = [target];
  if (type === 'EnvVar') container.env = [target];
  if (type === 'ResourceRequirements') container.resources = target;
  if (type === 'VolumeMount') container.volumeMounts = [target];
  if (type === 'EnvVarSource') container.env = [{ name: 'E', valueFrom: target }];
  if (type === 'VolumeProjection') {
    delete volume.emptyDir;
    volume.projected = { sources: [target] };
  }
  if (type === 'SecurityContext') container.securityContext = target;
  if (type === 'PodSecurityContext') spec.securityContext = target;
  if (type === 'Lifecycle') container.lifecycle = target;
  if (type === 'LifecycleHandler') container.lifecycle = { preStop: target };
  return pod;
}

const where = (type: PodType, field: string) => ({
  Pod: field, ObjectMeta: `metadata.${field}`, PodSpec: `spec.${field}`, Container: `spec.containers.0.${field}`,
  Volume: `spec.volumes.0.${field}`, ContainerPort: `spec.containers.0.ports.0.${field}`, EnvVar: `spec.containers.0.env.0.${field}`,
  ResourceRequirements: `spec.containers.0.resources.${field}`, VolumeMount: `spec.containers.0.volumeMounts.0.${field}`,
  EnvVarSource: `spec.containers.0.env.0.valueFrom.${field}`, VolumeProjection: `spec.volumes.0.projected.sources.0.${field}`,
  PodDNSConfig: `spec.dnsConfig.${field}`, PodDNSConfigOption: `spec.dnsConfig.options.0.${field}`, HostAlias: `spec.hostAliases.0.${field}`,
  SecurityContext: `spec.containers.0.securityContext.${field}`, PodSecurityContext: `spec.securityContext.${field}`,
  // Types whose fields are all done: no notice or refused field is ever set in them.
  Capabilities: '', SeccompProfile: '', AppArmorProfile: '', Sysctl: '',
  Lifecycle: `spec.containers.0.lifecycle.${field}`, LifecycleHandler: `spec.containers.0.lifecycle.preStop.${field}`,
})[type];

const byGroup = (group: FieldRule['group']) => POD_TYPES.flatMap((type) =>
  Object.entries(FIELDS[type] as Record<string, FieldRule>).filter(([, rule]) => rule.group === group).map(([field, rule]) => ({ type, field, rule })));

fields('every notice field is accepted, kept, and named in one notice line with its reason', () => {
  const notices = byGroup('notice');
  assert.ok(notices.length >= 10, `${notices.length} notice fields`);
  for (const { type, field, rule } of notices) {
    const value = { some: ['value'] };
    const pod = parsePod(podWith(type, field, value));
    const kept = where(type, field).split('.').reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], pod);
    assert.equal(kept, value, `${where(type, field)} kept`);
    const lines = podNotices(pod);
    assert.equal(lines, [`${where(type, field).replace(/\.(\d+)\./g, '[$1].')}: accepted, has no effect here (${rule.why})`]);
  }
});

fields('a pod with no notice field has no notices', () => {
  assert.equal(podNotices(parsePod({ metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [app], restartPolicy: 'Never' } })), []);
});

const refusedCases = byGroup('refused').map(({ type, field, rule }) => ({ input: podWith(type, field, {}), at: where(type, field), rule }));

fields('every refused field is one problem naming the field and why', () => {
  assert.ok(refusedCases.length >= 20, `${refusedCases.length} refused fields`);
  for (const { input, at, rule } of refusedCases) {
    try {
      parsePod(input);
      assert.unreachable(`${at} accepted`);
    } catch (err) {
      assert.instance(err, PodSpecError, at);
      const reason = rule.why.startsWith('not supported') ? rule.why : `not supported: ${rule.why}`;
      assert.equal((err as PodSpecError).problems, [`${at}: ${reason}`]);
    }
  }
});

fields('a refused field sends nothing to the engine', () => assertRefusedWithoutSending(refusedCases.map(({ input, at }) => [at, input])));

fields('server-set metadata and status are accepted and dropped, as the API server drops them', () => {
  const pod = parsePod({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', uid: 'abc', resourceVersion: '7', creationTimestamp: '2026-01-01T00:00:00Z', labels: { a: 'b' } },
    spec: { containers: [app] },
    status: { phase: 'Running', podIP: '10.0.0.1' },
  });
  assert.equal(pod.metadata, { name: 'p', labels: { a: 'b' } });
  assert.not.ok('status' in pod);
});

fields('a misspelt notice field is still an unknown field with a hint, not a notice', () => {
  try {
    parsePod({ metadata: { name: 'p' }, spec: { containers: [app], tolerration: [] } });
    assert.unreachable('accepted');
  } catch (err) {
    assert.equal((err as PodSpecError).problems, ['spec.tolerration: unknown field (did you mean "tolerations"?)']);
  }
});

/** A valid Service manifest with `value` at `field` of the given type's object. */
function serviceWith(type: ServiceType, field: string, value: unknown): Record<string, unknown> {
  const port: Record<string, unknown> = { port: 80 };
  const spec: Record<string, unknown> = { selector: { app: 'x' }, ports: [port] };
  const service: Record<string, unknown> = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec };
  ({ Service: service, ServiceSpec: spec, ServicePort: port })[type][field] = value;
  return service;
}
const serviceWhere = (type: ServiceType, field: string) => ({ Service: field, ServiceSpec: `spec.${field}`, ServicePort: `spec.ports.0.${field}` })[type];
const serviceRules = (group: FieldRule['group']) => SERVICE_TYPES.flatMap((type) =>
  Object.entries(FIELDS[type] as Record<string, FieldRule>).filter(([, rule]) => rule.group === group).map(([field, rule]) => ({ type, field, rule })));

fields('every notice field of a Service is accepted and named in one notice line; every refused one is one problem with its reason', () => {
  for (const { type, field, rule } of serviceRules('notice')) {
    const parsed = ServiceManifest.parse(serviceWith(type, field, 'X'));
    assert.equal(serviceNotices(parsed), [`${serviceWhere(type, field)}: accepted, has no effect here (${rule.why})`]);
  }
  for (const { type, field, rule } of serviceRules('refused')) {
    const result = ServiceManifest.safeParse(serviceWith(type, field, 'X'));
    assert.not.ok(result.success, `${type}.${field} accepted`);
    assert.equal(result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`), [`${serviceWhere(type, field)}: not supported: ${rule.why}`]);
  }
});

fields.run();
