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

await import('../dist/cli/podling.js');
