import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { SSH_FAILED } from './errors.js';

type Callback = (err: Error | null, socket: Duplex | null) => void;
/** undici's `connect` option in its function form: one call per connection it opens. */
export type Connector = (options: object, callback: Callback) => void;

/** How much of ssh's stderr an error carries (its messages are a line or two). */
const STDERR_CAP = 4096;
/** After SIGTERM, as the docker CLI waits, before SIGKILL. */
const KILL_AFTER_MS = 3000;
/** An ssh that failed may close stderr a moment after it exits; its message is what we want. */
const STDERR_GRACE_MS = 500;

/**
 * Connections over `ssh … docker system dial-stdio`, as the docker CLI's commandconn makes them:
 * one ssh process per connection, whose stdin and stdout are the connection's two directions. The
 * process is in a session of its own (the CLI's setsid), so a Ctrl-C in the terminal reaches
 * Podling, which can still use the engine while it stops, and not ssh.
 */
export function sshConnector(argv: string[], address: string, program = 'ssh'): Connector {
  return (_options, callback) => {
    const child = spawn(program, argv, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.once('spawn', () => {
      child.removeListener('error', refused);
      track(child);
      callback(null, new SshStream(child, address));
    });
    const refused = (err: NodeJS.ErrnoException) => {
      callback(Object.assign(new Error(`ssh to ${address} failed: cannot run ${program} (${err.code ?? err.message}); is the OpenSSH client installed?`), { code: SSH_FAILED, cause: err }), null);
    };
    child.once('error', refused);
  };
}

/**
 * One connection. Its readable side ends only once ssh has exited too: a stdout that closes
 * because ssh failed (host refused, key refused, no docker there) must end the connection with
 * ssh's own words, not with a bare "other side closed".
 */
class SshStream extends Duplex {
  private stderr = '';
  private stdoutEnded = false;
  private stderrEnded = false;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(private readonly child: ChildProcess, private readonly address: string) {
    super({ allowHalfOpen: true });
    const { stdin, stdout, stderr } = child;
    stdout!.on('data', (chunk: Buffer) => { if (!this.push(chunk)) stdout!.pause(); });
    stdout!.on('end', () => { this.stdoutEnded = true; this.settle(); });
    stderr!.on('data', (chunk: Buffer) => { if (this.stderr.length < STDERR_CAP) this.stderr += chunk.toString('utf8'); });
    stderr!.on('end', () => { this.stderrEnded = true; this.settle(); });
    // EPIPE once ssh is gone: its exit status says why, so the write error itself is dropped.
    stdin!.on('error', () => {});
    child.on('error', () => {});
    child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      if (code !== 0) setTimeout(() => { this.stderrEnded = true; this.settle(); }, STDERR_GRACE_MS).unref();
      this.settle();
    });
  }

  override _read(): void {
    this.child.stdout!.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    const stdin = this.child.stdin!;
    if (stdin.destroyed || stdin.writableEnded) return callback();
    stdin.write(chunk, () => callback());
  }

  /** Half-close: ssh sends EOF, dial-stdio closes the write side of its engine connection. */
  override _final(callback: (err?: Error | null) => void): void {
    this.child.stdin!.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.exit) return callback(err);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), KILL_AFTER_MS);
    this.child.once('exit', () => { clearTimeout(killer); callback(err); });
    this.child.kill('SIGTERM');
  }

  /** undici unrefs an idle connection so a process can end without closing its Engine. */
  ref(): this {
    this.child.ref();
    for (const pipe of [this.child.stdin, this.child.stdout, this.child.stderr]) (pipe as { ref?: () => void } | null)?.ref?.();
    return this;
  }

  unref(): this {
    this.child.unref();
    for (const pipe of [this.child.stdin, this.child.stdout, this.child.stderr]) (pipe as { unref?: () => void } | null)?.unref?.();
    return this;
  }

  private settle(): void {
    if (!this.exit || !this.stdoutEnded || this.destroyed) return;
    if (this.exit.code === 0) { this.push(null); return; }
    if (!this.stderrEnded) return;
    const how = this.exit.code === null ? `signal ${this.exit.signal}` : `exit ${this.exit.code}`;
    const said = this.stderr.trim().replace(/\s*\n\s*/g, '; ') || 'nothing on stderr';
    this.destroy(Object.assign(new Error(`ssh to ${this.address} failed (${how}): ${said}`), { code: SSH_FAILED }));
  }
}

/**
 * ssh processes still running when this process exits: ended with it (the CLI's Pdeathsig has no
 * equivalent in Node). Without this, a process that exits without closing its Engine leaves ssh
 * running until the engine ends its side: for a stream (events, logs -f), perhaps never.
 */
const live = new Set<ChildProcess>();
let exitHook = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => { for (const running of live) running.kill('SIGTERM'); });
}
