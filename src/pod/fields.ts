import { z } from 'zod';

/**
 * Every field of a Kubernetes Pod (and of the objects inside it) is in exactly one of three
 * groups, kept here and nowhere else: the schema (spec.ts) takes its notice and refused fields
 * from this table, `create` prints the notices from it, and the README prints it (a test keeps the
 * README, the schema and the Kubernetes API's own field list in step with it).
 *
 * - `done`: it does what Kubernetes does, on Docker.
 * - `notice`: it has no meaning on one engine; accepted, kept (so a manifest round-trips) and
 *   named in one line at create.
 * - `refused`: an error naming the field and why, before any engine request.
 */
export type FieldGroup = 'done' | 'notice' | 'refused';
export interface FieldRule { group: FieldGroup; why: string }

const done = (why = ''): FieldRule => ({ group: 'done', why });
const notice = (why: string): FieldRule => ({ group: 'notice', why });
const refused = (why: string): FieldRule => ({ group: 'refused', why });
const notYet = (what = ''): FieldRule => refused(`not supported yet${what ? `: ${what}` : ''}`);

const SERVER_SET = 'set by Podling; a value given is ignored, as the API server ignores it';
const NO_SCHEDULER = 'one engine, no scheduler: nothing to place';
const NO_ACCOUNTS = 'no API server, so no service accounts or tokens';
const SELINUX = 'Podling sets no SELinux labels: the engine labels containers itself when its host enforces SELinux';
const WINDOWS = 'Windows options apply only to Windows containers; Kubernetes ignores them on Linux too';
const PROFILES = (kind: 'seccomp' | 'apparmor') => `\`RuntimeDefault\` (and no profile) is Docker's default; \`Unconfined\` is \`${kind}=unconfined\`; \`Localhost\` is ${kind === 'seccomp'
  ? 'the profile file\'s JSON in `seccomp=`: Docker takes the profile, not a path'
  : '`apparmor=NAME`, a profile loaded on the engine\'s host; where the host does not run AppArmor (Docker would drop the option) the pod fails with CreateContainerConfigError'}`;

