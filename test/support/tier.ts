import { relative, resolve } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Engine } from '../../src/engine/index.js';
import { isEngineError } from '../../src/engine/errors.js';
import { sweepLeftovers } from './sweep.js';

/**
 * One tier of the test run, in its own process (test/run.ts starts one per mode): loads every test
 * file named on the command line, then lets uvu run them all and print its totals.
 */

declare global {
  // uvu's own protocol for running many files as one run (see uvu/run).
  var UVU_DEFER: number;
  var UVU_INDEX: number;
  var UVU_QUEUE: Array<Array<unknown>>;
}

// The fixtures hold the requests of the default pod network mode: a developer's own default
// (PODLING_POD_NETWORK=own) must not change what the tests send. Tests that want a mode name it.
delete process.env.PODLING_POD_NETWORK;
// A replayed engine answers through a socket on this machine but was recorded on another: this
// machine's routes (a live tier's bridges running beside) must not refuse its cluster subnets.
if (process.env.PODLING_TEST_MODE === 'replay') process.env.PODLING_HOST_ROUTES = 'ignore';
else delete process.env.PODLING_HOST_ROUTES;

if (process.env.PODLING_TEST_MODE !== 'replay') await sweepEarlierRun();

// Set before uvu loads, or each file would run on its own as soon as it is imported.
globalThis.UVU_DEFER = 1;
const uvu = await import('uvu');

for (const [index, file] of process.argv.slice(2).entries()) {
  globalThis.UVU_INDEX = index;
  globalThis.UVU_QUEUE.push([relative(process.cwd(), file)]);
  await import(pathToFileURL(resolve(file)).href);
}
await uvu.exec();
await removeTestCluster();
// A socket a test forgot to close must not keep the tier alive once uvu has reported.
process.exit(process.exitCode ?? 0);

/**
 * What a killed earlier run left (see sweep.ts), said when there was any. Not while another tier
 * runs on this machine: its objects look the same (and its ssh:// scenarios reach the main engine
 * whatever engine it tests), so they would go from under it.
 */
async function sweepEarlierRun(): Promise<void> {
  const others = otherTiers();
  if (others.length) {
    console.log(`note: another test tier is running (pid ${others.join(', ')}): what an earlier run left is not swept`);
    return;
  }
  const engine = new Engine();
  try {
    const { removed, left } = await sweepLeftovers(engine);
    if (removed.length) console.log(`note: removed what an earlier test run left: ${removed.join(', ')}`);
    if (left.length) console.log(`note: an earlier test run left, and it could not be removed: ${left.join(', ')}`);
  } catch (err) {
    // No engine: the live tests skip (or fail under PODLING_REQUIRE_ENGINE) and say so themselves.
    if (!isEngineError(err, 'unavailable')) throw err;
  } finally {
    await engine.close();
  }
}

/** Other processes running this file: a tier of another test run, on any engine. */
function otherTiers(): number[] {
  const me = fileURLToPath(import.meta.url);
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg.endsWith('support/tier.ts') || arg === me);
    } catch {
      return false; // gone meanwhile, or not ours to read
    }
  }).map(Number);
}

/** The tier's cluster network (test/run.ts names it) goes with the tier; one still in use stays. */
async function removeTestCluster(): Promise<void> {
  const name = process.env.PODLING_CLUSTER_NETWORK;
  if (!name || process.env.PODLING_TEST_MODE === 'replay') return;
  const engine = new Engine();
  try {
    await engine.networks.remove(name);
  } catch (err) {
    if (!isEngineError(err, 'not-found') && !isEngineError(err, 'unavailable')) console.error(`note: test cluster network ${name} left: ${(err as Error).message}`);
  } finally {
    await engine.close();
  }
}
