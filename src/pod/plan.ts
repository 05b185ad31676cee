import { restartDecision, type Backoff } from './backoff.js';
import { containerHash } from './containers.js';
import { activeSince, deadlineOf } from './deadline.js';
import { latestAttempts, type Attempt, type ObservedPod } from './observe.js';
import { isSidecar, type Container, type InitContainer, type Pod } from './spec.js';

/**
 * The one decision per pod, as the kubelet's computePodActions: desired spec + observed state +
 * now → what to do. Pure (no engine, no clock of its own), so every rule is a table test; the
 * executor only carries the answer out, in a fixed order.
 */

export type SandboxReason = 'NoSandbox' | 'SandboxNotRunning' | 'SandboxRestarted';
export type KillReason = 'SandboxChanged' | 'SpecChanged' | 'NotInSpec' | 'Unhealthy' | 'DeadlineExceeded';

export interface StartAction {
  name: string;
  attempt: number;
  /** The back-off this attempt carries (none for a container's first run). */
  backoff?: Backoff;
  /** An attempt already created but never started (a sync cut short): start it, do not make another. */
  existing?: string;
}

export interface KillAction {
  id: string;
  name: string;
  reason: KillReason;
  /** Which probe failed, for an Unhealthy kill: that probe's own grace period applies (grace.ts). */
  probe?: 'liveness' | 'startup';
}

export interface WaitingContainer { name: string; reason: 'CrashLoopBackOff'; until: number; delay: number }

export interface PodActions {
  /** Make a new sandbox (the old infra, if any, is removed first): its attempt and why. */
  sandbox?: { attempt: number; reason: SandboxReason };
  /** emptyDir volumes (spec names) to make before anything starts. */
  volumes: string[];
  /** Stop these first (all of them when the sandbox is remade). */
  kill: KillAction[];
  /** Then start these, in spec order: at most one init container, or sidecars, or the apps. */
  start: StartAction[];
  /** Init containers are still to run in this sandbox: the apps wait (the pod is Pending). */
  initializing?: boolean;
  /** Containers held back by their restart back-off, and until when. */
  waiting: WaitingContainer[];
  /** Exited attempts older than the one `lastState` shows: removed. */
  remove: string[];
  /** Containers on which the engine's own restart policy is still on (only when supervised). */
  takeOver: string[];
  /** The earliest time something here will want doing without any event (a back-off ending). */
  wakeAt?: number;
}

export interface PlanInput {
  pod: Pod;
  observed: ObservedPod;
  now: number;
  /** An agent supervises: the engine's restart policies are to be switched off. */
  supervised?: boolean;
  /** Container ids whose liveness (or startup) probe failed: they are killed, and restart under the policy. */
  unhealthy?: Set<string>;
  /** Running container ids whose startup probe has not passed yet: a sidecar among them holds the next init container. */
  notStarted?: Set<string>;
}

const RUNNING = new Set(['running', 'restarting', 'paused']);
const TERMINATED = new Set(['exited', 'dead']);

export function planPod({ pod, observed, now, supervised = false, unhealthy = new Set(), notStarted = new Set() }: PlanInput): PodActions {
  const actions: PodActions = { volumes: [], kill: [], start: [], waiting: [], remove: [], takeOver: [] };
  const latest = latestAttempts(observed.attempts);
  const deadline = podDeadline(pod, observed);
  // Past its activeDeadlineSeconds the pod is over: every running container is killed, nothing
  // starts again, and the sandbox stays as a finished pod's does.
  if (deadline !== undefined && now >= deadline) {
    for (const a of latest.values()) if (RUNNING.has(a.state)) actions.kill.push({ id: a.id, name: a.name, reason: 'DeadlineExceeded' });
    if (supervised) actions.takeOver = enginePolicies(observed, actions);
    return actions;
  }
  const reason = sandboxReason(observed, latest);
  const wanted = new Set([...inits(pod), ...pod.spec.containers].map((c) => c.name));
  for (const a of latest.values()) {
    if (!wanted.has(a.name) && RUNNING.has(a.state)) actions.kill.push({ id: a.id, name: a.name, reason: 'NotInSpec' });
  }
  if (reason) planNewSandbox(pod, observed, latest, reason, now, actions);
  else if (planInit(pod, observed.sandbox!.attempt, latest, now, actions, notStarted, unhealthy)) {
    for (const c of pod.spec.containers) planContainer(pod, c, latest.get(c.name), now, actions, unhealthy);
  }
  if (actions.sandbox || actions.start.length) {
    const have = new Set(observed.volumes ?? []);
    // The pod's own volumes (emptyDir, file volumes); a claim's and a host path outlive the pod.
    actions.volumes = (pod.spec.volumes ?? []).filter((v) => !v.persistentVolumeClaim && !v.hostPath).map((v) => v.name).filter((v) => !have.has(v));
  }
  actions.remove = oldAttempts(observed.attempts, latest, new Set(actions.start.map((s) => s.name)));
  if (supervised) actions.takeOver = enginePolicies(observed, actions);
  // A container whose startup probe has not passed was killed by that probe, else by its liveness probe.
  for (const k of actions.kill) if (k.reason === 'Unhealthy') k.probe = notStarted.has(k.id) ? 'startup' : 'liveness';
  const wakes = [...actions.waiting.map((w) => w.until), ...deadline === undefined ? [] : [deadline]];
  if (wakes.length) actions.wakeAt = Math.min(...wakes);
  return actions;
}

