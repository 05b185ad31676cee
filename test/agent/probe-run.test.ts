import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EXEC_OUTPUT_CAP } from '../../src/agent/probe/exec-probe.js';
import { HTTP_BODY_CAP, PROBE_USER_AGENT } from '../../src/agent/probe/http-probe.js';
import type { ProbeOutcome } from '../../src/agent/probe/outcome.js';
import { runProbe, type ProbeTarget } from '../../src/agent/probe/run.js';
import { EngineError } from '../../src/engine/errors.js';
import { isPodlingError } from '../../src/errors.js';
import { probeSchema, type Probe } from '../../src/pod/probe-spec.js';
import { closedPort, fakeExec, localServer, selfSigned, tcpServer } from '../support/probe-servers.js';
import { rejection } from '../support/pods.js';
import { withTeardown, type Teardown } from '../support/teardown.js';

// Carrying one probe out, against real local servers standing in for a pod's address (the prober
// talks to 127.0.0.1 exactly as to a pod IP) and a small exec engine: statuses, headers, TLS,
// redirects, timeouts enforced by us, aborts, and reasons that never carry a secret. The same
// probes against a real pod are in probe-live.test.ts.
const run = suite('agent/probe-run');

const SECRET = 'Bearer s3cr3t-t0ken-do-not-log';
/** The pod at 127.0.0.1, container c1 (with `ports` to resolve names). */
const at = (ports?: ProbeTarget['container']['ports']): ProbeTarget => ({ podIP: '127.0.0.1', container: { id: 'c1', ports } });
const probe = (fields: Record<string, unknown>): Probe => probeSchema('readiness').parse(fields);
const httpGet = (port: number, extra: Record<string, unknown> = {}, fields: Record<string, unknown> = {}) => probe({ httpGet: { port, ...extra }, ...fields });
const reasonOf = (o: ProbeOutcome) => (o.result === 'failure' ? o.reason : '');

/** A test body with a teardown of its own (servers are closed after it, pass or fail). */
const withServers = (body: (defer: Teardown['defer']) => Promise<void>) => () => withTeardown(undefined, ({ defer }) => body(defer));

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  const value = await work();
  return { value, ms: Date.now() - start };
}

// ---------------------------------------------------------------- httpGet

const STATUSES: Array<[number, ProbeOutcome]> = [
  [200, { result: 'success' }],
  [204, { result: 'success' }],
  [301, { result: 'success' }],
  [399, { result: 'success' }],
  [400, { result: 'failure', reason: 'HTTP probe failed with statuscode: 400' }],
  [404, { result: 'failure', reason: 'HTTP probe failed with statuscode: 404' }],
  [503, { result: 'failure', reason: 'HTTP probe failed with statuscode: 503' }],
  [500, { result: 'failure', reason: 'HTTP probe failed with statuscode: 500' }],
];
for (const [status, expected] of STATUSES) {
  run(`httpGet: status ${status} is a ${expected.result}`, withServers(async (defer) => {
    const server = await localServer(defer, (_req, res) => { res.statusCode = status; res.end('body'); });
    assert.equal(await runProbe(httpGet(server.port), at()), expected);
  }));
}

run('httpGet: GETs the path (query included) with the probe\'s headers, repeated names kept, User-Agent podling-probe/1 and Accept */*', withServers(async (defer) => {
  const server = await localServer(defer, (_req, res) => res.end('ok'));
  const outcome = await runProbe(httpGet(server.port, {
    path: '/healthz?verbose=1',
    httpHeaders: [{ name: 'X-Probe', value: 'a' }, { name: 'x-probe', value: 'b' }, { name: 'Authorization', value: SECRET }],
  }), at());
  assert.equal(outcome, { result: 'success' });
  const [seen] = server.seen;
  assert.is(seen!.path, '/healthz?verbose=1');
  assert.is(seen!.headers['x-probe'], 'a, b');
  assert.is(seen!.headers.authorization, SECRET);
  assert.is(seen!.headers['user-agent'], PROBE_USER_AGENT);
  assert.is(seen!.headers.accept, '*/*');
}));

run('httpGet: a User-Agent, Accept or Host the probe sets replaces the default', withServers(async (defer) => {
  const server = await localServer(defer, (_req, res) => res.end('ok'));
  await runProbe(httpGet(server.port, { httpHeaders: [{ name: 'User-Agent', value: 'mine/2' }, { name: 'Accept', value: 'application/json' }, { name: 'Host', value: 'web.example' }] }), at());
  const headers = server.seen[0]!.headers;
  assert.equal([headers['user-agent'], headers.accept, headers.host], ['mine/2', 'application/json', 'web.example']);
}));

