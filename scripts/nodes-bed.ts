/**
 * The test bed's second half, called by scripts/nodes.sh once every node's dockerd answers:
 *   1. the swarm: node 1 initialises it (address pool from PODLING_NODES_ADDRESS_POOL), the others
 *      join with the worker token read from the manager; a node in another swarm (a run that died
 *      half-way, a manager made anew) leaves it first; swarm entries of nodes that no longer exist
 *      are removed; then every node must be Ready on the manager.
 *   2. images: podling-test/busybox:latest and Podling's infra image, exported from the main engine
 *      (GET /images/get) and loaded into each node that lacks them (POST /images/load), through
 *      Podling's own client: no registry, local or remote, is involved.
 *   3. $PODLING_STATE/nodes.env, the facts test/support/nodes.ts reads.
 * Idempotent: what is already right is only checked. Arguments: one `NAME=ENGINE=ADDRESS=NETNS`
 * per node, the manager first.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { isNotFound } from '../src/engine/errors.js';
import { Engine } from '../src/engine/index.js';
import { isNotSwarmManager } from '../src/engine/swarm.js';
import { findOrBuildInfraImage } from '../src/pod/infra.js';

interface Node { name: string; engine: string; address: string; netns: string; client: Engine }

const SWARM_PORT = 2377;
const READY_WITHIN_MS = 30_000;
const SOURCE = process.env.PODLING_NODES_IMAGE_SOURCE || 'unix:///var/run/docker.sock';
const ENV_FILE = required('PODLING_NODES_ENV');
const UNDERLAY = required('PODLING_NODES_UNDERLAY');
const ADDRESS_POOL = required('PODLING_NODES_ADDRESS_POOL');

const nodes: Node[] = process.argv.slice(2).map((arg) => {
  const [name, engine, address, netns] = arg.split('=');
  if (!name || !engine || !address || !netns) throw new Error(`bad node argument ${JSON.stringify(arg)} (expected NAME=ENGINE=ADDRESS=NETNS)`);
  return { name, engine, address, netns, client: new Engine({ host: engine }) };
});
const main = new Engine({ host: SOURCE });

async function run(): Promise<void> {
  if (nodes.length < 2) throw new Error('name at least two nodes');
  const [manager, ...workers] = nodes as [Node, ...Node[]];
  const [cluster, images] = await Promise.all([formSwarm(manager, workers), loadImages()]);
  writeEnv(manager);
  for (const node of nodes) {
    console.log(`${node.name}: ${node.engine}  underlay ${node.address}  (netns ${node.netns}, ${node === manager ? 'manager' : 'worker'})`);
  }
  console.log(`swarm ${cluster.slice(0, 12)}: ${nodes.length} nodes Ready; images ${images}`);
}

// ------------------------------------------------------------------ swarm

async function formSwarm(manager: Node, workers: Node[]): Promise<string> {
  const info = await swarmState(manager);
  if (info.LocalNodeState !== 'active' || !info.ControlAvailable) {
    if (info.LocalNodeState !== 'inactive') await leaveSwarm(manager);
    await initSwarm(manager);
  }
  const swarm = await manager.client.swarm.inspect();
  const members = new Set((await manager.client.nodes.list()).map((n) => n.ID));
  await Promise.all(workers.map(async (worker) => {
    const state = await swarmState(worker);
    if (state.LocalNodeState === 'active' && state.NodeID && members.has(state.NodeID)) return;
    if (state.LocalNodeState !== 'inactive') await leaveSwarm(worker);
    await joinSwarm(worker, manager, swarm.JoinTokens.Worker);
  }));
  const ids = await Promise.all(nodes.map(async (node) => (await swarmState(node)).NodeID ?? ''));
  // Entries of nodes that left or were wiped (Down forever otherwise): GET /nodes must list ours only.
  for (const entry of await manager.client.nodes.list()) {
    if (!ids.includes(entry.ID)) await removeSwarmNode(manager, entry.ID);
  }
  await allReady(manager, ids);
  return swarm.ID;
}

async function allReady(manager: Node, ids: string[]): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    const listed = await manager.client.nodes.list();
    const waiting = nodes.filter((_, i) => listed.find((n) => n.ID === ids[i])?.Status.State !== 'ready');
    if (!waiting.length) return;
    if (Date.now() > deadline) throw new Error(`not Ready on the manager after ${READY_WITHIN_MS / 1000} s: ${waiting.map((n) => n.name).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** GET /info's Swarm part: an engine in no swarm says `inactive`. */
async function swarmState(node: Node) {
  const swarm = (await node.client.system.info()).Swarm;
  return { LocalNodeState: swarm?.LocalNodeState ?? 'inactive', NodeID: swarm?.NodeID, ControlAvailable: swarm?.ControlAvailable };
}

