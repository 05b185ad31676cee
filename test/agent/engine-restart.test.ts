import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { AGENT_LABEL, agentPods, eventually, podContainers, startAgent } from '../support/agent.js';
import { ROOT } from '../support/cli.js';
import { clientPod } from '../support/cluster.js';
import { mode, probe } from '../support/scenario.js';
import { withTeardown } from '../support/teardown.js';
import { defaultUpstream } from '../../src/testing/index.js';

// The engine going away under a running agent: dockerd stopped (every container dies with it, and
// the socket is gone), then started again. The agent says so once, waits with back-off, and when
// the engine answers every pod converges again, infra first. Run against the newer engine
// (scripts/newer-engine.sh), which this test may stop and start without disturbing the engine
// every other test uses. Live only.
const restart = suite('agent/engine-restart');

const SOCKET = '/run/podling-newer/docker.sock';
const PIDFILE = '/run/podling-newer/docker.pid';
const up = mode === 'live' && await probe(defaultUpstream({ DOCKER_HOST: `unix://${SOCKET}` }));
if (mode === 'live' && !up && process.env.PODLING_REQUIRE_ENGINE !== '1') console.log(`note: the newer engine does not answer at ${SOCKET}: agent/engine-restart is skipped`);

async function stopDockerd(): Promise<void> {
  const pid = Number(readFileSync(PIDFILE, 'utf8'));
  process.kill(pid, 'SIGTERM');
  // Gone for real: the start script refuses to start while the old daemon is still shutting down.
  await eventually('the newer dockerd to exit', async () => { try { process.kill(pid, 0); return false; } catch { return true; } }, (gone) => gone, 30_000, 100);
}

if (mode === 'live') {
  restart('dockerd stopped and started while the agent runs: the agent waits it out and every pod is Running again', async () => {
    if (!up) throw new Error(`PODLING_REQUIRE_ENGINE=1 but the newer engine does not answer at ${SOCKET} (run scripts/newer-engine.sh)`);
    const engine = new Engine({ host: `unix://${SOCKET}` });
    try {
      await withTeardown(engine, async ({ defer, track }) => {
        // A subnet of its own, apart from every network of the main engine (both engines' bridges live on this host).
        const cluster = { name: track.network('podling-test-agent-restart'), subnet: '10.217.0.0/24' };
        const pods = agentPods(engine, 'agent/engine-restart', cluster);
        const names = ['ar-one', 'ar-two'];
        for (const name of names) {
          defer(() => pods.delete(name, { force: true }).catch(() => {}), name);
          const spec = clientPod(name, { labels: { [AGENT_LABEL]: 'restart' } });
          spec.spec.containers.push({ ...spec.spec.containers[0]!, name: 'second' });
          await pods.create(spec);
        }
        const running = startAgent(engine, 'restart', cluster);
        defer(() => running.stop(), 'the agent');
        await eventually('the take-over', async () => (await Promise.all(names.map((n) => podContainers(engine, n)))).flat(), (cs) => cs.length === 6 && cs.every((c) => c.restartPolicy === 'no'), 20_000);

        await stopDockerd();
        await eventually('the agent to notice', async () => running.decisions, (ds) => ds.some((d) => d.action === 'engine' && d.reason !== 'Available'), 20_000);
        await new Promise((resolve) => setTimeout(resolve, 2000)); // a few of its retries against no socket
        execFileSync('bash', ['scripts/newer-engine.sh'], { cwd: ROOT, stdio: 'ignore' });

        for (const name of names) {
          const pod = await eventually(`${name} Running again`, () => pods.get(name), (p) => p.status.phase === 'Running' && p.status.containerStatuses.every((c) => 'running' in c.state), 60_000, 500);
          assert.is(pod.status.containerStatuses.length, 2);
          const cs = await podContainers(engine, name);
          assert.equal(cs.filter((c) => c.state === 'running').map((c) => c.name).sort(), ['client', 'infra', 'second'], `${name}: ${JSON.stringify(cs)}`);
          const infra = cs.find((c) => c.role === 'infra' && c.state === 'running')!;
          assert.ok(cs.filter((c) => c.state === 'running' && c.role === 'app').every((c) => c.startedAt! >= infra.startedAt!), 'infra first, then the apps');
        }
        const said = running.decisions.filter((d) => d.action === 'engine');
        assert.equal(said.map((d) => d.reason === 'Available' ? 'Available' : 'Gone'), ['Gone', 'Available'], `said once each: ${JSON.stringify(said)}`);
      });
    } finally {
      await engine.close();
    }
  });
}

restart.run();
