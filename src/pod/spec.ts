import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { checkDns, DNS_POLICIES, HostAlias, PodDNSConfig } from './dns.js';
import { PodError } from './errors.js';
import { SERVER_SET_META, tableShape } from './fields.js';
import { ANNOTATION_POD_IP, DEFAULT_NAMESPACE, qualifiedName } from './labels.js';
import { checkHooks, checkStopSignals, lifecycleShape, terminationGracePeriodSeconds } from './lifecycle-spec.js';
import { PROBE_FIELDS, probeSchema, unresolvedPort } from './probe-spec.js';
import { checkPodResources } from './pod-resources.js';
import { parseCpu, parseMemory, quantity } from './quantity.js';
import { checkPodSecurity, podSecurityShape, SecurityContext } from './security-spec.js';
import { checkMountPaths, EmptyDir as EmptyDirSchema, VolumeMount, volumeSources } from './volume-spec.js';
import { EnvFromSource, EnvVarSource } from './env-spec.js';
import { ANNOTATION_NETWORK, networkAnnotationProblem } from './pod-network.js';

export {
  PROBE_FIELDS, PROBE_HANDLERS, probeHandler, probePort,
  type ExecAction, type HTTPGetAction, type Probe, type ProbeHandler, type ProbeKind, type TCPSocketAction,
} from './probe-spec.js';
export { EmptyDir, sizeLimitBytes, VolumeMount } from './volume-spec.js';

/**
 * The pod spec: a subset of Kubernetes' Pod, checked strictly. An unknown or misspelt field is an
 * error, so a typo never silently becomes a default.
 */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

const dnsSubdomain = (what: string) => z.string().max(253, `${what} must be at most 253 characters`)
  .regex(DNS_SUBDOMAIN, `${what} must be a DNS subdomain: lower-case letters, digits, '-' and '.'`);

export const dnsLabel = (what: string) => z.string().max(63, `${what} must be at most 63 characters`)
  .regex(DNS_LABEL, `${what} must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit`);

/** `prefix/name` keys as Kubernetes allows them for labels and annotations. */
export function validKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

export const validLabelValue = (value: string) => value === '' || (value.length <= 63 && LABEL_NAME.test(value));

export const Labels = z.record(z.string().refine(validKey, { message: 'invalid label key' }), z.string().refine(validLabelValue, { message: 'invalid label value (at most 63 of [A-Za-z0-9_.-], starting and ending alphanumeric)' }));
export const Annotations = z.record(z.string().refine(validKey, { message: 'invalid annotation key' }), z.string());

const ResourceList = z.strictObject({ cpu: quantity(parseCpu).optional(), memory: quantity(parseMemory).optional() });

/** As in Kubernetes, a request above its limit is an error: the container could never be given it. */
const Resources = z.strictObject({ limits: ResourceList.optional(), requests: ResourceList.optional(), ...tableShape('ResourceRequirements') })
  .superRefine((r, ctx) => {
    for (const [key, parse] of [['cpu', parseCpu], ['memory', parseMemory]] as const) {
      const [limit, request] = [r.limits?.[key], r.requests?.[key]].map((q) => (q === undefined ? undefined : parse(q)));
      if (typeof limit === 'number' && typeof request === 'number' && request > limit) {
        ctx.addIssue({ code: 'custom', path: ['requests', key], message: `request ${r.requests?.[key]} is above the limit ${r.limits?.[key]}` });
      }
    }
  });

const Port = z.strictObject({
  name: z.string().optional(),
  containerPort: z.number().int().min(1).max(65535),
  hostPort: z.number().int().min(1).max(65535).optional(),
  hostIP: z.union([z.ipv4(), z.ipv6()]).optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
  ...tableShape('ContainerPort'),
});

/**
 * A volume with at most one source; as in Kubernetes, one without a source is an emptyDir. Only
 * the sources Podling implements are counted: a refused one is said once, by its own error.
 */
