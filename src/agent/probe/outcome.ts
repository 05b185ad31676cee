/**
 * What one probe run says about a container. A failure carries a short reason made by the prober
 * itself (`HTTP probe failed with statuscode: 503`, `timeout after 1s`): never a probe's headers,
 * and never more than the first few dozen characters of an exec probe's output, because reasons
 * end up in logs and in pod status, which anyone who can read the pod sees.
 */
export type ProbeOutcome = { result: 'success' } | { result: 'failure'; reason: string };

export const SUCCESS: ProbeOutcome = Object.freeze({ result: 'success' });

/** The longest reason a probe reports; longer text is cut. */
export const REASON_MAX = 120;

/** A failure with `reason` on one line, cut to REASON_MAX characters. */
export function failure(reason: string): ProbeOutcome {
  return { result: 'failure', reason: oneLine(reason, REASON_MAX) };
}

/** Whitespace runs (newlines included) as one space, trimmed, cut to `max` characters with `…`. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
