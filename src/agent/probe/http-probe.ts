import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HTTPGetAction } from '../../pod/probe-spec.js';
import { failure, SUCCESS, type ProbeOutcome } from './outcome.js';
import { transportReason } from './transport-reason.js';

/** Sent unless the probe names its own, as the kubelet sends `kube-probe/<version>`. */
export const PROBE_USER_AGENT = 'podling-probe/1';

/** The kubelet reads at most 10 KiB of a probe's answer; the body is never looked at. */
export const HTTP_BODY_CAP = 10 * 1024;

/**
 * One HTTP GET from this process to `http(s)://address:port/path`, as the kubelet's http prober:
 * 200-399 is success, any other status, a transport error or an abort is a failure (the caller's
 * deadline aborts through `signal`, and run.ts turns that into a timeout). Resolves, never rejects.
 *
 * - No connection reuse (`agent: false`): the kubelet disables keep-alive for probes too, and a
 *   pooled socket to a container that was replaced would probe nothing.
 * - HTTPS without certificate verification: containers serve self-signed certificates.
 * - Redirects are not followed at all, so a 3xx is a success wherever it points: the kubelet only
 *   follows redirects to the same host and counts one to another host as a success; not following
 *   any keeps this process from ever being sent somewhere else.
 * - Answers are parsed as leniently as Go parses them (bare-LF header lines).
 * - The reason never holds a header's value or the body.
 */
export async function httpProbe(action: HTTPGetAction, address: string, port: number, signal: AbortSignal): Promise<ProbeOutcome> {
  const answer = await httpGet(action, address, port, signal, PROBE_USER_AGENT);
  return 'failure' in answer ? failure(answer.failure) : statusOutcome(answer.status);
}

/**
 * The GET itself, as described above: the answer's status, or why there was none. Lifecycle hooks
 * (pod/hooks.ts) send it too: for them any answer counts, as for the kubelet.
 */
export function httpGet(action: HTTPGetAction, address: string, port: number, signal: AbortSignal, userAgent: string): Promise<{ status: number } | { failure: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: { status: number } | { failure: string }) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      req?.destroy();
      resolve(outcome);
    };
    const onAbort = () => done({ failure: 'aborted' });
    let req: ReturnType<typeof httpRequest> | undefined;
    try {
      const send = action.scheme === 'HTTPS' ? httpsRequest : httpRequest;
      req = send({
        host: address, port, path: action.path, method: 'GET', agent: false, headers: headersOf(action, userAgent),
        // Go's client (the kubelet's) reads header lines ending in a bare LF, which small servers
        // send (busybox httpd passes a CGI's LF-only headers through); llhttp refuses them unless
        // lenient. The lenient parser's risk is request smuggling through a proxy: an answer read
        // for its status and thrown away, never forwarded, carries none.
        insecureHTTPParser: true,
        ...(action.scheme === 'HTTPS' && { rejectUnauthorized: false }),
      });
    } catch (err) {
      // Node checks header names and values before sending: a value with a newline lands here.
      return done({ failure: invalidRequest(err) });
    }
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => done({ failure: transportReason(err) }));
    req.on('response', (res) => void readCapped(res).then(
      () => done({ status: res.statusCode ?? 0 }),
      (err: unknown) => done({ failure: transportReason(err) }),
    ));
    req.end();
  });
}

function statusOutcome(status: number): ProbeOutcome {
  return status >= 200 && status < 400 ? SUCCESS : failure(`HTTP probe failed with statuscode: ${status}`);
}

/** The probe's headers, repeated names kept (as Go's Header.Add), and the User-Agent unless it sets one. */
function headersOf(action: HTTPGetAction, userAgent: string): OutgoingHttpHeaders {
  // By lower-case name, each with the spelling it was first given in (reasons name the header so).
  const headers = new Map<string, { name: string; values: string[] }>();
  const add = (name: string, value: string) => {
    const entry = headers.get(name.toLowerCase());
    if (entry) entry.values.push(value);
    else headers.set(name.toLowerCase(), { name, values: [value] });
  };
  for (const { name, value } of action.httpHeaders ?? []) add(name, value);
  if (!headers.has('user-agent')) add('User-Agent', userAgent);
  if (!headers.has('accept')) add('Accept', '*/*');
  return Object.fromEntries([...headers.values()].map(({ name, values }) => [name, values.length === 1 ? values[0]! : values]));
}

/** Reads up to HTTP_BODY_CAP bytes and drops them; the rest is never read (the socket is destroyed). */
function readCapped(res: IncomingMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size >= HTTP_BODY_CAP) resolve();
    });
    res.on('end', () => resolve());
    res.on('error', reject);
    // After 'end' or the cap this does nothing: the promise is settled already.
    res.on('close', () => reject(Object.assign(new Error('connection closed mid-answer'), { code: 'ECONNRESET' })));
  });
}

/** Node's own message names the header, never its value; anything else is said without detail. */
function invalidRequest(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  const header = /\["?([-\w]+)"?\]/.exec((err as Error)?.message ?? '')?.[1];
  if (code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN') return `invalid HTTP header${header ? ` ${header}` : ''}: the probe cannot be sent`;
  return `the probe cannot be sent (${typeof code === 'string' ? code : 'invalid request'})`;
}
