import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { pack } from '../../src/engine/streams/tar.js';
import { encodePiece } from '../../src/testing/body.js';
import { encodeFixture } from '../../src/testing/codec.js';
import { parseFixture, type Fixture, type FixtureExchange } from '../../src/testing/fixture.js';
import { normalizeExchanges } from '../../src/testing/normalize.js';
import { startReplayer } from '../../src/testing/replayer.js';
import { ReplayMismatchError } from '../../src/testing/session.js';
import { roundTrip, tapped } from '../support/wire.js';
import { fixtureOf, missOf, PING, replaying } from './replaying.js';

// Which recording answers a request: request bodies are compared byte for byte, whatever they hold.
const match = suite('testing/match');

const NO_CONTENT: NonNullable<FixtureExchange['response']> = { status: 200, framing: 'length', headers: {} };

const CONTENT = 'hello from the archive\n';
const archive = async (content: string) => Buffer.concat(await pack([{ name: 'greeting.txt', content }]).toArray());
const ID = '0000000000010000000000010000000000010000000000010000000000010000';

async function uploadFixture(): Promise<Fixture> {
  return fixtureOf([PING, {
    request: { method: 'PUT', path: `/v1.41/containers/${ID}/archive`, query: { path: '/tmp' }, headers: { 'content-type': 'application/x-tar' }, body: await encodePiece(await archive(CONTENT), 'application/x-tar') },
    response: NO_CONTENT,
  }]);
}

match('a tar upload one byte off the recording is a miss naming the request, the byte and both excerpts', async () => {
  const fixture = await uploadFixture();
  assert.ok('tar' in fixture.exchanges[1]!.request.body!, 'the recording holds the archive itself');
  const error = await replaying(fixture, async (engine) => engine.containers.putArchive(ID, '/tmp', await archive(CONTENT.replace('archive', 'archivE'))));
  assert.instance(error, ReplayMismatchError);
  // The content follows the 512-byte header; the 'E' is its byte 21.
  const at = 512 + CONTENT.indexOf('archive') + 6;
  assert.match(error!.message, `no recording for\n      PUT /containers/${ID}/archive?path=/tmp\n      body: 2048 bytes`);
  assert.match(error!.message, `same request, body differs at byte ${at}: expected …"m the archive\\n\\x00`);
  assert.match(error!.message, 'got …"m the archivE\\n\\x00');
  assert.match(error!.message, '(2048 bytes each)');
});

match('the same tar bytes replay, streamed (chunked) or as one buffer: framing is not part of the body', async () => {
  const fixture = await uploadFixture();
  assert.is(await replaying(fixture, async (engine) => engine.containers.putArchive(ID, '/tmp', pack([{ name: 'greeting.txt', content: CONTENT }]))), undefined);
  assert.is(await replaying(fixture, async (engine) => engine.containers.putArchive(ID, '/tmp', await archive(CONTENT))), undefined);
});

// Key order and whitespace are bytes the client chose: the recorder keeps a JSON body as a value
// only when it re-serialises to those exact bytes, so comparing bytes is exact, and a client whose
// serialisation changed is told so instead of being matched by value.
match('a JSON body with the same value in another key order, or spaced, is a miss that says only the order changed', async () => {
  const fixture = fixtureOf([{ request: { method: 'POST', path: '/v1.41/containers/create', body: { json: { Image: 'box', Cmd: ['sh'] } } }, response: NO_CONTENT }]);
  const replayer = await startReplayer(fixture);
  try {
    const post = (body: string) => roundTrip(replayer.socketPath, `POST /v1.41/containers/create HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'POST');
    const reordered = missOf(await post('{"Cmd":["sh"],"Image":"box"}'));
    assert.match(reordered, 'same request, body differs at byte 2: expected "{\\"Image\\":\\"box\\",\\"Cmd\\":["…, got "{\\"Cmd\\":[\\"sh\\"],\\"Image\\":"… (28 bytes each)');
    assert.match(reordered, '(the same JSON value: only key order or whitespace changed)');
    const spaced = missOf(await post('{"Image": "box","Cmd":["sh"]}'));
    assert.match(spaced, 'body differs at byte 9');
    assert.match(spaced, '(the same JSON value');
    const other = missOf(await post('{"Image":"bux","Cmd":["sh"]}'));
    assert.not.match(other, 'the same JSON value', 'a different value is not called a reordering');
    assert.match((await post('{"Image":"box","Cmd":["sh"]}')).toString(), /^HTTP\/1\.1 200 /);
    assert.is(replayer.misses.length, 3);
  } finally {
    await replayer.close();
  }
});

match('secrets never reach the message: redacted fields still match, and a body that differs beside one shows no secret', async () => {
  const fixture = fixtureOf([{ request: { method: 'POST', path: '/v1.41/auth', body: { json: { username: 'me', password: '<redacted>' } } }, response: NO_CONTENT }]);
  const replayer = await startReplayer(fixture);
  try {
    const login = (body: string) => roundTrip(replayer.socketPath, `POST /v1.41/auth HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'POST');
    const someoneElse = missOf(await login('{"username":"mo","password":"hunter2"}'));
    assert.match(someoneElse, 'same request, body differs at byte 14: expected …"username\\":\\"me\\",\\"password\\":\\"<reda"…, got …"username\\":\\"mo\\",\\"password\\":\\"<reda"…');
    // Cut short, it does not parse, so nothing redacted it: the excerpt masks the value itself.
    const truncated = missOf(await login('{"username":"me","password":"hunter2"'));
    assert.match(truncated, 'differs at byte 29');
    assert.match(truncated, 'got …"\\"password\\":\\"*******\\"" (41 bytes recorded, 37 sent)');
    for (const message of [...replayer.misses, someoneElse, truncated]) assert.not.match(message, 'hunter2');
    assert.match((await login('{"username":"me","password":"s3cret"}')).toString(), /^HTTP\/1\.1 200 /, 'the recorded password is redacted: any matches');
  } finally {
    await replayer.close();
  }
});

match('a body too large to keep is recorded as its digest, and still has to match byte for byte', async () => {
  const big = Buffer.alloc(70_000, 'x');
  const request = (body: Buffer) => Buffer.concat([Buffer.from(`POST /v1.41/images/load HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  const exchanges = tapped([['client', request(big)], ['engine', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']]);
  const fixture = parseFixture(JSON.parse(JSON.stringify(await encodeFixture(normalizeExchanges(exchanges, { offset: 0 })))));
  assert.equal(fixture.exchanges[0]!.request.body, { omitted: 70_000, sha256: createHash('sha256').update(big).digest('hex') });
  const replayer = await startReplayer(fixture);
  try {
    const changed = Buffer.from(big);
    changed[69_999] = 0x79;
    const miss = missOf(await roundTrip(replayer.socketPath, request(changed), 'POST'));
    assert.match(miss, /same request, body differs from the recorded digest: 70000 bytes, sha256 [0-9a-f]{12}… recorded, 70000 bytes, sha256 [0-9a-f]{12}… sent/);
    assert.match((await roundTrip(replayer.socketPath, request(big), 'POST')).toString(), /^HTTP\/1\.1 200 /);
  } finally {
    await replayer.close();
  }
});

match('a fixture that kept a large body without its digest cannot be compared: loading it says to re-record', () => {
  const value = fixtureOf([{ request: { method: 'POST', path: '/v1.41/images/load', body: { omitted: 70_000 } as never }, response: NO_CONTENT }]);
  assert.throws(() => parseFixture(value, 'fixtures/x/y.json'), (err: Error) => err.message.includes('needs its sha256') && err.message.includes('make record'));
});

match.run();