export const Volume = z.strictObject({ name: dnsLabel('volume name'), ...volumeSources, ...tableShape('Volume') })
  .superRefine((volume, ctx) => {
    const given = Object.keys(volumeSources).filter((source) => volume[source as keyof typeof volumeSources] !== undefined);
    if (given.length > 1) ctx.addIssue({ code: 'custom', message: `a volume has one source, this one has ${given.join(' and ')}` });
  })
  .transform(({ name, ...sources }) => {
    const given = Object.fromEntries(Object.entries(sources).filter(([source, value]) => value !== undefined && source in volumeSources));
    return { name, ...(Object.keys(given).length ? given : { emptyDir: EmptyDirSchema.parse({}) }) } as VolumeShape;
  });
type VolumeShape = { name: string } & { [K in keyof typeof volumeSources]?: z.infer<(typeof volumeSources)[K]> };
export type Volume = VolumeShape;

/** As the API server: a value or a valueFrom, not both (an empty value counts as none). */
const EnvVar = z.strictObject({
  name: z.string().regex(ENV_NAME, 'invalid environment variable name'),
  value: z.string().default(''),
  valueFrom: EnvVarSource.optional(),
  ...tableShape('EnvVar'),
}).superRefine((v, ctx) => {
  if (v.value !== '' && v.valueFrom) ctx.addIssue({ code: 'custom', path: ['valueFrom'], message: 'may not be given with a non-empty value' });
});

const containerShape = {
  name: dnsLabel('container name'),
  image: z.string().min(1, 'image must not be empty'),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(EnvVar).optional(),
  envFrom: z.array(EnvFromSource).optional(),
  workingDir: z.string().optional(),
  ports: z.array(Port).optional(),
  resources: Resources.optional(),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  volumeMounts: z.array(VolumeMount).optional(),
  livenessProbe: probeSchema('liveness').optional(),
  readinessProbe: probeSchema('readiness').optional(),
  startupProbe: probeSchema('startup').optional(),
  securityContext: SecurityContext.optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  tty: z.boolean().optional(),
  ...lifecycleShape,
  ...tableShape('Container'),
};

const APP_RESTART_POLICY = 'allowed only on init containers, where "Always" makes a sidecar; the pod\'s restart policy is spec.restartPolicy';
const INIT_RESTART_POLICY = 'can only be "Always" (a sidecar that runs beside the app containers); an init container without it runs once, under spec.restartPolicy';

/**
 * App and init containers: one shape (so one type), with each kind's rules. Container-level
 * `restartPolicy` exists only for init containers, whose `Always` makes a native sidecar.
 */
function containerSchema(kind: 'app' | 'init') {
  return z.strictObject({
    ...containerShape,
    // Typed alike in both kinds, so code handling "a container" takes either; an app container never has it.
    restartPolicy: z.literal('Always', { error: kind === 'app' ? APP_RESTART_POLICY : INIT_RESTART_POLICY }).optional(),
  }).superRefine((c, ctx) => {
    if (kind === 'app' && c.restartPolicy !== undefined) ctx.addIssue({ code: 'custom', path: ['restartPolicy'], message: APP_RESTART_POLICY });
    checkProbes(c, kind === 'init' && !isSidecar(c), ctx);
    checkMountPaths(c.volumeMounts ?? [], ctx);
    checkHooks(c, ctx);
  });
}

export const Container = containerSchema('app');
export type Container = z.infer<typeof Container>;
/** An init container: run to completion before the apps, in order, or a sidecar (`restartPolicy: Always`). */
export const InitContainer = containerSchema('init');
export type InitContainer = z.infer<typeof InitContainer>;

/** A native sidecar: an init container that starts before the apps and runs beside them. */
export const isSidecar = (container: InitContainer) => container.restartPolicy === 'Always';

type ContainerFields = z.infer<z.ZodObject<typeof containerShape>>;

function checkProbes(c: ContainerFields, refused: boolean, ctx: z.RefinementCtx) {
  for (const field of Object.values(PROBE_FIELDS)) {
    const probe = c[field];
    if (!probe) continue;
    if (refused) {
      ctx.addIssue({ code: 'custom', path: [field], message: 'probes are not allowed on init containers (only on a sidecar, restartPolicy: Always)' });
      continue;
    }
    for (const type of ['httpGet', 'tcpSocket'] as const) {
      const port = probe[type]?.port;
      const problem = port === undefined ? undefined : unresolvedPort(c, port);
      if (problem) ctx.addIssue({ code: 'custom', path: [field, type, 'port'], message: problem });
    }
  }
}

