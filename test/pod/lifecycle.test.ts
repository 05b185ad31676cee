import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_GRACE, graceFor, MINIMUM_STOP_GRACE, runsPreStop, stopGrace } from '../../src/pod/grace.js';
import { parsePod, PodSpecError } from '../../src/pod/index.js';
import { planPod } from '../../src/pod/plan.js';
import { chooseMessage, LOG_TAIL_BYTES, logTail, messageBind, messageFile, needsMessageFile, wantsLogTail } from '../../src/pod/termination.js';
import { appSpec } from '../../src/pod/containers.js';
import { stillHooking } from '../../src/pod/hook-progress.js';
import { hostname } from 'node:os';
import { assertRefusedWithoutSending } from '../support/refused.js';

// Lifecycle hooks, grace periods and termination messages: the decisions, with no engine
// (src/pod/grace.ts, lifecycle-spec.ts, termination.ts). What touches the engine is in
// test/pod/lifecycle-live.test.ts.
const lifecycle = suite('pod/lifecycle');

const app = { name: 'app', image: 'podling-test/busybox:latest' };
const podOf = (spec: Record<string, unknown>) => parsePod({ metadata: { name: 'p' }, spec: { containers: [app], ...spec } });
const EXEC = { exec: { command: ['true'] } };

lifecycle('the grace period: a delete\'s override, else a failed probe\'s own, else the pod\'s, else the fallback, else 30', () => {
  const probed = { ...app, livenessProbe: { ...EXEC, terminationGracePeriodSeconds: 5 }, startupProbe: { ...EXEC, terminationGracePeriodSeconds: 7 } };
  const withGrace = parsePod({ metadata: { name: 'p' }, spec: { terminationGracePeriodSeconds: 12, containers: [probed] } });
  const without = parsePod({ metadata: { name: 'p' }, spec: { containers: [app] } });
  const container = withGrace.spec.containers[0]!;
  const cases: [string, Parameters<typeof graceFor>[0], number][] = [
    ['the pod\'s', { pod: withGrace, container }, 12],
    ['an override beats everything', { pod: withGrace, override: 0, probe: 'liveness', container }, 0],
    ['a liveness kill takes the liveness probe\'s', { pod: withGrace, probe: 'liveness', container }, 5],
    ['a startup kill takes the startup probe\'s', { pod: withGrace, probe: 'startup', container }, 7],
    ['a probe without its own falls back to the pod\'s', { pod: withGrace, probe: 'liveness', container: withGrace.spec.containers[0] && { ...app, name: 'app' } as typeof container }, 12],
    ['the fallback (an agent\'s --grace-period) when the pod sets none', { pod: without, fallback: 9 }, 9],
    ['the pod\'s beats the fallback', { pod: withGrace, fallback: 9 }, 12],
    ['Kubernetes\' default', { pod: without }, DEFAULT_GRACE],
  ];
  for (const [what, input, expected] of cases) assert.is(graceFor(input), expected, what);
});

lifecycle('what a stop gets after the preStop hook: the rest of the grace in whole seconds, at least 2, and 0 stays 0', () => {
  const cases: [number, number, number][] = [
    [30, 0, 30], [30, 999, 30], [30, 1000, 29], [30, 5500, 25], [10, 9000, MINIMUM_STOP_GRACE], [10, 60_000, MINIMUM_STOP_GRACE], [0, 0, 0],
  ];
  for (const [grace, elapsed, expected] of cases) assert.is(stopGrace(grace, elapsed), expected, `${grace}s after ${elapsed}ms`);
});

lifecycle('preStop runs only when the container has one and there is a grace period to run it in', () => {
  const hooked = podOf({ containers: [{ ...app, lifecycle: { preStop: EXEC } }] }).spec.containers[0];
  const plain = podOf({}).spec.containers[0];
  assert.is(runsPreStop(hooked, 30), true);
  assert.is(runsPreStop(hooked, 0), false, 'a forced delete runs no hook');
  assert.is(runsPreStop(plain, 30), false);
  assert.is(runsPreStop(undefined, 30), false);
});

lifecycle('the plan names which probe killed a container: the startup probe while it has not passed, else liveness', () => {
  const pod = podOf({ containers: [{ ...app, livenessProbe: EXEC, startupProbe: EXEC }] });
  const observed = {
    id: 'p1', name: 'p', sandbox: { id: 'infra', attempt: 0, state: 'running', networks: {} },
    attempts: [{ id: 'c1', name: 'app', attempt: 0, sandboxAttempt: 0, state: 'running', image: app.image }],
  };
  const byLiveness = planPod({ pod, observed, now: 0, unhealthy: new Set(['c1']) });
  assert.equal(byLiveness.kill, [{ id: 'c1', name: 'app', reason: 'Unhealthy', probe: 'liveness' }]);
  const byStartup = planPod({ pod, observed, now: 0, unhealthy: new Set(['c1']), notStarted: new Set(['c1']) });
  assert.equal(byStartup.kill, [{ id: 'c1', name: 'app', reason: 'Unhealthy', probe: 'startup' }]);
});