const inits = (pod: Pod): InitContainer[] => pod.spec.initContainers ?? [];

/** When the pod's activeDeadlineSeconds runs out, from the earliest start the engine shows (deadline.ts). */
const podDeadline = (pod: Pod, observed: ObservedPod) =>
  deadlineOf(pod.spec.activeDeadlineSeconds, activeSince([observed.sandbox?.startedAt, ...observed.attempts.map((a) => a.startedAt)]));

/** Why the pod's sandbox is no longer the one its containers can live in, if it is not. */
export function sandboxReason(observed: ObservedPod, latest: Map<string, Attempt>): SandboxReason | undefined {
  const sandbox = observed.sandbox;
  if (!sandbox) return 'NoSandbox';
  if (sandbox.state !== 'running') return 'SandboxNotRunning';
  for (const a of latest.values()) {
    if (!RUNNING.has(a.state)) continue;
    // An app that joined another sandbox attempt, or started before the infra last started (the
    // engine restarted the infra in place: a new namespace), is stranded with loopback only.
    if (a.sandboxAttempt !== sandbox.attempt) return 'SandboxRestarted';
    if (a.startedAt !== undefined && sandbox.startedAt !== undefined && a.startedAt < sandbox.startedAt) return 'SandboxRestarted';
  }
  return undefined;
}

/** Whether a container that ended with `exitCode` runs again under the pod's restart policy. */
export function restartsAfter(policy: Pod['spec']['restartPolicy'], exitCode: number | undefined): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

function planNewSandbox(pod: Pod, observed: ObservedPod, latest: Map<string, Attempt>, reason: SandboxReason, now: number, actions: PodActions): void {
  const policy = pod.spec.restartPolicy;
  // Which containers would run in a new sandbox. Under Never nothing that has run runs again, and
  // a pod whose containers have all finished for good is left as it is: no sandbox to remake.
  const toRun = pod.spec.containers.filter((c) => {
    const last = latest.get(c.name);
    if (!last) return policy !== 'Never' || observed.attempts.length === 0;
    if (policy === 'Never') return false;
    return RUNNING.has(last.state) || last.state === 'created' || restartsAfter(policy, last.exitCode);
  });
  for (const a of latest.values()) {
    if (RUNNING.has(a.state) && !actions.kill.some((k) => k.id === a.id)) actions.kill.push({ id: a.id, name: a.name, reason: 'SandboxChanged' });
  }
  if (!toRun.length) return;
  const attempt = observed.sandbox ? observed.sandbox.attempt + 1 : nextSandboxAttempt(observed);
  actions.sandbox = { attempt, reason };
  // A new sandbox runs every init container again, from the first; the apps wait for them.
  if (inits(pod).length) {
    planInit(pod, attempt, latest, now, actions, new Set(), new Set());
    return;
  }
  for (const c of toRun) {
    const last = latest.get(c.name);
    if (!last) {
      actions.start.push({ name: c.name, attempt: 0 });
      continue;
    }
    // A container killed now finishes now: its back-off is measured from this moment.
    const finished = TERMINATED.has(last.state) ? last.finishedAt ?? now : now;
    restartOrWait(c.name, last, finished, now, actions);
  }
}

/**
 * The init containers of the sandbox `sandboxAttempt`, one at a time in order, as the kubelet runs
 * them: each must exit 0 before the next starts; a sidecar (restartPolicy: Always) must have
 * started, and then runs on beside the apps, restarted under back-off whenever it ends. Only runs
 * in this sandbox count: a remade sandbox runs them all again. Once the apps have started in it,
 * the pod is initialized for good (an init container removed since is not run again). True when
 * the apps may run.
 */
