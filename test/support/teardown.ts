import { isPodlingError } from '../../src/errors.js';
import type { Engine } from '../../src/engine/index.js';

/**
 * A test's teardown, owned by its context instead of a `finally` in every test (the model is Go's
 * `t.Cleanup`). A test registers a cleanup as it makes something; once the body is over, pass or
 * fail, every cleanup runs, newest first: what was made last may hold what was made before it (a
 * container its network or volume). Each runs even when an earlier one failed. An object already
 * gone (any error of kind `not-found`: the engine's 404, a pod or service the pod layer cannot
 * find) is clean, not a failure: the body may have removed it itself.
 */

export type Cleanup = () => unknown;

/** What `track` needs of an engine: one remove per kind of object. */
export interface Removers {
  containers: Pick<Engine['containers'], 'remove'>;
  networks: Pick<Engine['networks'], 'remove'>;
  volumes: Pick<Engine['volumes'], 'remove'>;
  images: Pick<Engine['images'], 'remove'>;
}

/** Registers the removal of an engine object; each returns what it was given, to use inline. */
export interface Track {
  /** Removed with force (running or not) and with its anonymous volumes. */
  container(id: string): string;
  network(idOrName: string): string;
  /** Removed without force: a volume still in use is a failure worth seeing. */
  volume(name: string): string;
  /** Untagged, never forced: a reference to a shared test image only loses that tag. */
  image(reference: string): string;
}

export interface Teardown {
  /** Registers `cleanup` to run after the body; `what` names it in a failure report. */
  defer(cleanup: Cleanup, what?: string): void;
  track: Track;
}

/** Cleanups that failed (other than with not-found), all of them, after every cleanup ran. */
export class TeardownError extends AggregateError {
  override readonly name = 'TeardownError';

  constructor(readonly failures: Array<{ what: string; error: unknown }>) {
    // One line: uvu prints the message and then the stack, which repeats a multi-line message.
    super(failures.map((f) => f.error), `teardown failed: ${describe(failures)}`);
  }
}

function describe(failures: Array<{ what: string; error: unknown }>): string {
  return failures.map(({ what, error }) => `${what}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`).join('; ');
}

/**
 * Runs `body` with a fresh teardown, then every cleanup it registered. The body's failure is the
 * test's failure, with any cleanup failures added to its message; a body that passed fails with a
 * TeardownError when a cleanup did. `engine` is what `track` removes through; without one, only
 * `defer` can be used.
 */
export async function withTeardown<T>(engine: Removers | undefined, body: (teardown: Teardown) => Promise<T>): Promise<T> {
  const cleanups: Array<{ what: string; cleanup: Cleanup }> = [];
  let over = false;
  const defer = (cleanup: Cleanup, what = `cleanup #${cleanups.length + 1}`) => {
    // A registration after the end would never run: a leak that must not pass silently.
    if (over) throw new Error(`teardown: "${what}" registered after the test's teardown ran`);
    cleanups.push({ what, cleanup });
  };
  const teardown: Teardown = { defer, track: tracker(engine, defer) };

  let outcome: { passed: true; value: T } | { passed: false; error: unknown };
  try {
    outcome = { passed: true, value: await body(teardown) };
  } catch (error) {
    outcome = { passed: false, error };
  }
  const failures: Array<{ what: string; error: unknown }> = [];
  // A cleanup may register another (undo an undo): it runs too, before those registered earlier.
  for (let next = cleanups.pop(); next; next = cleanups.pop()) {
    try {
      await next.cleanup();
    } catch (error) {
      if (!isPodlingError(error, 'not-found')) failures.push({ what: next.what, error });
    }
  }
  over = true;

  if (!outcome.passed) {
    if (failures.length && outcome.error instanceof Error) outcome.error.message += ` (and ${new TeardownError(failures).message})`;
    throw outcome.error;
  }
  if (failures.length) throw new TeardownError(failures);
  return outcome.value;
}

/** `track` for `engine`, registering through `defer`: for a test that makes objects on several engines. */
export function tracker(engine: Removers | undefined, defer: Teardown['defer']): Track {
  const register = (kind: string, remove: (engine: Removers, ref: string) => Promise<unknown>) => (ref: string): string => {
    if (!engine) throw new Error(`teardown: track.${kind} needs an engine; this teardown has none`);
    defer(() => remove(engine, ref), `remove ${kind} ${ref}`);
    return ref;
  };
  return {
    container: register('container', (e, id) => e.containers.remove(id, { force: true, volumes: true })),
    network: register('network', (e, id) => e.networks.remove(id)),
    volume: register('volume', (e, name) => e.volumes.remove(name)),
    image: register('image', (e, reference) => e.images.remove(reference)),
  };
}
