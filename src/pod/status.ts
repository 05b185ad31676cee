import type { ContainerInspect, ContainerSummary } from '../engine/containers.js';
import { LABEL } from './labels.js';

/**
 * A pod's status, derived from its containers as the kubelet derives it. Works from list
 * summaries (cheap: `pod list`) or from inspects (exact times, OOM, restarts: `pod get`).
 */
export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface ContainerView {
  id: string;
  name: string;
  image: string;
  state: string;
  exitCode?: number;
  oomKilled?: boolean;
  /** The engine's own restarts of this container (its restart policy, while no agent supervises). */
  restartCount?: number;
  /** Podling's attempt number (LABEL.attempt): restarts made by making a new container. */
  attempt?: number;
  /** An init container (LABEL.role `init`). */
  init?: boolean;
  startedAt?: string;
  finishedAt?: string;
  /** The termination message (termination.ts): read by exact reads only, for stopped containers. */
  message?: string;
}

type Terminated = { exitCode: number; reason: string; message?: string; startedAt?: string; finishedAt?: string };

export interface ContainerStatus {
  name: string;
  image: string;
  containerID: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: { running: { startedAt?: string } } | { terminated: Terminated } | { waiting: { reason: string; message?: string } };
  /** The attempt before this one, when it is still kept. */
  lastState?: { terminated: Terminated };
}

/** A container held back from starting: its restart back-off (CrashLoopBackOff). */
export interface Waiting { reason: string; message?: string }

const attemptOf = (labels: Record<string, string> | null | undefined) => Number(labels?.[LABEL.attempt] ?? 0) || 0;

const ZERO_TIME = '0001-01-01T00:00:00Z';
const time = (value: string | undefined) => (value && value !== ZERO_TIME ? value : undefined);

export function viewFromSummary(name: string, c: ContainerSummary): ContainerView {
  // The list answer has no exit code field; its Status text ("Exited (137) 3 seconds ago") does.
  const exit = /^Exited \((-?\d+)\)/.exec(c.Status ?? '');
  return { id: c.Id, name, image: c.Image, state: c.State, exitCode: exit ? Number(exit[1]) : undefined, attempt: attemptOf(c.Labels), init: c.Labels?.[LABEL.role] === 'init' };
}

export function viewFromInspect(name: string, c: ContainerInspect): ContainerView {
  return {
    id: c.Id, name, image: c.Config.Image ?? c.Image, state: c.State.Status,
    exitCode: c.State.ExitCode, oomKilled: c.State.OOMKilled, restartCount: c.RestartCount, attempt: attemptOf(c.Config.Labels), init: c.Config.Labels?.[LABEL.role] === 'init',
    startedAt: time(c.State.StartedAt), finishedAt: time(c.State.FinishedAt),
  };
}

const RUNNING = new Set(['running', 'restarting', 'paused']);
const TERMINATED = new Set(['exited', 'dead']);

/**
 * A container's status from its newest attempt, the one before it (`lastState`) and, when the
 * restart back-off holds it, why it waits. Restarts count Podling's attempts and the engine's own.
 */
export function containerStatus(view: ContainerView, previous?: ContainerView, waiting?: Waiting, probes?: { ready: boolean; started: boolean }): ContainerStatus {
  const base = {
    name: view.name, image: view.image, containerID: `docker://${view.id}`,
    restartCount: (view.attempt ?? 0) + (view.restartCount ?? 0),
    ...(previous && TERMINATED.has(previous.state) ? { lastState: { terminated: terminated(previous) } } : {}),
  };
  if (waiting) {
    // The exited attempt is what it waits to replace: kubectl shows it as the last state.
    const last = TERMINATED.has(view.state) ? { lastState: { terminated: terminated(view) } } : {};
    return { ...base, ...last, ready: false, started: false, state: { waiting } };
  }
  if (RUNNING.has(view.state)) {
    // Without probes a running container is ready and started; with them, as the agent found.
    const { ready, started } = probes ?? { ready: true, started: true };
    return { ...base, ready: view.state === 'running' && ready, started, state: { running: { startedAt: view.startedAt } } };
  }
  if (TERMINATED.has(view.state)) return { ...base, ready: false, started: false, state: { terminated: terminated(view) } };
  return { ...base, ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } };
}

function terminated(view: ContainerView): Terminated {
  const exitCode = view.exitCode ?? -1;
  const reason = view.oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
  return { exitCode, reason, ...(view.message !== undefined ? { message: view.message } : {}), startedAt: view.startedAt, finishedAt: view.finishedAt };
}

/**
 * The pod phase from its infra and its containers' newest attempts. A container that ended and
 * will run again under the restart policy keeps the pod Running (as the kubelet's getPhase), so a
 * crash-looping pod is Running with a waiting container, not Failed.
 */
export function phaseOf(infra: ContainerView | undefined, apps: ContainerView[], expectedApps: number, policy: 'Always' | 'OnFailure' | 'Never' = 'Never'): { phase: Phase; reason?: string } {
  if (!infra) return { phase: 'Unknown', reason: 'InfraContainerMissing' };
  if (apps.length < expectedApps) return { phase: 'Pending', reason: 'ContainersMissing' };
  if (apps.some((a) => a.state === 'created') || infra.state === 'created') return { phase: 'Pending' };
  if (apps.some((a) => RUNNING.has(a.state))) {
    return RUNNING.has(infra.state) ? { phase: 'Running' } : { phase: 'Unknown', reason: 'InfraContainerNotRunning' };
  }
  if (policy === 'Always' || (policy === 'OnFailure' && apps.some((a) => a.exitCode !== 0))) return { phase: 'Running' };
  if (apps.every((a) => a.exitCode === 0)) return { phase: 'Succeeded' };
  return { phase: 'Failed', reason: apps.some((a) => a.oomKilled) ? 'OOMKilled' : 'Error' };
}
