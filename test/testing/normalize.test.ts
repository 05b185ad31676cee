import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFixture } from '../../src/testing/codec.js';
import { EPOCH, fakeId, normalizeExchanges, REDACTED, shiftRfc3339 } from '../../src/testing/normalize.js';
import { startReplayer } from '../../src/testing/replayer.js';
import { roundTrip, tapped } from '../support/wire.js';
import { Readable } from 'node:stream';
import { pack, unpack } from '../../src/engine/streams/tar.js';

const normalize = suite('testing/normalize');

const ID = 'a3f1c2'.padEnd(64, '9b');
const IMAGE = 'e0'.repeat(32);
const START = Date.UTC(2025, 10, 25, 8, 0, 0) / 1000;
const OFFSET = EPOCH - START;

function json(status: number, value: unknown): string {
  const body = `${JSON.stringify(value)}\n`;
  return `HTTP/1.1 ${status} OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

const recorded = () => tapped([
  ['client', 'POST /v1.41/containers/create?name=web HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}'],
  ['engine', json(201, { Id: ID, Warnings: [] })],
  ['client', `GET /v1.41/containers/${ID}/json HTTP/1.1\r\n\r\n`],
  ['engine', json(200, {
    Id: ID,
    Image: `sha256:${IMAGE}`,
    Config: { Hostname: ID.slice(0, 12), Env: [`NOT_AN_ID=${ID.slice(0, 12)}ff`] },
    Created: '2025-11-25T08:00:03.123456789Z',
    State: { StartedAt: '2025-11-25T09:00:04+01:00', FinishedAt: '0001-01-01T00:00:00Z' },
  })],
  ['client', `GET /v1.41/events?filters=${encodeURIComponent(JSON.stringify({ container: [ID] }))}&since=${START + 1}&until=${START + 2}.5 HTTP/1.1\r\n\r\n`],
  ['engine', `HTTP/1.1 200 OK\r\nDate: Tue, 25 Nov 2025 08:00:05 GMT\r\nTransfer-Encoding: chunked\r\n\r\n`],
  ['engine', (() => {
    const event = `{"id":"${ID}","time":${START + 1},"timeNano":${START + 1}000000042}\n`;
    return `${Buffer.byteLength(event).toString(16)}\r\n${event}\r\n0\r\n\r\n`;
  })()],
]);

normalize('an id gets one fake everywhere, same length, in paths, bodies, digests and standalone short forms', async () => {
  const [create, inspect] = normalizeExchanges(recorded(), { offset: OFFSET });
  const fake = fakeId(1);
  assert.is(fake.length, 64);
  assert.is.not(fakeId(1).slice(0, 12), fakeId(2).slice(0, 12));
  assert.is(JSON.parse(create!.response!.pieces.join('')).Id, fake);
  assert.is(inspect!.request.target, `/v1.41/containers/${fake}/json`);
  const body = JSON.parse(inspect!.response!.pieces.join(''));
  assert.is(body.Id, fake);
  assert.is(body.Image, `sha256:${fakeId(2)}`);
  assert.is(body.Config.Hostname, fake.slice(0, 12));
  assert.is(body.Config.Env[0], `NOT_AN_ID=${ID.slice(0, 12)}ff`, 'a prefix inside a longer hex run is left alone');
  assert.is(Buffer.concat(inspect!.response!.pieces).length, Buffer.concat(recorded()[1]!.response!.pieces).length);
});

normalize('timestamps move by one offset so the recording starts at the epoch; zero times stay', () => {
  const [, inspect, events] = normalizeExchanges(recorded(), { offset: OFFSET });
  const body = JSON.parse(inspect!.response!.pieces.join(''));
  assert.is(body.Created, '2026-01-01T00:00:03.123456789Z');
  assert.is(body.State.StartedAt, '2026-01-01T01:00:04+01:00');
  assert.is(body.State.FinishedAt, '0001-01-01T00:00:00Z');
  assert.is(events!.request.target, `/v1.41/events?filters=%7B%22container%22%3A%5B%22${fakeId(1)}%22%5D%7D&since=${EPOCH + 1}&until=${EPOCH + 2}.5`, 'an id in a URL-encoded filter too');
  const event = JSON.parse(events!.response!.pieces.join(''));
  assert.equal([event.time, event.timeNano], [EPOCH + 1, Number(`${EPOCH + 1}000000042`)]);
  assert.match(JSON.stringify(events!.response!.headers), 'Thu, 01 Jan 2026 00:00:05 GMT');
  assert.is(shiftRfc3339('2025-11-25T08:00:00Z', 1), '2025-11-25T08:00:01Z');
});

normalize('secrets are never written: registry auth header, auth JSON fields', async () => {
  const auth = Buffer.from(JSON.stringify({ username: 'me', password: 'hunter2', serveraddress: '127.0.0.1:5001' })).toString('base64');
  const login = JSON.stringify({ username: 'me', password: 'hunter2', auth: 'bWU6aHVudGVyMg==', serveraddress: '127.0.0.1:5001' });
  const exchanges = tapped([
    ['client', `POST /v1.41/images/create?fromImage=127.0.0.1%3A5001%2Fbox HTTP/1.1\r\nX-Registry-Auth: ${auth}\r\nContent-Length: 0\r\n\r\n`],
    ['engine', json(200, { status: 'ok' })],
    ['client', `POST /v1.41/auth HTTP/1.1\r\nAuthorization: Basic bWU6aHVudGVyMg==\r\nContent-Type: application/json\r\nContent-Length: ${login.length}\r\n\r\n${login}`],
    ['engine', json(200, { Status: 'Login Succeeded', IdentityToken: 'tok-hunter2' })],
  ]);
  const text = JSON.stringify(await encodeFixture(normalizeExchanges(exchanges, { offset: 0 })), null, 2);
  for (const secret of [auth, 'hunter2', 'bWU6aHVudGVyMg==']) assert.not.ok(text.includes(secret), `fixture contains ${secret}`);
  assert.ok(text.includes(REDACTED));
  assert.ok(text.includes('"username": "me"'), 'what is not secret stays readable');
});

normalize('a swarm\'s keys are never written: join tokens in GET /swarm and POST /swarm/join, the unlock key, a signing CA key; the answer keeps its shape', async () => {
  const worker = 'SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx';
  const manager = 'SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-7p73s1dx5in4tatdymyhg9hu2';
  const join = JSON.stringify({ ListenAddr: '0.0.0.0:2377', RemoteAddrs: ['198.51.100.11:2377'], JoinToken: worker });
  const init = JSON.stringify({ ListenAddr: '0.0.0.0:2377', Spec: { CAConfig: { SigningCACert: 'PUBLIC CERT', SigningCAKey: '-----BEGIN EC PRIVATE KEY-----hunter2' } } });
  const exchanges = tapped([
    ['client', 'GET /v1.41/swarm HTTP/1.1\r\n\r\n'],
    ['engine', json(200, { ID: 'swarm1', JoinTokens: { Worker: worker, Manager: manager }, Spec: { Name: 'default' } })],
    ['client', `POST /v1.41/swarm/join HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${join.length}\r\n\r\n${join}`],
    ['engine', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ['client', 'GET /v1.41/swarm/unlockkey HTTP/1.1\r\n\r\n'],
    ['engine', json(200, { UnlockKey: 'SWMKEY-1-hunter2' })],
    ['client', `POST /v1.41/swarm/init HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${init.length}\r\n\r\n${init}`],
    ['engine', json(200, 'node1id')],
  ]);
  const text = JSON.stringify(await encodeFixture(normalizeExchanges(exchanges, { offset: 0 })), null, 2);
  for (const secret of [worker, manager, 'SWMKEY-1-hunter2', 'hunter2']) assert.not.ok(text.includes(secret), `fixture contains ${secret}`);
  const inspect = JSON.parse(normalizeExchanges(exchanges, { offset: 0 })[0]!.response!.pieces.join(''));
  assert.equal(inspect.JoinTokens, { Worker: REDACTED, Manager: REDACTED }, 'the object stays an object of strings');
  for (const kept of ['198.51.100.11:2377', 'PUBLIC CERT', '"Name": "default"']) assert.ok(text.includes(kept), `${kept} stays readable`);
});

normalize('a normalised fixture replays: the client uses the fake ids it was given', async () => {
  const replayer = await startReplayer(await encodeFixture(normalizeExchanges(recorded(), { offset: OFFSET })));
  try {
    const answer = await roundTrip(replayer.socketPath, `GET /v1.41/containers/${fakeId(1)}/json HTTP/1.1\r\n\r\n`);
    assert.match(answer.toString(), `"Id":"${fakeId(1)}"`);
    assert.equal(replayer.misses, []);
  } finally {
    await replayer.close();
  }
});

normalize('in an uploaded or downloaded archive, ids the engine gave out are replaced inside file contents, headers and other hex untouched, the archive still valid', async () => {
  const other = 'c4'.repeat(32);
  const tarOf = async (text: string) => {
    const chunks: Buffer[] = [];
    for await (const chunk of pack([{ name: 'status.json', content: text }])) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const upload = await tarOf(JSON.stringify({ id: ID, other }));
  const http = (head: string, body: Buffer) => Buffer.concat([Buffer.from(`${head}Content-Type: application/x-tar\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  const exchanges = normalizeExchanges(tapped([
    ['client', 'POST /v1.41/containers/create HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}'],
    ['engine', json(201, { Id: ID })],
    ['client', http(`PUT /v1.41/containers/${ID}/archive?path=/ HTTP/1.1\r\n`, upload)],
    ['engine', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ['client', `GET /v1.41/containers/${ID}/archive?path=/status.json HTTP/1.1\r\n\r\n`],
    ['engine', http('HTTP/1.1 200 OK\r\n', upload)],
  ]), { offset: OFFSET });
  const sent = exchanges[1]!.request.body;
  const got = Buffer.concat(exchanges[2]!.response!.pieces);
  for (const tar of [sent, got]) {
    assert.is(tar.length, upload.length, 'same length');
    assert.equal(tar.subarray(0, 512), upload.subarray(0, 512), 'the header (and its checksum) untouched');
    const [entry] = await unpack(Readable.from([tar]));
    assert.equal(JSON.parse(entry!.content.toString('utf8')), { id: fakeId(1), other }, 'the engine\'s id replaced; other hex is the test\'s own');
  }
});

normalize.run();
