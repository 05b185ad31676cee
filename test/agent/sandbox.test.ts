import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Engine } from '../../src/engine/index.js';
import { containerId } from '../support/pods.js';
import { AGENT_LABEL, agentPods, eventually, podContainers, startAgent } from '../support/agent.js';
import { clientPod, fetchFrom, lookup, subnet, webPod } from '../support/cluster.js';
import { mode, scenario } from '../support/scenario.js';

// When a pod's infra container dies or is removed, the agent remakes the sandbox as the kubelet
// does: the apps are killed and started again in the new namespace, keeping the pod's name, its
// DNS name on the cluster network and localhost between its containers. Live only.
const sandbox = suite('agent/sandbox');

/** A web server and a sidecar that fetches from it over localhost. */
function webWithSidecar(name: string, tag: string) {
  const web = webPod(name, { labels: { [AGENT_LABEL]: tag, app: name }, body: `hello from ${name}` });
  web.spec.containers.push({ name: 'sidecar', image: web.spec.containers[0]!.image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] });
  return web;
}

async function runningAgain(engine: Engine, pods: ReturnType<typeof agentPods>, pod: string, oldInfra: string) {
  return eventually(`pod ${pod} Running on a new sandbox`, () => pods.get(pod), (p) => p.status.phase === 'Running'
    && p.status.containerStatuses.every((c) => 'running' in c.state) && p.status.podIP !== undefined
    && !p.status.containerStatuses.some((c) => c.containerID.includes(oldInfra)), 30_000);
}

