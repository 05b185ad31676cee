import { z } from 'zod';

/**
 * Kubernetes resource quantities, the subset pods use: cpu as cores or millicores (`500m`, `0.5`,
 * `2`), memory as bytes with decimal (`128M`, `1G`, `500k`) or binary (`64Mi`, `1Gi`) suffixes.
 */
const CPU = /^(\d+(?:\.\d+)?|\.\d+)(m?)$/;
const MEMORY = /^(\d+(?:\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const MEMORY_FACTORS: Record<string, number> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** CPU quantity in nano-cores (the engine's NanoCpus), or an error message. */
export function parseCpu(value: string | number): number | string {
  const text = String(value).trim();
  const match = CPU.exec(text);
  if (!match) return `invalid cpu quantity "${text}": use cores ("0.5", "2") or millicores ("500m")`;
  const cores = Number(match[1]) / (match[2] ? 1000 : 1);
  const nano = Math.round(cores * 1e9);
  if (nano < 1e6) return `cpu quantity "${text}" is below the 1m minimum`;
  return nano;
}

/** Memory quantity in bytes, or an error message. */
export function parseMemory(value: string | number): number | string {
  const text = String(value).trim();
  const match = MEMORY.exec(text);
  if (!match) return `invalid memory quantity "${text}": use bytes or a suffix such as "64Mi", "1Gi", "128M"`;
  const bytes = Math.round(Number(match[1]) * MEMORY_FACTORS[match[2] ?? '']!);
  if (bytes <= 0 || !Number.isSafeInteger(bytes)) return `memory quantity "${text}" is out of range`;
  return bytes;
}

/** CpuShares for a cpu request, as the kubelet computes them (1024 per core, at least 2). */
export function cpuShares(nanoCpus: number): number {
  return Math.max(2, Math.round((nanoCpus / 1e9) * 1024));
}

/** A quantity field of a spec: a string or a number that `parse` accepts, kept as written. */
export const quantity = (parse: (value: string | number) => number | string) =>
  z.union([z.string(), z.number()]).superRefine((value, ctx) => {
    const parsed = parse(value);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  });
