/**
 * Restart back-off, as the kubelet keeps it (flowcontrol.Backoff through `doBackOff` in
 * kuberuntime_manager.go), but with its state kept on the containers rather than in memory: each
 * attempt carries the back-off that was in force when it started (labels, see LABEL.backoff), so
 * an agent that restarts goes on where the last one stopped.
 *
 * - The first restart is at once; the entry then holds 10 s, measured from the finish time.
 * - Each later restart waits the entry's delay after the last finish, then doubles it, up to 300 s.
 * - An entry older than 600 s at the next finish (the container ran for about ten minutes or more)
 *   has expired: the restart is at once and the delay starts again at 10 s.
 */
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
/** Twice the cap, as the kubelet's hasExpired. */
export const BACKOFF_RESET_MS = 2 * BACKOFF_MAX_MS;

/** The delay in force (ms) and the finish time (ms since the epoch) it was measured from. */
export interface Backoff { delay: number; since: number }

export type RestartDecision =
  | { restart: true; next: Backoff }
  | { restart: false; until: number; delay: number };

/** Whether a container that finished at `finishedAt` may be started again at `now`, and the entry its next attempt carries. */
export function restartDecision(entry: Backoff | undefined, finishedAt: number, now: number): RestartDecision {
  const expired = !entry || finishedAt - entry.since > BACKOFF_RESET_MS;
  if (!expired && now - finishedAt < entry.delay) return { restart: false, until: finishedAt + entry.delay, delay: entry.delay };
  const delay = expired ? BACKOFF_INITIAL_MS : Math.min(entry.delay * 2, BACKOFF_MAX_MS);
  return { restart: true, next: { delay, since: finishedAt } };
}

/** The labels that carry an entry, and back. Seconds on the label: people read them. */
export function backoffLabels(entry: Backoff | undefined, keys: { backoff: string; backoffSince: string }): Record<string, string> {
  if (!entry) return {};
  return { [keys.backoff]: String(entry.delay / 1000), [keys.backoffSince]: new Date(entry.since).toISOString() };
}

export function backoffFrom(labels: Record<string, string> | null | undefined, keys: { backoff: string; backoffSince: string }): Backoff | undefined {
  const delay = Number(labels?.[keys.backoff]);
  const since = Date.parse(labels?.[keys.backoffSince] ?? '');
  return Number.isFinite(delay) && delay > 0 && Number.isFinite(since) ? { delay: delay * 1000, since } : undefined;
}
