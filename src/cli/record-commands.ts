import { parseArgs } from 'node:util';
import { isPodlingError } from '../errors.js';
import { CommandError, recordCommand, replayCommand } from '../testing/command.js';
import { defaultUpstream, type Upstream } from '../testing/recorder.js';
import { UsageError } from './usage.js';

/**
 * `podling record` and `podling replay`: any Docker client's engine traffic, around a command.
 * Nothing is printed on success, so the output is the command's own and a test can compare it.
 */

type Flags = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** FIXTURE and the options before `--`, the command after it. */
function parse<F extends Flags>(name: string, argv: string[], flags: F) {
  const dashes = argv.indexOf('--');
  const usage = `podling ${name} FIXTURE${name === 'record' ? ' [--upstream ADDRESS]' : ' [--strict]'} -- COMMAND [ARGS...]`;
  const { values, positionals } = parseArgs({ args: dashes < 0 ? argv : argv.slice(0, dashes), options: flags, allowPositionals: true, strict: true });
  const command = dashes < 0 ? [] : argv.slice(dashes + 1);
  if (!positionals.length) throw new UsageError(`${name} needs a fixture file and a command: ${usage}`);
  if (positionals.length > 1) throw new UsageError(`${name} takes one fixture (got ${positionals.join(' ')}); the command goes after --: ${usage}`);
  if (!command.length) throw new UsageError(`${name} needs a command after --: ${usage}`);
  return { fixture: positionals[0]!, values, command };
}

/** --upstream, else -H, else DOCKER_HOST, else the standard socket. */
function upstreamFrom(address: string | undefined): Upstream {
  try {
    return defaultUpstream(address === undefined ? process.env : { DOCKER_HOST: address });
  } catch {
    const given = address === undefined ? `DOCKER_HOST=${process.env.DOCKER_HOST}` : address;
    throw new UsageError(`cannot record through ${given}: name the engine as unix:///path/to/docker.sock, /path/to/docker.sock, tcp://host:port or ssh://[user@]host[:port] (--upstream ADDRESS)`);
  }
}

/** A command that could not start ends as a shell ends it (127 not found, 126 not runnable). */
async function orCommandFailure(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (!isPodlingError(err, 'command')) throw err;
    console.error(`podling: ${err.message}`);
    return (err as CommandError).exitCode;
  }
}

/** `host` is the global -H, the upstream when --upstream does not name one. */
export async function recordCli(argv: string[], host?: string): Promise<number> {
  const { fixture, values, command } = parse('record', argv, { upstream: { type: 'string' } });
  const upstream = upstreamFrom((values.upstream as string | undefined) ?? host);
  return orCommandFailure(async () => (await recordCommand(fixture, command, { upstream })).exitCode);
}

export async function replayCli(argv: string[]): Promise<number> {
  const { fixture, values, command } = parse('replay', argv, { strict: { type: 'boolean' } });
  return orCommandFailure(async () => {
    const { exitCode, misses, unused } = await replayCommand(fixture, command);
    const strict = values.strict === true;
    report(fixture, misses, strict ? unused : []);
    if (exitCode !== 0) return exitCode;
    return strict && (misses.length || unused.length) ? 1 : 0;
  });
}

/** On stderr, after the command's own output, so the two never interleave. */
function report(fixture: string, misses: readonly string[], unused: readonly string[]): void {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (misses.length) {
    console.error(`podling replay: ${plural(misses.length, 'request')} with no recording in ${fixture}:`);
    for (const miss of misses) console.error(indent(miss));
  }
  if (unused.length) {
    console.error(`podling replay: ${plural(unused.length, 'recording')} of ${fixture} never used:`);
    for (const line of unused) console.error(indent(line));
  }
}

const indent = (text: string) => text.split('\n').map((line) => `  ${line}`).join('\n');
