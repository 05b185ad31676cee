import type { Container, InitContainer, Pod } from './spec.js';

/**
 * How long a container is given to stop, as the kubelet decides it (setTerminationGracePeriod and
 * killContainer in kuberuntime_container.go). Pure: every rule is a table test.
 */

/** Kubernetes' default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE = 30;
/** The kubelet never gives a stop less than this once a preStop hook has used up the grace. */
export const MINIMUM_STOP_GRACE = 2;

export interface GraceInput {
  pod: Pod;
  /** `--grace-period` of a delete: overrides the pod's, as kubectl's does. */
  override?: number;
  /** When the pod sets none (an agent's `--grace-period`), else DEFAULT_GRACE. */
  fallback?: number;
  /** The probe that failed, when a failed probe is why the container is killed. */
  probe?: 'liveness' | 'startup';
  container?: Container | InitContainer;
}

/**
 * The seconds between the start of a kill (preStop included) and SIGKILL: a delete's explicit
 * grace period; for a failed liveness or startup probe that probe's own grace when it sets one;
 * else the pod's terminationGracePeriodSeconds; else the fallback.
 */
export function graceFor({ pod, override, fallback, probe, container }: GraceInput): number {
  if (override !== undefined) return override;
  const probeGrace = probe === 'liveness' ? container?.livenessProbe?.terminationGracePeriodSeconds
    : probe === 'startup' ? container?.startupProbe?.terminationGracePeriodSeconds : undefined;
  return probeGrace ?? pod.spec.terminationGracePeriodSeconds ?? fallback ?? DEFAULT_GRACE;
}

/** Whether a kill runs the container's preStop hook first: only with a grace period to run it in. */
export const runsPreStop = (container: Container | InitContainer | undefined, grace: number) =>
  grace > 0 && container?.lifecycle?.preStop !== undefined;

/**
 * The grace the stop itself gets after a preStop hook ran for `elapsedMs`: what is left of the
 * whole, in whole seconds as the kubelet counts them, and never under MINIMUM_STOP_GRACE (the app
 * still gets a moment between its stop signal and SIGKILL). A grace of 0 stays 0.
 */
export function stopGrace(grace: number, elapsedMs: number): number {
  if (grace === 0) return 0;
  return Math.max(grace - Math.floor(elapsedMs / 1000), MINIMUM_STOP_GRACE);
}
