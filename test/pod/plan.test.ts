import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { containerHash } from '../../src/pod/containers.js';
import type { Attempt, ObservedPod, Sandbox } from '../../src/pod/observe.js';
import { planPod, type PodActions } from '../../src/pod/plan.js';
import { parsePod, type Pod } from '../../src/pod/spec.js';

// The pod's one decision (desired spec + observed attempts + now → actions), as the kubelet's
// computePodActions: every rule here runs without an engine.
const plan = suite('pod/plan');

const T0 = Date.parse('2026-01-01T00:00:00Z');
const s = (seconds: number) => T0 + seconds * 1000;

function pod(policy: 'Always' | 'OnFailure' | 'Never' = 'Always', names = ['app']): Pod {
  return parsePod({ metadata: { name: 'p' }, spec: { restartPolicy: policy, containers: names.map((name) => ({ name, image: 'img:1' })) } });
}

const sandbox = (extra: Partial<Sandbox> = {}): Sandbox => ({ id: 'infra0', attempt: 0, state: 'running', startedAt: s(0), networks: { c: '10.0.0.2' }, restartPolicy: 'no', ...extra });

function attempt(name: string, n: number, state: string, extra: Partial<Attempt> = {}): Attempt {
  return {
    id: `${name}${n}`, name, attempt: n, sandboxAttempt: 0, hash: containerHash(pod().spec.containers[0]!), state, image: 'img:1',
    startedAt: s(1), restartPolicy: 'no', ...(state === 'exited' ? { exitCode: 1, finishedAt: s(5) } : {}), ...extra,
  };
}

const observed = (sb: Sandbox | undefined, attempts: Attempt[]): ObservedPod => ({ id: 'pid', name: 'p', sandbox: sb, attempts });

const started = (a: PodActions) => a.start.map((x) => `${x.name}#${x.attempt}${x.existing ? ' (existing)' : ''}${x.backoff ? ` backoff ${x.backoff.delay / 1000}s` : ''}`);
const killed = (a: PodActions) => a.kill.map((k) => `${k.id}:${k.reason}`);

plan('a pod never created: one sandbox, every container at attempt 0, no back-off', () => {
  const a = planPod({ pod: pod('Always', ['app', 'side']), observed: observed(undefined, []), now: s(0) });
  assert.equal(a.sandbox, { attempt: 0, reason: 'NoSandbox' });
  assert.equal(started(a), ['app#0', 'side#0']);
  assert.equal([a.kill, a.waiting, a.remove], [[], [], []]);
});

plan('a running pod as it should be: nothing to do', () => {
  const a = planPod({ pod: pod(), observed: observed(sandbox(), [attempt('app', 0, 'running')]), now: s(100) });
  assert.equal(a, { volumes: [], kill: [], start: [], waiting: [], remove: [], takeOver: [] });
});

// Kubernetes' restart policies: which exit restarts a container.
const POLICY_CASES: Array<[string, 'Always' | 'OnFailure' | 'Never', number, boolean]> = [
  ['Always restarts after exit 0', 'Always', 0, true],
  ['Always restarts after exit 1', 'Always', 1, true],
  ['OnFailure restarts after exit 1', 'OnFailure', 1, true],
  ['OnFailure restarts after a SIGKILL (137)', 'OnFailure', 137, true],
  ['OnFailure leaves exit 0 alone', 'OnFailure', 0, false],
  ['Never leaves exit 1 alone', 'Never', 1, false],
  ['Never leaves exit 0 alone', 'Never', 0, false],
];
for (const [what, policy, exitCode, restarts] of POLICY_CASES) {
  plan(what, () => {
    const a = planPod({ pod: pod(policy), observed: observed(sandbox(), [attempt('app', 0, 'exited', { exitCode })]), now: s(6) });
    assert.equal(started(a), restarts ? ['app#1 backoff 10s'] : []);
    assert.is(a.sandbox, undefined);
  });
}

