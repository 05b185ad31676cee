import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { failure, type ProbeOutcome } from '../../src/agent/probe/outcome.js';
import { ContainerProbes, ProbeWorker, type ProbedContainer, type ProbeVerdict } from '../../src/agent/probe/worker-state.js';
import { probeSchema, type Probe, type ProbeKind } from '../../src/pod/probe-spec.js';

// The prober's state per container and probe, as the kubelet's prober worker: initial results,
// initial delay and period, thresholds, startup gating, hold after a kill, and starting over for a
// new container. Pure: every time is passed in.
const worker = suite('agent/probe-worker');

const T0 = Date.parse('2026-01-01T00:00:00Z');
const s = (seconds: number) => T0 + seconds * 1000;
const C1: ProbedContainer = { id: 'c1', startedAt: s(0) };
const C2: ProbedContainer = { id: 'c2', startedAt: s(100) };

const OK: ProbeOutcome = { result: 'success' };
const BAD = (reason = 'HTTP probe failed with statuscode: 503') => failure(reason);

/** A probe as parsePod leaves it: Kubernetes' defaults filled in by the schema. */
function probe(kind: ProbeKind, fields: Record<string, unknown> = {}): Probe {
  return probeSchema(kind).parse({ exec: { command: ['true'] }, ...fields });
}

/** Records `outcomes` ('S'/'F') each at the moment it is due; returns the result after each ('S'/'F') and the verdicts. */
function drive(w: ProbeWorker, outcomes: string): { results: string; verdicts: Array<ProbeVerdict & { at: number }> } {
  let results = '';
  const verdicts: Array<ProbeVerdict & { at: number }> = [];
  [...outcomes].forEach((o, at) => {
    const now = w.nextAt();
    if (now === undefined) throw new Error(`probe ${at} is not due at all`);
    assert.ok(w.due(now));
    const verdict = w.record(o === 'S' ? OK : BAD(`failure #${at}`), now);
    if (verdict) verdicts.push({ ...verdict, at });
    results += w.result === 'success' ? 'S' : 'F';
  });
  return { results, verdicts };
}

worker('initial results, before any probe: liveness success, readiness failure, startup failure', () => {
  assert.is(new ProbeWorker('liveness', probe('liveness'), C1).result, 'success');
  assert.is(new ProbeWorker('readiness', probe('readiness'), C1).result, 'failure');
  assert.is(new ProbeWorker('startup', probe('startup'), C1).result, 'failure');
});

worker('a container without probes is started and ready; one with a readiness probe is not ready until it succeeds', () => {
  const none = new ContainerProbes({}, C1);
  assert.equal([none.started, none.ready, none.due(s(0)), none.nextAt()], [true, true, [], undefined]);
  const withReadiness = new ContainerProbes({ readinessProbe: probe('readiness') }, C1);
  assert.equal([withReadiness.started, withReadiness.ready], [true, false]);
  withReadiness.record('readiness', OK, s(0));
  assert.ok(withReadiness.ready);
  const withLiveness = new ContainerProbes({ livenessProbe: probe('liveness') }, C1);
  assert.ok(withLiveness.ready, 'a liveness probe alone does not hold readiness back');
});

// When probes are due: initialDelaySeconds after StartedAt, then every periodSeconds.
const SCHEDULE: Array<[string, Record<string, unknown>, Array<[number, boolean]>]> = [
  ['with the defaults the first probe is due at StartedAt', {}, [[-1, false], [0, true]]],
  ['initialDelaySeconds 5: not due before StartedAt + 5 s', { initialDelaySeconds: 5 }, [[0, false], [4.999, false], [5, true], [60, true]]],
];
for (const [what, fields, checks] of SCHEDULE) {
  worker(what, () => {
    const w = new ProbeWorker('liveness', probe('liveness', fields), C1);
    for (const [at, due] of checks) assert.is(w.due(s(at)), due, `due at ${at}s`);
  });
}

worker('periodSeconds: after a probe the next is due one period after the last was due (default 10 s)', () => {
  const w = new ProbeWorker('readiness', probe('readiness', { initialDelaySeconds: 2 }), C1);
  assert.is(w.nextAt(), s(2));
  w.record(OK, s(2.4)); // the probe took 0.4 s
  assert.is(w.nextAt(), s(12), 'counted from when it was due, not when it ended');
  assert.not.ok(w.due(s(11.9)));
  const fast = new ProbeWorker('readiness', probe('readiness', { periodSeconds: 1 }), C1);
  fast.record(OK, s(0));
  fast.record(OK, s(1));
  assert.is(fast.nextAt(), s(2));
});

worker('a probe run late (the agent was busy) is followed by the next one a period after it ended, not by a burst of catch-up probes', () => {
  const w = new ProbeWorker('liveness', probe('liveness', { periodSeconds: 5 }), C1);
  w.record(OK, s(42));
  assert.is(w.nextAt(), s(47));
  w.record(OK, s(47.5));
  assert.is(w.nextAt(), s(52), 'on time again: counted from when it was due');
});

