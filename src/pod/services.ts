import { z } from 'zod';
import type { Engine } from '../engine/index.js';
import { isConflict, isNotFound } from '../engine/errors.js';
import { PodError, throwIfAborted } from './errors.js';
import { DEFAULT_NAMESPACE, LABEL, managedFilter, namespaceLabel, qualifiedName } from './labels.js';
import { ANNOTATION_ISOLATED, dnsLabel, validKey, validLabelValue } from './spec.js';
import { matches, type Requirement } from './selector.js';
import { isReady, readPods, summarizeAll, type PodObject } from './read.js';
import { syncAliases } from './aliases.js';
import type { PodRuntime } from './runtime.js';

const portNumber = (what: string) => z.number().int(`${what} must be a whole number`).min(1, `${what} must be 1-65535`).max(65535, `${what} must be 1-65535`);
/** Kubernetes' IANA_SVC_NAME: how a container port is named, and so how a targetPort names one. */
const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export const ServicePortSpec = z.strictObject({
  name: dnsLabel('port name').optional(),
  port: portNumber('port'),
  /** A number, or the name of a container port of each selected pod (pods without it are no endpoint of this port). */
  targetPort: z.union([portNumber('targetPort'), z.string().regex(PORT_NAME, 'targetPort must be a port number or a port name (at most 15 of a-z, 0-9 and \'-\', with a letter)')]).optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP'], { error: 'protocol must be TCP, UDP or SCTP' }).default('TCP'),
  appProtocol: z.string().optional(),
});
export type ServicePortSpec = z.infer<typeof ServicePortSpec>;

/**
 * Services: a name, a label selector and ports. Stored in the engine as the labels of a container
 * that is created but never started (named `podling_service_<name>`): the engine's unique
 * container names make "create" atomic, any process can read it back, and it holds no network
 * address. The name resolves through Docker's DNS, as an alias on the cluster network of every
 * selected pod; DNS answers carry addresses, not ports, so clients connect to the target port.
 */
export const ServiceSpec = z.strictObject({
  name: dnsLabel('service name'),
  /** Its pods are those of this namespace (`default` when absent). */
  namespace: dnsLabel('namespace').optional(),
  // Keys and values as pod labels allow them: a selector no label can match is a mistake, not a
  // service that quietly never has endpoints.
  selector: z.record(z.string(), z.string()).superRefine((selector, ctx) => {
    if (!Object.keys(selector).length) ctx.addIssue({ code: 'custom', message: 'a service needs a non-empty selector' });
    for (const [key, value] of Object.entries(selector)) {
      if (!validKey(key)) ctx.addIssue({ code: 'custom', message: `invalid label key "${key}"` });
      else if (!validLabelValue(value)) ctx.addIssue({ code: 'custom', message: `invalid label value "${value}" (at most 63 of [A-Za-z0-9_.-], starting and ending alphanumeric)` });
    }
  }),
  ports: z.array(ServicePortSpec).min(1, 'a service needs at least one port'),
  /** Unready pods are endpoints too, and carry the name (Kubernetes' field of that name). */
  publishNotReadyAddresses: z.boolean().optional(),
  /** From a manifest: its labels and annotations, and the spec fields accepted with a notice, kept so it round-trips. */
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
}).superRefine((spec, ctx) => {
  if (spec.ports.length > 1) {
    spec.ports.forEach((p, i) => { if (!p.name) ctx.addIssue({ code: 'custom', path: ['ports', i, 'name'], message: 'a service with several ports names each of them' }); });
  }
  const seen = new Set<string>();
  spec.ports.forEach((p, i) => {
    for (const key of [`port ${p.port}/${p.protocol}`, ...(p.name ? [`name ${p.name}`] : [])]) {
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['ports', i], message: `duplicate ${key}` });
      seen.add(key);
    }
  });
});
export type ServiceSpec = z.infer<typeof ServiceSpec>;
export type ServiceInput = z.input<typeof ServiceSpec>;
/** The same with one port given beside the name, as the CLI's flags give it. */
export type OnePortServiceInput = Omit<ServiceInput, 'ports'> & { port: number; targetPort?: number | string; protocol?: 'TCP' | 'UDP' | 'SCTP' };