run('httpGet: a port given by name is the container\'s port of that name', withServers(async (defer) => {
  const server = await localServer(defer, (_req, res) => res.end('ok'));
  const outcome = await runProbe(probe({ httpGet: { port: 'http' } }), at([{ name: 'metrics', containerPort: 1 }, { name: 'http', containerPort: server.port }]));
  assert.equal(outcome, { result: 'success' });
  assert.is(server.seen.length, 1);
}));

run('httpGet: no connection is kept: each probe opens its own and it is closed when the probe is over', withServers(async (defer) => {
  const server = await localServer(defer, (_req, res) => res.end('ok'));
  for (let i = 0; i < 3; i++) await runProbe(httpGet(server.port), at());
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(server.connections(), { accepted: 3, open: 0 });
}));

run('httpGet: a redirect to another host is a success and is not followed', withServers(async (defer) => {
  const elsewhere = await localServer(defer, (_req, res) => res.end('elsewhere'), { host: '127.0.0.2' });
  const server = await localServer(defer, (_req, res) => {
    res.writeHead(302, { Location: `http://127.0.0.2:${elsewhere.port}/login` });
    res.end();
  });
  assert.equal(await runProbe(httpGet(server.port), at()), { result: 'success' });
  assert.is(elsewhere.seen.length, 0, 'nothing was sent to the other host');
}));

run('httpGet: at most a few KB of the body are read: an endless body does not hold the probe', withServers(async (defer) => {
  const server = await localServer(defer, (_req, res) => {
    res.writeHead(200);
    const chunk = Buffer.alloc(4096, 'x');
    const pump = () => { while (res.write(chunk)); };
    res.on('drain', pump);
    pump();
  });
  const { value, ms } = await timed(() => runProbe(httpGet(server.port, {}, { timeoutSeconds: 5 }), at()));
  assert.equal(value, { result: 'success' });
  assert.ok(ms < 1000, `took ${ms} ms`);
  assert.ok(HTTP_BODY_CAP <= 16 * 1024);
}));

