import { createHash } from 'node:crypto';
import * as assert from 'uvu/assert';
import type { Engine } from '../../src/engine/index.js';
import { Pods, PodNotFoundError } from '../../src/pod/index.js';
import type { Mode } from '../../src/testing/index.js';

/**
 * Helpers for pod tests. Everything that reaches a request body must be the same in every run, or
 * the fixture would not replay: pod ids come from a counter, the creator label is fixed.
 */

/** From the loopback registry: with IfNotPresent a missing copy is pulled from there, never from Docker Hub. */
export const IMAGE = '127.0.0.1:5000/podling-test/busybox:latest';

/**
 * A fixed creator on a host that is not this one: prune presumes such pods are still being made
 * elsewhere and never touches them, so a prune run by another test cannot take a test's pods.
 */
export const TEST_CREATOR = 'podling-test:1';

/**
 * Pods whose ids are `<6 hex from the scenario>` + `<4 hex counter>`: deterministic, and distinct
 * between scenarios, so a pod one scenario leaked never collides with another's network.
 */
export function testPods(engine: Engine, scenario: string): Pods {
  const prefix = createHash('sha256').update(scenario).digest('hex').slice(0, 6);
  let counter = 0;
  return new Pods(engine, { newId: () => `${prefix}${(++counter).toString(16).padStart(4, '0')}`, creator: TEST_CREATOR });
}

/** A container that keeps running and stops at once on SIGTERM (docker-init forwards it). */
export const sleeper = (name: string, extra: Record<string, unknown> = {}) => ({
  name, image: IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sleep', '3600'], ...extra,
});

/** Waits between polls live and while recording; a replay answers at once, so it need not wait. */
export function pause(mode: Mode, ms: number): Promise<void> {
  return mode === 'replay' ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until `done` says so, at most `attempts` times; returns the last value either way. */
export async function poll<T>(mode: Mode, probe: () => Promise<T>, done: (value: T) => boolean, attempts = 50, every = 200): Promise<T> {
  let value = await probe();
  for (let attempt = 1; attempt < attempts && !done(value); attempt++) {
    await pause(mode, every);
    value = await probe();
  }
  return value;
}

/** Containers (any state) and networks carrying `label` (`key=value`), by name. */
export async function labelled(engine: Engine, label: string): Promise<{ containers: string[]; networks: string[] }> {
  const [containers, networks] = await Promise.all([
    engine.containers.list({ all: true, filters: { label: [label] } }),
    engine.networks.list({ filters: { label: [label] } }),
  ]);
  return { containers: containers.map((c) => c.Names[0] ?? c.Id), networks: networks.map((n) => n.Name) };
}

/** Asserts the engine holds no container and no network of the pod named `pod`. */
export async function assertGone(engine: Engine, pod: string): Promise<void> {
  assert.equal(await labelled(engine, `podling.io/pod-name=${pod}`), { containers: [], networks: [] }, `objects of pod ${pod} left behind`);
}

/**
 * Force-deletes pods by name, for a test's teardown: a pod already gone is fine. One at a time: each
 * delete lists the pods first, and concurrent lists would each see a different moment, which a
 * replay cannot tell apart.
 */
export async function removePods(pods: Pods, ...names: string[]): Promise<void> {
  for (const name of names) {
    await pods.delete(name, { force: true }).catch((err: unknown) => {
      if (!(err instanceof PodNotFoundError)) throw err;
    });
  }
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}

/** The container id of a pod's container, as `status.containerStatuses` names it. */
export function containerId(pod: { status: { containerStatuses: { name: string; containerID: string }[] } }, name: string): string {
  const status = pod.status.containerStatuses.find((c) => c.name === name);
  if (!status) throw new Error(`no container ${name} in the pod (has ${pod.status.containerStatuses.map((c) => c.name).join(', ')})`);
  return status.containerID.replace(/^docker:\/\//, '');
}
