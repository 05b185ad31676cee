import { PodlingError } from '../../errors.js';
import { probeHandler, probePort, type Probe } from '../../pod/probe-spec.js';
import { execProbe, type ExecProbeEngine } from './exec-probe.js';
import { httpProbe } from './http-probe.js';
import { failure, type ProbeOutcome } from './outcome.js';
import { tcpProbe } from './tcp-probe.js';

/** What a probe is carried out against. */
export interface ProbeTarget {
  /**
   * Where httpGet and tcpSocket probes go, from this process: the pod's IP (the kubelet's default
   * host). Undefined while the pod has none: those probes then fail.
   */
  podIP: string | undefined;
  /** The container: exec probes run in it (by id), and a port given by name is one of its `ports`. */
  container: { id: string; ports?: ReadonlyArray<{ name?: string | undefined; containerPort: number }> | undefined };
}

export interface RunProbeOptions {
  /** The engine exec probes run through; httpGet and tcpSocket probes never use it. */
  engine?: ExecProbeEngine;
  /** Ends the probe at once: runProbe then rejects with a PodlingError of kind `aborted`. */
  signal?: AbortSignal;
}

/**
 * Carries one probe out, within its `timeoutSeconds`, enforced here: when the deadline passes the
 * outcome is a failure (`timeout after 1s`), whatever the handler is still waiting for, and the
 * handler is aborted so it lets go of its socket or stream.
 *
 * Resolves with the outcome. Rejects only when `signal` aborts, or when an exec probe's engine
 * call fails (the engine's error): neither says anything about the container, and the kubelet
 * counts no result for a probe that errored.
 */
export async function runProbe(probe: Probe, target: ProbeTarget, options: RunProbeOptions = {}): Promise<ProbeOutcome> {
  const { signal } = options;
  if (signal?.aborted) throw abortedProbe(signal);
  // The handler's own signal, aborted when the race below is over, whoever won it. Joined to the
  // caller's by a listener removed at the end, not AbortSignal.any: an agent's signal lives for
  // the whole run, and every probe would otherwise hang one more dependent signal on it.
  const inner = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const ended = new Promise<ProbeOutcome>((resolve, reject) => {
    timer = setTimeout(() => resolve(failure(`timeout after ${probe.timeoutSeconds}s`)), probe.timeoutSeconds * 1000);
    onAbort = () => reject(abortedProbe(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const handler = carryOut(probe, target, options.engine, inner.signal);
    // A handler still running when the deadline or the caller ends the race is aborted, and its
    // late result or rejection dropped (caught here, so never an unhandled rejection).
    handler.catch(() => {});
    return await Promise.race([handler, ended]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    inner.abort(new Error('the probe is over'));
  }
}

async function carryOut(probe: Probe, target: ProbeTarget, engine: ExecProbeEngine | undefined, signal: AbortSignal): Promise<ProbeOutcome> {
  const handler = probeHandler(probe);
  if (handler.type === 'exec') {
    if (!engine) throw new PodlingError('invalid-argument', 'an exec probe needs the engine (runProbe options.engine)');
    return execProbe(engine, target.container.id, handler.exec, signal);
  }
  if (target.podIP === undefined) return failure('the pod has no IP address yet');
  const action = handler.type === 'httpGet' ? handler.httpGet : handler.tcpSocket;
  const port = probePort(target.container, action.port);
  return handler.type === 'httpGet' ? httpProbe(handler.httpGet, target.podIP, port, signal) : tcpProbe(target.podIP, port, signal);
}

function abortedProbe(signal: AbortSignal): PodlingError {
  return new PodlingError('aborted', 'probe aborted', { cause: signal.reason });
}
