// A stand-in for `ssh … docker system dial-stdio` in tests with no OpenSSH: joins its stdin and
// stdout to the Unix socket FAKE_SSH_SOCKET, as dial-stdio joins them to the engine's (stdin's end
// half-closes the socket; the socket's end ends the process), or fails as ssh fails:
// FAKE_SSH_STDERR on stderr, exit FAKE_SSH_EXIT. FAKE_SSH_PIDS: a file each run appends its pid to.
import { appendFileSync } from 'node:fs';
import { connect } from 'node:net';

if (process.env.FAKE_SSH_PIDS) appendFileSync(process.env.FAKE_SSH_PIDS, `${process.pid}\n`);
if (process.env.FAKE_SSH_EXIT) {
  process.stderr.write(process.env.FAKE_SSH_STDERR ?? '');
  process.exitCode = Number(process.env.FAKE_SSH_EXIT);
} else {
  const socket = connect({ path: process.env.FAKE_SSH_SOCKET, allowHalfOpen: true });
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
  socket.on('end', () => process.stdout.end(() => process.exit(0)));
  socket.on('error', (err) => { process.stderr.write(`fake-ssh: ${err.message}\n`); process.exit(255); });
}
