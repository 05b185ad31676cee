import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { executeActions } from '../../src/pod/execute.js';
import { PodFailedError, type PodInput } from '../../src/pod/index.js';
import { observePod } from '../../src/pod/observe.js';
import { latestAttempts } from '../../src/pod/observe.js';
import { planPod, type PodActions } from '../../src/pod/plan.js';
import { readPods } from '../../src/pod/read.js';
import { mode, scenario } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';
import { assertGone, containerId, IMAGE, poll, rejection, removePods, sleeper, TEST_CREATOR, testPods } from '../support/pods.js';

// Lifecycle hooks, grace periods and termination messages against the engine
// (fixtures/pod/lifecycle-hooks/); the decisions themselves are table-tested in lifecycle.test.ts.
const hooks = suite('pod/lifecycle-hooks');

const shell = (name: string, script: string, extra: Record<string, unknown> = {}) => ({ name, image: IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sh', '-c', script], ...extra });
const SHARED = { volumes: [{ name: 'shared', emptyDir: {} }] };
const mountShared = { volumeMounts: [{ name: 'shared', mountPath: '/shared' }] };
const at = (sent: string[], pattern: RegExp) => sent.findIndex((line) => pattern.test(line));
const exec = (cmd: string) => ({ exec: { command: ['sh', '-c', cmd] } });

/** Kills one container of a pod through the executor, as an agent's sync does (a changed spec). */
async function killThroughExecutor(pods: ReturnType<typeof testPods>, pod: string, name: string, id: string, onHookFailure?: (f: { reason: string }) => void): Promise<string[]> {
  const [record] = await readPods(pods.engine, { labels: [`podling.io/pod-name=${pod}`] });
  const observed = await observePod(pods.engine, record!);
  const actions: PodActions = { volumes: [], kill: [{ id, name, reason: 'SpecChanged' }], start: [], waiting: [], remove: [], takeOver: [] };
  return requestsDuring(async () => { await executeActions(pods.runtime, record!.spec!, observed, actions, { podId: record!.id, creator: TEST_CREATOR, onHookFailure }); });
}

scenario(hooks, 'a kill runs preStop to its end before the stop signal: the hook\'s marks come before the TERM trap\'s, and the stop gets the pod\'s grace', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/lifecycle-hooks prestop order');
  defer(() => removePods(pods, 'pt-lc-order'), 'pt-lc-order');
  // The hook and the trap both append to the termination message file: `get` then shows the order.
  const created = await pods.create({ metadata: { name: 'pt-lc-order' }, spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 20, containers: [
    shell('app', 'trap "echo term >> /dev/termination-log; exit 0" TERM; while true; do sleep 0.1; done', {
      terminationMessagePath: '/dev/termination-log',
      lifecycle: { preStop: exec('echo prestop >> /dev/termination-log; echo prestop-done >> /dev/termination-log') },
    }),
  ] } });
  const id = containerId(created, 'app');
  const sent = await killThroughExecutor(pods, 'pt-lc-order', 'app', id);
  const hook = at(sent, new RegExp(`^POST \\S*/containers/${id}/exec$`));
  const hookDone = at(sent, /^GET \S*\/exec\/\w+\/json$/);
  const stop = at(sent, new RegExp(`^POST \\S*/containers/${id}/stop\\?t=20$`));
  assert.ok(hook >= 0 && hookDone > hook && stop > hookDone, `the hook ran, ended, then the stop with the pod's 20 s: ${sent.join(', ')}`);
  const pod = await pods.get('pt-lc-order');
  const state = pod.status.containerStatuses[0]!.state;
  assert.ok('terminated' in state, JSON.stringify(state));
  assert.is(state.terminated.message, 'prestop\nprestop-done\nterm\n');
  assert.is(state.terminated.exitCode, 0, 'the trap ran: SIGTERM, not SIGKILL');
});

