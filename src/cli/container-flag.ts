import type { PodInput } from '../pod/spec.js';
import { UsageError } from './usage.js';

type ContainerInput = PodInput['spec']['containers'][number];

/**
 * `--container NAME:IMAGE:TAG[:ENV=VALUE[,ENV=VALUE...]]`, the seed's form, e.g.
 * `app:myapp:1.0:BACKEND_URL=http://localhost:8080`. The rule that keeps it unambiguous:
 *   - NAME runs to the first `:`;
 *   - a registry with a port is recognised as `HOST:PORT/` (a `/` must follow the port), so
 *     `web:127.0.0.1:5000/busybox:latest` is image `127.0.0.1:5000/busybox`, tag `latest`;
 *   - the TAG is required and runs to the next `:`;
 *   - everything after it is the environment: pairs split at `,` only where `NAME=` follows,
 *     so values may hold `:`, `=` and `,`.
 */
export const CONTAINER_FLAG_HELP = 'NAME:IMAGE:TAG[:ENV=VALUE[,ENV=VALUE...]] (a registry with a port: NAME:HOST:PORT/PATH:TAG)';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const REGISTRY_WITH_PORT = /^[A-Za-z0-9.-]+:\d+\//;
const TAG = /^[\w][\w.-]{0,127}$/;
const ENV_PAIR = /^[A-Za-z_][A-Za-z0-9_]*=/s;

export function parseContainerFlag(flag: string): ContainerInput {
  const colon = flag.indexOf(':');
  if (colon < 0) throw hint(flag, 'missing IMAGE:TAG');
  const name = flag.slice(0, colon);
  if (!NAME.test(name)) throw hint(flag, `container name "${name}" must be a DNS label (lower-case letters, digits, '-')`);
  let rest = flag.slice(colon + 1);
  const registry = REGISTRY_WITH_PORT.exec(rest)?.[0] ?? '';
  rest = rest.slice(registry.length);
  const tagColon = rest.indexOf(':');
  if (tagColon < 0) throw hint(flag, `missing tag: write ${name}:${registry}${rest}:latest`);
  const image = registry + rest.slice(0, tagColon);
  rest = rest.slice(tagColon + 1);
  const envColon = rest.indexOf(':');
  const tag = envColon < 0 ? rest : rest.slice(0, envColon);
  if (!image || image.endsWith('/')) throw hint(flag, 'missing image name');
  if (!TAG.test(tag)) throw hint(flag, `"${tag}" is not a valid tag`);
  const container: ContainerInput = { name, image: `${image}:${tag}` };
  if (envColon >= 0) container.env = parseEnv(flag, rest.slice(envColon + 1), image, tag);
  return container;
}

function parseEnv(flag: string, text: string, image: string, tag: string): { name: string; value: string }[] {
  return text.split(/,(?=[A-Za-z_][A-Za-z0-9_]*=)/).map((pair) => {
    if (!ENV_PAIR.test(pair)) {
      // The usual cause: an image from a registry with a port but no path after it.
      const portHint = /^\d+$/.test(tag) ? ` (if ${image}:${tag} is a registry, write ${image}:${tag}/PATH:TAG)` : '';
      throw hint(flag, `"${pair}" is not ENV=VALUE${portHint}`);
    }
    const eq = pair.indexOf('=');
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
  });
}

function hint(flag: string, problem: string): UsageError {
  return new UsageError(`--container ${flag}: ${problem}. Expected ${CONTAINER_FLAG_HELP}`);
}

/** `--port [HOSTIP:]HOSTPORT:CONTAINERPORT[/PROTO]` */
export function parsePortFlag(flag: string): { containerPort: number; hostPort: number; hostIP?: string; protocol: 'TCP' | 'UDP' | 'SCTP' } {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(\d+):(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(flag);
  if (!m) throw new UsageError(`--port ${flag}: expected [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]`);
  const [, hostIP, hostPort, containerPort, proto] = m;
  // Checked here too (the spec would refuse it later) so the message names the flag, not a spec path.
  for (const [which, port] of [['host', hostPort], ['container', containerPort]] as const) {
    if (Number(port) < 1 || Number(port) > 65535) throw new UsageError(`--port ${flag}: ${which} port ${port} is out of range (1-65535)`);
  }
  return {
    containerPort: Number(containerPort), hostPort: Number(hostPort),
    ...(hostIP ? { hostIP: hostIP.replace(/^\[|\]$/g, '') } : {}),
    protocol: (proto?.toUpperCase() ?? 'TCP') as 'TCP' | 'UDP' | 'SCTP',
  };
}

/** `--cpu [CONTAINER=]QUANTITY`: one container, or every container when none is named. */
export function parseScoped(flag: string, option: string): { container?: string; value: string } {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)=(.+)$/.exec(flag);
  if (m) return { container: m[1], value: m[3]! };
  if (!flag) throw new UsageError(`${option} needs a value`);
  return { value: flag };
}
