import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Engine } from '../engine/index.js';
import { isConflict, isNotFound } from '../engine/errors.js';
import type { ProgressMessage } from '../engine/streams/progress.js';
import { appSpec, infraSpec, podNetworkAliases } from './containers.js';
import { PodFailedError, detailOf, type PodFailureReason } from './errors.js';
import { ensureInfraImage, forgetInfraImage, INFRA_IMAGE } from './infra.js';
import { LABEL, appName, infraName, podNetworkName } from './labels.js';
import { aliasesFor } from './aliases.js';
import { ensureClusterNetwork, forgetClusterNetwork, type ClusterNetwork } from './cluster.js';
import { readServices } from './services.js';
import { isIsolated, type Pod } from './spec.js';

export interface CreateOptions {
  /** The pod id; random by default. Recorded tests pass a fixed one so fixtures replay. */
  id?: string;
  /** `host:pid` of this process by default; see LABEL.creator. */
  creator?: string;
  /** Called with every pull progress message, per image. */
  onProgress?: (image: string, message: ProgressMessage) => void;
  infraImage?: string;
  /** The shared network pods reach each other on; isolated and hostNetwork pods do not join it. */
  cluster?: ClusterNetwork;
  signal?: AbortSignal;
}

export interface CreatedPod {
  id: string;
  infraId: string;
  appIds: Record<string, string>;
  network?: string;
}

/** What has been made so far, so a failure can take all of it back. */
interface Made { network?: string; infra?: string; apps: string[] }

export const newPodId = () => randomBytes(5).toString('hex');
export const creatorTag = () => `${hostname()}:${process.pid}`;

/**
 * Runs a pod. Independent work overlaps: images are pulled (in parallel, per imagePullPolicy)
 * while the networks are made; app containers are created while the infra starts, and started
 * together once it runs. A pod on the cluster network has its infra created and started there
 * while its own network is made (a network create takes about a third of an infra's start); that
 * network is connected to the running infra before any app starts, so every app starts with
 * every network in place. Any failure removes everything already made and reports the pod Failed.
 *
 * A process killed between the infra's create and the network's answer can leave that network
 * to appear after it died: `prune` removes it then or on its next run.
 */
export async function createPod(engine: Engine, pod: Pod, options: CreateOptions = {}): Promise<CreatedPod> {
  const id = options.id ?? newPodId();
  const creator = options.creator ?? creatorTag();
  const made: Made = { apps: [] };
  const name = pod.metadata.name;
  // Every step begun, so that a failure waits for all of them before it rolls back: nothing may
  // still be being made while the rollback looks (a network made after it looked would leak).
  const begun: Promise<unknown>[] = [];
  const begin = <T>(reason: PodFailureReason, fn: () => Promise<T>): Promise<T> => {
    const promise = step(reason, fn);
    promise.catch(() => {}); // awaited below, or by the rollback
    begun.push(promise);
    return promise;
  };
  try {
    const infraImage = begin('InfraImageError', () => ensureInfraImage(engine, options.infraImage ?? INFRA_IMAGE));
    const images = begin('ImagePullError', () => ensureImages(engine, pod, options));
    const network = begin('NetworkCreateError', async () => {
      if (!pod.spec.hostNetwork) made.network = await createNetwork(engine, pod, id, creator);
    });
    const cluster = await begin('NetworkCreateError', () => joinCluster(engine, pod, options.cluster));
    // Without the cluster network the infra is created on the pod's own network, so that comes first.
    if (!cluster) await network;
    // Not before the images are there: a pod whose image cannot be had makes no container at all.
    const infra = await begin('ContainerCreateError', async () => {
      const [image] = await Promise.all([infraImage, images]);
      return engine.containers.create(infraSpec(pod, id, image, creator, { cluster }), { name: infraName(name) });
    });
    made.infra = infra.Id;
    const infraReady = begin('ContainerStartError', async () => {
      await engine.containers.start(infra.Id);
      if (!cluster || !made.network) return;
      await network;
      await engine.networks.connect(made.network, infra.Id, { Aliases: podNetworkAliases(pod) });
    });
    const apps = await settled(pod.spec.containers.map((c) => begin('ContainerCreateError', async () => {
      const { Id } = await engine.containers.create(appSpec(pod, id, c, infra.Id, creator), { name: appName(name, c.name) });
      made.apps.push(Id);
      return [c.name, Id] as const;
    })));
    await infraReady;
    await settled(apps.map(([, appId]) => begin('ContainerStartError', () => engine.containers.start(appId))));
    return { id, infraId: infra.Id, appIds: Object.fromEntries(apps), network: made.network };
  } catch (err) {
    await Promise.allSettled(begun);
    // What was found ready may be what failed (an image or network removed meanwhile): check again next time.
    forgetInfraImage(engine);
    forgetClusterNetwork(engine);
    await rollback(engine, made);
    const failed = err instanceof PodFailedError ? err : new PodFailedError(name, 'ContainerCreateError', detailOf(err), { cause: err });
    // The infra's name is the pod's lock: a conflict on it means a pod of that name exists.
    if (failed.cause && isConflict(failed.cause) && failed.detail.includes(`/${infraName(name)}`)) {
      throw new PodFailedError(name, 'AlreadyExists', `a pod named "${name}" already exists`, { cause: failed.cause });
    }
    throw failed;
  }

  async function step<T>(reason: PodFailureReason, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw err instanceof PodFailedError ? err : new PodFailedError(name, reason, detailOf(err), { cause: err });
    }
  }
}

