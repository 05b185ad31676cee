import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PodInput } from '../../src/pod/index.js';
import { AGENT_LABEL, agentPods, eventually, podContainers, startAgent, statusOf } from '../support/agent.js';
import { clientPod, lookup, subnet } from '../support/cluster.js';
import { containerId, IMAGE } from '../support/pods.js';
import { mode, scenario } from '../support/scenario.js';

// Probes run by the agent, as a user sees them: a failing liveness probe restarts the container;
// a failing readiness probe takes the pod out of its service's endpoints and DNS name, and a
// passing one brings it back. HTTP probes go from the agent to the pod's address. Live only.
const probes = suite('agent/probes');

/** busybox httpd serving /www, with `health` and `ready` present at first. */
function probed(name: string, tag: string, labels: Record<string, string>, probesOf: Record<string, unknown>): PodInput {
  return {
    metadata: { name, labels: { [AGENT_LABEL]: tag, ...labels } },
    spec: {
      containers: [{
        name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', `mkdir -p /www && echo ok > /www/health && echo ok > /www/ready && echo ${name} > /www/index.html && exec httpd -f -p 8080 -h /www`],
        ports: [{ name: 'http', containerPort: 8080 }],
        ...probesOf,
      }],
    },
  };
}

const http = (path: string, extra: Record<string, unknown> = {}) => ({ httpGet: { path, port: 'http' }, periodSeconds: 1, failureThreshold: 1, ...extra });

if (mode === 'live') {
  scenario(probes, 'a failing HTTP liveness probe gets the container killed and restarted; the probe is an HTTP request from the agent, never an exec in the container', async ({ engine, name, defer, track }) => {
    const cluster = { name: track.network(name('cluster')), subnet: subnet(38) };
    const pods = agentPods(engine, 'agent/probes liveness', cluster);
    const pod = 'ap-live';
    defer(() => pods.delete(pod, { force: true }).catch(() => {}), pod);
    // A second of grace before the first probe of each container: with none, a probe sent before httpd
    // listens (a loaded machine) fails, and with one failure allowed that restarts the new container too.
    await pods.create(probed(pod, 'liveness', {}, { livenessProbe: http('/health', { initialDelaySeconds: 1 }) }));
    const running = startAgent(engine, 'liveness', cluster);
    defer(() => running.stop(), 'the agent');
    const first = containerId(await eventually('the take-over', () => pods.get(pod), (p) => 'running' in statusOf(p, 'web').state), 'web');
    const since = Math.floor(Date.now() / 1000);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // passing probes: nothing happens
    assert.is(containerId(await pods.get(pod), 'web'), first, 'a passing liveness probe leaves the container alone');

    await engine.exec.run(first, ['rm', '/www/health']);
    const after = await eventually('the container restarted', () => pods.get(pod), (p) => containerId(p, 'web') !== first && 'running' in statusOf(p, 'web').state, 30_000);
    assert.is(statusOf(after, 'web').restartCount, 1);
    const said = running.decisions.filter((d) => d.pod === pod);
    assert.ok(said.some((d) => d.action === 'probe' && d.reason === 'Unhealthy' && /statuscode: 404/.test(String(d.message))), JSON.stringify(said));
    assert.ok(said.some((d) => d.action === 'kill' && d.reason === 'Unhealthy'));
    // No exec ran in the container for the probe: the only exec is the test's own rm.
    // One event per exec: dockerd's exec_create, Podman's exec. Picked here: Podman 4.3 answers an
    // events stream filtered by event with nothing.
    const events = await engine.system.events({ since, until: Math.floor(Date.now() / 1000) + 1, filters: { container: [first] } });
    const execs: string[] = [];
    for await (const e of events) if (/^(exec_create|exec)(:|$)/.test(e.Action)) execs.push(e.Actor.Attributes?.execID ?? e.Action);
    assert.is(execs.length, 1, `execs in the container: ${execs.length}`);
    // The new container's probe starts over and passes: it stays.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.is(containerId(await pods.get(pod), 'web'), containerId(after, 'web'));
  });

  scenario(probes, 'a failing readiness probe takes the pod out of its service\'s endpoints and DNS name; passing again brings it back; pod get agrees with the agent', async ({ engine, name, defer, track }) => {
    const cluster = { name: track.network(name('cluster')), subnet: subnet(39) };
    const pods = agentPods(engine, 'agent/probes readiness', cluster);
    const service = 'ap-svc';
    defer(() => pods.deleteService(service).catch(() => {}), service);
    for (const n of ['ap-ready-a', 'ap-ready-b', 'ap-client']) defer(() => pods.delete(n, { force: true }).catch(() => {}), n);
    await pods.createService({ name: service, selector: { app: 'ap-ready' }, port: 8080 });
    const [a, b] = ['ap-ready-a', 'ap-ready-b'];
    for (const n of [a, b]) await pods.create(probed(n, 'readiness', { app: 'ap-ready' }, { readinessProbe: http('/ready') }));
    const client = containerId(await pods.create(clientPod('ap-client', { labels: { [AGENT_LABEL]: 'readiness' } })), 'client');

    // Before an agent probes them, pods with a readiness probe are not ready: no endpoints, no name.
    assert.equal((await pods.getService(service)).endpoints, []);
    assert.is((await pods.get(a)).status.conditions?.find((c) => c.type === 'Ready')?.status, 'False');

    const running = startAgent(engine, 'readiness', cluster);
    defer(() => running.stop(), 'the agent');
    const ip = async (n: string) => (await pods.get(n)).status.podIP!;
    const [ipA, ipB] = [await ip(a), await ip(b)];
    await eventually('both endpoints', () => pods.getService(service), (s) => s.endpoints.length === 2, 20_000);
    assert.equal(await eventually('both in DNS', () => lookup(engine, client, service), (ips) => ips.length === 2, 10_000), [ipA, ipB].sort());

    await engine.exec.run(containerId(await pods.get(a), 'web'), ['rm', '/www/ready']);
    const svc = await eventually('a out of the endpoints', () => pods.getService(service), (s) => s.endpoints.length === 1, 10_000);
    assert.equal(svc.endpoints, [`${ipB}:8080`]);
    assert.equal(await eventually('a out of DNS', () => lookup(engine, client, service), (ips) => ips.length === 1, 10_000), [ipB]);
    const notReady = await pods.get(a);
    assert.equal([statusOf(notReady, 'web').ready, notReady.status.phase], [false, 'Running'], 'not ready, still running: readiness never restarts');
    assert.equal(notReady.status.conditions?.filter((c) => c.type !== 'podling.io/Supervised').map((c) => [c.type, c.status]), [['Initialized', 'True'], ['ContainersReady', 'False'], ['Ready', 'False']]);
    assert.is((await pods.list({ selector: 'app=ap-ready' })).find((p) => p.metadata.name === a)?.status.containerStatuses[0]?.ready, false, 'pod list agrees');
    assert.ok(running.decisions.some((d) => d.pod === a && d.action === 'probe' && d.reason === 'ReadinessFailed'));

    await engine.exec.run(containerId(notReady, 'web'), ['sh', '-c', 'echo ok > /www/ready']);
    await eventually('a back in the endpoints', () => pods.getService(service), (s) => s.endpoints.length === 2, 10_000);
    assert.equal(await eventually('a back in DNS', () => lookup(engine, client, service), (ips) => ips.length === 2, 10_000), [ipA, ipB].sort());
    assert.is((await pods.get(a)).status.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal((await podContainers(engine, a)).filter((c) => c.role === 'app').map((c) => c.attempt), [0], 'the container was never restarted');
  });
}

probes.run();
