#!/usr/bin/env node
// The installed command runs the compiled CLI (dist/ is built by `npm run build`, which npm's
// `prepare` runs on install from a checkout).
import '../dist/cli/run.js';
