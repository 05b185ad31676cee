/**
 * The one error base of every layer. Each failure Podling reports carries a `kind` decided where
 * the failure is understood (the engine client from HTTP statuses, the pod layer from what it was
 * asked), so callers and the CLI branch on the kind and never on a class list or on message text
 * (moby's errdefs, ky's error classes).
 */
export class PodlingError<K extends string = string> extends Error {
  override readonly name: string = 'PodlingError';
  constructor(readonly kind: K, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isPodlingError(err: unknown, kind?: string): err is PodlingError {
  return err instanceof PodlingError && (kind === undefined || err.kind === kind);
}
