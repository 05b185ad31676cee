import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RequestParser, ResponseParser, type Framing, type RequestHead, type ResponseHead } from '../../src/testing/http1.js';

const http1 = suite('testing/http1');

interface Message<H> { head: H; framing: Framing; body: string[]; ended: boolean }

function collect<H>() {
  const messages: Array<Message<H>> = [];
  const raw: string[] = [];
  const events = {
    head: (head: H, framing: Framing) => { messages.push({ head, framing, body: [], ended: false }); },
    body: (data: Buffer) => { messages.at(-1)!.body.push(data.toString('latin1')); },
    end: () => { messages.at(-1)!.ended = true; },
    raw: (data: Buffer) => { raw.push(data.toString('latin1')); },
  };
  return { messages, raw, events };
}

/** Feeds `wire` in pieces of every size from 1 byte up: the parse must not depend on read sizes. */
function everySplit(wire: string, run: (feed: (push: (data: Buffer) => void) => void) => void): void {
  for (let size = 1; size <= wire.length; size++) {
    run((push) => {
      for (let at = 0; at < wire.length; at += size) push(Buffer.from(wire.slice(at, at + size), 'latin1'));
    });
  }
}

const CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'
  + '5;name=value\r\n{"a":\r\n' + '3\r\n1}\n\r\n' + '0\r\nX-Trailer: yes\r\n\r\n';

http1('a chunked response keeps its chunk boundaries, whatever the read sizes, extensions and trailers included', () => {
  everySplit(CHUNKED, (feed) => {
    const { messages, events } = collect<ResponseHead>();
    const parser = new ResponseParser(events);
    parser.expect('GET');
    feed((data) => parser.push(data));
    assert.is(messages.length, 1);
    assert.is(messages[0]!.framing, 'chunked');
    assert.equal(messages[0]!.body, ['{"a":', '1}\n']);
    assert.ok(messages[0]!.ended);
  });
});

http1('keep-alive: several requests in sequence on one connection, with and without bodies', () => {
  const wire = 'GET /_ping HTTP/1.1\r\nHost: localhost\r\n\r\n'
    + 'POST /v1.41/containers/create?name=x HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"Image":"a"}'
    + 'POST /v1.41/images/load HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
  everySplit(wire, (feed) => {
    const { messages, events } = collect<RequestHead>();
    const parser = new RequestParser(events);
    feed((data) => parser.push(data));
    assert.equal(messages.map((m) => [m.head.method, m.head.target, m.framing, m.body.join(''), m.ended]), [
      ['GET', '/_ping', 'none', '', true],
      ['POST', '/v1.41/containers/create?name=x', 'length', '{"Image":"a"}', true],
      ['POST', '/v1.41/images/load', 'chunked', 'abc', true],
    ]);
  });
});

http1('a HEAD answer has no body even with a Content-Length, and the next answer follows at once', () => {
  const wire = 'HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nX-Docker-Container-Path-Stat: e30=\r\n\r\n'
    + 'HTTP/1.1 204 No Content\r\n\r\n'
    + 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK';
  everySplit(wire, (feed) => {
    const { messages, events } = collect<ResponseHead>();
    const parser = new ResponseParser(events);
    for (const method of ['HEAD', 'POST', 'GET']) parser.expect(method);
    feed((data) => parser.push(data));
    assert.equal(messages.map((m) => [m.head.status, m.framing, m.body.join(''), m.ended]), [
      [200, 'none', '', true],
      [204, 'none', '', true],
      [200, 'length', 'OK', true],
    ]);
  });
});

http1('a body with neither length nor chunking ends when the connection does', () => {
  const { messages, events } = collect<ResponseHead>();
  const parser = new ResponseParser(events);
  parser.expect('POST');
  parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nab'));
  parser.push(Buffer.from('cd'));
  assert.is(messages[0]!.framing, 'close');
  assert.not.ok(messages[0]!.ended);
  parser.finish();
  assert.equal(messages[0]!.body.join(''), 'abcd');
  assert.ok(messages[0]!.ended);
});

http1('101: the engine\'s bytes after the head, even in the same read, are raw stream data', () => {
  const { messages, raw, events } = collect<ResponseHead>();
  const parser = new ResponseParser(events);
  parser.expect('POST');
  parser.push(Buffer.from('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n\x01\x00\x00\x00\x00\x00\x00\x02hi'));
  parser.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'));
  assert.equal([messages[0]!.head.status, messages[0]!.head.reason, messages[0]!.framing], [101, 'UPGRADED', 'upgrade']);
  assert.equal(raw.join(''), '\x01\x00\x00\x00\x00\x00\x00\x02hiHTTP/1.1 200 OK\r\n\r\n');
});

http1('after an upgrade request, the client\'s next bytes wait for the answer: raw on 101, requests otherwise', () => {
  const request = 'POST /v1.41/exec/e/start HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 2\r\n\r\n{}';
  const upgraded = collect<RequestHead>();
  const parser = new RequestParser(upgraded.events);
  parser.push(Buffer.from(`${request}stdin`));
  assert.equal(upgraded.raw, []);
  parser.upgrade();
  parser.push(Buffer.from(' more'));
  assert.equal(upgraded.raw.join(''), 'stdin more');

  const refused = collect<RequestHead>();
  const other = new RequestParser(refused.events);
  other.push(Buffer.from(`${request}GET /_ping HTTP/1.1\r\n\r\n`));
  assert.is(refused.messages.length, 1);
  other.resume();
  assert.equal(refused.messages.map((m) => m.head.target), ['/v1.41/exec/e/start', '/_ping']);
});

http1('malformed input is an error, not a guess', () => {
  const parser = new ResponseParser(collect<ResponseHead>().events);
  parser.expect('GET');
  assert.throws(() => parser.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')), /chunk size/);
});

http1.run();
