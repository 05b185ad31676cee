import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { activeSince, deadlineOf, phaseAfterDeadline } from '../../src/pod/deadline.js';
import type { Attempt, ObservedPod, Sandbox } from '../../src/pod/observe.js';
import { planPod, type PodActions } from '../../src/pod/plan.js';
import { parsePod, type Pod } from '../../src/pod/spec.js';
import { assertRefusedWithoutSending } from '../support/refused.js';
import { scenario } from '../support/scenario.js';
import { pause, sleeper, testPods } from '../support/pods.js';

// activeDeadlineSeconds: when the deadline falls, what the plan does then (the agent carries it
// out) and what `pod get` says; no engine.
const deadline = suite('pod/deadline');

const T0 = Date.parse('2026-01-01T00:00:00Z');
const s = (seconds: number) => T0 + seconds * 1000;

function pod(spec: Record<string, unknown> = {}): Pod {
  return parsePod({ metadata: { name: 'p' }, spec: { activeDeadlineSeconds: 30, containers: [{ name: 'app', image: 'img:1' }, { name: 'side', image: 'img:1' }], ...spec } });
}
const sandbox = (extra: Partial<Sandbox> = {}): Sandbox => ({ id: 'infra0', attempt: 0, state: 'running', startedAt: s(0), networks: {}, restartPolicy: 'no', ...extra });
const attempt = (name: string, n: number, state: string, extra: Partial<Attempt> = {}): Attempt => ({
  id: `${name}${n}`, name, attempt: n, sandboxAttempt: 0, state, image: 'img:1', startedAt: s(1), restartPolicy: 'no',
  ...(state === 'exited' ? { exitCode: 1, finishedAt: s(5) } : {}), ...extra,
});
const observed = (sb: Sandbox | undefined, attempts: Attempt[]): ObservedPod => ({ id: 'pid', name: 'p', sandbox: sb, attempts });
const killed = (a: PodActions) => a.kill.map((k) => `${k.id}:${k.reason}`);
const started = (a: PodActions) => a.start.map((x) => `${x.name}#${x.attempt}`);

deadline('active since the earliest start shown; the deadline that many seconds later; none without the field or a start', () => {
  assert.is(activeSince([undefined, s(5), s(2), Number.NaN]), s(2));
  assert.is(activeSince([undefined]), undefined);
  assert.is(deadlineOf(30, s(2)), s(32));
  assert.is(deadlineOf(undefined, s(2)), undefined);
  assert.is(deadlineOf(30, undefined), undefined);
});

deadline('before the deadline the plan is as without it, and wakes the agent at the deadline', () => {
  const a = planPod({ pod: pod(), observed: observed(sandbox(), [attempt('app', 0, 'running'), attempt('side', 0, 'exited')]), now: s(20) });
  assert.equal(started(a), ['side#1']);
  assert.equal(killed(a), []);
  assert.is(a.wakeAt, s(30));
  // A back-off ending earlier wakes it first.
  const early = planPod({ pod: pod(), observed: observed(sandbox(), [attempt('app', 0, 'running'), attempt('side', 1, 'exited', { finishedAt: s(5), backoff: { delay: 10_000, since: s(2) } })]), now: s(6) });
  assert.equal(early.waiting.map((w) => w.until), [s(15)]);
  assert.is(early.wakeAt, s(15));
});

deadline('at the deadline every running container is killed and nothing starts, though the policy would restart it', () => {
  const a = planPod({ pod: pod(), observed: observed(sandbox(), [attempt('app', 0, 'running'), attempt('side', 0, 'exited')]), now: s(30) });
  assert.equal(killed(a), ['app0:DeadlineExceeded']);
  assert.equal([a.start, a.waiting, a.sandbox, a.wakeAt], [[], [], undefined, undefined]);
});