// A result changes only after `threshold` identical outcomes in a row. Outcomes left to right; the
// expected string is the result after each one.
const THRESHOLDS: Array<[string, ProbeKind, Record<string, unknown>, string, string]> = [
  ['liveness, failureThreshold 3 (default): two failures change nothing', 'liveness', {}, 'FF', 'SS'],
  ['liveness, failureThreshold 3: the third failure in a row is a failure', 'liveness', {}, 'FFF', 'SSF'],
  ['liveness: a success between failures starts the count again', 'liveness', {}, 'FFSFF', 'SSSSS'],
  ['liveness, failureThreshold 1: one failure is enough', 'liveness', { failureThreshold: 1 }, 'SF', 'SF'],
  ['readiness, successThreshold 1 (default): one success makes it ready', 'readiness', {}, 'S', 'S'],
  ['readiness: failures while not ready leave it not ready', 'readiness', {}, 'FFFF', 'FFFF'],
  ['readiness, successThreshold 2: one success is not enough', 'readiness', { successThreshold: 2 }, 'S', 'F'],
  ['readiness, successThreshold 2: two in a row are', 'readiness', { successThreshold: 2 }, 'FSS', 'FFS'],
  ['readiness, successThreshold 2: a failure between successes starts the count again', 'readiness', { successThreshold: 2 }, 'SFS', 'FFF'],
  ['readiness, failureThreshold 3: ready, then not ready after three failures, then ready again after one success', 'readiness', {}, 'SFFFS', 'SSSFS'],
  ['readiness, failureThreshold 2, successThreshold 3', 'readiness', { failureThreshold: 2, successThreshold: 3 }, 'SSSFSFFSSS', 'FFSSSSFFFS'],
  ['startup, failureThreshold 3: failures before the threshold leave it not started, one success starts it', 'startup', {}, 'FFS', 'FFS'],
];
for (const [what, kind, fields, outcomes, expected] of THRESHOLDS) {
  worker(`thresholds: ${what}`, () => {
    assert.is(drive(new ProbeWorker(kind, probe(kind, fields), C1), outcomes).results, expected);
  });
}

worker('a verdict comes only when the result changes, or with a kill', () => {
  const ready = drive(new ProbeWorker('readiness', probe('readiness'), C1), 'SSFFFFS');
  assert.equal(ready.verdicts.map((v) => [v.at, v.result, v.kill]), [[0, 'success', false], [4, 'failure', false], [6, 'success', false]]);
  assert.is(ready.verdicts[1]!.reason, 'failure #4', 'the reason of the failure that crossed the threshold');
});

worker('liveness failure: one verdict with kill and the last reason, then nothing is probed until a new container', () => {
  const w = new ProbeWorker('liveness', probe('liveness'), C1);
  const { verdicts } = drive(w, 'FFF');
  assert.equal(verdicts, [{ kind: 'liveness', result: 'failure', reason: 'failure #2', kill: true, at: 2 }]);
  assert.ok(w.onHold);
  assert.equal([w.nextAt(), w.due(s(1000))], [undefined, false]);
  assert.is(w.record(BAD(), s(1000)), undefined, 'an outcome while on hold is dropped');
  assert.is(w.result, 'failure');
});

worker('readiness failure: no kill, and probing goes on', () => {
  const w = new ProbeWorker('readiness', probe('readiness'), C1);
  const { verdicts } = drive(w, 'SFFF');
  assert.equal(verdicts.map((v) => v.kill), [false, false]);
  assert.not.ok(w.onHold);
  assert.is(w.nextAt(), s(40));
});

worker('a new container (new id) starts over: initial result, counts and schedule from its StartedAt, hold lifted', () => {
  const live = new ProbeWorker('liveness', probe('liveness', { initialDelaySeconds: 3 }), C1);
  drive(live, 'FFF');
  assert.ok(live.observe(C2));
  assert.equal([live.result, live.onHold, live.lastFailure, live.nextAt()], ['success', false, undefined, s(103)]);
  assert.is(drive(live, 'FF').results, 'SS', 'the failures of the old container do not count');

  const ready = new ProbeWorker('readiness', probe('readiness'), C1);
  drive(ready, 'S');
  ready.observe(C2);
  assert.is(ready.result, 'failure', 'a new container is not ready until probed');
});

worker('the same container started again (same id, new StartedAt) is a new container; the same one observed again is not', () => {
  const w = new ProbeWorker('liveness', probe('liveness'), C1);
  drive(w, 'FFF');
  assert.not.ok(w.observe({ id: 'c1', startedAt: s(0) }));
  assert.ok(w.onHold);
  assert.ok(w.observe({ id: 'c1', startedAt: s(50) }));
  assert.equal([w.result, w.onHold, w.nextAt()], ['success', false, s(50)]);
});

