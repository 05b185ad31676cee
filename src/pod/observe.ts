import type { ContainerInspect } from '../engine/containers.js';
import type { Engine } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import { backoffFrom, type Backoff } from './backoff.js';
import { LABEL } from './labels.js';
import { podCarriesSecret } from './env.js';
import { recordedMode, type PodNetworkMode } from './pod-network.js';
import type { PodRecord } from './read.js';
import type { Pod } from './spec.js';

/**
 * A pod as the engine has it right now, per container *attempt* (the kubelet's PodStatus): what the
 * plan decides from. Rebuilt from inspects at every sync; nothing here is remembered between syncs.
 */
export interface Attempt {
  id: string;
  /** The container's name in the pod spec. */
  name: string;
  attempt: number;
  /** The sandbox attempt whose namespaces this container joined. */
  sandboxAttempt: number;
  hash?: string;
  /** The engine's state: created, running, restarting, paused, exited, dead. */
  state: string;
  exitCode?: number;
  oomKilled?: boolean;
  startedAt?: number;
  finishedAt?: number;
  /** The restart back-off in force when this attempt started. */
  backoff?: Backoff;
  /** The engine's own restart policy on the container ('no' once an agent has taken restarts over). */
  restartPolicy?: string;
  image: string;
}

export interface Sandbox {
  id: string;
  attempt: number;
  state: string;
  startedAt?: number;
  finishedAt?: number;
  /** Networks the infra is attached to, with its address on each. */
  networks: Record<string, string | undefined>;
  restartPolicy?: string;
}

export interface ObservedPod {
  id: string;
  name: string;
  spec?: Pod;
  sandbox?: Sandbox;
  /** Every app and init container attempt still on the engine, any state. */
  attempts: Attempt[];
  /** The pod's emptyDir volumes that exist (spec names); unknown when not looked at. */
  volumes?: string[];
  /** The pod network mode it was made in (its containers' labels); unknown for a pod not made yet. */
  podNetwork?: PodNetworkMode;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const ms = (value: string | undefined) => (value && value !== ZERO_TIME ? Date.parse(value) : undefined);
const attemptOf = (labels: Record<string, string> | null | undefined, key: string) => Number(labels?.[key] ?? 0) || 0;

export function sandboxFrom(c: ContainerInspect): Sandbox {
  const labels = c.Config.Labels;
  return {
    id: c.Id,
    attempt: attemptOf(labels, LABEL.attempt),
    state: c.State.Status,
    startedAt: ms(c.State.StartedAt),
    finishedAt: ms(c.State.FinishedAt),
    networks: Object.fromEntries(Object.entries(c.NetworkSettings.Networks ?? {}).map(([name, e]) => [name, e.IPAddress || undefined])),
    restartPolicy: c.HostConfig?.RestartPolicy?.Name,
  };
}

export function attemptFrom(c: ContainerInspect): Attempt {
  const labels = c.Config.Labels;
  return {
    id: c.Id,
    name: labels?.[LABEL.container] ?? c.Name.replace(/^\//, ''),
    attempt: attemptOf(labels, LABEL.attempt),
    sandboxAttempt: attemptOf(labels, LABEL.sandboxAttempt),
    hash: labels?.[LABEL.specHash],
    state: c.State.Status,
    exitCode: c.State.ExitCode,
    oomKilled: c.State.OOMKilled,
    startedAt: ms(c.State.StartedAt),
    finishedAt: ms(c.State.FinishedAt),
    backoff: backoffFrom(labels, LABEL),
    restartPolicy: c.HostConfig?.RestartPolicy?.Name,
    image: c.Config.Image ?? c.Image,
  };
}

/** Inspects every container of a listed pod (in parallel); one removed meanwhile is left out. */
export async function observePod(engine: Engine, record: PodRecord, options: { signal?: AbortSignal } = {}): Promise<ObservedPod> {
  // A Secret's value may be in an app's environment: marked, so a fixture recorder never keeps it.
  const inspect = (id: string, sensitive?: boolean) => engine.containers.inspect(id, { ...options, sensitive }).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  const wantsVolumes = (record.spec?.spec.volumes ?? []).length > 0;
  const [volumes, infra, ...apps] = await Promise.all([
    wantsVolumes ? podVolumes(engine, record.id, options) : [],
    record.infra ? inspect(record.infra.Id) : undefined,
    ...record.apps.map((c) => inspect(c.Id, podCarriesSecret(record.spec))),
  ]);
  return {
    id: record.id,
    name: record.name,
    spec: record.spec,
    sandbox: infra && sandboxFrom(infra),
    attempts: apps.flatMap((c) => (c ? [attemptFrom(c)] : [])),
    volumes,
    podNetwork: recordedMode([record.infra?.Labels, ...record.apps.map((c) => c.Labels)]),
  };
}

/** The spec names of a pod's emptyDir volumes on the engine. */
async function podVolumes(engine: Engine, podId: string, options: { signal?: AbortSignal }): Promise<string[]> {
  const volumes = await engine.volumes.list({ filters: { label: [`${LABEL.podId}=${podId}`] }, signal: options.signal });
  return volumes.flatMap((v) => { const name = v.Labels?.[LABEL.volume]; return name ? [name] : []; });
}

/** The newest attempt of each container, by name. */
export function latestAttempts(attempts: Attempt[]): Map<string, Attempt> {
  const latest = new Map<string, Attempt>();
  for (const a of attempts) {
    const seen = latest.get(a.name);
    if (!seen || a.attempt > seen.attempt) latest.set(a.name, a);
  }
  return latest;
}

/** The attempt before the newest one, if it is still kept (`lastState`, `logs --previous`). */
export function previousAttempt(attempts: Attempt[], name: string, latest: number): Attempt | undefined {
  return attempts.filter((a) => a.name === name && a.attempt < latest).sort((a, b) => b.attempt - a.attempt)[0];
}
