import { setMaxListeners } from 'node:events';
import type { Engine } from '../engine/index.js';
import { isEngineError } from '../engine/errors.js';
import type { EngineEvent } from '../engine/system.js';
import { clusterNetworkFrom, type ClusterNetwork } from '../pod/cluster.js';
import { creatorAlive, creatorTag } from '../pod/creator.js';
import { isRemoval } from '../pod/engine-events.js';
import { matches, parseSelector, type Requirement } from '../pod/selector.js';
import { deletePod } from '../pod/delete.js';
import { executeActions } from '../pod/execute.js';
import { LABEL, namespaceFrom, qualifiedName, splitQualified } from '../pod/labels.js';
import { acquireLease } from '../pod/lease.js';
import { observePod } from '../pod/observe.js';
import { planPod } from '../pod/plan.js';
import { readPods, type PodRecord } from '../pod/read.js';
import { PodRuntime } from '../pod/runtime.js';
import { syncAliases } from '../pod/aliases.js';
import { readServices } from '../pod/services.js';
import { decisionsOf, type Log } from './decisions.js';
import { Prober } from './prober.js';
import { handBack } from './handback.js';

/**
 * The pod runtime's loop, as the kubelet's: the engine's events say which pod to look at again
 * (they are never trusted for what happened), a sync of that pod observes it, plans and carries
 * the plan out, and a slow relist catches whatever events missed. Everything it needs is rebuilt
 * from the engine at each sync, so an agent killed and started again loses nothing that matters.
 * It never rolls back: a sync that fails stops, and the next one looks again.
 */
/**
 * Podman 4.3's compatible API has no `POST /containers/{id}/update` (a plain 404), so the agent can
 * neither take a pod over (turn the engine's restart policy off) nor hand restarts back when it
 * stops. Said once at start rather than lost in a 404 read as "container gone".
 */
const NO_UPDATE = 'the engine (Podman) has no POST /containers/{id}/update: the agent cannot turn off the restart policy of pods made without it, ' +
  'so Podman restarts those containers too, beside the agent; and when the agent stops, restarts are not handed back to the engine ' +
  '(pods made under the agent keep restart policy "no"). Make pods with the agent running, or restart them after it stops';

export interface AgentOptions {
  log: Log;
  cluster?: Partial<ClusterNetwork>;
  /** The safety-net relist, ms (default 60 s): events are what drive syncs. */
  relistInterval?: number;
  /** `host:pid` by default: the creator label of what the agent makes, and the lease holder. */
  creator?: string;
  infraImage?: string;
  /** Grace (s) for containers the agent kills in pods that set no terminationGracePeriodSeconds (default 30). */
  grace?: number;
  /** Only pods whose labels match this selector (`app=web`); every pod by default. */
  selector?: string;
  /**
   * On a swarm node: the node a pod now belongs to, when that is not this one (the swarm's pod
   * records, src/nodes/records.ts). Such a pod was made again elsewhere while this node was away
   * (node drain --force), so this node's copy is removed instead of run. Undefined: keep it.
   */
  movedTo?: (pod: { name: string; namespace: string }, signal?: AbortSignal) => Promise<string | undefined>;
  /** Where HTTP and TCP probes reach a pod's sandbox, when not at its podIP (see ProberHooks). */
  probeAddress?: (infraId: string) => Promise<string | undefined>;
}

/** Container actions that can change what a pod needs; exec_* and health_status do not. */
// kill and stop are always followed by die: syncing on them too would only sync twice. A removal
// is relevant in either engine's words (isRemoval).
const RELEVANT = new Set(['create', 'start', 'die', 'restart', 'oom', 'rename', 'pause', 'unpause']);
const RETRY_MIN = 1000;
const RETRY_MAX = 30_000;

export class Agent {
  readonly runtime: PodRuntime;
  private readonly creator: string;
  private readonly log: Log;
  private readonly queued = new Map<string, { again: boolean }>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly retries = new Map<string, number>();
  private readonly saidWaits = new Map<string, Set<string>>();
  private readonly fingerprints = new Map<string, string>();
  /** Pods (by id) the selector does not take: their events cost nothing (a pod's labels never change). */
  private readonly foreign = new Set<string>();
  /** A pod just read by a relist: its first sync starts from that reading instead of reading it again. */
  private readonly fresh = new Map<string, PodRecord>();
  private readonly selector: Requirement[];
  private signal?: AbortSignal;
  private prober?: Prober;

  constructor(readonly engine: Engine, private readonly options: AgentOptions) {
    this.creator = options.creator ?? creatorTag();
    this.runtime = new PodRuntime(engine, clusterNetworkFrom(process.env, options.cluster), { creator: this.creator });
    this.log = options.log;
    this.selector = options.selector === undefined ? [] : parseSelector(options.selector);
  }