// The back-off: first restart at once, then 10 s, 20 s, 40 s … 300 s after each finish.
const BACKOFF_CASES: Array<[string, { delay: number; since: number } | undefined, number, number, string[] | { until: number }]> = [
  ['first restart is at once and arms 10 s', undefined, s(5), s(5), ['app#1 backoff 10s']],
  ['second crash within 10 s of its finish waits (CrashLoopBackOff)', { delay: 10_000, since: s(5) }, s(8), s(12), { until: s(18) }],
  ['second crash, 10 s after its finish: restarts and doubles to 20 s', { delay: 10_000, since: s(5) }, s(8), s(18), ['app#1 backoff 20s']],
  ['the delay doubles up to the 300 s cap', { delay: 160_000, since: s(5) }, s(8), s(168), ['app#1 backoff 300s']],
  ['at the cap it stays at 300 s', { delay: 300_000, since: s(5) }, s(8), s(308), ['app#1 backoff 300s']],
  ['a run that ended over 600 s after the last restart resets the back-off', { delay: 300_000, since: s(5) }, s(700), s(700), ['app#1 backoff 10s']],
  ['a back-off entry is measured from the finish, not from now', { delay: 40_000, since: s(0) }, s(100), s(120), { until: s(140) }],
];
for (const [what, backoff, finishedAt, now, expected] of BACKOFF_CASES) {
  plan(what, () => {
    const last = attempt('app', 0, 'exited', { backoff, finishedAt });
    const a = planPod({ pod: pod('Always'), observed: observed(sandbox(), [last]), now });
    if (Array.isArray(expected)) {
      assert.equal(started(a), expected);
      assert.equal(a.waiting, []);
    } else {
      assert.equal(a.start, []);
      assert.equal(a.waiting.map((w) => [w.name, w.reason, w.until]), [['app', 'CrashLoopBackOff', expected.until]]);
      assert.is(a.wakeAt, expected.until, 'the agent wakes when the back-off ends');
    }
  });
}

plan('an attempt created but never started (a sync cut short) is started, not made again', () => {
  const a = planPod({ pod: pod(), observed: observed(sandbox(), [attempt('app', 0, 'exited', { finishedAt: s(5) }), attempt('app', 1, 'created', { backoff: { delay: 10_000, since: s(5) } })]), now: s(6) });
  assert.equal(started(a), ['app#1 (existing) backoff 10s']);
  assert.equal(a.remove, [], 'the attempt before it is kept for lastState');
});

// Sandbox changes: kill everything, a new sandbox, every container again through its back-off.
plan('the infra exited: kill the apps, new sandbox attempt, apps restart (their first restart at once)', () => {
  const a = planPod({ pod: pod('Always', ['app', 'side']), observed: observed(sandbox({ state: 'exited' }), [attempt('app', 0, 'running'), attempt('side', 0, 'running', { id: 'side0' })]), now: s(50) });
  assert.equal(a.sandbox, { attempt: 1, reason: 'SandboxNotRunning' });
  assert.equal(killed(a), ['app0:SandboxChanged', 'side0:SandboxChanged']);
  assert.equal(started(a), ['app#1 backoff 10s', 'side#1 backoff 10s']);
});

plan('the infra was removed: the apps still name the sandbox attempt they joined, the next one follows it', () => {
  const a = planPod({ pod: pod(), observed: observed(undefined, [attempt('app', 3, 'running', { sandboxAttempt: 2 })]), now: s(50) });
  assert.equal(a.sandbox, { attempt: 3, reason: 'NoSandbox' });
  assert.equal(killed(a), ['app3:SandboxChanged']);
});

plan('the engine restarted the infra in place (it started after the app): the app is stranded, the sandbox is remade', () => {
  const a = planPod({ pod: pod(), observed: observed(sandbox({ startedAt: s(30) }), [attempt('app', 0, 'running', { startedAt: s(1) })]), now: s(31) });
  assert.equal(a.sandbox, { attempt: 1, reason: 'SandboxRestarted' });
  assert.equal(killed(a), ['app0:SandboxChanged']);
});

plan('an app that joined an earlier sandbox attempt is stranded too', () => {
  const a = planPod({ pod: pod(), observed: observed(sandbox({ attempt: 2 }), [attempt('app', 4, 'running', { sandboxAttempt: 1 })]), now: s(31) });
  assert.equal(a.sandbox?.reason, 'SandboxRestarted');
});