worker('an outcome for a container replaced while the probe ran is dropped', () => {
  const w = new ProbeWorker('liveness', probe('liveness', { failureThreshold: 1 }), C1);
  w.observe(C2);
  assert.is(w.record(BAD(), s(100), 'c1'), undefined);
  assert.equal([w.result, w.onHold], ['success', false]);
  assert.equal(w.record(BAD(), s(100), 'c2')?.kill, true);
});

worker('lastFailure: the latest failing outcome\'s reason, kept until the result is success again', () => {
  const w = new ProbeWorker('readiness', probe('readiness', { successThreshold: 2 }), C1);
  assert.is(w.lastFailure, undefined);
  w.record(BAD('connect ECONNREFUSED'), s(0));
  assert.is(w.lastFailure, 'connect ECONNREFUSED');
  w.record(OK, s(10));
  assert.is(w.lastFailure, 'connect ECONNREFUSED', 'still not ready: the reason stays');
  w.record(OK, s(20));
  assert.equal([w.result, w.lastFailure], ['success', undefined]);
});

// Startup gates liveness and readiness.
const gated = () => new ContainerProbes({
  startupProbe: probe('startup', { periodSeconds: 2, failureThreshold: 3 }),
  livenessProbe: probe('liveness', { initialDelaySeconds: 1 }),
  readinessProbe: probe('readiness', { initialDelaySeconds: 5 }),
}, C1);

worker('startup gating: until the startup probe succeeds only it is run, and the container is neither started nor ready', () => {
  const c = gated();
  assert.equal(c.due(s(0)), ['startup']);
  c.record('startup', BAD(), s(0));
  assert.equal(c.due(s(30)), ['startup'], 'liveness and readiness are held back long after their initial delay');
  assert.equal([c.worker('liveness')!.nextAt(), c.worker('readiness')!.nextAt()], [undefined, undefined]);
  assert.equal([c.started, c.ready], [false, false]);
  assert.is(c.record('liveness', BAD(), s(30)), undefined, 'an outcome of a held-back probe is dropped');
  assert.is(c.nextAt(), s(2), 'only the startup probe wakes the agent');
});

worker('startup gating: once the startup probe succeeds it is never run again for the container; the others run at once, or at their initial delay', () => {
  const c = gated();
  const verdict = c.record('startup', OK, s(0));
  assert.equal(verdict, { kind: 'startup', result: 'success', kill: false });
  assert.ok(c.started);
  assert.not.ok(c.ready, 'started, not yet ready');
  assert.equal(c.due(s(1)), ['liveness']);
  assert.equal(c.due(s(5)), ['liveness', 'readiness']);
  assert.equal([c.worker('startup')!.nextAt(), c.worker('startup')!.due(s(1e6))], [undefined, false]);
  c.record('readiness', OK, s(5));
  assert.ok(c.ready);
});

worker('startup gating: a startup probe that succeeds late lets liveness run at once, not a burst of its missed periods', () => {
  const c = gated();
  c.record('startup', BAD(), s(0));
  c.record('startup', OK, s(61));
  assert.equal(c.due(s(61)), ['liveness', 'readiness']);
  c.record('liveness', OK, s(61));
  assert.equal(c.worker('liveness')!.nextAt(), s(71));
});

worker('startup failure: after failureThreshold failures a kill verdict; everything waits for a new container, which starts again with startup', () => {
  const c = gated();
  const verdicts = [0, 2, 4].map((t) => c.record('startup', BAD(`exec exited 1: not yet #${t}`), s(t)));
  assert.equal(verdicts, [undefined, undefined, { kind: 'startup', result: 'failure', reason: 'exec exited 1: not yet #4', kill: true }]);
  assert.equal([c.due(s(100)), c.nextAt(), c.started, c.ready], [[], undefined, false, false]);
  assert.ok(c.observe(C2));
  assert.equal(c.due(s(100)), ['startup']);
  assert.equal([c.worker('liveness')!.result, c.worker('readiness')!.result], ['success', 'failure']);
});

worker('a new container after startup succeeded: startup is run again and gates again', () => {
  const c = gated();
  c.record('startup', OK, s(0));
  c.record('readiness', OK, s(5));
  assert.ok(c.ready);
  c.observe(C2);
  assert.equal([c.started, c.ready, c.due(s(200))], [false, false, ['startup']]);
});

worker('the container\'s next wake-up is the earliest due probe', () => {
  const c = new ContainerProbes({ livenessProbe: probe('liveness', { initialDelaySeconds: 7 }), readinessProbe: probe('readiness', { initialDelaySeconds: 3 }) }, C1);
  assert.is(c.nextAt(), s(3));
  c.record('readiness', OK, s(3));
  assert.is(c.nextAt(), s(7));
});

worker.run();
