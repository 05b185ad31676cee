import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { encodeAuth } from '../../src/engine/auth.js';
import { PodFailedError, Pods } from '../../src/pod/index.js';
import { credentialsFor, keyMatches, parsePullSecret, repositoryOf } from '../../src/pod/pull-secrets.js';
import { scenario, unit, type ScenarioContext } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';
import { assertRefusedWithoutSending } from '../support/refused.js';
import { containerId, rejection, testPods } from '../support/pods.js';
import { AUTH_REGISTRY, authRegistryCredentials, forgetRepository, readTestEnv, type TestCredentials } from '../engine/registry-storage.js';

// imagePullSecrets: which credentials an image's pull sends (no engine), and a real pull from the
// htpasswd registry at 127.0.0.1:5001 with them (fixtures/pod/pull-secrets/). No fixture holds the
// password: X-Registry-Auth is redacted and the Secret's values are read in marked exchanges.
const pull = suite('pod/pull-secrets');

const json = (value: unknown) => new Map([['.dockerconfigjson', Buffer.from(JSON.stringify(value))]]);
const b64 = (text: string) => Buffer.from(text).toString('base64');
const DCJ = 'kubernetes.io/dockerconfigjson';

pull('a docker config Secret gives one login per registry key; auth (base64 user:password) wins over username/password', () => {
  assert.equal(parsePullSecret('s', DCJ, json({ auths: { 'r.example:5000': { auth: b64('u:p:w'), username: 'x', password: 'y' }, 'https://q.example': { username: 'a', password: 'b' } } })), [
    { key: 'r.example:5000', auth: { username: 'u', password: 'p:w' } },
    { key: 'https://q.example', auth: { username: 'a', password: 'b' } },
  ]);
  // The older type holds the map of registries itself.
  assert.equal(parsePullSecret('s', 'kubernetes.io/dockercfg', new Map([['.dockercfg', Buffer.from(JSON.stringify({ 'r.example': { auth: b64('u:p') } }))]])), [
    { key: 'r.example', auth: { username: 'u', password: 'p' } },
  ]);
});

const UNUSABLE: [string, string, Map<string, Buffer>, RegExp][] = [
  ['another type', 'Opaque', json({ auths: {} }), /^Secret "s" is of type Opaque, not kubernetes\.io\/dockerconfigjson/],
  ['no .dockerconfigjson key', DCJ, new Map([['config', Buffer.from('{}')]]), /^Secret "s" has no key "\.dockerconfigjson"$/],
  ['not JSON', DCJ, new Map([['.dockerconfigjson', Buffer.from('auths: {}')]]), /"\.dockerconfigjson" is not JSON$/],
  ['JSON without auths', DCJ, json({ registries: {} }), /is not a docker config \(an object with "auths"\)$/],
  ['an entry without a login', DCJ, json({ auths: { 'r.example': { email: 'e@x' } } }), /the entry for "r\.example" has neither "auth"/],
  ['an auth that is no user:password', DCJ, json({ auths: { 'r.example': { auth: b64('nocolon') } } }), /the entry for "r\.example" has neither/],
];

pull('a Secret that cannot serve as a pull secret is one problem naming it', () => {
  for (const [what, type, values, problem] of UNUSABLE) assert.match(String(parsePullSecret('s', type, values)), problem, what);
});

pull('the repository an image is looked up by: no tag or digest, Docker Hub spelt docker.io', () => {
  const TABLE: [string, string][] = [
    ['busybox', 'docker.io/library/busybox'],
    ['busybox:1.36', 'docker.io/library/busybox'],
    ['user/app:1', 'docker.io/user/app'],
    ['index.docker.io/user/app', 'docker.io/user/app'],
    ['docker.io/library/nginx@sha256:abc', 'docker.io/library/nginx'],
    ['localhost/app:1', 'localhost/app'],
    ['127.0.0.1:5001/podling-test/busybox:latest', '127.0.0.1:5001/podling-test/busybox'],
    ['quay.io/coreos/etcd:v3', 'quay.io/coreos/etcd'],
  ];
  for (const [image, repository] of TABLE) assert.is(repositoryOf(image), repository, image);
});