  /** Supervises until `signal` aborts, then hands restarts back to the engine and releases the lease. Pods keep running. */
  async run(signal: AbortSignal): Promise<void> {
    await this.supervise(signal, async () => {
      let down = false;
      let wait = RETRY_MIN;
      while (!signal.aborted) {
        try {
          await this.watch(signal, () => {
            if (down) this.log({ pod: '', action: 'engine', reason: 'Available', message: 'the engine answers again: every pod is looked at' });
            down = false;
            wait = RETRY_MIN;
          });
        } catch (err) {
          if (signal.aborted) break;
          if (!down) this.log({ pod: '', action: 'engine', reason: isEngineError(err, 'unavailable') ? 'Unavailable' : 'StreamEnded', message: `${(err as Error).message}; waiting for it, retrying with back-off` });
          down = true;
          await sleep(wait, signal);
          wait = Math.min(wait * 2, RETRY_MAX);
        }
      }
    });
  }

  /** One pass: every pod synced once, then restarts handed back to the engine. */
  async once(signal: AbortSignal = new AbortController().signal): Promise<void> {
    await this.supervise(signal, async () => {
      await this.relist(true);
      await this.settle();
    });
  }

  private async supervise(signal: AbortSignal, body: () => Promise<void>): Promise<void> {
    // Every engine call of every sync listens on this one signal: many at once is expected.
    setMaxListeners(0, signal);
    this.signal = signal;
    this.prober = new Prober(this.engine, {
      resync: (pod) => this.schedule(pod),
      ...(this.options.probeAddress ? { probeAddress: this.options.probeAddress } : {}),
      // After the sync in hand, in the pod's own queue: never beside a remake of its sandbox.
      onReadiness: (pod, podId) => { void this.runtime.serial(pod, async () => syncAliases(this.engine, this.runtime.cluster.name, await readServices(this.engine), { podId, signal })).catch((err: unknown) => this.failed(pod, err)); },
    }, this.log, signal);
    const release = await acquireLease(this.engine, await this.runtime.ensureInfraImage(this.options.infraImage), { holder: this.creator, signal });
    this.log({ pod: '', action: 'agent', reason: 'Started', holder: this.creator });
    const updates = await this.engine.flavour() !== 'podman';
    if (!updates) this.log({ pod: '', action: 'engine', reason: 'NoRestartPolicyUpdate', message: NO_UPDATE });
    try {
      await body();
    } finally {
      for (const timer of this.timers.values()) clearTimeout(timer);
      this.timers.clear();
      this.prober.stop();
      await this.settle();
      // Pods stay; restarts go back to the engine, so a pod no agent supervises is no worse off.
      const handed = !updates ? 0 : await handBack(this.engine, (pod) => this.mine(pod)).catch((err: unknown) => { this.log({ pod: '', action: 'error', reason: 'HandBack', message: (err as Error).message }); return 0; });
      if (!updates) this.log({ pod: '', action: 'engine', reason: 'NoHandBack', message: 'restart policies not handed back to the engine: it cannot update a container (see NoRestartPolicyUpdate)' });
      await release().catch(() => {});
      this.log({ pod: '', action: 'agent', reason: 'Stopped', handedBack: handed });
    }
  }

  /** Subscribe first, then relist: what changes after the list is in the stream. */
  private async watch(signal: AbortSignal, onSubscribed: () => void): Promise<void> {
    const events = await this.engine.system.events({ filters: { type: ['container', 'network', 'image'] }, signal });
    onSubscribed();
    await this.relist(true);
    const relist = setInterval(() => { void this.relist(false).catch((err: unknown) => this.failed('', err)); }, this.options.relistInterval ?? 60_000);
    try {
      for await (const event of events) this.onEvent(event);
    } finally {
      clearInterval(relist);
      events.close();
    }
    if (!signal.aborted) throw new Error('the engine closed its events stream');
  }

  private mine(pod: PodRecord): boolean {
    return matches(this.selector, pod.spec?.metadata.labels);
  }

  private onEvent(event: EngineEvent): void {
    this.runtime.observe(event);
    if (event.Type !== 'container' || !(RELEVANT.has(event.Action) || isRemoval(event))) return;
    const name = event.Actor.Attributes?.[LABEL.podName];
    const id = event.Actor.Attributes?.[LABEL.podId];
    if (!name || event.Actor.Attributes?.[LABEL.managed] !== 'true' || (id && this.foreign.has(id))) return;
    const pod = qualifiedName(name, namespaceFrom(event.Actor.Attributes));
    this.fresh.delete(pod); // something changed since the relist: read it again
    this.schedule(pod);
  }

  /**
   * Every pod on the engine: all of them after a (re)subscription, only those whose containers
   * changed on the periodic safety net (an idle engine then costs one list call a minute).
   */
  private async relist(all: boolean): Promise<void> {
    const listed = await readPods(this.engine, { signal: this.signal });
    for (const p of listed) if (!this.mine(p)) this.foreign.add(p.id);
    const pods = listed.filter((p) => this.mine(p));
    const names = new Set(pods.map(keyOf));
    for (const pod of pods) {
      const print = fingerprint(pod);
      const key = keyOf(pod);
      if (all || this.fingerprints.get(key) !== print) {
        this.fresh.set(key, pod);
        this.schedule(key);
      }
      this.fingerprints.set(key, print);
    }
    for (const name of this.fingerprints.keys()) if (!names.has(name)) this.forget(name);
  }

