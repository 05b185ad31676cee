import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse as parseYaml } from 'yaml';
import { ANNOTATION_ISOLATED } from '../../src/pod/index.js';
import { mode, scenario, unit } from '../support/scenario.js';
import { runCli, runMain, type CliResult } from '../support/cli.js';
import { requestsDuring } from '../support/sent.js';
import { IMAGE, removePods } from '../support/pods.js';
import { assertNothingLeft, clusterAddress, clusterAliases, clusterPods, dnsNames, inSubnet, removeCluster, removeServices, subnet } from '../support/cluster.js';

// The `podling service` commands and `pod create --isolated / --host-network`, as child processes
// against the live engine (the live tier only: a child process is not recorded). The cluster
// network comes from PODLING_CLUSTER_NETWORK / PODLING_CLUSTER_SUBNET, 10.212.21-22.0/24 here.
// Bad command lines need no engine: those run in the replay tier, in this process, with the engine
// address pointing at nothing and every request counted, so "exit 2 and nothing sent" is shown.
const cli = suite('cli/service');

const dir = mkdtempSync(join(tmpdir(), 'podling-cli-service-'));
const NO_ENGINE = ['-H', `unix://${join(dir, 'no-engine.sock')}`];

/** One line on stderr, no stack trace, nothing on stdout: how every failing command ends. */
function assertOneLineError(r: CliResult, code: number, message: string, what: string): void {
  assert.is(r.stderr, `podling: ${message}\n`, what);
  assert.not.match(r.stderr, /\n\s+at /, `${what}: no stack trace`);
  assert.is(r.stdout, '', `${what}: nothing on stdout`);
  assert.is(r.code, code, `${what}: exit ${code}`);
}

const BAD: Array<[string[], string]> = [
  [['service', 'create', 'x', '--selector', 'a b', '--port', '80'], 'invalid label key "a b" in selector'],
  [['service', 'create', 'x', '--selector', 'app in (x)', '--port', '80'], 'set-based selector "app in (x)" is not supported: use key=value, key!=value, key or !key'],
  [['service', 'create', 'x', '--selector', 'app=Bad Value', '--port', '80'], 'invalid label value "Bad Value" in selector'],
  [['service', 'create', 'x', '--selector', 'app', '--port', '80'], '--selector app: a service selects with key=value pairs only'],
  [['service', 'create', 'x', '--selector', 'app!=web', '--port', '80'], '--selector app!=web: a service selects with key=value pairs only'],
  [['service', 'create', 'x', '--selector', 'app=web,app=api', '--port', '80'], '--selector app=web,app=api: key "app" is given twice'],
  [['service', 'create', 'x', '--selector', 'app=web', '--port', '0'], '--port 0: a port number from 1 to 65535'],
  [['service', 'create', 'x', '--selector', 'app=web', '--port', '0x50'], '--port 0x50: a port number from 1 to 65535'],
  [['service', 'create', 'x', '--selector', 'app=web', '--port', '70000'], '--port 70000: a port number from 1 to 65535'],
  [['service', 'create', 'x', '--selector', 'app=web', '--port', '80', '--target-port', '8o'], '--target-port 8o: a port number from 1 to 65535'],
  [['service', 'create', 'x', '--selector', 'app=web', '--port', '80', '--protocol', 'sctp'], '--protocol sctp: use tcp or udp'],
  [['service', 'create', 'x', '--selector', 'app=web'], 'service create needs --port'],
  [['service', 'create', 'x', '--port', '80'], 'service create needs --selector KEY=VALUE[,KEY=VALUE...]'],
  [['service', 'create', '--selector', 'app=web', '--port', '80'], 'service create takes exactly one NAME'],
  [['service', 'create', 'Web_Service', '--selector', 'app=web', '--port', '80'], 'invalid service: name: service name must be a DNS label: lower-case letters, digits and \'-\', starting and ending with a letter or digit'],
  [['service', 'get'], 'service get takes exactly one SERVICE'],
  [['service', 'get', 'x', '-o', 'xml'], '-o xml: use json or yaml'],
  [['service', 'get', 'Bad_Name'], 'invalid service name "Bad_Name"'],
  [['service', 'delete'], 'service delete takes exactly one SERVICE'],
  [['service', 'delete', 'Bad_Name'], 'invalid service name "Bad_Name"'],
  [['service', 'list', 'extra'], 'service list takes no arguments (got extra)'],
];

