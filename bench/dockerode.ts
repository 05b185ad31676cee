/**
 * dockerode, the baseline: a benchmark-only dependency from bench/package.json, installed into
 * bench/node_modules by `make bench` (never a dependency of the library). Loaded with require so
 * that typechecking the bench needs neither the package nor its types.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface Dockerode {
  ping(): Promise<unknown>;
  listContainers(options?: Record<string, unknown>): Promise<unknown[]>;
  getContainer(id: string): { inspect(): Promise<unknown> };
}

const require = createRequire(new URL('./package.json', import.meta.url));

export function dockerode(socketPath: string): Dockerode {
  let Docker: new (options: { socketPath: string }) => Dockerode;
  try {
    Docker = require('dockerode') as typeof Docker;
  } catch (err) {
    throw new Error(`dockerode is not installed in bench/node_modules (make bench installs bench/package.json): ${(err as Error).message}`);
  }
  return new Docker({ socketPath });
}

export function dockerodeVersion(): string {
  try {
    return (JSON.parse(readFileSync(require.resolve('dockerode/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}
