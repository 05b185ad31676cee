import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../support/agent.js';
import { ensureBundle, runCli, runMain, startCli } from '../support/cli.js';
import { IMAGE } from '../support/pods.js';
import { mode, scenario, unit } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';

// `pod list -w` / `pod get -w`: the table, then a line per change, as `kubectl get -w` prints
// them; `pod logs --previous`. Live with real processes, bad input without an engine.
const watch = suite('cli/watch');

const BAD: Array<[string, string[], RegExp]> = [
  ['pod get -w with -o yaml', ['pod', 'get', 'x', '-w', '-o', 'yaml'], /-w prints a line per change/],
  ['pod logs --previous with -f', ['pod', 'logs', 'x', '--previous', '-f'], /--previous reads an attempt that has ended/],
];
for (const [what, args, message] of BAD) {
  unit(watch, `${what}: exit 2 with one line, no engine request`, async () => {
    let result: Awaited<ReturnType<typeof runMain>> | undefined;
    const sent = await requestsDuring(async () => { result = await runMain(args); });
    assert.is(result!.code, 2, result!.stderr);
    assert.match(result!.stderr, message);
    assert.equal(sent, []);
  });
}

if (mode === 'live') {
  scenario(watch, 'pod list -w prints the table, then a line when a pod starts running and when it is deleted; SIGINT ends it with exit 0', async ({ defer }) => {
    await ensureBundle();
    const name = 'pt-watched';
    defer(() => runCli(['pod', 'delete', name, '--force']), 'the pod');
    const child = startCli(['pod', 'list', '-w', '-l', 'watched=yes']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    child.stderr!.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    defer(() => { child.kill('SIGKILL'); return exited; }, 'the watcher');
    await eventually('the header', async () => out, (o) => o.startsWith('NAME'), 10_000, 50);
    const created = await runCli(['pod', 'create', name, '--container', `app:${IMAGE}`, '--pull', 'IfNotPresent', '--label', 'watched=yes']);
    assert.is(created.code, 0, created.stderr);
    await eventually('a Running line', async () => out, (o) => /\npt-watched\s+\S+\s+1\/1\s+Running\s/.test(o), 10_000, 50);
    const deleted = await runCli(['pod', 'delete', name, '--force']);
    assert.is(deleted.code, 0, deleted.stderr);
    await eventually('a Deleted line', async () => out, (o) => /\npt-watched\s+\S+\s+\S+\s+Deleted\s/.test(o), 10_000, 50);
    child.kill('SIGINT');
    assert.is(await exited, 0, out);
    const lines = out.trim().split('\n');
    assert.is(lines.filter((l) => l.startsWith('NAME')).length, 1, 'one header');
    assert.ok(lines.slice(1).every((l) => l.startsWith('pt-watched')), `only the selected pod: ${out}`);
    const keys = lines.slice(1).map((l) => l.split(/\s+/).filter((_, i) => i !== 5).join(' '));
    assert.ok(keys.every((k, i) => i === 0 || k !== keys[i - 1]), `no line printed twice in a row: ${out}`);
  });

  scenario(watch, 'pod get -w of a pod that does not exist is not found (exit 1); pod logs --previous of a container that never restarted says so (exit 1)', async ({ defer }) => {
    await ensureBundle();
    const missing = await runCli(['pod', 'get', 'pt-no-such-pod', '-w'], { timeout: 10_000 });
    assert.is(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, 'pod "pt-no-such-pod" not found');
    const name = 'pt-no-previous';
    defer(() => runCli(['pod', 'delete', name, '--force']), 'the pod');
    assert.is((await runCli(['pod', 'create', name, '--container', `app:${IMAGE}`, '--pull', 'IfNotPresent'])).code, 0);
    const previous = await runCli(['pod', 'logs', name, '-c', 'app', '--previous']);
    assert.is(previous.code, 1);
    assert.match(previous.stderr, 'container "app" of pod pt-no-previous has no previous attempt (it has not restarted)');
  });
}

watch.run();
