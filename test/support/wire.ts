import { createConnection, type Socket } from 'node:net';
import { ConnectionTap } from '../../src/testing/recorder.js';
import type { Exchange } from '../../src/testing/exchange.js';
import { ResponseParser } from '../../src/testing/http1.js';

/** Bytes on the wire, for tests that check what a server sends exactly. */

export const bytes = (text: string) => Buffer.from(text, 'latin1');

/** What the recorder would have made of one connection's traffic, without a socket. */
export function tapped(steps: Array<['client' | 'engine', Buffer | string] | ['client-end' | 'engine-end']>): Exchange[] {
  const exchanges: Exchange[] = [];
  const tap = new ConnectionTap((exchange) => exchanges.push(exchange));
  for (const [step, data] of steps) {
    const chunk = typeof data === 'string' ? bytes(data) : data!;
    if (step === 'client') tap.fromClient(chunk);
    else if (step === 'engine') tap.fromEngine(chunk);
    else if (step === 'client-end') tap.clientEnded();
    else tap.engineEnded();
  }
  if (tap.failure) throw new Error(tap.failure);
  return exchanges;
}

export function connect(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: socketPath, allowHalfOpen: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Sends one request on a fresh connection and returns every byte of the answer: up to the end of
 * the response as framed, or to the server's close for close-delimited and hijacked answers.
 */
export async function roundTrip(socketPath: string, request: Buffer | string, method = 'GET'): Promise<Buffer> {
  const socket = await connect(socketPath);
  const received: Buffer[] = [];
  const parser = new ResponseParser({ head() {}, body() {}, end: () => socket.end(), raw() {} });
  parser.expect(method);
  return new Promise((resolve, reject) => {
    socket.on('data', (data: Buffer) => {
      received.push(data);
      parser.push(data);
    });
    socket.on('end', () => {
      parser.finish();
      socket.end();
    });
    socket.on('close', () => resolve(Buffer.concat(received)));
    socket.on('error', reject);
    socket.write(typeof request === 'string' ? bytes(request) : request);
  });
}
