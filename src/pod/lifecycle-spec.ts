import { posix } from 'node:path';
import { z } from 'zod';
import { tableShape } from './fields.js';
import { HTTPGetAction, unresolvedPort } from './probe-spec.js';

/**
 * A container's lifecycle (postStart and preStop hooks, the stop signal) and its termination
 * message, checked strictly. Defaults are not filled in here but where they are used (hooks.ts,
 * termination.ts): a default in the parsed spec would change every stored spec and its hash, and
 * so make every running container look changed to an agent.
 */

/** The handlers a hook may have, exactly one of them (tcpSocket is refused in the table, fields.ts). */
export const HOOK_HANDLERS = ['exec', 'httpGet', 'sleep'] as const;

const HookExec = z.strictObject({ command: z.array(z.string()).min(1, 'an exec hook needs a command') });
const SleepAction = z.strictObject({ seconds: z.number().int('must be a whole number').min(0, 'must be at least 0') });

export const LifecycleHandler = z.strictObject({
  exec: HookExec.optional(),
  httpGet: HTTPGetAction.optional(),
  sleep: SleepAction.optional(),
  ...tableShape('LifecycleHandler'),
}).superRefine((handler, ctx) => {
  const given = HOOK_HANDLERS.filter((h) => handler[h] !== undefined);
  // A tcpSocket handler is refused by the table already: one problem for it, not a second one.
  if (given.length === 0 && (handler as { tcpSocket?: unknown }).tcpSocket === undefined) {
    ctx.addIssue({ code: 'custom', message: 'a hook needs one handler: exec, httpGet or sleep', params: { fields: HOOK_HANDLERS } });
  } else if (given.length > 1) {
    ctx.addIssue({ code: 'custom', message: `a hook takes exactly one handler, not ${given.join(' and ')}` });
  }
});
export type LifecycleHandler = z.infer<typeof LifecycleHandler>;

/**
 * The signals Kubernetes allows as a Linux container's stopSignal (its API's own list): each is
 * also a name the engine's StopSignal takes.
 */
export const STOP_SIGNALS = [
  'SIGABRT', 'SIGALRM', 'SIGBUS', 'SIGCHLD', 'SIGCLD', 'SIGCONT', 'SIGFPE', 'SIGHUP', 'SIGILL', 'SIGINT', 'SIGIO', 'SIGIOT',
  'SIGKILL', 'SIGPIPE', 'SIGPOLL', 'SIGPROF', 'SIGPWR', 'SIGQUIT', 'SIGSEGV', 'SIGSTKFLT', 'SIGSTOP', 'SIGSYS', 'SIGTERM',
  'SIGTRAP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGUSR1', 'SIGUSR2', 'SIGVTALRM', 'SIGWINCH', 'SIGXCPU', 'SIGXFSZ',
  'SIGRTMIN', ...Array.from({ length: 15 }, (_, i) => `SIGRTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `SIGRTMAX-${14 - i}`), 'SIGRTMAX',
] as const;

export const Lifecycle = z.strictObject({
  postStart: LifecycleHandler.optional(),
  preStop: LifecycleHandler.optional(),
  stopSignal: z.enum(STOP_SIGNALS, { error: 'must be a signal name such as SIGTERM, SIGINT or SIGQUIT' }).optional(),
  ...tableShape('Lifecycle'),
});
export type Lifecycle = z.infer<typeof Lifecycle>;

/** The container fields this module adds to the container's schema (spec.ts spreads them in). */
export const lifecycleShape = {
  lifecycle: Lifecycle.optional(),
  // Read back through the archive API from the stopped container, so it must name a file there.
  terminationMessagePath: z.string().max(4096).refine((p) => p.startsWith('/') && posix.normalize(p) === p && !p.endsWith('/') && !p.includes(':'), {
    message: 'must be an absolute path to a file, with no ".." or "//" and no \':\'',
  }).optional(),
  terminationMessagePolicy: z.enum(['File', 'FallbackToLogsOnError'], { error: 'must be "File" or "FallbackToLogsOnError"' }).optional(),
};

/** The pod-level field: seconds a delete gives its containers (preStop hooks included). */
export const terminationGracePeriodSeconds = z.number().int('must be a whole number').min(0, 'must be at least 0').optional();

interface HookedContainer {
  lifecycle?: Lifecycle | undefined;
  ports?: ReadonlyArray<{ name?: string | undefined; containerPort: number }> | undefined;
}

/**
 * In a container's refinement: an httpGet hook's named port must be one of the container's; a
 * stopSignal needs the pod's `spec.os.name` (checked in the pod's refinement, `checkStopSignals`).
 */
export function checkHooks(c: HookedContainer, ctx: z.RefinementCtx) {
  for (const hook of ['postStart', 'preStop'] as const) {
    const port = c.lifecycle?.[hook]?.httpGet?.port;
    const problem = port === undefined ? undefined : unresolvedPort(c, port);
    if (problem) ctx.addIssue({ code: 'custom', path: ['lifecycle', hook, 'httpGet', 'port'], message: problem });
  }
}

/**
 * As Kubernetes validates it: a stopSignal is only allowed in a pod that names its OS (the signal
 * list is the OS's). A manifest Podling takes must also be one `kubectl apply` would take.
 */
export function checkStopSignals(spec: { os?: unknown; containers: HookedContainer[]; initContainers?: HookedContainer[] | undefined }, ctx: z.RefinementCtx) {
  const os = (spec.os as { name?: unknown } | undefined)?.name;
  for (const [list, containers] of [['initContainers', spec.initContainers ?? []], ['containers', spec.containers]] as const) {
    containers.forEach((c, i) => {
      if (c.lifecycle?.stopSignal === undefined) return;
      if (os === undefined) ctx.addIssue({ code: 'custom', path: [list, i, 'lifecycle', 'stopSignal'], message: 'needs spec.os.name (as Kubernetes requires): set spec.os.name: linux' });
      else if (os !== 'linux') ctx.addIssue({ code: 'custom', path: [list, i, 'lifecycle', 'stopSignal'], message: `spec.os.name is "${String(os)}": the engine runs Linux containers` });
    });
  }
}
