import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isEngineError } from '../../src/engine/errors.js';
import type { Engine } from '../../src/engine/index.js';
import { Output } from '../../src/engine/streams/output.js';
import { MAX_API_VERSION, compareVersions } from '../../src/engine/transport.js';
import { defaultUpstream, modeFromEnv, withEngine, type Upstream } from '../../src/testing/index.js';
import { describeUpstream } from '../../src/testing/recorder.js';
import { fixturePath, objectName, probe } from '../support/scenario.js';
import { rejection } from '../support/assertions.js';
import { sentDuring } from '../support/sent.js';
import { withTeardown, type Teardown } from '../support/teardown.js';

// The same client against the NEWER engine: Debian 13's dockerd (Docker 26.1, API 1.45), started
// by scripts/newer-engine.sh on its own socket beside the 20.10 engine the other suites use. What
// differs between the versions is what is checked here: the negotiated version, several networks
// in one create call (1.44+), no CheckDuplicate (1.44+), stop's signal (1.42+), volume prune's
// all=true (1.42+), and the `multiplexed-stream` content type (1.42+) that must not change how
// output is demultiplexed (that is decided by Tty). Fixtures: fixtures/engine/newer-engine/.
const SUITE = 'engine/newer-engine';
const newer = suite(SUITE);

const IMAGE = 'podling-test/busybox:latest';
const REGISTRY = '127.0.0.1:5000';
const LABELS = { 'podling.io/managed': 'true', 'podling.io/test': 'true' };
const API = '1.45';

const mode = modeFromEnv();
const requireEngine = process.env.PODLING_REQUIRE_ENGINE === '1';

/** PODLING_NEWER_ENGINE (environment, then test.env), else the socket newer-engine.sh uses. */
function newerUpstream(): Upstream {
  let value = process.env.PODLING_NEWER_ENGINE;
  if (!value) {
    try {
      const env = readFileSync(`${process.env.PODLING_STATE || '/var/lib/podling-registry'}/test.env`, 'utf8');
      value = /^PODLING_NEWER_ENGINE=(.+)$/m.exec(env)?.[1];
    } catch { /* no test.env: the default below */ }
  }
  return defaultUpstream({ DOCKER_HOST: value || 'unix:///run/podling-newer/docker.sock' });
}

const upstream = newerUpstream();

const engineUp = mode === 'replay' ? false : await probe(upstream);
if (mode !== 'replay' && !engineUp && !requireEngine) {
  console.log(`note: the newer engine does not answer at ${describeUpstream(upstream)}: ${mode} scenarios of ${SUITE} are skipped (scripts/newer-engine.sh starts it; PODLING_REQUIRE_ENGINE=1 makes this a failure)`);
}

interface Ctx extends Teardown { engine: Engine; name(part: string): string }

/** A scenario against the newer engine: recorded, replayed or live like every other. */
function scenario(title: string, fn: (ctx: Ctx) => Promise<void>): void {
  if (mode !== 'replay' && !engineUp) {
    if (!requireEngine) return newer.skip(title);
    newer(title, () => {
      throw new Error(`PODLING_REQUIRE_ENGINE=1 but the newer engine does not answer at ${describeUpstream(upstream)} (run scripts/newer-engine.sh)`);
    });
    return;
  }
  newer(title, () => withEngine({ mode, fixture: fixturePath(SUITE, title), upstream }, (engine) => withTeardown(engine, (teardown) => fn({
    engine,
    name: (part) => objectName(SUITE, title, part),
    ...teardown,
  }))));
}

// ------------------------------------------------------------------ helpers

/** The exchanges a scenario's fixture holds (replay proves what the recording sent). */
function recorded(title: string): Array<{ request: { method: string; path: string; body?: { json?: unknown } } }> {
  return JSON.parse(readFileSync(fixturePath(SUITE, title), 'utf8')).exchanges;
}

const gone = (err: unknown) => { if (!isEngineError(err, 'not-found')) throw err; };

/** A running container with no network (this engine has no default bridge). */
async function box(engine: Engine, name: string, extra: { Tty?: boolean } = {}): Promise<string> {
  const { Id } = await engine.containers.create({ Image: IMAGE, Cmd: ['sleep', '300'], Labels: LABELS, HostConfig: { NetworkMode: 'none' }, ...extra }, { name });
  await engine.containers.start(Id);
  return Id;
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inSubnet(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4ToNumber(ip) / size) === Math.floor(ipv4ToNumber(base) / size);
}

