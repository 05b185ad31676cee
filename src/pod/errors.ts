import { PodlingError } from '../errors.js';
import { isEngineError } from '../engine/errors.js';

/**
 * The pod layer's failures share PodlingError (src/errors.ts) with the engine client's, so one
 * check of `kind` tells a caller (and the CLI's exit code) what happened:
 * - `invalid`: what the caller handed over is wrong; nothing was sent to the engine;
 * - `not-found` / `already-exists`: a pod or service by that name;
 * - `failed`: a pod could not be run and was rolled back;
 * - `held`: another agent supervises this engine;
 * - `aborted`: the caller's signal stopped it (what it had made is taken back).
 */
export type PodErrorKind = 'invalid' | 'not-found' | 'already-exists' | 'failed' | 'held' | 'aborted';

export class PodError extends PodlingError<PodErrorKind> {
  override readonly name: string = 'PodError';
}

/** Why a pod could not be created, named as the kubelet names its reasons. */
export type PodFailureReason =
  | 'ImagePullError' | 'ErrImageNeverPull' | 'InfraImageError' | 'NetworkCreateError'
  | 'ContainerCreateError' | 'CreateContainerConfigError' | 'ContainerStartError' | 'VolumeCreateError' | 'InitContainerError' | 'FailedPostStartHook' | 'AlreadyExists'
  // The kubelet's admission reason for a pod whose nodeName or nodeSelector this node does not fit.
  | 'NodeAffinity'
  // The scheduler's reason for a pod no node can take (kubectl: "0/3 nodes are available: …").
  | 'Unschedulable'
  // The kubelet's event for an imagePullSecret it could not use (it pulls without; Podling refuses: pull-credentials.ts).
  | 'FailedToRetrieveImagePullSecret';

/** A pod create that failed and was rolled back: its phase is Failed, with a reason and the daemon's message. */
export class PodFailedError extends PodError {
  override readonly name = 'PodFailedError';
  readonly phase = 'Failed';
  constructor(readonly pod: string, readonly reason: PodFailureReason, readonly detail: string, options?: { cause?: unknown }) {
    super(reason === 'AlreadyExists' ? 'already-exists' : 'failed', `pod ${pod} Failed: ${reason}: ${detail}`, options);
  }
}

export class PodNotFoundError extends PodError {
  override readonly name = 'PodNotFoundError';
  constructor(readonly pod: string, readonly namespace = 'default') {
    // kubectl's words; the namespace is named only outside the default one, as kubectl does.
    super('not-found', `pod "${pod}" not found${namespace === 'default' ? '' : ` in namespace "${namespace}"`}`);
  }
}

/** The daemon's own words when there are any, else the error's message. */
export function detailOf(err: unknown): string {
  if (isEngineError(err)) return err.daemonMessage ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Before shared work that takes no signal of its own (the infra image, found once for everyone). */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new PodError('aborted', `${what}: aborted`, { cause: signal.reason });
}
