import { hostname } from 'node:os';
import type { Engine } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import { pack, unpack } from '../engine/streams/tar.js';
import { creatorAlive } from './creator.js';
import type { Pod } from './spec.js';

/**
 * Which containers' postStart hooks are running now, kept where every reader finds them: a small
 * file in the pod's infra container (as the probe results are, readiness.ts), written by the
 * process running the hooks before each one and after it. The kubelet shows such a container as
 * still being created (its status is not updated until the hook ends); `pod get` does the same
 * from this file, from any process. Each entry names the process running the hook: an entry whose
 * process has died (a create killed mid-hook) no longer holds its container back.
 */
export const HOOKS_FILE = 'podling-poststart.json';

/** Container id → `host:pid` of the process running its postStart hook. */
export type HooksInProgress = Record<string, string>;

export const hasPostStart = (pod: Pod) => [...pod.spec.initContainers ?? [], ...pod.spec.containers].some((c) => c.lifecycle?.postStart);

export async function writeHooksInProgress(engine: Engine, infraId: string, running: HooksInProgress, signal?: AbortSignal): Promise<void> {
  await engine.containers.putArchive(infraId, '/', pack([{ name: HOOKS_FILE, content: `${JSON.stringify(running)}\n`, mode: 0o600 }]), { signal });
}

export async function readHooksInProgress(engine: Engine, infraId: string, signal?: AbortSignal): Promise<HooksInProgress> {
  try {
    const { tar } = await engine.containers.getArchive(infraId, `/${HOOKS_FILE}`, { signal });
    const [entry] = await unpack(tar);
    return entry?.content.length ? JSON.parse(entry.content.toString('utf8')) as HooksInProgress : {};
  } catch (err) {
    if (isNotFound(err)) return {};
    throw err;
  }
}

/** The containers whose hook is still running: the writer is this process, or one still alive. Pure but for the liveness check. */
export function stillHooking(running: HooksInProgress, self = `${hostname()}:${process.pid}`): Set<string> {
  return new Set(Object.entries(running).filter(([, by]) => by === self || creatorAlive(by)).map(([id]) => id));
}
