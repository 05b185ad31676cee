import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { isSidecar, parsePod, probeHandler, probePort, sizeLimitBytes, type PodInput } from '../../src/pod/spec.js';

// Probes, init containers and emptyDir volumes: what a good spec becomes. Bad ones are in the
// table of spec.test.ts, beside every other refusal.
const spec = suite('pod/spec: probes, init containers, volumes');

const app = { name: 'app', image: 'podling-test/busybox:latest' };
const pod = (spec: Record<string, unknown>): PodInput => ({ metadata: { name: 'p' }, spec } as unknown as PodInput);

const PROBE_DEFAULTS = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };

spec('a minimal probe gets Kubernetes\' defaults: no delay, every 10 s, 1 s timeout, thresholds 1 and 3, GET / over HTTP', () => {
  const c = parsePod(pod({ containers: [{
    ...app,
    livenessProbe: { tcpSocket: { port: 80 } },
    readinessProbe: { httpGet: { port: 80 } },
    startupProbe: { exec: { command: ['true'] } },
  }] })).spec.containers[0]!;
  assert.equal(c.livenessProbe, { tcpSocket: { port: 80 }, ...PROBE_DEFAULTS });
  assert.equal(c.readinessProbe, { httpGet: { path: '/', port: 80, scheme: 'HTTP' }, ...PROBE_DEFAULTS });
  assert.equal(c.startupProbe, { exec: { command: ['true'] }, ...PROBE_DEFAULTS });
});

spec('a readiness probe may ask for several successes; liveness and startup probes may have their own grace period', () => {
  const c = parsePod(pod({ containers: [{
    ...app,
    readinessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 },
    livenessProbe: { tcpSocket: { port: 80 }, terminationGracePeriodSeconds: 5 },
    startupProbe: { tcpSocket: { port: 80 }, terminationGracePeriodSeconds: 7, initialDelaySeconds: 0 },
  }] })).spec.containers[0]!;
  assert.is(c.readinessProbe!.successThreshold, 2);
  assert.is(c.livenessProbe!.terminationGracePeriodSeconds, 5);
  assert.is(c.startupProbe!.terminationGracePeriodSeconds, 7);
});

spec('a sidecar (an init container with restartPolicy Always) may have all three probes; a plain init container is no sidecar', () => {
  const parsed = parsePod(pod({
    initContainers: [
      { ...app, name: 'setup', command: ['true'] },
      { ...app, name: 'proxy', restartPolicy: 'Always', ports: [{ name: 'admin', containerPort: 9901 }],
        startupProbe: { tcpSocket: { port: 'admin' } }, livenessProbe: { tcpSocket: { port: 'admin' } }, readinessProbe: { httpGet: { port: 'admin', path: '/ready' } } },
    ],
    containers: [app],
  }));
  const [setup, proxy] = parsed.spec.initContainers!;
  assert.not.ok(isSidecar(setup!));
  assert.ok(isSidecar(proxy!));
  assert.is(probePort(proxy!, proxy!.readinessProbe!.httpGet!.port), 9901);
});

spec('a volume without a source is an emptyDir on disk, as in Kubernetes; a mount is read-write unless it says so', () => {
  const parsed = parsePod(pod({ containers: [{ ...app, volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }], volumes: [{ name: 'scratch' }] }));
  assert.equal(parsed.spec.volumes, [{ name: 'scratch', emptyDir: { medium: '' } }]);
  assert.equal(parsed.spec.containers[0]!.volumeMounts, [{ name: 'scratch', mountPath: '/scratch', readOnly: false }]);
});

spec('a spec without probes, init containers or volumes parses to what it did before: no new keys', () => {
  const parsed = parsePod(pod({ containers: [app] }));
  assert.equal(Object.keys(parsed.spec).sort(), ['containers', 'restartPolicy']);
  assert.equal(parsed.spec.containers[0], app);
});

const MANIFEST = `
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: { app: web }
spec:
  restartPolicy: Always
  volumes:
    - name: site
      emptyDir: {}
    - name: cache
      emptyDir:
        medium: Memory
        sizeLimit: 64Mi
  initContainers:
    - name: render
      image: podling-test/busybox:latest
      command: [sh, -c, 'echo hello > /site/index.html']
      volumeMounts:
        - { name: site, mountPath: /site }
  containers:
    - name: httpd
      image: podling-test/busybox:latest
      command: [httpd, -f, -p, '8080', -h, /www]
      ports:
        - { name: http, containerPort: 8080 }
      volumeMounts:
        - { name: site, mountPath: /www, readOnly: true }
        - { name: cache, mountPath: /var/cache/httpd, subPath: httpd }
      startupProbe:
        exec: { command: [test, -f, /www/index.html] }
        periodSeconds: 1
        failureThreshold: 30
      readinessProbe:
        httpGet:
          path: /index.html
          port: http
          httpHeaders: [{ name: Host, value: web.example }]
        periodSeconds: 2
      livenessProbe:
        tcpSocket: { port: 8080 }
        initialDelaySeconds: 5
        timeoutSeconds: 2
`;

spec('a realistic manifest parses: an init container fills an emptyDir, the app serves it with startup, readiness and liveness probes', () => {
  const parsed = parsePod(parse(MANIFEST));
  const [render] = parsed.spec.initContainers!;
  const [httpd] = parsed.spec.containers;
  assert.not.ok(isSidecar(render!));
  assert.equal(parsed.spec.volumes, [
    { name: 'site', emptyDir: { medium: '' } },
    { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
  ]);
  assert.is(sizeLimitBytes(parsed.spec.volumes![1]!.emptyDir), 64 * 2 ** 20);
  assert.is(sizeLimitBytes(parsed.spec.volumes![0]!.emptyDir), undefined);
  assert.equal(httpd!.volumeMounts, [
    { name: 'site', mountPath: '/www', readOnly: true },
    { name: 'cache', mountPath: '/var/cache/httpd', readOnly: false, subPath: 'httpd' },
  ]);
  assert.equal(probeHandler(httpd!.startupProbe!), { type: 'exec', exec: { command: ['test', '-f', '/www/index.html'] } });
  assert.equal(httpd!.startupProbe, { exec: { command: ['test', '-f', '/www/index.html'] }, ...PROBE_DEFAULTS, periodSeconds: 1, failureThreshold: 30 });
  const ready = probeHandler(httpd!.readinessProbe!);
  assert.is(ready.type, 'httpGet');
  assert.equal(httpd!.readinessProbe!.httpGet, { path: '/index.html', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'Host', value: 'web.example' }] });
  assert.is(probePort(httpd!, httpd!.readinessProbe!.httpGet!.port), 8080);
  assert.equal(httpd!.livenessProbe, { tcpSocket: { port: 8080 }, ...PROBE_DEFAULTS, initialDelaySeconds: 5, timeoutSeconds: 2 });
  assert.is(probePort(httpd!, httpd!.livenessProbe!.tcpSocket!.port), 8080);
});

spec('a parsed pod parses again to itself, as the copy kept in the infra container\'s label is read back', () => {
  const parsed = parsePod(parse(MANIFEST));
  assert.equal(parsePod(JSON.parse(JSON.stringify(parsed))), parsed);
});

spec.run();