if (mode === 'live') {
  scenario(sandbox, 'docker kill of the infra: the pod is Running again on a new sandbox, localhost works between its containers and its DNS name answers other pods', async ({ engine, name, defer, track }) => {
    const cluster = { name: track.network(name('cluster')), subnet: subnet(33) };
    const pods = agentPods(engine, 'agent/sandbox kill', cluster);
    defer(() => pods.delete('as-web', { force: true }).catch(() => {}), 'as-web');
    defer(() => pods.delete('as-client', { force: true }).catch(() => {}), 'as-client');
    const before = await pods.create(webWithSidecar('as-web', 'kill'));
    const client = await pods.create(clientPod('as-client', { labels: { [AGENT_LABEL]: 'kill' } }));
    const running = startAgent(engine, 'kill', cluster);
    defer(() => running.stop(), 'the agent');
    await eventually('the agent to take the pods over', () => podContainers(engine, 'as-web'), (cs) => cs.every((c) => c.restartPolicy === 'no'));

    const infra = (await podContainers(engine, 'as-web')).find((c) => c.role === 'infra')!;
    await engine.containers.kill(infra.id);
    const after = await runningAgain(engine, pods, 'as-web', infra.id);
    assert.is.not(containerId(after, 'web'), containerId(before, 'web'), 'the apps were started again, in new containers');
    const containers = await podContainers(engine, 'as-web');
    assert.equal(containers.filter((c) => c.role === 'infra').map((c) => [c.attempt, c.state]), [[1, 'running']], 'one infra: the old one removed, attempt 1 running');
    assert.equal(containers.filter((c) => c.state === 'running').map((c) => c.name).sort(), ['infra', 'sidecar', 'web']);
    const decisions = running.decisions.filter((d) => d.pod === 'as-web');
    assert.ok(decisions.some((d) => d.action === 'sandbox' && d.reason === 'SandboxNotRunning' && d.attempt === 1), JSON.stringify(decisions));

    const sidecar = containerId(after, 'sidecar');
    const local = await eventually('localhost in the new sandbox', () => fetchFrom(engine, sidecar, 'http://localhost/'), (r) => r.exitCode === 0, 10_000);
    assert.is(local.stdout.trim(), 'hello from as-web');
    const byName = await eventually('the pod\'s DNS name from another pod', () => fetchFrom(engine, containerId(client, 'client'), 'http://as-web/'), (r) => r.exitCode === 0, 10_000);
    assert.is(byName.stdout.trim(), 'hello from as-web');
    assert.equal(await lookup(engine, containerId(client, 'client'), 'as-web'), [after.status.podIP!], 'the name resolves to the new sandbox\'s address only');
  }, { unsupported: { podman: 'Podman 4.3\'s compatible API has no POST /containers/{id}/update (404): the agent cannot take restarts over from the engine' } });

  scenario(sandbox, 'an infra removed by hand: the pod is rebuilt from the spec its apps carry, with its name and labels', async ({ engine, name, defer, track }) => {
    const cluster = { name: track.network(name('cluster')), subnet: subnet(34) };
    const pods = agentPods(engine, 'agent/sandbox removed', cluster);
    defer(() => pods.delete('as-gone', { force: true }).catch(() => {}), 'as-gone');
    await pods.create(webWithSidecar('as-gone', 'removed'));
    // Removed while no agent runs: the next agent finds apps and no infra at all.
    const infra = (await podContainers(engine, 'as-gone')).find((c) => c.role === 'infra')!;
    await engine.containers.remove(infra.id, { force: true });
    const running = startAgent(engine, 'removed', cluster);
    defer(() => running.stop(), 'the agent');
    const after = await runningAgain(engine, pods, 'as-gone', infra.id);
    assert.equal(after.metadata.labels, { [AGENT_LABEL]: 'removed', app: 'as-gone' });
    assert.ok(running.decisions.some((d) => d.pod === 'as-gone' && d.action === 'sandbox' && d.reason === 'NoSandbox'));
    const local = await eventually('localhost in the rebuilt sandbox', () => fetchFrom(engine, containerId(after, 'sidecar'), 'http://localhost/'), (r) => r.exitCode === 0, 10_000);
    assert.is(local.stdout.trim(), 'hello from as-gone');
  }, { unsupported: { podman: 'Podman 4.3\'s compatible API has no POST /containers/{id}/update (404): the agent cannot take restarts over from the engine' } });

  scenario(sandbox, 'a remade sandbox runs the init containers again from the first, keeps what a disk emptyDir holds, and restarts a sidecar beside the app', async ({ engine, name, defer, track }) => {
    const cluster = { name: track.network(name('cluster')), subnet: subnet(37) };
    const pods = agentPods(engine, 'agent/sandbox init', cluster);
    const pod = 'as-init';
    defer(() => pods.delete(pod, { force: true }).catch(() => {}), pod);
    const image = '127.0.0.1:5000/podling-test/busybox:latest';
    const c = (cname: string, script: string, extra: Record<string, unknown> = {}) => ({ name: cname, image, imagePullPolicy: 'IfNotPresent' as const, command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }], ...extra });
    await pods.create({
      metadata: { name: pod, labels: { [AGENT_LABEL]: 'init' } },
      spec: {
        initContainers: [
          c('count', 'echo run >> /data/runs'),
          c('helper', 'echo helper > /data/helper; exec sleep 3600', { restartPolicy: 'Always' }),
        ],
        containers: [c('app', 'sleep 3600')],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    });
    const running = startAgent(engine, 'init', cluster);
    defer(() => running.stop(), 'the agent');
    await eventually('the take-over', () => podContainers(engine, pod), (cs) => cs.filter((x) => x.state === 'running').every((x) => x.restartPolicy === 'no'));
    const runs = async () => (await engine.exec.run(containerId(await pods.get(pod), 'app'), ['cat', '/data/runs'])).stdout;
    assert.is(await runs(), 'run\n');

    // The sidecar ends: it is restarted beside the app, which keeps running.
    const appBefore = containerId(await pods.get(pod), 'app');
    const helper = (await podContainers(engine, pod)).find((x) => x.name === 'helper' && x.state === 'running')!;
    await engine.containers.kill(helper.id);
    await eventually('the sidecar restarted', () => podContainers(engine, pod), (cs) => cs.some((x) => x.name === 'helper' && x.attempt === 1 && x.state === 'running'), 20_000);
    assert.is(containerId(await pods.get(pod), 'app'), appBefore, 'the app was not touched');

    const infra = (await podContainers(engine, pod)).find((x) => x.role === 'infra')!;
    await engine.containers.kill(infra.id);
    const after = await runningAgain(engine, pods, pod, infra.id);
    assert.is(await runs(), 'run\nrun\n', 'the init container ran again, and the volume kept the first run');
    assert.equal(after.status.initContainerStatuses?.map((x) => [x.name, Object.keys(x.state)[0]]), [['count', 'terminated'], ['helper', 'running']]);
    const order = running.decisions.filter((d) => d.pod === pod && d.action === 'start' && (d.attempt as number) >= 1).map((d) => d.container);
    assert.equal(order.slice(-3), ['count', 'helper', 'app'], `in order after the sandbox: ${order}`);
  }, { unsupported: { podman: 'Podman 4.3\'s compatible API has no POST /containers/{id}/update (404): the agent cannot take restarts over from the engine' } });
}

sandbox.run();
