import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProbeOutcome } from '../../src/agent/probe/outcome.js';
import { runProbe, type ProbeTarget } from '../../src/agent/probe/run.js';
import type { Engine } from '../../src/engine/index.js';
import { isEngineError } from '../../src/engine/errors.js';
import { probeSchema, type Probe } from '../../src/pod/probe-spec.js';
import type { PodInput } from '../../src/pod/index.js';
import { clusterPods, subnet } from '../support/cluster.js';
import { containerId, IMAGE, rejection } from '../support/pods.js';
import { localServer } from '../support/probe-servers.js';
import { mode, scenario, type ScenarioContext } from '../support/scenario.js';

// The prober's three handlers against a real pod on a real engine. httpGet and tcpSocket go from
// this process to the pod's IP, as the kubelet's do: that traffic is not engine traffic, so it
// cannot be recorded, and these run live only. Exec probes go through the engine's exec API; they
// are live too, because the timeout case depends on real time. No Agent is started here (another
// test may hold the engine's agent lease): the prober's pieces are called directly.
//
// Subnets: 10.212.41.0/24 .. 10.212.45.0/24, one per scenario.
const live = suite('agent/probe-live');

const SECRET = 'Bearer live-s3cr3t-never-logged';

/**
 * busybox httpd on port 8080 (named `http`) serving /ok, with CGI scripts: `down` answers 503,
 * `headers` keeps the request's environment (HTTP_* = the headers) in /tmp/request, `slow` sleeps
 * 5 s, `redirect` sends a 302 to the URL in /tmp/redirect-to.
 */
function probedPod(name: string): PodInput {
  const cgi = (file: string, ...lines: string[]) => `printf '%s\\n' '#!/bin/sh' ${lines.map((l) => `'${l}'`).join(' ')} > /www/cgi-bin/${file}`;
  const script = [
    'mkdir -p /www/cgi-bin',
    'echo ok > /www/ok',
    cgi('down', 'echo "Status: 503 Service Unavailable"', 'echo', 'echo down'),
    cgi('headers', 'env > /tmp/request', 'echo "Content-Type: text/plain"', 'echo', 'echo seen'),
    cgi('slow', 'sleep 5', 'echo "Content-Type: text/plain"', 'echo', 'echo late'),
    cgi('redirect', 'echo "Status: 302 Found"', 'echo "Location: $(cat /tmp/redirect-to)"', 'echo'),
    'chmod +x /www/cgi-bin/*',
    'exec httpd -f -p 8080 -h /www',
  ].join(' && ');
  return {
    metadata: { name },
    spec: { containers: [{ name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], ports: [{ name: 'http', containerPort: 8080 }] }] },
  };
}

interface ProbedPod { target: ProbeTarget & { podIP: string }; web: string; gateway: string }

/** The pod on a cluster network of the scenario's own, httpd answering; all removed by the teardown. */
async function startPod(ctx: ScenarioContext, pod: string, octet: number): Promise<ProbedPod> {
  const cluster = { name: ctx.track.network(ctx.name('cluster')), subnet: subnet(octet) };
  const pods = clusterPods(ctx.engine, `agent/probe-live ${pod}`, cluster);
  ctx.defer(() => pods.delete(pod, { force: true }), pod);
  const created = await pods.create(probedPod(pod));
  const podIP = created.status.podIP;
  const prefix = subnet(octet).replace(/0\/24$/, '');
  if (!podIP?.startsWith(prefix)) throw new Error(`pod IP ${podIP} is not on the scenario's cluster network`);
  const target = { podIP, container: { id: containerId(created, 'web'), ports: [{ name: 'http', containerPort: 8080 }] } };
  await untilListening(target);
  return { target, web: target.container.id, gateway: `${prefix}1` };
}

async function untilListening(target: ProbeTarget): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if ((await runProbe(probe({ tcpSocket: { port: 'http' } }), target)).result === 'success') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('httpd in the pod never listened on 8080');
}

const probe = (fields: Record<string, unknown>): Probe => probeSchema('liveness').parse(fields);

async function timed(work: () => Promise<ProbeOutcome>): Promise<{ outcome: ProbeOutcome; ms: number }> {
  const start = Date.now();
  const outcome = await work();
  return { outcome, ms: Date.now() - start };
}

const aboutOneSecond = (ms: number) => assert.ok(ms >= 990 && ms < 1800, `took ${ms} ms, expected about 1 s`);

/** What a command in the container prints (for the CGI's record and `ps`). */
async function inPod(engine: Engine, container: string, cmd: string[]): Promise<string> {
  return (await engine.exec.run(container, cmd)).stdout;
}