// ------------------------------------------------------------------ scenarios

scenario('negotiation picks the server\'s 1.45, below the client\'s maximum, and /version agrees', async ({ engine }) => {
  const sent = await sentDuring(async () => {
    const version = await engine.system.version();
    assert.is(version.ApiVersion, API);
    assert.match(version.Version, /^26\.1\./);
    assert.ok(version.MinAPIVersion && compareVersions(version.MinAPIVersion, '1.41') <= 0, `MinAPIVersion ${version.MinAPIVersion} still serves 1.41`);
  });
  assert.ok(compareVersions(API, MAX_API_VERSION) < 0, `the server (${API}) is below our maximum (${MAX_API_VERSION}): a downgrade`);
  assert.is(await engine.apiVersion(), API);
  assert.equal(sent.map((s) => `${s.method} ${s.path}`), ['GET /_ping', `GET /v${API}/version`]);
  const ping = await engine.system.ping();
  assert.is(ping.apiVersion, API);
  assert.is(ping.osType, 'linux');
  assert.match(ping.server ?? '', /^Docker\/26\.1\./);
});

const TWO_NETWORKS = 'a container created with two networks on API 1.45 is sent in one create call and is on both, each with its aliases';
scenario(TWO_NETWORKS, async ({ engine, name, track }) => {
  const [front, back, container] = [track.network(name('front')), track.network(name('back')), track.container(name('box'))];
  await engine.networks.create({ Name: front, Labels: LABELS });
  await engine.networks.create({ Name: back, Labels: LABELS });
  const sent = await sentDuring(async () => {
    await engine.containers.create({
      Image: IMAGE, Cmd: ['sleep', '300'], Labels: LABELS,
      HostConfig: { NetworkMode: front },
      NetworkingConfig: { EndpointsConfig: { [front]: { Aliases: ['api'] }, [back]: { Aliases: ['api-internal', 'db-client'] } } },
    }, { name: container });
  });
  assert.equal(sent.map((s) => `${s.method} ${s.path}`), [`POST /v${API}/containers/create?name=${container}`], 'one call, no connect afterwards');
  assert.equal(Object.keys(JSON.parse(sent[0]!.body).NetworkingConfig.EndpointsConfig).sort(), [back, front].sort(), 'both networks in the create body');
  if (mode === 'replay') {
    const paths = recorded(TWO_NETWORKS).map((x) => x.request.path);
    assert.not.ok(paths.some((p) => /\/networks\/[^/]+\/connect/.test(p)), `the recording holds no /networks/{id}/connect: ${paths.join(', ')}`);
  }
  await engine.containers.start(container);
  const on = (await engine.containers.inspect(container)).NetworkSettings.Networks ?? {};
  assert.equal(Object.keys(on).sort(), [back, front].sort());
  assert.ok(on[front]?.Aliases?.includes('api'), `front aliases: ${on[front]?.Aliases}`);
  assert.ok(on[back]?.Aliases?.includes('api-internal') && on[back].Aliases.includes('db-client'), `back aliases: ${on[back]?.Aliases}`);
  // 1.44+ reports the names the embedded DNS answers for on each network.
  assert.ok((on[back]?.DNSNames as string[] | undefined)?.includes('db-client'), `back DNSNames: ${on[back]?.DNSNames}`);
  for (const net of [front, back]) {
    const subnet = (await engine.networks.inspect(net)).IPAM?.Config?.[0]?.Subnet ?? '';
    const ip = on[net]?.IPAddress ?? '';
    assert.ok(subnet && inSubnet(ip, subnet), `${net}: address ${ip} in ${subnet}`);
  }
});

