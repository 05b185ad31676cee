/** Small statistics for benchmarks: every figure is reported against a baseline from the same run. */
export interface Sample { min: number; median: number; max: number; runs: number }

export function summarize(values: number[]): Sample {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)!, runs: sorted.length };
}

/** Runs `fn` once and returns elapsed milliseconds. */
export async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Alternates the candidates round by round (A B A B ...) so that noise from a shared machine hits
 * both alike, and returns each one's per-round samples.
 */
export async function interleave(rounds: number, candidates: Record<string, () => Promise<unknown>>): Promise<Record<string, Sample>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [label, fn] of Object.entries(candidates)) samples[label]!.push(await time(fn));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
}

export const fmt = (n: number, digits = 2) => n.toFixed(digits);