export const FIELDS = {
  Pod: {
    apiVersion: done('"v1"'),
    kind: done('"Pod"'),
    metadata: done(),
    spec: done(),
    status: done(SERVER_SET),
  },
  ObjectMeta: {
    name: done(),
    namespace: done('scopes pod, service, ConfigMap and Secret names; `default` when absent'),
    labels: done(),
    annotations: done(),
    generateName: refused('a pod needs its own name: Podling keeps pod names unique through the engine\'s container names'),
    uid: done(SERVER_SET),
    resourceVersion: done(SERVER_SET),
    generation: done(SERVER_SET),
    creationTimestamp: done(SERVER_SET),
    deletionTimestamp: done(SERVER_SET),
    deletionGracePeriodSeconds: done(SERVER_SET),
    selfLink: done(SERVER_SET),
    managedFields: done(SERVER_SET),
    ownerReferences: notice('no controllers and no garbage collector: nothing owns a pod'),
    finalizers: refused('nothing would ever remove a finalizer, so the pod could never be deleted'),
  },
  PodSpec: {
    containers: done(),
    initContainers: done('run in order before the apps; `restartPolicy: Always` makes a native sidecar'),
    ephemeralContainers: refused('ephemeral containers are added to a running pod through the API, never in a manifest: use `podling pod exec`'),
    volumes: done(),
    restartPolicy: done('under `podling agent`, with the kubelet\'s back-off'),
    hostname: done(),
    hostNetwork: done(),
    subdomain: done('the pod answers as HOSTNAME.SUBDOMAIN.NAMESPACE.svc.cluster.local, its domain name is set'),
    setHostnameAsFQDN: done(),
    hostnameOverride: refused('alpha in Kubernetes (the HostnameOverride feature gate, off by default): use hostname'),
    hostPID: done('the infra and every container are in the host\'s PID namespace (`PidMode: host`)'),
    hostIPC: done('the infra is in the host\'s IPC namespace (`IpcMode: host`); the containers join the infra\'s, as always'),
    hostUsers: done('`true` (the default) only; `false` is refused: Docker\'s user namespaces are per daemon (userns-remap), not per pod'),
    shareProcessNamespace: done('the containers join the infra\'s PID namespace (`PidMode: container:<infra>`), whose catatonit is PID 1, as the pause process is'),
    securityContext: done('defaults for every container\'s securityContext (the container\'s own fields win), groups, and the pod\'s sysctls'),
    hostAliases: done('lines in the pod\'s /etc/hosts'),
    dnsPolicy: done('ClusterFirst: the namespace\'s search list on the engine\'s DNS (ndots:1, see the README); Default: the engine\'s resolver; None: dnsConfig alone. Docker\'s DNS still answers cluster names under every policy'),
    dnsConfig: done(),
    terminationGracePeriodSeconds: done('what a delete gives the pod\'s containers, preStop hooks included (default 30); `--grace-period` overrides it'),
    activeDeadlineSeconds: done('enforced by the agent: at the deadline (from the earliest start the engine shows of the pod\'s sandbox and containers) every container is killed and none restarts; `pod get` then says Failed, DeadlineExceeded. A pod with no agent runs on past it'),
    imagePullSecrets: done('Secrets of type kubernetes.io/dockerconfigjson (or dockercfg) in the pod\'s namespace: each image pull sends (X-Registry-Auth) the credentials whose key matches its registry as the kubelet matches them, the most specific first; an image no key matches is pulled as without the field. A Secret missing or of another type fails the pod before anything is made (Kubernetes pulls without it and warns)'),
    nodeName: done('must be this engine\'s name (`/info` Name, lower-cased, as a kubelet registers its host); any other is refused before anything is made (reason NodeAffinity), where Kubernetes would leave the pod Pending'),
    nodeSelector: done('matched against the engine\'s labels: its daemon `--label`s and the well-known kubernetes.io/hostname, os and arch (and their beta. names); a mismatch is refused before anything is made (reason NodeAffinity)'),
    resources: done('a budget carried by each container: its limit must fit in the pod\'s, one without a limit gets the pod\'s, the pod\'s request beyond the containers\' is shared by those that request none (README, Pods)'),
    enableServiceLinks: done('unless `false`, every container gets `<SERVICE>_SERVICE_HOST`/`_SERVICE_PORT` (and `_SERVICE_PORT_<NAME>`, `<SERVICE>_PORT…`) of each service of its namespace that exists when it is created; the host is the service\'s DNS name `NAME.NAMESPACE.svc.cluster.local` and the port its numeric targetPort, since there is no virtual IP (README, services); the container\'s own variables win'),
    serviceAccountName: notice(NO_ACCOUNTS),
    serviceAccount: notice(NO_ACCOUNTS),
    automountServiceAccountToken: notice(NO_ACCOUNTS),
    affinity: notice(NO_SCHEDULER),
    tolerations: notice(NO_SCHEDULER),
    topologySpreadConstraints: notice(NO_SCHEDULER),
    priorityClassName: notice(NO_SCHEDULER),
    priority: notice(NO_SCHEDULER),
    preemptionPolicy: notice(NO_SCHEDULER),
    schedulerName: notice(NO_SCHEDULER),
    schedulingGates: notice(NO_SCHEDULER),
    schedulingGroup: notice(NO_SCHEDULER),
    overhead: notice('set by a RuntimeClass; Podling accounts no runtime overhead'),
    os: notice('the engine runs Linux containers'),
    runtimeClassName: refused('a runtime class names another runtime handler; Podling runs the engine\'s default runtime'),
    readinessGates: refused('nothing sets the conditions a readiness gate waits for, so the pod would never be ready'),
    resourceClaims: refused('dynamic resource allocation needs a resource driver, which a Docker engine has not'),
  },
  PodDNSConfig: { nameservers: done(), searches: done(), options: done() },
  PodDNSConfigOption: { name: done(), value: done() },
  HostAlias: { ip: done(), hostnames: done() },
  Container: {
    name: done(),
    image: done(),
    command: done(),
    args: done(),
    env: done(),
    envFrom: done('configMapRef / secretRef with `prefix` and `optional`, read when the container is created'),
    workingDir: done(),
    ports: done(),
    resources: done('limits are the container\'s cgroup limits; requests are CPU shares and a memory reservation'),
    imagePullPolicy: done(),
    volumeMounts: done(),
    livenessProbe: done(),
    readinessProbe: done(),
    startupProbe: done(),
    restartPolicy: done('init containers only: `Always` makes a native sidecar'),
    restartPolicyRules: refused('alpha in Kubernetes (the ContainerRestartRules feature gate, off by default): use the pod\'s restartPolicy'),
    lifecycle: done(),
    terminationMessagePath: done('read from the stopped container (at most 4096 bytes) into `state.terminated.message`; a path under /dev is a file of the pod\'s bind-mounted there, as the kubelet does'),
    terminationMessagePolicy: done('`FallbackToLogsOnError`: the log\'s last 80 lines (2048 bytes) when the file is empty and the container failed'),
    securityContext: done(),
    stdin: done('`OpenStdin`'),
    stdinOnce: done('`StdinOnce`'),
    tty: done('`Tty`: the logs are then one raw stream, as Kubernetes\' are'),
    resizePolicy: notice('no in-place resize: a changed spec replaces the container'),
    volumeDevices: refused('raw block devices come from persistent volume claims of block mode, which Podling has not'),
  },
  Lifecycle: {
    postStart: done('run right after the container starts; the container counts as started only once it has finished; a failure kills the container (FailedPostStartHook)'),
    preStop: done('run before the stop signal, within the grace period; the stop gets what is left of it'),
    stopSignal: done('the container\'s StopSignal (needs `spec.os.name: linux`, as in Kubernetes)'),
  },
  LifecycleHandler: {
    exec: done('through the engine\'s exec API; a non-zero exit is a failure'),
    httpGet: done('from this process to the pod\'s IP, as the probes; only a failed connection is a failure (any answer counts, as the kubelet counts it)'),
    sleep: done('waits in this process, not in the container'),
    tcpSocket: refused('Kubernetes keeps it only for compatibility and every hook that uses it fails when it runs: use exec or httpGet'),
  },
  ContainerPort: {
    name: done(),
    containerPort: done(),
    hostPort: done(),
    hostIP: done(),
    protocol: done(),
  },
  EnvVar: {
    name: done(),
    value: done(),
    valueFrom: done('fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef (a Secret\'s value is in the container\'s environment: `docker inspect` shows it)'),
  },
  VolumeProjection: {
    configMap: done(),
    secret: done(),
    downwardAPI: done(),
    serviceAccountToken: refused('no API server issues service account tokens'),
    clusterTrustBundle: refused('no API server holds ClusterTrustBundles'),
    podCertificate: refused('no API server signs pod certificates'),
  },
  EnvVarSource: {
    fieldRef: done('metadata.name/namespace/uid/labels[\'k\']/annotations[\'k\'], spec.nodeName/serviceAccountName, status.podIP(s)/hostIP(s)'),
    resourceFieldRef: done('limits and requests of cpu and memory, with divisor; a limit not set is the node\'s'),
    configMapKeyRef: done(),
    secretKeyRef: done(),
    fileKeyRef: refused('reads a variable from a file of an emptyDir at container start, which needs the kubelet inside the pod'),
  },
  ResourceRequirements: {
    limits: done(),
    requests: done(),
    claims: refused('dynamic resource allocation needs a resource driver, which a Docker engine has not'),
  },
  VolumeMount: {
    name: done(),
    mountPath: done(),
    readOnly: done(),
    subPath: done(),
    subPathExpr: notYet(),
    mountPropagation: notYet(),
    recursiveReadOnly: notYet(),
  },
  Volume: {
    name: done(),
    emptyDir: done('a named volume per pod; `medium: Memory` is a tmpfs'),
    hostPath: done('a bind mount; `type` is checked against this host before anything is made (a remote engine takes only type "")'),
    configMap: done('files (items, mode, defaultMode, optional) on a tmpfs the infra holds, written when the sandbox starts; not updated live'),
    secret: done('files as for configMap, on a tmpfs: never on disk, in an image layer or a label'),
    downwardAPI: done('files of metadata (name, namespace, uid, labels, annotations) and resource limits/requests'),
    projected: done('configMap, secret and downwardAPI sources in one tmpfs'),
    persistentVolumeClaim: done('a labelled named volume per namespace and claim, made on first use, kept after the pod'),
    ephemeral: refused('generic ephemeral volumes need a storage class and a provisioner'),
    image: refused('image volumes need the kubelet\'s image volume support, which the Engine API has not'),
    csi: refused('CSI drivers are not available on a Docker engine'),
    ...Object.fromEntries([
      'nfs', 'iscsi', 'rbd', 'cephfs', 'cinder', 'fc', 'flexVolume', 'flocker', 'glusterfs', 'gitRepo', 'quobyte', 'scaleIO',
      'storageos', 'portworxVolume', 'photonPersistentDisk', 'vsphereVolume', 'azureDisk', 'azureFile', 'awsElasticBlockStore',
      'gcePersistentDisk',
    ].map((source) => [source, refused('a network or cloud volume plugin; mount it on the host and use hostPath')])),
  },
  SecurityContext: {
    runAsUser: done('the engine\'s `User` (uid, with runAsGroup as `uid:gid`)'),
    runAsGroup: done('the group of `User`; without runAsUser, the image\'s user with this group'),
    runAsNonRoot: done('checked against runAsUser, else the image\'s user: root or a user name cannot be verified, so the container is not made (CreateContainerConfigError)'),
    readOnlyRootFilesystem: done('`ReadonlyRootfs`'),
    privileged: done('`Privileged`'),
    allowPrivilegeEscalation: done('`false` is `no-new-privileges`'),
    capabilities: done('`CapAdd` / `CapDrop`'),
    seccompProfile: done(PROFILES('seccomp')),
    appArmorProfile: done(PROFILES('apparmor')),
    procMount: done('`Default` only; `Unmasked` is refused: it needs a user namespace of the pod\'s own (hostUsers: false)'),
    seLinuxOptions: notice(SELINUX),
    windowsOptions: notice(WINDOWS),
  },
  PodSecurityContext: {
    runAsUser: done('the default of every container\'s runAsUser'),
    runAsGroup: done('the default of every container\'s runAsGroup'),
    runAsNonRoot: done('the default of every container\'s runAsNonRoot'),
    seccompProfile: done('the default of every container\'s seccompProfile'),
    appArmorProfile: done('the default of every container\'s appArmorProfile'),
    fsGroup: done('a supplementary group of every container (`GroupAdd`); Memory emptyDirs are owned by it, setgid; disk emptyDirs keep the engine\'s ownership (no mount option can change it)'),
    fsGroupChangePolicy: done('volumes are new with the pod, so both policies give the same result'),
    supplementalGroups: done('`GroupAdd` on every container'),
    supplementalGroupsPolicy: done('`Merge` only; `Strict` is refused: Docker always adds the groups the image\'s /etc/group gives the user'),
    sysctls: done('`Sysctls` on the infra, which holds the pod\'s network and IPC namespaces; only those namespaces\' sysctls (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*), and not in a hostNetwork or hostIPC pod'),
    seLinuxOptions: notice(SELINUX),
    seLinuxChangePolicy: notice(SELINUX),
    windowsOptions: notice(WINDOWS),
  },
  Capabilities: {
    add: done('`CapAdd`: names without the CAP_ prefix, or ALL'),
    drop: done('`CapDrop`: names without the CAP_ prefix, or ALL'),
  },
  SeccompProfile: {
    type: done(),
    localhostProfile: done('a file under /var/lib/kubelet/seccomp (or $PODLING_SECCOMP_ROOT) on the host Podling runs on'),
  },
  AppArmorProfile: {
    type: done(),
    localhostProfile: done('the name of a profile loaded on the engine\'s host'),
  },
  Sysctl: {
    name: done(),
    value: done(),
  },
  Service: {
    apiVersion: done('"v1"'),
    kind: done('"Service"'),
    metadata: done(),
    spec: done(),
    status: done(SERVER_SET),
  },
  ServiceSpec: {
    selector: done('equality on the pods\' labels in the service\'s namespace; required (Podling keeps no hand-made endpoints)'),
    ports: done(),
    type: done('ClusterIP (the default) only: NodePort and LoadBalancer are refused (publish a pod\'s port with hostPort), ExternalName too'),
    clusterIP: done('"None" or left out: every service is headless, its name answers with its ready pods\' IPs (Docker\'s DNS has no virtual IPs)'),
    clusterIPs: done('["None"] or left out, as clusterIP'),
    publishNotReadyAddresses: done('unready pods are endpoints and carry the name too'),
    sessionAffinity: notice('DNS answers come shuffled per query: no client affinity'),
    sessionAffinityConfig: notice('DNS answers come shuffled per query: no client affinity'),
    ipFamilies: notice('the cluster network is IPv4'),
    ipFamilyPolicy: notice('the cluster network is IPv4'),
    internalTrafficPolicy: notice('no proxy: clients reach the pods directly'),
    externalTrafficPolicy: notice('no proxy: clients reach the pods directly'),
    trafficDistribution: notice('no proxy: clients reach the pods directly'),
    externalIPs: refused('no proxy to carry them: publish a pod\'s port with hostPort'),
    externalName: refused('ExternalName services need a DNS server that serves CNAMEs, which Docker\'s has not'),
    loadBalancerIP: refused('no load balancer'),
    loadBalancerSourceRanges: refused('no load balancer'),
    loadBalancerClass: refused('no load balancer'),
    allocateLoadBalancerNodePorts: refused('no load balancer'),
    healthCheckNodePort: refused('no load balancer'),
  },
  ServicePort: {
    name: done(),
    port: done('listed with the endpoints; DNS carries addresses, not ports: clients connect to the targetPort'),
    targetPort: done('a number, or the name of a container port of each selected pod'),
    protocol: done(),
    appProtocol: done('kept, as in Kubernetes, where only proxies read it'),
    nodePort: refused('no node ports: publish a pod\'s port with hostPort'),
  },
} satisfies Record<string, Record<string, FieldRule>>;

