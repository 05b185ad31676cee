import type { Phase } from './status.js';

/**
 * `activeDeadlineSeconds`: a pod active on its node longer than this is failed, its containers
 * killed and never restarted (the kubelet's DeadlineExceeded). Active since Kubernetes'
 * status.startTime; here the earliest start the engine still shows of the pod's sandbox and
 * container attempts, so a container's restarts do not reset it (a sandbox remade after its infra
 * died keeps the previous attempts' starts while they are kept). Enforced by the agent, which
 * wakes at the deadline (plan.ts); a one-shot pod has nothing watching it, so its containers run
 * on past the deadline (README, Pods). Pure: times in ms.
 */
export const DEADLINE_REASON = 'DeadlineExceeded';

export function activeSince(starts: (number | undefined)[]): number | undefined {
  const known = starts.filter((t): t is number => t !== undefined && Number.isFinite(t));
  return known.length ? Math.min(...known) : undefined;
}

/** When the pod's deadline falls, if it has one and has started. */
export const deadlineOf = (seconds: number | undefined, since: number | undefined): number | undefined =>
  seconds === undefined || since === undefined ? undefined : since + seconds * 1000;

/**
 * The phase shown once the deadline has passed: a pod whose containers the agent killed (none
 * runs, and they did not all succeed) is Failed with DeadlineExceeded; one still running (no agent
 * enforced it) or one that succeeded shows what the engine shows.
 */
export function phaseAfterDeadline(seen: { phase: Phase; reason?: string }, deadline: number | undefined, now: number, anyRunning: boolean): { phase: Phase; reason?: string } {
  if (deadline === undefined || now < deadline || anyRunning || seen.phase === 'Succeeded') return seen;
  return { phase: 'Failed', reason: DEADLINE_REASON };
}
