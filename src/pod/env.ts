import { PodFailedError } from './errors.js';
import { subscripted, type KeySelector, type ObjectFieldSelector, type ResourceFieldSelector } from './env-spec.js';
import { parseCpu, parseMemory } from './quantity.js';
import { ENV_NAME, type Container, type InitContainer, type Pod } from './spec.js';

/**
 * A container's environment as the kubelet makes it (makeEnvironmentVariables): `envFrom` first,
 * each source's keys with its prefix (keys that are no valid variable name are skipped, as there),
 * then `env` in order, each `value` expanded against the variables defined before it, each
 * `valueFrom` resolved (never expanded); a later name replaces an earlier one. Then `$(VAR)` in
 * command and args is expanded against the result. All pure: the values of ConfigMaps and
 * Secrets, the pod's addresses and the node's facts are read beforehand (env-sources.ts).
 */

/** What the downward API can tell a container about its pod and node. */
export interface PodFacts {
  name: string;
  namespace: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeName: string;
  serviceAccountName: string;
  podIPs: string[];
  hostIPs: string[];
  /** The node's CPUs (nano-cores) and memory (bytes): the limits of a container that sets none. */
  allocatable: { cpu: number; memory: number };
}

/** A ConfigMap's or Secret's values by key; undefined when there is no such object. */
export type ObjectValues = Map<string, Buffer> | undefined;
export interface PodSources { configMaps: Map<string, ObjectValues>; secrets: Map<string, ObjectValues> }

export interface ResolvedContainer {
  env: Array<[string, string]>;
  command?: string[];
  args?: string[];
  /** It carries a Secret's value (in env, or in a command through `$(VAR)`). */
  secret: boolean;
}

type AnyContainer = Container | InitContainer;

/** Kubernetes' `$(VAR)` expansion: `$$` is a literal `$`, an unknown or unterminated reference stays as written. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let at = 0;
  while (at < input.length) {
    const c = input[at]!;
    if (c !== '$' || at + 1 >= input.length) {
      out += c;
      at++;
      continue;
    }
    const next = input[at + 1]!;
    if (next === '$') {
      out += '$';
      at += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', at + 2);
      if (close < 0) {
        out += '$(';
        at += 2;
        continue;
      }
      const name = input.slice(at + 2, close);
      out += lookup(name) ?? `$(${name})`;
      at = close + 1;
    } else {
      // Any other character after `$` is copied with it, and not looked at again (so `$$$(` pairs up).
      out += `$${next}`;
      at += 2;
    }
  }
  return out;
}

/** A fieldRef's value; a label or annotation that is not there is empty, as in Kubernetes. */
export function fieldValue(selector: ObjectFieldSelector, facts: PodFacts): string {
  const sub = subscripted(selector.fieldPath);
  if (sub) return facts[sub[0]][sub[1]] ?? '';
  switch (selector.fieldPath) {
    case 'metadata.name': return facts.name;
    case 'metadata.namespace': return facts.namespace;
    case 'metadata.uid': return facts.uid;
    case 'metadata.labels': return formatMap(facts.labels);
    case 'metadata.annotations': return formatMap(facts.annotations);
    case 'spec.nodeName': return facts.nodeName;
    case 'spec.serviceAccountName': return facts.serviceAccountName;
    case 'status.podIP': return facts.podIPs[0] ?? '';
    case 'status.podIPs': return facts.podIPs.join(',');
    case 'status.hostIP': return facts.hostIPs[0] ?? '';
    case 'status.hostIPs': return facts.hostIPs.join(',');
    default: return '';
  }
}

/** The downward API's form of labels and annotations in a file: `key="value"` lines, sorted, values quoted as Go's %q. */
export function formatMap(map: Record<string, string>): string {
  return Object.keys(map).sort().map((k) => `${k}=${JSON.stringify(map[k])}`).join('\n');
}

/**
 * A resourceFieldRef's value (the kubelet's ExtractContainerResourceValue): the quantity divided
 * by the divisor, rounded up. A limit not set is the node's allocatable; a request not set is
 * the limit, when there is one, else 0 (cpu) or the node's memory.
 */
export function resourceValue(selector: ResourceFieldSelector, container: AnyContainer, facts: PodFacts): string {
  const [kind, resource] = selector.resource.split('.') as ['limits' | 'requests', 'cpu' | 'memory'];
  const parse = resource === 'cpu' ? parseCpu : parseMemory;
  const read = (q: string | number | undefined) => (q === undefined ? undefined : parse(q) as number);
  const limit = read(container.resources?.limits?.[resource]);
  const request = read(container.resources?.requests?.[resource]) ?? limit;
  const value = kind === 'limits' ? limit ?? facts.allocatable[resource] : request ?? (resource === 'cpu' ? 0 : facts.allocatable.memory);
  const divisor = parse(selector.divisor ?? '1') as number;
  return String(Math.ceil(value / divisor));
}

