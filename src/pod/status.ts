import type { ContainerInspect, ContainerSummary } from '../engine/containers.js';

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
  restartCount?: number;
  startedAt?: string;
  finishedAt?: string;
}

export interface ContainerStatus {
  name: string;
  image: string;
  containerID: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: { running: { startedAt?: string } } | { terminated: { exitCode: number; reason: string; startedAt?: string; finishedAt?: string } } | { waiting: { reason: string } };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const time = (value: string | undefined) => (value && value !== ZERO_TIME ? value : undefined);

export function viewFromSummary(name: string, c: ContainerSummary): ContainerView {
  // The list answer has no exit code field; its Status text ("Exited (137) 3 seconds ago") does.
  const exit = /^Exited \((-?\d+)\)/.exec(c.Status ?? '');
  return { id: c.Id, name, image: c.Image, state: c.State, exitCode: exit ? Number(exit[1]) : undefined };
}

export function viewFromInspect(name: string, c: ContainerInspect): ContainerView {
  return {
    id: c.Id, name, image: c.Config.Image ?? c.Image, state: c.State.Status,
    exitCode: c.State.ExitCode, oomKilled: c.State.OOMKilled, restartCount: c.RestartCount,
    startedAt: time(c.State.StartedAt), finishedAt: time(c.State.FinishedAt),
  };
}

const RUNNING = new Set(['running', 'restarting', 'paused']);
const TERMINATED = new Set(['exited', 'dead']);

export function containerStatus(view: ContainerView): ContainerStatus {
  const base = { name: view.name, image: view.image, containerID: `docker://${view.id}`, restartCount: view.restartCount ?? 0 };
  if (RUNNING.has(view.state)) {
    return { ...base, ready: view.state === 'running', started: true, state: { running: { startedAt: view.startedAt } } };
  }
  if (TERMINATED.has(view.state)) {
    const exitCode = view.exitCode ?? -1;
    const reason = view.oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
    return { ...base, ready: false, started: false, state: { terminated: { exitCode, reason, startedAt: view.startedAt, finishedAt: view.finishedAt } } };
  }
  return { ...base, ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } };
}

/** The pod phase from its infra and app containers. */
export function phaseOf(infra: ContainerView | undefined, apps: ContainerView[], expectedApps: number): { phase: Phase; reason?: string } {
  if (!infra) return { phase: 'Unknown', reason: 'InfraContainerMissing' };
  if (apps.length < expectedApps) return { phase: 'Pending', reason: 'ContainersMissing' };
  if (apps.some((a) => a.state === 'created') || infra.state === 'created') return { phase: 'Pending' };
  if (apps.some((a) => RUNNING.has(a.state))) {
    return RUNNING.has(infra.state) ? { phase: 'Running' } : { phase: 'Unknown', reason: 'InfraContainerNotRunning' };
  }
  if (apps.every((a) => a.exitCode === 0)) return { phase: 'Succeeded' };
  return { phase: 'Failed', reason: apps.some((a) => a.oomKilled) ? 'OOMKilled' : 'Error' };
}
