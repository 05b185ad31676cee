import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { contextId } from '../../src/engine/context-store.js';
import { isEngineError } from '../../src/engine/errors.js';
import { Engine, type EngineOptions } from '../../src/engine/index.js';
import type { Pods } from '../../src/pod/index.js';
import { engineFailure } from '../support/assertions.js';
import { ROOT, runCli, type CliResult } from '../support/cli.js';
import { clusterPods, subnet } from '../support/cluster.js';
import { assertGone, IMAGE, poll, removePods } from '../support/pods.js';
import { mainEngineOnly, mode, scenario } from '../support/scenario.js';

// ssh:// engine addresses end to end: `ssh … docker system dial-stdio` to the test bed's own sshd
// on 127.0.0.1 (scripts/sshd.sh, key login), whose remote docker CLI joins the main engine's socket.
// Live only, and no fixtures: what is under test is the transport itself (an ssh process per
// connection), and a recording replays over a Unix socket, which would test nothing of it.
// The argv, the address rules and the context choice are table-tested in ssh-address.test.ts,
// engine-choice.test.ts and contexts.test.ts.
const ssh = suite('engine/ssh');

/** PODLING_SSH_* from the environment, else from the test bed's test.env. */
function testBed(): { engine?: string; config?: string } {
  let env: Record<string, string | undefined> = process.env;
  if (!env.PODLING_SSH_ENGINE) {
    try {
      const text = readFileSync(`${process.env.PODLING_STATE || '/var/lib/podling-registry'}/test.env`, 'utf8');
      env = Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    } catch { /* no test bed */ }
  }
  return { engine: env.PODLING_SSH_ENGINE, config: env.PODLING_SSH_CONFIG };
}

const bed = testBed();
const SSH_ENGINE = bed.engine ?? '';
const SSH_ENV = { PODLING_SSH_CONFIG: bed.config ?? '' };
const sshOptions = (extra: EngineOptions = {}): EngineOptions => ({ host: SSH_ENGINE, ssh: { configFile: bed.config }, ...extra });

/**
 * ssh processes running `docker system dial-stdio` against `port` (the test bed's by default),
 * whoever started them; with `parent`, only that process's children.
 */
