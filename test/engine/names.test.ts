import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRef, pathOf, splitImageReference } from '../../src/engine/names.js';
import { queryString } from '../../src/engine/transport.js';
import { encodeFilters } from '../../src/engine/filters.js';
import type { EngineError } from '../../src/engine/errors.js';
import { isEngineError } from '../../src/engine/errors.js';

const names = suite('engine/names');

names('hostile names are refused before any request is built', () => {
  for (const hostile of ['../../x', 'a?b#c', 'naïve', 'a/b', '', ' x', 'x\u0000', '..', 'a..b', 'é']) {
    try {
      checkRef('container', hostile);
      assert.unreachable(`accepted ${JSON.stringify(hostile)}`);
    } catch (err) {
      assert.ok(isEngineError(err, 'invalid-argument'), `kind for ${JSON.stringify(hostile)}`);
      assert.match((err as Error).message, 'invalid container name or id');
    }
  }
});

names('ordinary names, ids and image references pass', () => {
  for (const ok of ['web', 'pod-abc_1.x', '/leading-slash', 'a'.repeat(64)]) assert.is(checkRef('container', ok), ok);
  for (const ref of ['busybox', 'busybox:1.36', '127.0.0.1:5000/podling-test/busybox:latest', 'localhost:5001/a/b', `sha256:${'a'.repeat(64)}`, `x@sha256:${'b'.repeat(64)}`]) {
    assert.is(checkRef('image', ref), ref);
  }
  for (const bad of ['UPPER/case', 'a//b', 'x:tag:tag', '../etc', 'a b']) {
    assert.throws(() => checkRef('image', bad), /invalid image/);
  }
});

names('every reference in a path is percent-encoded', () => {
  assert.is(pathOf`/images/${'127.0.0.1:5000/a/b'}/json`, '/images/127.0.0.1%3A5000%2Fa%2Fb/json');
  assert.is(pathOf`/containers/${'x'}/start`, '/containers/x/start');
});

names('query values are encoded and cannot add parameters', () => {
  const q = queryString({ name: 'a&b=c#d', tag: 'ü', filters: { label: ['x=y'] }, skip: undefined, changes: ['CMD ["a"]', 'ENV A=1'] });
  assert.is(q, '?changes=CMD%20%5B%22a%22%5D&changes=ENV%20A%3D1&filters=%7B%22label%22%3A%5B%22x%3Dy%22%5D%7D&name=a%26b%3Dc%23d&tag=%C3%BC');
  assert.is(queryString({}), '');
});

names('filters: strings, booleans and lists become lists; anything else is refused naming the key', () => {
  assert.equal(encodeFilters({ label: ['a=b', 'c'], status: 'running', dangling: true }), { label: ['a=b', 'c'], status: ['running'], dangling: ['true'] });
  assert.is(encodeFilters({}), undefined);
  assert.is(encodeFilters(undefined), undefined);
  const bad: Array<[unknown, string]> = [
    [{ label: [1] }, 'invalid filters: label: expected a string, a list of strings or a boolean'],
    [{ label: 'a', until: 5 }, 'invalid filters: until: expected a string, a list of strings or a boolean'],
    [{ label: { a: true } }, 'invalid filters: label: expected a string, a list of strings or a boolean'],
    [new Map([['label', 'a']]), 'invalid filters: (top level): '],
    [['label'], 'invalid filters: (top level): '],
  ];
  for (const [filters, message] of bad) {
    const err = (() => { try { encodeFilters(filters as never); } catch (e) { return e as EngineError; } return undefined; })();
    assert.ok(err, `accepted ${JSON.stringify(filters)}`);
    assert.is(err!.kind, 'invalid-argument');
    assert.ok(err!.message.startsWith(message), err!.message);
  }
});

names('image references split into name and tag as the pull endpoint wants', () => {
  assert.equal(splitImageReference('127.0.0.1:5000/a/b'), { name: '127.0.0.1:5000/a/b', tag: 'latest' });
  assert.equal(splitImageReference('127.0.0.1:5000/a/b:v1'), { name: '127.0.0.1:5000/a/b', tag: 'v1' });
  assert.equal(splitImageReference(`a@sha256:${'c'.repeat(64)}`), { name: 'a', tag: `sha256:${'c'.repeat(64)}` });
});

names.run();