  /** A sync of `pod` (its qualified name, see qualifiedName), once: asked again while one is queued, it is not queued twice; asked while one runs, it runs again after. */
  private schedule(pod: string): void {
    if (this.signal?.aborted) return;
    const queued = this.queued.get(pod);
    if (queued) {
      queued.again = true;
      return;
    }
    const state = { again: false };
    this.queued.set(pod, state);
    const run = this.runtime.serial(pod, async () => {
      do {
        state.again = false;
        await this.sync(pod);
      } while (state.again && !this.signal?.aborted);
    }).catch((err: unknown) => this.failed(pod, err)).finally(() => {
      this.queued.delete(pod);
      this.inFlight.delete(run);
    });
    this.inFlight.add(run);
  }

  private async sync(name: string): Promise<void> {
    const given = this.fresh.get(name);
    this.fresh.delete(name);
    const { name: podName, namespace } = splitQualified(name);
    const [record] = given ? [given] : await readPods(this.engine, { labels: [`${LABEL.podName}=${podName}`], namespace, signal: this.signal });
    if (record && record.spec && !this.mine(record)) this.foreign.add(record.id);
    if (!record || record.deleting || !record.spec || !this.mine(record)) return this.forget(name);
    if (beingCreated(record, this.creator)) return this.wakeAt(name, Date.now() + 1000);
    // A manager that does not answer says nothing: the pod is kept and supervised meanwhile.
    const movedTo = await this.options.movedTo?.({ name: podName, namespace }, this.signal).catch(() => undefined);
    if (movedTo) {
      this.log({ pod: name, action: 'delete', reason: 'MovedToNode', message: `the swarm records the pod on node ${movedTo}: this node's copy is removed` });
      await deletePod(this.engine, record, { force: true, signal: this.signal });
      return this.forget(name);
    }
    this.fingerprints.set(name, fingerprint(record));
    const observed = await observePod(this.engine, record, { signal: this.signal });
    await this.prober!.track(name, record.spec, observed);
    const actions = planPod({
      pod: record.spec, observed, now: Date.now(), supervised: true,
      unhealthy: this.prober!.unhealthy(name), notStarted: this.prober!.notStarted(name),
    });
    const said = this.saidWaits.get(name) ?? new Set<string>();
    this.saidWaits.set(name, said);
    for (const decision of decisionsOf(name, actions, said)) this.log(decision);
    await executeActions(this.runtime, record.spec, observed, actions, {
      podId: record.id, creator: this.creator, supervised: true, infraImage: this.options.infraImage, grace: this.options.grace, signal: this.signal,
      onHookFailure: (f) => this.log({ pod: name, action: 'hook', container: f.container, reason: 'FailedPreStopHook', message: f.reason }),
    });
    this.retries.delete(name);
    if (actions.wakeAt !== undefined) this.wakeAt(name, actions.wakeAt);
  }

  private wakeAt(pod: string, at: number): void {
    clearTimeout(this.timers.get(pod));
    const timer = setTimeout(() => { this.timers.delete(pod); this.schedule(pod); }, Math.max(0, at - Date.now()) + 50);
    timer.unref();
    this.timers.set(pod, timer);
  }

  private failed(pod: string, err: unknown): void {
    if (this.signal?.aborted) return;
    if (isEngineError(err, 'unavailable')) return; // the watch loop says so, once
    this.log({ pod, action: 'error', message: (err as Error).message });
    if (!pod) return;
    const wait = Math.min((this.retries.get(pod) ?? RETRY_MIN / 2) * 2, RETRY_MAX);
    this.retries.set(pod, wait);
    this.wakeAt(pod, Date.now() + wait);
  }

  private forget(pod: string): void {
    this.prober?.forget(pod);
    clearTimeout(this.timers.get(pod));
    this.timers.delete(pod);
    this.fingerprints.delete(pod);
    this.fresh.delete(pod);
    this.saidWaits.delete(pod);
    this.retries.delete(pod);
  }

  /** Until no sync is queued or running. */
  private async settle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }
}

/**
 * A pod another live process is still creating (`pod create` running now): its infra not yet
 * started, or a container of the spec not yet made or started. Acting on it would race that
 * process (remove its half-made infra, collide with the names it is about to take); once it is
 * done, or dead, the pod is ours.
 */
function beingCreated(pod: PodRecord, self: string): boolean {
  const creator = pod.infra?.Labels?.[LABEL.creator];
  if (!creator || creator === self || !creatorAlive(creator)) return false;
  const named = new Set(pod.apps.map((c) => c.Labels?.[LABEL.container]));
  return pod.infra?.State === 'created' || pod.apps.some((c) => c.State === 'created')
    || pod.spec!.spec.containers.some((c) => !named.has(c.name));
}

/** The agent's key for a pod: its qualified name, unique across namespaces. */
const keyOf = (pod: PodRecord) => qualifiedName(pod.name, pod.namespace);

/** What a relist compares: which containers the pod has and in what state. */
function fingerprint(pod: PodRecord): string {
  return [pod.infra, ...pod.apps].map((c) => c && `${c.Id}:${c.State}`).sort().join(',');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  });
}