lifecycle('the termination message: the file when it has anything; the log tail only on FallbackToLogsOnError, an empty file and a failure', () => {
  const cases: [string, Parameters<typeof chooseMessage>, string | undefined][] = [
    ['the file', ['bye', 'File', 1, undefined], 'bye'],
    ['the file beats the log', ['bye', 'FallbackToLogsOnError', 1, 'log'], 'bye'],
    ['an empty file, File: nothing', ['', 'File', 1, 'log'], undefined],
    ['an empty file, no policy (File): nothing', ['', undefined, 1, 'log'], undefined],
    ['an empty file, fallback, failed: the log', ['', 'FallbackToLogsOnError', 2, 'log'], 'log'],
    ['an empty file, fallback, succeeded: nothing', ['', 'FallbackToLogsOnError', 0, 'log'], undefined],
    ['an empty file, fallback, failed, empty log: nothing', ['', 'FallbackToLogsOnError', 2, ''], undefined],
  ];
  for (const [what, args, expected] of cases) assert.is(chooseMessage(...args), expected, what);
  assert.is(wantsLogTail('', 'FallbackToLogsOnError', 1), true);
  assert.is(wantsLogTail('x', 'FallbackToLogsOnError', 1), false, 'a file with text: no log read');
  assert.is(wantsLogTail('', 'FallbackToLogsOnError', 0), false, 'a success: no log read');
  assert.is(wantsLogTail('', 'File', 1), false);
});

lifecycle('the log tail is the last 80 lines, then the last 2048 bytes, never a split character', () => {
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
  const tail = logTail(Buffer.from(lines));
  assert.is(tail.split('\n')[0], 'line 21');
  assert.ok(tail.endsWith('line 100\n'));
  const long = Buffer.from(`${'é'.repeat(3000)}\n`); // 2 bytes each: the cut falls inside one
  const cut = logTail(long);
  assert.ok(Buffer.byteLength(cut) <= LOG_TAIL_BYTES);
  assert.ok(!cut.includes('\ufffd'), 'no broken character');
  assert.ok(cut.endsWith('é\n'));
});

lifecycle('only a declared termination message under /dev gets a file of the pod\'s, one per attempt, bound at its path', () => {
  const [declared, elsewhere, fallback, plain] = podOf({ containers: [
    { ...app, name: 'a', terminationMessagePath: '/dev/termination-log' },
    { ...app, name: 'b', terminationMessagePath: '/tmp/message' },
    { ...app, name: 'c', terminationMessagePolicy: 'FallbackToLogsOnError' },
    { ...app, name: 'd' },
  ] }).spec.containers;
  assert.equal([declared, elsewhere, fallback, plain].map((c) => needsMessageFile(c!)), [true, false, true, false]);
  const mountpoints = new Map([['', '/var/lib/docker/volumes/v/_data']]);
  assert.is(messageBind(declared!, 3, mountpoints), `/var/lib/docker/volumes/v/_data/${messageFile('a', 3)}:/dev/termination-log`);
  assert.is(messageBind(elsewhere!, 0, mountpoints), undefined, 'a path in the container\'s own filesystem outlives it: no bind');
  assert.is(messageBind(plain!, 0, mountpoints), undefined);
});

lifecycle('the container spec carries the stop signal and the message bind; a pod without either sends neither', () => {
  const pod = parsePod({ metadata: { name: 'p' }, spec: { os: { name: 'linux' }, containers: [{ ...app, lifecycle: { stopSignal: 'SIGQUIT' }, terminationMessagePath: '/dev/termination-log' }] } });
  const spec = appSpec(pod, 'id1', pod.spec.containers[0]!, 'infra', 'me', { attempt: 2, sandboxAttempt: 0, mountpoints: new Map([['', '/v']]) });
  assert.is(spec.StopSignal, 'SIGQUIT');
  assert.equal(spec.HostConfig?.Binds, ['/v/app-2:/dev/termination-log']);
  const plain = podOf({});
  const body = JSON.stringify(appSpec(plain, 'id1', plain.spec.containers[0]!, 'infra', 'me'));
  assert.not.ok(body.includes('StopSignal') || body.includes('Binds'), body);
});

