import { Duplex } from 'node:stream';
import { parseSshAddress, sshArgv } from '../engine/ssh-address.js';
import { sshConnector } from '../engine/ssh-connector.js';

/**
 * One connection to an engine at an ssh:// address, for the recorder's proxy: the same `ssh …
 * docker system dial-stdio` process per connection as the engine client uses (ssh-connector.ts),
 * behind a stream that exists at once, as a socket does, and says `connect` once ssh runs. Bytes
 * written before then wait; ssh's failure (with its own words) is the stream's error.
 */
export class SshUpstream extends Duplex {
  private inner: Duplex | undefined;
  private waiting: Array<{ chunk: Buffer; done: (err?: Error | null) => void }> = [];
  private ended = false;

  constructor(address: string, env: NodeJS.ProcessEnv = process.env) {
    super({ allowHalfOpen: true });
    const argv = sshArgv(parseSshAddress(address), { identityFile: env.PODLING_SSH_IDENTITY || undefined, configFile: env.PODLING_SSH_CONFIG || undefined });
    sshConnector(argv, address)({}, (err, stream) => {
      if (err || !stream) return this.destroy(err ?? new Error(`ssh to ${address} failed`));
      if (this.destroyed) return stream.destroy();
      this.inner = stream;
      stream.on('data', (chunk: Buffer) => { if (!this.push(chunk)) stream.pause(); });
      stream.on('end', () => this.push(null));
      stream.on('error', (e) => this.destroy(e));
      for (const { chunk, done } of this.waiting.splice(0)) stream.write(chunk, () => done());
      if (this.ended) stream.end();
      this.emit('connect');
    });
  }

  override _read(): void {
    this.inner?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.inner) this.inner.write(chunk, () => done());
    else this.waiting.push({ chunk, done });
  }

  override _final(done: (err?: Error | null) => void): void {
    if (this.inner) this.inner.end();
    else this.ended = true;
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.inner?.destroy();
    done(err);
  }
}
