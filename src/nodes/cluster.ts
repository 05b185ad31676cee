import { Engine, type EngineOptions } from '../engine/index.js';
import { isPodlingError } from '../errors.js';
import { findOrCreateOverlay } from '../pod/cluster.js';
import type { CreateOptions } from '../pod/create.js';
import { PodError, PodFailedError, PodNotFoundError } from '../pod/errors.js';
import { Pods, type PodsOptions } from '../pod/index.js';
import type { PodObject } from '../pod/read.js';
import type { ServiceInput, OnePortServiceInput, ServiceObject } from '../pod/services.js';
import { parsePod, type Pod, type PodInput } from '../pod/spec.js';
import type { ClusterNode } from './node.js';
import { place, podRequests, refusalText, type NodeLoad, type Requests } from './placement.js';
import { alignCopies, type ReadCopies } from './copies.js';
import { readRecords, removeRecord, writeRecord, type PodPlacement } from './records.js';
import { listNodes, setNodeAvailability } from './registry.js';

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
export interface NodeAnswer<T> { node: ClusterNode; value?: T; error?: string; cause?: unknown }

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
    if (!node.engine) throw new PodError('invalid', `node ${node.name} has no engine address (podling node add ${node.name} ADDRESS)`);
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
  async fanOut<T>(ask: (pods: Pods, node: ClusterNode, signal: AbortSignal) => Promise<T>, options: Signal & { nodes?: ClusterNode[] } = {}): Promise<NodeAnswer<T>[]> {
    const nodes = (options.nodes ?? await this.nodes(options)).filter((n) => n.engine);
    return Promise.all(nodes.map(async (node): Promise<NodeAnswer<T>> => {
      const signal = AbortSignal.any([AbortSignal.timeout(this.options.nodeTimeout ?? 5000), ...(options.signal ? [options.signal] : [])]);
      try {
        return { node, value: await ask(this.podsOn(node), node, signal) };
      } catch (err) {
        return { node, error: (err as Error).message, cause: err };
      }
    }));
  }

  /**
   * Every node's pods, each with its node. A node that does not answer is listed with the reason,
   * and with the pods the swarm's records place on it, as Unknown (the node controller's verdict
   * on a lost node's pods): they may still run there, nobody can tell.
   */
  async list(options: Signal & { namespace?: string; allNamespaces?: boolean; selector?: string } = {}): Promise<NodeAnswer<PodObject[]>[]> {
    const answers = await this.fanOut((pods, _node, signal) => pods.list({ ...options, signal }), options);
    const lost = answers.filter((a) => a.error);
    if (!lost.length) return answers;
    const records = await readRecords(this.manager, options.allNamespaces ? {} : { namespace: options.namespace ?? 'default' }, options);
    for (const answer of lost) answer.value = records.filter((r) => r.node === answer.node.name).map((r) => unknownPod(r, answer.node, answer.error!));
    return answers;
  }

  /** What each reachable node already carries: its pod count and the requests of those pods. */
  async loads(options: Signal = {}): Promise<NodeLoad[]> {
    const nodes = await this.nodes(options);
    const answers = await this.fanOut((pods, _node, signal) => pods.list({ allNamespaces: true, signal }), { ...options, nodes });
    const known = new Set(answers.map((a) => a.node.id));
    const idle = nodes.filter((n) => !known.has(n.id));
    return [
      ...answers.map((a) => ({ node: a.node, pods: a.value?.length ?? 0, requested: sumRequests(a.value ?? []), unreachable: a.error })),
      ...idle.map((node) => ({ node, pods: 0, requested: { cpu: 0, memory: 0 } })),
    ];
  }

  /** Places the pod on a node (or refuses it, naming each node's reason) and creates it there. */
  async create(input: PodInput | Pod, options: Omit<CreateOptions, 'placed'> = {}): Promise<{ node: string; pod: PodObject }> {
    const pod = parsePod(input);
    const loads = await this.loads(options);
    const placement = place(pod, loads);
    if ('refused' in placement) {
      throw new PodFailedError(pod.metadata.name, 'Unschedulable', placement.refused.length ? refusalText(placement.refused) : 'the swarm has no nodes');
    }
    const node = loads.find((l) => l.node.name === placement.node)!.node;
    await this.ensureNetwork(options);
    const record = await writeRecord(this.manager, pod, node.name, options);
    try {
      const nodes = loads.map((l) => l.node);
      const readCopies: ReadCopies = (kind, name, namespace) => this.fanOut((pods, _n, signal) => kind.read(pods, name, namespace, signal).catch((err: unknown) => {
        if (isPodlingError(err, 'not-found')) return undefined;
        throw err;
      }), { ...options, nodes }).then((answers) => answers.map((a) => ({ node: a.node, copy: a.value, error: a.error })));
      // The ConfigMaps and Secrets the pod reads, as the other nodes have them, before it reads them there.
      await alignCopies(pod, node, this.podsOn(node), readCopies, options.signal);
      return { node: node.name, pod: await this.podsOn(node).create(pod, { ...options, placed: node.name }) };
    } catch (err) {
      await removeRecord(this.manager, { id: record }).catch(() => {});
      throw err;
    }
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

  /**
   * Deletes the pod on its node and then its record. A pod on a node that does not answer is not
   * deleted (it would keep running there) unless `force`: then only its record goes, and the
   * node's agent removes the pod when the node is back.
   */
  async delete(name: string, options: Signal & { namespace?: string; force?: boolean } = {}): Promise<string> {
    const namespace = options.namespace ?? 'default';
    const [record] = await readRecords(this.manager, { name, namespace }, options);
    const nodes = await this.nodes(options);
    const node = record ? nodes.find((n) => n.name === record.node) : (await this.find(name, options)).node;
    if (!node) throw new PodError('failed', `pod "${name}" is recorded on node ${record!.node}, which is no longer in the swarm; delete --force forgets it`);
    try {
      await this.podsOn(node).delete(name, options);
    } catch (err) {
      if (err instanceof PodNotFoundError) { /* gone already: the record goes too */ } else if (!options.force) {
        throw new PodError('failed', `pod "${name}" is on node ${node.name}, which does not answer (${(err as Error).message}); delete --force forgets it, and the node's agent removes it when the node is back`, { cause: err });
      }
    }
    if (record) await removeRecord(this.manager, record, options);
    return node.name;
  }

  /**
   * `node drain`: the node takes no new pods (swarm availability `drain`), and each of its pods is
   * made again on another node, as the pods' controllers would after an eviction. A node that does
   * not answer is drained only with `force`: its pods are made elsewhere and its agent removes its
   * copies when it is back (their records name the new node).
   */
  async drain(name: string, options: Signal & { force?: boolean; onMove?: (pod: string, to: string) => void } = {}): Promise<Array<{ pod: string; namespace: string; to: string }>> {
    await setNodeAvailability(this.manager, name, 'drain', options);
    const node = (await this.nodes(options)).find((n) => n.name === name)!;
    const records = await readRecords(this.manager, { node: node.name }, options);
    let reachable = true;
    if (node.engine) {
      await this.engineOf(node).system.ping({ signal: AbortSignal.timeout(this.options.nodeTimeout ?? 5000) }).catch(() => { reachable = false; });
    } else reachable = false;
    if (!reachable && !options.force && records.length) {
      throw new PodError('failed', `node ${name} does not answer: its ${records.length} pod(s) may still run there; node drain --force makes them again elsewhere`);
    }
    const moved: Array<{ pod: string; namespace: string; to: string }> = [];
    for (const record of records) {
      if (reachable) await this.podsOn(node).delete(record.name, { namespace: record.namespace, ...options }).catch((err: unknown) => { if (!(err instanceof PodNotFoundError)) throw err; });
      await removeRecord(this.manager, record, options);
      const made = await this.create(record.pod, options);
      options.onMove?.(record.name, made.node);
      moved.push({ pod: record.name, namespace: record.namespace, to: made.node });
    }
    return moved;
  }

  /** `node uncordon`: the node takes pods again. */
  async uncordon(name: string, options: Signal = {}): Promise<void> {
    await setNodeAvailability(this.manager, name, 'active', options);
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

function unknownPod(record: PodPlacement, node: ClusterNode, why: string): PodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: record.name, namespace: record.namespace, uid: '', annotations: { 'podling.io/node-unreachable': why } },
    spec: { ...record.pod.spec, nodeName: node.name },
    status: { phase: 'Unknown', reason: 'NodeLost', containerStatuses: [] },
  };
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
