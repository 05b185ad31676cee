import { Engine, type EngineOptions } from '../engine/index.js';
import { findOrCreateOverlay } from '../pod/cluster.js';
import type { CreateOptions } from '../pod/create.js';
import { PodFailedError, PodNotFoundError } from '../pod/errors.js';
import { Pods, type PodsOptions } from '../pod/index.js';
import type { PodObject } from '../pod/read.js';
import type { ServiceInput, OnePortServiceInput, ServiceObject } from '../pod/services.js';
import { parsePod, type Pod, type PodInput } from '../pod/spec.js';
import type { ClusterNode } from './node.js';
import { place, podRequests, refusalText, type NodeLoad, type Requests } from './placement.js';
import { listNodes } from './registry.js';

/**
 * Pods across the nodes of a swarm. Each node's pods are made and read through that node's own
 * Engine API (standalone containers: swarm services cannot share a network namespace); the swarm
 * gives the node list and the overlay every infra joins. Reads fan out to every node at once and
 * report a node that does not answer instead of failing whole.
 */

export interface ClusterOptions {
  /** Engine options for a node's address; `new Engine({ host: address })` by default. */
  connect?: (address: string) => Engine;
  /** The overlay's name (`PODLING_CLUSTER_NETWORK`, default `podling-cluster`). */
  network?: string;
  /** Passed to every node's Pods (tests pass deterministic ids). */
  pods?: Omit<PodsOptions, 'cluster'>;
  /** How long a node may take to answer a read before it counts as unreachable (ms). */
  nodeTimeout?: number;
}

/** One node's answer to a fan-out read: its pods, or why it could not be asked. */
export interface NodeAnswer<T> { node: ClusterNode; value?: T; error?: string }

type Signal = { signal?: AbortSignal };

export class Cluster {
  private readonly engines = new Map<string, Engine>();
  private readonly pods = new Map<string, Pods>();
  private readonly network: string;
  private overlay: Promise<string> | undefined;

  constructor(readonly manager: Engine, private readonly options: ClusterOptions = {}) {
    this.network = options.network ?? process.env.PODLING_CLUSTER_NETWORK ?? 'podling-cluster';
  }

  nodes(options: Signal = {}): Promise<ClusterNode[]> {
    return listNodes(this.manager, options);
  }

  /** The engine of a node that has an address; one per address, kept open. */
  engineOf(node: ClusterNode): Engine {
    if (!node.engine) throw new PodFailedError('-', 'Unschedulable', `node ${node.name} has no engine address (podling node add ${node.name} ADDRESS)`);
    let engine = this.engines.get(node.engine);
    if (!engine) {
      engine = this.options.connect?.(node.engine) ?? new Engine({ host: node.engine } satisfies EngineOptions);
      this.engines.set(node.engine, engine);
    }
    return engine;
  }

  /** The pods of one node, on the swarm's overlay. */
  podsOn(node: ClusterNode): Pods {
    const engine = this.engineOf(node);
    let pods = this.pods.get(node.engine!);
    if (!pods) {
      pods = new Pods(engine, { ...this.options.pods, cluster: { name: this.network, external: true } });
      this.pods.set(node.engine!, pods);
    }
    return pods;
  }

  /** Made once, on the manager; workers only ever name it. */
  ensureNetwork(options: Signal = {}): Promise<string> {
    if (!this.overlay) {
      const ensure = findOrCreateOverlay(this.manager, this.network, options);
      ensure.catch(() => { if (this.overlay === ensure) this.overlay = undefined; });
      this.overlay = ensure;
    }
    return this.overlay;
  }

  /** Asks every node that has an engine address at once; each answers or says why not. */
  async fanOut<T>(ask: (pods: Pods, node: ClusterNode, signal: AbortSignal) => Promise<T>, options: Signal = {}): Promise<NodeAnswer<T>[]> {
    const nodes = (await this.nodes(options)).filter((n) => n.engine);
    return Promise.all(nodes.map(async (node): Promise<NodeAnswer<T>> => {
      const signal = AbortSignal.any([AbortSignal.timeout(this.options.nodeTimeout ?? 5000), ...(options.signal ? [options.signal] : [])]);
      try {
        return { node, value: await ask(this.podsOn(node), node, signal) };
      } catch (err) {
        return { node, error: (err as Error).message };
      }
    }));
  }

