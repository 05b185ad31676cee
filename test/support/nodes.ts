import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Test } from 'uvu';
import { Engine } from '../../src/engine/index.js';
import { defaultUpstream } from '../../src/testing/index.js';
import { besideMain, mainEngineOnly, mode, objectName, probe, scenario, type ScenarioContext } from './scenario.js';
import { tracker, withTeardown, type Teardown, type Track } from './teardown.js';

/**
 * What tests need of the multi-node test bed (scripts/nodes.sh, docs/test-bed.md): its nodes as
 * nodes.env lists them, an Engine per node, `inNode` for traffic to node and pod addresses, and
 * `bedScenario`, which runs a test live on the bed or skips it saying why. A bed test is live-only:
 * its engines are not the main engine fixtures are recorded on, and what it checks (a swarm, an
 * overlay between daemons) exists only there.
 */

export interface BedNode {
  /** node1, node2, ...: also the node's hostname, as the swarm shows it. */
  name: string;
  /** Its Engine API address, `unix:///run/podling-nodes/nodeN/docker.sock`. */
  engine: string;
  /** Its underlay address, reachable only from inside the nodes' namespaces. */
  address: string;
  /** Its network namespace (`ip netns exec` name). */
  netns: string;
}

export interface Bed {
  nodes: BedNode[];
  /** The node that ran `swarm init`. */
  manager: BedNode;
  underlay: string;
  addressPool: string;
}

export const NODES_ENV = `${process.env.PODLING_STATE || '/var/lib/podling-registry'}/nodes.env`;

/** The bed described by a nodes.env text; an error naming what is missing or inconsistent. */
export function parseNodesEnv(text: string): Bed {
  const env = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) env.set(match[1]!, match[2]!);
  }
  const need = (key: string) => {
    const value = env.get(key);
    if (!value) throw new Error(`nodes.env: ${key} is missing`);
    return value;
  };
  const names = need('PODLING_NODES').split(',').map((n) => n.trim()).filter(Boolean);
  const nodes = names.map((name) => {
    const key = `PODLING_${name.toUpperCase()}`;
    return { name, engine: need(`${key}_ENGINE`), address: need(`${key}_ADDRESS`), netns: need(`${key}_NETNS`) };
  });
  const manager = nodes.find((n) => n.name === need('PODLING_NODES_MANAGER'));
  if (!manager) throw new Error(`nodes.env: the manager ${need('PODLING_NODES_MANAGER')} is not one of PODLING_NODES (${names.join(', ')})`);
  return { nodes, manager, underlay: need('PODLING_NODES_UNDERLAY'), addressPool: need('PODLING_NODES_ADDRESS_POOL') };
}

/** The bed that is up, or why there is none (no nodes.env, or a node that does not answer). */
async function findBed(): Promise<{ bed: Bed } | { why: string }> {
  let text: string;
  try {
    text = readFileSync(NODES_ENV, 'utf8');
  } catch {
    return { why: `${NODES_ENV} does not exist (the bed is not up)` };
  }
  let found: Bed;
  try {
    found = parseNodesEnv(text);
  } catch (err) {
    return { why: (err as Error).message };
  }
  const answers = await Promise.all(found.nodes.map((n) => probe(defaultUpstream({ DOCKER_HOST: n.engine }))));
  const silent = found.nodes.filter((_, i) => !answers[i]).map((n) => `${n.name} (${n.engine})`);
  return silent.length ? { why: `no answer to GET /_ping from ${silent.join(', ')}` } : { bed: found };
}

// Asked once per process, live only, before any scenario registers (registration needs the answer).
const found = mode === 'replay' ? { why: 'the replay tier' } : await findBed();
const requireEngine = process.env.PODLING_REQUIRE_ENGINE === '1';
let noted = false;

/** One command inside a node's network namespace; its exit code and output. */
export interface NodeCommandResult { code: number; stdout: string; stderr: string }

