import type { Engine } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import { pack, unpack } from '../engine/streams/tar.js';
import type { Container, InitContainer, Pod } from './spec.js';

/**
 * Where probe results live: in the engine, as a small JSON file the agent writes into the pod's
 * infra container (an archive upload) whenever a container's readiness or startedness changes.
 * So `pod get` and `service get` from any process, on this host or through any engine address,
 * agree with the agent without reaching the agent itself, and a restarted agent picks up the last
 * results instead of starting every pod unready. The infra holds the file for the sandbox's life;
 * a remade sandbox starts without one, as its containers are new and unready anyway.
 *
 * Kept here: per container, the attempt it is about, ready, started, and a short reason for the
 * last failure (the prober's own wording: never a probe's headers or an exec probe's output).
 */
export const STATUS_FILE = 'podling-status.json';

export interface ContainerProbeStatus {
  /** The container attempt these results are about: a newer attempt has none yet. */
  id: string;
  ready: boolean;
  started: boolean;
  message?: string;
}

export interface ProbeStatus { containers: Record<string, ContainerProbeStatus>; updated: string }

const allContainers = (pod: Pod): Array<Container | InitContainer> => [...(pod.spec.initContainers ?? []), ...pod.spec.containers];

/** Whether anything about the pod's readiness needs probe results (a readiness or startup probe). */
export function hasGatingProbes(pod: Pod): boolean {
  return allContainers(pod).some((c) => c.readinessProbe || c.startupProbe);
}

export async function writeProbeStatus(engine: Engine, infraId: string, status: ProbeStatus, signal?: AbortSignal): Promise<void> {
  const content = Buffer.from(`${JSON.stringify(status)}\n`);
  await engine.containers.putArchive(infraId, '/', pack([{ name: STATUS_FILE, content, mode: 0o600 }]), { signal });
}

/** The results the agent last wrote; none when it never has (or the infra is gone). */
export async function readProbeStatus(engine: Engine, infraId: string, signal?: AbortSignal): Promise<ProbeStatus | undefined> {
  try {
    const { tar } = await engine.containers.getArchive(infraId, `/${STATUS_FILE}`, { signal });
    const [entry] = await unpack(tar);
    return entry?.content ? JSON.parse(entry.content.toString('utf8')) as ProbeStatus : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Kubernetes' ready and started for a running container attempt: with no readiness (startup)
 * probe, running is enough; with one, only a result the agent wrote for this very attempt counts
 * (readiness starts false).
 */
export function probeFlags(container: Container | InitContainer | undefined, id: string, running: boolean, status: ProbeStatus | undefined): { ready: boolean; started: boolean } {
  if (!running) return { ready: false, started: false };
  const known = status?.containers[container?.name ?? '']?.id === id ? status!.containers[container!.name] : undefined;
  const started = !container?.startupProbe || known?.started === true;
  const ready = started && (!container?.readinessProbe || known?.ready === true);
  return { ready, started };
}
