import type { Engine } from '../engine/index.js';
import type { Output } from '../engine/streams/output.js';
import { createPod, type CreateOptions } from './create.js';
import { deletePod, type DeleteOptions } from './delete.js';
import { podLogs, selectContainers, type LogLine, type PodLogOptions } from './logs.js';
import { prune, type PruneReport } from './prune.js';
import { describe, describeCreated, findPod, readPods, summarizeAll, type PodObject } from './read.js';
import { matches, parseSelector } from './selector.js';
import { parsePod, podKey, type Pod, type PodInput } from './spec.js';
import { DEFAULT_NAMESPACE, LABEL, managedFilter, namespaceFrom, qualifiedName } from './labels.js';
import { clusterNetworkFrom, type ClusterNetwork } from './cluster.js';
import { PodError } from './errors.js';
import { PodRuntime } from './runtime.js';
import { podNetworkFrom, type PodNetworkMode } from './pod-network.js';
import { watchPods, type PodChange } from './watch.js';
import { createService, deleteService, getService, listServices, readServices, type OnePortServiceInput, type ServiceInput, type ServiceObject, type ServiceSpec } from './services.js';
import { createConfigMap, deleteConfigMap, getConfigMap, listConfigMaps, replaceConfigMap, type ConfigMapObject, type Scope } from './configmaps.js';
import { createSecret, deleteSecret, getSecret, listSecrets, replaceSecret, type SecretObject, type SecretRead, type SecretSummary } from './secrets.js';
import type { ConfigMapInput, SecretInput } from './config-spec.js';

export interface PodsOptions {
  /** Tests that record fixtures pass a deterministic id generator and creator: both appear in requests. */
  newId?: () => string;
  creator?: string;
  /** The shared network pods reach each other on (default `podling-cluster`, on the first free /16 from 10.211.0.0/16). */
  cluster?: Partial<ClusterNetwork>;
  /**
   * The network mode of pods that name none with the `podling.io/network` annotation: `cluster`
   * (the default: the cluster network only) or `own` (also a bridge of the pod's own); else
   * PODLING_POD_NETWORK. See pod-network.ts.
   */
  podNetwork?: PodNetworkMode;
}

type Signal = { signal?: AbortSignal };
/** Which namespace a name is looked up in: `default` unless given, as kubectl does. */
type InNamespace = { namespace?: string };
/** Which namespaces a list covers: one (`default` unless given) or all of them. */
type Namespaces = { namespace?: string; allNamespaces?: boolean };
const listed = (options: Namespaces) => (options.allNamespaces ? undefined : options.namespace ?? DEFAULT_NAMESPACE);

/**
 * Pods on one engine. State lives in the engine's labels, so any process sees the same pods.
 * Every operation takes an AbortSignal; creates and deletes of one pod run one after another, at
 * most eight pods at once (see gate.ts), through the runtime they share with an agent.
 */
export class Pods {
  readonly cluster: ClusterNetwork;
  readonly runtime: PodRuntime;

  constructor(readonly engine: Engine, private readonly defaults: PodsOptions = {}) {
    this.cluster = clusterNetworkFrom(process.env, defaults.cluster);
    this.runtime = new PodRuntime(engine, this.cluster, { podNetwork: podNetworkFrom(process.env, defaults.podNetwork), creator: defaults.creator });
  }

  /**
   * Validates the spec (no engine call when it is bad), runs the pod, and returns it as read back:
   * what `get` would answer, from inspects of the containers it made (no list).
   */
  async create(input: PodInput | Pod, options: CreateOptions = {}): Promise<PodObject> {
    const pod = parsePod(input);
    const id = this.defaults.newId?.(); // taken in call order, before any waiting
    return this.runtime.serial(podKey(pod), async () => {
      const created = await createPod(this.runtime, pod, { id, ...options });
      return describeCreated(this.engine, pod, created, options);
    });
  }

  /** One pod by name (in its namespace) or id, with exact container states. */
  async get(ref: string, options: Signal & InNamespace = {}): Promise<PodObject> {
    return describe(this.engine, await findPod(this.engine, ref, options), options);
  }

  /** All pods, optionally filtered by a label selector (`app=web,tier!=db`); one engine call. */
  async list(options: { selector?: string } & Namespaces & Signal = {}): Promise<PodObject[]> {
    const requirements = options.selector === undefined ? [] : parseSelector(options.selector);
    const records = await readPods(this.engine, { signal: options.signal, namespace: listed(options) });
    return (await summarizeAll(this.engine, records, options)).filter((p) => matches(requirements, p.metadata.labels));
  }

  /** The pods (by selector or name) now, and each change as it happens until the signal aborts (see watch.ts). */
  watch(options: { selector?: string; name?: string } & Namespaces & Signal = {}): Promise<{ pods: PodObject[]; changes: AsyncGenerator<PodChange> }> {
    const requirements = options.selector === undefined ? [] : parseSelector(options.selector);
    return watchPods(this.engine, { name: options.name, signal: options.signal, requirements, namespace: listed(options) });
  }

  /**
   * Queued under the name it was asked by (a pod's name, the usual case, queues it behind a create
   * of that name), and read once, when its turn comes: what it deletes is what is there then.
   */
  async delete(ref: string, options: DeleteOptions & Signal & InNamespace = {}): Promise<void> {
    await this.runtime.serial(qualifiedName(ref, options.namespace), async () => deletePod(this.engine, await findPod(this.engine, ref, options), options));
  }

  async *logs(ref: string, options: PodLogOptions & InNamespace = {}): AsyncGenerator<LogLine> {
    yield* podLogs(this.engine, await findPod(this.engine, ref, options), options);
  }

