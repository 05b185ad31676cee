import type { Engine } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import type { RegistryAuth } from '../engine/auth.js';
import type { ProgressMessage } from '../engine/streams/progress.js';
import { PodFailedError } from './errors.js';
import { credentialsFor, type PullCredential } from './pull-secrets.js';
import type { Pod } from './spec.js';

const POLICY_ORDER = ['Never', 'IfNotPresent', 'Always'] as const;
type PullPolicy = (typeof POLICY_ORDER)[number];

/** Kubernetes' default: Always for `:latest` or no tag, else IfNotPresent. */
export function defaultPullPolicy(image: string): PullPolicy {
  const tag = /:([^/:@]+)$/.exec(image)?.[1];
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * The images of the named containers, each distinct image once, all in parallel; where containers
 * share an image the strictest policy wins.
 */
export interface EnsureImagesOptions {
  signal?: AbortSignal;
  onProgress?: (image: string, message: ProgressMessage) => void;
  /** The pod's imagePullSecrets, read (pull-credentials.ts). */
  pullCredentials?: PullCredential[];
}

export async function ensureImages(engine: Engine, pod: Pod, containers: Set<string>, options: EnsureImagesOptions = {}): Promise<void> {
  const policies = new Map<string, PullPolicy>();
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    if (!containers.has(c.name)) continue;
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
    await pullWith(engine, image, credentialsFor(image, options.pullCredentials ?? []), options);
  }));
}

/**
 * Tries each matching credential in turn, as the kubelet does (a Secret may hold a rotated login
 * beside the new one), and reports the last failure; with none, the engine client's own
 * (config.json, or anonymous), as a kubelet falls back to its node's.
 */
async function pullWith(engine: Engine, image: string, credentials: RegistryAuth[], options: EnsureImagesOptions): Promise<void> {
  let failure: unknown;
  for (const auth of credentials.length ? credentials : [undefined]) {
    try {
      const pull = engine.images.pull(image, { signal: options.signal, ...auth && { auth } });
      if (options.onProgress) for await (const message of pull) options.onProgress(image, message);
      await pull.done;
      return;
    } catch (err) {
      if (options.signal?.aborted) throw err;
      failure = err;
    }
  }
  throw failure;
}