pull('a key matches as the kubelet\'s URLsMatch: scheme and /v1/ ignored, same host labels (globs), same port, path prefix', () => {
  const TABLE: [string, string, boolean][] = [
    ['127.0.0.1:5001', '127.0.0.1:5001/podling-test/busybox', true],
    ['https://127.0.0.1:5001', '127.0.0.1:5001/podling-test/busybox', true],
    ['http://127.0.0.1:5001/v2/', '127.0.0.1:5001/podling-test/busybox', true],
    ['127.0.0.1:5000', '127.0.0.1:5001/podling-test/busybox', false],
    ['127.0.0.1', '127.0.0.1:5001/podling-test/busybox', false],
    ['*.example.com', 'a.example.com/x', true],
    ['*.example.com', 'example.com/x', false],
    ['*.example.com', 'a.b.example.com/x', false],
    ['REG.Example.com', 'reg.example.com/x', true],
    ['quay.io/coreos', 'quay.io/coreos/etcd', true],
    ['quay.io/coreos', 'quay.io/other/x', false],
    ['docker.io', 'docker.io/library/busybox', true],
  ];
  for (const [key, repository, matches] of TABLE) assert.is(keyMatches(key, repository), matches, `${key} ~ ${repository}`);
});

const login = (key: string, username: string) => ({ key, auth: { username, password: 'p' } });

pull('an image gets every matching login, the most specific first, with its registry as server address; Docker Hub also from index.docker.io', () => {
  const keys = [login('quay.io', 'host'), login('quay.io/coreos', 'path'), login('r.example', 'other')];
  assert.equal(credentialsFor('quay.io/coreos/etcd:v3', keys).map((a) => [('username' in a) && a.username, a.serveraddress]), [['path', 'quay.io'], ['host', 'quay.io']]);
  assert.equal(credentialsFor('quay.io/other/x', keys).map((a) => 'username' in a && a.username), ['host']);
  assert.equal(credentialsFor('busybox', keys), [], 'no key for Docker Hub: the client\'s own credentials');
  for (const key of ['docker.io', 'index.docker.io', 'https://index.docker.io/v1/']) {
    const [auth] = credentialsFor('user/app:1', [login(key, 'hub')]);
    assert.equal(auth, { username: 'hub', password: 'p', serveraddress: 'https://index.docker.io/v1/' }, key);
  }
});

const BAD: [string, unknown, RegExp][] = [
  ['an entry without a name', [{}], /spec\.imagePullSecrets\.0\.name/],
  ['a name that is no DNS subdomain', [{ name: 'Reg Cred' }], /spec\.imagePullSecrets\.0\.name: imagePullSecrets name must be a DNS subdomain/],
  ['an unknown field', [{ name: 'regcred', namespace: 'x' }], /spec\.imagePullSecrets\.0\.namespace: unknown field/],
  ['not a list', { name: 'regcred' }, /spec\.imagePullSecrets/],
];

pull('a bad imagePullSecrets is one PodSpecError naming it, and nothing is sent', () => assertRefusedWithoutSending(
  BAD.map(([what, imagePullSecrets, message]) => [what, { metadata: { name: 'p' }, spec: { imagePullSecrets, containers: [{ name: 'app', image: 'i' }] } }, message]),
));

const BUSYBOX = 'podling-test/busybox:latest';
const IMAGE_ON_5000 = '127.0.0.1:5000/podling-test/busybox:latest';