scenario(hooks, 'delete runs each preStop before stopping its container, and stops the sandbox after the apps', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/lifecycle-hooks delete');
  defer(() => removePods(pods, 'pt-lc-delete'), 'pt-lc-delete');
  const created = await pods.create({ metadata: { name: 'pt-lc-delete' }, spec: { terminationGracePeriodSeconds: 15, containers: [
    shell('app', 'trap "exit 0" TERM; while true; do sleep 0.1; done', { lifecycle: { preStop: exec('true') } }),
    sleeper('plain'),
  ] } });
  const [infra] = await engine.containers.list({ all: true, filters: { label: ['podling.io/pod-name=pt-lc-delete', 'podling.io/role=infra'] } });
  const app = containerId(created, 'app');
  const plain = containerId(created, 'plain');
  const sent = await requestsDuring(() => pods.delete('pt-lc-delete'));
  const hook = at(sent, new RegExp(`^POST \\S*/containers/${app}/exec$`));
  const hookDone = at(sent, /^GET \S*\/exec\/\w+\/json$/);
  const stopApp = at(sent, new RegExp(`^POST \\S*/containers/${app}/stop\\?t=15$`));
  const stopPlain = at(sent, new RegExp(`^POST \\S*/containers/${plain}/stop\\?t=15$`));
  const stopInfra = at(sent, new RegExp(`^POST \\S*/containers/${infra!.Id}/stop\\?t=15$`));
  assert.ok(hook >= 0 && hookDone > hook && stopApp > hookDone, `preStop before the app's stop: ${sent.join(', ')}`);
  assert.ok(stopPlain >= 0, 'a container without a hook is stopped with the pod\'s grace');
  assert.ok(stopInfra > Math.max(stopApp, stopPlain), `the sandbox stops after the apps: ${sent.join(', ')}`);
  assert.is(sent.filter((line) => /\/exec$/.test(line)).length, 1, 'only the hooked container runs a hook');
  await assertGone(engine, 'pt-lc-delete');
});

scenario(hooks, 'a preStop that outlasts terminationGracePeriodSeconds is cut off: delete waits for it that long, then stops with the 2 s minimum', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/lifecycle-hooks grace');
  defer(() => removePods(pods, 'pt-lc-grace'), 'pt-lc-grace');
  // A sleep hook waits in this process, so the cut-off is the same in every tier.
  const created = await pods.create({ metadata: { name: 'pt-lc-grace' }, spec: { terminationGracePeriodSeconds: 1, containers: [
    shell('app', 'trap "exit 0" TERM; while true; do sleep 0.1; done', { lifecycle: { preStop: { sleep: { seconds: 600 } } } }),
  ] } });
  const app = containerId(created, 'app');
  const failures: string[] = [];
  const started = Date.now();
  const sent = await requestsDuring(() => pods.delete('pt-lc-grace', { onHookFailure: (f) => failures.push(`${f.container} ${f.hook}: ${f.reason}`) }));
  assert.ok(Date.now() - started >= 900, 'the delete waited for the hook');
  assert.ok(sent.some((line) => new RegExp(`/containers/${app}/stop\\?t=2$`).test(line)), sent.join('\n'));
  assert.equal(failures, ['app preStop: the grace period ran out before it ended']);
  await assertGone(engine, 'pt-lc-grace');
});

