import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { appSpec, infraSpec } from '../../src/pod/containers.js';
import { parsePod, PodError } from '../../src/pod/index.js';
import { ANNOTATION_NETWORK, DEFAULT_POD_NETWORK, modeLabel, networkModeOf, podNetworkFrom, recordedMode, sandboxNetworks, type PodNetworkMode } from '../../src/pod/pod-network.js';
import { assertRefusedWithoutSending } from '../support/refused.js';

// Pod network modes: which networks a pod's infra joins, how the mode is chosen and kept, and
// what is refused (no engine: the decisions alone).
const modes = suite('pod/pod-network');

const pod = (annotations: Record<string, string> = {}, spec: Record<string, unknown> = {}) =>
  parsePod({ metadata: { name: 'p', annotations }, spec: { containers: [{ name: 'app', image: 'i' }], ...spec } });
const ISOLATED = { 'podling.io/isolated': 'true' };

// [what, pod, mode] → the networks its infra joins
const JOINS: Array<[string, ReturnType<typeof pod>, PodNetworkMode, { cluster: boolean; own: boolean }]> = [
  ['a plain pod, cluster mode: the cluster network only', pod(), 'cluster', { cluster: true, own: false }],
  ['a plain pod, own mode: the cluster network and its own bridge', pod(), 'own', { cluster: true, own: true }],
  ['an isolated pod, own mode: its own bridge only', pod(ISOLATED), 'own', { cluster: false, own: true }],
  ['an isolated pod under a cluster default: still its own bridge (its only network)', pod(ISOLATED), 'cluster', { cluster: false, own: true }],
  ['a hostNetwork pod, cluster mode: no network of ours', pod({}, { hostNetwork: true }), 'cluster', { cluster: false, own: false }],
  ['a hostNetwork pod, own mode: no network of ours', pod({}, { hostNetwork: true }), 'own', { cluster: false, own: false }],
];
for (const [what, p, mode, want] of JOINS) {
  modes(`the infra joins: ${what}`, () => assert.equal(sandboxNetworks(p, mode), want));
}

// [what, pod, the runtime's default] → the mode the pod is made in
const CHOSEN: Array<[string, ReturnType<typeof pod>, PodNetworkMode, PodNetworkMode]> = [
  ['no annotation: the default (cluster)', pod(), 'cluster', 'cluster'],
  ['no annotation: the default (own)', pod(), 'own', 'own'],
  ['the annotation wins over the default', pod({ [ANNOTATION_NETWORK]: 'own' }), 'cluster', 'own'],
  ['the annotation wins the other way too', pod({ [ANNOTATION_NETWORK]: 'cluster' }), 'own', 'cluster'],
  ['an isolated pod is own whatever the default', pod(ISOLATED), 'cluster', 'own'],
  ['an isolated pod that says own', pod({ ...ISOLATED, [ANNOTATION_NETWORK]: 'own' }), 'cluster', 'own'],
  ['a pod whose isolated annotation is not "true" is not isolated', pod({ 'podling.io/isolated': 'false' }), 'cluster', 'cluster'],
];
for (const [what, p, fallback, want] of CHOSEN) {
  modes(`the mode chosen: ${what}`, () => assert.is(networkModeOf(p, fallback), want));
}

modes('the runtime default: the one given, else PODLING_POD_NETWORK, else cluster; anything else is refused as invalid', () => {
  assert.is(DEFAULT_POD_NETWORK, 'cluster');
  assert.is(podNetworkFrom({}), 'cluster');
  assert.is(podNetworkFrom({ PODLING_POD_NETWORK: '' }), 'cluster', 'an empty variable is no choice');
  assert.is(podNetworkFrom({ PODLING_POD_NETWORK: 'own' }), 'own');
  assert.is(podNetworkFrom({ PODLING_POD_NETWORK: 'own' }, 'cluster'), 'cluster', 'given wins over the environment');
  for (const [env, given, message] of [
    [{ PODLING_POD_NETWORK: 'bridge' }, undefined, 'PODLING_POD_NETWORK "bridge": use own or cluster'],
    [{ PODLING_POD_NETWORK: 'Own' }, undefined, 'PODLING_POD_NETWORK "Own": use own or cluster'],
    [{}, 'none', 'the pod network default "none": use own or cluster'],
  ] as const) {
    let err: unknown;
    try { podNetworkFrom(env, given); } catch (e) { err = e; }
    assert.instance(err, PodError);
    assert.is((err as PodError).kind, 'invalid');
    assert.is((err as Error).message, message);
  }
});

