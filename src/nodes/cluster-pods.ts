import type { Engine } from '../engine/index.js';
import { isEngineError } from '../engine/errors.js';
import { isNotSwarmManager } from '../engine/swarm.js';
import type { Output } from '../engine/streams/output.js';
import type { CreateOptions } from '../pod/create.js';
import type { DeleteOptions } from '../pod/delete.js';
import { Pods, type LogLine, type PodInput, type PodsOptions } from '../pod/index.js';
import type { PodLogOptions } from '../pod/logs.js';
import type { PodObject } from '../pod/read.js';
import { checkServiceName, parseService, type OnePortServiceInput, type ServiceInput, type ServiceObject, type ServiceSpec } from '../pod/services.js';
import { parseSelector } from '../pod/selector.js';
import { parsePod, type Pod } from '../pod/spec.js';
import { parseConfigMap, parseSecret, type ConfigMapInput, type SecretInput } from '../pod/config-spec.js';
import type { ConfigMapObject, Scope } from '../pod/configmaps.js';
import type { SecretObject, SecretRead, SecretSummary } from '../pod/secrets.js';
import { PodError } from '../pod/errors.js';
import { readRecords } from './records.js';
import { Cluster, type NodeAnswer } from './cluster.js';
import type { ClusterNode } from './node.js';

/**
 * The pod API of one engine, answered by a swarm when the engine is a swarm manager with
 * registered nodes: what `podling pod …` and `service …` use, so every command works the same on
 * one engine and on many. Pods are placed on nodes, and found on whichever node holds
 * them; services, ConfigMaps and Secrets are written on every node (a pod reads them from its
 * own; a node that missed a write is brought up to date before a pod is made there, copies.ts).
 */
export class ClusterPods extends Pods {
  private spread: Promise<Cluster | undefined> | undefined;

  constructor(manager: Engine, private readonly onUnreachable: (node: ClusterNode, why: string) => void = () => {}, private readonly given?: Cluster, defaults: PodsOptions = {}) {
    super(manager, defaults);
  }

  /**
   * The swarm, if this engine is a swarm manager with at least one registered node (podling node
   * add); else undefined and every call is the engine's own, as before. Asked once, at the first
   * call (so a command line that is wrong is refused before anything is sent): one GET /swarm,
   * which only a manager answers (503 from a worker or an engine in no swarm, 404 from Podman). Not
   * GET /info, which says the same but costs 15 ms on dockerd and 200 ms on Podman 4.3, against 1.
   */
  swarm(): Promise<Cluster | undefined> {
    this.spread ??= this.given ? Promise.resolve(this.given) : (async () => {
      const manager = await this.engine.swarm.inspect().then(() => true, (err: unknown) => {
        if (isNotSwarmManager(err) || isEngineError(err, 'not-found')) return false;
        throw err;
      });
      if (!manager) return undefined;
      const cluster = new Cluster(this.engine, { network: this.cluster.name });
      if (!(await cluster.nodes()).some((n) => n.engine)) return undefined;
      return cluster;
    })();
    return this.spread;
  }

  /** Says which nodes did not answer; a node's own refusal (not found, say) is an answer, not silence. */
  private report<T>(answers: NodeAnswer<T>[]): NodeAnswer<T>[] {
    for (const a of answers) if (a.error && !(a.cause instanceof PodError)) this.onUnreachable(a.node, a.error);
    return answers;
  }

  override async create(input: PodInput | Pod, options: CreateOptions = {}): Promise<PodObject> {
    const pod = parsePod(input);
    const nodes = await this.swarm();
    if (!nodes) return super.create(pod, options);
    const made = await nodes.create(pod, options);
    return onNode(made.pod, made.node);
  }

  override async get(ref: string, options: { signal?: AbortSignal; namespace?: string } = {}): Promise<PodObject> {
    const nodes = await this.swarm();
    if (!nodes) return super.get(ref, options);
    const { node, pod } = await nodes.find(ref, options);
    return onNode(pod, node.name);
  }

  override async list(options: { selector?: string; namespace?: string; allNamespaces?: boolean; signal?: AbortSignal } = {}): Promise<PodObject[]> {
    if (options.selector !== undefined) parseSelector(options.selector); // a bad one is refused before anything is sent
    const nodes = await this.swarm();
    if (!nodes) return super.list(options);
    const answers = this.report(await nodes.list(options));
    return answers.flatMap((a) => (a.value ?? []).map((p) => onNode(p, a.node.name)));
  }

  override async delete(ref: string, options: DeleteOptions & { namespace?: string } = {}): Promise<void> {
    const nodes = await this.swarm();
    if (!nodes) return super.delete(ref, options);
    await nodes.delete(ref, options);
  }