export type FieldType = keyof typeof FIELDS;

/**
 * The zod shape of a type's notice and refused fields, for its schema to spread in: a notice field
 * takes any value and keeps it, a refused one fails with its reason. The done fields are the
 * schema's own.
 */
export function tableShape(type: FieldType): Record<string, z.ZodOptional<z.ZodUnknown> | z.ZodOptional<z.ZodNever>> {
  const shape: Record<string, z.ZodOptional<z.ZodUnknown> | z.ZodOptional<z.ZodNever>> = {};
  for (const [field, rule] of Object.entries(FIELDS[type] as Record<string, FieldRule>)) {
    if (rule.group === 'notice') shape[field] = z.unknown().optional();
    else if (rule.group === 'refused') shape[field] = z.never({ error: refusal(rule) }).optional();
  }
  return shape;
}

const refusal = (rule: FieldRule) => (rule.why.startsWith('not supported') ? rule.why : `not supported: ${rule.why}`);

/** The fields of a type that are done: what its schema must implement itself. */
export const doneFields = (type: FieldType): string[] =>
  Object.entries(FIELDS[type] as Record<string, FieldRule>).filter(([, rule]) => rule.group === 'done').map(([field]) => field);

/** Server-set metadata: accepted as the API server accepts them, and dropped. */
export const SERVER_SET_META = Object.entries(FIELDS.ObjectMeta).filter(([, rule]) => rule.why === SERVER_SET).map(([field]) => field);

