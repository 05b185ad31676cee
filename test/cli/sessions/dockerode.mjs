// A dockerode session (the benchmark's copy in bench/node_modules), recorded and replayed by
// test/cli/record-replay.test.ts. dockerode finds the engine through DOCKER_HOST, like any client.
// Objects are named podling-test-rr-node-* and labelled podling-test-rr=1.
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';

const Docker = createRequire(new URL('../../../bench/package.json', import.meta.url))('dockerode');
const docker = new Docker();
const p = 'podling-test-rr-node';
const Labels = { 'podling-test-rr': '1' };
const Image = 'podling-test/busybox:latest';
const show = (what, value) => console.log(`${what}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);

/**
 * Writes `input` on a hijacked stream, half-closes, and collects the demultiplexed output, stdout
 * then stderr, each whole: the engine copies the two pipes on their own, so their frames may come
 * in either order and in any number of pieces.
 */
async function converse(stream, input) {
  const text = { stdout: '', stderr: '' };
  const sink = (name) => new PassThrough().on('data', (data) => { text[name] += data; });
  const ended = new Promise((resolve) => stream.on('end', resolve));
  docker.modem.demuxStream(stream, sink('stdout'), sink('stderr'));
  stream.end(input);
  await ended;
  return Object.entries(text).filter(([, t]) => t).map(([name, t]) => `${name}: ${t}`).join('');
}

show('ping', String(await docker.ping()));
const version = await docker.version();
show('version', { Version: version.Version, ApiVersion: version.ApiVersion });

// Several connections at once: the attach is hijacked while start and wait go on others.
const interactive = await docker.createContainer({
  name: `${p}-attach`, Image, Labels, Cmd: ['sh', '-c', 'tr a-z A-Z; echo to stderr >&2; exit 5'],
  OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true,
});
const attached = await interactive.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
// Registered before the start: `not-running`, the default, would answer at once.
const waited = interactive.wait({ condition: 'next-exit' });
await interactive.start();
show('attach', await converse(attached, 'stdin over a hijacked attach\n'));
show('wait', (await waited).StatusCode);

const box = await docker.createContainer({ name: `${p}-box`, Image, Labels, Cmd: ['sh', '-c', 'echo started; exec sleep 300'] });
await box.start();
const listed = await docker.listContainers({ filters: { label: ['podling-test-rr=1'] } });
show('ps', listed.map((c) => [c.Names, c.Image, c.State]));
const exec = await box.exec({ Cmd: ['sh', '-c', 'rev; echo exec stderr >&2; exit 4'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
const execStream = await exec.start({ hijack: true, stdin: true });
show('exec', await converse(execStream, 'stdin over a hijacked exec\n'));
show('exec exit', (await exec.inspect()).ExitCode);
show('logs', JSON.stringify((await box.logs({ stdout: true, stderr: true })).toString('latin1')));

const network = await docker.createNetwork({ Name: `${p}-net`, Labels });
show('networks', (await docker.listNetworks({ filters: { name: [`${p}-net`] } })).map((n) => [n.Name, n.Driver]));
await network.remove();
await box.remove({ force: true });
await interactive.remove();
try {
  await docker.getContainer(`${p}-missing`).inspect();
} catch (err) {
  show('missing', [err.statusCode, err.json?.message]);
  process.exitCode = 3;
}