  /** Every node's pods, each with its node; a node that does not answer is listed with the reason. */
  list(options: Signal & { namespace?: string; allNamespaces?: boolean; selector?: string } = {}): Promise<NodeAnswer<PodObject[]>[]> {
    return this.fanOut((pods, _node, signal) => pods.list({ ...options, signal }), options);
  }

  /** What each reachable node already carries: its pod count and the requests of those pods. */
  private async loads(options: Signal): Promise<NodeLoad[]> {
    const answers = await this.fanOut((pods, _node, signal) => pods.list({ allNamespaces: true, signal }), options);
    const known = new Set(answers.map((a) => a.node.id));
    const idle = (await this.nodes(options)).filter((n) => !known.has(n.id));
    return [
      ...answers.map((a) => ({ node: a.node, pods: a.value?.length ?? 0, requested: sumRequests(a.value ?? []), unreachable: a.error })),
      ...idle.map((node) => ({ node, pods: 0, requested: { cpu: 0, memory: 0 } })),
    ];
  }

  /** Places the pod on a node (or refuses it, naming each node's reason) and creates it there. */
  async create(input: PodInput | Pod, options: Omit<CreateOptions, 'placed'> = {}): Promise<{ node: string; pod: PodObject }> {
    const pod = parsePod(input);
    const placement = place(pod, await this.loads(options));
    if ('refused' in placement) {
      throw new PodFailedError(pod.metadata.name, 'Unschedulable', placement.refused.length ? refusalText(placement.refused) : 'the swarm has no nodes');
    }
    await this.ensureNetwork(options);
    const node = (await this.nodes(options)).find((n) => n.name === placement.node)!;
    return { node: node.name, pod: await this.podsOn(node).create(pod, { ...options, placed: node.name }) };
  }

  /** The node a pod is on, and the pod; not found when no reachable node has it. */
  async find(name: string, options: Signal & { namespace?: string } = {}): Promise<{ node: ClusterNode; pod: PodObject }> {
    const answers = await this.fanOut((pods, _node, signal) => pods.get(name, { ...options, signal }).catch((err: unknown) => {
      if (err instanceof PodNotFoundError) return undefined;
      throw err;
    }), options);
    const hit = answers.find((a) => a.value);
    if (hit) return { node: hit.node, pod: hit.value! };
    const down = answers.filter((a) => a.error);
    throw Object.assign(new PodNotFoundError(name, options.namespace), down.length ? { unreachable: down.map((a) => `${a.node.name}: ${a.error}`) } : {});
  }

  async delete(name: string, options: Signal & { namespace?: string; force?: boolean } = {}): Promise<string> {
    const { node } = await this.find(name, options);
    await this.podsOn(node).delete(name, options);
    return node.name;
  }

  /** A service lives on every node: each node gives its own ready pods the service's name. */
  async createService(spec: ServiceInput | OnePortServiceInput, options: Signal = {}): Promise<NodeAnswer<ServiceObject>[]> {
    return this.fanOut((pods, _node, signal) => pods.createService(spec, { signal }), options);
  }

  async deleteService(name: string, options: Signal & { namespace?: string } = {}): Promise<NodeAnswer<void>[]> {
    return this.fanOut((pods, _node, signal) => pods.deleteService(name, { ...options, signal }), options);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.engines.values()].map((e) => e.close()));
    this.engines.clear();
    this.pods.clear();
  }
}

function sumRequests(pods: readonly PodObject[]): Requests {
  let cpu = 0;
  let memory = 0;
  for (const p of pods) {
    try {
      const r = podRequests(parsePod({ metadata: { name: p.metadata.name }, spec: p.spec }));
      cpu += r.cpu;
      memory += r.memory;
    } catch {
      // A pod whose stored spec no longer parses counts as requesting nothing: it still counts as a pod.
    }
  }
  return { cpu, memory };
}
