import type { Engine } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import { latestAttempts, type ObservedPod } from '../pod/observe.js';
import { addressOn } from '../pod/read.js';
import { readProbeStatus, writeProbeStatus, type ContainerProbeStatus, type ProbeStatus } from '../pod/readiness.js';
import type { Container, InitContainer, Pod } from '../pod/spec.js';
import type { Log } from './decisions.js';
import { ContainerProbes, runProbe, type ProbeVerdict } from './probe/index.js';

/**
 * The agent's probes: one ContainerProbes per running container that has probes, per pod, and one
 * timer per pod set to the earliest probe due. HTTP and TCP probes go from this process to the
 * pod's address (no curl or nc needed in the image); exec probes go through the exec API.
 *
 * What a probe changes goes where the rest of Podling can see it: a liveness (or startup) failure
 * asks the agent to sync the pod, whose plan kills the container (`unhealthy`); a change of
 * readiness or startedness is written into the pod's infra (readiness.ts), and the agent then
 * brings the pod's service names in line (`onReadiness`).
 */
export interface ProberHooks {
  /** A container is to be killed (liveness/startup failure) or a startup probe passed: sync the pod. */
  resync(pod: string): void;
  /** The pod's readiness changed and was written: bring its DNS names in line. */
  onReadiness(pod: string, podId: string): void;
  /**
   * Where the agent reaches a pod's sandbox for HTTP and TCP probes, when not at status.podIP: on
   * a swarm node, a pod on the overlay is reached from the node through its docker_gwbridge leg.
   */
  probeAddress?: (infraId: string) => Promise<string | undefined>;
}

interface Probed { name: string; id: string; spec: Container | InitContainer; probes: ContainerProbes; probed: boolean }

interface PodProbes {
  podId: string;
  infraId: string;
  podIP?: string;
  containers: Map<string, Probed>;
  unhealthy: Set<string>;
  written?: string;
  /** What the last agent wrote, when this one started: it stands until this one has probed. */
  seed?: ProbeStatus;
  timer?: NodeJS.Timeout;
  running?: boolean;
}

export class Prober {
  private readonly pods = new Map<string, PodProbes>();

  constructor(private readonly engine: Engine, private readonly hooks: ProberHooks, private readonly log: Log, private readonly signal: AbortSignal) {}

  /** Containers of `pod` whose liveness or startup probe failed: the plan kills them. */
  unhealthy(pod: string): Set<string> {
    return this.pods.get(pod)?.unhealthy ?? new Set();
  }

  /** Running containers of `pod` whose startup probe has not yet passed (a sidecar holds the next init container). */
  notStarted(pod: string): Set<string> {
    const probed = this.pods.get(pod);
    return new Set([...(probed?.containers.values() ?? [])].filter((c) => !c.probes.started).map((c) => c.id));
  }