scenario(hooks, 'an explicit --grace-period overrides the pod\'s terminationGracePeriodSeconds; a forced delete runs no hook', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/lifecycle-hooks override');
  defer(() => removePods(pods, 'pt-lc-override', 'pt-lc-force'), 'pt-lc-override pt-lc-force');
  const spec = { terminationGracePeriodSeconds: 45, containers: [shell('app', 'trap "exit 0" TERM; while true; do sleep 0.1; done', { lifecycle: { preStop: exec('true') } })] };
  await pods.create({ metadata: { name: 'pt-lc-override' }, spec });
  const overridden = await requestsDuring(() => pods.delete('pt-lc-override', { gracePeriod: 3 }));
  assert.ok(overridden.some((line) => /\/stop\?t=3$/.test(line)) && !overridden.some((line) => /\/stop\?t=45$/.test(line)), overridden.join('\n'));
  await pods.create({ metadata: { name: 'pt-lc-force' }, spec });
  const forced = await requestsDuring(() => pods.delete('pt-lc-force', { force: true }));
  assert.equal(forced.filter((line) => /\/exec$|\/stop\?/.test(line)), [], 'no hook and no stop');
  await assertGone(engine, 'pt-lc-force');
});

scenario(hooks, 'postStart has run when create returns, the app sees what it wrote, and the next container starts only after it', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/lifecycle-hooks poststart');
  defer(() => removePods(pods, 'pt-lc-post'), 'pt-lc-post');
  let created: Awaited<ReturnType<typeof pods.create>> | undefined;
  const sent = await requestsDuring(async () => {
    created = await pods.create({ metadata: { name: 'pt-lc-post' }, spec: { ...SHARED, containers: [
      shell('first', 'while [ ! -f /shared/hello ]; do sleep 0.1; done; cat /shared/hello; exec sleep 3600', { ...mountShared, lifecycle: { postStart: exec('echo hello from postStart > /shared/hello') } }),
      sleeper('second', mountShared),
    ] } });
  });
  const first = containerId(created!, 'first');
  const second = containerId(created!, 'second');
  const startFirst = at(sent, new RegExp(`^POST \\S*/containers/${first}/start$`));
  const hook = at(sent, new RegExp(`^POST \\S*/containers/${first}/exec$`));
  const startSecond = at(sent, new RegExp(`^POST \\S*/containers/${second}/start$`));
  assert.ok(startFirst >= 0 && hook > startFirst && startSecond > hook, `start, hook, next start: ${sent.join(', ')}`);
  const seen = await pods.exec('pt-lc-post', ['cat', '/shared/hello'], { container: 'second' });
  assert.is((await seen.output.text()).stdout, 'hello from postStart\n');
  const logs = await poll(mode, async () => {
    const lines: string[] = [];
    for await (const line of pods.logs('pt-lc-post', { container: 'first' })) lines.push(line.text);
    return lines;
  }, (lines) => lines.length > 0);
  assert.equal(logs, ['hello from postStart']);
});

scenario(hooks, 'while its postStart runs, get from anywhere shows the running container still being created and the pod Pending; then Running and ready', async ({ engine, defer, mode: tier }) => {
  const pods = testPods(engine, 'pod/lifecycle-hooks creating');
  defer(() => removePods(pods, 'pt-lc-creating'), 'pt-lc-creating');
  const creating = pods.create({ metadata: { name: 'pt-lc-creating' }, spec: { containers: [
    sleeper('app', { lifecycle: { postStart: exec('while [ ! -f /tmp/go ]; do sleep 0.1; done') } }),
  ] } });
  creating.catch(() => {});
  const filters = { label: ['podling.io/pod-name=pt-lc-creating', 'podling.io/container-name=app'] };
  const [app] = await poll(tier, () => engine.containers.list({ all: true, filters }), (found) => found[0]?.State === 'running');
  assert.is(app?.State, 'running', 'the engine runs it');
  const during = await pods.get('pt-lc-creating');
  assert.equal(during.status.containerStatuses[0]!.state, { waiting: { reason: 'ContainerCreating' } });
  assert.is(during.status.containerStatuses[0]!.ready, false);
  assert.is(during.status.phase, 'Pending');
  await (await pods.exec('pt-lc-creating', ['touch', '/tmp/go'])).output.text();
  const created = await creating;
  assert.ok('running' in created.status.containerStatuses[0]!.state, JSON.stringify(created.status.containerStatuses[0]));
  const after = await pods.get('pt-lc-creating');
  assert.is(after.status.phase, 'Running');
  assert.is(after.status.containerStatuses[0]!.ready, true);
});

