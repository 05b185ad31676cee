import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errorFromCause, errorFromResponse, kindForAnswer, kindForStatus } from '../../src/engine/errors.js';

const errors = suite('engine/errors');

errors('each status maps to exactly one kind', () => {
  const expected: Record<number, string> = { 400: 'invalid-argument', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 409: 'conflict', 500: 'server', 503: 'server', 418: 'protocol' };
  for (const [status, kind] of Object.entries(expected)) assert.is(kindForStatus(Number(status)), kind, `status ${status}`);
});

errors('an error answer carries the daemon message, method, path and status', () => {
  const err = errorFromResponse('GET', '/containers/x/json', 404, '{"message":"No such container: x"}');
  assert.is(err.kind, 'not-found');
  assert.is(err.daemonMessage, 'No such container: x');
  assert.is(err.method, 'GET');
  assert.is(err.path, '/containers/x/json');
  assert.is(err.status, 404);
  assert.match(err.message, 'No such container: x');
});

errors('Podman\'s 500 answers whose cause names a taken name or a wrong state are conflicts; other causes keep the status\'s kind', () => {
  const taken = errorFromResponse('POST', '/containers/create', 500, JSON.stringify({
    cause: 'that name is already in use', response: 500,
    message: 'container create: creating container storage: the container name "web" is already in use by 4cc9. You have to remove that container to be able to reuse that name: that name is already in use',
  }));
  assert.is(taken.kind, 'conflict');
  assert.match(taken.daemonMessage ?? '', 'already in use');
  const cases: Array<[number, string | undefined, string]> = [
    [500, 'network already exists', 'conflict'],
    [500, 'container state improper', 'conflict'],
    [500, 'container has dependent containers which must be removed before it', 'conflict'],
    [500, 'some other failure', 'server'],
    [500, undefined, 'server'],
    [404, 'no such container', 'not-found'],
  ];
  for (const [status, cause, kind] of cases) assert.is(kindForAnswer(status, cause), kind, `${status} ${cause}`);
});

errors('a plain-text error body is kept as the message', () => {
  const err = errorFromResponse('POST', '/x', 502, 'bad gateway\n');
  assert.is(err.daemonMessage, 'bad gateway');
  assert.is(err.kind, 'server');
});

errors('connection failures become "engine unavailable" naming the socket and what to check', () => {
  const missing = errorFromCause('GET', '/_ping', Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }), '/nope.sock');
  assert.is(missing.kind, 'unavailable');
  assert.match(missing.message, '/nope.sock');
  assert.match(missing.message, 'Is the Docker daemon running?');
  const denied = errorFromCause('GET', '/_ping', Object.assign(new Error('x'), { code: 'EACCES' }), '/s.sock');
  assert.match(denied.message, 'permission denied');
  const refused = errorFromCause('GET', '/_ping', { cause: { code: 'ECONNREFUSED' } }, '10.0.0.1:2375');
  assert.is(refused.kind, 'unavailable');
});

errors('timeouts and aborts have kinds of their own', () => {
  assert.is(errorFromCause('GET', '/x', Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), 's').kind, 'timeout');
  assert.is(errorFromCause('GET', '/x', new DOMException('stop', 'AbortError'), 's').kind, 'aborted');
});

errors.run();
