import type { Probe, ProbeKind } from '../../pod/probe-spec.js';
import type { ProbeOutcome } from './outcome.js';

/**
 * The state of one probe of one container, as the kubelet's prober worker keeps it (worker.go's
 * doProbe), with no timer and no I/O: the caller asks `due(now)`, runs the probe, and hands the
 * outcome to `record`. Times are ms since the epoch, always passed in, so every rule is
 * table-tested without waiting.
 *
 * - The result starts as the kubelet's initial value: liveness success (a container is alive until
 *   shown otherwise), readiness failure (it takes no traffic until shown ready), startup failure
 *   (not started until it succeeds).
 * - The first probe is due `initialDelaySeconds` after the container's StartedAt, then every
 *   `periodSeconds` (from when the last was due; from when it ended if it ran a period late).
 * - The result changes only after `successThreshold` / `failureThreshold` identical outcomes in a
 *   row; an outcome of the other kind starts the count again.
 * - A startup probe gates the others: until it has succeeded, liveness and readiness are not run
 *   (and readiness stays false). Once it has succeeded it is not run again for that container.
 * - After a liveness or startup failure the container is to be killed; the worker then waits for
 *   the new container (a new id or StartedAt) instead of probing one on its way out.
 */
export type ProbeResult = 'success' | 'failure';

/** One container attempt. A new id, or the same container started again, is a new container. */
export interface ProbedContainer {
  id: string;
  /** StartedAt, ms since the epoch. */
  startedAt: number;
}

/** What a recorded outcome changed, when it changed anything. */
export interface ProbeVerdict {
  kind: ProbeKind;
  result: ProbeResult;
  /** The last failing outcome's reason, on a failure. */
  reason?: string;
  /** A liveness or startup probe failed: the container is to be killed (restarted under the pod's restartPolicy). */
  kill: boolean;
}

const INITIAL: Record<ProbeKind, ProbeResult> = { liveness: 'success', readiness: 'failure', startup: 'failure' };

export class ProbeWorker {
  private attempt!: ProbedContainer;
  private current!: ProbeResult;
  /** The outcomes in a row so far, and of which kind. */
  private streak!: { result: ProbeResult | undefined; count: number };
  private held!: boolean;
  private next!: number;
  private failureReason: string | undefined;

  /** `startup`: this container's startup worker, which gates a liveness or readiness worker. */
  constructor(readonly kind: ProbeKind, readonly probe: Probe, container: ProbedContainer, private readonly startup?: ProbeWorker) {
    this.reset(container);
  }

  get container(): ProbedContainer { return this.attempt; }

  get result(): ProbeResult { return this.current; }

  /** Why the last failing outcome failed, until the result is success again (or a new container). */
  get lastFailure(): string | undefined { return this.failureReason; }

  /** After a liveness or startup failure: no probe until a new container. */
  get onHold(): boolean { return this.held; }

  /** Starts over when `container` is a new one; says whether it was. */
  observe(container: ProbedContainer): boolean {
    if (container.id === this.attempt.id && container.startedAt === this.attempt.startedAt) return false;
    this.reset(container);
    return true;
  }

  /**
   * When the next probe is due (possibly already past), or undefined when none is to run for this
   * container: on hold, a startup probe that has succeeded, or held back by the startup probe.
   */
  nextAt(): number | undefined {
    if (this.held) return undefined;
    if (this.kind === 'startup' && this.current === 'success') return undefined;
    if (this.startup && !this.startup.hasStarted(this.attempt)) return undefined;
    return this.next;
  }

  due(now: number): boolean {
    const at = this.nextAt();
    return at !== undefined && now >= at;
  }

  /**
   * Counts an outcome of a probe run against `containerId` (this container by default) at `now`.
   * An outcome for another container (one that was replaced while the probe ran), or of a probe
   * that was not to run, is dropped. Returns the verdict when the result changed, or on a failure
   * that kills the container.
   */
  record(outcome: ProbeOutcome, now: number, containerId = this.attempt.id): ProbeVerdict | undefined {
    if (containerId !== this.attempt.id || this.nextAt() === undefined) return undefined;
    // A period after this probe was due; when that is past already (the agent was busy, the
    // startup probe only just let it run), a period after it ended: never a burst of catch-ups.
    const period = this.probe.periodSeconds * 1000;
    this.next = this.next + period > now ? this.next + period : now + period;
    const result = outcome.result;
    if (outcome.result === 'failure') this.failureReason = outcome.reason;
    this.streak = result === this.streak.result ? { result, count: this.streak.count + 1 } : { result, count: 1 };
    const threshold = result === 'success' ? this.probe.successThreshold : this.probe.failureThreshold;
    if (this.streak.count < threshold) return undefined;

