import { realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Agent } from '../agent/agent.js';
import { logTo, type LogFormat } from '../agent/decisions.js';
import { Engine } from '../engine/index.js';
import { readRecords } from '../nodes/records.js';
import { findNode } from '../nodes/registry.js';
import { gatewayAddress } from '../nodes/gateway.js';
import type { Pods } from '../pod/index.js';
import type { EngineFlags } from './main.js';
import { UsageError } from './usage.js';

/**
 * `podling agent`: supervises every pod on the engine in the foreground, one line per decision.
 * SIGTERM or SIGINT stops it cleanly: restarts go back to the engine, the lease is released, and
 * the pods keep running.
 */
export async function agentCommand(pods: Pods, argv: string[], flags: EngineFlags = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      once: { type: 'boolean' },
      selector: { type: 'string', short: 'l' },
      'log-format': { type: 'string' },
      relist: { type: 'string' },
      'grace-period': { type: 'string' },
      'print-systemd-unit': { type: 'boolean' },
      node: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length) throw new UsageError(`agent takes no arguments (got ${positionals.join(' ')})`);
  const format = values['log-format'] ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--log-format ${format}: use text or json`);
  const relist = seconds('--relist', values.relist, 60);
  const grace = seconds('--grace-period', values['grace-period'], 30);
  if (values['print-systemd-unit']) {
    console.log(systemdUnit(argv.filter((a) => a !== '--print-systemd-unit'), flags));
    return 0;
  }
  const node = values.node === undefined ? undefined : await nodeAgent(pods.engine, values.node);
  const agent = new Agent(node?.engine ?? pods.engine, {
    log: logTo((line) => process.stdout.write(`${line}\n`), format as LogFormat),
    cluster: node ? { name: pods.cluster.name, external: true } : pods.cluster, relistInterval: relist * 1000, grace, selector: values.selector,
    ...(node ? { movedTo: node.movedTo, probeAddress: node.probeAddress } : {}),
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    if (values.once) await agent.once(stop.signal);
    else await agent.run(stop.signal);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await node?.engine.close();
  }
  return 0;
}

/**
 * `--node NAME`: one node of a swarm, as a kubelet is one node's. The engine named on the command
 * line is a manager: it gives the node's engine address (its swarm label) and the pod records that
 * say when a pod of this node was made again elsewhere. The agent supervises that node's engine
 * and should run where that node's pods are reachable (in the test bed, inside the node's network
 * namespace), so its HTTP and TCP probes never leave it.
 */
async function nodeAgent(manager: Engine, name: string): Promise<{ engine: Engine; movedTo: (pod: { name: string; namespace: string }, signal?: AbortSignal) => Promise<string | undefined>; probeAddress: (infraId: string) => Promise<string | undefined> }> {
  const node = await findNode(manager, name);
  if (!node.engine) throw new UsageError(`node ${node.name} has no engine address: podling node add ${node.name} ADDRESS first`);
  const engine = new Engine({ host: node.engine });
  return {
    engine,
    probeAddress: (infraId) => gatewayAddress(engine, infraId),
    movedTo: async (pod, signal) => {
      const [record] = await readRecords(manager, pod, signal ? { signal } : {});
      return record && record.node !== node.name ? record.node : undefined;
    },
  };
}

function seconds(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} ${value}: a positive number of seconds`);
  return n;
}

/**
 * A unit that keeps the agent running on this host: restarted if it dies, stopped with SIGTERM
 * (so restarts go back to the engine), started after docker.service. The paths are this
 * installation's own, so the unit runs exactly what printed it.
 */
/**
 * What decides which engine the agent reaches and how it makes pods: the service must see the
 * same values as the shell the unit was printed from, or it would supervise another engine (a
 * context, an ssh:// identity, a TLS directory, a cluster network's name and subnet).
 */
const CARRIED_ENV = [
  'DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_API_VERSION',
  'PODLING_SSH_IDENTITY', 'PODLING_SSH_CONFIG', 'PODLING_CLUSTER_NETWORK', 'PODLING_CLUSTER_SUBNET', 'PODLING_POD_NETWORK', 'PODLING_SECCOMP_ROOT',
];

/** systemd's quoting: a word with a space, quote or backslash goes in double quotes, escaped. */
const quoted = (word: string) => (/[\s"'\\]/.test(word) ? `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"` : word);

/**
 * A unit running `podling agent` with the flags it was printed with, against the same engine: the
 * global `-H`/`--context` given before `agent` and the environment that chooses the engine.
 */
export function systemdUnit(args: string[], flags: EngineFlags = {}, env: NodeJS.ProcessEnv = process.env): string {
  const script = realpathSync(process.argv[1] ?? 'podling');
  const environment = CARRIED_ENV.filter((name) => env[name]).map((name) => `Environment=${quoted(`${name}=${env[name]}`)}\n`).join('');
  const global = flags.host ? ['-H', flags.host] : flags.context ? ['--context', flags.context] : [];
  const command = [process.execPath, script, ...global, 'agent', ...args].map(quoted).join(' ');
  return `[Unit]
Description=Podling agent: supervises the pods on this Docker engine
After=docker.service
Wants=docker.service

[Service]
${environment}ExecStart=${command}
Restart=always
RestartSec=2
KillSignal=SIGTERM
TimeoutStopSec=60

[Install]
WantedBy=multi-user.target`;
}
