import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { LogLine, Pods } from '../../src/pod/index.js';
import { scenario } from '../support/scenario.js';
import { IMAGE, poll, rejection, sleeper, testPods } from '../support/pods.js';

// Logs from every container of a pod or from one, and commands run inside it (fixtures/pod/logs-exec/).
const logsExec = suite('pod/logs-exec');

async function collect(pods: Pods, ref: string, options: { container?: string; tail?: number } = {}): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of pods.logs(ref, options)) lines.push(line);
  return lines;
}

const printer = (name: string, script: string) => ({ name, image: IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sh', '-c', script] });

scenario(logsExec, 'logs come from every container, each in its own order with its stream, or from the one named', async ({ engine, mode, defer }) => {
  const pods = testPods(engine, 'pod/logs-exec logs');
  defer(() => pods.delete('pt-logs', { force: true }), 'pt-logs');
  await pods.create({
    metadata: { name: 'pt-logs' },
    spec: {
      restartPolicy: 'Never',
      containers: [
        printer('one', 'for i in 1 2 3 4 5; do echo "one $i"; done; echo "one oops" >&2; printf "one no newline"'),
        printer('two', 'for i in 1 2 3 4 5; do echo "two $i"; done'),
      ],
    },
  });
  // Both exit 0 on their own: the pod Succeeds, and every line is in the logs by then.
  const done = await poll(mode, () => pods.get('pt-logs'), (p) => p.status.phase !== 'Running' && p.status.phase !== 'Pending', 50, 100);
  assert.is(done.status.phase, 'Succeeded');
  const all = await collect(pods, 'pt-logs');
  const of = (container: string) => all.filter((l) => l.container === container).map((l) => `${l.stream} ${l.text}`);
  // Per container: stdout keeps its order, stderr its own (their relative order is not kept by the engine).
  assert.equal(of('one').filter((l) => l.startsWith('stdout')), ['stdout one 1', 'stdout one 2', 'stdout one 3', 'stdout one 4', 'stdout one 5', 'stdout one no newline']);
  assert.equal(of('one').filter((l) => l.startsWith('stderr')), ['stderr one oops']);
  assert.equal(of('two'), ['stdout two 1', 'stdout two 2', 'stdout two 3', 'stdout two 4', 'stdout two 5']);
  assert.is(all.length, 12);
  const two = await collect(pods, 'pt-logs', { container: 'two' });
  assert.equal(two.map((l) => `${l.container} ${l.text}`), ['two two 1', 'two two 2', 'two two 3', 'two two 4', 'two two 5']);
  const tail = await collect(pods, 'pt-logs', { container: 'two', tail: 2 });
  assert.equal(tail.map((l) => l.text), ['two 4', 'two 5']);
  const unknown = await rejection(collect(pods, 'pt-logs', { container: 'three' }));
  assert.match(String(unknown), 'has no container "three" (it has: ');
});

async function run(pods: Pods, ref: string, cmd: string[], container?: string): Promise<{ exitCode: number; stdout: string }> {
  const { output, exitCode } = await pods.exec(ref, cmd, { container });
  const { stdout } = await output.text();
  return { exitCode: await exitCode(), stdout };
}

scenario(logsExec, 'exec passes the exit code through and runs in the named container, or in the first one of the spec', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/logs-exec exec');
  defer(() => pods.delete('pt-exec', { force: true }), 'pt-exec');
  await pods.create({
    metadata: { name: 'pt-exec' },
    spec: { containers: ['first', 'second', 'third'].map((name) => sleeper(name, { env: [{ name: 'WHO', value: name }] })) },
  });
  assert.equal(await run(pods, 'pt-exec', ['sh', '-c', 'exit 3']), { exitCode: 3, stdout: '' });
  assert.equal(await run(pods, 'pt-exec', ['sh', '-c', 'echo "$WHO"; exit 0']), { exitCode: 0, stdout: 'first\n' }, 'the first container of the spec');
  assert.equal(await run(pods, 'pt-exec', ['sh', '-c', 'echo "$WHO"; exit 42'], 'third'), { exitCode: 42, stdout: 'third\n' });
  assert.equal(await run(pods, 'pt-exec', ['sh', '-c', 'echo "$WHO"'], 'second'), { exitCode: 0, stdout: 'second\n' });
  const unknown = await rejection(pods.exec('pt-exec', ['true'], { container: 'fourth' }));
  assert.match(String(unknown), 'pod pt-exec has no container "fourth" (it has: ');
});

logsExec.run();
