/** The shape of a result row, and how rows become markdown tables. */
import { fmt, type Sample } from './stats.js';

export interface Baseline {
  name: string;
  sample: Sample;
  /** Podling's median over this baseline's median (for throughput: Podling's over the baseline's). */
  ratio: number;
  /** Median over rounds of the ratio within a round, where the two ran back to back. */
  paired?: number;
}

export interface Target {
  /** e.g. `≤ 1.1× bare undici Client` */
  text: string;
  met: boolean;
  /** What the verdict was taken from: the ratio and how it was computed. */
  evidence: string;
}

export interface Row {
  section: string;
  case: string;
  unit: string;
  podling: Sample;
  baselines: Baseline[];
  target?: Target;
  note?: string;
}

/** A row's baseline, its ratio computed from medians (Podling / baseline). */
export function baseline(name: string, podling: Sample, sample: Sample, paired?: number): Baseline {
  return { name, sample, ratio: podling.median / sample.median, ...(paired === undefined ? {} : { paired }) };
}

const num = (n: number, unit: string) => `${Number.isInteger(n) ? String(n) : fmt(n, Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2)} ${unit}`.trim();

/** One table per section: case, Podling, one column per baseline (median and ratio), target, runs, spread. */
export function tables(rows: Row[]): string {
  const out: string[] = [];
  const sections = [...new Set(rows.map((r) => r.section))];
  for (const section of sections) {
    const mine = rows.filter((r) => r.section === section);
    const columns = [...new Set(mine.flatMap((r) => r.baselines.map((b) => b.name)))];
    out.push(`### ${section}`, '');
    out.push(`| case | Podling (median) | ${columns.map((c) => `${c} (median, Podling ratio) | `).join('')}target | met | runs | Podling min / median / max |`);
    out.push(`|---|---|${columns.map(() => '---|').join('')}---|---|---|---|`);
    for (const r of mine) {
      const cells = columns.map((c) => {
        const b = r.baselines.find((x) => x.name === c);
        if (!b) return '';
        if (!Number.isFinite(b.ratio)) return num(b.sample.median, r.unit);
        return `${num(b.sample.median, r.unit)} (**${fmt(b.ratio)}×**${b.paired === undefined ? '' : `, paired ${fmt(b.paired)}×`})`;
      });
      const runs = [r.podling.runs, ...r.baselines.map((b) => b.sample.runs)];
      const runText = runs.every((n) => n === runs[0]) ? String(runs[0]) : runs.join('/');
      out.push(`| ${r.case}${r.note ? ` — ${r.note}` : ''} | ${num(r.podling.median, r.unit)} | ${cells.map((c) => `${c} | `).join('')}${r.target?.text ?? '—'} | ${r.target ? (r.target.met ? 'yes' : '**NO**') : '—'} | ${runText} | ${fmt(r.podling.min)} / ${fmt(r.podling.median)} / ${fmt(r.podling.max)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** The targets, each met or not, with what the verdict rests on. */
export function targetList(rows: Row[], extra: Array<{ name: string; target: Target }> = []): string {
  const items = [...rows.filter((r) => r.target).map((r) => ({ name: r.case, target: r.target! })), ...extra];
  return items.map((i) => `- ${i.target.met ? '✅ met' : '❌ **not met**'}: ${i.name}, target ${i.target.text}: ${i.target.evidence}`).join('\n');
}
