import type { ChildProcess } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent } from '../../src/agent/agent.js';
import { systemdUnit } from '../../src/cli/agent-command.js';
import { isPodlingError } from '../../src/errors.js';
import type { PodObject } from '../../src/pod/index.js';
import { AGENT_LABEL, agentPods, eventually, podContainers, statusOf } from '../support/agent.js';
import { ensureBundle, runCli, runMain, startCli } from '../support/cli.js';
import { clientPod, subnet } from '../support/cluster.js';
import { rejection } from '../support/pods.js';
import { mode, scenario, unit } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';

// `podling agent` as a user runs it: a foreground process, one line per decision, stopped by
// SIGTERM (pods keep running, restarts go back to the engine) or killed outright (a new agent
// picks up where it left off, with no duplicates). Live, with real processes.
const agent = suite('cli/agent');

interface AgentProcess { child: ChildProcess; lines: () => string[]; exited: Promise<number | null> }

function spawnAgent(args: string[], env: NodeJS.ProcessEnv = {}): AgentProcess {
  const child = startCli(['agent', '--log-format', 'json', ...args], env);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, lines: () => out.split('\n').filter(Boolean) };
}

const supervisedBy = (pod: PodObject) => pod.status.conditions?.find((c) => c.type === 'podling.io/Supervised')?.status;

const decisions = (p: AgentProcess) => p.lines().flatMap((l) => { try { return [JSON.parse(l) as Record<string, unknown>]; } catch { return []; } });

const BAD_FLAGS: Array<[string, string[], RegExp]> = [
  ['a log format it does not know', ['--log-format', 'xml'], /--log-format xml: use text or json/],
  ['a relist period that is no number', ['--relist', 'soon'], /--relist soon: a positive number of seconds/],
  ['a zero relist period', ['--relist', '0'], /--relist 0/],
  ['an argument', ['everything'], /agent takes no arguments/],
  ['a selector that is not one', ['-l', 'app in (a,b)'], /set-based selector/],
];
for (const [what, args, message] of BAD_FLAGS) {
  unit(agent, `agent with ${what}: exit 2, one line naming it, no engine request`, async () => {
    let result: Awaited<ReturnType<typeof runMain>> | undefined;
    const sent = await requestsDuring(async () => { result = await runMain(['agent', ...args]); });
    assert.is(result!.code, 2, result!.stderr);
    assert.match(result!.stderr, message);
    assert.is(result!.stderr.trim().split('\n').length, 1);
    assert.equal(sent, []);
  });
}

unit(agent, '--print-systemd-unit prints a unit that runs this agent with its flags, restarts it and stops it with SIGTERM', async () => {
  const result = await runMain(['agent', '--print-systemd-unit', '-l', 'app=web']);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\[Unit\]\n/);
  assert.match(result.stdout, /\nExecStart=\S+node \S+ agent -l app=web\n/);
  assert.match(result.stdout, /\nRestart=always\n/);
  assert.match(result.stdout, /\nKillSignal=SIGTERM\n/);
  assert.match(result.stdout, /\nAfter=docker\.service\n/);
});

unit(agent, '--print-systemd-unit keeps the engine it was given: -H or --context before `agent` is in ExecStart, and nothing is sent', async () => {
  for (const [global, expected] of [
    [['-H', 'ssh://root@127.0.0.1:2222'], ' -H ssh://root@127.0.0.1:2222 agent -l app=web\n'],
    [['--context', 'default'], ' --context default agent -l app=web\n'],
  ] as const) {
    let result: Awaited<ReturnType<typeof runMain>> | undefined;
    const sent = await requestsDuring(async () => { result = await runMain([...global, 'agent', '--print-systemd-unit', '-l', 'app=web']); });
    assert.is(result!.code, 0, result!.stderr);
    assert.ok(result!.stdout.includes(`${expected}`), result!.stdout);
    assert.equal(sent, []);
  }
});

unit(agent, 'the systemd unit carries the variables that choose the engine and the cluster network, none other, quoted where systemd needs it', () => {
  const text = systemdUnit(['-l', 'app=a b'], {}, {
    DOCKER_HOST: 'ssh://ops@build-1', PODLING_SSH_IDENTITY: '/etc/podling/id ed25519', PODLING_CLUSTER_SUBNET: '10.230.0.0/16', HOME: '/root', PATH: '/usr/bin', DOCKER_CERT_PATH: '',
  });
  assert.equal(text.split('\n').filter((l) => l.startsWith('Environment=')), [
    'Environment=DOCKER_HOST=ssh://ops@build-1',
    'Environment="PODLING_SSH_IDENTITY=/etc/podling/id ed25519"',
    'Environment=PODLING_CLUSTER_SUBNET=10.230.0.0/16',
  ]);
  assert.match(text, / agent -l "app=a b"\n/);
});

