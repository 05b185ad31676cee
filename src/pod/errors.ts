import { isEngineError } from '../engine/errors.js';

/** Why a pod could not be created, named as the kubelet names its reasons. */
export type PodFailureReason =
  | 'ImagePullError' | 'ErrImageNeverPull' | 'InfraImageError' | 'NetworkCreateError'
  | 'ContainerCreateError' | 'ContainerStartError' | 'AlreadyExists';

/** A pod create that failed and was rolled back: its phase is Failed, with a reason and the daemon's message. */
export class PodFailedError extends Error {
  override readonly name = 'PodFailedError';
  readonly phase = 'Failed';
  constructor(readonly pod: string, readonly reason: PodFailureReason, readonly detail: string, options?: { cause?: unknown }) {
    super(`pod ${pod} Failed: ${reason}: ${detail}`, options);
  }
}

export class PodNotFoundError extends Error {
  override readonly name = 'PodNotFoundError';
  constructor(readonly pod: string) {
    super(`pod "${pod}" not found`);
  }
}

/** The daemon's own words when there are any, else the error's message. */
export function detailOf(err: unknown): string {
  if (isEngineError(err)) return err.daemonMessage ?? err.message;
  return err instanceof Error ? err.message : String(err);
}
