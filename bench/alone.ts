import { readFileSync, writeFileSync } from 'node:fs';

/**
 * A benchmark run on its own writes its section into RESULTS.md (replacing the section of the same
 * heading, or appended), labelled with how it was run; `make bench` rewrites the whole file.
 */
export function writeAloneSection(heading: string, lines: string[]): void {
  const url = new URL('RESULTS.md', import.meta.url);
  const text = readFileSync(url, 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  const section = `${heading}\n\n${lines.join('\n').trim()}\n`;
  if (start < 0) {
    writeFileSync(url, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + heading.length + 1);
  writeFileSync(url, `${text.slice(0, start + 1)}${section}${next < 0 ? '' : text.slice(next)}`);
}