function planInit(pod: Pod, sandboxAttempt: number, latest: Map<string, Attempt>, now: number, actions: PodActions, notStarted: Set<string>, unhealthy: Set<string>): boolean {
  const initialized = pod.spec.containers.some((c) => latest.get(c.name)?.sandboxAttempt === sandboxAttempt);
  for (const c of inits(pod)) {
    const found = latest.get(c.name);
    const last = found?.sandboxAttempt === sandboxAttempt ? found : undefined;
    if (initialized && !isSidecar(c)) continue;
    if (!last) {
      // Its first run in this sandbox. After a run in an earlier one that succeeded, at once;
      // after a failure, under the back-off like any restart.
      if (!found) actions.start.push({ name: c.name, attempt: 0 });
      else if (found.state !== 'created' && TERMINATED.has(found.state) && found.exitCode !== 0) restartOrWait(c.name, found, found.finishedAt ?? now, now, actions);
      else actions.start.push({ name: c.name, attempt: found.attempt + 1, backoff: found.backoff });
      if (initialized) continue; // only a sidecar gets here then: it holds nothing up
      actions.initializing = true;
      return false;
    }
    if (last.state === 'created') {
      actions.start.push({ name: c.name, attempt: last.attempt, backoff: last.backoff, existing: last.id });
      if (initialized) continue;
      actions.initializing = true;
      return false;
    }
    if (isSidecar(c)) {
      if (RUNNING.has(last.state) && unhealthy.has(last.id)) actions.kill.push({ id: last.id, name: c.name, reason: 'Unhealthy' });
      else if (RUNNING.has(last.state) && notStarted.has(last.id) && !initialized) {
        actions.initializing = true; // running, but its startup probe has not passed: the next one waits
        return false;
      }
      if (RUNNING.has(last.state)) continue; // started: the next one may go
      restartOrWait(c.name, last, last.finishedAt ?? now, now, actions);
      if (initialized) continue; // the apps already run: a sidecar's restart holds nothing up
      actions.initializing = true;
      return false;
    }
    if (RUNNING.has(last.state)) {
      actions.initializing = true;
      return false;
    }
    if (last.exitCode === 0) continue;
    // A failed init container: under Never the pod has failed; else it runs again, backing off.
    if (pod.spec.restartPolicy !== 'Never') restartOrWait(c.name, last, last.finishedAt ?? now, now, actions);
    actions.initializing = true;
    return false;
  }
  return true;
}

/** With the infra gone, the apps still say which sandbox attempt they last joined. */
function nextSandboxAttempt(observed: ObservedPod): number {
  return observed.attempts.length ? Math.max(...observed.attempts.map((a) => a.sandboxAttempt)) + 1 : 0;
}

function planContainer(pod: Pod, c: Container, last: Attempt | undefined, now: number, actions: PodActions, unhealthy: Set<string>): void {
  if (!last) {
    actions.start.push({ name: c.name, attempt: 0 });
    return;
  }
  if (last.state === 'created') {
    actions.start.push({ name: c.name, attempt: last.attempt, backoff: last.backoff, existing: last.id });
    return;
  }
  if (RUNNING.has(last.state)) {
    // Its liveness probe failed: killed now; the next sync restarts it under the policy and back-off.
    if (unhealthy.has(last.id)) {
      actions.kill.push({ id: last.id, name: c.name, reason: 'Unhealthy' });
      return;
    }
    if (last.hash !== undefined && last.hash !== containerHash(c)) {
      actions.kill.push({ id: last.id, name: c.name, reason: 'SpecChanged' });
      actions.start.push({ name: c.name, attempt: last.attempt + 1, backoff: last.backoff });
    }
    return;
  }
  if (!restartsAfter(pod.spec.restartPolicy, last.exitCode)) return;
  restartOrWait(c.name, last, last.finishedAt ?? now, now, actions);
}

function restartOrWait(name: string, last: Attempt, finished: number, now: number, actions: PodActions): void {
  const decision = restartDecision(last.backoff, finished, now);
  if (decision.restart) actions.start.push({ name, attempt: last.attempt + 1, backoff: decision.next });
  else actions.waiting.push({ name, reason: 'CrashLoopBackOff', until: decision.until, delay: decision.delay });
}

/**
 * Each container keeps its newest attempt and the one before it (what `lastState` and
 * `logs --previous` show); when a new attempt starts now, the newest becomes that previous one.
 */
function oldAttempts(attempts: Attempt[], latest: Map<string, Attempt>, starting: Set<string>): string[] {
  return attempts.filter((a) => {
    if (RUNNING.has(a.state)) return false;
    const newest = latest.get(a.name);
    if (!newest) return false;
    const keepFrom = starting.has(a.name) && newest.state !== 'created' ? newest.attempt : newest.attempt - 1;
    return a.attempt < keepFrom;
  }).map((a) => a.id);
}

/**
 * Containers whose engine restart policy is still on. Every attempt, not only the newest: after a
 * dockerd restart the engine would otherwise start an old attempt beside the agent's new one.
 */
function enginePolicies(observed: ObservedPod, actions: PodActions): string[] {
  const removed = new Set(actions.remove);
  const on = (policy: string | undefined) => policy !== undefined && policy !== '' && policy !== 'no';
  const ids: string[] = [];
  const sandbox = observed.sandbox;
  if (sandbox && !actions.sandbox && on(sandbox.restartPolicy)) ids.push(sandbox.id);
  for (const a of observed.attempts) if (!removed.has(a.id) && on(a.restartPolicy)) ids.push(a.id);
  return ids;
}