/** The one-port form the CLI's flags and older stored services use: `port`, `targetPort`, `protocol` beside the name. */
const OnePort = z.object({ port: z.unknown(), targetPort: z.unknown().optional(), protocol: z.unknown().optional() }).loose();
function portsOf(value: unknown): unknown {
  const flat = OnePort.safeParse(value);
  if (!flat.success || (value as { ports?: unknown }).ports !== undefined) return value;
  const { port, targetPort, protocol, ...rest } = flat.data;
  return { ...rest, ports: [{ port, ...(targetPort === undefined ? {} : { targetPort }), ...(protocol === undefined ? {} : { protocol }) }] };
}

export interface ServiceObject {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string };
  spec: { selector: Record<string, string>; ports: { name?: string; port: number; targetPort: number | string; protocol: string; appProtocol?: string }[]; publishNotReadyAddresses?: boolean } & Record<string, unknown>;
  /** `podIP:targetPort` of every pod the selector matches that is ready (or, with publishNotReadyAddresses, running), computed when asked. */
  endpoints: string[];
}

/** A service that does not exist (`not-found`), or exists already (`already-exists`). */
export class ServiceError extends PodError {
  override readonly name = 'ServiceError';
}

/** A bad service definition: nothing was sent to the engine. */
export class ServiceSpecError extends PodError {
  override readonly name = 'ServiceSpecError';
  constructor(message: string) {
    super('invalid', message);
  }
}

const serviceContainer = (name: string, namespace?: string) => `podling_service_${qualifiedName(name, namespace)}`;

export function parseService(value: unknown): ServiceSpec {
  const input = portsOf(value);
  const result = ServiceSpec.safeParse(input);
  if (result.success) return result.data;
  // The one-port form's problems are named as it was given (`port`, not `ports.0.port`).
  const given = input === value ? (path: PropertyKey[]) => path : (path: PropertyKey[]) => (path[0] === 'ports' && path[1] === 0 ? path.slice(2) : path);
  throw new ServiceSpecError(`invalid service: ${result.error.issues.map((i) => { const at = given(i.path); return at.length ? `${at.join('.')}: ${i.message}` : i.message; }).join('; ')}`);
}

export const selectorOf = (spec: ServiceSpec): Requirement[] => Object.entries(spec.selector).map(([key, value]) => ({ key, op: '=', value }));

type Signal = { signal?: AbortSignal };

export async function createService(runtime: PodRuntime, input: unknown, options: Signal = {}): Promise<ServiceObject> {
  const { engine } = runtime;
  const cluster = runtime.cluster.name;
  const spec = parseService(input);
  const namespace = spec.namespace ?? DEFAULT_NAMESPACE;
  throwIfAborted(options.signal, `service ${spec.name}`);
  const image = await runtime.ensureInfraImage();
  try {
    await engine.containers.create({
      Image: image,
      Labels: { [LABEL.managed]: 'true', [LABEL.type]: 'service', [LABEL.service]: spec.name, ...namespaceLabel(namespace), [LABEL.serviceSpec]: JSON.stringify(spec), [LABEL.creator]: runtime.creator },
      HostConfig: { NetworkMode: 'none' },
    }, { name: serviceContainer(spec.name, namespace), ...options });
  } catch (err) {
    if (isConflict(err)) throw new ServiceError('already-exists', `service "${spec.name}" already exists${inNamespace(namespace)}`);
    throw err;
  }
  await syncAliases(engine, cluster, await readServices(engine, options), options);
  return getService(engine, spec.name, { ...options, namespace });
}

export async function readServices(engine: Engine, options: Signal = {}): Promise<(ServiceSpec & { created?: string })[]> {
  const containers = await engine.containers.list({ all: true, filters: managedFilter([`${LABEL.type}=service`]), ...options });
  return containers.flatMap((c) => {
    try {
      return [{ ...ServiceSpec.parse(portsOf(JSON.parse(c.Labels?.[LABEL.serviceSpec] ?? ''))), created: new Date(c.Created * 1000).toISOString() }];
    } catch {
      return []; // a hand-edited label: not a service we can serve
    }
  }).sort((a, b) => a.name.localeCompare(b.name));
}

