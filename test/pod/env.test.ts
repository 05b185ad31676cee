import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expand, formatMap, resolveContainer, type PodFacts, type PodSources } from '../../src/pod/env.js';
import { PodFailedError } from '../../src/pod/errors.js';
import { parsePod, PodSpecError } from '../../src/pod/index.js';
import type { Container } from '../../src/pod/spec.js';

// A container's environment, command and args as the kubelet makes them (src/pod/env.ts): no engine.
const env = suite('pod/env');

// Kubernetes' own table for $(VAR) expansion (third_party/forked/golang/expansion/expand_test.go).
const CONTEXT: Record<string, string> = { VAR_A: 'A', VAR_B: 'B', VAR_C: 'C', VAR_REF: '$(VAR_A)', VAR_EMPTY: '' };
const EXPANSIONS: Array<[string, string]> = [
  ['$(VAR_A)', 'A'], ['$(VAR_A)-$(VAR_A)', 'A-A'], ['$(VAR_A)-1', 'A-1'], ['___$(VAR_B)___', '___B___'], ['___$(VAR_C)', '___C'],
  ['$(VAR_A)_$(VAR_B)_$(VAR_C)', 'A_B_C'], ['$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'], ['$$(VAR_A)_$$(VAR_B)', '$(VAR_A)_$(VAR_B)'],
  ['f000-$$VAR_A', 'f000-$VAR_A'], ['foo\\$(VAR_C)bar', 'foo\\Cbar'], ['foo\\\\$(VAR_C)bar', 'foo\\\\Cbar'],
  ['$(VAR_A$(VAR_B))', '$(VAR_A$(VAR_B))'], ['$(VAR_A$(VAR_B)', '$(VAR_A$(VAR_B)'], ['$(VAR_REF)', '$(VAR_A)'],
  ['%%$(VAR_REF)--$(VAR_REF)%%', '%%$(VAR_A)--$(VAR_A)%%'], ['foo$(VAR_EMPTY)bar', 'foobar'], ['foo$(VAR_Awhoops!', 'foo$(VAR_Awhoops!'],
  ['f00__(VAR_A)__', 'f00__(VAR_A)__'], ['$?_boo_$!', '$?_boo_$!'], ['$VAR_A', '$VAR_A'], ['$(VAR_DNE)', '$(VAR_DNE)'],
  ['$$$$$$(BIG_MONEY)', '$$$(BIG_MONEY)'], ['$$$$$$(VAR_A)', '$$$(VAR_A)'], ['$$$$$$$(GOOD_ODDS)', '$$$$(GOOD_ODDS)'], ['$$$$$$$(VAR_A)', '$$$A'],
  ['$VAR_A)', '$VAR_A)'], ['${VAR_A}', '${VAR_A}'], ['$(VAR_B)_______$(A', 'B_______$(A'], ['$(VAR_C)_______$(', 'C_______$('],
  ['$(VAR_A)foobarzab$', 'Afoobarzab$'], ['foo-\\$(VAR_A', 'foo-\\$(VAR_A'], ['--$($($($($--', '--$($($($($--'],
  ['$($($($($--foo$(', '$($($($($--foo$('], ['foo0--$($($($(', 'foo0--$($($($('], ['$(foo$$var)', '$(foo$$var)'], ['\n', '\n'], ['', ''], ['$()', '$()'],
];
for (const [input, expected] of EXPANSIONS) {
  env(`expand ${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => assert.is(expand(input, (name) => CONTEXT[name]), expected));
}

const FACTS: PodFacts = {
  name: 'web', namespace: 'team-a', uid: 'c0ffee0001', labels: { app: 'web', tier: 'front' }, annotations: { note: 'a "quoted" one' },
  nodeName: 'node-1', serviceAccountName: 'default', podIPs: ['10.211.0.7'], hostIPs: ['192.0.2.2'], allocatable: { cpu: 4e9, memory: 8 * 2 ** 30 },
};
const values = (record: Record<string, string>) => new Map(Object.entries(record).map(([k, v]) => [k, Buffer.from(v)]));
const SOURCES: PodSources = {
  configMaps: new Map([['cfg', values({ COLOR: 'blue', 'app.mode': 'fast', 'not a name': 'x', SIZE: '3' })]]),
  secrets: new Map([['creds', values({ PASSWORD: 'hunter2' })], ['gone', undefined]]),
};

function resolve(container: Record<string, unknown>, sources = SOURCES) {
  const pod = parsePod({ metadata: { name: 'web', labels: FACTS.labels }, spec: { containers: [{ name: 'app', image: 'i', ...container }] } });
  return resolveContainer(pod, pod.spec.containers[0] as Container, FACTS, sources);
}
const asObject = (r: { env: Array<[string, string]> }) => Object.fromEntries(r.env);

env('envFrom first (with its prefix, skipping keys that are no variable name), then env in order, a later name winning', () => {
  const r = resolve({
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { configMapRef: { name: 'cfg' } }],
    env: [{ name: 'COLOR', value: 'red' }, { name: 'SHADE', value: 'dark-$(COLOR)-$(CFG_SIZE)-$(LATER)' }, { name: 'LATER', value: 'x' }],
  });
  assert.equal(r.env, [
    ['CFG_COLOR', 'blue'], ['CFG_app.mode', 'fast'], ['CFG_SIZE', '3'], ['COLOR', 'red'], ['app.mode', 'fast'], ['SIZE', '3'],
    ['SHADE', 'dark-red-3-$(LATER)'], ['LATER', 'x'],
  ]);
  assert.is(r.secret, false);
});

env('every fieldRef path of an env var', () => {
  const paths = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels[\'app\']', 'metadata.annotations[\'note\']', 'metadata.labels[\'none\']',
    'spec.nodeName', 'spec.serviceAccountName', 'status.podIP', 'status.podIPs', 'status.hostIP', 'status.hostIPs'];
  const r = resolve({ env: paths.map((fieldPath, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { fieldPath } } })) });
  assert.equal(r.env.map(([, v]) => v), ['web', 'team-a', 'c0ffee0001', 'web', 'a "quoted" one', '', 'node-1', 'default', '10.211.0.7', '10.211.0.7', '192.0.2.2', '192.0.2.2']);
});

env('a valueFrom is never expanded; a value is', () => {
  const r = resolve({ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'COLOR' } } }, { name: 'B', value: '$(A)' }] });
  assert.equal(asObject(r), { A: 'blue', B: 'blue' });
});

const RESOURCES: Array<[Record<string, unknown>, string, string | undefined, string]> = [
  [{ limits: { cpu: '500m' } }, 'limits.cpu', undefined, '1'], // rounded up to whole cores
  [{ limits: { cpu: '500m' } }, 'limits.cpu', '1m', '500'],
  [{ limits: { cpu: '2' } }, 'requests.cpu', '1m', '2000'], // a request not set is the limit
  [{}, 'limits.cpu', undefined, '4'], // a limit not set is the node's
  [{}, 'requests.cpu', '1m', '0'],
  [{ limits: { memory: '64Mi' } }, 'limits.memory', '1Mi', '64'],
  [{ limits: { memory: '64Mi' } }, 'limits.memory', undefined, String(64 * 2 ** 20)],
  [{ requests: { memory: '100M' }, limits: { memory: '1Gi' } }, 'requests.memory', '1Mi', '96'],
  [{}, 'limits.memory', '1Gi', '8'],
];
for (const [resources, resource, divisor, expected] of RESOURCES) {
  env(`resourceFieldRef ${resource}${divisor ? ` / ${divisor}` : ''} of ${JSON.stringify(resources)} is ${expected}`, () => {
    const r = resolve({ resources, env: [{ name: 'R', valueFrom: { resourceFieldRef: { resource, ...(divisor && { divisor }) } } }] });
    assert.equal(r.env, [['R', expected]]);
  });
}

env('a Secret\'s value in the environment marks the container as carrying a secret, also through envFrom', () => {
  assert.is(resolve({ env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } }] }).secret, true);
  assert.is(resolve({ envFrom: [{ secretRef: { name: 'creds' } }] }).secret, true);
  assert.is(resolve({ env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'gone', key: 'x', optional: true } } }] }).secret, false);
});

env('command and args are expanded against the final environment', () => {
  const r = resolve({ command: ['sh', '-c', 'echo $(COLOR) $$(COLOR) $(NOPE)'], args: ['$(COLOR)'], env: [{ name: 'COLOR', value: 'green' }] });
  assert.equal(r.command, ['sh', '-c', 'echo green $(COLOR) $(NOPE)']);
  assert.equal(r.args, ['green']);
});

const failure = (container: Record<string, unknown>): string => {
  try {
    resolve(container);
  } catch (err) {
    assert.instance(err, PodFailedError);
    assert.is((err as PodFailedError).reason, 'CreateContainerConfigError');
    return (err as Error).message;
  }
  assert.unreachable('resolved');
  return '';
};

env('a missing key, ConfigMap or Secret is one error naming it, unless optional', () => {
  assert.match(failure({ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'NOPE' } } }] }), /container app: env X: key "NOPE" not found in ConfigMap "cfg"/);
  assert.match(failure({ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'other', key: 'k' } } }] }), /ConfigMap "other" not found/);
  assert.match(failure({ envFrom: [{ secretRef: { name: 'gone' } }] }), /envFrom: Secret "gone" not found/);
  const optional = resolve({
    env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'NOPE', optional: true } } }, { name: 'Y', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } }],
    envFrom: [{ configMapRef: { name: 'other', optional: true } }],
  });
  assert.equal(optional.env, [], 'an optional reference that is missing sets nothing');
});

env('labels and annotations as a downward API file: key="value" lines, sorted, quoted', () => {
  assert.is(formatMap({ b: 'two', a: 'say "hi"' }), 'a="say \\"hi\\""\nb="two"');
});

const BAD_SPECS: Array<[string, Record<string, unknown>, RegExp]> = [
  ['value and valueFrom', { env: [{ name: 'X', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }, /env\.0\.valueFrom: may not be given with a non-empty value/],
  ['two sources', { env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, configMapKeyRef: { name: 'c', key: 'k' } } }] }, /valueFrom needs exactly one source, has 2/],
  ['unknown fieldPath', { env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }] }, /fieldRef\.fieldPath: must be one of/],
  ['labels as a whole in env', { env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } }] }, /fieldRef\.fieldPath: must be one of/],
  ['bad divisor', { env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '2' } } }] }, /divisor: a divisor of limits\.cpu must be one of 1m, 1/],
  ['ephemeral storage', { env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.ephemeral-storage' } } }] }, /resource: must be one of/],
  ['envFrom with both', { envFrom: [{ configMapRef: { name: 'a' }, secretRef: { name: 'b' } }] }, /envFrom needs exactly one of configMapRef and secretRef, has 2/],
  ['a key selector without a key', { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's' } } }] }, /secretKeyRef\.key/],
];
for (const [what, container, message] of BAD_SPECS) {
  env(`refused: ${what}`, () => {
    try {
      parsePod({ metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'i', ...container }] } });
      assert.unreachable('accepted');
    } catch (err) {
      assert.instance(err, PodSpecError);
      assert.match((err as Error).message, message);
    }
  });
}

env.run();