export const PodSpec = z.strictObject({
  initContainers: z.array(InitContainer).optional(),
  containers: z.array(Container).min(1, 'a pod needs at least one container'),
  volumes: z.array(Volume).optional(),
  restartPolicy: z.enum(['Always', 'OnFailure', 'Never']).default('Always'),
  hostname: dnsLabel('hostname').optional(),
  /** The host's network namespace: no pod network, ports are the host's. */
  hostNetwork: z.boolean().optional(),
  subdomain: z.string().optional(),
  setHostnameAsFQDN: z.boolean().optional(),
  hostAliases: z.array(HostAlias).optional(),
  dnsPolicy: z.enum(DNS_POLICIES, { error: `must be one of ${DNS_POLICIES.join(', ')}` }).optional(),
  dnsConfig: PodDNSConfig.optional(),
  ...podSecurityShape,
  /** A budget for the whole pod (pod-resources.ts). */
  resources: Resources.optional(),
  terminationGracePeriodSeconds,
  /** The engine this pod must run on, and the labels it must have (placement.ts). A node name is a DNS subdomain, as the API server checks it. */
  nodeName: z.string().max(253).regex(DNS_SUBDOMAIN, 'must be a DNS subdomain (lower-case letters, digits, \'-\' and \'.\')').optional(),
  nodeSelector: Labels.optional(),
  /** Secrets of type kubernetes.io/dockerconfigjson in the pod's namespace, for its image pulls (pull-secrets.ts). */
  /** Seconds the pod may be active before the agent fails it (deadline.ts); a positive whole number, as the API server checks it. */
  activeDeadlineSeconds: z.number().int('must be a whole number of seconds').min(1, 'must be at least 1').optional(),
  /** `false`: no `<SERVICE>_SERVICE_HOST` variables (service-links.ts). */
  enableServiceLinks: z.boolean().optional(),
  imagePullSecrets: z.array(z.strictObject({ name: dnsSubdomain('imagePullSecrets name') })).optional(),
  ...tableShape('PodSpec'),
}).superRefine((spec, ctx) => {
  if (spec.hostNetwork && spec.hostname) ctx.addIssue({ code: 'custom', path: ['hostname'], message: 'a hostNetwork pod uses the host\'s hostname' });
  checkDns(spec, ctx);
  checkNames(spec, ctx);
  checkHostPorts(spec, ctx);
  checkVolumes(spec, ctx);
  checkPodSecurity(spec, ctx);
  checkPodResources(spec, ctx);
  checkStopSignals(spec, ctx);
});
export type PodSpec = z.infer<typeof PodSpec>;

interface SpecFields { initContainers?: InitContainer[] | undefined; containers: Container[]; volumes?: Volume[] | undefined }

/** Both lists of containers, each with the name of its field. */
const containerLists = (spec: SpecFields) => [['initContainers', spec.initContainers ?? []], ['containers', spec.containers]] as const;

/** Init and app containers share one set of names, as in Kubernetes. */
function checkNames(spec: SpecFields, ctx: z.RefinementCtx) {
  const seen = new Map<string, string>();
  for (const [list, containers] of containerLists(spec)) {
    containers.forEach((c, i) => {
      const first = seen.get(c.name);
      const across = first !== undefined && first !== list ? ' (init containers and containers share one set of names)' : '';
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [list, i, 'name'], message: `duplicate container name "${c.name}"${across}` });
      else seen.set(c.name, list);
    });
  }
}

function checkHostPorts(spec: SpecFields, ctx: z.RefinementCtx) {
  const hostPorts = new Set<string>();
  spec.containers.forEach((c, i) => c.ports?.forEach((p, j) => {
    if (p.hostPort === undefined) return;
    const key = `${p.hostIP ?? ''}:${p.hostPort}/${p.protocol}`;
    if (hostPorts.has(key)) ctx.addIssue({ code: 'custom', path: ['containers', i, 'ports', j, 'hostPort'], message: `host port ${p.hostPort}/${p.protocol} is published twice` });
    hostPorts.add(key);
  }));
}