run('httpGet: no answer within timeoutSeconds is a failure "timeout after 1s", after about 1 s, and the connection is closed', withServers(async (defer) => {
  const server = await localServer(defer, () => { /* never answers */ });
  const { value, ms } = await timed(() => runProbe(httpGet(server.port, { httpHeaders: [{ name: 'Authorization', value: SECRET }] }), at()));
  assert.equal(value, { result: 'failure', reason: 'timeout after 1s' });
  assert.ok(ms >= 990 && ms < 1500, `took ${ms} ms`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.is(server.connections().open, 0, 'the request was destroyed');
}));

run('httpGet: headers then a body that stalls past the timeout is a timeout too', withServers(async (defer) => {
  const server = await localServer(defer, (_req, res) => { res.writeHead(200); res.write('partial'); });
  assert.equal(await runProbe(httpGet(server.port), at()), { result: 'failure', reason: 'timeout after 1s' });
}));

run('httpGet: a refused connection is a failure "connect ECONNREFUSED"', async () => {
  const port = await closedPort();
  assert.equal(await runProbe(httpGet(port), at()), { result: 'failure', reason: 'connect ECONNREFUSED' });
});

run('httpGet: header lines ending in a bare LF are read as Go reads them (busybox httpd passes CGI headers so)', withServers(async (defer) => {
  const server = await localServer(defer, (req) => req.socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\n\ndown\n'));
  assert.equal(await runProbe(httpGet(server.port), at()), { result: 'failure', reason: 'HTTP probe failed with statuscode: 503' });
}));

run('httpGet: a server closing without an answer is a failure', withServers(async (defer) => {
  const server = await localServer(defer, (req) => req.socket.destroy());
  assert.equal(await runProbe(httpGet(server.port), at()), { result: 'failure', reason: 'connection closed without an answer (socket hang up)' });
}));

run('httpGet: an answer that is not HTTP is a failure that does not repeat it', withServers(async (defer) => {
  // A server that answers garbage: the probe must name the problem, not echo the bytes.
  const garbage = await localServer(defer, (req) => { req.socket.end('SSH-2.0-OpenSSH_9.2 secret-banner\r\n\r\n'); });
  const outcome = await runProbe(httpGet(garbage.port), at());
  assert.is(outcome.result, 'failure');
  assert.not.match(reasonOf(outcome), /secret-banner/);
}));

run('httpGet HTTPS: a self-signed certificate is accepted (TLS is not verified, as the kubelet)', withServers(async (defer) => {
  const tls = selfSigned();
  if (!tls) return console.log('note: no openssl command here; the HTTPS success case is not checked');
  const server = await localServer(defer, (_req, res) => res.end('ok'), { tls });
  assert.equal(await runProbe(httpGet(server.port, { scheme: 'HTTPS', path: '/secure' }), at()), { result: 'success' });
  assert.is(server.seen[0]!.path, '/secure');
}));

run('httpGet HTTPS against a port that speaks plain HTTP: a TLS failure', withServers(async (defer) => {
  const server = await localServer(defer, (_req, res) => res.end('ok'));
  const outcome = await runProbe(httpGet(server.port, { scheme: 'HTTPS' }), at());
  assert.equal(outcome, { result: 'failure', reason: 'TLS handshake failed: wrong version number' });
}));

run('httpGet: a header value that cannot be sent (a newline in it) is a failure naming the header, not its value', async () => {
  const port = await closedPort();
  const outcome = await runProbe(httpGet(port, { httpHeaders: [{ name: 'Authorization', value: `${SECRET}\r\nX-Injected: 1` }] }), at());
  assert.equal(outcome, { result: 'failure', reason: 'invalid HTTP header Authorization: the probe cannot be sent' });
});

run('httpGet: no failure reason ever holds a header\'s value', withServers(async (defer) => {
  const headers = { httpHeaders: [{ name: 'Authorization', value: SECRET }, { name: 'X-Api-Key', value: 'key-0123456789' }] };
  const refused = await closedPort();
  const status = await localServer(defer, (req, res) => { res.statusCode = 401; res.end(`you sent ${req.headers.authorization}`); });
  const silent = await localServer(defer, () => {});
  const echo = await localServer(defer, (req) => req.socket.end(`HTTP/1.1 ${req.headers.authorization}\r\n\r\n`));
  const outcomes = [
    await runProbe(httpGet(refused, headers), at()),
    await runProbe(httpGet(status.port, headers), at()),
    await runProbe(httpGet(silent.port, headers), at()),
    await runProbe(httpGet(echo.port, headers), at()),
    await runProbe(httpGet(status.port, { ...headers, scheme: 'HTTPS' }), at()),
  ];
  for (const outcome of outcomes) {
    assert.is(outcome.result, 'failure');
    const text = JSON.stringify(outcome);
    assert.not.ok(text.includes('s3cr3t') || text.includes('key-0123456789'), text);
  }
}));

run('httpGet and tcpSocket: a pod without an IP is a failure saying so', async () => {
  const target: ProbeTarget = { podIP: undefined, container: { id: 'c1' } };
  assert.equal(await runProbe(httpGet(80), target), { result: 'failure', reason: 'the pod has no IP address yet' });
  assert.equal(await runProbe(probe({ tcpSocket: { port: 80 } }), target), { result: 'failure', reason: 'the pod has no IP address yet' });
});

run('an abort by the caller ends the probe at once with a PodlingError of kind aborted, and closes the connection', withServers(async (defer) => {
  const server = await localServer(defer, () => {});
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const { value: err, ms } = await timed(() => rejection(runProbe(httpGet(server.port, {}, { timeoutSeconds: 10 }), at(), { signal: controller.signal })));
  assert.ok(isPodlingError(err, 'aborted'), String(err));
  assert.ok(ms < 500, `took ${ms} ms`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.is(server.connections().open, 0);
  const already = await rejection(runProbe(httpGet(server.port), at(), { signal: AbortSignal.abort() }));
  assert.ok(isPodlingError(already, 'aborted'));
}));

// ---------------------------------------------------------------- tcpSocket

run('tcpSocket: an accepted connection is a success, and is closed at once', withServers(async (defer) => {
  const server = await tcpServer(defer);
  assert.equal(await runProbe(probe({ tcpSocket: { port: server.port } }), at()), { result: 'success' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(server.connections(), { accepted: 1, open: 0 });
}));

run('tcpSocket: a refused connection is a failure "connect ECONNREFUSED"', async () => {
  const port = await closedPort();
  assert.equal(await runProbe(probe({ tcpSocket: { port } }), at()), { result: 'failure', reason: 'connect ECONNREFUSED' });
});

// ---------------------------------------------------------------- exec (a stand-in exec engine)

const execProbe = (command: string[], fields: Record<string, unknown> = {}) => probe({ exec: { command }, ...fields });

run('exec: exit code 0 is a success; the command runs in the target container, without a TTY, stdout and stderr attached', async () => {
  const fake = fakeExec({ output: [['stdout', 'fine\n']], exitCode: 0 });
  assert.equal(await runProbe(execProbe(['cat', '/tmp/healthy']), at(), { engine: fake.engine }), { result: 'success' });
  assert.equal(fake.calls, ['create c1 ["cat","/tmp/healthy"]', 'start exec1', 'inspect exec1']);
  assert.ok(fake.streams.every((s) => s.destroyed));
});

run('exec: a non-zero exit is a failure quoting the first 80 characters of the output, stdout and stderr in order, on one line', async () => {
  const long = 'y'.repeat(200);
  const fake = fakeExec({ output: [['stdout', 'checking\n'], ['stderr', `database down\n${long}`]], exitCode: 3 });
  const outcome = await runProbe(execProbe(['sh', '-c', 'exit 3']), at(), { engine: fake.engine });
  assert.equal(outcome, { result: 'failure', reason: `exec exited 3: ${`checking database down ${long}`.slice(0, 79)}…` });
  const quiet = fakeExec({ exitCode: 1 });
  assert.equal(await runProbe(execProbe(['false']), at(), { engine: quiet.engine }), { result: 'failure', reason: 'exec exited 1' });
});

run('exec: a command the runtime cannot start quotes the part of runc\'s message that names it, not its boilerplate', async () => {
  const message = 'OCI runtime exec failed: exec failed: unable to start container process: exec: "probe-me": executable file not found in $PATH: unknown\r\n';
  const fake = fakeExec({ output: [['stdout', message]], exitCode: 126 });
  assert.equal(await runProbe(execProbe(['probe-me']), at(), { engine: fake.engine }),
    { result: 'failure', reason: 'exec exited 126: exec: "probe-me": executable file not found in $PATH: unknown' });
  // Podman's words for the same failure (4.3, runc): another prefix, exit 127.
  const podman = 'Error: runc: exec failed: unable to start container process: exec: "probe-me": executable file not found in $PATH: OCI runtime attempted to invoke a command that was not found\n';
  const fromPodman = fakeExec({ output: [['stderr', podman]], exitCode: 127 });
  assert.equal(await runProbe(execProbe(['probe-me']), at(), { engine: fromPodman.engine }),
    { result: 'failure', reason: 'exec exited 127: exec: "probe-me": executable file not found in $PATH: OCI runtime attempted to …' });
});

run('exec: output beyond the cap is read to the end and dropped', async () => {
  const fake = fakeExec({ output: [['stdout', Buffer.alloc(EXEC_OUTPUT_CAP * 3, 'z')], ['stdout', 'tail']], exitCode: 2 });
  const outcome = await runProbe(execProbe(['yes']), at(), { engine: fake.engine });
  assert.equal(outcome, { result: 'failure', reason: `exec exited 2: ${'z'.repeat(79)}…` });
});

run('exec: an exit recorded a moment after the output ended is waited for', async () => {
  const fake = fakeExec({ exitCode: 4, runningInspects: 2 });
  assert.equal(await runProbe(execProbe(['sh', '-c', 'exit 4']), at(), { engine: fake.engine }), { result: 'failure', reason: 'exec exited 4' });
  assert.is(fake.calls.filter((c) => c.startsWith('inspect')).length, 3);
});

run('exec: a command still running at the deadline is a failure "timeout after 1s", after about 1 s, and its output stream is destroyed', async () => {
  const fake = fakeExec({ output: [['stdout', 'started\n']], hang: true });
  const { value, ms } = await timed(() => runProbe(execProbe(['sleep', '5']), at(), { engine: fake.engine }));
  assert.equal(value, { result: 'failure', reason: 'timeout after 1s' });
  assert.ok(ms >= 990 && ms < 1500, `took ${ms} ms`);
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(fake.streams.length, 1);
  assert.ok(fake.streams[0]!.destroyed, 'the abandoned exec\'s stream is not leaked');
});

run('exec: an engine error is thrown, not counted as a failure (the kubelet records no result for a probe that errored)', async () => {
  const gone = new EngineError('POST /containers/c1/exec: No such container: c1 (404)', { kind: 'not-found' });
  const fake = fakeExec({ createError: gone });
  assert.is(await rejection(runProbe(execProbe(['true']), at(), { engine: fake.engine })), gone);
  const none = await rejection(runProbe(execProbe(['true']), at()));
  assert.ok(isPodlingError(none, 'invalid-argument'), 'an exec probe without an engine is a programming error');
});

run.run();