lifecycle('parsed hooks keep what was given and add no defaults to the stored spec (its hash must not change)', () => {
  const pod = podOf({ containers: [{ ...app, lifecycle: { preStop: { sleep: { seconds: 3 } } } }] });
  assert.equal(pod.spec.containers[0]!.lifecycle, { preStop: { sleep: { seconds: 3 } } });
  assert.is(pod.spec.terminationGracePeriodSeconds, undefined);
  assert.is(pod.spec.containers[0]!.terminationMessagePath, undefined);
});

lifecycle('a postStart in progress holds its container back while the process running it lives: this one, one elsewhere, not a dead one here', () => {
  const self = `${hostname()}:${process.pid}`;
  const running = { a: self, b: 'another-host:42', c: `${hostname()}:999999999` };
  assert.equal([...stillHooking(running, self)].sort(), ['a', 'b']);
  assert.equal([...stillHooking({})], []);
});

const HTTP_PORT = { ...app, ports: [{ name: 'http', containerPort: 8080 }] };
const BAD: [string, Record<string, unknown>, string][] = [
  ['a hook with no handler', { containers: [{ ...app, lifecycle: { postStart: {} } }] },
    'spec.containers.0.lifecycle.postStart: a hook needs one handler: exec, httpGet or sleep'],
  ['a hook with two handlers', { containers: [{ ...app, lifecycle: { preStop: { ...EXEC, sleep: { seconds: 1 } } } }] },
    'spec.containers.0.lifecycle.preStop: a hook takes exactly one handler, not exec and sleep'],
  ['an httpGet hook naming a port the container does not declare', { containers: [{ ...HTTP_PORT, lifecycle: { preStop: { httpGet: { port: 'admin' } } } }] },
    'spec.containers.0.lifecycle.preStop.httpGet.port: no port named "admin" in this container\'s ports (named: "http")'],
  ['a tcpSocket hook', { containers: [{ ...app, lifecycle: { postStart: { tcpSocket: { port: 80 } } } }] },
    'spec.containers.0.lifecycle.postStart.tcpSocket: not supported: Kubernetes keeps it only for compatibility and every hook that uses it fails when it runs: use exec or httpGet'],
  ['a misspelt handler', { containers: [{ ...app, lifecycle: { preStop: { exex: { command: ['true'] } } } }] },
    'spec.containers.0.lifecycle.preStop.exex: unknown field (did you mean "exec"?)'],
  ['an exec hook with no command', { containers: [{ ...app, lifecycle: { preStop: { exec: { command: [] } } } }] },
    'spec.containers.0.lifecycle.preStop.exec.command: an exec hook needs a command'],
  ['a negative sleep', { containers: [{ ...app, lifecycle: { preStop: { sleep: { seconds: -1 } } } }] },
    'spec.containers.0.lifecycle.preStop.sleep.seconds: must be at least 0'],
  ['a stopSignal without spec.os', { containers: [{ ...app, lifecycle: { stopSignal: 'SIGINT' } }] },
    'spec.containers.0.lifecycle.stopSignal: needs spec.os.name (as Kubernetes requires): set spec.os.name: linux'],
  ['a stopSignal that is no signal', { os: { name: 'linux' }, containers: [{ ...app, lifecycle: { stopSignal: 'TERM' } }] },
    'spec.containers.0.lifecycle.stopSignal: must be a signal name such as SIGTERM, SIGINT or SIGQUIT'],
  ['a relative termination message path', { containers: [{ ...app, terminationMessagePath: 'termination-log' }] },
    'spec.containers.0.terminationMessagePath: must be an absolute path to a file, with no ".." or "//" and no \':\''],
  ['an unknown termination message policy', { containers: [{ ...app, terminationMessagePolicy: 'Logs' }] },
    'spec.containers.0.terminationMessagePolicy: must be "File" or "FallbackToLogsOnError"'],
  ['a negative grace period', { terminationGracePeriodSeconds: -1 },
    'spec.terminationGracePeriodSeconds: must be at least 0'],
];

lifecycle('bad lifecycle input is one problem naming the field', () => {
  for (const [what, spec, problem] of BAD) {
    try {
      podOf(spec);
      assert.unreachable(`${what}: accepted`);
    } catch (err) {
      assert.instance(err, PodSpecError, what);
      assert.equal((err as PodSpecError).problems, [problem], what);
    }
  }
});

lifecycle('bad lifecycle input sends nothing to the engine', () => assertRefusedWithoutSending(BAD.map(([what, spec]) => [what, { metadata: { name: 'p' }, spec: { containers: [app], ...spec } }])));

lifecycle.run();