/** Listening and advertising on the node's underlay address only. */
async function initSwarm(node: Node): Promise<void> {
  console.log(`${node.name}: swarm init (address pool ${ADDRESS_POOL})`);
  await node.client.swarm.init({ ListenAddr: `${node.address}:${SWARM_PORT}`, AdvertiseAddr: node.address, DefaultAddrPool: [ADDRESS_POOL], SubnetSize: 24 });
}

async function joinSwarm(node: Node, manager: Node, token: string): Promise<void> {
  console.log(`${node.name}: swarm join ${manager.address}:${SWARM_PORT}`);
  await node.client.swarm.join({
    ListenAddr: `${node.address}:${SWARM_PORT}`, AdvertiseAddr: node.address, RemoteAddrs: [`${manager.address}:${SWARM_PORT}`], JoinToken: token,
  }, { timeout: 60_000 });
}

async function leaveSwarm(node: Node): Promise<void> {
  console.log(`${node.name}: in another swarm (or a half-made one): leaving it`);
  await node.client.swarm.leave({ force: true, timeout: 60_000 }).catch((err: unknown) => {
    if (!isNotSwarmManager(err)) throw err; // 503: it was in none after all
  });
}

async function removeSwarmNode(manager: Node, id: string): Promise<void> {
  console.log(`${manager.name}: removing stale swarm node ${id.slice(0, 12)}`);
  await manager.client.nodes.remove(id, { force: true });
}

// ------------------------------------------------------------------ images

/** The images pods need on every node, by the main engine's id; returns a summary. */
async function loadImages(): Promise<string> {
  const wanted = ['podling-test/busybox:latest', await findOrBuildInfraImage(main)];
  const ids = await Promise.all(wanted.map(async (ref) => (await main.images.inspect(ref)).Id));
  const missing = await Promise.all(nodes.map(async (node) => {
    const found = await Promise.all(wanted.map((ref) => node.client.images.inspect(ref).then((i) => i.Id, (err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    })));
    return wanted.filter((_, i) => found[i] !== ids[i]);
  }));
  const needed = [...new Set(missing.flat())];
  if (!needed.length) return `${wanted.join(', ')} present on every node`;
  // One export, loaded into each node that lacks any of them (loading an image again is harmless).
  const tar = await collect(await main.images.save(needed));
  const targets = nodes.filter((_, i) => missing[i]!.length);
  await Promise.all(targets.map(async (node) => {
    const loaded = await node.client.images.load(tar, { quiet: true }).done;
    for (const [i, ref] of wanted.entries()) {
      if (!needed.includes(ref)) continue;
      const { Id } = await node.client.images.inspect(ref);
      if (Id !== ids[i]) throw new Error(`${node.name}: ${ref} is ${Id} after loading (${loaded.join(', ')}), not the main engine's ${ids[i]}`);
    }
  }));
  return `${needed.join(', ')} loaded into ${targets.map((n) => n.name).join(', ')} (${(tar.length / 1e6).toFixed(1)} MB from the main engine)`;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// ------------------------------------------------------------------ nodes.env

function writeEnv(manager: Node): void {
  const lines = [
    '# Written by scripts/nodes.sh: the multi-node test bed (docs/test-bed.md).',
    `PODLING_NODES=${nodes.map((n) => n.name).join(',')}`,
    `PODLING_NODES_MANAGER=${manager.name}`,
    `PODLING_NODES_UNDERLAY=${UNDERLAY}`,
    `PODLING_NODES_ADDRESS_POOL=${ADDRESS_POOL}`,
    ...nodes.flatMap((n) => {
      const key = `PODLING_${n.name.toUpperCase()}`;
      return [`${key}_ENGINE=${n.engine}`, `${key}_ADDRESS=${n.address}`, `${key}_NETNS=${n.netns}`];
    }),
    '',
  ].join('\n');
  let current = '';
  try { current = readFileSync(ENV_FILE, 'utf8'); } catch { /* first run */ }
  if (current === lines) return;
  writeFileSync(`${ENV_FILE}.tmp`, lines, { mode: 0o644 });
  renameSync(`${ENV_FILE}.tmp`, ENV_FILE);
}

function required(key: string): string {
  const value = process.env[key];
  if (!value) throw new Error(`${key} is not set (scripts/nodes.sh sets it)`);
  return value;
}

run().then(
  () => Promise.all([main, ...nodes.map((n) => n.client)].map((e) => e.close())),
  async (err: unknown) => {
    console.error(`nodes-bed: ${err instanceof Error ? err.message : String(err)}`);
    await Promise.all([main, ...nodes.map((n) => n.client)].map((e) => e.close().catch(() => {})));
    process.exitCode = 1;
  },
);