/** Endpoints of every service (of one namespace, or all when none is given), from one read of the pods. */
export async function listServices(engine: Engine, options: Signal & { namespace?: string | undefined } = {}): Promise<ServiceObject[]> {
  const [services, records] = await Promise.all([readServices(engine, options), readPods(engine, options)]);
  const pods = await summarizeAll(engine, records, options);
  return services.filter((s) => options.namespace === undefined || namespaceOfService(s) === options.namespace).map((s) => toObject(s, pods));
}

/** A service name as get and delete take it: refused before anything is sent. */
export function checkServiceName(name: string): void {
  if (!dnsLabel('service name').safeParse(name).success) throw new ServiceSpecError(`invalid service name "${name}"`);
}

export async function getService(engine: Engine, name: string, options: Signal & { namespace?: string } = {}): Promise<ServiceObject> {
  checkServiceName(name);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const found = (await listServices(engine, { ...options, namespace })).find((s) => s.metadata.name === name);
  if (!found) throw new ServiceError('not-found', `service "${name}" not found${inNamespace(namespace)}`);
  return found;
}

export async function deleteService(engine: Engine, name: string, cluster: string, options: Signal & { namespace?: string } = {}): Promise<void> {
  checkServiceName(name);
  try {
    await engine.containers.remove(serviceContainer(name, options.namespace), { force: true, signal: options.signal });
  } catch (err) {
    if (isNotFound(err)) throw new ServiceError('not-found', `service "${name}" not found${inNamespace(options.namespace ?? DEFAULT_NAMESPACE)}`);
    throw err;
  }
  await syncAliases(engine, cluster, await readServices(engine, options), options);
}

const namespaceOfService = (s: ServiceSpec) => s.namespace ?? DEFAULT_NAMESPACE;
const inNamespace = (namespace: string) => (namespace === DEFAULT_NAMESPACE ? '' : ` in namespace "${namespace}"`);

function toObject(s: ServiceSpec & { created?: string }, pods: PodObject[]): ServiceObject {
  const namespace = namespaceOfService(s);
  const requirements = selectorOf(s);
  const ports = s.ports.map((p) => ({ ...p, targetPort: p.targetPort ?? p.port }));
  // Exactly the pods whose cluster endpoint carries the service's name, so the list is what DNS
  // answers: isolated and hostNetwork pods have no endpoint on the cluster network.
  const selected = pods.filter((p) => p.metadata.namespace === namespace && (s.publishNotReadyAddresses ? p.status.phase === 'Running' : isReady(p))
    && p.status.podIP && p.metadata.annotations[ANNOTATION_ISOLATED] !== 'true'
    && !('hostNetwork' in p.spec && p.spec.hostNetwork) && matches(requirements, p.metadata.labels));
  const endpoints = [...new Set(selected.flatMap((p) => ports.flatMap((port) => {
    const target = typeof port.targetPort === 'number' ? port.targetPort : namedPort(p, port.targetPort);
    return target === undefined ? [] : [`${p.status.podIP}:${target}`];
  })))].sort();
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace, ...(s.labels ? { labels: s.labels } : {}), ...(s.annotations ? { annotations: s.annotations } : {}), creationTimestamp: s.created },
    spec: { ...s.extra, selector: s.selector, ports, ...(s.publishNotReadyAddresses !== undefined ? { publishNotReadyAddresses: s.publishNotReadyAddresses } : {}) },
    endpoints,
  };
}

/** The number of the container port a pod names so, as Kubernetes resolves a named targetPort. */
function namedPort(pod: PodObject, name: string): number | undefined {
  const containers = pod.spec.containers as { ports?: { name?: string; containerPort: number }[] }[];
  return containers.flatMap((c) => c.ports ?? []).find((p) => p.name === name)?.containerPort;
}