/** Where each type sits inside a Pod, for walking one: `[field, type, isList]`. */
const NESTED: Partial<Record<FieldType, [string, FieldType, boolean][]>> = {
  PodSpec: [['containers', 'Container', true], ['initContainers', 'Container', true], ['volumes', 'Volume', true], ['securityContext', 'PodSecurityContext', false]],
  Container: [['ports', 'ContainerPort', true], ['env', 'EnvVar', true], ['resources', 'ResourceRequirements', false], ['volumeMounts', 'VolumeMount', true], ['securityContext', 'SecurityContext', false], ['lifecycle', 'Lifecycle', false]],
  Lifecycle: [['postStart', 'LifecycleHandler', false], ['preStop', 'LifecycleHandler', false]],
  EnvVar: [['valueFrom', 'EnvVarSource', false]],
};

/** One line per notice field the pod sets, each naming the field and why it does nothing here. */
export function podNotices(pod: { metadata: object; spec: object }): string[] {
  return [...walk('ObjectMeta', pod.metadata, 'metadata'), ...walk('PodSpec', pod.spec, 'spec')];
}

/** The same for any kind: its metadata's notice fields, and those of `spec` read as `specType` when it has one. */
export function objectNotices(object: { metadata: object; spec?: object }, specType?: FieldType): string[] {
  return [...walk('ObjectMeta', object.metadata, 'metadata'), ...(specType && object.spec ? walk(specType, object.spec, 'spec') : [])];
}

function walk(type: FieldType, value: object, at: string): string[] {
  const rules = FIELDS[type] as Record<string, FieldRule>;
  const record = value as Record<string, unknown>;
  const lines = Object.entries(rules)
    .filter(([field, rule]) => rule.group === 'notice' && record[field] !== undefined)
    .map(([field, rule]) => `${at}.${field}: accepted, has no effect here (${rule.why})`);
  for (const [field, inner, list] of NESTED[type] ?? []) {
    const child = record[field];
    if (child === undefined || child === null) continue;
    if (list) (child as object[]).forEach((item, i) => lines.push(...walk(inner, item, `${at}.${field}[${i}]`)));
    else lines.push(...walk(inner, child as object, `${at}.${field}`));
  }
  return lines;
}