scenario(hooks, 'a failing postStart kills its container (FailedPostStartHook) and a one-shot create rolls the pod back', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/lifecycle-hooks poststart fails');
  defer(() => removePods(pods, 'pt-lc-postfail'), 'pt-lc-postfail');
  let err: unknown;
  const sent = await requestsDuring(async () => {
    err = await rejection(pods.create({ metadata: { name: 'pt-lc-postfail' }, spec: { terminationGracePeriodSeconds: 5, containers: [
      shell('app', 'trap "exit 0" TERM; while true; do sleep 0.1; done', { lifecycle: { postStart: exec('echo no database >&2; exit 3') } }),
    ] } } as PodInput));
  });
  assert.instance(err, PodFailedError);
  assert.is((err as PodFailedError).reason, 'FailedPostStartHook');
  assert.is((err as Error).message, 'pod pt-lc-postfail Failed: FailedPostStartHook: container app: postStart hook failed: exec exited 3: no database');
  const stop = at(sent, /^POST \S*\/containers\/\w+\/stop\?t=5$/);
  const hook = at(sent, /^POST \S*\/containers\/\w+\/exec$/);
  const removeApp = at(sent, /^DELETE \S*\/containers\/\w+\?/);
  assert.ok(hook >= 0 && stop > hook && removeApp > stop, `the hook, the kill with the pod's grace, then the rollback: ${sent.join(', ')}`);
  await assertGone(engine, 'pt-lc-postfail');
});

// A restart carries back-off labels holding the engine's finish times, which a replay shifts in the
// answers but not in the requests made from them: live only, as test/agent/restarts.test.ts.
if (mode === 'live') scenario(hooks, 'under an agent\'s executor a failing postStart kills the new attempt, and the plan restarts it under the policy with back-off', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/lifecycle-hooks agent restart');
  defer(() => removePods(pods, 'pt-lc-restart'), 'pt-lc-restart');
  // The hook fails once /shared/fail exists: the first run passes, the restart's does not.
  await pods.create({ metadata: { name: 'pt-lc-restart' }, spec: { ...SHARED, restartPolicy: 'Always', terminationGracePeriodSeconds: 5, containers: [
    shell('app', 'trap "exit 0" TERM; while true; do sleep 0.1; done', { ...mountShared, lifecycle: { postStart: exec('test ! -f /shared/fail') } }),
  ] } }, { supervised: true });
  await (await pods.exec('pt-lc-restart', ['touch', '/shared/fail'])).output.text();
  const look = async () => {
    const [record] = await readPods(engine, { labels: ['podling.io/pod-name=pt-lc-restart'] });
    return { record: record!, observed: await observePod(engine, record!) };
  };
  const first = await look();
  await killThroughExecutor(pods, 'pt-lc-restart', 'app', first.observed.attempts[0]!.id);
  const stopped = await look();
  const exited = latestAttempts(stopped.observed.attempts).get('app')!;
  assert.is(exited.state, 'exited');
  // `now` from the engine's own finish time: the same decision in every tier.
  const restart = planPod({ pod: stopped.record.spec!, observed: stopped.observed, now: exited.finishedAt! + 1, supervised: true });
  assert.equal(restart.start.map((s) => [s.name, s.attempt]), [['app', 1]]);
  const err = await rejection(executeActions(pods.runtime, stopped.record.spec!, stopped.observed, restart, { podId: stopped.record.id, creator: TEST_CREATOR, supervised: true }));
  assert.instance(err, PodFailedError);
  assert.is((err as PodFailedError).reason, 'FailedPostStartHook');
  const after = await look();
  const second = latestAttempts(after.observed.attempts).get('app')!;
  assert.equal([second.attempt, second.state], [1, 'exited'], 'the new attempt was killed');
  const next = planPod({ pod: after.record.spec!, observed: after.observed, now: second.finishedAt! + 1, supervised: true });
  assert.equal(next.start, []);
  assert.equal(next.waiting.map((w) => [w.name, w.reason, w.delay]), [['app', 'CrashLoopBackOff', 10_000]]);
});