/**
 * Runs `argv` inside `node`'s network namespace (`ip netns exec`). The bed's plumbing, not Podling
 * shelling out: traffic to node and pod addresses must start inside a node's namespace, never in
 * the host's, whose default route leads off the machine (docs/test-bed.md).
 */
export function inNode(node: BedNode, argv: string[], options: { timeout?: number } = {}): Promise<NodeCommandResult> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', node.netns, ...argv], { timeout: options.timeout ?? 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`ip netns exec ${node.netns} ${argv.join(' ')}: ${err.message}`));
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

/** What a bed scenario gets: the bed, an Engine and a `track` per node, a teardown, names. */
export interface BedContext extends Pick<Teardown, 'defer'> {
  bed: Bed;
  engine(node: BedNode): Engine;
  /** Removal on that node's engine, after the body, newest first (teardown.ts). */
  track(node: BedNode): Track;
  /**
   * `podling-test-<suite>-<part>`: without the scenario's title (scenario.ts puts it in), because
   * a swarm refuses network names over 63 characters. Scenarios of a suite run one at a time.
   */
  name(part: string): string;
}

/**
 * A test on the bed: live tier only (nothing registers elsewhere). With no bed up it is skipped,
 * with the reason printed, or fails when PODLING_REQUIRE_ENGINE=1 (CI, where `make test` starts it).
 */
let otherEngineNoted = false;

/**
 * A scenario on the bed's manager alone (the swarm's own API: nodes, their labels, configs), as
 * any engine scenario: recorded there (fixtures/<suite>/), replayed offline like the rest, live on
 * the bed. Traffic between nodes is not in it: that is bedScenario's, live only.
 */
export function managerScenario(s: Test, title: string, fn: (ctx: ScenarioContext) => Promise<void>): void {
  const on = mainEngineOnly('the multi-node bed\'s scenarios run with the main engine\'s tier')
    ?? ('why' in found ? { absent: `the multi-node test bed is not up: ${found.why} (make nodes)` }
      : { upstream: defaultUpstream({ DOCKER_HOST: found.bed.manager.engine }) });
  scenario(s, title, fn, mode === 'replay' ? {} : { on });
}

export function bedScenario(s: Test, title: string, fn: (ctx: BedContext) => Promise<void>): void {
  if (mode !== 'live') return;
  // The bed's engines are its own, whatever DOCKER_HOST names: its tests run once, in the main
  // engine's live tier, not again for each engine make test-engines visits (nor beside them).
  if (besideMain) {
    if (!otherEngineNoted) console.log(`skip: the multi-node bed's scenarios run with the main engine's tier, not with DOCKER_HOST=${besideMain}`);
    otherEngineNoted = true;
    s.skip(title);
    return;
  }
  if ('why' in found) {
    if (requireEngine) {
      s(title, () => { throw new Error(`PODLING_REQUIRE_ENGINE=1 but the multi-node test bed is not up: ${found.why} (make nodes)`); });
      return;
    }
    if (!noted) console.log(`note: the multi-node test bed is not up (${found.why}): its scenarios are skipped (make nodes starts it; PODLING_REQUIRE_ENGINE=1 makes this a failure)`);
    noted = true;
    s.skip(title);
    return;
  }
  const { bed } = found;
  s(title, async (state) => {
    const suiteName = state.__suite__;
    const engines = new Map(bed.nodes.map((n) => [n.name, new Engine({ host: n.engine })]));
    const engine = (node: BedNode) => engines.get(node.name) ?? fail(`${node.name} is not a node of the bed`);
    try {
      await withTeardown(undefined, ({ defer }) => fn({
        bed, defer, engine,
        track: (node) => tracker(engine(node), defer),
        name: (part) => objectName(suiteName, '', part),
      }));
    } finally {
      await Promise.all([...engines.values()].map((e) => e.close()));
    }
  });
}

function fail(message: string): never {
  throw new Error(message);
}