const NO_CHECK_DUPLICATE = 'networks.create sends no CheckDuplicate on API 1.45, and a duplicate name is still a conflict';
scenario(NO_CHECK_DUPLICATE, async ({ engine, name, track }) => {
  const net = track.network(name('net'));
  let first = '';
  let err: Error | undefined;
  const sent = await sentDuring(async () => {
    first = (await engine.networks.create({ Name: net, Labels: LABELS })).Id;
    err = await rejection(engine.networks.create({ Name: net, Labels: LABELS }));
  });
  const bodies = sent.filter((s) => s.path === `/v${API}/networks/create`).map((s) => JSON.parse(s.body));
  assert.is(bodies.length, 2);
  for (const body of bodies) assert.not.ok('CheckDuplicate' in body, `no CheckDuplicate: ${JSON.stringify(body)}`);
  if (mode === 'replay') {
    const recordedBodies = recorded(NO_CHECK_DUPLICATE).filter((x) => x.request.path === `/v${API}/networks/create`).map((x) => x.request.body?.json as object);
    assert.is(recordedBodies.length, 2);
    for (const body of recordedBodies) assert.not.ok('CheckDuplicate' in body, `recorded without CheckDuplicate: ${JSON.stringify(body)}`);
  }
  assert.ok(isEngineError(err, 'conflict'), String(err));
  assert.match(err!.message, `network with name ${net} already exists`);
  const named = (await engine.networks.list({ filters: { name: [net] } })).filter((n) => n.Name === net);
  assert.equal(named.map((n) => n.Id), [first], 'one network keeps the name');
});

scenario('stop with stopSignal SIGKILL (API 1.42+) kills at once instead of waiting out the grace period', async ({ engine, name, track }) => {
  const container = track.container(name('box'));
  // busybox sleep as PID 1 ignores SIGTERM: a plain stop would wait the whole 30 s.
  const id = await box(engine, container);
  const started = Date.now();
  const sent = await sentDuring(async () => {
    assert.equal(await engine.containers.stop(id, { stopSignal: 'SIGKILL', grace: 30 }), { already: false });
  });
  assert.ok(Date.now() - started < 15_000, `stopped in ${Date.now() - started} ms`);
  assert.equal(sent.map((s) => `${s.method} ${s.path}`), [`POST /v${API}/containers/${id}/stop?signal=SIGKILL&t=30`]);
  const state = (await engine.containers.inspect(id)).State;
  assert.is(state.Running, false);
  assert.is(state.ExitCode, 137, 'killed by SIGKILL');
  assert.equal(await engine.containers.stop(id, { stopSignal: 'SIGKILL' }), { already: true }, 'a second stop is a 304');
});

scenario('volumes.prune with a label filter removes a named labelled volume (all=true is added on 1.42+)', async ({ engine, name, track }) => {
  const [labelled, other] = [track.volume(name('labelled')), track.volume(name('other'))];
  const mark = `podling.io/scenario=${name('mark')}`;
  await engine.volumes.create({ Name: labelled, Labels: { ...LABELS, 'podling.io/scenario': name('mark') } });
  await engine.volumes.create({ Name: other, Labels: LABELS });
  let deleted: string[] = [];
  const sent = await sentDuring(async () => {
    deleted = await engine.volumes.prune({ filters: { label: [mark] } });
  });
  assert.equal(deleted, [labelled]);
  assert.is(sent.length, 1);
  const filters = JSON.parse(new URL(sent[0]!.path, 'http://x').searchParams.get('filters') ?? '{}');
  assert.equal(filters, { label: [mark], all: ['true'] });
  assert.ok(isEngineError(await rejection(engine.volumes.inspect(labelled)), 'not-found'), 'the labelled volume is gone');
  assert.is((await engine.volumes.inspect(other)).Name, other, 'a volume without the label stays');
});

scenario('a pull from the loopback registry (insecure by default) streams per-layer progress', async ({ engine, track }) => {
  const ref = `${REGISTRY}/podling-test/layers:latest`;
  await engine.images.remove(ref, { force: true }).catch(gone);
  track.image(ref);
  const pull = engine.images.pull(ref);
  const messages = [];
  for await (const message of pull) messages.push(message);
  await pull.done;
  const statuses = messages.map((m) => m.status ?? '');
  // busybox's layer is already here (newer-engine.sh loaded it); the three data layers are not.
  assert.ok(statuses.includes('Already exists'), statuses.join(' | '));
  assert.is(statuses.filter((s) => s === 'Pull complete').length, 3, statuses.join(' | '));
  assert.ok(messages.some((m) => (m.progressDetail?.total ?? 0) > 0), 'byte counts for at least one layer');
  assert.match(statuses.at(-1) ?? '', `Downloaded newer image for ${ref}`);
  assert.ok(statuses.some((s) => /^Digest: sha256:[0-9a-f]{64}$/.test(s)), 'the manifest digest');
  const image = await engine.images.inspect(ref);
  assert.is(image.RootFS?.Layers?.length, 4);
});

