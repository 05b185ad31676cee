import { createHash } from 'node:crypto';
import { Agent, type AgentOptions } from '../../src/agent/agent.js';
import type { Decision } from '../../src/agent/decisions.js';
import type { Engine } from '../../src/engine/index.js';
import { isNotFound } from '../../src/engine/errors.js';
import { LABEL } from '../../src/pod/labels.js';
import { Pods, type PodObject } from '../../src/pod/index.js';
import type { Cluster } from './cluster.js';
import { TEST_CREATOR } from './pods.js';

/**
 * Helpers for the agent's live tests. Each test's pods carry a label of their own and its agent
 * supervises only those (a selector), so an agent under test never touches another test's pods.
 */

export const AGENT_LABEL = 'podling.io/agent-test';

export interface RunningAgent {
  agent: Agent;
  decisions: Decision[];
  /** SIGTERM, as it were: the agent hands restarts back and releases the lease. */
  stop(): Promise<void>;
  done: Promise<void>;
}

/** An agent supervising the pods labelled `AGENT_LABEL=<tag>`, running until stopped. */
export function startAgent(engine: Engine, tag: string, cluster: Cluster, options: Partial<AgentOptions> = {}): RunningAgent {
  const decisions: Decision[] = [];
  const agent = new Agent(engine, { log: (d) => decisions.push(d), selector: `${AGENT_LABEL}=${tag}`, cluster, relistInterval: 5000, grace: 2, ...options });
  const controller = new AbortController();
  const done = agent.run(controller.signal);
  done.catch(() => {});
  return { agent, decisions, done, stop: async () => { controller.abort(); await done; } };
}

/** Pods made as a user makes them (real creator, so the agent does not wait for a live one). */
export function agentPods(engine: Engine, scenario: string, cluster: Cluster): Pods {
  const prefix = createHash('sha256').update(scenario).digest('hex').slice(0, 6);
  let counter = 0;
  return new Pods(engine, { newId: () => `${prefix}${(++counter).toString(16).padStart(4, '0')}`, creator: TEST_CREATOR, cluster });
}

/** Polls until `done` holds, every `every` ms, for at most `timeout` ms; returns the last value or throws naming what it waited for. */
export async function eventually<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeout = 30_000, every = 250): Promise<T> {
  const end = Date.now() + timeout;
  let value = await probe();
  while (!done(value)) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}; last: ${JSON.stringify(value)?.slice(0, 600)}`);
    await new Promise((resolve) => setTimeout(resolve, every));
    value = await probe();
  }
  return value;
}

/** Every container of a pod, any state, with the attempt it is. */
export async function podContainers(engine: Engine, pod: string): Promise<Array<{ id: string; name: string; role: string; attempt: number; state: string; startedAt?: number; finishedAt?: number; restartPolicy?: string }>> {
  const listed = await engine.containers.list({ all: true, filters: { label: [`${LABEL.podName}=${pod}`] } });
  // The agent removes an attempt two back as it makes a new one: one listed may be gone when inspected.
  const found = await Promise.all(listed.map(async (c) => {
    const detail = await engine.containers.inspect(c.Id).catch((err: unknown) => { if (isNotFound(err)) return undefined; throw err; });
    if (!detail) return [];
    const labels = detail.Config.Labels ?? {};
    const time = (t: string | undefined) => (t && !t.startsWith('0001') ? Date.parse(t) : undefined);
    return [{
      id: c.Id, name: labels[LABEL.container] ?? 'infra', role: labels[LABEL.role] ?? '', attempt: Number(labels[LABEL.attempt] ?? 0),
      state: detail.State.Status, startedAt: time(detail.State.StartedAt), finishedAt: time(detail.State.FinishedAt), restartPolicy: detail.HostConfig?.RestartPolicy?.Name,
    }];
  }));
  return found.flat();
}

export const statusOf = (pod: PodObject, name: string) => {
  const status = pod.status.containerStatuses.find((c) => c.name === name);
  if (!status) throw new Error(`no container ${name} in pod ${pod.metadata.name}`);
  return status;
};
