import type { ProgressMessage } from '../engine/streams/progress.js';

/**
 * Pull progress: one redrawn bar per layer on a terminal, plain lines otherwise (logs and CI must
 * not fill with carriage returns). Goes to stderr so stdout stays parseable.
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (image: string, m: ProgressMessage) => void {
  if (!stream.isTTY) {
    const seen = new Set<string>();
    return (image, m) => {
      const line = `${image}: ${m.id ? `${m.id}: ` : ''}${m.status ?? ''}`;
      if (m.progressDetail?.total || seen.has(line)) return; // byte counts are noise in a log
      seen.add(line);
      stream.write(`${line}\n`);
    };
  }
  const rows = new Map<string, number>();
  return (image, m) => {
    const key = `${image} ${m.id ?? ''}`;
    const detail = m.progressDetail;
    const bar = detail?.total ? progressBar((detail.current ?? 0) / detail.total) : '';
    const text = `${image}${m.id ? ` ${m.id}` : ''}: ${m.status ?? ''} ${bar}`.slice(0, (stream.columns ?? 100) - 1);
    if (!rows.has(key)) {
      rows.set(key, rows.size);
      stream.write(`${text}\n`);
      return;
    }
    const up = rows.size - rows.get(key)!;
    stream.write(`\x1b[${up}A\r\x1b[2K${text}\x1b[${up}B\r`);
  };
}

function progressBar(fraction: number, width = 24): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(fraction * 100)}%`;
}