  /** Runs a command in one of the pod's containers (the first when none is named). */
  async exec(ref: string, cmd: string[], options: { container?: string; stdin?: NodeJS.ReadableStream | string; tty?: boolean } & Signal & InNamespace = {}): Promise<{ output: Output; exitCode: () => Promise<number> }> {
    const record = await findPod(this.engine, ref, options);
    const target = selectContainers(record, options.container)[0];
    if (!target) throw new PodError('not-found', `pod ${record.name} has no containers`);
    const call = { signal: options.signal };
    const { Id } = await this.engine.exec.create(target.id, { Cmd: cmd, Tty: options.tty, AttachStdin: options.stdin !== undefined }, call);
    const output = await this.engine.exec.start(Id, { tty: options.tty, stdin: options.stdin as string | undefined, ...call });
    return { output, exitCode: async () => (await this.engine.exec.inspect(Id, call)).ExitCode ?? -1 };
  }

  /** A service: pods selected by label, reachable under its name from every pod on the cluster network. */
  createService(spec: ServiceInput | OnePortServiceInput, options: Signal = {}): Promise<ServiceObject> {
    return createService(this.runtime, spec, options);
  }

  getService(name: string, options: Signal & InNamespace = {}): Promise<ServiceObject> {
    return getService(this.engine, name, options);
  }

  listServices(options: Signal & Namespaces = {}): Promise<ServiceObject[]> {
    return listServices(this.engine, { signal: options.signal, namespace: listed(options) });
  }

  deleteService(name: string, options: Signal & InNamespace = {}): Promise<void> {
    return deleteService(this.engine, name, this.cluster.name, options);
  }

  /**
   * ConfigMaps and Secrets, kept in the engine (see store.ts), in the namespace their manifest
   * names (`default` when none); the readers take `{ namespace }` (`default` unless given), and
   * `list` takes `{ allNamespaces: true }` too, as for pods.
   */
  createConfigMap(input: ConfigMapInput, options: Signal = {}): Promise<ConfigMapObject> {
    return createConfigMap(this.runtime, input, options);
  }

  getConfigMap(name: string, options: Scope = {}): Promise<ConfigMapObject> {
    return getConfigMap(this.engine, name, options);
  }

  listConfigMaps(options: Signal & Namespaces = {}): Promise<ConfigMapObject[]> {
    return listConfigMaps(this.engine, { signal: options.signal, namespace: listed(options) });
  }

  deleteConfigMap(name: string, options: Scope = {}): Promise<void> {
    return deleteConfigMap(this.engine, name, options);
  }

  /** The ConfigMap of the manifest's name and namespace, with new contents (refused when immutable). */
  replaceConfigMap(input: ConfigMapInput, options: Signal = {}): Promise<ConfigMapObject> {
    return replaceConfigMap(this.runtime, input, options);
  }

  /** Answers without the values (key names and sizes), as get and list do unless `reveal` is asked. */
  createSecret(input: SecretInput, options: Signal = {}): Promise<SecretSummary> {
    return createSecret(this.runtime, input, options);
  }

  getSecret(name: string, options: SecretRead = {}): Promise<SecretSummary | SecretObject> {
    return getSecret(this.engine, name, options);
  }

  listSecrets(options: Signal & Namespaces & { reveal?: boolean } = {}): Promise<Array<SecretSummary | SecretObject>> {
    return listSecrets(this.engine, { signal: options.signal, reveal: options.reveal, namespace: listed(options) });
  }

  deleteSecret(name: string, options: Scope = {}): Promise<void> {
    return deleteSecret(this.engine, name, options);
  }

  replaceSecret(input: SecretInput, options: Signal = {}): Promise<SecretSummary> {
    return replaceSecret(this.runtime, input, options);
  }

  prune(options: { all?: boolean } & Signal = {}): Promise<PruneReport> {
    return prune(this.engine, options);
  }

  /**
   * Every pod's name, namespace and stored spec (its JSON, as the infra's label keeps it), in one
   * engine call: what `apply` compares against (its last-applied digest), with no pod state read.
   */
  async specs(options: Signal = {}): Promise<Array<{ name: string; namespace: string; spec: string | undefined }>> {
    const infras = await this.engine.containers.list({ all: true, filters: managedFilter([`${LABEL.role}=infra`]), signal: options.signal });
    return infras.flatMap((c) => {
      const labels = c.Labels ?? {};
      const name = labels[LABEL.podName];
      return name ? [{ name, namespace: namespaceFrom(labels), spec: labels[LABEL.spec] }] : [];
    });
  }

  /** Every service's spec as stored, in one engine call (what `apply` compares services against). */
  serviceSpecs(options: Signal = {}): Promise<Array<ServiceSpec & { created?: string }>> {
    return readServices(this.engine, options);
  }
}

export { parsePod, loadPodFile, PodSpecError, type Pod, type PodInput } from './spec.js';
export { PodError, PodFailedError, PodNotFoundError, type PodErrorKind } from './errors.js';
export { SelectorError, parseSelector } from './selector.js';
export type { PodObject } from './read.js';
export type { PodChange } from './watch.js';
export type { LogLine } from './logs.js';
export type { PruneReport } from './prune.js';
export { ServiceError, ServiceSpecError, type OnePortServiceInput, type ServiceInput, type ServiceObject } from './services.js';
export { ANNOTATION_ISOLATED } from './spec.js';
export { ANNOTATION_NETWORK, DEFAULT_POD_NETWORK, POD_NETWORK_MODES, type PodNetworkMode } from './pod-network.js';
export { ConfigSpecError, parseConfigMap, parseSecret, type ConfigMapInput, type SecretInput } from './config-spec.js';
export type { ConfigMapObject } from './configmaps.js';
export type { SecretObject, SecretSummary } from './secrets.js';
