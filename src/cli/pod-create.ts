import { parseArgs } from 'node:util';
import type { Pods } from '../pod/index.js';
import { podNotices } from '../pod/fields.js';
import { ANNOTATION_ISOLATED, loadPodFile, type PodInput } from '../pod/spec.js';
import { ANNOTATION_NETWORK, POD_NETWORK_MODES } from '../pod/pod-network.js';
import { parseContainerFlag, parsePortFlag, parseScoped } from './container-flag.js';
import { formatPod } from './print.js';
import { progressPrinter } from './progress.js';
import { NAMESPACE_OPTION, namespaceFlag } from './namespace-flag.js';
import { UsageError } from './usage.js';

const OPTIONS = {
  container: { type: 'string', multiple: true },
  label: { type: 'string', multiple: true },
  port: { type: 'string', multiple: true },
  cpu: { type: 'string', multiple: true },
  memory: { type: 'string', multiple: true },
  restart: { type: 'string' },
  pull: { type: 'string' },
  'infra-image': { type: 'string' },
  isolated: { type: 'boolean' },
  network: { type: 'string' },
  'host-network': { type: 'boolean' },
  file: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  ...NAMESPACE_OPTION,
} as const;

const RESTART_POLICIES: Record<string, 'Always' | 'OnFailure' | 'Never'> = { always: 'Always', onfailure: 'OnFailure', 'on-failure': 'OnFailure', never: 'Never' };

export async function podCreate(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const namespace = namespaceFlag(values.namespace);
  let input: PodInput;
  if (values.file) {
    const shaping = ['container', 'label', 'port', 'cpu', 'memory', 'restart', 'pull', 'isolated', 'network', 'host-network'] as const;
    const given = shaping.filter((k) => values[k] !== undefined && (!Array.isArray(values[k]) || (values[k] as string[]).length));
    // Silently dropping, say, --isolated would leave a pod reachable that its owner believes is not.
    if (given.length || positionals.length) throw new UsageError(`-f FILE takes the whole pod from the file: no NAME or ${given.map((k) => `--${k}`).join(', ') || '--container'} with it`);
    const pod = await loadPodFile(values.file);
    // kubectl's rule: -n fills in a manifest's missing namespace and must agree with one it names.
    if (namespace !== undefined && pod.metadata.namespace !== undefined && pod.metadata.namespace !== namespace) {
      throw new UsageError(`the namespace in ${values.file} ("${pod.metadata.namespace}") does not match -n ${namespace}`);
    }
    for (const line of podNotices(pod)) console.error(`notice: ${line}`);
    input = namespace === undefined ? pod : { ...pod, metadata: { ...pod.metadata, namespace } };
  } else {
    input = podFromFlags(positionals, values);
    if (namespace !== undefined) input.metadata.namespace = namespace;
  }
  const pod = await pods.create(input, { onProgress: progressPrinter(), infraImage: values['infra-image'] });
  console.log(values.output ? await formatPod(pod, values.output) : `pod/${pod.metadata.name} created (id ${pod.metadata.uid}, ip ${pod.status.podIP ?? '<none>'}, ${pod.status.phase})`);
  return 0;
}

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>['values'];

function podFromFlags(positionals: string[], values: Values): PodInput {
  if (positionals.length !== 1) throw new UsageError('pod create takes exactly one NAME (or -f FILE)');
  if (!values.container?.length) throw new UsageError('pod create needs at least one --container NAME:IMAGE:TAG');
  const containers = values.container.map(parseContainerFlag);
  const byName = (name: string | undefined, option: string) => {
    if (name === undefined) return containers;
    const found = containers.filter((c) => c.name === name);
    if (!found.length) throw new UsageError(`${option}: no container named "${name}"`);
    return found;
  };
  for (const [option, key] of [['--cpu', 'cpu'], ['--memory', 'memory']] as const) {
    for (const flag of values[key] ?? []) {
      const { container, value } = parseScoped(flag, option);
      for (const c of byName(container, option)) c.resources = { ...c.resources, limits: { ...c.resources?.limits, [key]: value } };
    }
  }
  const ports = (values.port ?? []).map(parsePortFlag);
  if (ports.length) containers[0]!.ports = ports; // ports belong to the pod's namespace; the first container names them
  if (values.pull) {
    if (!['Always', 'IfNotPresent', 'Never'].includes(values.pull)) throw new UsageError(`--pull ${values.pull}: use Always, IfNotPresent or Never`);
    for (const c of containers) c.imagePullPolicy = values.pull as 'Always';
  }
  const labels: Record<string, string> = {};
  for (const flag of values.label ?? []) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--label ${flag}: expected KEY=VALUE`);
    labels[flag.slice(0, eq)] = flag.slice(eq + 1);
  }
  let restartPolicy: 'Always' | 'OnFailure' | 'Never' | undefined;
  if (values.restart) {
    restartPolicy = RESTART_POLICIES[values.restart.toLowerCase()];
    if (!restartPolicy) throw new UsageError(`--restart ${values.restart}: use Always, OnFailure or Never`);
  }
  if (values.network !== undefined && !(POD_NETWORK_MODES as readonly string[]).includes(values.network)) {
    throw new UsageError(`--network ${values.network}: use ${POD_NETWORK_MODES.join(' or ')}`);
  }
  const annotations = {
    ...(values.isolated ? { [ANNOTATION_ISOLATED]: 'true' } : {}),
    ...(values.network !== undefined ? { [ANNOTATION_NETWORK]: values.network } : {}),
  };
  return {
    metadata: {
      name: positionals[0]!,
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: { containers, ...(restartPolicy ? { restartPolicy } : {}), ...(values['host-network'] ? { hostNetwork: true } : {}) },
  };
}
