import { readFileSync, writeFileSync } from 'node:fs';
import { podling } from './lib.js';

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

/** `Docker VERSION (API V)` of the engine at `socketPath`, or `Docker ?` when it does not answer. */
export async function engineVersion(socketPath: string): Promise<string> {
  const engine = new podling.Engine({ socketPath });
  try {
    const v = await engine.system.version();
    return `Docker ${v.Version} (API ${v.ApiVersion})`;
  } catch {
    return 'Docker ?';
  } finally {
    await engine.close();
  }
}

/** How a benchmark run on its own was run, for the first line of its section. */
export const aloneLabel = (command: string, when: Date, version: string, socketPath: string, variable: string) =>
  `Not part of a full \`make bench\` run: \`${command}\` on ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC against ${version} at ${socketPath}, Podling run compiled (dist/, \`npm run build\`), the machine's cores shared with other users' test runs. \`make bench\` runs it with the rest (${variable}=0 skips it).`;
