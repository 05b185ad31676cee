import { parseArgs } from 'node:util';
import { Engine } from '../engine/index.js';
import { Cluster } from '../nodes/cluster.js';
import { addNode, removeNode } from '../nodes/registry.js';
import type { Pods } from '../pod/index.js';
import { table, toYaml } from './print.js';
import { UsageError } from './usage.js';

/**
 * `podling node …`: the swarm's nodes as Podling uses them. The engine the command talks to must be
 * a swarm manager; the nodes, their engine addresses and their availability all live in the swarm.
 */

const cpu = (nano: number) => `${Math.round(nano / 1e6)}m`;
const mem = (bytes: number) => `${Math.round(bytes / 2 ** 20)}Mi`;

/** `node list [-o json|yaml]`: state, availability, pods and free capacity of each node, asked of every node at once. */
export async function nodeList(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { output: { type: 'string', short: 'o' } }, allowPositionals: true });
  if (positionals.length) throw new UsageError(`node list takes no arguments (got ${positionals.join(' ')})`);
  if (values.output && !['json', 'yaml'].includes(values.output)) throw new UsageError(`-o ${values.output}: use json or yaml`);
  const cluster = new Cluster(pods.engine, { network: pods.cluster.name });
  try {
    const loads = await cluster.loads();
    const items = loads.map((l) => ({
      name: l.node.name, id: l.node.id, role: l.node.role, state: l.node.state, availability: l.node.availability, engine: l.node.engine ?? null,
      labels: l.node.labels, pods: l.node.engine && !l.unreachable ? l.pods : null, maxPods: l.node.maxPods,
      capacity: { cpu: cpu(l.node.cpus), memory: mem(l.node.memory) },
      requested: l.node.engine && !l.unreachable ? { cpu: cpu(l.requested.cpu), memory: mem(l.requested.memory) } : null,
      ...(l.unreachable ? { unreachable: l.unreachable } : {}),
    })).sort((a, b) => a.name.localeCompare(b.name));
    if (values.output === 'json') console.log(JSON.stringify({ kind: 'NodeList', items }, null, 2));
    else if (values.output === 'yaml') console.log(await toYaml({ kind: 'NodeList', items }));
    else {
      const status = (i: typeof items[number]) => (i.unreachable ? 'Unreachable' : i.state === 'ready' ? 'Ready' : i.state[0]!.toUpperCase() + i.state.slice(1)) + (i.availability === 'active' ? '' : `,${i.availability === 'drain' ? 'SchedulingDisabled' : 'Paused'}`);
      console.log(table([
        ['NAME', 'STATUS', 'ROLE', 'PODS', 'CPU REQUESTED', 'MEMORY REQUESTED', 'ENGINE'],
        ...items.map((i) => [i.name, status(i), i.role, i.pods === null ? '-' : `${i.pods}/${i.maxPods}`,
          i.requested ? `${i.requested.cpu}/${i.capacity.cpu}` : '-', i.requested ? `${i.requested.memory}/${i.capacity.memory}` : '-', i.engine ?? '<none>']),
      ]));
      for (const i of items) if (i.unreachable) console.error(`warning: node ${i.name} does not answer: ${i.unreachable}`);
    }
    return 0;
  } finally {
    await cluster.close();
  }
}

export async function nodeAdd(pods: Pods, argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true });
  if (positionals.length !== 2) throw new UsageError('node add takes NAME ADDRESS (unix://…, tcp://…, ssh://user@host)');
  const [name, address] = positionals as [string, string];
  const node = await addNode(pods.engine, name, address, (a) => new Engine({ host: a }));
  console.log(`node/${node.name} added (engine ${node.engine})`);
  return 0;
}

export async function nodeRemove(pods: Pods, argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('node remove takes one NAME');
  const node = await removeNode(pods.engine, positionals[0]!);
  console.log(`node/${node.name} removed (it stays in the swarm; Podling no longer places pods there)`);
  return 0;
}

export async function nodeDrain(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { force: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('node drain takes one NAME');
  const cluster = new Cluster(pods.engine, { network: pods.cluster.name });
  try {
    console.log(`node/${positionals[0]} cordoned`);
    const moved = await cluster.drain(positionals[0]!, { force: values.force, onMove: (pod, to) => console.log(`pod/${pod} moved to node ${to}`) });
    console.log(`node/${positionals[0]} drained (${moved.length} pod${moved.length === 1 ? '' : 's'} moved)`);
    return 0;
  } finally {
    await cluster.close();
  }
}

export async function nodeUncordon(pods: Pods, argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('node uncordon takes one NAME');
  const cluster = new Cluster(pods.engine);
  await cluster.uncordon(positionals[0]!);
  console.log(`node/${positionals[0]} uncordoned`);
  return 0;
}