deadline('past the deadline nothing is made again: not a dead sandbox, not a container killed by the deadline', () => {
  const dead = observed(sandbox({ state: 'exited', finishedAt: s(40) }), [attempt('app', 0, 'exited', { exitCode: 137 }), attempt('side', 0, 'exited', { exitCode: 143 })]);
  const a = planPod({ pod: pod(), observed: dead, now: s(50), supervised: true });
  assert.equal([a.kill, a.start, a.sandbox], [[], [], undefined]);
  // Without the field the same pod is remade: the deadline is what stops it.
  assert.ok(planPod({ pod: pod({ activeDeadlineSeconds: undefined }), observed: dead, now: s(50) }).sandbox);
});

deadline('init containers count: one running at the deadline is killed, and the apps never start', () => {
  const withInit = pod({ initContainers: [{ name: 'setup', image: 'img:1' }] });
  const a = planPod({ pod: withInit, observed: observed(sandbox(), [attempt('setup', 0, 'running')]), now: s(31) });
  assert.equal(killed(a), ['setup0:DeadlineExceeded']);
  assert.equal(started(a), []);
});

deadline('the deadline counts from the first start the engine shows, not from a restart', () => {
  const restarted = observed(sandbox({ startedAt: s(0) }), [attempt('app', 3, 'running', { startedAt: s(25) }), attempt('side', 0, 'running', { startedAt: s(1) })]);
  assert.equal(killed(planPod({ pod: pod(), observed: restarted, now: s(30) })), ['app3:DeadlineExceeded', 'side0:DeadlineExceeded']);
});

deadline('pod get after the deadline: Failed, DeadlineExceeded once nothing runs and the containers did not all succeed', () => {
  const TABLE: [string, { phase: 'Running' | 'Failed' | 'Succeeded' | 'Pending'; reason?: string }, number | undefined, number, boolean, string][] = [
    ['killed by the agent under Always', { phase: 'Running' }, s(30), s(31), false, 'Failed DeadlineExceeded'],
    ['killed while an init container ran', { phase: 'Pending', reason: 'Init:Error' }, s(30), s(31), false, 'Failed DeadlineExceeded'],
    ['still running: no agent enforced it', { phase: 'Running' }, s(30), s(31), true, 'Running'],
    ['before the deadline', { phase: 'Failed', reason: 'Error' }, s(30), s(29), false, 'Failed Error'],
    ['succeeded', { phase: 'Succeeded' }, s(30), s(31), false, 'Succeeded'],
    ['no deadline', { phase: 'Failed', reason: 'Error' }, undefined, s(31), false, 'Failed Error'],
  ];
  for (const [what, seen, at, now, running, expected] of TABLE) {
    const { phase, reason } = phaseAfterDeadline(seen, at, now, running);
    assert.is([phase, reason].filter(Boolean).join(' '), expected, what);
  }
});

deadline('activeDeadlineSeconds must be a positive whole number: anything else is one PodSpecError, and nothing is sent', () => assertRefusedWithoutSending(
  ([[0, /must be at least 1/], [-5, /must be at least 1/], [1.5, /must be a whole number of seconds/], ['30', /spec\.activeDeadlineSeconds: /]] as const)
    .map(([value, message]) => [String(value), { metadata: { name: 'p' }, spec: { activeDeadlineSeconds: value, containers: [{ name: 'app', image: 'i' }] } }, message]),
));

scenario(deadline, 'a one-shot pod has nothing enforcing its deadline: past it, its container still runs and pod get says Running, with the field kept', async ({ engine, mode, defer }) => {
  const pods = testPods(engine, 'pod/deadline one-shot');
  defer(() => pods.delete('pk-deadline', { force: true }), 'pk-deadline');
  await pods.create({ metadata: { name: 'pk-deadline' }, spec: { activeDeadlineSeconds: 1, restartPolicy: 'Never', containers: [sleeper('app')] } });
  await pause(mode, 1500);
  const got = await pods.get('pk-deadline');
  assert.is(got.status.phase, 'Running');
  assert.is(got.status.reason, undefined);
  assert.is((got.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds, 1, 'kept, so the manifest round-trips');
});

deadline.run();
