import type { Engine } from '../engine/index.js';
import type { Output } from '../engine/streams/output.js';
import type { CreateOptions } from '../pod/create.js';
import type { DeleteOptions } from '../pod/delete.js';
import { Pods, type LogLine, type PodInput } from '../pod/index.js';
import type { PodLogOptions } from '../pod/logs.js';
import type { PodObject } from '../pod/read.js';
import type { OnePortServiceInput, ServiceInput, ServiceObject } from '../pod/services.js';
import type { Pod } from '../pod/spec.js';
import { Cluster, type NodeAnswer } from './cluster.js';
import type { ClusterNode } from './node.js';

/**
 * The pod API of one engine, answered by a swarm: what `podling pod …` and `service …` use when
 * the engine they are pointed at is a swarm manager with registered nodes, so every command works
 * the same on one engine and on many. Pods are placed on nodes, and found on whichever node holds
 * them; services are made on every node. ConfigMaps, Secrets and the rest stay the manager
 * engine's own (not spread across nodes yet).
 */
export class ClusterPods extends Pods {
  constructor(manager: Engine, readonly nodes: Cluster, private readonly onUnreachable: (node: ClusterNode, why: string) => void = () => {}) {
    super(manager);
  }

  private report<T>(answers: NodeAnswer<T>[]): NodeAnswer<T>[] {
    for (const a of answers) if (a.error) this.onUnreachable(a.node, a.error);
    return answers;
  }

  override async create(input: PodInput | Pod, options: CreateOptions = {}): Promise<PodObject> {
    const { node, pod } = await this.nodes.create(input, options);
    return onNode(pod, node);
  }

  override async get(ref: string, options: { signal?: AbortSignal; namespace?: string } = {}): Promise<PodObject> {
    const { node, pod } = await this.nodes.find(ref, options);
    return onNode(pod, node.name);
  }

  override async list(options: { selector?: string; namespace?: string; allNamespaces?: boolean; signal?: AbortSignal } = {}): Promise<PodObject[]> {
    const answers = this.report(await this.nodes.list(options));
    return answers.flatMap((a) => (a.value ?? []).map((p) => onNode(p, a.node.name)));
  }

  override async delete(ref: string, options: DeleteOptions & { namespace?: string } = {}): Promise<void> {
    await this.nodes.delete(ref, options);
  }

  override async *logs(ref: string, options: PodLogOptions & { namespace?: string } = {}): AsyncGenerator<LogLine> {
    const { node } = await this.nodes.find(ref, options);
    yield* this.nodes.podsOn(node).logs(ref, options);
  }

  override async exec(ref: string, cmd: string[], options: { container?: string; stdin?: NodeJS.ReadableStream | string; tty?: boolean; signal?: AbortSignal; namespace?: string } = {}): Promise<{ output: Output; exitCode: () => Promise<number> }> {
    const { node } = await this.nodes.find(ref, options);
    return this.nodes.podsOn(node).exec(ref, cmd, options);
  }

  override async createService(spec: ServiceInput | OnePortServiceInput, options: { signal?: AbortSignal } = {}): Promise<ServiceObject> {
    const answers = this.report(await this.nodes.createService(spec, options));
    const made = answers.find((a) => a.value);
    if (!made) throw new Error(answers.map((a) => `${a.node.name}: ${a.error}`).join('; ') || 'the swarm has no nodes with an engine address');
    return made.value!;
  }

  override async deleteService(name: string, options: { signal?: AbortSignal; namespace?: string } = {}): Promise<void> {
    const answers = this.report(await this.nodes.deleteService(name, options));
    const failed = answers.filter((a) => a.error && !/not found/i.test(a.error));
    if (failed.length === answers.length && failed.length) throw new Error(failed.map((a) => `${a.node.name}: ${a.error}`).join('; '));
  }

  override async listServices(options: { signal?: AbortSignal; namespace?: string; allNamespaces?: boolean } = {}): Promise<ServiceObject[]> {
    // Every node holds every service; the first that answers speaks for all.
    const answers = this.report(await this.nodes.fanOut((pods, _n, signal) => pods.listServices({ ...options, signal }), options));
    return answers.find((a) => a.value)?.value ?? [];
  }

  override async getService(name: string, options: { signal?: AbortSignal; namespace?: string } = {}): Promise<ServiceObject> {
    const answers = await this.nodes.fanOut((pods, _n, signal) => pods.getService(name, { ...options, signal }), options);
    const found = answers.find((a) => a.value);
    if (found) return found.value!;
    throw new Error(answers.map((a) => `${a.node.name}: ${a.error}`).join('; ') || `service "${name}" not found`);
  }
}

/** The pod with the node it runs on, as the scheduler writes it into spec.nodeName. */
function onNode(pod: PodObject, node: string): PodObject {
  return { ...pod, spec: { ...pod.spec, nodeName: node } as PodObject['spec'] };
}

/**
 * The swarm's pods, if the engine is a swarm manager with at least one registered node (podling
 * node add); otherwise undefined, and the engine is used alone, as before. One GET /info tells.
 */
export async function clusterPodsFor(engine: Engine, onUnreachable?: (node: ClusterNode, why: string) => void, network?: string): Promise<ClusterPods | undefined> {
  const info = await engine.system.info();
  if (info.Swarm?.LocalNodeState !== 'active' || !info.Swarm.ControlAvailable) return undefined;
  const cluster = new Cluster(engine, { network });
  const nodes = await cluster.nodes();
  if (!nodes.some((n) => n.engine)) return undefined;
  return new ClusterPods(engine, cluster, onUnreachable);
}
