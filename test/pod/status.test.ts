import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerSummary } from '../../src/engine/containers.js';
import { containerStatus, phaseOf, viewFromSummary, type ContainerView } from '../../src/pod/status.js';

// A pod's phase and its containers' states, derived from the engine's containers as the kubelet derives them.
const status = suite('pod/status');

const view = (state: string, extra: Partial<ContainerView> = {}): ContainerView => ({ id: 'c'.repeat(64), name: 'app', image: 'img', state, ...extra });
const running = view('running');
const exited = (exitCode: number, oomKilled = false) => view('exited', { exitCode, oomKilled });

const CASES: Array<[string, ContainerView | undefined, ContainerView[], number, { phase: string; reason?: string }]> = [
  ['no infra container', undefined, [running], 1, { phase: 'Unknown', reason: 'InfraContainerMissing' }],
  ['fewer app containers than the spec names', running, [running], 2, { phase: 'Pending', reason: 'ContainersMissing' }],
  ['an app created but not started', running, [running, view('created')], 2, { phase: 'Pending' }],
  ['an infra created but not started', view('created'), [view('created')], 1, { phase: 'Pending' }],
  ['every app running', running, [running, running], 2, { phase: 'Running' }],
  ['one app running, one exited with an error', running, [running, exited(1)], 2, { phase: 'Running' }],
  ['an app restarting after a crash', running, [view('restarting')], 1, { phase: 'Running' }],
  ['a paused app', view('paused'), [view('paused')], 1, { phase: 'Running' }],
  ['apps running but the infra exited', exited(0), [running], 1, { phase: 'Unknown', reason: 'InfraContainerNotRunning' }],
  ['every app exited 0', running, [exited(0), exited(0)], 2, { phase: 'Succeeded' }],
  ['one app exited non-zero', running, [exited(0), exited(2)], 2, { phase: 'Failed', reason: 'Error' }],
  ['an app OOM-killed', running, [exited(137, true), exited(0)], 2, { phase: 'Failed', reason: 'OOMKilled' }],
  ['an app killed by SIGKILL (137) without OOM', running, [exited(137)], 1, { phase: 'Failed', reason: 'Error' }],
  ['a dead app with no exit code known', running, [view('dead')], 1, { phase: 'Failed', reason: 'Error' }],
];

for (const [what, infra, apps, expected, phase] of CASES) {
  status(`phase: ${what} -> ${phase.phase}${phase.reason ? ` (${phase.reason})` : ''}`, () => {
    assert.equal(phaseOf(infra, apps, expected), phase);
  });
}

status('container states: running is ready, exited is terminated with its reason, created is waiting', () => {
  assert.equal(containerStatus(view('running', { startedAt: 't0', restartCount: 2 })), {
    name: 'app', image: 'img', containerID: `docker://${'c'.repeat(64)}`, restartCount: 2, ready: true, started: true, state: { running: { startedAt: 't0' } },
  });
  const terminated = (v: ContainerView) => (containerStatus(v).state as { terminated: { exitCode: number; reason: string } }).terminated;
  assert.equal([terminated(exited(0)).reason, terminated(exited(0)).exitCode], ['Completed', 0]);
  assert.equal([terminated(exited(3)).reason, terminated(exited(3)).exitCode], ['Error', 3]);
  assert.equal([terminated(exited(137, true)).reason, terminated(exited(137, true)).exitCode], ['OOMKilled', 137]);
  assert.is(terminated(view('dead')).exitCode, -1, 'unknown exit code');
  assert.equal(containerStatus(view('created')).state, { waiting: { reason: 'ContainerCreating' } });
  assert.is(containerStatus(view('restarting')).ready, false, 'restarting is not ready');
  assert.is(containerStatus(view('exited', { exitCode: 0 })).ready, false);
});

status('a list summary gives the exit code from its status text', () => {
  const summary = (State: string, Status: string) => ({ Id: 'x', Names: ['/x'], Image: 'img', State, Status, Created: 0, Labels: {} }) as ContainerSummary;
  assert.is(viewFromSummary('app', summary('exited', 'Exited (137) 3 seconds ago')).exitCode, 137);
  assert.is(viewFromSummary('app', summary('exited', 'Exited (0) About a minute ago')).exitCode, 0);
  assert.is(viewFromSummary('app', summary('running', 'Up 2 minutes')).exitCode, undefined);
  assert.is(viewFromSummary('app', summary('created', 'Created')).exitCode, undefined);
});

// Under a restart policy that will run a container again, its exit is not the pod's end.
const POLICY_PHASES: Array<[string, 'Always' | 'OnFailure' | 'Never', ContainerView[], string]> = [
  ['Always, the only app exited 1 (crash loop)', 'Always', [exited(1)], 'Running'],
  ['Always, the only app exited 0', 'Always', [exited(0)], 'Running'],
  ['OnFailure, an app exited 1', 'OnFailure', [exited(0), exited(1)], 'Running'],
  ['OnFailure, every app exited 0', 'OnFailure', [exited(0), exited(0)], 'Succeeded'],
  ['Never, an app exited 1', 'Never', [exited(0), exited(1)], 'Failed'],
];
for (const [what, policy, apps, phase] of POLICY_PHASES) {
  status(`phase under ${what} -> ${phase}`, () => {
    assert.is(phaseOf(running, apps, apps.length, policy).phase, phase);
  });
}

status('restartCount counts Podling\'s attempts and the engine\'s own restarts; the kept previous attempt is lastState', () => {
  const now = view('running', { attempt: 3, restartCount: 1, startedAt: 't3' });
  const before = view('exited', { id: 'p'.repeat(64), attempt: 2, exitCode: 4, startedAt: 't1', finishedAt: 't2' });
  const s = containerStatus(now, before);
  assert.is(s.restartCount, 4);
  assert.equal(s.lastState, { terminated: { exitCode: 4, reason: 'Error', startedAt: 't1', finishedAt: 't2' } });
  assert.is(containerStatus(now).lastState, undefined, 'no previous attempt kept: no lastState');
});

status('a container the back-off holds is waiting in CrashLoopBackOff, its exited attempt as lastState, not ready', () => {
  const crashed = view('exited', { attempt: 2, exitCode: 1, finishedAt: 't9' });
  const s = containerStatus(crashed, undefined, { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container app' });
  assert.equal(s.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container app' } });
  assert.equal(s.lastState, { terminated: { exitCode: 1, reason: 'Error', startedAt: undefined, finishedAt: 't9' } });
  assert.equal([s.ready, s.started, s.restartCount], [false, false, 2]);
});

status.run();