// [what, labels of the pod's containers] → the mode it was made in
const RECORDED: Array<[string, Array<Record<string, string> | null | undefined>, PodNetworkMode]> = [
  ['the infra says cluster', [{ 'podling.io/network': 'cluster' }, {}], 'cluster'],
  ['the infra is gone, an app says cluster', [undefined, { 'podling.io/network': 'cluster' }], 'cluster'],
  ['the infra says own', [{ 'podling.io/network': 'own' }], 'own'],
  ['no label anywhere: made before modes, when every pod had its own network', [{ 'podling.io/pod-id': 'x' }, null], 'own'],
  ['a label of no mode is no answer', [{ 'podling.io/network': 'weird' }, { 'podling.io/network': 'cluster' }], 'cluster'],
  ['nothing at all', [], 'own'],
];
for (const [what, labels, want] of RECORDED) {
  modes(`the mode recorded: ${what}`, () => assert.is(recordedMode(labels), want));
}

// [what, pod, mode] → the label its containers carry
const LABELLED: Array<[string, ReturnType<typeof pod>, PodNetworkMode, PodNetworkMode | undefined]> = [
  ['a cluster-mode pod says so', pod(), 'cluster', 'cluster'],
  ['an own-mode pod carries none: its requests are the seed\'s', pod(), 'own', undefined],
  ['an isolated pod carries none (its own network, whatever the default)', pod(ISOLATED), 'cluster', undefined],
  ['a hostNetwork pod carries none (no network of ours either way)', pod({}, { hostNetwork: true }), 'cluster', undefined],
];
for (const [what, p, mode, want] of LABELLED) {
  modes(`the mode label: ${what}`, () => assert.is(modeLabel(p, mode), want));
}

modes('the infra and app specs carry the mode as a label; in cluster mode the infra\'s one network is the cluster network', () => {
  const p = pod();
  const infra = infraSpec(p, 'id1', 'podling/infra:1', 'me', { cluster: { name: 'cl', aliases: ['p.default'] }, mode: 'cluster' });
  assert.is(infra.Labels?.['podling.io/network'], 'cluster');
  assert.is(infra.HostConfig?.NetworkMode, 'cl');
  assert.equal(Object.keys(infra.NetworkingConfig?.EndpointsConfig ?? {}), ['cl']);
  const app = appSpec(p, 'id1', p.spec.containers[0]!, 'INFRA', 'me', { attempt: 0, sandboxAttempt: 0, network: 'cluster' });
  assert.is(app.Labels?.['podling.io/network'], 'cluster');
  // Without a mode (callers that make containers by hand) no label: such a pod reads back as own.
  assert.not.ok('podling.io/network' in (infraSpec(p, 'id1', 'podling/infra:1', 'me').Labels ?? {}));
});

modes('a network annotation that cannot be honoured is refused with the one reason, and nothing is sent', () => assertRefusedWithoutSending([
  ['a mode that does not exist', { metadata: { name: 'p', annotations: { [ANNOTATION_NETWORK]: 'bridge' } }, spec: { containers: [{ name: 'a', image: 'i' }] } },
    /^PodSpecError: invalid pod spec: metadata\.annotations\.podling\.io\/network: "bridge" is not a pod network mode: use own or cluster$/],
  ['cluster for an isolated pod', { metadata: { name: 'p', annotations: { ...ISOLATED, [ANNOTATION_NETWORK]: 'cluster' } }, spec: { containers: [{ name: 'a', image: 'i' }] } },
    /^PodSpecError: invalid pod spec: metadata\.annotations\.podling\.io\/network: an isolated pod joins no cluster network, so its own network is the only one it has: use "own" or leave it out$/],
  ['any mode for a hostNetwork pod', { metadata: { name: 'p', annotations: { [ANNOTATION_NETWORK]: 'cluster' } }, spec: { hostNetwork: true, containers: [{ name: 'a', image: 'i' }] } },
    /^PodSpecError: invalid pod spec: metadata\.annotations\.podling\.io\/network: a hostNetwork pod uses the host's network: no pod network mode applies$/],
]));

modes.run();
