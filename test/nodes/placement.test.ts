import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SwarmNode } from '../../src/engine/swarm.js';
import { DEFAULT_MAX_PODS, nodeFromSwarm, type ClusterNode } from '../../src/nodes/node.js';
import { place, podRequests, refusalText, type NodeLoad } from '../../src/nodes/placement.js';
import { parsePod } from '../../src/pod/spec.js';

// Node model and placement: pure, no engine (issue 12: nodeName, nodeSelector, most free
// capacity, pod count against a per-node maximum, a refusal with the reason per node).
const placement = suite('nodes/placement');

const GiB = 2 ** 30;
const swarmNode = (over: Partial<SwarmNode> & { labels?: Record<string, string> } = {}): SwarmNode => ({
  ID: 'abc123',
  Version: { Index: 17 },
  Spec: { Role: 'worker', Availability: 'active', Labels: over.labels ?? { 'podling.io/engine': 'unix:///run/n1.sock', disk: 'ssd' } },
  Description: { Hostname: 'Node1', Resources: { NanoCPUs: 2e9, MemoryBytes: 4 * GiB } },
  Status: { State: 'ready', Addr: '198.51.100.11' },
  ...over,
});

placement('a swarm node: name from spec or hostname, engine address and max pods from its labels, podling labels not selectable', () => {
  const node = nodeFromSwarm(swarmNode());
  assert.equal(node, {
    name: 'node1', id: 'abc123', version: 17, role: 'worker', state: 'ready', availability: 'active',
    engine: 'unix:///run/n1.sock', labels: { 'kubernetes.io/hostname': 'node1', 'kubernetes.io/os': 'linux', disk: 'ssd' },
    cpus: 2e9, memory: 4 * GiB, maxPods: DEFAULT_MAX_PODS, message: undefined,
  });
  assert.is(nodeFromSwarm(swarmNode({ Spec: { Name: 'edge', Role: 'manager', Availability: 'drain', Labels: null } })).name, 'edge');
  assert.is(nodeFromSwarm(swarmNode({ labels: { 'podling.io/max-pods': '3' } })).maxPods, 3);
  assert.is(nodeFromSwarm(swarmNode({ labels: { 'podling.io/max-pods': 'lots' } })).maxPods, DEFAULT_MAX_PODS, 'a bad maximum falls back');
  assert.is(nodeFromSwarm(swarmNode({ labels: {} })).engine, undefined);
});

const node = (name: string, over: Partial<ClusterNode> = {}): ClusterNode => ({
  name, id: name, version: 1, role: 'worker', state: 'ready', availability: 'active', engine: `unix:///run/${name}.sock`,
  labels: { 'kubernetes.io/hostname': name }, cpus: 2e9, memory: 4 * GiB, maxPods: 110, ...over,
});
const load = (n: ClusterNode, pods = 0, cpu = 0, memory = 0, unreachable?: string): NodeLoad => ({ node: n, pods, requested: { cpu, memory }, unreachable });
const pod = (spec: Record<string, unknown> = {}, requests?: Record<string, string>) => parsePod({
  metadata: { name: 'web' },
  spec: { containers: [{ name: 'c', image: 'busybox', ...(requests ? { resources: { requests } } : {}) }], ...spec },
});

placement('requests: apps and sidecars add up; a bigger plain init container counts instead', () => {
  const p = parsePod({ metadata: { name: 'p' }, spec: {
    initContainers: [
      { name: 'setup', image: 'x', resources: { requests: { cpu: '900m', memory: '64Mi' } } },
      { name: 'side', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '100m', memory: '32Mi' } } },
    ],
    containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '250m', memory: '128Mi' } } }, { name: 'b', image: 'x' }],
  } });
  assert.equal(podRequests(p), { cpu: 900e6, memory: 160 * 2 ** 20 });
  assert.equal(podRequests(pod()), { cpu: 0, memory: 0 });
});

placement('the node with the most free capacity wins; ties go to fewer pods, then by name', () => {
  const [a, b, c] = [node('a'), node('b'), node('c')];
  assert.equal(place(pod({}, { cpu: '500m' }), [load(a, 2, 1.5e9), load(b, 5, 0.5e9), load(c, 1, 1e9)]), { node: 'b' });
  assert.equal(place(pod(), [load(a, 3), load(b, 1), load(c, 1)]), { node: 'b' });
  assert.equal(place(pod(), [load(c), load(b), load(a)]), { node: 'a' });
});

placement('nodeName and nodeSelector restrict the choice', () => {
  const nodes = [load(node('a')), load(node('b', { labels: { 'kubernetes.io/hostname': 'b', disk: 'ssd' } }), 9)];
  assert.equal(place(pod({ nodeName: 'a' }), nodes), { node: 'a' });
  assert.equal(place(pod({ nodeSelector: { disk: 'ssd' } }), nodes), { node: 'b' });
});

placement('a pod that fits nowhere is refused with the reason of every node', () => {
  const loads = [
    load(node('a', { state: 'down', message: 'heartbeat failure' })),
    load(node('b', { availability: 'drain' })),
    load(node('c', { engine: undefined })),
    load(node('d'), 0, 0, 0, 'connect ECONNREFUSED /run/d.sock'),
    load(node('e', { maxPods: 2 }), 2),
    load(node('f'), 1, 1.8e9),
    load(node('g'), 1, 0, 3.9 * GiB),
    load(node('h', { labels: {} })),
  ];
  const result = place(pod({ nodeSelector: { zone: 'x' } }, { cpu: '500m', memory: '512Mi' }), loads);
  assert.ok('refused' in result);
  const reasons = Object.fromEntries((result as { refused: Array<{ node: string; reason: string }> }).refused.map((r) => [r.node, r.reason]));
  assert.equal(reasons, {
    a: 'node is down: heartbeat failure',
    b: 'node availability is drain',
    c: 'no engine address (podling node add NAME ADDRESS)',
    d: 'engine unreachable: connect ECONNREFUSED /run/d.sock',
    e: 'node labels do not match nodeSelector zone=x',
    f: 'node labels do not match nodeSelector zone=x',
    g: 'node labels do not match nodeSelector zone=x',
    h: 'node labels do not match nodeSelector zone=x',
  });
  const noSelector = place(pod({}, { cpu: '500m', memory: '512Mi' }), loads.slice(4, 7)) as { refused: Array<{ node: string; reason: string }> };
  assert.equal(noSelector.refused, [
    { node: 'e', reason: 'too many pods (2 of 2)' },
    { node: 'f', reason: 'insufficient cpu (requests 500m, 200m of 2000m free)' },
    { node: 'g', reason: 'insufficient memory (requests 512Mi, 102Mi of 4096Mi free)' },
  ]);
  assert.is(refusalText(noSelector.refused), '0/3 nodes are available: e: too many pods (2 of 2); f: insufficient cpu (requests 500m, 200m of 2000m free); g: insufficient memory (requests 512Mi, 102Mi of 4096Mi free)');
  assert.equal(place(pod({ nodeName: 'zz' }), [load(node('a'))]), { refused: [{ node: 'a', reason: 'not the node spec.nodeName names (zz)' }] });
  assert.equal(place(pod(), []), { refused: [] });
});

placement.run();
