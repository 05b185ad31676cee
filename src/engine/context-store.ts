import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EngineError } from './errors.js';

/**
 * The docker CLI's own files, read the way it reads them (cli/config, cli/context/store): never
 * written. A context lives under `$DOCKER_CONFIG/contexts/` in a directory named by the SHA-256
 * of its name: `meta/<id>/meta.json` and `tls/<id>/docker/{ca,cert,key}.pem`.
 */

/** $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

/** `currentContext` of config.json (what `docker context use` writes); none without the file. */
export function currentContextIn(configDir: string): { name: string; file: string } | undefined {
  const file = join(configDir, 'config.json');
  const text = readOptional(file, `the docker CLI's config file ${file}`);
  if (text === undefined) return undefined;
  // The CLI only warns about a config file it cannot parse and goes on with the default engine.
  // A library cannot warn, and going on may mean the wrong engine: refused, before anything is sent.
  const config = parseObject(text, () => `cannot read the docker CLI's config file ${file}`);
  const name = field(config, 'currentContext');
  if (name === undefined || name === '') return undefined;
  if (typeof name !== 'string') throw new EngineError(`cannot read the docker CLI's config file ${file}: currentContext is not a string`, { kind: 'invalid-argument' });
  return { name, file };
}

export interface StoredContext {
  name: string;
  /** Endpoints.docker.Host; undefined or empty: the standard socket, as in the CLI. */
  host: string | undefined;
  skipTLSVerify: boolean;
  /** The files present of ca.pem, cert.pem, key.pem; undefined when there are none. */
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined;
}

/** The directory name of a context: the hex SHA-256 of its name. */
export function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

export function readContext(configDir: string, name: string, from: string): StoredContext {
  const id = contextId(name);
  const file = join(configDir, 'contexts', 'meta', id, 'meta.json');
  const what = `context "${name}" (from ${from})`;
  const text = readOptional(file, what);
  if (text === undefined) {
    throw new EngineError(`${what} not found: there is no ${file} (docker context ls lists the contexts)`, { kind: 'invalid-argument' });
  }
  const malformed = (why: string) => new EngineError(`${what}: malformed ${file}: ${why}`, { kind: 'invalid-argument' });
  const meta = parseObject(text, () => `${what}: malformed ${file}`);
  const endpoints = field(meta, 'Endpoints');
  if (endpoints === undefined || endpoints === null) throw malformed('it has no endpoints (the CLI: "cannot find docker endpoint in context")');
  if (!isObject(endpoints)) throw malformed('Endpoints is not an object');
  const docker = field(endpoints, 'docker');
  if (docker === undefined || docker === null) throw malformed('it has no docker endpoint (the CLI: "cannot find docker endpoint in context")');
  if (!isObject(docker)) throw malformed('Endpoints.docker is not an object');
  const host = field(docker, 'Host');
  if (host !== undefined && host !== null && typeof host !== 'string') throw malformed('Endpoints.docker.Host is not a string');
  const skip = field(docker, 'SkipTLSVerify');
  if (skip !== undefined && skip !== null && typeof skip !== 'boolean') throw malformed('Endpoints.docker.SkipTLSVerify is not true or false');
  return { name, host: host || undefined, skipTLSVerify: skip === true, tls: readTls(join(configDir, 'contexts', 'tls', id, 'docker'), what) };
}

function readTls(dir: string, what: string): StoredContext['tls'] {
  const tls: NonNullable<StoredContext['tls']> = {};
  for (const part of ['ca', 'cert', 'key'] as const) {
    const file = join(dir, `${part}.pem`);
    const data = readOptional(file, `${what}: TLS file ${file}`, null);
    if (data) tls[part] = data;
  }
  return Object.keys(tls).length ? tls : undefined;
}

function readOptional(file: string, what: string): string | undefined;
function readOptional(file: string, what: string, encoding: null): Buffer | undefined;
function readOptional(file: string, what: string, encoding: 'utf8' | null = 'utf8'): string | Buffer | undefined {
  try {
    return encoding ? readFileSync(file, encoding) : readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new EngineError(`${what}: cannot read ${file}: ${(err as Error).message}`, { kind: 'invalid-argument', cause: err });
  }
}

function parseObject(text: string, what: () => string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new EngineError(`${what()}: ${(err as Error).message}`, { kind: 'invalid-argument', cause: err });
  }
  if (!isObject(value)) throw new EngineError(`${what()}: not a JSON object`, { kind: 'invalid-argument' });
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Go's encoding/json matches field names case-insensitively, the exact spelling first: so do we. */
function field(object: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const key = Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : object[key];
}
