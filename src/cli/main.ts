import { Engine } from '../engine/index.js';
import { isEngineError } from '../engine/errors.js';
import { isPodlingError } from '../errors.js';
import { ClusterPods } from '../nodes/cluster-pods.js';
import { Pods } from '../pod/index.js';
import { nodeAdd, nodeDrain, nodeList, nodeRemove, nodeUncordon } from './node-commands.js';
import { agentCommand } from './agent-command.js';
import { HELP } from './help.js';
import { apply, deleteFiles } from './kube-commands.js';
import { describe, get } from './get-commands.js';
import { kubeGenerate } from './kube-generate.js';
import { podCreate } from './pod-create.js';
import { podDelete, podExec, podGet, podList, podLogs } from './pod-commands.js';
import { recordCli, replayCli } from './record-commands.js';
import { serviceCreate, serviceDelete, serviceGet, serviceList } from './service-commands.js';
import { UsageError } from './usage.js';

/** The engine options given before the command word (`-H`, `--context`): most commands need only the engine they chose. */
export interface EngineFlags { host?: string; context?: string }
type Command = (pods: Pods, argv: string[], flags: EngineFlags) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  'pod create': podCreate,
  'pod get': podGet,
  'pod list': podList,
  'pod ls': podList,
  'pod delete': podDelete,
  'pod rm': podDelete,
  'pod logs': podLogs,
  'pod exec': podExec,
  'service create': serviceCreate,
  'service get': serviceGet,
  'service list': serviceList,
  'service ls': serviceList,
  'service delete': serviceDelete,
  agent: agentCommand,
  apply,
  delete: deleteFiles,
  get,
  describe,
  'kube generate': kubeGenerate,
  'service rm': serviceDelete,
  'node list': nodeList,
  'node ls': nodeList,
  'node add': nodeAdd,
  'node remove': nodeRemove,
  'node rm': nodeRemove,
  'node drain': nodeDrain,
  'node uncordon': nodeUncordon,
  prune: async (pods, argv) => {
    const all = argv.includes('--all');
    const rest = argv.filter((a) => a !== '--all');
    if (rest.length) throw new UsageError(`prune takes only --all (got ${rest.join(' ')})`);
    const report = await pods.prune({ all });
    const total = report.pods.length + report.containers.length + report.networks.length + report.volumes.length;
    for (const [kind, names] of Object.entries(report)) for (const name of names as string[]) console.log(`removed ${kind.replace(/s$/, '')} ${name}`);
    console.log(total ? `pruned ${total} object${total === 1 ? '' : 's'}` : 'nothing to prune');
    return 0;
  },
};

/**
 * Commands that make their own connections: no Engine is made for them, so a DOCKER_HOST they
 * do not use (replay needs no engine) cannot stop them. `-H` is record's default upstream.
 */
const STANDALONE: Record<string, (argv: string[], host: string | undefined) => Promise<number>> = {
  record: recordCli,
  replay: replayCli,
};

interface GlobalOptions { host?: string; context?: string; debug: boolean; help: boolean; rest: string[] }

/**
 * Commands that work on a whole swarm when the engine is a swarm manager with registered nodes
 * (src/nodes/cluster-pods.ts): one GET /info at the first call decides. The others use the
 * engine alone.
 */
const SPREAD = new Set(['pod create', 'pod get', 'pod list', 'pod ls', 'pod delete', 'pod rm', 'pod logs', 'pod exec',
  'service create', 'service get', 'service list', 'service ls', 'service delete', 'service rm', 'get', 'describe', 'apply', 'delete']);

const warnUnreachable = (node: { name: string }, why: string) => console.error(`warning: node ${node.name} does not answer: ${why}`);

/**
 * Global options come before or after the command; the command's own are its business. `-c` is
 * the docker CLI's short --context only before the command word: after it, `-c` is the
 * container flag of `pod logs` and `pod exec`.
 */
function splitGlobal(argv: string[]): GlobalOptions {
  const rest: string[] = [];
  const options: GlobalOptions = { debug: false, help: false, rest };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { rest.push(...argv.slice(i)); break; }
    if (a === '--debug') options.debug = true;
    else if (a === '-h' || a === '--help') options.help = true;
    else if (a === '-H' || a === '--host') options.host = argv[++i];
    else if (a.startsWith('--host=')) options.host = a.slice('--host='.length);
    else if (a === '--context' || (a === '-c' && !rest.length)) options.context = argv[++i];
    else if (a.startsWith('--context=')) options.context = a.slice('--context='.length);
    else rest.push(a);
  }
  // The docker CLI's refusal, in its words: which one was meant cannot be guessed.
  if (options.host && options.context) throw new UsageError('conflicting options: cannot specify both --host and --context');
  return options;
}

export async function main(argv: string[]): Promise<number> {
  let global: GlobalOptions;
  try {
    global = splitGlobal(argv);
  } catch (err) {
    console.error(`podling: ${messageOf(err)}`);
    return exitCodeFor(err);
  }
  const { host, context, debug, help, rest } = global;
  const key = rest[0] === 'pod' || rest[0] === 'service' || rest[0] === 'kube' || rest[0] === 'node' ? `${rest[0]} ${rest[1] ?? ''}` : rest[0] ?? '';
  const command = COMMANDS[key];
  const standalone = STANDALONE[key];
  if (help || !(command || standalone)) {
    const text = HELP[key.trim()] ?? HELP.main!;
    if (help || !rest.length) { console.log(text); return help ? 0 : 2; }
    // One line, as for every other usage error: the help is one flag away, not a screenful of stderr.
    console.error(`podling: unknown command "${key.trim()}" (podling --help lists the commands)`);
    return 2;
  }
  let engine: Engine | undefined;
  let pods: Pods | undefined;
  try {
    if (standalone) return await standalone(rest.slice(1), host);
    engine = new Engine({ ...(host && { host }), ...(context && { context }) });
    pods = SPREAD.has(key) ? new ClusterPods(engine, warnUnreachable) : new Pods(engine);
    return await command!(pods, rest.slice(key.split(' ').length), { ...(host && { host }), ...(context && { context }) });
  } catch (err) {
    // One line per failure (node's parseArgs, for one, words its errors over several).
    console.error(`podling: ${messageOf(err).trim().replace(/\s*\n\s*/g, ' ')}`);
    if (debug && err instanceof Error) console.error(err.stack);
    return exitCodeFor(err);
  } finally {
    if (pods instanceof ClusterPods) await pods.close().catch(() => {});
    await engine?.close().catch(() => {});
  }
}

/**
 * The one place a failure becomes an exit code, from its kind alone: 2 when the command line or
 * what it named was wrong (nothing was sent), 1 for everything that went wrong while doing it.
 */
export function exitCodeFor(err: unknown): number {
  if (isPodlingError(err, 'usage') || isPodlingError(err, 'invalid')) return 2;
  return (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true ? 2 : 1;
}

function messageOf(err: unknown): string {
  if (isEngineError(err) && err.kind !== 'unavailable' && err.daemonMessage) return `${err.daemonMessage}`;
  return err instanceof Error ? err.message : String(err);
}
