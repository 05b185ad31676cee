#!/usr/bin/env node
// The installed command runs the bundled CLI (dist/cli/podling.js, built by `npm run build`, which
// npm's `prepare` runs on install from a checkout; see scripts/bundle-cli.ts).
import { setFlagsFromString } from 'node:v8';

// undici parses HTTP with a WebAssembly module. V8 compiles it quickly (Liftoff) and then
// re-optimises it on background threads, and Node waits for those threads before it exits: 50 to
// 80 ms at the end of every short command, for code a one-shot CLI barely runs. A long
// `pod logs --follow` parses little beyond frame headers, so the baseline code is enough. Set
// before anything loads undici; the library itself leaves V8's defaults alone.
setFlagsFromString('--liftoff-only');

// `podling agent` runs for days and allocates little at a time, yet its first sync (a few calls per
// pod) grows V8's young generation to its 16 MB semi-spaces, which it then keeps. Supervising 110
// pods (bench/agent.ts, same run conditions): peak RSS 86.1 MB without this, 72.1 MB with it; idle
// CPU stays well under 1 % either way. Kept at its initial size, the young generation is only
// scavenged more often. Only the agent: a one-shot command never reaches that size.
if (commandOf(process.argv.slice(2)) === 'agent') setFlagsFromString('--semi-space-growth-factor=1');

/** The command word, past the global options (`-H ADDRESS`, `--host ADDRESS`, `--debug`). */
function commandOf(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-H' || args[i] === '--host') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

await import('../dist/cli/podling.js');
