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

/** The items turned by `by` places: round r starts with candidate r mod n. */
export const rotate = <T>(items: T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length]!);

/**
 * Alternates the candidates round by round, the order rotating each round (A B C, B C A, ...), so
 * that noise from a shared machine and the position in a round hit every candidate alike. Returns
 * each one's per-round samples (ms).
 */
export async function interleaveRaw(rounds: number, candidates: Record<string, () => Promise<unknown>>): Promise<Record<string, number[]>> {
  const names = Object.keys(candidates);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of rotate(names, round)) samples[name]!.push(await time(candidates[name]!));
  }
  return samples;
}

export async function interleave(rounds: number, candidates: Record<string, () => Promise<unknown>>): Promise<Record<string, Sample>> {
  const samples = await interleaveRaw(rounds, candidates);
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
}

/** Median over rounds of a / b within each round: the two ran back to back, so drifting load cancels. */
export function pairedRatio(a: number[], b: number[]): number {
  return summarize(a.map((x, i) => x / b[i]!)).median;
}

/** A sample of times (ms per `per` operations) turned into operations per second, min and max swapped. */
export function perSecond(s: Sample, per = 1): Sample {
  return { min: per / (s.max / 1000), median: per / (s.median / 1000), max: per / (s.min / 1000), runs: s.runs };
}

/** Every value of a sample scaled. */
export function scale(s: Sample, by: number): Sample {
  return { min: s.min * by, median: s.median * by, max: s.max * by, runs: s.runs };
}

export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
