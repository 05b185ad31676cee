import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PodInput } from '../../src/pod/index.js';
import { AGENT_LABEL, agentPods, eventually, podContainers, startAgent, statusOf } from '../support/agent.js';
import { subnet } from '../support/cluster.js';
import { IMAGE } from '../support/pods.js';
import { mode, scenario } from '../support/scenario.js';

// The agent restarts containers under the pod's restartPolicy with Kubernetes' back-off (at once,
// then 10 s, 20 s ... measured from each finish), as a user sees it through `pod get` and
// `pod logs --previous`. Real engine, real time: these run live only.
const restarts = suite('agent/restarts');

function crashing(name: string, tag: string, policy: 'Always' | 'OnFailure' | 'Never', script: string): PodInput {
  return {
    metadata: { name, labels: { [AGENT_LABEL]: tag } },
    spec: {
      restartPolicy: policy,
      containers: [{ name: 'job', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script] }],
    },
  };
}

if (mode === 'live') {
  scenario(restarts, 'OnFailure: a container exiting 1 is restarted at once, then 10 s and 20 s after its finishes; pod get shows restartCount, lastState and CrashLoopBackOff; logs --previous reads the last attempt', async ({ engine, name, defer, track }) => {
    const cluster = { name: track.network(name('cluster')), subnet: subnet(31) };
    const pods = agentPods(engine, 'agent/restarts onfailure', cluster);
    const pod = 'at-onfailure';
    defer(() => pods.delete(pod, { force: true }).catch(() => {}), 'the pod');
    // `$$$$`: Kubernetes' $(VAR) expansion makes `$$` one `$`, so the shell gets its own `$$` (the pid).
    await pods.create(crashing(pod, 'onfailure', 'OnFailure', 'echo "ran as $$$$ with $RANDOM"; sleep 1; exit 1'));
    const running = startAgent(engine, 'onfailure', cluster);
    defer(() => running.stop(), 'the agent');

    // Attempts 0..3: three restarts, the last after the 20 s back-off.
    // Only the newest attempt and the one before it are kept: attempt 1 goes once 3 has started.
    const all = await eventually('attempt 3 of the job to start, and attempt 1 to be removed', () => podContainers(engine, pod),
      (cs) => cs.some((c) => c.name === 'job' && c.attempt === 3 && c.startedAt !== undefined) && !cs.some((c) => c.attempt === 1), 60_000, 500);
    const attempt = (n: number) => all.find((c) => c.name === 'job' && c.attempt === n);
    assert.equal(all.filter((c) => c.name === 'job').map((c) => c.attempt).sort(), [2, 3]);
    const infra = all.filter((c) => c.role === 'infra');
    assert.is(infra.length, 1, 'one sandbox throughout');
    // The gaps: the restart decision is measured from the finish time of the attempt before.
    const kept2 = attempt(2)!;
    const gap3 = (attempt(3)!.startedAt! - kept2.finishedAt!) / 1000;
    assert.ok(gap3 >= 19.5 && gap3 < 30, `attempt 3 started ${gap3} s after attempt 2 finished (back-off 20 s)`);
    const decisions = running.decisions.filter((d) => d.pod === pod);
    assert.equal(decisions.filter((d) => d.action === 'start').map((d) => [d.attempt, d.nextBackoff]), [[1, '10s'], [2, '20s'], [3, '40s']]);
    assert.equal(decisions.filter((d) => d.action === 'wait').map((d) => d.backoff), ['10s', '20s'], 'a wait is said once per wait');

    // While attempt 3 backs off (40 s), pod get says so, from any process's point of view.
    const waiting = await eventually('CrashLoopBackOff', () => pods.get(pod), (p) => 'waiting' in statusOf(p, 'job').state, 10_000);
    const job = statusOf(waiting, 'job');
    assert.equal(job.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container job' } });
    assert.is(job.restartCount, 3);
    assert.is((job.lastState?.terminated as { exitCode: number }).exitCode, 1);
    assert.is(job.lastState?.terminated.reason, 'Error');
    assert.is(waiting.status.phase, 'Running', 'a crash-looping pod under OnFailure is Running, not Failed');
    assert.is(waiting.status.conditions?.find((c) => c.type === 'podling.io/Supervised')?.status, 'True');
    assert.is(waiting.status.conditions?.find((c) => c.type === 'Ready')?.status, 'False', 'a waiting container is not ready');

    const lines = async (previous: boolean) => { const out: string[] = []; for await (const l of pods.logs(pod, { container: 'job', previous })) out.push(l.text); return out; };
    const [now, before] = [await lines(false), await lines(true)];
    assert.is(now.length, 1, 'the current attempt\'s own log only');
    assert.is(before.length, 1, 'the previous attempt\'s own log only');
    assert.match(before[0]!, /^ran as \d+ with \d+$/);
    assert.is.not(before[0], now[0]);
  }, { unsupported: { podman: 'the pod is made before the agent takes it over, and Podman cannot update a container (no /containers/{id}/update: the agent logs NoRestartPolicyUpdate), so Podman\'s own restart policy restarts the container in place before the agent makes its next attempt' } });

  scenario(restarts, 'Never leaves a failed container alone and the pod Failed; OnFailure leaves exit 0 alone and the pod Succeeded; Always restarts after exit 0', async ({ engine, name, defer, track }) => {
    const cluster = { name: track.network(name('cluster')), subnet: subnet(32) };
    const pods = agentPods(engine, 'agent/restarts policies', cluster);
    const cases = [
      { pod: 'at-never', policy: 'Never' as const, script: 'exit 1' },
      { pod: 'at-onfailure-ok', policy: 'OnFailure' as const, script: 'exit 0' },
      { pod: 'at-always-ok', policy: 'Always' as const, script: 'sleep 1; exit 0' },
    ];
    for (const c of cases) {
      defer(() => pods.delete(c.pod, { force: true }).catch(() => {}), c.pod);
      await pods.create(crashing(c.pod, 'policies', c.policy, c.script));
    }
    const running = startAgent(engine, 'policies', cluster);
    defer(() => running.stop(), 'the agent');
    await eventually('Always with exit 0 to be restarted', () => podContainers(engine, 'at-always-ok'), (cs) => cs.some((c) => c.attempt === 1 && c.startedAt !== undefined), 20_000);
    // Give the agent every chance to (wrongly) restart the other two: several syncs' worth.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const pod of ['at-never', 'at-onfailure-ok']) {
      const apps = (await podContainers(engine, pod)).filter((c) => c.role === 'app');
      assert.equal(apps.map((c) => [c.attempt, c.state]), [[0, 'exited']], `${pod}: no restart`);
    }
    const never = await pods.get('at-never');
    assert.is(never.status.phase, 'Failed');
    assert.ok('terminated' in statusOf(never, 'job').state, 'terminated, not waiting: nothing will restart it');
    assert.is((statusOf(never, 'job').state as { terminated: { exitCode: number } }).terminated.exitCode, 1);
    assert.is((await pods.get('at-onfailure-ok')).status.phase, 'Succeeded');
    assert.is(running.decisions.filter((d) => d.pod === 'at-never' && d.action === 'start').length, 0);
  }, { unsupported: { podman: 'the pod is made before the agent takes it over, and Podman cannot update a container (no /containers/{id}/update: the agent logs NoRestartPolicyUpdate), so Podman\'s own restart policy restarts the container in place before the agent makes its next attempt' } });
}

restarts.run();
