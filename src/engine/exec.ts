import { Readable, type Duplex } from 'node:stream';
import { z } from 'zod';
import type { Answer } from './answer.js';
import { checkInput, checkRef, pathOf } from './names.js';
import { Output } from './streams/output.js';
import type { CallOptions, StreamOptions, Transport } from './transport.js';

export const ExecSpec = z.strictObject({
  Cmd: z.array(z.string()).min(1),
  Env: z.array(z.string()).optional(),
  WorkingDir: z.string().optional(),
  User: z.string().optional(),
  Tty: z.boolean().optional(),
  Privileged: z.boolean().optional(),
  AttachStdin: z.boolean().optional(),
  AttachStdout: z.boolean().optional(),
  AttachStderr: z.boolean().optional(),
});
export type ExecSpec = z.input<typeof ExecSpec>;

export const ExecInspect = z.object({
  ID: z.string(),
  Running: z.boolean(),
  ExitCode: z.number().nullable(),
  Pid: z.number().optional(),
  ContainerID: z.string(),
  ProcessConfig: z.object({ tty: z.boolean().optional() }).optional(),
});
export type ExecInspect = Answer<typeof ExecInspect>;

const IdResponse = z.object({ Id: z.string() });

export interface ExecStartOptions extends StreamOptions {
  /** Must match the exec's Tty: it decides whether the output is framed. */
  tty?: boolean;
  /** Sent over the hijacked connection, then the write side is half-closed (EOF for the process). */
  stdin?: string | Buffer | Readable;
}

export class Exec {
  constructor(private readonly transport: Transport) {}

  /** POST /containers/{id}/exec */
  async create(container: string, spec: ExecSpec, options: CallOptions = {}): Promise<{ Id: string }> {
    const body = checkInput('exec spec', ExecSpec, spec);
    return this.transport.json({
      method: 'POST', path: pathOf`/containers/${checkRef('container', container)}/exec`,
      json: { AttachStdout: true, AttachStderr: true, ...body },
    }, IdResponse, options);
  }

  /**
   * POST /exec/{id}/start. Without stdin the engine answers 200 and ends the body by closing the
   * connection; with stdin the connection is hijacked (101) so bytes can flow both ways.
   */
  async start(id: string, options: ExecStartOptions = {}): Promise<Output> {
    const path = pathOf`/exec/${checkRef('exec', id)}/start`;
    const json = { Detach: false, Tty: options.tty ?? false };
    if (options.stdin === undefined) {
      const res = await this.transport.stream({ method: 'POST', path, json }, options);
      return new Output(res.body, json.Tty, { method: 'POST', path, address: this.transport.address });
    }
    const { socket } = await this.transport.upgrade({ method: 'POST', path, json }, options);
    feedStdin(socket, options.stdin, json.Tty);
    return new Output(socket, json.Tty, { method: 'POST', path, address: this.transport.address });
  }

  /** GET /exec/{id}/json: running state and exit code. */
  inspect(id: string, options: CallOptions = {}): Promise<ExecInspect> {
    return this.transport.json({ method: 'GET', path: pathOf`/exec/${checkRef('exec', id)}/json` }, ExecInspect, options);
  }

  /** create + start + collect + inspect: a command's output and exit code. */
  async run(container: string, cmd: string[], options: ExecStartOptions & Omit<ExecSpec, 'Cmd'> = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const { stdin, tty, signal, timeout, idleTimeout, ...spec } = options;
    const { Id } = await this.create(container, { ...spec, Cmd: cmd, Tty: tty, AttachStdin: stdin !== undefined }, { signal, timeout });
    const output = await this.start(Id, { stdin, tty, signal, timeout, idleTimeout });
    const { stdout, stderr } = await output.text();
    const { ExitCode } = await this.inspect(Id, { signal, timeout });
    return { exitCode: ExitCode ?? -1, stdout, stderr };
  }
}

/**
 * Without a TTY, the end of stdin is a half-close: the process reads EOF and its output still
 * flows back. With a TTY the engine closes the output as soon as stdin ends, so the connection
 * stays open; a terminal's end of input is Ctrl-D (`\x04`) in the data itself.
 */
function feedStdin(socket: Duplex, stdin: string | Buffer | Readable, tty: boolean): void {
  if (stdin instanceof Readable) stdin.pipe(socket, { end: !tty });
  else if (tty) socket.write(stdin);
  else socket.end(stdin);
}
