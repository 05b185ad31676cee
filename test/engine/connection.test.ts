import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../src/engine/connection.js';

const connection = suite('engine/connection');

connection('the default is the standard socket', async () => {
  const endpoint = connect({}, {});
  assert.is(endpoint.address, '/var/run/docker.sock');
  await endpoint.client.close();
});

connection('calls go over undici Clients with undici\'s request and upgrade API, and connecting does not load undici\'s index', async () => {
  const endpoint = connect({}, {});
  const { Dispatcher } = await import('undici');
  assert.ok(endpoint.client instanceof Dispatcher);
  assert.type(endpoint.client.request, 'function');
  assert.type(endpoint.client.upgrade, 'function');
  await endpoint.client.close();
  // In a fresh process (this one may have loaded the index for other reasons): the CLI's start-up
  // depends on connecting without undici's fetch, WebSocket and cache modules.
  const script = [
    "import { createRequire } from 'node:module';",
    "import { connect } from './src/engine/connection.ts';",
    'const endpoint = connect({}, {});',
    'const files = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes("/node_modules/undici/"));',
    'console.log(JSON.stringify({ index: files.some((f) => f.endsWith("/undici/index.js")), fetch: files.some((f) => f.includes("/web/fetch/")), client: files.some((f) => f.endsWith("/dispatcher/client.js")), request: typeof endpoint.client.request }));',
    'await endpoint.client.close();',
  ].join('\n');
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../../', import.meta.url), encoding: 'utf8' });
  assert.equal(JSON.parse(out), { index: false, fetch: false, client: true, request: 'function' });
});

connection('DOCKER_HOST unix:// and tcp:// are honoured', async () => {
  const unix = connect({}, { DOCKER_HOST: 'unix:///tmp/other.sock' });
  assert.is(unix.address, '/tmp/other.sock');
  const tcp = connect({}, { DOCKER_HOST: 'tcp://127.0.0.1:2375' });
  assert.is(tcp.address, '127.0.0.1:2375');
  await Promise.all([unix.client.close(), tcp.client.close()]);
});

connection('explicit options beat the environment', async () => {
  const endpoint = connect({ socketPath: '/tmp/mine.sock' }, { DOCKER_HOST: 'tcp://127.0.0.1:2375' });
  assert.is(endpoint.address, '/tmp/mine.sock');
  await endpoint.client.close();
});

connection('DOCKER_TLS_VERIFY switches tcp to TLS on 2376 and reads the certificates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podling-certs-'));
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), 'x');
  const endpoint = connect({}, { DOCKER_HOST: 'tcp://127.0.0.1', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir });
  assert.is(endpoint.address, '127.0.0.1:2376');
  await endpoint.client.close();
});

connection('an unsupported DOCKER_HOST is a clear error', () => {
  assert.throws(() => connect({}, { DOCKER_HOST: 'npipe:////./pipe/docker_engine' }), /unsupported DOCKER_HOST "npipe:\/\/\/\/.\/pipe\/docker_engine": use unix:\/\/\/path\/to\/docker.sock, tcp:\/\/host:port or ssh:\/\/user@host/);
});

connection('DOCKER_HOST ssh:// is an engine reached through ssh, named by its URL; making it runs nothing', async () => {
  const endpoint = connect({}, { DOCKER_HOST: 'ssh://me@example.test:2200' });
  assert.is(endpoint.address, 'ssh://me@example.test:2200');
  assert.is(endpoint.client.stats.connections, 0);
  await endpoint.client.close();
});

connection.run();