plan('a remade sandbox still honours a crash-looping container\'s back-off', () => {
  const last = attempt('app', 2, 'exited', { finishedAt: s(40), backoff: { delay: 20_000, since: s(20) } });
  const a = planPod({ pod: pod(), observed: observed(sandbox({ state: 'exited' }), [last]), now: s(45) });
  assert.equal(a.sandbox, { attempt: 1, reason: 'SandboxNotRunning' });
  assert.equal(a.start, []);
  assert.equal(a.waiting.map((w) => w.until), [s(60)]);
});

plan('Never, containers already run and the infra gone: nothing is remade', () => {
  const a = planPod({ pod: pod('Never'), observed: observed(sandbox({ state: 'exited' }), [attempt('app', 0, 'exited')]), now: s(50) });
  assert.is(a.sandbox, undefined);
  assert.equal([a.start, a.kill], [[], []]);
});

plan('Never with a running app when the infra dies: the app is killed, nothing restarts', () => {
  const a = planPod({ pod: pod('Never'), observed: observed(sandbox({ state: 'exited' }), [attempt('app', 0, 'running')]), now: s(50) });
  assert.is(a.sandbox, undefined);
  assert.equal(killed(a), ['app0:SandboxChanged']);
});

plan('OnFailure, every container succeeded: a dead infra is left dead (the pod Succeeded)', () => {
  const a = planPod({ pod: pod('OnFailure'), observed: observed(sandbox({ state: 'exited' }), [attempt('app', 0, 'exited', { exitCode: 0 })]), now: s(50) });
  assert.is(a.sandbox, undefined);
  assert.equal(a.start, []);
});

plan('a running container whose spec hash differs is replaced by the next attempt', () => {
  const a = planPod({ pod: pod(), observed: observed(sandbox(), [attempt('app', 0, 'running', { hash: 'other' })]), now: s(50) });
  assert.equal(killed(a), ['app0:SpecChanged']);
  assert.equal(started(a), ['app#1']);
});

plan('a running container the spec no longer names is killed', () => {
  const a = planPod({ pod: pod(), observed: observed(sandbox(), [attempt('app', 0, 'running'), attempt('gone', 0, 'running')]), now: s(50) });
  assert.equal(killed(a), ['gone0:NotInSpec']);
});

plan('only the newest attempt and the one before it are kept', () => {
  const attempts = [0, 1, 2].map((n) => attempt('app', n, 'exited', { finishedAt: s(n * 10), backoff: n ? { delay: 10_000 * n, since: s(n * 10 - 10) } : undefined }));
  const a = planPod({ pod: pod(), observed: observed(sandbox(), attempts), now: s(1000) });
  assert.equal(started(a), ['app#3 backoff 40s'], 'expiry is measured between finishes, not to now (as the kubelet)');
  assert.equal(a.remove, ['app0', 'app1'], 'attempt 2 becomes the previous one; older ones go');
});

plan('supervised: containers that keep the engine\'s restart policy are taken over; unsupervised: left alone', () => {
  const obs = observed(sandbox({ restartPolicy: 'unless-stopped' }), [attempt('app', 0, 'running', { restartPolicy: 'unless-stopped' })]);
  assert.equal(planPod({ pod: pod(), observed: obs, now: s(5), supervised: true }).takeOver, ['infra0', 'app0']);
  assert.equal(planPod({ pod: pod(), observed: obs, now: s(5) }).takeOver, []);
});

plan('take-over covers older attempts too (after a dockerd restart the engine would start them), not those being removed', () => {
  const attempts = [
    attempt('app', 0, 'exited', { restartPolicy: 'unless-stopped', finishedAt: s(5) }),
    attempt('app', 1, 'exited', { restartPolicy: 'unless-stopped', finishedAt: s(20), backoff: { delay: 10_000, since: s(5) } }),
    attempt('app', 2, 'running', { restartPolicy: 'no' }),
  ];
  const a = planPod({ pod: pod(), observed: observed(sandbox(), attempts), now: s(30), supervised: true });
  assert.equal(a.remove, ['app0']);
  assert.equal(a.takeOver, ['app1']);
});