for (const [args, message] of BAD) {
  unit(cli, `podling ${args.join(' ')} exits 2 with one line on stderr, without reaching an engine`, async () => {
    let result: CliResult | undefined;
    const sent = await requestsDuring(async () => { result = await runMain([...NO_ENGINE, ...args]); });
    assertOneLineError(result!, 2, message, args.join(' '));
    assert.equal(sent, [], 'no request');
  });
}

const podFile = (name: string, labels: Record<string, string>, port: number) => {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: { containers: [{ name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', `mkdir -p /www && echo ${name} > /www/index.html && exec httpd -f -p ${port} -h /www`] }] },
  }));
  return file;
};

if (mode === 'live') {
  scenario(cli, 'service create, get (text, json, yaml), list and delete print what they did and exit 0, 1 or 2 as they should', async ({ engine, name, track, defer }) => {
    const cl = { name: track.network(name('cluster')), subnet: subnet(21) };
    const env = { PODLING_CLUSTER_NETWORK: cl.name, PODLING_CLUSTER_SUBNET: cl.subnet };
    const run = (...args: string[]) => runCli(args, { env });
    const pods = clusterPods(engine, 'cli/service crud', cl);
    defer(() => removePods(pods, 'clit-web'), 'remove pod clit-web');
    defer(() => removeServices(pods, 'clit-svc'), 'remove service clit-svc');
    const created = await run('pod', 'create', '-f', podFile('clit-web', { app: 'web', test: 'clit-svc' }, 8080));
    assert.is(created.code, 0, created.stderr);
    const ip = /^pod\/clit-web created \(id [0-9a-f]{10}, ip (\d+\.\d+\.\d+\.\d+), Running\)\n$/.exec(created.stdout)?.[1];
    assert.ok(inSubnet(ip, cl.subnet), `the pod is on the cluster network the environment names: ${created.stdout}`);

    const made = await run('service', 'create', 'clit-svc', '--selector', 'app=web,test=clit-svc', '--port', '80', '--target-port', '8080');
    assert.equal(made, { code: 0, signal: null, stdout: 'service/clit-svc created (1 endpoint)\n', stderr: '' });

    const json = await run('service', 'get', 'clit-svc', '-o', 'json');
    assert.is(json.code, 0, json.stderr);
    const svc = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.equal(svc, {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: 'clit-svc', namespace: 'default', creationTimestamp: (svc.metadata as { creationTimestamp: string }).creationTimestamp },
      spec: { selector: { app: 'web', test: 'clit-svc' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
      endpoints: [`${ip}:8080`],
    });
    const yaml = await run('service', 'get', 'clit-svc', '-o', 'yaml');
    assert.equal(parseYaml(yaml.stdout), svc);
    const text = await run('service', 'get', 'clit-svc');
    assert.is(text.stdout, [
      'Name:        clit-svc', 'Namespace:   default', 'Selector:    app=web,test=clit-svc', 'Port:        80/TCP -> 8080', `Endpoints:   ${ip}:8080`, '',
    ].join('\n'));
    const list = await run('service', 'list');
    assert.is(list.code, 0, list.stderr);
    const [head, ...rows] = list.stdout.trimEnd().split('\n');
    assert.match(head!, /^NAME\s+SELECTOR\s+PORT\s+ENDPOINTS\s+AGE$/);
    assert.match(rows.find((r) => r.startsWith('clit-svc ')) ?? '', new RegExp(`^clit-svc\\s+app=web,test=clit-svc\\s+80/TCP\\s+${ip!.replace(/\./g, '\\.')}:8080\\s+\\d+s$`));

    // The name resolves in the pod, through the CLI's own exec.
    // The answer, not nslookup's exit code: busybox asks every search domain, and the names no one
    // has are forwarded; Docker 26 answers those SERVFAIL at once, which makes nslookup exit 1
    // although the first domain's answer is the service (20.10 never answers them; see
    // docs/engine-behaviour.md). The CLI's exit code is the command's.
    const resolved = await run('pod', 'exec', 'clit-web', '--', 'busybox', 'nslookup', 'clit-svc');
    assert.is(resolved.stderr, '');
    assert.match(resolved.stdout, new RegExp(`^Name:\\s+clit-svc\\.default\\.svc\\.cluster\\.local\nAddress: ${ip!.replace(/\./g, '\\.')}$`, 'm'));
    assert.equal((await clusterAliases(engine, cl.name))['podling_clit-web'], dnsNames({ pods: ['clit-web'], services: ['clit-svc'] }));

    assertOneLineError(await run('service', 'create', 'clit-svc', '--selector', 'app=other', '--port', '81'), 1, 'service "clit-svc" already exists', 'duplicate');
    assert.equal(JSON.parse((await run('service', 'get', 'clit-svc', '-o', 'json')).stdout), svc, 'the first service is unchanged');
    assertOneLineError(await run('service', 'get', 'clit-nope'), 1, 'service "clit-nope" not found', 'get of a missing service');
    assertOneLineError(await run('service', 'delete', 'clit-nope'), 1, 'service "clit-nope" not found', 'delete of a missing service');

    assert.equal(await run('service', 'delete', 'clit-svc'), { code: 0, signal: null, stdout: 'service/clit-svc deleted\n', stderr: '' });
    assertOneLineError(await run('service', 'get', 'clit-svc'), 1, 'service "clit-svc" not found', 'get after delete');
    assert.equal((await clusterAliases(engine, cl.name))['podling_clit-web'], dnsNames({ pods: ['clit-web'] }));
    assert.is(await clusterAddress(engine, 'clit-web', cl.name), ip, 'the pod kept its address');

    assert.equal(await run('pod', 'delete', 'clit-web', '--force'), { code: 0, signal: null, stdout: 'pod/clit-web deleted\n', stderr: '' });
    await removeCluster(engine, cl.name);
    await assertNothingLeft(engine, { pods: ['clit-web'], services: ['clit-svc'], cluster: cl.name });
  });

  scenario(cli, 'pod create --isolated joins no cluster network and --host-network runs in the host\'s namespace, as pod get -o json says', async ({ engine, name, track, defer }) => {
    const cl = { name: track.network(name('cluster')), subnet: subnet(22) };
    const env = { PODLING_CLUSTER_NETWORK: cl.name, PODLING_CLUSTER_SUBNET: cl.subnet };
    const run = (...args: string[]) => runCli(args, { env });
    const pods = clusterPods(engine, 'cli/service isolated host', cl);
    const names = ['clit-open', 'clit-iso', 'clit-host'];
    // The image's own command (`sh`) ends at once: --restart Never lets it, the infra stays up.
    const container = ['--container', `c:${IMAGE}`, '--pull', 'IfNotPresent', '--restart', 'Never', '-o', 'json'];
    type PodJson = { metadata: { uid: string; annotations: Record<string, string> }; spec: { hostNetwork?: boolean }; status: { podIP?: string } };
    const create = async (pod: string, ...flags: string[]): Promise<PodJson> => {
      const r = await run('pod', 'create', pod, ...container, ...flags);
      assert.is(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as PodJson;
    };
    defer(() => removePods(pods, ...names), `remove pods ${names.join(', ')}`);
    const open = await create('clit-open');
    assert.ok(inSubnet(open.status.podIP, cl.subnet), `control: ${open.status.podIP} in ${cl.subnet}`);

    const iso = await create('clit-iso', '--isolated');
    assert.is(iso.metadata.annotations[ANNOTATION_ISOLATED], 'true');
    assert.not.ok(inSubnet(iso.status.podIP, cl.subnet), `isolated: ${iso.status.podIP} outside ${cl.subnet}`);
    assert.equal(Object.keys((await engine.containers.inspect('podling_clit-iso')).NetworkSettings.Networks ?? {}), [`pod-${iso.metadata.uid}`]);

    const host = await create('clit-host', '--host-network');
    assert.is(host.spec.hostNetwork, true);
    const got = await run('pod', 'get', 'clit-host', '-o', 'json');
    assert.is(got.code, 0, got.stderr);
    assert.is((JSON.parse(got.stdout) as PodJson).spec.hostNetwork, true);
    assert.is((await engine.containers.inspect('podling_clit-host')).HostConfig.NetworkMode, 'host');
    assert.equal(Object.keys(await clusterAliases(engine, cl.name)), ['podling_clit-open'], 'only the control pod is on the cluster network');

    const deleted = await run('pod', 'delete', ...names, '--force');
    assert.is(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout.trimEnd().split('\n').sort(), names.map((n) => `pod/${n} deleted`).sort());
    await removeCluster(engine, cl.name);
    await assertNothingLeft(engine, { pods: names, cluster: cl.name });
  });
}

cli.run();