function checkVolumes(spec: SpecFields, ctx: z.RefinementCtx) {
  const names = new Set<string>();
  spec.volumes?.forEach((v, i) => {
    if (names.has(v.name)) ctx.addIssue({ code: 'custom', path: ['volumes', i, 'name'], message: `duplicate volume name "${v.name}"` });
    names.add(v.name);
  });
  for (const [list, containers] of containerLists(spec)) {
    containers.forEach((c, i) => c.volumeMounts?.forEach((mount, j) => {
      if (names.has(mount.name)) return;
      ctx.addIssue({ code: 'custom', path: [list, i, 'volumeMounts', j, 'name'], message: `the mount at "${mount.mountPath}" names volume "${mount.name}", which is not in spec.volumes` });
    }));
  }
}

// Server-set metadata (uid, creationTimestamp …) and status are accepted, as the API server
// accepts them, so what `pod get -o yaml` prints can be created again; they are dropped here.
// Podling's own annotation of the pod's address is the same kind of thing: set on output, dropped on input.
export const serverSet = Object.fromEntries(SERVER_SET_META.map((field) => [field, z.unknown().optional()]));
export function dropServerSet<T extends { annotations?: Record<string, string> | undefined }>(value: T): T {
  const kept = Object.fromEntries(Object.entries(value).filter(([field, v]) => v !== undefined && !SERVER_SET_META.includes(field))) as T;
  if (kept.annotations && ANNOTATION_POD_IP in kept.annotations) {
    const { [ANNOTATION_POD_IP]: _ip, ...rest } = kept.annotations;
    if (Object.keys(rest).length) kept.annotations = rest;
    else delete kept.annotations;
  }
  return kept;
}

/** An object's metadata as the table (fields.ts) has it, for every kind: `what` names the object in messages. */
export const objectMeta = (what: string) => z.strictObject({
  name: dnsLabel(`${what} name`),
  namespace: dnsLabel('namespace').optional(),
  labels: Labels.optional(),
  annotations: Annotations.optional(),
  ...serverSet,
  ...tableShape('ObjectMeta'),
}).transform(dropServerSet);

export const Pod = z.strictObject({
  apiVersion: z.literal('v1').optional(),
  kind: z.literal('Pod').optional(),
  metadata: objectMeta('pod'),
  spec: PodSpec,
  status: z.unknown().optional(),
}).superRefine((pod, ctx) => {
  // The pod network mode is an annotation (so manifests carry it), checked with the pod it belongs to.
  const problem = networkAnnotationProblem(pod.metadata.annotations, { isolated: pod.metadata.annotations?.[ANNOTATION_ISOLATED] === 'true', hostNetwork: pod.spec.hostNetwork === true });
  if (problem) ctx.addIssue({ code: 'custom', path: ['metadata', 'annotations', ANNOTATION_NETWORK], message: problem });
}).transform(({ status: _status, ...pod }) => pod);
export type Pod = z.infer<typeof Pod>;
export type PodInput = z.input<typeof Pod>;

/** The pod's namespace: `default` when the manifest names none, as kubectl applies it. */
export const namespaceOf = (pod: { metadata: { namespace?: string | undefined } }) => pod.metadata.namespace ?? DEFAULT_NAMESPACE;

/** The pod's name on the engine, unique across namespaces (see qualifiedName). */
export const podKey = (pod: { metadata: { name: string; namespace?: string | undefined } }) => qualifiedName(pod.metadata.name, namespaceOf(pod));

/** `podling.io/isolated: "true"`: the pod joins no cluster network, so no other pod reaches it. */
export const ANNOTATION_ISOLATED = 'podling.io/isolated';
export const isIsolated = (pod: Pod) => pod.metadata.annotations?.[ANNOTATION_ISOLATED] === 'true';

