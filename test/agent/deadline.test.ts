import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AGENT_LABEL, agentPods, eventually, podContainers, startAgent } from '../support/agent.js';
import { subnet } from '../support/cluster.js';
import { IMAGE } from '../support/pods.js';
import { mode, scenario } from '../support/scenario.js';

// activeDeadlineSeconds under the agent: once the pod has been active that long, its containers
// are stopped and none starts again; the pod is Failed with DeadlineExceeded. Real time: live only.
const deadline = suite('agent/deadline');

if (mode === 'live') {
  scenario(deadline, 'a pod past its activeDeadlineSeconds is stopped by the agent, is not restarted, and reads Failed with DeadlineExceeded', async ({ engine, name, defer, track }) => {
    const cluster = { name: track.network(name('cluster')), subnet: subnet(41) };
    const pods = agentPods(engine, 'agent/deadline', cluster);
    const pod = 'at-deadline';
    defer(() => pods.delete(pod, { force: true }).catch(() => {}), 'the pod');
    await pods.create({
      metadata: { name: pod, labels: { [AGENT_LABEL]: 'deadline' } },
      spec: { activeDeadlineSeconds: 3, containers: [{ name: 'sleeper', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
    });
    const running = startAgent(engine, 'deadline', cluster);
    defer(() => running.stop(), 'the agent');
    const failed = await eventually('the pod to fail with DeadlineExceeded', () => pods.get(pod), (p) => p.status.phase === 'Failed', 30_000, 500);
    assert.is(failed.status.reason, 'DeadlineExceeded');
    // It stays so: the agent starts nothing again (Always would otherwise restart the sleeper).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const containers = await podContainers(engine, pod);
    assert.equal(containers.filter((c) => c.name === 'sleeper').map((c) => [c.attempt, c.state]), [[0, 'exited']], 'one attempt, stopped, none after it');
    assert.is((await pods.get(pod)).status.phase, 'Failed');
  });
}

deadline.run();