    const changed = result !== this.current;
    const kill = result === 'failure' && this.kind !== 'readiness';
    this.current = result;
    if (result === 'success') this.failureReason = undefined;
    if (kill) {
      // The kubelet stops probing until it sees a new container id: an exec into a container
      // being stopped could corrupt its state (kubernetes#21751), and its result is moot anyway.
      this.held = true;
      this.streak = { result: undefined, count: 0 };
    }
    if (!changed && !kill) return undefined;
    return { kind: this.kind, result, ...(result === 'failure' ? { reason: this.failureReason } : {}), kill };
  }

  /** Whether this (startup) worker has succeeded for `container`; a worker on another container has not. */
  private hasStarted(container: ProbedContainer): boolean {
    return this.current === 'success' && this.attempt.id === container.id && this.attempt.startedAt === container.startedAt;
  }

  private reset(container: ProbedContainer): void {
    this.attempt = { id: container.id, startedAt: container.startedAt };
    this.current = INITIAL[this.kind];
    this.streak = { result: undefined, count: 0 };
    this.held = false;
    this.next = container.startedAt + this.probe.initialDelaySeconds * 1000;
    this.failureReason = undefined;
  }
}

/** The probes a container spec may carry (Kubernetes' field names). */
export interface ProbedSpec {
  livenessProbe?: Probe | undefined;
  readinessProbe?: Probe | undefined;
  startupProbe?: Probe | undefined;
}

/** In the order they matter: startup gates the others, liveness can kill. */
const KINDS: readonly ProbeKind[] = ['startup', 'liveness', 'readiness'];

/**
 * The workers of one container, startup linked to the others, so the agent keeps one of these per
 * container and asks it what to probe, when it next needs waking, and whether the container is
 * started and ready.
 */
export class ContainerProbes {
  private readonly workers = new Map<ProbeKind, ProbeWorker>();

  constructor(spec: ProbedSpec, container: ProbedContainer) {
    const startup = spec.startupProbe && new ProbeWorker('startup', spec.startupProbe, container);
    if (startup) this.workers.set('startup', startup);
    if (spec.livenessProbe) this.workers.set('liveness', new ProbeWorker('liveness', spec.livenessProbe, container, startup));
    if (spec.readinessProbe) this.workers.set('readiness', new ProbeWorker('readiness', spec.readinessProbe, container, startup));
  }

  worker(kind: ProbeKind): ProbeWorker | undefined {
    return this.workers.get(kind);
  }

  /** Starts every worker over when `container` is a new one; says whether it was. */
  observe(container: ProbedContainer): boolean {
    let fresh = false;
    for (const w of this.workers.values()) fresh = w.observe(container) || fresh;
    return fresh;
  }

  /** The kinds of probe to run now, startup first. */
  due(now: number): ProbeKind[] {
    return KINDS.filter((kind) => this.workers.get(kind)?.due(now));
  }

  /** The earliest time any probe is due, or undefined when none will run until something changes. */
  nextAt(): number | undefined {
    const times = [...this.workers.values()].map((w) => w.nextAt()).filter((t): t is number => t !== undefined);
    return times.length ? Math.min(...times) : undefined;
  }

  record(kind: ProbeKind, outcome: ProbeOutcome, now: number, containerId?: string): ProbeVerdict | undefined {
    return this.workers.get(kind)?.record(outcome, now, containerId);
  }

  /** Kubernetes' containerStatus.started: there is no startup probe, or it has succeeded (for a running container). */
  get started(): boolean {
    return (this.workers.get('startup')?.result ?? 'success') === 'success';
  }

  /** Kubernetes' containerStatus.ready: started, and the readiness probe, if any, says success. */
  get ready(): boolean {
    return this.started && (this.workers.get('readiness')?.result ?? 'success') === 'success';
  }
}
