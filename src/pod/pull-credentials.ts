import type { Engine } from '../engine/index.js';
import { isPodlingError } from '../errors.js';
import { PodFailedError } from './errors.js';
import { parsePullSecret, PULL_SECRET_TYPES, type PullCredential } from './pull-secrets.js';
import { namespaceOf, type Pod } from './spec.js';
import { readStored, readValues } from './store.js';

/**
 * The credentials of a pod's imagePullSecrets, read from its namespace before anything is made
 * (and again by every sync that pulls, so a changed Secret is used). A pod without any costs no call.
 *
 * A Secret that is missing, of another type, or not a docker config fails the pod with one error
 * naming it. Kubernetes instead pulls without it and leaves a warning event
 * (FailedToRetrieveImagePullSecret), so the pull then fails as unauthorized without naming the
 * Secret, or succeeds for a public image; Podling has no events to carry such a warning, so it
 * says it at once, as it does for any other Secret a pod names without `optional`.
 */
export async function readPullCredentials(engine: Engine, pod: Pod, options: { signal?: AbortSignal } = {}): Promise<PullCredential[] | undefined> {
  const names = [...new Set((pod.spec.imagePullSecrets ?? []).map((ref) => ref.name))];
  if (!names.length) return undefined;
  const namespace = namespaceOf(pod);
  const fail = (detail: string) => new PodFailedError(pod.metadata.name, 'FailedToRetrieveImagePullSecret', `imagePullSecrets: ${detail}`);
  const each = await Promise.all(names.map(async (name) => {
    let stored;
    try {
      stored = await readStored(engine, 'secret', name, namespace, options);
    } catch (err) {
      if (isPodlingError(err, 'not-found')) throw fail(`Secret "${name}" not found in namespace "${namespace}"`);
      throw err;
    }
    const type = stored.meta.type ?? 'Opaque';
    // The type is in the holder's label: a Secret of another type is refused without reading its values.
    const parsed = parsePullSecret(name, type, type in PULL_SECRET_TYPES ? await readValues(engine, 'secret', stored.meta, options) : new Map());
    if (typeof parsed === 'string') throw fail(parsed);
    return parsed;
  }));
  return each.flat();
}
