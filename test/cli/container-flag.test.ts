import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseContainerFlag, parsePortFlag, parseScoped } from '../../src/cli/container-flag.js';
import { UsageError } from '../../src/cli/usage.js';

// `--container NAME:IMAGE:TAG[:ENV=VALUE,...]`, `--port` and `--cpu/--memory [CONTAINER=]QTY` parsing.
const flags = suite('cli/container-flag');

flags('the seed\'s examples parse', () => {
  assert.equal(parseContainerFlag('app:myapp:1.0:BACKEND_URL=http://localhost:8080'), {
    name: 'app', image: 'myapp:1.0', env: [{ name: 'BACKEND_URL', value: 'http://localhost:8080' }],
  });
  assert.equal(parseContainerFlag('nginx:nginx:latest'), { name: 'nginx', image: 'nginx:latest' });
  assert.equal(parseContainerFlag('exporter:oliver006/redis_exporter:latest:REDIS_ADDR=localhost:6379'), {
    name: 'exporter', image: 'oliver006/redis_exporter:latest', env: [{ name: 'REDIS_ADDR', value: 'localhost:6379' }],
  });
  assert.equal(parseContainerFlag('web:127.0.0.1:5000/podling-test/busybox:latest'), { name: 'web', image: '127.0.0.1:5000/podling-test/busybox:latest' });
});

flags('registries with a port, nested paths and registry host names', () => {
  assert.equal(parseContainerFlag('app:localhost:5000/x:1'), { name: 'app', image: 'localhost:5000/x:1' });
  assert.equal(parseContainerFlag('app:registry.example.com/team/app:2.0.1-rc_1'), { name: 'app', image: 'registry.example.com/team/app:2.0.1-rc_1' });
  assert.equal(parseContainerFlag('app:127.0.0.1:5000/a/b/c:v1:A=1'), { name: 'app', image: '127.0.0.1:5000/a/b/c:v1', env: [{ name: 'A', value: '1' }] });
});

flags('environment values may hold ":", "=" and ","; pairs split only where NAME= follows a ","', () => {
  assert.equal(parseContainerFlag('app:img:1:A=a:b=c,d,B=x=y,C=,D_2=http://h:1/p?q=1,2'), {
    name: 'app', image: 'img:1',
    env: [{ name: 'A', value: 'a:b=c,d' }, { name: 'B', value: 'x=y' }, { name: 'C', value: '' }, { name: 'D_2', value: 'http://h:1/p?q=1,2' }],
  });
  assert.equal(parseContainerFlag('app:img:1:DSN=postgres://u:p@db:5432/x?sslmode=disable'), {
    name: 'app', image: 'img:1', env: [{ name: 'DSN', value: 'postgres://u:p@db:5432/x?sslmode=disable' }],
  });
  assert.equal(parseContainerFlag('app:img:1:A=line1\nline2'), { name: 'app', image: 'img:1', env: [{ name: 'A', value: 'line1\nline2' }] });
});

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.instance(err, UsageError);
    return (err as Error).message;
  }
  assert.unreachable('accepted');
  return '';
}

flags('a registry with a port but no path is refused with the hint to add one', () => {
  const message = usage(() => parseContainerFlag('app:127.0.0.1:5000:latest'));
  assert.match(message, '--container app:127.0.0.1:5000:latest: ');
  assert.match(message, 'if 127.0.0.1:5000 is a registry, write 127.0.0.1:5000/PATH:TAG');
  assert.not.match(message, '\n');
});

flags('other malformed flags are refused with a message naming the flag and the expected form', () => {
  const cases: Array<[string, string]> = [
    ['app', 'missing IMAGE:TAG'],
    ['app:img', 'missing tag: write app:img:latest'],
    ['App:img:1', 'container name "App" must be a DNS label'],
    ['my_app:img:1', 'container name "my_app" must be a DNS label'],
    [':img:1', 'container name "" must be a DNS label'],
    ['app::1', 'missing image name'],
    ['app:img:', '"" is not a valid tag'],
    ['app:img:bad tag', '"bad tag" is not a valid tag'],
    ['app:img:1:', '"" is not ENV=VALUE'],
    ['app:img:1:=x', '"=x" is not ENV=VALUE'],
    ['app:img:1:1A=x', '"1A=x" is not ENV=VALUE'],
  ];
  for (const [flag, problem] of cases) {
    const message = usage(() => parseContainerFlag(flag));
    assert.match(message, `--container ${flag}: ${problem}`, flag);
    assert.match(message, 'Expected NAME:IMAGE:TAG[:ENV=VALUE[,ENV=VALUE...]]', flag);
  }
});

flags('--port takes [HOSTIP:]HOSTPORT:CONTAINERPORT[/PROTO]', () => {
  assert.equal(parsePortFlag('8080:80'), { containerPort: 80, hostPort: 8080, protocol: 'TCP' });
  assert.equal(parsePortFlag('127.0.0.1:8080:80/udp'), { containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1', protocol: 'UDP' });
  assert.equal(parsePortFlag('[::1]:8080:80/TCP'), { containerPort: 80, hostPort: 8080, hostIP: '::1', protocol: 'TCP' });
  assert.equal(parsePortFlag('9000:9000/sctp'), { containerPort: 9000, hostPort: 9000, protocol: 'SCTP' });
  assert.equal(parsePortFlag('65535:1'), { containerPort: 1, hostPort: 65535, protocol: 'TCP' });
});

flags('--port refuses malformed values and ports out of 1-65535, naming the flag', () => {
  for (const bad of ['80', '8080:80/icmp', ':8080:80', 'a:80', '8080:80:90', '']) {
    assert.match(usage(() => parsePortFlag(bad)), `--port ${bad}: expected [HOSTIP:]HOSTPORT:CONTAINERPORT`, bad);
  }
  for (const bad of ['70000:80', '8080:0', '0:80', '8080:65536']) {
    assert.match(usage(() => parsePortFlag(bad)), new RegExp(`^--port ${bad}: .*port .* out of range \\(1-65535\\)`), bad);
  }
});

flags('--cpu and --memory take a quantity for every container, or CONTAINER=QUANTITY for one', () => {
  assert.equal(parseScoped('500m', '--cpu'), { value: '500m' });
  assert.equal(parseScoped('app=500m', '--cpu'), { container: 'app', value: '500m' });
  assert.equal(parseScoped('side-car=64Mi', '--memory'), { container: 'side-car', value: '64Mi' });
  assert.match(usage(() => parseScoped('', '--memory')), '--memory needs a value');
});

flags.run();