/** The container a resourceFieldRef reads: its own unless it names another of the pod. */
function resourceContainer(pod: Pod, own: AnyContainer, selector: ResourceFieldSelector): AnyContainer {
  if (!selector.containerName) return own;
  return [...pod.spec.initContainers ?? [], ...pod.spec.containers].find((c) => c.name === selector.containerName) ?? own;
}

const failure = (pod: Pod, container: AnyContainer, detail: string) =>
  new PodFailedError(pod.metadata.name, 'CreateContainerConfigError', `container ${container.name}: ${detail}`);

/** One key of a ConfigMap or Secret, or undefined when optional and missing; a required one missing fails. */
function keyValue(pod: Pod, container: AnyContainer, what: 'ConfigMap' | 'Secret', ref: KeySelector, values: ObjectValues, variable: string): string | undefined {
  if (values === undefined) {
    if (ref.optional) return undefined;
    throw failure(pod, container, `env ${variable}: ${what} "${ref.name}" not found`);
  }
  const value = values.get(ref.key);
  if (value === undefined) {
    if (ref.optional) return undefined;
    throw failure(pod, container, `env ${variable}: key "${ref.key}" not found in ${what} "${ref.name}"`);
  }
  return value.toString('utf8');
}

/**
 * `links` are the service variables the container will also get (service-links.ts): `$(VAR)` finds
 * them after the container's own, as the kubelet's mapping does, though they are not in `env`.
 */
export function resolveContainer(pod: Pod, container: AnyContainer, facts: PodFacts, sources: PodSources, links: Map<string, string> = new Map()): ResolvedContainer {
  const env = new Map<string, string>();
  let secret = false;
  for (const from of container.envFrom ?? []) {
    const [what, ref, values] = from.configMapRef
      ? ['ConfigMap', from.configMapRef, sources.configMaps.get(from.configMapRef.name)] as const
      : ['Secret', from.secretRef!, sources.secrets.get(from.secretRef!.name)] as const;
    if (values === undefined) {
      if (ref.optional) continue;
      throw failure(pod, container, `envFrom: ${what} "${ref.name}" not found`);
    }
    for (const [key, value] of values) {
      const name = `${from.prefix ?? ''}${key}`;
      if (!ENV_NAME.test(name)) continue; // the kubelet skips it too (and records an event)
      env.set(name, value.toString('utf8'));
      secret ||= what === 'Secret';
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    let value: string | undefined;
    if (!from) value = expand(variable.value, (name) => env.get(name) ?? links.get(name));
    else if (from.fieldRef) value = fieldValue(from.fieldRef, facts);
    else if (from.resourceFieldRef) value = resourceValue(from.resourceFieldRef, resourceContainer(pod, container, from.resourceFieldRef), facts);
    else if (from.configMapKeyRef) value = keyValue(pod, container, 'ConfigMap', from.configMapKeyRef, sources.configMaps.get(from.configMapKeyRef.name), variable.name);
    else if (from.secretKeyRef) {
      value = keyValue(pod, container, 'Secret', from.secretKeyRef, sources.secrets.get(from.secretKeyRef.name), variable.name);
      secret ||= value !== undefined;
    }
    if (value !== undefined) env.set(variable.name, value);
  }
  const lookup = (name: string) => env.get(name) ?? links.get(name);
  return {
    env: [...env],
    ...(container.command && { command: container.command.map((word) => expand(word, lookup)) }),
    ...(container.args && { args: container.args.map((word) => expand(word, lookup)) }),
    secret,
  };
}

/** Whether a container's environment may carry a Secret's value (so its create and inspects are marked sensitive). */
export const carriesSecret = (c: AnyContainer) => (c.envFrom ?? []).some((f) => f.secretRef) || (c.env ?? []).some((v) => v.valueFrom?.secretKeyRef);
export const podCarriesSecret = (pod: Pod | undefined) => (pod ? [...pod.spec.initContainers ?? [], ...pod.spec.containers].some(carriesSecret) : false);

/** Whether resolving changes anything: a container without env sources or `$` in its words is taken as written. */
export const needsResolving = (c: AnyContainer) => c.envFrom !== undefined
  || (c.env ?? []).some((v) => v.valueFrom || v.value.includes('$'))
  || [...c.command ?? [], ...c.args ?? []].some((word) => word.includes('$'));