function sshToTestBed(port = /:(\d+)$/.exec(SSH_ENGINE)?.[1] ?? '2222', parent?: number): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!(argv[0]?.endsWith('ssh') && argv.includes(port) && argv.some((a) => a.includes('dial-stdio')))) continue;
      // The parent pid is the field after the command's closing parenthesis in /proc/PID/stat.
      if (parent !== undefined && Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) !== parent) continue;
      found.push(`${pid}: ${argv.join(' ')}`);
    } catch { /* gone meanwhile */ }
  }
  return found;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const talker = { name: 'talker', image: IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sh', '-c', 'echo "hello over ssh"; exec sleep 3600'] };
const web = { name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sh', '-c', 'mkdir -p /www && echo web > /www/index.html && exec httpd -f -p 80 -h /www'] };

async function execText(pods: Pods, pod: string, cmd: string[], stdin?: string): Promise<{ stdout: string; code: number }> {
  const { output, exitCode } = await pods.exec(pod, cmd, { container: 'talker', ...(stdin !== undefined && { stdin }) });
  const { stdout } = await output.text();
  return { stdout, code: await exitCode() };
}

function ok(result: CliResult, what: string): CliResult {
  assert.is(result.code, 0, `${what} exited ${result.code}: ${result.stderr}`);
  return result;
}

if (mode === 'live' && !SSH_ENGINE) {
  console.log('note: no PODLING_SSH_ENGINE in the environment or test.env: engine/ssh is skipped (scripts/sshd.sh sets up the test bed)');
} else if (mode === 'live') {
  scenario(ssh, 'over ssh:// a pod is created, listed, logged, exec\'d with stdin over a hijacked connection, served and deleted; closing the engine leaves no ssh running', async ({ engine, name, track, defer }) => {
    const remote = new Engine(sshOptions());
    let closed = false;
    defer(() => closed || remote.close(), 'the ssh engine');
    assert.is(remote.address, SSH_ENGINE);
    const cl = { name: track.network(name('cluster')), subnet: subnet(61) };
    const pods = clusterPods(remote, 'engine/ssh lifecycle', cl);
    // Cleanup goes over the socket: the ssh engine is closed before the teardown runs.
    const local = clusterPods(engine, 'engine/ssh lifecycle', cl);
    defer(() => local.deleteService('sshp-svc'), 'service sshp-svc');
    defer(() => removePods(local, 'sshp-pod'), 'pod sshp-pod');

    const created = await pods.create({ metadata: { name: 'sshp-pod', labels: { app: 'sshp' } }, spec: { containers: [talker, web] } });
    assert.is(created.status.phase, 'Running');
    // The same engine as the socket's: what ssh made, the main engine lists.
    const [infra] = await engine.containers.list({ filters: { label: ['podling.io/pod-name=sshp-pod', 'podling.io/role=infra'] } });
    assert.ok(infra, 'the main engine sees the pod made over ssh');

    assert.equal((await pods.list({ selector: 'app=sshp' })).map((p) => p.metadata.name), ['sshp-pod']);
    const lines = await poll('live', async () => {
      const got: string[] = [];
      for await (const line of pods.logs('sshp-pod', { container: 'talker' })) got.push(line.text);
      return got;
    }, (got) => got.length > 0);
    assert.equal(lines, ['hello over ssh']);

    // A stream that stays open (logs -f) holds an ssh connection of its own; other calls go on
    // beside it, and aborting it ends it.
    const follow = new AbortController();
    const followed: string[] = [];
    const streaming = (async () => {
      for await (const line of pods.logs('sshp-pod', { container: 'talker', follow: true, signal: follow.signal })) followed.push(line.text);
    })().catch((err: unknown) => { if (!isEngineError(err, 'aborted')) throw err; });
    await poll('live', async () => followed.length, (n) => n > 0);
    assert.equal((await pods.get('sshp-pod')).metadata.name, 'sshp-pod', 'a call beside the open stream');
    follow.abort();
    await streaming;
    assert.equal(followed, ['hello over ssh']);

    // Hijacked: stdin goes up the ssh process's stdin, its EOF half-closes the engine connection.
    assert.equal(await execText(pods, 'sshp-pod', ['tr', 'a-z', 'A-Z'], 'through ssh\n'), { stdout: 'THROUGH SSH\n', code: 0 });
    const big = 'x'.repeat(1 << 20);
    assert.equal(await execText(pods, 'sshp-pod', ['wc', '-c'], big), { stdout: `${1 << 20}\n`, code: 0 }, 'a megabyte of stdin, all of it');
    assert.equal(await execText(pods, 'sshp-pod', ['sh', '-c', 'sleep 1; echo late; exit 7']), { stdout: 'late\n', code: 7 }, 'an answer that takes a while');
    // Calls at once get a connection (an ssh process) each, and all finish.
    const many = await Promise.all(Array.from({ length: 4 }, (_, i) => execText(pods, 'sshp-pod', ['echo', String(i)])));
    assert.equal(many.map((r) => r.stdout), ['0\n', '1\n', '2\n', '3\n']);

    const svc = await pods.createService({ name: 'sshp-svc', selector: { app: 'sshp' }, port: 80 });
    assert.equal(svc.endpoints, [`${created.status.podIP}:80`]);
    assert.equal((await pods.getService('sshp-svc')).endpoints, svc.endpoints);
    await pods.deleteService('sshp-svc');

    await pods.delete('sshp-pod');
    await assertGone(engine, 'sshp-pod');
    assert.ok(sshToTestBed().length > 0, 'idle connections are ssh processes');
    await remote.close();
    closed = true;
    assert.equal(sshToTestBed(), [], 'engine.close() ended every ssh process');
  }, { on: mainEngineOnly('the ssh test bed (scripts/sshd.sh) dials the main engine over ssh (docker system dial-stdio): what it makes is there, where this tier cannot see or remove it') });

  scenario(ssh, 'podling -H ssh://…, --context and -c with a context on the ssh engine: create, list, exec, logs, delete; no ssh left behind', async ({ engine, name, track, defer }) => {
    const cl = { name: track.network(name('cluster')), subnet: subnet(62) };
    const docker = mkdtempSync(join(tmpdir(), 'podling-ssh-contexts-'));
    defer(() => rmSync(docker, { recursive: true, force: true }), 'the docker config directory');
    const metaDir = join(docker, 'contexts', 'meta', contextId('podling-ssh'));
    mkdirSync(metaDir, { recursive: true });
    writeFileSync(join(metaDir, 'meta.json'), JSON.stringify({ Name: 'podling-ssh', Metadata: {}, Endpoints: { docker: { Host: SSH_ENGINE, SkipTLSVerify: false } } }));
    // DOCKER_HOST points nowhere: only the flags and the context can reach the engine.
    const env = { ...SSH_ENV, DOCKER_CONFIG: docker, DOCKER_HOST: 'unix:///nonexistent/docker.sock', PODLING_CLUSTER_NETWORK: cl.name, PODLING_CLUSTER_SUBNET: cl.subnet };
    const run = (...args: string[]) => runCli(args, { env });
    defer(() => runCli(['pod', 'delete', 'sshc-pod', '--force'], { env: { ...env, DOCKER_HOST: '' } }), 'podling pod delete sshc-pod --force');

    const podFile = join(docker, 'sshc-pod.json');
    writeFileSync(podFile, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sshc-pod', labels: { app: 'sshc' } }, spec: { containers: [talker] } }));
    const created = ok(await run('-H', SSH_ENGINE, 'pod', 'create', '-f', podFile), 'pod create -H ssh://');
    assert.match(created.stdout, /^pod\/sshc-pod created \(id [0-9a-f]{10}, ip [\d.]+, Running\)\n$/);
    const listed = ok(await run('--context', 'podling-ssh', 'pod', 'list', '-l', 'app=sshc', '-o', 'json'), 'pod list --context');
    assert.equal(JSON.parse(listed.stdout).items.map((p: { metadata: { name: string } }) => p.metadata.name), ['sshc-pod']);
    const said = ok(await run('-c', 'podling-ssh', 'pod', 'exec', 'sshc-pod', '-c', 'talker', '--', 'sh', '-c', 'echo "out"; echo "err" >&2'), 'pod exec -c CONTEXT');
    assert.equal([said.stdout, said.stderr], ['out\n', 'err\n']);
    const logs = ok(await run('pod', 'logs', 'sshc-pod', '--context', 'podling-ssh'), 'pod logs --context');
    assert.is(logs.stdout, 'hello over ssh\n');
    const conflict = await run('-H', SSH_ENGINE, '--context', 'podling-ssh', 'pod', 'list');
    assert.equal([conflict.code, conflict.stderr], [2, 'podling: conflicting options: cannot specify both --host and --context\n']);
    const deleted = ok(await runCli(['pod', 'delete', 'sshc-pod'], { env: { ...env, DOCKER_HOST: SSH_ENGINE } }), 'pod delete with DOCKER_HOST=ssh://');
    assert.is(deleted.stdout, 'pod/sshc-pod deleted\n');
    await assertGone(engine, 'sshc-pod');
    assert.equal(sshToTestBed(), [], 'each podling process took its ssh processes with it');
  }, { on: mainEngineOnly('the ssh test bed (scripts/sshd.sh) dials the main engine over ssh (docker system dial-stdio): what it makes is there, where this tier cannot see or remove it') });

  scenario(ssh, 'podling record -H ssh://… records a client\'s session through ssh, one ssh per connection, and replay plays it back with no engine; an ssh that fails is refused before the command runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podling-ssh-record-'));
    try {
      const fixture = join(dir, 'over-ssh.json');
      const list = [process.execPath, join(ROOT, 'bin/podling.js'), 'pod', 'list', '-o', 'json'];
      const recorded = ok(await runCli(['-H', SSH_ENGINE, 'record', fixture, '--', ...list], { env: { ...SSH_ENV, DOCKER_HOST: '' } }), 'record -H ssh://');
      const saved = JSON.parse(readFileSync(fixture, 'utf8')) as { exchanges: Array<{ request: { method: string; path: string } }> };
      assert.ok(saved.exchanges.some((e) => e.request.method === 'GET' && /\/containers\/json$/.test(e.request.path)), JSON.stringify(saved.exchanges.map((e) => e.request.path)));
      assert.equal(sshToTestBed(), [], 'the recorder took its ssh processes with it');
      const replayed = ok(await runCli(['replay', fixture, '--', ...list], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } }), 'replay');
      assert.is(replayed.stdout, recorded.stdout);

      const port = await closedPort();
      const marker = join(dir, 'ran');
      const refused = await runCli(['record', join(dir, 'never.json'), '--upstream', `ssh://root@127.0.0.1:${port}`, '--', 'touch', marker], { env: SSH_ENV });
      assert.is(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, new RegExp(`^podling: no engine answers at ssh://root@127\\.0\\.0\\.1:${port} .*Connection refused`));
      assert.not.ok(existsSync(marker), 'the command ran');
      assert.not.ok(existsSync(join(dir, 'never.json')), 'a fixture was written');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, { on: mainEngineOnly('the ssh test bed (scripts/sshd.sh) dials the main engine over ssh (docker system dial-stdio)') });

  scenario(ssh, 'an ssh that fails is kind unavailable with ssh\'s own words, fails at once, and leaves nothing running', async () => {
    const port = await closedPort();
    const bedPort = /:(\d+)$/.exec(SSH_ENGINE)?.[1] ?? '2222';
    const cases: Array<[string, EngineOptions, RegExp]> = [
      ['a port nothing listens on', { host: `ssh://root@127.0.0.1:${port}`, ssh: { configFile: bed.config } }, new RegExp(`ssh to ssh://root@127\\.0\\.0\\.1:${port} failed \\(exit 255\\): ssh: connect to host 127\\.0\\.0\\.1 port ${port}: Connection refused`)],
      // No known_hosts and no key: OpenSSH refuses the host before any login.
      ['a host key nobody vouched for', sshOptions({ ssh: { configFile: '/dev/null', options: ['BatchMode=yes', 'StrictHostKeyChecking=yes', 'UserKnownHostsFile=/dev/null', 'GlobalKnownHostsFile=/dev/null'] } }), /failed \(exit 255\): .*Host key verification failed/],
      // The key is right, the remote command is not there: the remote shell's words come back.
      ['a path to a socket the remote side does not have', { host: `${SSH_ENGINE}/nonexistent/docker.sock`, ssh: { configFile: bed.config } }, /failed \(exit 1\): .*\/nonexistent\/docker\.sock/],
    ];
    for (const [what, options, message] of cases) {
      const engine = new Engine(options);
      try {
        const err = await engineFailure(engine.system.ping({ timeout: 20_000 }), 'unavailable');
        assert.match(err.message, message, `${what}: ${err.message}`);
        assert.match(err.message, /^engine unavailable: /, what);
        assert.match(err.message, /\(GET \/_ping\)$/, what);
      } finally {
        await engine.close();
      }
      // This process's own ssh children only: another run on the machine may be using the bed.
      for (const p of [String(port), bedPort]) assert.equal(sshToTestBed(p, process.pid), [], `${what}: nothing left running`);
    }
  });
}

ssh.run();
