/**
 * A small incremental HTTP/1.1 parser, shared by the recorder (which parses both directions of a
 * proxied connection) and the replayer (which parses what the client under test sends). It never
 * writes anything: it only reports what crossed the wire, including how each body was framed,
 * because reproducing that framing is the whole point of a faithful replay.
 */

export type HeaderList = Array<[name: string, value: string]>;

/** How a message body is delimited on the wire. */
export type Framing = 'none' | 'length' | 'chunked' | 'close' | 'upgrade';

export interface RequestHead {
  method: string;
  target: string;
  headers: HeaderList;
}

export interface ResponseHead {
  status: number;
  reason: string;
  headers: HeaderList;
}

export interface MessageEvents<H> {
  head(head: H, framing: Framing): void;
  /** Body bytes: one whole chunk per call when chunked, whatever arrived otherwise. */
  body(data: Buffer, chunkExtension?: string): void;
  /** The message is complete (for close-delimited bodies: the connection ended). */
  end(): void;
  /** Bytes after a 101 upgrade: no longer HTTP. */
  raw?(data: Buffer): void;
}

export class HttpParseError extends Error {
  override readonly name = 'HttpParseError';
}

export function header(headers: HeaderList, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return headers.find(([key]) => key.toLowerCase() === wanted)?.[1];
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'trailers' | 'close' | 'raw' | 'hold';

const MAX_HEAD = 64 * 1024;

abstract class MessageParser<H extends { headers: HeaderList }> {
  protected state: State = 'head';
  private buffer: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private extension = '';

  constructor(protected readonly events: MessageEvents<H>) {}

  push(data: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    while (this.step());
  }

  /** The peer closed its write side: this is what ends a close-delimited body. */
  finish(): void {
    if (this.state !== 'close') return;
    this.state = 'head';
    this.events.end();
  }

  protected abstract parseStartLine(line: string, headers: HeaderList): H;
  protected abstract framingOf(head: H): Framing | 'skip';
  /** Where a parser goes once a message is complete; requests may wait for an upgrade answer. */
  protected afterMessage(): State {
    return 'head';
  }

  /** Switches to raw bytes (after a 101) and hands over whatever was already buffered. */
  protected enterRaw(): void {
    this.state = 'raw';
    while (this.step());
  }

  /** Runs one parsing step; returns whether it made progress. */
  private step(): boolean {
    switch (this.state) {
      case 'head': return this.readHead();
      case 'length': return this.readLength();
      case 'chunk-size': return this.readChunkSize();
      case 'chunk-data': return this.readChunkData();
      case 'trailers': return this.readTrailers();
      case 'close': return this.emitBuffered((data) => this.events.body(data));
      case 'raw': return this.emitBuffered((data) => this.events.raw?.(data));
      case 'hold': return false;
    }
  }

  private readHead(): boolean {
    // RFC 9112 2.2: a server should ignore empty lines received before a request line.
    let start = 0;
    while (this.buffer[start] === 0x0d && this.buffer[start + 1] === 0x0a) start += 2;
    const end = this.buffer.indexOf('\r\n\r\n', start);
    if (end < 0) {
      if (this.buffer.length > MAX_HEAD) throw new HttpParseError(`message head larger than ${MAX_HEAD} bytes`);
      return false;
    }
    const lines = this.buffer.subarray(start, end).toString('latin1').split('\r\n');
    this.buffer = this.buffer.subarray(end + 4);
    const headers: HeaderList = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new HttpParseError(`malformed header line ${JSON.stringify(line)}`);
      headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
    const head = this.parseStartLine(lines[0] ?? '', headers);
    const framing = this.framingOf(head);
    if (framing === 'skip') return true;
    this.events.head(head, framing);
    this.enterBody(framing, head.headers);
    return true;
  }

  private enterBody(framing: Framing, headers: HeaderList): void {
    if (framing === 'length') {
      this.remaining = Number(header(headers, 'content-length'));
      if (!Number.isSafeInteger(this.remaining) || this.remaining < 0) throw new HttpParseError('invalid Content-Length');
      this.state = 'length';
      if (this.remaining === 0) this.complete();
    } else if (framing === 'chunked') {
      this.state = 'chunk-size';
    } else if (framing === 'close') {
      this.state = 'close';
    } else if (framing === 'upgrade') {
      this.state = 'raw';
    } else {
      this.complete();
    }
  }

  private complete(): void {
    this.state = this.afterMessage();
    this.events.end();
  }

  private readLength(): boolean {
    if (!this.buffer.length) return false;
    const data = this.buffer.subarray(0, this.remaining);
    this.buffer = this.buffer.subarray(data.length);
    this.remaining -= data.length;
    this.events.body(data);
    if (this.remaining === 0) this.complete();
    return true;
  }

  private readLine(): string | undefined {
    const end = this.buffer.indexOf('\r\n');
    if (end < 0) {
      if (this.buffer.length > MAX_HEAD) throw new HttpParseError('line too long');
      return undefined;
    }
    const line = this.buffer.subarray(0, end).toString('latin1');
    this.buffer = this.buffer.subarray(end + 2);
    return line;
  }

  private readChunkSize(): boolean {
    const line = this.readLine();
    if (line === undefined) return false;
    const semi = line.indexOf(';');
    const size = (semi < 0 ? line : line.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]+$/.test(size)) throw new HttpParseError(`invalid chunk size ${JSON.stringify(line)}`);
    this.remaining = parseInt(size, 16);
    this.extension = semi < 0 ? '' : line.slice(semi + 1);
    this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
    return true;
  }

  private readChunkData(): boolean {
    if (this.buffer.length < this.remaining + 2) return false;
    if (this.buffer[this.remaining] !== 0x0d || this.buffer[this.remaining + 1] !== 0x0a) {
      throw new HttpParseError('chunk not followed by CRLF');
    }
    const data = this.buffer.subarray(0, this.remaining);
    this.buffer = this.buffer.subarray(this.remaining + 2);
    this.state = 'chunk-size';
    this.events.body(data, this.extension || undefined);
    return true;
  }

  private readTrailers(): boolean {
    const line = this.readLine();
    if (line === undefined) return false;
    if (line === '') this.complete();
    return true;
  }

  private emitBuffered(emit: (data: Buffer) => void): boolean {
    if (!this.buffer.length) return false;
    const data = this.buffer;
    this.buffer = Buffer.alloc(0);
    emit(data);
    return true;
  }
}