// Init containers: one at a time, each to exit 0, before the apps; sidecars start and run on.
function initPod(policy: 'Always' | 'OnFailure' | 'Never' = 'Always', sidecar = false): Pod {
  return parsePod({
    metadata: { name: 'p' },
    spec: {
      restartPolicy: policy,
      initContainers: [
        { name: 'setup', image: 'img:1' },
        { name: 'proxy', image: 'img:1', ...(sidecar ? { restartPolicy: 'Always' } : {}) },
      ],
      containers: [{ name: 'app', image: 'img:1' }],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  });
}

plan('a new pod with init containers: a sandbox and the first init container only, its volumes made first', () => {
  const a = planPod({ pod: initPod(), observed: { ...observed(undefined, []), volumes: [] }, now: s(0) });
  assert.equal(a.sandbox, { attempt: 0, reason: 'NoSandbox' });
  assert.equal(started(a), ['setup#0']);
  assert.equal(a.volumes, ['data']);
  assert.is(a.initializing, true);
});

const INIT_CASES: Array<[string, 'Always' | 'OnFailure' | 'Never', boolean, Attempt[], string[], boolean, string[]?]> = [
  ['the first init container still runs: wait for it', 'Always', false, [attempt('setup', 0, 'running')], [], true],
  ['the first exited 0: the second starts', 'Always', false, [attempt('setup', 0, 'exited', { exitCode: 0 })], ['proxy#0'], true],
  ['both exited 0: the apps start', 'Always', false, [attempt('setup', 0, 'exited', { exitCode: 0 }), attempt('proxy', 0, 'exited', { exitCode: 0 })], ['app#0'], false],
  ['the first failed under OnFailure: it runs again (its first restart at once)', 'OnFailure', false, [attempt('setup', 0, 'exited', { exitCode: 2 })], ['setup#1 backoff 10s'], true],
  ['the first failed under Never: nothing more (the pod has failed)', 'Never', false, [attempt('setup', 0, 'exited', { exitCode: 2 })], [], true],
  ['a sidecar that has started lets the apps start, and keeps running', 'Always', true, [attempt('setup', 0, 'exited', { exitCode: 0 }), attempt('proxy', 0, 'running')], ['app#0'], false],
  ['a sidecar that ended after the apps started is restarted and holds nothing up', 'Always', true,
    [attempt('setup', 0, 'exited', { exitCode: 0 }), attempt('proxy', 0, 'exited', { exitCode: 1, finishedAt: s(5) }), attempt('app', 0, 'running')], ['proxy#1 backoff 10s'], false],
  ['once the apps ran in this sandbox, a removed init container is not run again', 'Always', false, [attempt('app', 0, 'running')], [], false],
];
for (const [what, policy, sidecar, attempts, expected, initializing] of INIT_CASES) {
  plan(`init: ${what}`, () => {
    const a = planPod({ pod: initPod(policy, sidecar), observed: { ...observed(sandbox(), attempts), volumes: ['data'] }, now: s(6) });
    assert.equal(started(a), expected);
    assert.is(a.initializing ?? false, initializing);
    assert.equal(a.volumes, [], 'the volume is there already');
  });
}

plan('init: a remade sandbox runs every init container again from the first, the apps wait', () => {
  const attempts = [
    attempt('setup', 0, 'exited', { exitCode: 0 }), attempt('proxy', 0, 'exited', { exitCode: 0 }), attempt('app', 0, 'running'),
  ];
  const a = planPod({ pod: initPod(), observed: { ...observed(sandbox({ state: 'exited' }), attempts), volumes: ['data'] }, now: s(50) });
  assert.equal(a.sandbox, { attempt: 1, reason: 'SandboxNotRunning' });
  assert.equal(killed(a), ['app0:SandboxChanged']);
  assert.equal(started(a), ['setup#1'], 'after a run that succeeded, at once and without advancing the back-off');
  assert.is(a.initializing, true);
});

plan('init: in a remade sandbox, runs from the earlier sandbox do not count', () => {
  const attempts = [
    attempt('setup', 1, 'exited', { exitCode: 0, sandboxAttempt: 1 }), attempt('proxy', 0, 'exited', { exitCode: 0, sandboxAttempt: 0 }),
    attempt('app', 0, 'exited', { sandboxAttempt: 0 }),
  ];
  const a = planPod({ pod: initPod(), observed: { ...observed(sandbox({ attempt: 1 }), attempts), volumes: ['data'] }, now: s(50) });
  assert.equal(started(a), ['proxy#1']);
});

plan.run();
