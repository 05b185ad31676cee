import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, runMain, type CliResult } from '../support/cli.js';

// A command line podling cannot understand exits 2 with one line on stderr, no stack trace, and
// never reaches an engine: these run with the engine address pointing at nothing.
const usage = suite('cli/usage');

const dir = mkdtempSync(join(tmpdir(), 'podling-cli-usage-'));
const NO_ENGINE = ['-H', `unix://${join(dir, 'no-engine.sock')}`];
const badFile = join(dir, 'bad-pod.yaml');
writeFileSync(badFile, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  contaners:\n    - name: a\n      image: x:1\n');
const refusedFile = join(dir, 'refused-pod.yaml');
writeFileSync(refusedFile, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: x:1\n  ephemeralContainers:\n    - name: debug\n      image: x:1\n');
const nsFile = join(dir, 'shop-pod.yaml');
writeFileSync(nsFile, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  containers:\n    - name: a\n      image: x:1\n');
const notYaml = join(dir, 'not-yaml.yaml');
writeFileSync(notYaml, 'metadata: [unclosed\n');

const CASES: Array<[string[], string | RegExp]> = [
  [['pod', 'create'], 'podling: pod create takes exactly one NAME (or -f FILE)'],
  [['pod', 'create', 'x'], 'podling: pod create needs at least one --container NAME:IMAGE:TAG'],
  [['pod', 'create', 'x', '--bogus'], /^podling: Unknown option '--bogus'/],
  [['pod', 'create', 'x', '--container', 'app:127.0.0.1:5000:latest'], /^podling: --container app:127\.0\.0\.1:5000:latest: .*write 127\.0\.0\.1:5000\/PATH:TAG/],
  [['pod', 'create', 'x', '--container', 'a:b:1', '--cpu', 'lots'], /^podling: invalid pod spec: spec\.containers\.0\.resources\.limits\.cpu: invalid cpu quantity "lots"/],
  [['pod', 'create', 'My_Pod', '--container', 'a:b:1'], /^podling: invalid pod spec: metadata\.name: pod name must be a DNS label/],
  [['pod', 'create', 'x', '--container', 'a:b:1', '--container', 'a:c:1'], 'podling: invalid pod spec: spec.containers.1.name: duplicate container name "a"'],
  [['pod', 'create', 'x', '--container', 'a:b:1', '--port', '70000:80'], 'podling: --port 70000:80: host port 70000 is out of range (1-65535)'],
  [['pod', 'create', 'x', '--container', 'a:b:1', '--cpu', 'nope=1'], 'podling: --cpu: no container named "nope"'],
  [['pod', 'create', 'x', '--container', 'a:b:1', '--restart', 'sometimes'], 'podling: --restart sometimes: use Always, OnFailure or Never'],
  [['pod', 'create', 'x', '--container', 'a:b:1', '--pull', 'Maybe'], 'podling: --pull Maybe: use Always, IfNotPresent or Never'],
  [['pod', 'create', 'x', '--container', 'a:b:1', '--label', 'novalue'], 'podling: --label novalue: expected KEY=VALUE'],
  [['pod', 'create', 'x', '--container', 'a:b:1', '--network', 'bridge'], 'podling: --network bridge: use own or cluster'],
  [['pod', 'create', 'x', '--container', 'a:b:1', '--network', 'cluster', '--isolated'], /^podling: invalid pod spec: metadata\.annotations\.podling\.io\/network: an isolated pod joins no cluster network/],
  [['pod', 'create', 'x', '--container', 'a:b:1', '--network', 'own', '--host-network'], /^podling: invalid pod spec: metadata\.annotations\.podling\.io\/network: a hostNetwork pod uses the host's network/],
  [['pod', 'create', '-f', nsFile, '--network', 'own'], 'podling: -f FILE takes the whole pod from the file: no NAME or --network with it'],
  [['pod', 'create', '-f', badFile], `podling: invalid pod spec in ${badFile}: spec.contaners: unknown field (did you mean "containers"?)`],
  [['pod', 'create', '-f', refusedFile], `podling: invalid pod spec in ${refusedFile}: spec.ephemeralContainers: not supported: ephemeral containers are added to a running pod through the API, never in a manifest: use \`podling pod exec\``],
  [['pod', 'create', '-f', notYaml], new RegExp(`^podling: invalid pod spec in ${notYaml}: not valid YAML or JSON: `)],
  [['pod', 'get'], 'podling: pod get takes exactly one POD (name or id)'],
  [['apply'], 'podling: apply needs -f FILE (a file, a directory or - for stdin)'],
  [['apply', 'x.yaml'], 'podling: apply takes its objects from -f (got x.yaml)'],
  [['apply', '-f', badFile], `podling: ${badFile}: document 1 (Pod p): spec.contaners: unknown field (did you mean "containers"?)`],
  [['apply', '-f', join(dir, 'missing.yaml')], `podling: ${join(dir, 'missing.yaml')}: no such file or directory`],
  [['delete', '-f', '-', '-f', '-'], 'podling: -f - (stdin) can be given once'],
  [['get'], 'podling: get needs a KIND: pods, services, configmaps or secrets'],
  [['get', 'deployments'], 'podling: get deployments: unknown kind (pods, services, configmaps or secrets)'],
  [['get', 'constructor'], 'podling: get constructor: unknown kind (pods, services, configmaps or secrets)'],
  [['get', 'pods', '-o', 'xml'], 'podling: -o xml: use json, yaml, wide or name'],
  [['get', 'pods', '--reveal'], 'podling: --reveal is for secrets'],
  [['get', 'pod/a', 'b'], 'podling: get takes one NAME (got a b)'],
  [['describe', 'pods'], 'podling: describe needs a NAME'],
  [['pod', 'get', 'x', '-n', 'Shop_1'], 'podling: -n Shop_1: a namespace is a DNS label (lower-case letters, digits and \'-\', at most 63)'],
  [['pod', 'list', '-n', 'shop', '-A'], 'podling: -n and -A (--all-namespaces) cannot be used together'],
  [['service', 'list', '-n', 'shop', '--all-namespaces'], 'podling: -n and -A (--all-namespaces) cannot be used together'],
  [['pod', 'create', '-f', nsFile, '-n', 'other'], `podling: the namespace in ${nsFile} ("shop") does not match -n other`],
  [['pod', 'get', 'x', '-o', 'xml'], 'podling: -o xml: use json or yaml'],
  [['pod', 'list', '-l', 'app in (a,b)'], /^podling: set-based selector "app in \(a,b\)" is not supported/],
  [['pod', 'list', 'extra'], 'podling: pod list takes no arguments (got extra)'],
  [['pod', 'delete'], 'podling: pod delete needs at least one POD'],
  [['pod', 'delete', 'x', '--grace-period', 'soon'], 'podling: --grace-period soon: a whole number of seconds'],
  [['pod', 'logs', 'x', '--tail', '-1'], /^podling: Option '--tail' argument is ambiguous\./],
  [['pod', 'exec', 'x'], 'podling: usage: podling pod exec POD [-n NAMESPACE] [-c NAME] -- CMD [ARG...]'],
  [['prune', '--nope'], 'podling: prune takes only --all (got --nope)'],
  [['pod', 'frob'], /^podling: unknown command "pod frob"/],
  [['frob'], /^podling: unknown command "frob"/],
];

// The table runs main() in this process (the same code as the binary); the two tests below run
// the real binary, so exit codes and stderr are also checked end to end.
CASES.forEach(([args, message]) => {
  usage(`podling ${args.join(' ').replace(dir, '$TMP')} exits 2 with one line on stderr`, async () => {
    const { code, stdout, stderr }: CliResult = await runMain([...NO_ENGINE, ...args]);
    assert.is(stderr.endsWith('\n') ? stderr.slice(0, -1).split('\n').length : -1, 1, `one line on stderr:\n${stderr}`);
    if (typeof message === 'string') assert.is(stderr, `${message}\n`);
    else assert.match(stderr, message);
    assert.not.match(stderr, /\n\s+at /, 'no stack trace');
    assert.is(stdout, '');
    assert.is(code, 2);
  });
});

usage('--help prints the command\'s help on stdout and exits 0', async () => {
  const { code, stdout, stderr } = await runCli([...NO_ENGINE, 'pod', 'create', '--help']);
  assert.is(code, 0);
  assert.is(stderr, '');
  assert.match(stdout, 'Usage: podling pod create NAME [options]');
  assert.match(stdout, 'web:127.0.0.1:5000/podling-test/busybox:latest');
});

usage('an engine that is not there is a failure (exit 1) saying where it was looked for, on one line', async () => {
  const { code, stderr } = await runCli([...NO_ENGINE, 'pod', 'list']);
  assert.is(code, 1);
  assert.match(stderr, /^podling: .*no-engine\.sock/);
  assert.is(stderr.trimEnd().split('\n').length, 1, stderr);
});

usage('a pod network default that is no mode (PODLING_POD_NETWORK) exits 2 naming the variable, before any engine is asked', async () => {
  // The engine address points at nothing: an exit 1 "cannot connect" would mean a request was tried.
  const { code, stdout, stderr } = await runCli([...NO_ENGINE, 'pod', 'list'], { env: { PODLING_POD_NETWORK: 'bridge' } });
  assert.is(stderr, 'podling: PODLING_POD_NETWORK "bridge": use own or cluster\n');
  assert.is(stdout, '');
  assert.is(code, 2);
});

usage.after(() => rmSync(dir, { recursive: true, force: true }));

usage.run();