scenario(hooks, 'termination messages: the declared file, or the log tail on FallbackToLogsOnError after a failure; none otherwise, and none read by list', async ({ engine, defer, mode: tier }) => {
  const pods = testPods(engine, 'pod/lifecycle-hooks messages');
  defer(() => removePods(pods, 'pt-lc-msg'), 'pt-lc-msg');
  const hundred = 'i=1; while [ $i -le 100 ]; do echo line $i; i=$((i+1)); done';
  await pods.create({ metadata: { name: 'pt-lc-msg' }, spec: { restartPolicy: 'Never', containers: [
    shell('file', 'echo out of disk > /dev/termination-log; echo a log line; exit 3', { terminationMessagePath: '/dev/termination-log' }),
    shell('own-path', 'echo done here > /tmp/message; exit 0', { terminationMessagePath: '/tmp/message' }),
    shell('fallback', `${hundred}; exit 4`, { terminationMessagePolicy: 'FallbackToLogsOnError' }),
    shell('succeeded', `${hundred}; exit 0`, { terminationMessagePolicy: 'FallbackToLogsOnError' }),
    shell('undeclared', 'echo nobody asked > /dev/termination-log; exit 5'),
  ] } });
  const pod = await poll(tier, () => pods.get('pt-lc-msg'), (p) => p.status.containerStatuses.every((c) => 'terminated' in c.state));
  const messages = Object.fromEntries(pod.status.containerStatuses.map((c) => [c.name, 'terminated' in c.state ? c.state.terminated.message : 'still running']));
  const tail = Array.from({ length: 80 }, (_, i) => `line ${i + 21}`).join('\n') + '\n';
  assert.equal(messages, { file: 'out of disk\n', 'own-path': 'done here\n', fallback: tail, succeeded: undefined, undeclared: undefined });
  const listed = await requestsDuring(async () => { await pods.list({ selector: 'podling.io/none!=x' }); });
  assert.equal(listed.filter((line) => /archive|logs/.test(line)), [], 'list reads no message');
});

if (mode === 'live') {
  // From this process to the pod's IP: outside the engine's API, so there is nothing to record.
  scenario(hooks, 'an httpGet preStop reaches the pod by a named port from this process, and any answer (here a 404) counts', async ({ engine, defer }) => {
    const pods = testPods(engine, 'pod/lifecycle-hooks http');
    defer(() => removePods(pods, 'pt-lc-http'), 'pt-lc-http');
    const created = await pods.create({ metadata: { name: 'pt-lc-http' }, spec: { restartPolicy: 'Never', containers: [
      shell('web', 'mkdir -p /www; exec httpd -f -vv -p 8080 -h /www', { ports: [{ name: 'http', containerPort: 8080 }], lifecycle: { preStop: { httpGet: { path: '/draining', port: 'http' } } } }),
    ] } });
    await poll(mode, () => pods.exec('pt-lc-http', ['sh', '-c', 'nc 127.0.0.1 8080 </dev/null && echo up'], { container: 'web' }).then((r) => r.output.text()), (t) => t.stdout.includes('up'));
    const failures: string[] = [];
    const id = containerId(created, 'web');
    await killThroughExecutor(pods, 'pt-lc-http', 'web', id, (f) => failures.push(f.reason));
    assert.equal(failures, []);
    const log = await (await engine.containers.logs(id, { tty: false })).text();
    assert.ok(/url:\/draining/.test(log.stderr + log.stdout), log.stderr);
    assert.ok(/response:404/.test(log.stderr + log.stdout), log.stderr);
  });
}

hooks.run();