scenario('exec with stdin goes over the hijacked connection; the multiplexed-stream label does not change the demux, Tty does', async ({ engine, name, track }) => {
  const container = track.container(name('box'));
  const id = await box(engine, container);
  assert.equal(await engine.exec.run(id, ['sh', '-c', 'cat; echo to-stderr >&2'], { stdin: 'through stdin\n' }), { exitCode: 0, stdout: 'through stdin\n', stderr: 'to-stderr\n' });
  const counted = await engine.exec.run(id, ['wc', '-c'], { stdin: Buffer.alloc(20_000, 'x') });
  assert.equal(counted, { exitCode: 0, stdout: '20000\n', stderr: '' });

  // The hijacked answer's own label: 1.42+ says multiplexed-stream when framed, raw-stream with a TTY.
  // With a TTY the engine closes the OUTPUT when stdin ends (both versions), so there the input
  // ends with ^D and the write side stays open until the engine closes the connection.
  const hijack = async (tty: boolean, stdin: string) => {
    const { Id } = await engine.exec.create(id, { Cmd: ['sh', '-c', 'cat; echo err >&2'], Tty: tty, AttachStdin: true });
    const { socket, headers } = await engine.transport.upgrade({ method: 'POST', path: `/exec/${Id}/start`, json: { Detach: false, Tty: tty } });
    if (tty) socket.write(stdin);
    else socket.end(stdin);
    try {
      const text = await new Output(socket, tty, { method: 'POST', path: `/exec/${Id}/start` }).text();
      return { contentType: headers['content-type'], text, exit: (await engine.exec.inspect(Id)).ExitCode };
    } finally {
      socket.destroy();
    }
  };
  const framed = await hijack(false, 'framed\n');
  assert.is(framed.contentType, 'application/vnd.docker.multiplexed-stream');
  assert.equal(framed.text, { stdout: 'framed\n', stderr: 'err\n' });
  assert.is(framed.exit, 0);
  const raw = await hijack(true, 'raw\n\x04');
  assert.is(raw.contentType, 'application/vnd.docker.raw-stream');
  assert.equal(raw.text, { stdout: 'raw\r\nraw\r\nerr\r\n', stderr: '' }, 'the echo, cat\'s copy and stderr, all on the one TTY stream');
  assert.is(raw.exit, 0);
});

scenario('logs are demultiplexed by the container\'s Tty under the 1.45 content types', async ({ engine, name, track }) => {
  const [framed, tty] = [track.container(name('framed')), track.container(name('tty'))];
  const run = async (container: string, Tty: boolean) => {
    // A TTY's output can miss the log when the process exits at once (seen live): linger a little.
    const { Id } = await engine.containers.create({
      Image: IMAGE,
      Cmd: ['sh', '-c', 'echo o1; echo e1 >&2; echo o2; echo e2 >&2; sleep 0.5'], Labels: LABELS, Tty, HostConfig: { NetworkMode: 'none' },
    }, { name: container });
    const { exited } = await engine.containers.wait(Id);
    await engine.containers.start(Id);
    assert.is((await exited).StatusCode, 0);
    // Docker 26 answers the wait before its log copier has written the last lines (about one run
    // in ten here: the log then ends after "o1"), so read until all four lines are there.
    const read = async () => {
      const res = await engine.transport.stream({ method: 'GET', path: `/containers/${Id}/logs`, query: { stdout: true, stderr: true } });
      return { contentType: res.headers['content-type'], text: await new Output(res.body, Tty, { method: 'GET', path: `/containers/${Id}/logs` }).text() };
    };
    let got = await read();
    for (let i = 0; i < 20 && (got.text.stdout + got.text.stderr).split('\n').filter(Boolean).length < 4; i++) {
      if (mode !== 'replay') await new Promise((resolve) => setTimeout(resolve, 100));
      got = await read();
    }
    return { ...got, viaLogs: await (await engine.containers.logs(Id)).text() };
  };
  const plain = await run(framed, false);
  assert.is(plain.contentType, 'application/vnd.docker.multiplexed-stream');
  assert.equal(plain.text, { stdout: 'o1\no2\n', stderr: 'e1\ne2\n' });
  assert.equal(plain.viaLogs, plain.text, 'containers.logs looks Tty up and demuxes the same');
  const raw = await run(tty, true);
  assert.is(raw.contentType, 'application/vnd.docker.raw-stream');
  assert.equal(raw.text, { stdout: 'o1\r\ne1\r\no2\r\ne2\r\n', stderr: '' });
  assert.equal(raw.viaLogs, raw.text);
});

newer.run();
