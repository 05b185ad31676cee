import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { ConfigSpecError, parseConfigMap, parseSecret, Pods } from '../../src/pod/index.js';
import { isBase64, keyProblem, secretValues } from '../../src/pod/config-spec.js';
import { engineSpeaking, fakeEngine } from '../support/fake-engine.js';
import { requestsDuring } from '../support/sent.js';

// ConfigMap and Secret manifests: Kubernetes' key rules, base64, and one clear error before any request.
const spec = suite('pod/config-spec');

const KEYS: Array<[string, boolean]> = [
  ['app.properties', true], ['.env', true], ['a-b_c.D9', true], ['x'.repeat(253), true],
  ['', false], ['.', false], ['..', false], ['..data', false], ['a/b', false], ['a b', false], ['é', false], ['x'.repeat(254), false],
];
for (const [key, valid] of KEYS) {
  spec(`key ${JSON.stringify(key.length > 20 ? `${key.slice(0, 8)}…(${key.length})` : key)} is ${valid ? 'valid' : 'refused'}`, () => {
    assert.is(keyProblem(key) === undefined, valid);
  });
}

const BASE64: Array<[string, boolean]> = [['', true], ['aGk=', true], ['aGVsbG8=', true], ['aGk', false], ['aG k=', false], ['aGk=\n', false], ['a-_=', false], ['====', false]];
for (const [text, valid] of BASE64) {
  spec(`base64 ${JSON.stringify(text)} is ${valid ? 'valid' : 'refused'}`, () => assert.is(isBase64(text), valid));
}

const meta = { name: 'cfg' };
const problem = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ConfigSpecError);
    return (err as Error).message;
  }
  assert.unreachable('expected a ConfigSpecError');
  return '';
};

spec('a Secret whose data is not base64 is one error naming the key, never the value', () => {
  const message = problem(() => parseSecret({ metadata: meta, data: { good: 'aGk=', 'db.password': 'hunter2!' } }));
  assert.match(message, /data\.db\.password: the value of key "db\.password" is not valid base64/);
  assert.not.match(message, /hunter2/);
  assert.is(message.split(';').length, 1);
});

spec('a ConfigMap key in both data and binaryData is refused', () => {
  assert.match(problem(() => parseConfigMap({ metadata: meta, data: { k: 'a' }, binaryData: { k: 'YQ==' } })), /key "k" is in both data and binaryData/);
});

spec('an invalid key is refused with Kubernetes\' rule', () => {
  assert.match(problem(() => parseConfigMap({ metadata: meta, data: { 'a/b': 'x' } })), /data\.a\/b: invalid key "a\/b": must consist of alphanumeric/);
  assert.match(problem(() => parseSecret({ metadata: meta, stringData: { '..x': 'x' } })), /must not be '\.' or '\.\.'/);
});

spec('a dockerconfigjson Secret needs its key, holding JSON', () => {
  assert.match(problem(() => parseSecret({ metadata: meta, type: 'kubernetes.io/dockerconfigjson', data: {} })), /needs the key "\.dockerconfigjson"/);
  assert.match(problem(() => parseSecret({ metadata: meta, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{nope' } })), /is not JSON/);
  const ok = parseSecret({ metadata: meta, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{"auths":{}}' } });
  assert.is(ok.type, 'kubernetes.io/dockerconfigjson');
});

spec('a misspelt field and a name with a dot are refused', () => {
  assert.match(problem(() => parseConfigMap({ metadata: meta, dat: {} })), /dat: unknown field/);
  assert.match(problem(() => parseConfigMap({ metadata: { name: 'a.b' } })), /metadata\.name: name must be a DNS label/);
});

spec('defaults: namespace default, type Opaque; stringData wins over data', () => {
  const secret = parseSecret({ metadata: meta, data: { k: Buffer.from('old').toString('base64') }, stringData: { k: 'new' } });
  assert.is(secret.metadata.namespace, 'default');
  assert.is(secret.type, 'Opaque');
  assert.is(secretValues(secret).get('k')?.toString(), 'new');
});

spec('bad ConfigMaps and Secrets send nothing to the engine', async () => {
  const fake = await fakeEngine(engineSpeaking('1.41'));
  const pods = new Pods(new Engine({ socketPath: fake.socketPath }), { creator: 'podling-test:1' });
  try {
    const sent = await requestsDuring(async () => {
      for (const bad of [
        () => pods.createSecret({ metadata: meta, data: { k: 'not base64' } }),
        () => pods.createConfigMap({ metadata: meta, data: { 'a b': 'x' } }),
        () => pods.replaceSecret({ metadata: meta, type: 'kubernetes.io/tls', data: {} }),
        () => pods.replaceConfigMap({ metadata: meta, binaryData: { k: '%%%%' } }),
      ]) assert.instance(await bad().catch((e: unknown) => e), ConfigSpecError);
    });
    assert.equal(sent, []);
    assert.equal(fake.requests, []);
  } finally {
    await fake.close();
  }
});

spec.run();
