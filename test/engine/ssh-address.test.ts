import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describeSshTarget, parseSshAddress, shellQuote, sshArgv, type SshOptions } from '../../src/engine/ssh-address.js';
import { thrown } from '../support/assertions.js';

// ssh:// addresses and the ssh command line they become: pure, no ssh run. The expected argv are
// the docker CLI's (cli/connhelper/connhelper.go and ssh/ssh.go at docker/cli 28f7560): `-l` and
// `-p` first, then the flags with `-o ConnectTimeout=30` as ONE argv item and `-T`, then `-- HOST`
// and the remote command as one shell-quoted string.
const address = suite('engine/ssh-address');

const DIAL = 'docker system dial-stdio';

address('addresses are read as the docker CLI reads them', () => {
  const cases: Array<[string, ReturnType<typeof parseSshAddress>]> = [
    ['ssh://host', { host: 'host' }],
    ['ssh://root@127.0.0.1:2222', { user: 'root', host: '127.0.0.1', port: '2222' }],
    ['ssh://me@example.test/', { user: 'me', host: 'example.test' }],
    ['ssh://me@example.test/run/other/docker.sock', { user: 'me', host: 'example.test', path: '/run/other/docker.sock' }],
    ['ssh://[::1]:22', { host: '::1', port: '22' }],
    ['ssh://d%40ve@h', { user: 'd@ve', host: 'h' }],
  ];
  for (const [given, want] of cases) assert.equal(parseSshAddress(given), want, given);
});

address('what the CLI refuses is refused, as invalid-argument, saying why', () => {
  const cases: Array<[string, RegExp]> = [
    ['ssh://me:secret@host', /plain-text password is not supported/],
    ['ssh://host?x=1', /query parameters are not allowed/],
    ['ssh://host#frag', /fragments are not allowed/],
    ['ssh://', /no host|not a URL/],
    ['tcp://host', /scheme tcp, expected ssh/],
    ['ssh://bad%20user@host', /user holds whitespace/],
  ];
  for (const [given, message] of cases) {
    const err = thrown(() => parseSshAddress(given), 'invalid-argument');
    assert.match(err.message, message, given);
    assert.match(err.message, `invalid ssh engine address ${JSON.stringify(given)}`);
  }
});

address('the argv is the docker CLI\'s, with the caller\'s identity, config and options among the flags', () => {
  const cases: Array<[string, SshOptions, string[]]> = [
    ['ssh://host', {}, ['-o ConnectTimeout=30', '-T', '--', 'host', DIAL]],
    ['ssh://root@127.0.0.1:2222', {}, ['-l', 'root', '-p', '2222', '-o ConnectTimeout=30', '-T', '--', '127.0.0.1', DIAL]],
    // A path names the remote engine's socket; "/" alone does not (the CLI trims slashes first).
    ['ssh://me@h/var/run/docker.sock', {}, ['-l', 'me', '-o ConnectTimeout=30', '-T', '--', 'h', 'docker --host=unix:///var/run/docker.sock system dial-stdio']],
    ['ssh://me@h/', {}, ['-l', 'me', '-o ConnectTimeout=30', '-T', '--', 'h', DIAL]],
    // The remote shell reads the command: a path with a space or a quote is quoted for it.
    ['ssh://h/tmp/my%20engine\'s.sock', {}, ['-o ConnectTimeout=30', '-T', '--', 'h', `docker '--host=unix:///tmp/my engine'\\''s.sock' system dial-stdio`]],
    ['ssh://root@h:2222', { identityFile: '/k/id', configFile: '/k/config', options: ['BatchMode=yes'] },
      ['-l', 'root', '-p', '2222', '-F', '/k/config', '-i', '/k/id', '-o', 'BatchMode=yes', '-o ConnectTimeout=30', '-T', '--', 'h', DIAL]],
    // A ConnectTimeout of the caller's replaces the CLI's 30 s, as in the CLI.
    ['ssh://h', { options: ['ConnectTimeout=5'] }, ['-o', 'ConnectTimeout=5', '-T', '--', 'h', DIAL]],
  ];
  for (const [given, options, want] of cases) assert.equal(sshArgv(parseSshAddress(given), options), want, given);
});

address('shell quoting leaves safe words bare and round-trips the rest through sh', async () => {
  assert.is(shellQuote('--host=unix:///run/docker.sock'), '--host=unix:///run/docker.sock');
  assert.is(shellQuote(''), `''`);
  const { execFileSync } = await import('node:child_process');
  for (const word of ['a b', "it's", '$(rm -rf /)', '`x`', 'semi;colon', 'new\nline', '*']) {
    assert.is(execFileSync('sh', ['-c', `printf %s ${shellQuote(word)}`], { encoding: 'utf8' }), word, JSON.stringify(word));
  }
});

address('error messages and engine.address name the target as a URL, without a password to leave out', () => {
  assert.is(describeSshTarget(parseSshAddress('ssh://root@127.0.0.1:2222')), 'ssh://root@127.0.0.1:2222');
  assert.is(describeSshTarget(parseSshAddress('ssh://[::1]/run/x.sock')), 'ssh://[::1]/run/x.sock');
});

address.run();
