import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePod, PodSpecError, type PodInput } from '../../src/pod/index.js';
import { assertRefusedWithoutSending } from '../support/refused.js';

// A bad pod spec is one PodSpecError naming the field, raised before anything reaches the engine.
const spec = suite('pod/spec');

const app = { name: 'app', image: 'podling-test/busybox:latest' };
const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'p' }): PodInput => ({ metadata, spec } as unknown as PodInput);
/** The app container, with one port named "http" and one probe. */
const probed = (field: string, probe: Record<string, unknown>) => ({ ...app, ports: [{ name: 'http', containerPort: 80 }], [field]: probe });
const EXEC = { exec: { command: ['true'] } };
const DATA = { name: 'data', emptyDir: {} };
const mounted = (mount: Record<string, unknown>) => ({ ...app, volumeMounts: [{ name: 'data', mountPath: '/data', ...mount }] });

/** Each bad spec, with what its one problem must say. */
const BAD: Array<[string, unknown, RegExp]> = [
  ['a misspelt field', pod({ contaners: [app] }), /^spec\.contaners: unknown field \(did you mean "containers"\?\)$/],
  ['a misspelt container field', pod({ containers: [{ ...app, imagePulPolicy: 'Never' }] }), /^spec\.containers\.0\.imagePulPolicy: unknown field \(did you mean "imagePullPolicy"\?\)$/],
  ['an unknown field like nothing known', pod({ containers: [{ ...app, enviroment: [] }] }), /^spec\.containers\.0\.enviroment: unknown field$/],
  ['a cpu quantity that is not one', pod({ containers: [{ ...app, resources: { limits: { cpu: 'lots' } } }] }), /^spec\.containers\.0\.resources\.limits\.cpu: invalid cpu quantity "lots"/],
  ['a memory quantity with an unknown suffix', pod({ containers: [{ ...app, resources: { requests: { memory: '12XB' } } }] }), /^spec\.containers\.0\.resources\.requests\.memory: invalid memory quantity "12XB"/],
  ['two containers with one name', pod({ containers: [app, { ...app }] }), /^spec\.containers\.1\.name: duplicate container name "app"$/],
  ['a pod name that is not a DNS label', pod({ containers: [app] }, { name: 'My_Pod' }), /^metadata\.name: pod name must be a DNS label/],
  ['a pod name over 63 characters', pod({ containers: [app] }, { name: 'p'.repeat(64) }), /^metadata\.name: pod name must be at most 63 characters$/],
  ['a container name with capitals', pod({ containers: [{ ...app, name: 'Web' }] }), /^spec\.containers\.0\.name: container name must be a DNS label/],
  ['a container port out of range', pod({ containers: [{ ...app, ports: [{ containerPort: 70000 }] }] }), /^spec\.containers\.0\.ports\.0\.containerPort: .*65535/],
  ['a host port of 0', pod({ containers: [{ ...app, ports: [{ containerPort: 80, hostPort: 0 }] }] }), /^spec\.containers\.0\.ports\.0\.hostPort: .*1/],
  ['a host port published twice', pod({ containers: [{ ...app, ports: [{ containerPort: 80, hostPort: 8080 }] }, { ...app, name: 'b', ports: [{ containerPort: 81, hostPort: 8080 }] }] }), /^spec\.containers\.1\.ports\.0\.hostPort: host port 8080\/TCP is published twice$/],
  ['no containers', pod({ containers: [] }), /^spec\.containers: a pod needs at least one container$/],
  ['an unknown restart policy', pod({ containers: [app], restartPolicy: 'Sometimes' }), /^spec\.restartPolicy: .*"Always"\|"OnFailure"\|"Never"/],
  ['a label key with a space', pod({ containers: [app] }, { name: 'p', labels: { 'a b': 'x' } }), /^metadata\.labels\.a b: invalid label key$/],
  ['a label value with a space', pod({ containers: [app] }, { name: 'p', labels: { a: 'x y' } }), /^metadata\.labels\.a: invalid label value/],
  ['an annotation key with a space', pod({ containers: [app] }, { name: 'p', annotations: { 'a b': 'x' } }), /^metadata\.annotations\.a b: invalid annotation key$/],
  ['a kind other than Pod', { kind: 'Deployment', metadata: { name: 'p' }, spec: { containers: [app] } }, /^kind: /],
  ['an environment variable name with a space', pod({ containers: [{ ...app, env: [{ name: 'A B', value: '1' }] }] }), /^spec\.containers\.0\.env\.0\.name: invalid environment variable name$/],

  // Probes
  ['a probe port out of range', pod({ containers: [probed('livenessProbe', { tcpSocket: { port: 65536 } })] }), /^spec\.containers\.0\.livenessProbe\.tcpSocket\.port: port 65536 is out of range: must be 1-65535$/],
  ['a probe port of 0', pod({ containers: [probed('readinessProbe', { httpGet: { port: 0 } })] }), /^spec\.containers\.0\.readinessProbe\.httpGet\.port: port 0 is out of range/],
  ['a probe port name naming no port of the container', pod({ containers: [probed('readinessProbe', { httpGet: { port: 'metrics' } })] }), /^spec\.containers\.0\.readinessProbe\.httpGet\.port: no port named "metrics" in this container's ports \(named: "http"\)$/],
  ['a probe port name naming a port of another container', pod({ containers: [{ ...app, ports: [{ name: 'http', containerPort: 80 }] }, { ...app, name: 'b', readinessProbe: { tcpSocket: { port: 'http' } } }] }), /^spec\.containers\.1\.readinessProbe\.tcpSocket\.port: no port named "http" in this container's ports \(none is named\)$/],
  ['a quoted probe port number', pod({ containers: [probed('livenessProbe', { tcpSocket: { port: '8080' } })] }), /^spec\.containers\.0\.livenessProbe\.tcpSocket\.port: no port named "8080" .*; a port number is written without quotes$/],
  ['an empty exec command', pod({ containers: [probed('startupProbe', { exec: { command: [] } })] }), /^spec\.containers\.0\.startupProbe\.exec\.command: an exec probe needs a command$/],
  ['a periodSeconds of 0', pod({ containers: [probed('livenessProbe', { ...EXEC, periodSeconds: 0 })] }), /^spec\.containers\.0\.livenessProbe\.periodSeconds: must be at least 1$/],
  ['a negative periodSeconds', pod({ containers: [probed('livenessProbe', { ...EXEC, periodSeconds: -5 })] }), /^spec\.containers\.0\.livenessProbe\.periodSeconds: must be at least 1$/],
  ['a timeoutSeconds of 0', pod({ containers: [probed('readinessProbe', { ...EXEC, timeoutSeconds: 0 })] }), /^spec\.containers\.0\.readinessProbe\.timeoutSeconds: must be at least 1$/],
  ['a failureThreshold of 0', pod({ containers: [probed('livenessProbe', { ...EXEC, failureThreshold: 0 })] }), /^spec\.containers\.0\.livenessProbe\.failureThreshold: must be at least 1$/],
  ['a successThreshold of 0', pod({ containers: [probed('readinessProbe', { ...EXEC, successThreshold: 0 })] }), /^spec\.containers\.0\.readinessProbe\.successThreshold: must be at least 1$/],
  ['a negative initialDelaySeconds', pod({ containers: [probed('startupProbe', { ...EXEC, initialDelaySeconds: -1 })] }), /^spec\.containers\.0\.startupProbe\.initialDelaySeconds: must be at least 0$/],
  ['a fractional periodSeconds', pod({ containers: [probed('livenessProbe', { ...EXEC, periodSeconds: 2.5 })] }), /^spec\.containers\.0\.livenessProbe\.periodSeconds: must be a whole number$/],
  ['a successThreshold of 2 on a liveness probe', pod({ containers: [probed('livenessProbe', { ...EXEC, successThreshold: 2 })] }), /^spec\.containers\.0\.livenessProbe\.successThreshold: must be 1 for a liveness probe$/],
  ['a successThreshold of 2 on a startup probe', pod({ containers: [probed('startupProbe', { ...EXEC, successThreshold: 2 })] }), /^spec\.containers\.0\.startupProbe\.successThreshold: must be 1 for a startup probe$/],
  ['a terminationGracePeriodSeconds on a readiness probe', pod({ containers: [probed('readinessProbe', { ...EXEC, terminationGracePeriodSeconds: 5 })] }), /^spec\.containers\.0\.readinessProbe\.terminationGracePeriodSeconds: not allowed on a readiness probe/],
  ['a terminationGracePeriodSeconds of 0', pod({ containers: [probed('livenessProbe', { ...EXEC, terminationGracePeriodSeconds: 0 })] }), /^spec\.containers\.0\.livenessProbe\.terminationGracePeriodSeconds: must be at least 1$/],
  ['two handlers in one probe', pod({ containers: [probed('livenessProbe', { ...EXEC, tcpSocket: { port: 80 } })] }), /^spec\.containers\.0\.livenessProbe: a probe takes exactly one handler, not tcpSocket and exec$/],
  ['a probe without a handler', pod({ containers: [probed('readinessProbe', { periodSeconds: 5 })] }), /^spec\.containers\.0\.readinessProbe: a probe needs one handler: httpGet, tcpSocket or exec$/],
  ['a grpc probe', pod({ containers: [probed('livenessProbe', { grpc: { port: 9090 } })] }), /^spec\.containers\.0\.livenessProbe\.grpc: grpc probes are not supported: use httpGet, tcpSocket or exec$/],
  ['an httpGet host', pod({ containers: [probed('livenessProbe', { httpGet: { port: 80, host: 'example.com' } })] }), /^spec\.containers\.0\.livenessProbe\.httpGet\.host: not supported: the pod's IP is probed; .*"Host" header in httpHeaders$/],
  ['an httpGet path without a leading slash', pod({ containers: [probed('livenessProbe', { httpGet: { port: 80, path: 'healthz' } })] }), /^spec\.containers\.0\.livenessProbe\.httpGet\.path: must start with "\/"$/],
  ['an httpGet scheme in lower case', pod({ containers: [probed('livenessProbe', { httpGet: { port: 80, scheme: 'https' } })] }), /^spec\.containers\.0\.livenessProbe\.httpGet\.scheme: must be "HTTP" or "HTTPS"$/],
  ['an http header name with a space', pod({ containers: [probed('livenessProbe', { httpGet: { port: 80, httpHeaders: [{ name: 'X Y', value: '1' }] } })] }), /^spec\.containers\.0\.livenessProbe\.httpGet\.httpHeaders\.0\.name: must be an HTTP header name/],
  ['a misspelt probe field', pod({ containers: [{ ...app, livenesProbe: EXEC }] }), /^spec\.containers\.0\.livenesProbe: unknown field \(did you mean "livenessProbe"\?\)$/],
  ['a misspelt probe setting', pod({ containers: [probed('livenessProbe', { ...EXEC, periodSecond: 5 })] }), /^spec\.containers\.0\.livenessProbe\.periodSecond: unknown field \(did you mean "periodSeconds"\?\)$/],
  ['a misspelt handler, said once and not again as no handler', pod({ containers: [probed('livenessProbe', { httpget: { port: 80 } })] }), /^spec\.containers\.0\.livenessProbe\.httpget: unknown field \(did you mean "httpGet"\?\)$/],
  // Init containers
  ['a misspelt initContainers', pod({ initContainer: [{ ...app, name: 'init' }], containers: [app] }), /^spec\.initContainer: unknown field \(did you mean "initContainers"\?\)$/],
  ['a probe on a plain init container', pod({ initContainers: [{ ...app, name: 'init', readinessProbe: EXEC }], containers: [app] }), /^spec\.initContainers\.0\.readinessProbe: probes are not allowed on init containers \(only on a sidecar, restartPolicy: Always\)$/],
  ['a restartPolicy on an app container', pod({ containers: [{ ...app, restartPolicy: 'Always' }] }), /^spec\.containers\.0\.restartPolicy: allowed only on init containers, where "Always" makes a sidecar; the pod's restart policy is spec\.restartPolicy$/],
  ['a restartPolicy Never on an app container', pod({ containers: [{ ...app, restartPolicy: 'Never' }] }), /^spec\.containers\.0\.restartPolicy: allowed only on init containers/],
  ['a restartPolicy Never on an init container', pod({ initContainers: [{ ...app, name: 'init', restartPolicy: 'Never' }], containers: [app] }), /^spec\.initContainers\.0\.restartPolicy: can only be "Always" \(a sidecar/],
  ['an init container named like an app container', pod({ initContainers: [app], containers: [app] }), /^spec\.containers\.0\.name: duplicate container name "app" \(init containers and containers share one set of names\)$/],
  ['two init containers with one name', pod({ initContainers: [{ ...app, name: 'init' }, { ...app, name: 'init' }], containers: [app] }), /^spec\.initContainers\.1\.name: duplicate container name "init"$/],
  ['an init container name with capitals', pod({ initContainers: [{ ...app, name: 'Init' }], containers: [app] }), /^spec\.initContainers\.0\.name: container name must be a DNS label/],
  // Volumes and mounts
  ['a volumeMount naming no volume', pod({ containers: [{ ...app, volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }], volumes: [{ name: 'data', emptyDir: {} }] }), /^spec\.containers\.0\.volumeMounts\.0\.name: the mount at "\/cache" names volume "cache", which is not in spec\.volumes$/],
  ['an init container mount naming no volume', pod({ initContainers: [{ ...app, name: 'init', volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }], containers: [app] }), /^spec\.initContainers\.0\.volumeMounts\.0\.name: the mount at "\/cache" names volume "cache"/],
  ['two volumes with one name', pod({ containers: [app], volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', emptyDir: { medium: 'Memory' } }] }), /^spec\.volumes\.1\.name: duplicate volume name "data"$/],
  ['a sizeLimit that is not a quantity', pod({ containers: [app], volumes: [{ name: 'data', emptyDir: { sizeLimit: 'lots' } }] }), /^spec\.volumes\.0\.emptyDir\.sizeLimit: invalid memory quantity "lots"/],
  ['an unknown emptyDir medium', pod({ containers: [app], volumes: [{ name: 'data', emptyDir: { medium: 'HugePages' } }] }), /^spec\.volumes\.0\.emptyDir\.medium: must be "" \(the engine's disk\) or "Memory" \(a tmpfs\)$/],
  ['an nfs volume', pod({ containers: [app], volumes: [{ name: 'data', nfs: { server: 'nas', path: '/srv' } }] }), /^spec\.volumes\.0\.nfs: not supported: a network or cloud volume plugin; mount it on the host and use hostPath$/],
  ['a csi volume', pod({ containers: [app], volumes: [{ name: 'conf', csi: { driver: 'x' } }] }), /^spec\.volumes\.0\.csi: not supported: CSI drivers are not available on a Docker engine$/],
  ['a volume name that is not a DNS label', pod({ containers: [app], volumes: [{ name: 'Data' }] }), /^spec\.volumes\.0\.name: volume name must be a DNS label/],
  ['a misspelt emptyDir', pod({ containers: [app], volumes: [{ name: 'data', emptydir: {} }] }), /^spec\.volumes\.0\.emptydir: unknown field \(did you mean "emptyDir"\?\)$/],
  ['a relative mountPath', pod({ containers: [mounted({ mountPath: 'data' })], volumes: [DATA] }), /^spec\.containers\.0\.volumeMounts\.0\.mountPath: must be an absolute path$/],
  ['a mountPath with a colon', pod({ containers: [mounted({ mountPath: '/data:ro' })], volumes: [DATA] }), /^spec\.containers\.0\.volumeMounts\.0\.mountPath: must not contain ':'$/],
  ['a mountPath of the root', pod({ containers: [mounted({ mountPath: '/' })], volumes: [DATA] }), /^spec\.containers\.0\.volumeMounts\.0\.mountPath: cannot mount over the container's root$/],
  ['an absolute subPath', pod({ containers: [mounted({ subPath: '/etc' })], volumes: [DATA] }), /^spec\.containers\.0\.volumeMounts\.0\.subPath: must be a relative path$/],
  ['a subPath climbing out of the volume', pod({ containers: [mounted({ subPath: 'a/../../etc' })], volumes: [DATA] }), /^spec\.containers\.0\.volumeMounts\.0\.subPath: must not contain a '\.\.' component$/],
  ['two mounts at one mountPath', pod({ containers: [{ ...app, volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'data', mountPath: '/data/', subPath: 'x' }] }], volumes: [DATA] }), /^spec\.containers\.0\.volumeMounts\.1\.mountPath: "\/data\/" is already mounted by volumeMounts\.0$/],
];

for (const [what, input, problem] of BAD) {
  spec(`${what} is one problem naming the field`, () => {
    try {
      parsePod(input);
    } catch (err) {
      assert.instance(err, PodSpecError);
      const { problems, message } = err as PodSpecError;
      assert.is(problems.length, 1, `one problem: ${problems.join(' | ')}`);
      assert.match(problems[0]!, problem);
      assert.is(message, `invalid pod spec: ${problems[0]}`);
      return;
    }
    assert.unreachable('accepted');
  });
}

spec('independent mistakes are each reported, one per line of the message', () => {
  try {
    parsePod(pod({ containers: [{ ...app, resources: { limits: { cpu: 'lots' } } }] }, { name: 'Bad' }), 'pod.yaml');
    assert.unreachable('accepted');
  } catch (err) {
    assert.instance(err, PodSpecError);
    assert.is((err as PodSpecError).problems.length, 2);
    assert.match((err as Error).message, /^invalid pod spec in pod\.yaml: metadata\.name: .*; spec\.containers\.0\.resources\.limits\.cpu: /);
  }
});

spec('a good spec gets the defaults: restartPolicy Always, protocol TCP, empty env values', () => {
  const parsed = parsePod(pod({ containers: [{ ...app, ports: [{ containerPort: 80 }], env: [{ name: 'A' }] }] }));
  assert.is(parsed.spec.restartPolicy, 'Always');
  assert.is(parsed.spec.containers[0]!.ports![0]!.protocol, 'TCP');
  assert.equal(parsed.spec.containers[0]!.env, [{ name: 'A', value: '' }]);
});

spec('Pods.create with a bad spec rejects with PodSpecError without opening a connection or creating a request', () => assertRefusedWithoutSending(BAD.map(([what, input]) => [what, input])));

spec.run();