  override async *logs(ref: string, options: PodLogOptions & { namespace?: string } = {}): AsyncGenerator<LogLine> {
    const nodes = await this.swarm();
    if (!nodes) return yield* super.logs(ref, options);
    const { node } = await nodes.find(ref, options);
    yield* nodes.podsOn(node).logs(ref, options);
  }

  override async exec(ref: string, cmd: string[], options: { container?: string; stdin?: NodeJS.ReadableStream | string; tty?: boolean; signal?: AbortSignal; namespace?: string } = {}): Promise<{ output: Output; exitCode: () => Promise<number> }> {
    const nodes = await this.swarm();
    if (!nodes) return super.exec(ref, cmd, options);
    const { node } = await nodes.find(ref, options);
    return nodes.podsOn(node).exec(ref, cmd, options);
  }

  override async createService(spec: ServiceInput | OnePortServiceInput, options: { signal?: AbortSignal } = {}): Promise<ServiceObject> {
    parseService(spec);
    const nodes = await this.swarm();
    if (!nodes) return super.createService(spec, options);
    const answers = this.report(await nodes.createService(spec, options));
    const made = answers.find((a) => a.value);
    if (!made) throw new Error(answers.map((a) => `${a.node.name}: ${a.error}`).join('; ') || 'the swarm has no nodes with an engine address');
    return made.value!;
  }

  override async deleteService(name: string, options: { signal?: AbortSignal; namespace?: string } = {}): Promise<void> {
    checkServiceName(name);
    const nodes = await this.swarm();
    if (!nodes) return super.deleteService(name, options);
    const answers = this.report(await nodes.deleteService(name, options));
    const failed = answers.filter((a) => a.error && !/not found/i.test(a.error));
    if (failed.length === answers.length && failed.length) throw new Error(failed.map((a) => `${a.node.name}: ${a.error}`).join('; '));
  }

  override async listServices(options: { signal?: AbortSignal; namespace?: string; allNamespaces?: boolean } = {}): Promise<ServiceObject[]> {
    const nodes = await this.swarm();
    if (!nodes) return super.listServices(options);
    const answers = this.report(await nodes.fanOut((pods, _n, signal) => pods.listServices({ ...options, signal }), options));
    // Every node holds every service, and sees only its own pods: the endpoints are all nodes' together.
    const merged = new Map<string, ServiceObject>();
    for (const a of answers) {
      for (const svc of a.value ?? []) {
        const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
        const have = merged.get(key);
        merged.set(key, have ? { ...have, endpoints: [...new Set([...have.endpoints, ...svc.endpoints])].sort() } : svc);
      }
    }
    return [...merged.values()];
  }

  override async getService(name: string, options: { signal?: AbortSignal; namespace?: string } = {}): Promise<ServiceObject> {
    checkServiceName(name);
    const nodes = await this.swarm();
    if (!nodes) return super.getService(name, options);
    const answers = this.report(await nodes.fanOut((pods, _n, signal) => pods.getService(name, { ...options, signal }), options));
    const found = answers.flatMap((a) => (a.value ? [a.value] : []));
    if (!found.length) throw this.failure(answers, answers, `read service ${name}`);
    return { ...found[0]!, endpoints: [...new Set(found.flatMap((s) => s.endpoints))].sort() };
  }

  override async specs(options: { signal?: AbortSignal } = {}): Promise<Array<{ name: string; namespace: string; spec: string | undefined }>> {
    const nodes = await this.swarm();
    if (!nodes) return super.specs(options);
    // The swarm's records hold each pod's spec as it was created, wherever it runs.
    return (await readRecords(this.engine, {}, options)).map((r) => ({ name: r.name, namespace: r.namespace, spec: JSON.stringify(r.pod) }));
  }

  override async serviceSpecs(options: { signal?: AbortSignal } = {}): Promise<Array<ServiceSpec & { created?: string }>> {
    const nodes = await this.swarm();
    if (!nodes) return super.serviceSpecs(options);
    return this.first(await nodes.fanOut((pods, _n, signal) => pods.serviceSpecs({ signal }), options), 'read services');
  }

  // ConfigMaps and Secrets are kept per engine, so each is written on every node (a pod reads them
  // from its own node's engine) and read from the first node that answers.
  override async createConfigMap(input: ConfigMapInput, options: { signal?: AbortSignal } = {}): Promise<ConfigMapObject> {
    parseConfigMap(input);
    const nodes = await this.swarm();
    if (!nodes) return super.createConfigMap(input, options);
    return this.all(await nodes.fanOut((pods, _n, signal) => pods.createConfigMap(input, { signal }), options), 'create the ConfigMap');
  }

  override async replaceConfigMap(input: ConfigMapInput, options: { signal?: AbortSignal } = {}): Promise<ConfigMapObject> {
    parseConfigMap(input);
    const nodes = await this.swarm();
    if (!nodes) return super.replaceConfigMap(input, options);
    return this.all(await nodes.fanOut((pods, _n, signal) => pods.replaceConfigMap(input, { signal }), options), 'replace the ConfigMap');
  }