scenario(pull, 'a pull secret that is missing or of another type fails the pod before anything is made, naming it', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/pull-secrets unusable');
  defer(() => pods.deleteSecret('pk-pull-opaque'), 'pk-pull-opaque');
  await pods.createSecret({ metadata: { name: 'pk-pull-opaque' }, stringData: { token: 'kd-s3cret-pull-opaque' } });
  const create = (secret: string) => rejection(pods.create({
    metadata: { name: 'pk-pull-bad' },
    spec: { imagePullSecrets: [{ name: secret }], containers: [{ name: 'app', image: IMAGE_ON_5000, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
  }));
  let missing: unknown;
  let opaque: unknown;
  const sent = await requestsDuring(async () => {
    missing = await create('pk-pull-none');
    opaque = await create('pk-pull-opaque');
  });
  assert.instance(missing, PodFailedError);
  assert.is((missing as PodFailedError).reason, 'FailedToRetrieveImagePullSecret');
  assert.match(String(missing), /imagePullSecrets: Secret "pk-pull-none" not found in namespace "default"/);
  assert.match(String(opaque), /imagePullSecrets: Secret "pk-pull-opaque" is of type Opaque, not kubernetes\.io\/dockerconfigjson/);
  // Only the Secrets' holders were looked at: no value of the Opaque one read, no pull, nothing made.
  assert.equal(sent.filter((r) => !r.endsWith('/_ping')).map((r) => r.replace(/^GET \/v1\.\d+/, 'GET ')), [
    'GET /containers/podling_secret_pk-pull-none/json', 'GET /containers/podling_secret_pk-pull-opaque/json',
  ]);
});

/**
 * A test-named copy of busybox on the authenticated registry, with no local copy left (as in
 * test/engine/registry-auth.test.ts); removed locally and from the registry afterwards.
 */
async function remoteImage({ engine, mode, name, track, defer }: ScenarioContext, credentials: TestCredentials): Promise<string> {
  defer(() => forgetRepository(mode, AUTH_REGISTRY, name('image')), `forget repository ${AUTH_REGISTRY}/${name('image')}`);
  const reference = track.image(`${AUTH_REGISTRY}/${name('image')}:latest`);
  await engine.images.tag(BUSYBOX, reference);
  await engine.images.push(reference, { auth: { ...credentials, serveraddress: AUTH_REGISTRY } }).done;
  await engine.images.remove(reference);
  return reference;
}

/**
 * The dockerconfigjson Secret, made outside the recorded session, live and while recording only:
 * its archive's size would tell the password's length, and replay has another (placeholder)
 * password of another length, so the upload could not match. The pod's reads of it are recorded
 * (marked, so its values are stars: JSON that still parses).
 */
async function outOfBandSecret(ctx: ScenarioContext, secret: string, credentials: TestCredentials): Promise<void> {
  if (ctx.mode === 'replay') return;
  const engine = new Engine();
  const pods = new Pods(engine, { creator: 'podling-test:1' });
  ctx.defer(async () => { await pods.deleteSecret(secret); await engine.close(); }, secret);
  await pods.createSecret({
    metadata: { name: secret }, type: 'kubernetes.io/dockerconfigjson',
    stringData: { '.dockerconfigjson': JSON.stringify({ auths: { [`https://${AUTH_REGISTRY}`]: { username: credentials.username, password: credentials.password } } }) },
  });
}

/** Runs `fn` with DOCKER_CONFIG at an empty folder: this process has no registry credentials of its own. */
async function withoutDockerConfig<T>(fn: () => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'podling-no-docker-config-'));
  const saved = process.env.DOCKER_CONFIG;
  process.env.DOCKER_CONFIG = dir;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved;
    await rm(dir, { recursive: true, force: true });
  }
}

scenario(pull, 'an image on the htpasswd registry is pulled with the pod\'s pull secret; without it the pull is refused', async (ctx) => {
  const { engine, defer } = ctx;
  const credentials = await authRegistryCredentials(ctx.mode);
  const reference = await remoteImage(ctx, credentials);
  await outOfBandSecret(ctx, 'pk-pull-regcred', credentials);
  const pods = testPods(engine, 'pod/pull-secrets pull');
  const spec = (secrets: { name: string }[]) => ({ imagePullSecrets: secrets, containers: [{ name: 'app', image: reference, imagePullPolicy: 'IfNotPresent' as const, command: ['sleep', '3600'] }] });
  await withoutDockerConfig(async () => {
    const refused = await rejection(pods.create({ metadata: { name: 'pk-pull-anon' }, spec: spec([]) }));
    assert.instance(refused, PodFailedError);
    assert.is((refused as PodFailedError).reason, 'ImagePullError');
    assert.match(String(refused), /no basic auth credentials|unauthorized|authentication required/);
    defer(() => pods.delete('pk-pull-ok', { force: true }), 'pk-pull-ok');
    const pod = await pods.create({ metadata: { name: 'pk-pull-ok' }, spec: spec([{ name: 'pk-pull-regcred' }]) });
    assert.is((await engine.exec.run(containerId(pod, 'app'), ['echo', 'pulled'])).stdout.trim(), 'pulled');
  });
  assert.ok(await engine.images.inspect(reference), 'the image is on the engine now');
});

const FIXTURES = fileURLToPath(new URL('../../fixtures/pod/pull-secrets/', import.meta.url));

unit(pull, 'the recorded fixtures hold neither the registry password nor an encoded login', async () => {
  const files = (await readdir(FIXTURES)).filter((file) => file.endsWith('.json'));
  assert.ok(files.length >= 2, `expected the pull secret scenarios' fixtures in ${FIXTURES}`);
  const password = (await readTestEnv())?.PODLING_AUTH_PASSWORD; // present where the fixtures were recorded
  if (!password) return;
  const secrets = [password, b64(password), b64(`podling:${password}`), encodeAuth({ username: 'podling', password, serveraddress: AUTH_REGISTRY })];
  for (const file of files) {
    const text = await readFile(join(FIXTURES, file), 'utf8');
    for (const secret of secrets) assert.not.ok(text.includes(secret), `${file} holds the password`);
  }
});

pull.run();
