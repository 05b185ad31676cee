import { Readable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import type { Engine } from '../../src/engine/index.js';
import { System, type EngineEvent } from '../../src/engine/system.js';
import { MAX_API_VERSION, MIN_API_VERSION, compareVersions, type Transport } from '../../src/engine/transport.js';
import { scenario, unit } from '../support/scenario.js';
import { engineFailure } from '../support/assertions.js';
import { requestsDuring } from '../support/sent.js';

// The system API against a real engine (fixtures/engine/system/): ping and its headers, version
// and info, and the events stream: filtered, followed live, bounded by time, stopped early.
const system = suite('engine/system');

const IMAGE = 'podling-test/busybox:latest';
const MANAGED = { 'podling.io/managed': 'true', 'podling.io/test': 'true' };
const Id = z.looseObject({ Id: z.string() });
// Exits at once on SIGTERM (a bare `sleep` as PID 1 would ignore it and make stop wait its grace).
const STOPPABLE = ['sh', '-c', 'trap "exit 0" TERM; sleep 30 & wait'];
const LIFECYCLE = ['create', 'start', 'die', 'destroy'];

/** Every event of an iteration that ends by itself. */
async function collect(events: AsyncIterable<EngineEvent>): Promise<EngineEvent[]> {
  const out: EngineEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

/** A labelled container created, started, stopped and removed: one full lifecycle of events. */
async function lifecycle(engine: Engine, name: string): Promise<string> {
  const t = engine.transport;
  // No network: the events are the point, and this keeps them independent of the host's bridge.
  const { Id: id } = await t.json({
    method: 'POST', path: '/containers/create', query: { name },
    json: { Image: IMAGE, Cmd: STOPPABLE, Labels: MANAGED, HostConfig: { NetworkMode: 'none' } },
  }, Id);
  try {
    await t.empty({ method: 'POST', path: `/containers/${id}/start` });
    await t.empty({ method: 'POST', path: `/containers/${id}/stop`, query: { t: 10 } });
  } finally {
    await t.empty({ method: 'DELETE', path: `/containers/${id}`, query: { force: true } });
  }
  return id;
}

/** The events of one container, as the lifecycle above makes them: only the ones every run has. */
function actionsOf(events: EngineEvent[], id: string): string[] {
  return events.filter((e) => e.Actor.ID === id && LIFECYCLE.includes(e.Action)).map((e) => e.Action);
}

/** This container only, by both the managed label and its name; others' tests label theirs too. */
const filtersFor = (name: string) => ({ type: ['container'], label: ['podling.io/test=true'], container: [name] });

// ------------------------------------------------------------------------------- ping, version, info

scenario(system, 'ping answers with the API version and the engine headers, and needs no version prefix', async ({ engine }) => {
  const ping = await engine.system.ping();
  assert.match(ping.apiVersion ?? '', /^1\.\d+$/);
  assert.is(ping.osType, 'linux');
  assert.is(ping.experimental, false);
  assert.match(ping.server ?? '', /^Docker\/\d+\.\d+/);
  // The version every later call uses comes from the same header, within what Podling speaks.
  const negotiated = await engine.apiVersion();
  assert.ok(compareVersions(negotiated, MIN_API_VERSION) >= 0 && compareVersions(negotiated, MAX_API_VERSION) <= 0, negotiated);
  assert.is(negotiated, compareVersions(ping.apiVersion!, MAX_API_VERSION) < 0 ? ping.apiVersion : MAX_API_VERSION);
}, { unsupported: { podman: 'Podman\'s ping sends no OSType header' } });

scenario(system, 'version and info describe the same engine', async ({ engine }) => {
  const version = await engine.system.version();
  const ping = await engine.system.ping();
  assert.is(version.ApiVersion, ping.apiVersion);
  assert.is(version.Os, 'linux');
  assert.match(version.Version, /^\d+\.\d+\.\d+/);
  assert.ok(compareVersions(version.MinAPIVersion ?? '0.0', MIN_API_VERSION) <= 0, 'the engine still serves our oldest version');

  const info = await engine.system.info();
  assert.is(info.ServerVersion, version.Version);
  assert.match(info.ID ?? '', /\S/);
  assert.ok((info.NCPU ?? 0) >= 1 && (info.MemTotal ?? 0) > 0);
  assert.ok((info.Images ?? 0) >= 2, 'at least the two podling-test images');
});

// ------------------------------------------------------------------------------- events

scenario(system, 'events followed live see create, start, die and destroy of a filtered container in order, and breaking out releases the connection', async ({ engine, name, now, defer }) => {
  const since = now();
  const watcher = new AbortController();
  const guard = setTimeout(() => watcher.abort(), 30_000); // a missing destroy must fail, not hang
  defer(() => clearTimeout(guard));
  const seen: EngineEvent[] = [];
  const events = await engine.system.events({ since, filters: filtersFor(name('box')), signal: watcher.signal });
  defer(() => events.close()); // if the test fails before the loop has ended
  const watching = (async () => {
    for await (const event of events) {
      seen.push(event);
      if (event.Action === 'destroy') break;
    }
  })();
  const id = await lifecycle(engine, name('box'));
  await watching;
  assert.equal(actionsOf(seen, id), LIFECYCLE);
  assert.ok(seen.every((e) => e.Type === 'container' && e.Actor.Attributes?.name === name('box')), 'the filters let only this container through');
  assert.ok(seen.every((e) => e.Actor.Attributes?.['podling.io/test'] === 'true'), 'container events carry its labels');
  // Breaking out destroyed the stream: the pool has nothing in flight, and the next call is served.
  for (let tries = 0; engine.transport.client.stats.running > 0 && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.is(engine.transport.client.stats.running, 0, 'the events request is over');
  assert.is((await engine.system.ping()).osType, 'linux');
}, { unsupported: { podman: 'Podman says remove where dockerd says destroy, the event this scenario ends on (src/pod/engine-events.ts reads both)' } });

scenario(system, 'events bounded by until end the iteration by themselves', async ({ engine, name, now }) => {
  const since = now();
  const id = await lifecycle(engine, name('box'));
  // `until` is a whole second: one equal to the present second could miss events of that second.
  const until = now() + 1;
  const events = await collect(await engine.system.events({ since, until, filters: filtersFor(name('box')) }));
  assert.equal(actionsOf(events, id), LIFECYCLE);
  assert.ok(events.every((e) => e.time >= since && e.time <= until), 'every event is within the bounds');
  const times = events.map((e) => e.timeNano);
  assert.equal(times, [...times].sort((a, b) => a - b), 'in time order');
}, { unsupported: { podman: 'Podman says remove where dockerd says destroy (src/pod/engine-events.ts reads both)' } });

scenario(system, 'events with since after until are refused with the daemon message: the subscription itself rejects', async ({ engine, now }) => {
  const at = now();
  const err = await engineFailure(engine.system.events({ since: at, until: at - 60 }), 'invalid-argument');
  assert.is(err.status, 400);
  // The daemon echoes the raw numbers, which the recording does not shift: check their shape.
  const [, since, until] = /^`since` time \((\d+)\) cannot be after `until` time \((\d+)\)$/.exec(err.daemonMessage ?? '') ?? [];
  assert.is(Number(since) - Number(until), 60, err.daemonMessage);
}, { unsupported: { podman: 'Podman does not refuse since after until: it answers an empty stream' } });

scenario(system, 'an event caused right after the subscription resolved is received, without since: no gap between subscribing and acting', async ({ engine, name, defer }) => {
  const watcher = new AbortController();
  const guard = setTimeout(() => watcher.abort(), 30_000); // a missing destroy must fail, not hang
  defer(() => clearTimeout(guard));
  const events = await engine.system.events({ filters: filtersFor(name('box')), signal: watcher.signal });
  defer(() => events.close());
  // Nothing reads the stream yet: the engine has answered, so what happens now is already ours.
  const id = await lifecycle(engine, name('box'));
  const seen: EngineEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    if (event.Action === 'destroy') break;
  }
  assert.equal(actionsOf(seen, id), LIFECYCLE, 'create, the first thing done after subscribing, is there');
}, { unsupported: { podman: 'Podman 4.3 sends the events answer\'s headers only with its first event, so the subscription cannot resolve before the act that causes it' } });

scenario(system, 'an events subscription whose signal has already fired rejects as aborted and sends nothing', async ({ engine }) => {
  const sent = await requestsDuring(async () => {
    await engineFailure(engine.system.events({ signal: AbortSignal.abort() }), 'aborted');
  });
  assert.equal(sent, []);
});

// On the wire this is a scenario no fixture can hold: when the client hangs up, dockerd ends the
// events stream cleanly, and the recorder keeps that ending the client never saw. So the transport
// is a stand-in that does what undici does with an aborted body: destroy it with the reason.
unit(system, 'an events stream stopped through its signal ends as aborted, whatever reason the signal carries', async () => {
  const controller = new AbortController();
  const reason = new Error('the watcher is done');
  const body = new Readable({ read() {} });
  controller.signal.addEventListener('abort', () => body.destroy(controller.signal.reason));
  const transport = { address: '/x.sock', stream: async () => ({ status: 200, headers: {}, body }) };
  const events = await new System(transport as unknown as Transport).events({ signal: controller.signal });
  const ended = collect(events);
  body.push('{"Type":"container","Action":"create","Actor":{"ID":"x","Attributes":{}},"time":1,"timeNano":1}\n');
  setImmediate(() => controller.abort(reason));
  const err = await engineFailure(ended, 'aborted');
  assert.is(err.cause, reason);
  assert.ok(body.destroyed, 'the body is released');
});

unit(system, 'an event the engine sends in a shape we cannot read is a protocol error naming /events', async () => {
  const body = Readable.from([Buffer.from('{"Type":"container","Action":"create"}\n')]);
  const transport = { address: '/x.sock', stream: async () => ({ status: 200, headers: {}, body }) };
  const err = await engineFailure(collect(await new System(transport as unknown as Transport).events()), 'protocol');
  assert.match(err.message, 'GET /events');
});

unit(system, 'close() while a loop waits for the next event ends the loop quietly and releases the body', async () => {
  const body = new Readable({ read() {} });
  const transport = { address: '/x.sock', stream: async () => ({ status: 200, headers: {}, body }) };
  const events = await new System(transport as unknown as Transport).events();
  const ended = collect(events);
  body.push('{"Type":"container","Action":"create","Actor":{"ID":"x","Attributes":{}},"time":1,"timeNano":1}\n');
  setImmediate(() => events.close());
  assert.equal((await ended).map((e) => e.Action), ['create']);
  assert.ok(body.destroyed);
});

system.run();