  override async getConfigMap(name: string, options: Scope = {}): Promise<ConfigMapObject> {
    const nodes = await this.swarm();
    if (!nodes) return super.getConfigMap(name, options);
    return this.first(await nodes.fanOut((pods, _n, signal) => pods.getConfigMap(name, { ...options, signal }), options), `read ConfigMap ${name}`);
  }

  override async listConfigMaps(options: { signal?: AbortSignal; namespace?: string; allNamespaces?: boolean } = {}): Promise<ConfigMapObject[]> {
    const nodes = await this.swarm();
    if (!nodes) return super.listConfigMaps(options);
    return this.first(await nodes.fanOut((pods, _n, signal) => pods.listConfigMaps({ ...options, signal }), options), 'list ConfigMaps');
  }

  override async deleteConfigMap(name: string, options: Scope = {}): Promise<void> {
    const nodes = await this.swarm();
    if (!nodes) return super.deleteConfigMap(name, options);
    this.all(await nodes.fanOut((pods, _n, signal) => pods.deleteConfigMap(name, { ...options, signal }), options), `delete ConfigMap ${name}`);
  }

  override async createSecret(input: SecretInput, options: { signal?: AbortSignal } = {}): Promise<SecretSummary> {
    parseSecret(input);
    const nodes = await this.swarm();
    if (!nodes) return super.createSecret(input, options);
    return this.all(await nodes.fanOut((pods, _n, signal) => pods.createSecret(input, { signal }), options), 'create the Secret');
  }

  override async replaceSecret(input: SecretInput, options: { signal?: AbortSignal } = {}): Promise<SecretSummary> {
    parseSecret(input);
    const nodes = await this.swarm();
    if (!nodes) return super.replaceSecret(input, options);
    return this.all(await nodes.fanOut((pods, _n, signal) => pods.replaceSecret(input, { signal }), options), 'replace the Secret');
  }

  override async getSecret(name: string, options: SecretRead = {}): Promise<SecretSummary | SecretObject> {
    const nodes = await this.swarm();
    if (!nodes) return super.getSecret(name, options);
    return this.first(await nodes.fanOut((pods, _n, signal) => pods.getSecret(name, { ...options, signal }), options), `read Secret ${name}`);
  }

  override async listSecrets(options: { signal?: AbortSignal; namespace?: string; allNamespaces?: boolean; reveal?: boolean } = {}): Promise<Array<SecretSummary | SecretObject>> {
    const nodes = await this.swarm();
    if (!nodes) return super.listSecrets(options);
    return this.first(await nodes.fanOut((pods, _n, signal) => pods.listSecrets({ ...options, signal }), options), 'list Secrets');
  }

  override async deleteSecret(name: string, options: Scope = {}): Promise<void> {
    const nodes = await this.swarm();
    if (!nodes) return super.deleteSecret(name, options);
    this.all(await nodes.fanOut((pods, _n, signal) => pods.deleteSecret(name, { ...options, signal }), options), `delete Secret ${name}`);
  }

  /**
   * A write done on every node: its answer, or the failure. A not-found on one node is the
   * failure to report (it is what the caller asked about); a node that did not answer is named.
   */
  private all<T>(answers: NodeAnswer<T>[], what: string): T {
    const failed = answers.filter((a) => a.error !== undefined);
    if (failed.length) throw this.failure(failed, answers, what);
    if (!answers.length) throw new PodError('failed', `${what}: the swarm has no nodes with an engine address`);
    return answers[0]!.value!;
  }

  /** A read answered by the first node that could; every node's failure when none could. */
  private first<T>(answers: NodeAnswer<T>[], what: string): T {
    const answered = answers.find((a) => a.error === undefined);
    if (answered) return answered.value!;
    throw this.failure(answers, answers, what);
  }

  private failure(failed: NodeAnswer<unknown>[], all: NodeAnswer<unknown>[], what: string): Error {
    // The same refusal on every node (not found, invalid, exists) is that refusal, as one engine gives it.
    if (failed.length === all.length && failed.every((a) => a.error === failed[0]!.error) && failed[0]!.cause) return failed[0]!.cause as Error;
    return new PodError('failed', `${what}: ${failed.map((a) => `node ${a.node.name}: ${a.error}`).join('; ')}`);
  }

  async close(): Promise<void> {
    await (await this.spread?.catch(() => undefined))?.close();
  }
}

/** The pod with the node it runs on, as the scheduler writes it into spec.nodeName. */
function onNode(pod: PodObject, node: string): PodObject {
  return { ...pod, spec: { ...pod.spec, nodeName: node } as PodObject['spec'] };
}
