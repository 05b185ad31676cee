import type { Engine } from '../engine/index.js';
import type { EngineEvent, SystemInfo } from '../engine/system.js';
import { findOrCreateClusterNetwork, type ClusterNetwork } from './cluster.js';
import { isImageNameLost, isRemoval } from './engine-events.js';
import { Gate } from './gate.js';
import { findOrBuildInfraImage, INFRA_IMAGE } from './infra.js';
import { DEFAULT_POD_NETWORK, type PodNetworkMode } from './pod-network.js';
import { creatorTag } from './creator.js';

/**
 * What every pod operation on one engine shares, owned by one object rather than by module state:
 * the infra image and the cluster network, each found or made once (pods created together make
 * them once); a cap on pod operations in flight; and one queue per pod, so two syncs, or a sync
 * and a delete, of the same pod never overlap. The caches are dropped when the engine says the
 * object went (`observe` an event) or when an operation that relied on them failed (`forget`).
 */
export class PodRuntime {
  private infraImage?: Promise<string>;
  private clusterNetwork?: Promise<string>;
  private info?: Promise<SystemInfo>;
  private readonly gate: Gate;
  private readonly queues = new Map<string, Promise<unknown>>();

  /** The pod network mode of new pods that name none (pod-network.ts). */
  readonly podNetwork: PodNetworkMode;
  /**
   * The creator label of every object made through this runtime (pods, services, ConfigMaps,
   * Secrets): `host:pid` unless given. It says who made an object, so a test run can find what an
   * earlier, killed run of it left (test/support/sweep.ts).
   */
  readonly creator: string;

  constructor(readonly engine: Engine, readonly cluster: ClusterNetwork, options: { limit?: number; podNetwork?: PodNetworkMode; creator?: string } = {}) {
    this.gate = new Gate(options.limit ?? 8);
    this.podNetwork = options.podNetwork ?? DEFAULT_POD_NETWORK;
    this.creator = options.creator ?? creatorTag();
  }

  /** The infra image's name once it is on the engine; a user-named one is pulled if missing. */
  ensureInfraImage(image = INFRA_IMAGE): Promise<string> {
    if (image !== INFRA_IMAGE) return findOrBuildInfraImage(this.engine, image);
    if (!this.infraImage) {
      const ensure = findOrBuildInfraImage(this.engine, image);
      ensure.catch(() => { if (this.infraImage === ensure) this.infraImage = undefined; });
      this.infraImage = ensure;
    }
    return this.infraImage;
  }

  ensureClusterNetwork(): Promise<string> {
    if (!this.clusterNetwork) {
      const ensure = findOrCreateClusterNetwork(this.engine, this.cluster);
      ensure.catch(() => { if (this.clusterNetwork === ensure) this.clusterNetwork = undefined; });
      this.clusterNetwork = ensure;
    }
    return this.clusterNetwork;
  }

  /**
   * The engine's `/info` (its name and labels: what a pod's nodeName and nodeSelector are checked
   * against), read once: a daemon's name and labels change only with a restart of it.
   */
  engineInfo(options: { signal?: AbortSignal } = {}): Promise<SystemInfo> {
    if (!this.info) {
      const read = this.engine.system.info(options);
      read.catch(() => { if (this.info === read) this.info = undefined; });
      this.info = read;
    }
    return this.info;
  }

  /** What was found ready may be what failed (removed meanwhile): look again next time. */
  forget(): void {
    this.infraImage = undefined;
    this.clusterNetwork = undefined;
  }

  /** Drops a cache when the engine reports its object gone. */
  observe(event: EngineEvent): void {
    if (isImageNameLost(event)) this.infraImage = undefined;
    if (event.Type === 'network' && isRemoval(event) && event.Actor.Attributes?.name === this.cluster.name) this.clusterNetwork = undefined;
  }

  /**
   * Runs `fn` after every earlier operation on the same pod has finished, and within the global
   * cap. The queue is entered before the cap, so a pod waiting its turn holds no slot.
   */
  serial<T>(pod: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(pod) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(() => this.gate.run(fn));
    const tail = run.catch(() => {});
    this.queues.set(pod, tail);
    void tail.then(() => { if (this.queues.get(pod) === tail) this.queues.delete(pod); });
    return run;
  }
}
