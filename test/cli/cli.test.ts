import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mode, scenario } from '../support/scenario.js';
import { runCli, type CliResult } from '../support/cli.js';
import { assertGone, IMAGE, poll } from '../support/pods.js';

// The `podling` command end to end, as child processes against the real engine (live only: a
// replay cannot stand in for another process's engine connection).
const cli = suite('cli/commands');

const POD_FILE = fileURLToPath(new URL('../../fixtures/cli/two-sleepers.yaml', import.meta.url));

function ok(result: CliResult, what: string): CliResult {
  assert.is(result.code, 0, `${what} exited ${result.code}: ${result.stderr}`);
  return result;
}

if (mode === 'live') {
  scenario(cli, 'pod create in the seed\'s form runs the pod; get -o json prints a Kubernetes Pod; delete leaves nothing', async ({ engine, defer }) => {
    const name = 'pt-cli-seed';
    defer(() => runCli(['pod', 'delete', name, '--force']), `podling pod delete ${name} --force`);
    const created = ok(await runCli([
      'pod', 'create', name,
      '--container', `app:${IMAGE}:BACKEND_URL=http://localhost:8080`,
      '--container', `sidecar:${IMAGE}`,
      '--label', 'app=pt-cli', '--memory', 'app=64Mi', '--cpu', '500m',
      '--pull', 'IfNotPresent',
    ]), 'pod create');
    assert.match(created.stdout, new RegExp(`^pod/${name} created \\(id [0-9a-f]{10}, ip \\d+\\.\\d+\\.\\d+\\.\\d+, \\w+\\)\\n$`));

    const got = ok(await runCli(['pod', 'get', name, '-o', 'json']), 'pod get');
    const pod = JSON.parse(got.stdout);
    assert.is(pod.apiVersion, 'v1');
    assert.is(pod.kind, 'Pod');
    assert.is(pod.metadata.name, name);
    assert.match(pod.metadata.uid, /^[0-9a-f]{10}$/);
    assert.equal(pod.metadata.labels, { app: 'pt-cli' });
    assert.match(pod.status.podIP, /^\d+\.\d+\.\d+\.\d+$/);
    assert.is(pod.metadata.annotations['podling.io/pod-ip'], pod.status.podIP);
    assert.match(created.stdout, `ip ${pod.status.podIP},`);
    assert.equal(pod.spec.containers.map((c: { name: string }) => c.name), ['app', 'sidecar']);
    assert.equal(pod.spec.containers[0].env, [{ name: 'BACKEND_URL', value: 'http://localhost:8080' }]);
    assert.is(pod.spec.containers[0].image, IMAGE);
    assert.equal(pod.spec.containers[0].resources, { limits: { memory: '64Mi', cpu: '500m' } });
    assert.equal(pod.spec.containers[1].resources, { limits: { cpu: '500m' } });
    assert.equal(pod.status.containerStatuses.map((c: { name: string }) => c.name), ['app', 'sidecar']);

    const listed = ok(await runCli(['pod', 'list', '-l', 'app=pt-cli', '-o', 'json']), 'pod list');
    assert.equal(JSON.parse(listed.stdout).items.map((p: { metadata: { uid: string } }) => p.metadata.uid), [pod.metadata.uid]);
    const table = ok(await runCli(['pod', 'list', '-l', 'app=pt-cli']), 'pod list');
    assert.match(table.stdout, /^NAME\s+ID\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    assert.match(table.stdout, new RegExp(`\\n${name}\\s+${pod.metadata.uid}\\s+\\d/2\\s`));
    const byId = ok(await runCli(['pod', 'get', pod.metadata.uid, '-o', 'yaml']), 'pod get by id');
    assert.match(byId.stdout, `name: ${name}`);

    const deleted = ok(await runCli(['pod', 'delete', name]), 'pod delete');
    assert.is(deleted.stdout, `pod/${name} deleted\n`);
    await assertGone(engine, name);
    const after = await runCli(['pod', 'get', name]);
    assert.is(after.code, 1);
    assert.is(after.stderr, `podling: pod "${name}" not found\n`);
  });

  scenario(cli, 'pod create -f FILE; exec passes the exit code and both streams through; logs name each container', async ({ engine, defer }) => {
    const name = 'pt-cli-file';
    defer(() => runCli(['pod', 'delete', name, '--force']), `podling pod delete ${name} --force`);
    const created = ok(await runCli(['pod', 'create', '-f', POD_FILE]), 'pod create -f');
    assert.equal(created.stderr.split('\n').filter((l) => l.startsWith('notice: ')), [
      'notice: spec.serviceAccountName: accepted, has no effect here (no API server, so no service accounts or tokens)',
      'notice: spec.tolerations: accepted, has no effect here (one engine, no scheduler: nothing to place)',
    ]);
    const failing = await runCli(['pod', 'exec', name, '--', 'sh', '-c', 'exit 3']);
    assert.is(failing.code, 3, failing.stderr);
    assert.is(failing.stderr, '');
    const both = await runCli(['pod', 'exec', name, '-c', 'second', '--', 'sh', '-c', 'echo "out $WHO"; echo "err $WHO" >&2; exit 0']);
    assert.equal([both.code, both.stdout, both.stderr], [0, 'out second\n', 'err second\n']);
    const first = await runCli(['pod', 'exec', name, '--', 'sh', '-c', 'echo "$WHO"']);
    assert.equal([first.code, first.stdout], [0, 'first\n'], 'without -c: the first container of the spec');

    // Each container says hello as it starts; wait until both have.
    const logs = await poll('live', () => runCli(['pod', 'logs', name]), (r) => r.stdout.split('\n').length > 2, 20, 100);
    assert.equal(ok(logs, 'pod logs').stdout.split('\n').filter(Boolean).sort(), ['[first] hello from first', '[second] hello from second']);
    const one = ok(await runCli(['pod', 'logs', name, '-c', 'second']), 'pod logs -c');
    assert.is(one.stdout, 'hello from second\n', 'one container: no prefix');

    const got = JSON.parse(ok(await runCli(['pod', 'get', name, '-o', 'json']), 'pod get').stdout);
    assert.is(got.metadata.annotations.note, 'from a file: quotes " and unicode ✓');
    assert.is(got.spec.serviceAccountName, 'builder', 'a notice field is kept');
    assert.equal(got.spec.tolerations, [{ key: 'dedicated', operator: 'Exists' }]);
    assert.is(got.status.phase, 'Running');

    const deleted = ok(await runCli(['pod', 'delete', name, '--force']), 'pod delete --force');
    assert.is(deleted.stdout, `pod/${name} deleted\n`);
    await assertGone(engine, name);
  });

  scenario(cli, 'pod create with an image the registry does not have fails (exit 1) on one line with the reason, and leaves nothing', async ({ engine, defer }) => {
    const name = 'pt-cli-bad-image';
    defer(() => runCli(['pod', 'delete', name, '--force']), `podling pod delete ${name} --force`);
    const result = await runCli(['pod', 'create', name, '--container', `app:${IMAGE}`, '--container', 'broken:127.0.0.1:5000/podling-test/does-not-exist:latest', '--pull', 'IfNotPresent']);
    assert.is(result.code, 1);
    assert.match(result.stderr, new RegExp(`^podling: pod ${name} Failed: ImagePullError: .*does-not-exist.*\n$`));
    assert.is(result.stderr.split('\n').length, 2, result.stderr);
    assert.is(result.stdout, '');
    await assertGone(engine, name);
  });

  cli('a pod that does not exist is a failure (exit 1) naming it, for get, exec, logs and delete', async () => {
    for (const args of [['pod', 'get', 'pt-cli-nothing'], ['pod', 'exec', 'pt-cli-nothing', '--', 'true'], ['pod', 'logs', 'pt-cli-nothing'], ['pod', 'delete', 'pt-cli-nothing']]) {
      const result = await runCli(args);
      assert.is(result.code, 1, args.join(' '));
      assert.is(result.stderr, 'podling: pod "pt-cli-nothing" not found\n', args.join(' '));
      assert.is(result.stdout, '');
    }
  });
}

cli.run();
