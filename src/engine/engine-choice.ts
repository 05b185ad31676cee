import { EngineError } from './errors.js';

/** The docker CLI's name for the context that is "the environment": DOCKER_HOST, else the socket. */
export const DEFAULT_CONTEXT = 'default';

/** What the caller named: the CLI's `-H/--host` and `--context/-c` flags, or the same options. */
export interface EngineGiven {
  host?: string;
  context?: string;
}

/**
 * Which engine to use, and what said so (for error messages): an address, or a stored context.
 * `host` undefined means the standard socket.
 */
export type EngineChoice =
  | { kind: 'address'; host: string | undefined; from: string }
  | { kind: 'context'; name: string; from: string };

/** The config file's `currentContext`, read only when nothing earlier decided. */
export type CurrentContext = () => { name: string; file: string } | undefined;

/**
 * The docker CLI's precedence (cli/command/cli.go, resolveContextName and the default context's
 * endpoint): a host flag and a context flag together are refused; then the context flag; then
 * the host flag; then DOCKER_HOST; then DOCKER_CONTEXT; then `currentContext` in config.json;
 * then the standard socket. The context named `default` is the environment itself, so
 * `--context default` still honours DOCKER_HOST. Empty variables count as unset, as in the CLI.
 */
export function chooseEngine(given: EngineGiven, env: NodeJS.ProcessEnv, currentContext: CurrentContext): EngineChoice {
  if (given.host && given.context) {
    throw new EngineError('conflicting options: cannot specify both --host and --context', { kind: 'invalid-argument' });
  }
  if (given.context) return named(given.context, 'the --context option', env);
  if (given.host) return { kind: 'address', host: given.host, from: 'the --host option' };
  if (env.DOCKER_HOST) return { kind: 'address', host: env.DOCKER_HOST, from: 'DOCKER_HOST' };
  if (env.DOCKER_CONTEXT) return named(env.DOCKER_CONTEXT, 'DOCKER_CONTEXT', env);
  const current = currentContext();
  if (current) return named(current.name, `currentContext in ${current.file}`, env);
  return { kind: 'address', host: undefined, from: 'the default' };
}

function named(name: string, from: string, env: NodeJS.ProcessEnv): EngineChoice {
  if (name !== DEFAULT_CONTEXT) return { kind: 'context', name, from };
  return env.DOCKER_HOST
    ? { kind: 'address', host: env.DOCKER_HOST, from: `DOCKER_HOST (context "default", from ${from})` }
    : { kind: 'address', host: undefined, from: `the default (context "default", from ${from})` };
}
