import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pack, unpack } from '../../src/engine/streams/tar.js';
import type { Exchange } from '../../src/testing/exchange.js';
import { requestKey, sameRequest } from '../../src/testing/match.js';
import { normalizeExchanges } from '../../src/testing/normalize.js';
import { REDACTED_VALUE, redactSensitive, redactSensitiveBody, SENSITIVE_HEADER } from '../../src/testing/sensitive.js';

// Exchanges the client marks as carrying a Secret's values are recorded redacted, and a marked live
// request matches its redacted recording (src/testing/sensitive.ts).
const sensitive = suite('testing/sensitive');

const MARK: [string, string] = [SENSITIVE_HEADER, '1'];
const tarOf = async (files: Record<string, string>) => buffer(pack(Object.entries(files).map(([name, content]) => ({ name, content, mode: 0o600 }))));

function exchange(body: Buffer, headers: Array<[string, string]>, answer?: Buffer): Exchange {
  return {
    request: { method: 'PUT', target: '/v1.41/containers/x/archive?path=%2Fdata', headers, body },
    ...(answer && { response: { status: 200, reason: 'OK', headers: [['Content-Type', 'application/json']], framing: 'length', pieces: [answer.subarray(0, 7), answer.subarray(7)], complete: true } }),
  };
}

sensitive('a marked tar upload keeps its entries, names, modes and sizes; every content is stars', async () => {
  const body = await tarOf({ password: 'hunter2', token: 'abc' });
  const redacted = redactSensitive(exchange(body, [MARK])).request.body;
  assert.is(redacted.length, body.length);
  const entries = await unpack(Readable.from([redacted]));
  assert.equal(entries.map((e) => [e.name, e.mode, e.content.toString()]), [['password', 0o600, '*******'], ['token', 0o600, '***']]);
});

sensitive('a marked JSON body keeps its shape; Env values and the command words are redacted', () => {
  const body = Buffer.from(JSON.stringify({ Image: 'i', Env: ['A=secret', 'B=x=y'], Cmd: ['sh', '-c', 'echo secret'], Entrypoint: null, Labels: { k: 'v' } }));
  const answer = Buffer.from(JSON.stringify({ Config: { Env: ['A=secret'], Cmd: ['echo', 'secret'] }, Path: 'echo', Args: ['secret'] }) + '\n');
  const redacted = redactSensitive(exchange(body, [MARK], answer));
  assert.equal(JSON.parse(redacted.request.body.toString()), { Image: 'i', Env: [`A=${REDACTED_VALUE}`, `B=${REDACTED_VALUE}`], Cmd: [REDACTED_VALUE, REDACTED_VALUE, REDACTED_VALUE], Entrypoint: null, Labels: { k: 'v' } });
  const response = Buffer.concat(redacted.response!.pieces).toString();
  assert.not.match(response, /secret/);
  assert.ok(response.endsWith('\n'));
  assert.is(JSON.parse(response).Config.Env[0], `A=${REDACTED_VALUE}`);
});

sensitive('an unmarked exchange is left as it is', async () => {
  const body = await tarOf({ password: 'hunter2' });
  const plain = exchange(body, []);
  assert.is(redactSensitive(plain), plain);
});

sensitive('the recorder\'s normalisation redacts marked exchanges', async () => {
  const body = await tarOf({ k: 'hunter2' });
  const [normalized] = normalizeExchanges([exchange(body, [MARK])], { offset: 0 });
  assert.not.ok(normalized!.request.body.toString('latin1').includes('hunter2'));
});

sensitive('a marked live request matches its redacted recording, also when it carries stars read in replay', async () => {
  const live = await tarOf({ k: 'hunter2' });
  const recorded = redactSensitiveBody(live, 'application/x-tar');
  const key = (body: Buffer) => requestKey('PUT', '/v1.41/containers/x/archive?path=/data', body, [MARK, ['content-type', 'application/x-tar']]);
  assert.ok(sameRequest(key(live), key(recorded)));
  assert.ok(sameRequest(key(await tarOf({ k: '*******' })), key(recorded)));
  assert.not.ok(sameRequest(key(await tarOf({ other: 'hunter2' })), key(recorded)), 'another key is another request');
  const env = (value: string) => requestKey('POST', '/v1.41/containers/create', Buffer.from(JSON.stringify({ Env: [`A=${value}`] })), [MARK]);
  assert.ok(sameRequest(env('hunter2'), env('*******')));
});

sensitive('a JSON file in a marked tar stays JSON of the same length: keys kept, string values stars, digits 1', async () => {
  const config = '{"auths": {"127.0.0.1:5001": {"username": "podling", "password": "pa\\"ss\u00e9", "n": -20.5e3, "ok": true}}, "list": ["x", 7]}';
  const body = await tarOf({ '.dockerconfigjson': config, plain: '{not json', number: '1234' });
  const redacted = redactSensitiveBody(body, 'application/x-tar');
  assert.is(redacted.length, body.length);
  const entries = await unpack(Readable.from([redacted]));
  const [json, plain, number] = entries.map((e) => e.content.toString());
  assert.is(Buffer.byteLength(json!), Buffer.byteLength(config));
  assert.equal(JSON.parse(json!), { auths: { '127.0.0.1:5001': { username: '*******', password: '********', n: -11.1e1, ok: true } }, list: ['*', 1] });
  assert.is(plain, '*********', 'not JSON: all stars');
  assert.is(number, '****', 'only objects and arrays are kept as JSON');
  // Redacting twice changes nothing: a replayed client sending back what it read still matches.
  assert.ok(redactSensitiveBody(redacted, 'application/x-tar').equals(redacted));
});

sensitive.run();