if (mode === 'live') {
  scenario(live, 'httpGet to the pod IP: 200 is a success, 404 and 503 are failures naming the status, a named port is found', async (ctx) => {
    const { target } = await startPod(ctx, 'probe-http', 41);
    assert.equal(await runProbe(probe({ httpGet: { path: '/ok', port: 'http' } }), target), { result: 'success' });
    assert.equal(await runProbe(probe({ httpGet: { path: '/ok', port: 8080 } }), target), { result: 'success' });
    assert.equal(await runProbe(probe({ httpGet: { path: '/missing', port: 'http' } }), target), { result: 'failure', reason: 'HTTP probe failed with statuscode: 404' });
    assert.equal(await runProbe(probe({ httpGet: { path: '/cgi-bin/down', port: 'http' } }), target), { result: 'failure', reason: 'HTTP probe failed with statuscode: 503' });
  });

  scenario(live, 'httpGet sends the probe\'s headers and its User-Agent; no failure reason holds a header value', async (ctx) => {
    const { target, web } = await startPod(ctx, 'probe-headers', 42);
    const httpHeaders = [{ name: 'Authorization', value: SECRET }, { name: 'X-Probe-Kind', value: 'liveness' }];
    assert.equal(await runProbe(probe({ httpGet: { path: '/cgi-bin/headers', port: 'http', httpHeaders } }), target), { result: 'success' });
    const seen = await inPod(ctx.engine, web, ['cat', '/tmp/request']);
    assert.match(seen, `HTTP_AUTHORIZATION=${SECRET}\n`);
    assert.match(seen, 'HTTP_X_PROBE_KIND=liveness\n');
    assert.match(seen, 'HTTP_USER_AGENT=podling-probe/1\n');

    const failures = [
      await runProbe(probe({ httpGet: { path: '/cgi-bin/down', port: 'http', httpHeaders } }), target),
      await runProbe(probe({ httpGet: { path: '/missing', port: 'http', httpHeaders } }), target),
      await runProbe(probe({ httpGet: { path: '/cgi-bin/slow', port: 'http', httpHeaders } }), target),
      await runProbe(probe({ httpGet: { path: '/ok', port: 9, httpHeaders } }), target),
      await runProbe(probe({ httpGet: { path: '/ok', port: 'http', scheme: 'HTTPS', httpHeaders } }), target),
    ];
    for (const outcome of failures) {
      assert.is(outcome.result, 'failure');
      assert.not.ok(JSON.stringify(outcome).includes('s3cr3t'), JSON.stringify(outcome));
    }
  });

  scenario(live, 'httpGet: a slow answer times out in 1 s, a redirect elsewhere is a success not followed, HTTPS to plain HTTP fails', async (ctx) => {
    const { target, web, gateway } = await startPod(ctx, 'probe-edges', 43);
    const slow = await timed(() => runProbe(probe({ httpGet: { path: '/cgi-bin/slow', port: 'http' } }), target));
    assert.equal(slow.outcome, { result: 'failure', reason: 'timeout after 1s' });
    aboutOneSecond(slow.ms);

    // The other host is this process, on the cluster bridge's own address: were the redirect
    // followed, this server would see the request.
    const elsewhere = await localServer(ctx.defer, (_req, res) => res.end('followed'), { host: gateway });
    await ctx.engine.exec.run(web, ['sh', '-c', `echo http://${gateway}:${elsewhere.port}/login > /tmp/redirect-to`]);
    assert.equal(await runProbe(probe({ httpGet: { path: '/cgi-bin/redirect', port: 'http' } }), target), { result: 'success' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.is(elsewhere.seen.length, 0, 'the redirect was not followed');

    assert.equal(await runProbe(probe({ httpGet: { path: '/ok', port: 'http', scheme: 'HTTPS' } }), target), { result: 'failure', reason: 'TLS handshake failed: wrong version number' });
  });

  scenario(live, 'tcpSocket to the pod IP: a listening port succeeds, a closed one is refused, a silent address times out in 1 s', async (ctx) => {
    const { target } = await startPod(ctx, 'probe-tcp', 44);
    assert.equal(await runProbe(probe({ tcpSocket: { port: 'http' } }), target), { result: 'success' });
    assert.equal(await runProbe(probe({ tcpSocket: { port: 8081 } }), target), { result: 'failure', reason: 'connect ECONNREFUSED' });
    // On the scenario's own bridge: the connect waits for an ARP answer that never comes.
    const nobody = { ...target, podIP: subnet(44).replace(/0\/24$/, '250') };
    const silent = await timed(() => runProbe(probe({ tcpSocket: { port: 8080 } }), nobody));
    assert.equal(silent.outcome, { result: 'failure', reason: 'timeout after 1s' });
    aboutOneSecond(silent.ms);
  });

  scenario(live, 'exec through the engine: exit codes, output in the reason, a 1 s timeout on sleep 5 that keeps running, a stopped container', async (ctx) => {
    const { target, web } = await startPod(ctx, 'probe-exec', 45);
    const options = { engine: ctx.engine };
    assert.equal(await runProbe(probe({ exec: { command: ['cat', '/www/ok'] } }), target, options), { result: 'success' });
    // stderr is quoted as stdout is (one stream per command: the order between the two is not stable).
    assert.equal(await runProbe(probe({ exec: { command: ['sh', '-c', 'echo "not ready: $((1+1)) workers" >&2; exit 3'] } }), target, options),
      { result: 'failure', reason: 'exec exited 3: not ready: 2 workers' });

    // The engine starts the exec, and runc's error comes back as its output, naming the command.
    // The exit code is the engine's: 126 from dockerd, 127 from Podman.
    const missing = await runProbe(probe({ exec: { command: ['no-such-probe-command'] } }), target, options);
    assert.is(missing.result, 'failure');
    assert.match((missing as { reason: string }).reason, /^exec exited 12[67]: exec: "no-such-probe-command": executable file not found in \$PATH/);

    const sleeping = await timed(() => runProbe(probe({ exec: { command: ['sleep', '5'] }, timeoutSeconds: 1 }), target, options));
    assert.equal(sleeping.outcome, { result: 'failure', reason: 'timeout after 1s' });
    aboutOneSecond(sleeping.ms);
    assert.match(await inPod(ctx.engine, web, ['ps']), /sleep 5/, 'the abandoned exec is still running: nothing can kill it through the API');

    await ctx.engine.containers.kill(web);
    const stopped = await rejection(runProbe(probe({ exec: { command: ['true'] } }), target, options));
    assert.ok(isEngineError(stopped, 'conflict'), String(stopped));
  });
}

live.run();
