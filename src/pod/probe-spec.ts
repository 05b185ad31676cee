import { z } from 'zod';

/**
 * Kubernetes' container probes, checked strictly and with Kubernetes' defaults filled in, so the
 * prober never applies one itself. Checks that need the container (a port given by name) are in
 * spec.ts, where the container is known.
 */
export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** The handlers a probe may have, exactly one of them. */
export const PROBE_HANDLERS = ['httpGet', 'tcpSocket', 'exec'] as const;

const atLeast = (min: number) => z.number().int('must be a whole number').min(min, `must be at least ${min}`);

/**
 * A port number, or the name of one of the container's `ports` (resolved by `probePort`). A quoted
 * number (`"8080"` in YAML) is a name, as in Kubernetes, and then names no port.
 */
const PortRef = z.union([z.number(), z.string()], { error: 'must be a port number or the name of one of the container\'s ports' })
  .superRefine((port, ctx) => {
    if (typeof port === 'number' && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
      ctx.addIssue({ code: 'custom', message: `port ${port} is out of range: must be 1-65535` });
    }
  });

// Kubernetes defaults `host` to the pod IP, which is the only address the agent probes. Accepting
// another host and probing the pod IP anyway would be a silent lie, so it is refused.
const NoHost = z.never({ error: 'not supported: the pod\'s IP is probed; to name a virtual host, set a "Host" header in httpHeaders' }).optional();

export const HTTPGetAction = z.strictObject({
  path: z.string().startsWith('/', 'must start with "/"').default('/'),
  port: PortRef,
  host: NoHost,
  scheme: z.enum(['HTTP', 'HTTPS'], { error: 'must be "HTTP" or "HTTPS"' }).default('HTTP'),
  httpHeaders: z.array(z.strictObject({
    name: z.string().regex(/^[-A-Za-z0-9]+$/, 'must be an HTTP header name: letters, digits and \'-\''),
    value: z.string(),
  })).optional(),
});
export type HTTPGetAction = z.infer<typeof HTTPGetAction>;

export const TCPSocketAction = z.strictObject({ port: PortRef, host: NoHost });
export type TCPSocketAction = z.infer<typeof TCPSocketAction>;

// The Engine API cannot kill a running exec, so a timed-out exec probe keeps running unless the
// command bounds itself (FIELD-NOTES.md); nothing here can check that.
export const ExecAction = z.strictObject({ command: z.array(z.string()).min(1, 'an exec probe needs a command') });
export type ExecAction = z.infer<typeof ExecAction>;

const probeShape = {
  httpGet: HTTPGetAction.optional(),
  tcpSocket: TCPSocketAction.optional(),
  exec: ExecAction.optional(),
  grpc: z.never({ error: 'grpc probes are not supported: use httpGet, tcpSocket or exec' }).optional(),
  initialDelaySeconds: atLeast(0).default(0),
  periodSeconds: atLeast(1).default(10),
  timeoutSeconds: atLeast(1).default(1),
  successThreshold: atLeast(1).default(1),
  failureThreshold: atLeast(1).default(3),
  /** Overrides the pod's grace period when a failed liveness or startup probe stops the container. */
  terminationGracePeriodSeconds: atLeast(1).optional(),
};

/** The schema of one kind of probe: the same shape for all three, with the rules of each kind. */
export function probeSchema(kind: ProbeKind) {
  return z.strictObject(probeShape).superRefine((probe, ctx) => {
    const handlers = PROBE_HANDLERS.filter((h) => probe[h] !== undefined);
    if (handlers.length === 0) {
      // `fields` lets a misspelt handler (`httpget`) be reported once, as the misspelling.
      ctx.addIssue({ code: 'custom', message: 'a probe needs one handler: httpGet, tcpSocket or exec', params: { fields: PROBE_HANDLERS } });
    } else if (handlers.length > 1) {
      ctx.addIssue({ code: 'custom', message: `a probe takes exactly one handler, not ${handlers.join(' and ')}` });
    }
    if (kind !== 'readiness' && probe.successThreshold !== 1) {
      ctx.addIssue({ code: 'custom', path: ['successThreshold'], message: `must be 1 for a ${kind} probe` });
    }
    if (kind === 'readiness' && probe.terminationGracePeriodSeconds !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['terminationGracePeriodSeconds'], message: 'not allowed on a readiness probe: a failing one stops nothing' });
    }
  });
}
export type Probe = z.infer<ReturnType<typeof probeSchema>>;

/** The container fields that hold each kind of probe. */
export const PROBE_FIELDS = { liveness: 'livenessProbe', readiness: 'readinessProbe', startup: 'startupProbe' } as const;

/** A probe's one handler, tagged, so the prober can switch on it. */
export type ProbeHandler =
  | { type: 'httpGet'; httpGet: HTTPGetAction }
  | { type: 'tcpSocket'; tcpSocket: TCPSocketAction }
  | { type: 'exec'; exec: ExecAction };

export function probeHandler(probe: Probe): ProbeHandler {
  if (probe.httpGet) return { type: 'httpGet', httpGet: probe.httpGet };
  if (probe.tcpSocket) return { type: 'tcpSocket', tcpSocket: probe.tcpSocket };
  if (probe.exec) return { type: 'exec', exec: probe.exec };
  throw new Error('probe without a handler: not parsed by parsePod'); // the schema refuses it
}

interface WithPorts { ports?: ReadonlyArray<{ name?: string | undefined; containerPort: number }> | undefined }

/** The port a probe's name or number stands for, in this container (names are checked by parsePod). */
export function probePort(container: WithPorts, port: number | string): number {
  if (typeof port === 'number') return port;
  const found = container.ports?.find((p) => p.name === port);
  if (!found) throw new Error(`no port named "${port}" in the container: not parsed by parsePod`);
  return found.containerPort;
}

/** Where a named port does not resolve: the problem to report, or undefined when it does. */
export function unresolvedPort(container: WithPorts, port: number | string): string | undefined {
  if (typeof port === 'number' || container.ports?.some((p) => p.name === port)) return undefined;
  const names = (container.ports ?? []).flatMap((p) => (p.name ? [`"${p.name}"`] : []));
  const hint = /^\d+$/.test(port) ? '; a port number is written without quotes' : '';
  return `no port named "${port}" in this container's ports (${names.length ? `named: ${names.join(', ')}` : 'none is named'})${hint}`;
}
