import type { PodActions } from '../pod/plan.js';

/**
 * What the agent says: one line per decision, for people (`text`) or machines (`json`, one object
 * per line). Only what was decided and why: never a probe's headers or a command's output.
 */
export type LogFormat = 'text' | 'json';

export interface Decision {
  pod: string;
  /** sandbox, start, kill, wait, take-over, remove, engine, error, agent */
  action: string;
  container?: string;
  reason?: string;
  [detail: string]: unknown;
}

export type Log = (decision: Decision) => void;

export function logTo(write: (line: string) => void, format: LogFormat, clock: () => number = Date.now): Log {
  return (decision) => {
    const time = new Date(clock()).toISOString();
    if (format === 'json') return write(JSON.stringify({ time, ...decision }));
    const { pod, action, container, reason, ...rest } = decision;
    const details = Object.entries(rest).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    const subject = pod ? `pod/${pod}${container ? ` container ${container}` : ''}` : 'agent';
    write([time, subject, action, reason, ...details].filter(Boolean).join(' '));
  };
}

/**
 * The decisions in a plan worth a line. A back-off wait is said once per wait (the agent remembers
 * which it said), not at every sync while it lasts.
 */
export function decisionsOf(pod: string, actions: PodActions, saidWaits: Set<string>): Decision[] {
  const out: Decision[] = [];
  if (actions.sandbox) out.push({ pod, action: 'sandbox', reason: actions.sandbox.reason, attempt: actions.sandbox.attempt });
  for (const k of actions.kill) out.push({ pod, action: 'kill', container: k.name, reason: k.reason });
  for (const s of actions.start) {
    out.push({ pod, action: 'start', container: s.name, attempt: s.attempt, ...(s.backoff ? { nextBackoff: `${s.backoff.delay / 1000}s` } : {}) });
  }
  for (const w of actions.waiting) {
    const key = `${w.name}@${w.until}`;
    if (saidWaits.has(key)) continue;
    saidWaits.add(key);
    out.push({ pod, action: 'wait', container: w.name, reason: w.reason, backoff: `${w.delay / 1000}s`, until: new Date(w.until).toISOString() });
  }
  if (actions.takeOver.length) out.push({ pod, action: 'take-over', reason: 'EngineRestartPolicyOff', containers: actions.takeOver.length });
  return out;
}
