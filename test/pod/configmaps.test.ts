import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isPodlingError } from '../../src/errors.js';
import type { SecretSummary } from '../../src/pod/index.js';
import { scenario, unit } from '../support/scenario.js';
import { rejection, testPods } from '../support/pods.js';

// ConfigMaps and Secrets kept in the engine: a holder container's labels (no values) and a volume
// of files (fixtures/pod/configmaps/). Secret values are asserted live only: the recorder keeps a
// marked exchange redacted, so a replay reads stars (see src/testing/sensitive.ts); the last test
// checks that no fixture of this suite holds a value.
const configmaps = suite('pod/configmaps');

const PASSWORD = 'kd-s3cret-value-7781';
const TOKEN = 'kd-s3cret-token-0c41be';
const FIXTURES = fileURLToPath(new URL('../../fixtures/pod/', import.meta.url));

scenario(configmaps, 'a ConfigMap is created, read, listed, replaced and deleted in its namespace', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/configmaps crud');
  defer(() => pods.deleteConfigMap('kd-cm', { namespace: 'kd-ns' }), 'kd-cm');
  const made = await pods.createConfigMap({
    metadata: { name: 'kd-cm', namespace: 'kd-ns', labels: { app: 'kd' } },
    data: { 'app.properties': 'color=blue\nsize=3\n', empty: '' },
    binaryData: { 'logo.bin': Buffer.from([0, 1, 254, 255]).toString('base64') },
  });
  assert.equal(made.data, { 'app.properties': 'color=blue\nsize=3\n', empty: '' });
  assert.equal(made.binaryData, { 'logo.bin': 'AAH+/w==' });
  assert.equal(made.metadata.labels, { app: 'kd' });
  assert.is(made.metadata.namespace, 'kd-ns');

  const taken = await rejection(pods.createConfigMap({ metadata: { name: 'kd-cm', namespace: 'kd-ns' }, data: { other: 'x' } }));
  assert.ok(isPodlingError(taken, 'already-exists'), String(taken));
  assert.equal((await pods.getConfigMap('kd-cm', { namespace: 'kd-ns' })).data?.['app.properties'], 'color=blue\nsize=3\n', 'the existing one is untouched');
  assert.ok(isPodlingError(await rejection(pods.getConfigMap('kd-cm')), 'not-found'), 'another namespace has no such ConfigMap');

  const listed = (await pods.listConfigMaps({ namespace: 'kd-ns' })).map((c) => c.metadata.name);
  assert.equal(listed, ['kd-cm']);

  const replaced = await pods.replaceConfigMap({ metadata: { name: 'kd-cm', namespace: 'kd-ns' }, data: { only: 'new' }, immutable: true });
  assert.equal(replaced.data, { only: 'new' });
  assert.is(replaced.binaryData, undefined, 'keys of the old contents are gone');
  const frozen = await rejection(pods.replaceConfigMap({ metadata: { name: 'kd-cm', namespace: 'kd-ns' }, data: { only: 'newer' } }));
  assert.ok(isPodlingError(frozen, 'invalid'), String(frozen));
  assert.match(String(frozen), /immutable/);

  await pods.deleteConfigMap('kd-cm', { namespace: 'kd-ns' });
  assert.ok(isPodlingError(await rejection(pods.getConfigMap('kd-cm', { namespace: 'kd-ns' })), 'not-found'));
  assert.equal((await engine.volumes.list({ filters: { name: ['podling-configmap-kd-cm.kd-ns'] } })).map((v) => v.Name), [], 'its volume is removed');
});

scenario(configmaps, 'a Secret shows key names and sizes, never its values unless asked, and none in any label', async ({ engine, mode, defer }) => {
  const pods = testPods(engine, 'pod/configmaps secret');
  defer(() => pods.deleteSecret('kd-secret'), 'kd-secret');
  const made = await pods.createSecret({
    metadata: { name: 'kd-secret' },
    data: { password: Buffer.from(PASSWORD).toString('base64') },
    stringData: { token: TOKEN },
  });
  assert.equal(made.keys, { password: PASSWORD.length, token: TOKEN.length });
  assert.is(made.data, undefined);
  assert.is(made.type, 'Opaque');

  const summary = await pods.getSecret('kd-secret') as SecretSummary;
  assert.equal(summary.keys, { password: PASSWORD.length, token: TOKEN.length });
  assert.is(summary.data, undefined);

  const holders = await engine.containers.list({ all: true, filters: { label: ['podling.io/type=secret', 'podling.io/namespace=default'] } });
  const holder = holders.find((c) => c.Names.includes('/podling_secret_kd-secret'));
  assert.ok(holder, 'the holder container');
  const labels = JSON.stringify(holder.Labels);
  for (const value of [PASSWORD, TOKEN, Buffer.from(PASSWORD).toString('base64')]) assert.not.ok(labels.includes(value), 'a value in a label');

  const revealed = await pods.getSecret('kd-secret', { reveal: true });
  assert.equal(Object.keys(revealed.data ?? {}).sort(), ['password', 'token']);
  // The values themselves only live: a replay serves the redacted (starred) recording.
  if (mode !== 'replay') assert.equal(revealed.data, { password: Buffer.from(PASSWORD).toString('base64'), token: Buffer.from(TOKEN).toString('base64') });
  else assert.is(Buffer.from(revealed.data!.token!, 'base64').toString(), '*'.repeat(TOKEN.length));
});

/** A fixture's text with every tar and base64 piece decoded: a value inside an archive shows too. */
function decodedText(value: unknown): string {
  if (Array.isArray(value)) return value.map(decodedText).join('\n');
  if (value === null || typeof value !== 'object') return String(value);
  return Object.entries(value).map(([key, inner]) => ((key === 'tar' || key === 'base64') && typeof inner === 'string'
    ? Buffer.from(inner, 'base64').toString('latin1')
    : decodedText(inner))).join('\n');
}

/** Every Secret value of the pod tests starts with this (env-live, volumes-live too), so one search finds any. */
const MARK = 'kd-s3cret-';

unit(configmaps, 'no fixture of the pod tests holds a Secret value of these tests, even inside an archive', () => {
  const values = [MARK, Buffer.from(MARK.slice(0, 9)).toString('base64')];
  const files = readdirSync(FIXTURES, { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && f.name.endsWith('.json'));
  assert.ok(files.length > 0);
  for (const file of files) {
    const text = decodedText(JSON.parse(readFileSync(`${file.parentPath}/${file.name}`, 'utf8')));
    for (const value of values) assert.not.ok(text.includes(value), `${file.name} holds a secret value`);
  }
});

configmaps.run();
