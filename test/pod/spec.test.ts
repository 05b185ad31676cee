import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { parsePod, PodSpecError, Pods, type PodInput } from '../../src/pod/index.js';
import { engineSpeaking, fakeEngine } from '../support/fake-engine.js';
import { requestsDuring } from '../support/sent.js';

// A bad pod spec is one PodSpecError naming the field, raised before anything reaches the engine.
const spec = suite('pod/spec');

const app = { name: 'app', image: 'podling-test/busybox:latest' };
const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'p' }): PodInput => ({ metadata, spec } as unknown as PodInput);

/** Each bad spec, with what its one problem must say. */
const BAD: Array<[string, unknown, RegExp]> = [
  ['a misspelt field', pod({ contaners: [app] }), /^spec\.contaners: unknown field \(did you mean "containers"\?\)$/],
  ['a misspelt container field', pod({ containers: [{ ...app, imagePulPolicy: 'Never' }] }), /^spec\.containers\.0\.imagePulPolicy: unknown field \(did you mean "imagePullPolicy"\?\)$/],
  ['an unknown field like nothing known', pod({ containers: [{ ...app, enviroment: [] }] }), /^spec\.containers\.0\.enviroment: unknown field$/],
  ['a cpu quantity that is not one', pod({ containers: [{ ...app, resources: { limits: { cpu: 'lots' } } }] }), /^spec\.containers\.0\.resources\.limits\.cpu: invalid cpu quantity "lots"/],
  ['a memory quantity with an unknown suffix', pod({ containers: [{ ...app, resources: { requests: { memory: '12XB' } } }] }), /^spec\.containers\.0\.resources\.requests\.memory: invalid memory quantity "12XB"/],
  ['two containers with one name', pod({ containers: [app, { ...app }] }), /^spec\.containers\.1\.name: duplicate container name "app"$/],
  ['a pod name that is not a DNS label', pod({ containers: [app] }, { name: 'My_Pod' }), /^metadata\.name: pod name must be a DNS label/],
  ['a pod name over 63 characters', pod({ containers: [app] }, { name: 'p'.repeat(64) }), /^metadata\.name: pod name must be at most 63 characters$/],
  ['a container name with capitals', pod({ containers: [{ ...app, name: 'Web' }] }), /^spec\.containers\.0\.name: container name must be a DNS label/],
  ['a container port out of range', pod({ containers: [{ ...app, ports: [{ containerPort: 70000 }] }] }), /^spec\.containers\.0\.ports\.0\.containerPort: .*65535/],
  ['a host port of 0', pod({ containers: [{ ...app, ports: [{ containerPort: 80, hostPort: 0 }] }] }), /^spec\.containers\.0\.ports\.0\.hostPort: .*1/],
  ['a host port published twice', pod({ containers: [{ ...app, ports: [{ containerPort: 80, hostPort: 8080 }] }, { ...app, name: 'b', ports: [{ containerPort: 81, hostPort: 8080 }] }] }), /^spec\.containers\.1\.ports\.0\.hostPort: host port 8080\/TCP is published twice$/],
  ['no containers', pod({ containers: [] }), /^spec\.containers: a pod needs at least one container$/],
  ['an unknown restart policy', pod({ containers: [app], restartPolicy: 'Sometimes' }), /^spec\.restartPolicy: .*"Always"\|"OnFailure"\|"Never"/],
  ['a label key with a space', pod({ containers: [app] }, { name: 'p', labels: { 'a b': 'x' } }), /^metadata\.labels\.a b: invalid label key$/],
  ['a label value with a space', pod({ containers: [app] }, { name: 'p', labels: { a: 'x y' } }), /^metadata\.labels\.a: invalid label value/],
  ['an annotation key with a space', pod({ containers: [app] }, { name: 'p', annotations: { 'a b': 'x' } }), /^metadata\.annotations\.a b: invalid annotation key$/],
  ['a kind other than Pod', { kind: 'Deployment', metadata: { name: 'p' }, spec: { containers: [app] } }, /^kind: /],
  ['an environment variable name with a space', pod({ containers: [{ ...app, env: [{ name: 'A B', value: '1' }] }] }), /^spec\.containers\.0\.env\.0\.name: invalid environment variable name$/],
];

for (const [what, input, problem] of BAD) {
  spec(`${what} is one problem naming the field`, () => {
    try {
      parsePod(input);
    } catch (err) {
      assert.instance(err, PodSpecError);
      const { problems, message } = err as PodSpecError;
      assert.is(problems.length, 1, `one problem: ${problems.join(' | ')}`);
      assert.match(problems[0]!, problem);
      assert.is(message, `invalid pod spec: ${problems[0]}`);
      return;
    }
    assert.unreachable('accepted');
  });
}

spec('independent mistakes are each reported, one per line of the message', () => {
  try {
    parsePod(pod({ containers: [{ ...app, resources: { limits: { cpu: 'lots' } } }] }, { name: 'Bad' }), 'pod.yaml');
    assert.unreachable('accepted');
  } catch (err) {
    assert.instance(err, PodSpecError);
    assert.is((err as PodSpecError).problems.length, 2);
    assert.match((err as Error).message, /^invalid pod spec in pod\.yaml: metadata\.name: .*; spec\.containers\.0\.resources\.limits\.cpu: /);
  }
});

spec('a good spec gets the defaults: restartPolicy Always, protocol TCP, empty env values', () => {
  const parsed = parsePod(pod({ containers: [{ ...app, ports: [{ containerPort: 80 }], env: [{ name: 'A' }] }] }));
  assert.is(parsed.spec.restartPolicy, 'Always');
  assert.is(parsed.spec.containers[0]!.ports![0]!.protocol, 'TCP');
  assert.equal(parsed.spec.containers[0]!.env, [{ name: 'A', value: '' }]);
});

spec('Pods.create with a bad spec rejects with PodSpecError without opening a connection or creating a request', async () => {
  const fake = await fakeEngine(engineSpeaking('1.41'));
  const engine = new Engine({ socketPath: fake.socketPath });
  try {
    const pods = new Pods(engine, { newId: () => '0000000001', creator: 'podling-test:1' });
    for (const [what, input] of BAD) {
      let err: unknown;
      const sent = await requestsDuring(async () => { err = await pods.create(input as PodInput).catch((e: unknown) => e); });
      assert.instance(err, PodSpecError, what);
      assert.equal(sent, [], `${what}: requests sent`);
    }
    assert.is(fake.connections(), 0);
    assert.equal(fake.requests, []);
  } finally {
    await engine.close();
    await fake.close();
  }
});

spec.run();