/** Parses what a client sends. After a request asking for an upgrade it holds until told the answer. */
export class RequestParser extends MessageParser<RequestHead> {
  private upgradeRequested = false;

  protected parseStartLine(line: string, headers: HeaderList): RequestHead {
    const match = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line);
    if (!match) throw new HttpParseError(`malformed request line ${JSON.stringify(line)}`);
    return { method: match[1]!, target: match[2]!, headers };
  }

  protected framingOf(head: RequestHead): Framing {
    const connection = header(head.headers, 'connection')?.toLowerCase() ?? '';
    this.upgradeRequested = header(head.headers, 'upgrade') !== undefined && connection.includes('upgrade');
    if (/chunked/i.test(header(head.headers, 'transfer-encoding') ?? '')) return 'chunked';
    return header(head.headers, 'content-length') === undefined ? 'none' : 'length';
  }

  // Bytes a client sends after an upgrade request are either raw stream data (101) or the next
  // request (any other answer), and only the response can tell which: so wait for it.
  protected override afterMessage(): State {
    return this.upgradeRequested ? 'hold' : 'head';
  }

  /** The server answered 101: everything from here on is raw. */
  upgrade(): void {
    if (this.state === 'hold') this.enterRaw();
  }

  /** The server refused the upgrade: carry on parsing requests. */
  resume(): void {
    if (this.state !== 'hold') return;
    this.state = 'head';
    this.push(Buffer.alloc(0));
  }
}

/** Parses what a server answers; it must be told each request's method (a HEAD answer has no body). */
export class ResponseParser extends MessageParser<ResponseHead> {
  private readonly methods: string[] = [];

  expect(method: string): void {
    this.methods.push(method);
  }

  protected parseStartLine(line: string, headers: HeaderList): ResponseHead {
    const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(line);
    if (!match) throw new HttpParseError(`malformed status line ${JSON.stringify(line)}`);
    return { status: Number(match[1]), reason: match[2] ?? '', headers };
  }

  protected framingOf(head: ResponseHead): Framing | 'skip' {
    // Interim answers (100 Continue) precede the real one and carry no body.
    if (head.status >= 100 && head.status < 200 && head.status !== 101) return 'skip';
    const method = this.methods.shift();
    if (head.status === 101) return 'upgrade';
    if (method === 'HEAD' || head.status === 204 || head.status === 304) return 'none';
    if (/chunked/i.test(header(head.headers, 'transfer-encoding') ?? '')) return 'chunked';
    return header(head.headers, 'content-length') === undefined ? 'close' : 'length';
  }
}