  /** After a sync: workers for the pod's running containers as they are now. */
  async track(name: string, pod: Pod, observed: ObservedPod): Promise<void> {
    const sandbox = observed.sandbox;
    const specs = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].filter((c) => c.livenessProbe || c.readinessProbe || c.startupProbe);
    if (!specs.length || !sandbox || sandbox.state !== 'running') return this.forget(name);
    let state = this.pods.get(name);
    if (!state || state.infraId !== sandbox.id) {
      this.forget(name);
      // A restarted agent goes on from what the last one wrote, until its own probes say otherwise.
      const written = await readProbeStatus(this.engine, sandbox.id, this.signal).catch(() => undefined);
      state = { podId: observed.id, infraId: sandbox.id, containers: new Map(), unhealthy: new Set(), written: written && key(written), seed: written };
      this.pods.set(name, state);
    }
    state.podIP = (!pod.spec.hostNetwork && await this.hooks.probeAddress?.(sandbox.id).catch(() => undefined)) || addressOf(pod, observed);
    const latest = latestAttempts(observed.attempts);
    for (const spec of specs) {
      const a = latest.get(spec.name);
      if (!a || a.state !== 'running' || a.startedAt === undefined) {
        state.containers.delete(spec.name);
        continue;
      }
      const known = state.containers.get(spec.name);
      const container = { id: a.id, startedAt: a.startedAt };
      if (known && known.id === a.id) {
        known.probes.observe(container);
        continue;
      }
      if (known) state.unhealthy.delete(known.id);
      state.containers.set(spec.name, { name: spec.name, id: a.id, spec, probes: new ContainerProbes(spec, container), probed: false });
    }
    for (const id of [...state.unhealthy]) if (![...state.containers.values()].some((c) => c.id === id)) state.unhealthy.delete(id);
    await this.publish(name, state);
    this.arm(name, state);
  }

  forget(name: string): void {
    const state = this.pods.get(name);
    if (state?.timer) clearTimeout(state.timer);
    this.pods.delete(name);
  }

  stop(): void {
    for (const name of [...this.pods.keys()]) this.forget(name);
  }

  private arm(name: string, state: PodProbes): void {
    if (state.timer) clearTimeout(state.timer);
    const times = [...state.containers.values()].map((c) => c.probes.nextAt()).filter((t): t is number => t !== undefined);
    if (!times.length || this.signal.aborted) return;
    state.timer = setTimeout(() => { void this.probe(name, state); }, Math.max(0, Math.min(...times) - Date.now()));
    state.timer.unref();
  }

  private async probe(name: string, state: PodProbes): Promise<void> {
    if (this.pods.get(name) !== state || state.running) return;
    state.running = true;
    try {
      const now = Date.now();
      const runs = [...state.containers.values()].flatMap((c) => c.probes.due(now).map((kind) => ({ c, kind })));
      const verdicts = await Promise.all(runs.map(async ({ c, kind }) => {
        const probe = kind === 'liveness' ? c.spec.livenessProbe! : kind === 'readiness' ? c.spec.readinessProbe! : c.spec.startupProbe!;
        try {
          const outcome = await runProbe(probe, { podIP: state.podIP, container: { id: c.id, ports: c.spec.ports } }, { engine: this.engine, signal: this.signal });
          c.probed = true;
          return { c, verdict: c.probes.record(kind, outcome, Date.now(), c.id) };
        } catch (err) {
          // An engine error (the container went, the engine is away) says nothing about the container.
          if (!isNotFound(err) && !this.signal.aborted) this.log({ pod: name, action: 'error', container: c.name, reason: 'ProbeError', message: (err as Error).message });
          return { c, verdict: undefined };
        }
      }));
      let resync = false;
      for (const { c, verdict } of verdicts) {
        if (!verdict) continue;
        this.say(name, c, verdict);
        if (verdict.kill) {
          state.unhealthy.add(c.id);
          resync = true;
        }
        if (verdict.kind === 'startup' && verdict.result === 'success') resync = true;
      }
      if (this.pods.get(name) !== state) return;
      await this.publish(name, state);
      if (resync) this.hooks.resync(name);
    } finally {
      state.running = false;
      if (this.pods.get(name) === state) this.arm(name, state);
    }
  }

  /** One line per changed result: the probe's kind, its result and its short reason, never headers or output. */
  private say(pod: string, c: Probed, v: ProbeVerdict): void {
    const reason = v.kill ? 'Unhealthy' : v.result === 'success' ? `${capital(v.kind)}Succeeded` : `${capital(v.kind)}Failed`;
    this.log({ pod, action: 'probe', container: c.name, reason, ...(v.reason ? { message: v.reason } : {}) });
  }

  /** Writes the pod's readiness into its infra when it changed, then lets the agent move its DNS names. */
  private async publish(name: string, state: PodProbes): Promise<void> {
    const containers: Record<string, ContainerProbeStatus> = {};
    for (const c of state.containers.values()) {
      const before = state.seed?.containers[c.name];
      // Until this agent has probed a container, what the last agent found for it stands.
      if (!c.probed && before?.id === c.id) containers[c.name] = before;
      else containers[c.name] = { id: c.id, ready: c.probes.ready, started: c.probes.started, ...(failureOf(c) ? { message: failureOf(c) } : {}) };
    }
    const status = { containers, updated: new Date().toISOString() };
    if (key(status) === state.written) return;
    try {
      await writeProbeStatus(this.engine, state.infraId, status, this.signal);
      state.written = key(status);
      this.hooks.onReadiness(name, state.podId);
    } catch (err) {
      if (!isNotFound(err) && !this.signal.aborted) this.log({ pod: name, action: 'error', reason: 'ProbeStatus', message: (err as Error).message });
    }
  }
}

const key = (status: ProbeStatus) => JSON.stringify(status.containers);
const capital = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}`;

function failureOf(c: Probed): string | undefined {
  return c.probes.worker('readiness')?.lastFailure ?? c.probes.worker('startup')?.lastFailure ?? c.probes.worker('liveness')?.lastFailure;
}

/** Where the pod answers, as `status.podIP` says; a hostNetwork pod on this host's loopback (the agent runs beside it). */
function addressOf(pod: Pod, observed: ObservedPod): string | undefined {
  return pod.spec.hostNetwork ? '127.0.0.1' : addressOn(observed.sandbox?.networks ?? {}, observed.id);
}