/**
 * Promise.all that waits for every promise before reporting the first failure, so nothing is
 * still being created while the rollback runs (a network made after the rollback looked would leak).
 */
async function settled<T extends readonly unknown[]>(promises: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** The cluster network and the pod's names on it: its own, and those of the services selecting it. */
async function joinCluster(engine: Engine, pod: Pod, cluster: ClusterNetwork | undefined): Promise<{ name: string; aliases: string[] } | undefined> {
  if (!cluster || pod.spec.hostNetwork || isIsolated(pod)) return undefined;
  const [name, services] = await Promise.all([ensureClusterNetwork(engine, cluster), readServices(engine)]);
  return { name, aliases: aliasesFor(pod, services) };
}

async function createNetwork(engine: Engine, pod: Pod, id: string, creator: string): Promise<string> {
  const network = podNetworkName(id);
  await engine.networks.create({
    Name: network,
    Driver: 'bridge',
    Labels: {
      [LABEL.managed]: 'true', [LABEL.podId]: id, [LABEL.podName]: pod.metadata.name,
      [LABEL.type]: 'pod-network', [LABEL.creator]: creator,
    },
  });
  return network;
}

const POLICY_ORDER = ['Never', 'IfNotPresent', 'Always'] as const;
type PullPolicy = (typeof POLICY_ORDER)[number];

/** Kubernetes' default: Always for `:latest` or no tag, else IfNotPresent. */
export function defaultPullPolicy(image: string): PullPolicy {
  const tag = /:([^/:@]+)$/.exec(image)?.[1];
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Each distinct image once, all in parallel; where containers share an image the strictest policy wins. */
async function ensureImages(engine: Engine, pod: Pod, options: CreateOptions): Promise<void> {
  const policies = new Map<string, PullPolicy>();
  for (const c of pod.spec.containers) {
    const policy = c.imagePullPolicy ?? defaultPullPolicy(c.image);
    const previous = policies.get(c.image);
    if (!previous || POLICY_ORDER.indexOf(policy) > POLICY_ORDER.indexOf(previous)) policies.set(c.image, policy);
  }
  await Promise.all([...policies].map(async ([image, policy]) => {
    if (policy !== 'Always') {
      try {
        await engine.images.inspect(image, { signal: options.signal });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        if (policy === 'Never') throw new PodFailedError(pod.metadata.name, 'ErrImageNeverPull', `image ${image} is not present and imagePullPolicy is Never`);
      }
    }
    const pull = engine.images.pull(image, { signal: options.signal });
    if (options.onProgress) for await (const message of pull) options.onProgress(image, message);
    await pull.done;
  }));
}

/** Removes what a failed create made: apps before the infra (Podman insists), then the network. */
async function rollback(engine: Engine, made: Made): Promise<void> {
  const remove = (id: string) => engine.containers.remove(id, { force: true, volumes: true }).catch(ignoreMissing);
  await Promise.all(made.apps.map(remove));
  if (made.infra) await remove(made.infra);
  if (made.network) await engine.networks.remove(made.network).catch(ignoreMissing);
}

export function ignoreMissing(err: unknown): void {
  if (!isNotFound(err)) throw err;
}