/** A bad pod spec: one line per problem, each naming the field. */
export class PodSpecError extends PodError {
  override readonly name = 'PodSpecError';
  constructor(readonly problems: string[], source?: string) {
    super('invalid', `invalid pod spec${source ? ` in ${source}` : ''}: ${problems.join('; ')}`);
  }
}

export function parsePod(value: unknown, source?: string): Pod {
  const result = Pod.safeParse(value);
  if (result.success) return result.data;
  throw new PodSpecError(problems(result.error.issues), source);
}

/**
 * One line per problem, each naming its field. A misspelt field (`contaners`) is reported as
 * itself with the field it most likely meant, and not a second time as that field missing: one
 * typo, one problem.
 */
export function problems(issues: readonly z.core.$ZodIssue[], root: z.ZodType = Pod): string[] {
  const at = (path: readonly PropertyKey[]) => path.map(String).join('.');
  const guesses = new Map<z.core.$ZodIssue, Map<string, string>>();
  const meant = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const known = knownFields(issue.path, root);
    const byKey = new Map(issue.keys.flatMap((key) => { const guess = closest(key, known); return guess ? [[key, guess] as const] : []; }));
    for (const guess of byKey.values()) meant.add(at([...issue.path, guess]));
    guesses.set(issue, byKey);
  }
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const guess = guesses.get(issue)?.get(key);
        return `${at([...issue.path, key])}: unknown field${guess ? ` (did you mean "${guess}"?)` : ''}`;
      });
    }
    const where = at(issue.path);
    if (issue.code === 'invalid_type' && meant.has(where)) return []; // missing because misspelt: said above
    if (issue.code === 'custom' && standsFor(issue).some((field) => meant.has(at([...issue.path, field])))) return [];
    // A record key's own message ("invalid label key") is inside; zod's outer one only says "Invalid key in record".
    const message = issue.code === 'invalid_key' ? issue.issues[0]?.message ?? issue.message : issue.message;
    return [where ? `${where}: ${message}` : message];
  });
}

/** The fields a custom "needs one of these" issue is about (`params.fields`), so a misspelling of one silences it. */
function standsFor(issue: z.core.$ZodIssueCustom): string[] {
  const fields: unknown = issue.params?.['fields'];
  return Array.isArray(fields) ? fields.map(String) : [];
}

interface SchemaNode { _zod: { def: { type: string; shape?: Record<string, SchemaNode>; element?: SchemaNode; innerType?: SchemaNode; in?: SchemaNode } } }

/** The fields a schema (the Pod's, unless given) knows at `path` (through arrays, optionals and defaults). */
function knownFields(path: readonly PropertyKey[], root: z.ZodType): string[] {
  const unwrap = (node: SchemaNode | undefined): SchemaNode | undefined => {
    const def = node?._zod.def;
    return def?.innerType ? unwrap(def.innerType) : def?.type === 'pipe' ? unwrap(def.in) : node;
  };
  let node = unwrap(root as unknown as SchemaNode);
  for (const segment of path) {
    const def = node?._zod.def;
    node = unwrap(typeof segment === 'number' ? def?.element : def?.shape?.[String(segment)]);
  }
  return Object.keys(unwrap(node)?._zod.def.shape ?? {});
}

/** The known field a misspelling is closest to, if it is close: at most 2 edits, and fewer than half its length. */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const field of known) {
    const distance = editDistance(key.toLowerCase(), field.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [field, distance];
  }
  return bestDistance <= 2 && bestDistance * 2 < key.length ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

/** A pod from a JSON or YAML file (`apiVersion: v1`, `kind: Pod`). */
export async function loadPodFile(path: string): Promise<Pod> {
  const text = await readFile(path, 'utf8');
  let value: unknown;
  try {
    // Loaded here, not at the top: the CLI's cold start should not pay for YAML it rarely needs.
    const { parse } = await import('yaml');
    // YAML is a superset of JSON, so one parser reads both; 1.1, as Kubernetes reads it (octal modes).
    value = parse(text, { version: '1.1' });
  } catch (err) {
    throw new PodSpecError([`not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`], path);
  }
  return parsePod(value, path);
}
