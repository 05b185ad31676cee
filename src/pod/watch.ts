import type { Engine } from '../engine/index.js';
import { LABEL, namespaceFrom, qualifiedName } from './labels.js';
import { readPods, summarizeAll, type PodObject } from './read.js';
import { matches, type Requirement } from './selector.js';

/** A change to a pod, as `kubectl get -w` shows them: the pod as it is now, or gone. */
export interface PodChange { type: 'ADDED' | 'MODIFIED' | 'DELETED'; pod: PodObject }

/**
 * Resolves with every pod (or those selected) once the engine has answered the events
 * subscription and the list is read, and with the changes from then on: the engine's events say
 * which pod to read again, subscribed before the list so nothing falls between. Only real changes
 * come (a change is what `pod list` would print differently). The changes end when the signal
 * aborts.
 */
export async function watchPods(engine: Engine, options: { requirements?: Requirement[]; name?: string; namespace?: string | undefined; signal?: AbortSignal } = {}): Promise<{ pods: PodObject[]; changes: AsyncGenerator<PodChange> }> {
  const keep = (pod: PodObject) => (options.name === undefined || pod.metadata.name === options.name || pod.metadata.uid === options.name)
    && matches(options.requirements ?? [], pod.metadata.labels);
  // Managed containers are picked here, not by a label filter on the subscription: Podman 4.3's
  // compatible API answers a label-filtered events stream with no events at all.
  const events = await engine.system.events({ filters: { type: ['container'] }, signal: options.signal });
  const read = async (labels: string[] = [], namespace = options.namespace) => (await summarizeAll(engine, await readPods(engine, { labels, namespace, signal: options.signal }), options)).filter(keep);
  let pods: PodObject[];
  try {
    pods = await read();
  } catch (err) {
    events.close();
    throw err;
  }
  const seen = new Map(pods.map((pod) => [qualifiedName(pod.metadata.name, pod.metadata.namespace), { pod, print: fingerprint(pod) }]));
  async function* changes(): AsyncGenerator<PodChange> {
    try {
      for await (const event of events) {
        const name = event.Actor.Attributes?.[LABEL.podName];
        if (!name || event.Actor.Attributes?.[LABEL.managed] !== 'true' || event.Action.startsWith('exec_')) continue;
        const namespace = namespaceFrom(event.Actor.Attributes);
        if (options.namespace !== undefined && namespace !== options.namespace) continue;
        const key = qualifiedName(name, namespace);
        const [now] = await read([`${LABEL.podName}=${name}`], namespace);
        const before = seen.get(key);
        if (!now) {
          if (before) {
            seen.delete(key);
            yield { type: 'DELETED', pod: before.pod };
          }
          continue;
        }
        const print = fingerprint(now);
        if (before?.print === print) continue;
        seen.set(key, { pod: now, print });
        yield { type: before ? 'MODIFIED' : 'ADDED', pod: now };
      }
    } finally {
      events.close();
    }
  }
  return { pods, changes: changes() };
}

/** What a pod list row shows, without its age (which changes by itself). */
function fingerprint(pod: PodObject): string {
  const s = pod.status;
  return JSON.stringify([pod.metadata.uid, s.phase, s.reason, s.podIP, s.containerStatuses.map((c) => [c.name, c.ready, c.restartCount, Object.keys(c.state)[0]])]);
}