if (mode === 'live') {
  scenario(agent, 'a second agent is refused while one runs; SIGKILL of the agent while it remakes a sandbox, then a new agent: no duplicate container and the pod Running', async ({ engine, name, defer, track }) => {
    await ensureBundle();
    const cluster = { name: track.network(name('cluster')), subnet: subnet(35) };
    const pods = agentPods(engine, 'cli/agent sigkill', cluster);
    const pod = 'ca-kill';
    defer(() => pods.delete(pod, { force: true }).catch(() => {}), pod);
    const spec = clientPod(pod, { labels: { [AGENT_LABEL]: 'sigkill' } });
    spec.spec.containers.push({ ...spec.spec.containers[0]!, name: 'second' });
    await pods.create(spec);
    const env = { PODLING_CLUSTER_NETWORK: cluster.name, PODLING_CLUSTER_SUBNET: cluster.subnet };
    const first = spawnAgent(['-l', `${AGENT_LABEL}=sigkill`], env);
    defer(() => { first.child.kill('SIGKILL'); return first.exited; }, 'the first agent');
    await eventually('the first agent to take the pod over', () => podContainers(engine, pod), (cs) => cs.length === 3 && cs.every((c) => c.restartPolicy === 'no'), 20_000);

    const second = new Agent(engine, { log: () => {}, selector: `${AGENT_LABEL}=sigkill` });
    const refused = await rejection(second.once());
    assert.ok(isPodlingError(refused, 'held'), String(refused));
    assert.match((refused as Error).message, /another podling agent supervises this engine \(\S+:\d+/);

    // Kill the infra and SIGKILL the agent as soon as it says it is remaking the sandbox.
    const infra = (await podContainers(engine, pod)).find((c) => c.role === 'infra')!;
    await engine.containers.kill(infra.id);
    await eventually('the agent to decide on a new sandbox', async () => decisions(first), (ds) => ds.some((d) => d.action === 'sandbox'), 20_000, 20);
    first.child.kill('SIGKILL');
    await first.exited;

    const third = spawnAgent(['-l', `${AGENT_LABEL}=sigkill`], env);
    defer(async () => { third.child.kill('SIGTERM'); await third.exited; }, 'the third agent');
    const after = await eventually('the pod Running again', () => pods.get(pod), (p) => p.status.phase === 'Running' && p.status.containerStatuses.every((c) => 'running' in c.state), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // any duplicate would have appeared by now
    const containers = await podContainers(engine, pod);
    const running = containers.filter((c) => c.state === 'running');
    assert.equal(running.map((c) => c.name).sort(), ['client', 'infra', 'second'], `exactly one running container per name: ${JSON.stringify(containers)}`);
    assert.is(containers.filter((c) => c.role === 'infra').length, 1, 'one infra');
    for (const n of ['client', 'second']) {
      const attempts = containers.filter((c) => c.name === n).map((c) => c.attempt);
      assert.is(new Set(attempts).size, attempts.length, `no attempt of ${n} made twice: ${attempts}`);
    }
    assert.ok(statusOf(after, 'client').restartCount >= 1);
    assert.is(supervisedBy(after), 'True', 'supervised by the new agent');
  }, { unsupported: { podman: 'Podman 4.3\'s compatible API has no POST /containers/{id}/update (404): the agent cannot take restarts over from the engine' } });

  scenario(agent, 'SIGTERM stops the agent with exit 0: the pods keep running, restarts are handed back to the engine, and pod get says nothing supervises them', async ({ engine, name, defer, track }) => {
    await ensureBundle();
    const cluster = { name: track.network(name('cluster')), subnet: subnet(36) };
    const pods = agentPods(engine, 'cli/agent sigterm', cluster);
    const pod = 'ca-term';
    defer(() => pods.delete(pod, { force: true }).catch(() => {}), pod);
    await pods.create(clientPod(pod, { labels: { [AGENT_LABEL]: 'sigterm' }, restartPolicy: 'OnFailure' }));
    const before = await pods.get(pod);
    const unsupervised = before.status.conditions?.find((c) => c.type === 'podling.io/Supervised');
    assert.equal([unsupervised?.status, unsupervised?.reason], ['False', 'NoAgent']);
    assert.match(unsupervised!.message!, /no podling agent supervises this pod/);

    const proc = spawnAgent(['-l', `${AGENT_LABEL}=sigterm`], { PODLING_CLUSTER_NETWORK: cluster.name, PODLING_CLUSTER_SUBNET: cluster.subnet });
    defer(() => { proc.child.kill('SIGKILL'); return proc.exited; }, 'the agent');
    await eventually('the take-over', () => podContainers(engine, pod), (cs) => cs.every((c) => c.restartPolicy === 'no'), 20_000);
    assert.is(supervisedBy(await pods.get(pod)), 'True');
    assert.match((await runCli(['pod', 'get', pod])).stdout, /\nSupervised:\s+yes \(podling agent \S+:\d+ supervises this pod\)\n/);

    proc.child.kill('SIGTERM');
    assert.is(await proc.exited, 0, proc.lines().join('\n'));
    const policies = Object.fromEntries((await podContainers(engine, pod)).map((c) => [c.name, [c.state, c.restartPolicy]]));
    assert.equal(policies, { infra: ['running', 'unless-stopped'], client: ['running', 'on-failure'] });
    const last = decisions(proc).at(-1)!;
    assert.equal([last.action, last.reason, last.handedBack], ['agent', 'Stopped', 2]);
    const after = await pods.get(pod);
    assert.is(after.status.phase, 'Running');
    assert.is(supervisedBy(after), 'False', 'the lease went with the agent');
    const text = (await runCli(['pod', 'get', pod])).stdout;
    assert.match(text, /\nSupervised:\s+no: no podling agent supervises this pod: only the engine's own restart policies act/);
    assert.match(text, /\nConditions:\s+Initialized=True ContainersReady=True Ready=True\n/);
  }, { unsupported: { podman: 'Podman 4.3\'s compatible API has no POST /containers/{id}/update (404): the agent cannot take restarts over from the engine' } });

  scenario(agent, 'agent --once does one pass (a failed container restarted), hands restarts back, releases the lease and exits 0', async ({ engine, name, defer, track }) => {
    await ensureBundle();
    const cluster = { name: track.network(name('cluster')), subnet: subnet(41) };
    const pods = agentPods(engine, 'cli/agent once', cluster);
    const pod = 'ca-once';
    defer(() => pods.delete(pod, { force: true }).catch(() => {}), pod);
    await pods.create(clientPod(pod, { labels: { [AGENT_LABEL]: 'once' }, restartPolicy: 'OnFailure', command: ['sh', '-c', 'sleep 1; exit 1'] }));
    // The engine's own on-failure would restart it meanwhile: switched off, it stays exited, as a
    // pod an agent once took over and then lost its agent (SIGKILLed) does.
    const client = (await podContainers(engine, pod)).find((c) => c.name === 'client')!;
    await engine.containers.update(client.id, { RestartPolicy: { Name: 'no' } });
    await eventually('the exit', () => podContainers(engine, pod), (cs) => cs.find((c) => c.id === client.id)?.state === 'exited', 20_000);
    const result = await runCli(['agent', '--once', '--log-format', 'json', '-l', `${AGENT_LABEL}=once`], { env: { PODLING_CLUSTER_NETWORK: cluster.name, PODLING_CLUSTER_SUBNET: cluster.subnet }, timeout: 30_000 });
    assert.is(result.code, 0, result.stderr + result.stdout);
    const said = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(said.some((d) => d.pod === pod && d.action === 'start' && d.attempt === 1), result.stdout);
    assert.equal([said.at(-1)?.action, said.at(-1)?.reason], ['agent', 'Stopped']);
    const after = await podContainers(engine, pod);
    assert.equal(after.filter((c) => c.name === 'client').map((c) => c.attempt).sort(), [0, 1]);
    assert.is(after.find((c) => c.name === 'client' && c.attempt === 1)?.restartPolicy, 'on-failure', 'the newest attempt handed back to the engine');
    assert.is(supervisedBy(await pods.get(pod)), 'False', 'the lease released');
  }, { unsupported: { podman: 'Podman 4.3\'s compatible API has no POST /containers/{id}/update (404): the agent cannot take restarts over from the engine' } });
}

agent.run();
