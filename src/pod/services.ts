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

/**
 * Services: a name, a label selector and a port. Stored in the engine as the labels of a container
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
  port: z.number().int().min(1, 'port must be 1-65535').max(65535, 'port must be 1-65535'),
  targetPort: z.number().int().min(1, 'targetPort must be 1-65535').max(65535, 'targetPort must be 1-65535').optional(),
  protocol: z.enum(['TCP', 'UDP']).default('TCP'),
});
export type ServiceSpec = z.infer<typeof ServiceSpec>;

export interface ServiceObject {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: { name: string; namespace: string; creationTimestamp?: string };
  spec: { selector: Record<string, string>; ports: { port: number; targetPort: number; protocol: string }[] };
  /** `podIP:targetPort` of every running pod the selector matches, computed when asked. */
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
  const result = ServiceSpec.safeParse(value);
  if (result.success) return result.data;
  throw new ServiceSpecError(`invalid service: ${result.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')}`);
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
      Labels: { [LABEL.managed]: 'true', [LABEL.type]: 'service', [LABEL.service]: spec.name, ...namespaceLabel(namespace), [LABEL.serviceSpec]: JSON.stringify(spec) },
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
      return [{ ...ServiceSpec.parse(JSON.parse(c.Labels?.[LABEL.serviceSpec] ?? '')), created: new Date(c.Created * 1000).toISOString() }];
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

export async function getService(engine: Engine, name: string, options: Signal & { namespace?: string } = {}): Promise<ServiceObject> {
  if (!dnsLabel('service name').safeParse(name).success) throw new ServiceSpecError(`invalid service name "${name}"`);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const found = (await listServices(engine, { ...options, namespace })).find((s) => s.metadata.name === name);
  if (!found) throw new ServiceError('not-found', `service "${name}" not found${inNamespace(namespace)}`);
  return found;
}

export async function deleteService(engine: Engine, name: string, cluster: string, options: Signal & { namespace?: string } = {}): Promise<void> {
  if (!dnsLabel('service name').safeParse(name).success) throw new ServiceSpecError(`invalid service name "${name}"`);
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
  const targetPort = s.targetPort ?? s.port;
  const namespace = namespaceOfService(s);
  const requirements = selectorOf(s);
  // Exactly the pods whose cluster endpoint carries the service's name, so the list is what DNS
  // answers: isolated and hostNetwork pods have no endpoint on the cluster network.
  const endpoints = pods
    .filter((p) => p.metadata.namespace === namespace && isReady(p) && p.status.podIP && p.metadata.annotations[ANNOTATION_ISOLATED] !== 'true'
      && !('hostNetwork' in p.spec && p.spec.hostNetwork) && matches(requirements, p.metadata.labels))
    .map((p) => `${p.status.podIP}:${targetPort}`)
    .sort();
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace, creationTimestamp: s.created },
    spec: { selector: s.selector, ports: [{ port: s.port, targetPort, protocol: s.protocol }] },
    endpoints,
  };
}
