import { setTimeout as sleep } from 'node:timers/promises';
import { execProbe } from '../agent/probe/exec-probe.js';
import { httpGet } from '../agent/probe/http-probe.js';
import { oneLine } from '../agent/probe/outcome.js';
import type { Engine } from '../engine/index.js';
import { detailOf } from './errors.js';
import { runsPreStop, stopGrace } from './grace.js';
import type { LifecycleHandler } from './lifecycle-spec.js';
import { probePort } from './probe-spec.js';
import { addressOn } from './read.js';
import type { Container, InitContainer, Pod } from './spec.js';

/**
 * Lifecycle hooks, run as the kubelet runs them (lifecycle/handlers.go, kuberuntime_container.go):
 * exec in the container through the engine's exec API (a non-zero exit fails), httpGet from this
 * process to the pod's IP as the prober does (only a failed exchange fails: any answer counts, as
 * for the kubelet), sleep here. A hook has no timeout of its own: postStart blocks until it ends
 * (or the caller aborts), preStop is cut off when the grace period ends.
 */

/** Sent unless the hook names its own, as the kubelet sends `kube-lifecycle/<version>`. */
export const HOOK_USER_AGENT = 'podling-lifecycle/1';

export type HookName = 'postStart' | 'preStop';
export type HookOutcome = { ok: true } | { ok: false; reason: string };

/** Where a hook is carried out: the container, and the pod's address for httpGet. */
export interface HookTarget {
  id: string;
  container: Container | InitContainer;
  /** Looked up only when an httpGet hook needs it (it may cost an inspect). */
  podIP: () => Promise<string | undefined>;
}

/** What a hook reports when it fails: short, never a header or more than the start of the output. */
export interface HookFailure { container: string; hook: HookName; reason: string }

export async function runHook(engine: Engine, handler: LifecycleHandler, target: HookTarget, signal: AbortSignal): Promise<HookOutcome> {
  try {
    if (handler.exec) {
      const outcome = await execProbe(engine, target.id, handler.exec, signal);
      return outcome.result === 'success' ? { ok: true } : { ok: false, reason: outcome.reason };
    }
    if (handler.httpGet) {
      const address = await target.podIP();
      if (address === undefined) return { ok: false, reason: 'the pod has no IP address' };
      const answer = await httpGet(handler.httpGet, address, probePort(target.container, handler.httpGet.port), signal, HOOK_USER_AGENT);
      return 'failure' in answer ? { ok: false, reason: answer.failure } : { ok: true };
    }
    if (handler.sleep) {
      await sleep(handler.sleep.seconds * 1000, undefined, { signal });
      return { ok: true };
    }
    return { ok: false, reason: 'the hook has no handler' }; // the schema refuses it
  } catch (err) {
    // The container is gone or stopped, or the engine is away: the hook did not run to its end.
    if (signal.aborted) return { ok: false, reason: 'cut off: no time left' };
    return { ok: false, reason: oneLine(detailOf(err), 120) };
  }
}

/**
 * A container's postStart hook, if it has one, once it has started. The kubelet's caller kills the
 * container when it fails; so does ours (execute.ts).
 */
export async function runPostStart(engine: Engine, target: HookTarget, signal?: AbortSignal): Promise<HookOutcome> {
  const hook = target.container.lifecycle?.postStart;
  if (!hook) return { ok: true };
  return runHook(engine, hook, target, signal ?? new AbortController().signal);
}

export interface StopOptions {
  /** Seconds from `since` to SIGKILL (graceFor); 0 stops at once with no hook. */
  grace: number;
  /** When the grace period began (ms): a pod's containers share one deadline. Now by default. */
  since?: number;
  signal?: AbortSignal;
  onHookFailure?: (failure: HookFailure) => void;
}

/**
 * Stops a container as the kubelet's killContainer: its preStop hook first, within the grace
 * period, then the stop signal with what is left of it (at least MINIMUM_STOP_GRACE). A preStop
 * that fails or runs out of time is reported, and the stop goes on.
 */
export async function stopContainer(engine: Engine, target: HookTarget, options: StopOptions): Promise<void> {
  const since = options.since ?? Date.now();
  let grace = options.grace;
  if (runsPreStop(target.container, grace)) {
    const outcome = await withDeadline(since + grace * 1000, options.signal, (signal) => runHook(engine, target.container.lifecycle!.preStop!, target, signal));
    if (!outcome.ok) options.onHookFailure?.({ container: target.container.name, hook: 'preStop', reason: outcome.reason });
    grace = stopGrace(grace, Date.now() - since);
  }
  await engine.containers.stop(target.id, { grace, signal: options.signal });
}

/** Runs `fn` with a signal aborted at `deadline` (or when `outer` aborts); a run cut off reports it. */
async function withDeadline(deadline: number, outer: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<HookOutcome>): Promise<HookOutcome> {
  const inner = new AbortController();
  const onAbort = () => inner.abort();
  outer?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HookOutcome>((resolve) => {
    timer = setTimeout(() => { inner.abort(); resolve({ ok: false, reason: 'the grace period ran out before it ended' }); }, Math.max(0, deadline - Date.now()));
  });
  try {
    const run = fn(inner.signal);
    run.catch(() => {});
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
    inner.abort();
  }
}

/** The address hooks go to, by the prober's rule: the pod's IP, or this host's loopback for a hostNetwork pod. */
export function hookAddress(pod: Pod, podId: string, networks: Record<string, { IPAddress?: string }> | null | undefined): string | undefined {
  if (pod.spec.hostNetwork) return '127.0.0.1';
  return addressOn(Object.fromEntries(Object.entries(networks ?? {}).map(([name, e]) => [name, e.IPAddress])), podId);
}

/** The pod's address from its infra, inspected once, and only if a hook asks for it. */
export function lazyAddress(engine: Engine, pod: Pod, podId: string, infraId: string | undefined, signal?: AbortSignal): () => Promise<string | undefined> {
  let address: Promise<string | undefined> | undefined;
  return () => (address ??= infraId === undefined ? Promise.resolve(undefined)
    : engine.containers.inspect(infraId, { signal }).then((c) => hookAddress(pod, podId, c.NetworkSettings.Networks), () => undefined));
}

/** Whether any of these containers has a postStart hook: then they start one after another (execute.ts). */
export const anyPostStart = (containers: Array<Container | InitContainer | undefined>) => containers.some((c) => c?.lifecycle?.postStart !== undefined);
