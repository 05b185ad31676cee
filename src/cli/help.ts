import { CONTAINER_FLAG_HELP } from './container-flag.js';

export const HELP: Record<string, string> = {
  main: `podling: Kubernetes-style pods on a plain Docker engine

Usage: podling <command> [options]

Commands:
  pod create NAME --container ... | -f FILE   run a pod
  pod get POD [-o json|yaml] [-w]             show one pod (by name or id); -w: a line per change
  pod list [-l SELECTOR] [-o wide|json] [-w]  list pods; -w: then a line per change, as kubectl get -w
  pod delete POD...                           stop and remove pods
  pod logs POD [-c NAME] [--tail N] [-f] [-p] print container logs (-p: the previous attempt)
  pod exec POD [-c NAME] [-i] -- CMD...       run a command in a pod's container
  service create NAME --selector K=V --port P [--target-port T] [--protocol tcp|udp]
  service get SERVICE [-o json|yaml]          a service and its endpoints (podIP:targetPort)
  service list | service delete SERVICE
  apply -f FILE|DIR|- [-n NS]                 create what is missing, replace what changed (Pod, Service, ConfigMap, Secret)
  delete -f FILE|DIR|- [-n NS]                delete what the manifests name
  get KIND [NAME] [-n NS | -A] [-o ...]       pods, services, configmaps, secrets (kubectl's words and columns)
  describe KIND NAME [-n NS]                  one object, for people
  kube generate POD|KIND/NAME...              manifests of existing objects for kubectl apply (KIND:
                                              service, configmap, secret; a Secret with its values)
  prune [--all]                               remove orphaned objects (--all: every managed object)

On a swarm manager with nodes added, the pod and service commands work across the nodes: pods are
placed on the node with the most free capacity (or by nodeName / nodeSelector), services answer on
every node, and a node that does not answer is named while the others still answer.

Pods and services live in namespaces: -n NAMESPACE (default "default") on every pod and service
command, -A (--all-namespaces) on the lists.
  agent [--once] [--log-format text|json]     supervise every pod: restarts with back-off, sandbox recreation
        [--node NAME]                         (one swarm node's pods; the engine named is a manager)
  node list [-o json|yaml]                    the swarm's nodes: state, pods, requested capacity, engine
  node add NAME ADDRESS | node remove NAME    give a swarm node's engine address to Podling, or take it back
  node drain NAME [--force] | node uncordon NAME   move a node's pods elsewhere (--force: node is down)
  record FIXTURE [--upstream ADDRESS] -- COMMAND...   record any Docker client's engine traffic
  replay FIXTURE [--strict] -- COMMAND...     serve that recording to the command, no engine needed

Global options:
  -H, --host ADDRESS   engine address: unix:///path, tcp://host:port or ssh://[user@]host[:port]
  -c, --context NAME   a docker context (docker context ls); -c only before the command
                       (default: DOCKER_HOST, else DOCKER_CONTEXT, else docker context use's,
                       else /var/run/docker.sock)
  --debug              print stack traces
  -h, --help           help for any command

Exit codes: 0 ok, 1 failure, 2 usage error.`,
  agent: `Usage: podling agent [options]

Supervises every pod on the engine in the foreground, as a kubelet does: restarts containers under
the pod's restartPolicy with back-off (10 s doubling to 300 s), remakes a pod's sandbox when its
infra container dies or is removed, and prints one line per decision. One agent per engine (a
lease held in the engine); SIGTERM or SIGINT stops it and hands restarts back to the engine, and
the pods keep running.

Options:
  --once                  one pass over every pod, then exit
  -l, --selector SELECTOR only pods whose labels match (app=web,tier!=db); still one agent per engine
  --log-format text|json  one line per decision, for people or machines (default text)
  --relist SECONDS        the safety-net relist behind the engine's events (default 60)
  --grace-period SECONDS  grace for containers the agent kills in pods without terminationGracePeriodSeconds (default 30)
  --print-systemd-unit    print a systemd unit that keeps this agent running, and exit`,
  record: `Usage: podling record FIXTURE [--upstream ADDRESS] -- COMMAND [ARGS...]

Runs COMMAND with DOCKER_HOST pointing at a recording proxy in front of the engine (its
environment otherwise untouched, but for DOCKER_TLS_VERIFY and DOCKER_CERT_PATH: the proxy's socket
is plain), and writes every exchange to FIXTURE, readable JSON, when it
ends: the docker CLI, docker-py, dockerode, curl --unix-socket "\${DOCKER_HOST#unix://}", any
client. Several connections at once, version negotiation and hijacked streams (attach, exec,
run -i) included. Ids and times are kept as the engine sent them; credentials are never written.
Exits with COMMAND's exit code.

  --upstream ADDRESS   the engine (unix:///path, /path, tcp://host:port or ssh://[user@]host[:port];
                       default -H, then DOCKER_HOST, then /var/run/docker.sock); it must answer
                       /_ping before COMMAND starts`,
  replay: `Usage: podling replay FIXTURE [--strict] -- COMMAND [ARGS...]

Serves FIXTURE on a socket of its own and runs COMMAND with DOCKER_HOST pointing at it, as record
does: no engine needed. A request is answered by an unused recording of the same method, path,
query and body (byte for byte; the /vX.Y prefix aside); any other gets a 599 and is printed with
the nearest recording once COMMAND ends. Exits with COMMAND's exit code when it failed.

  --strict   also print the recordings COMMAND never used, and exit 1 when anything did not
             match though COMMAND succeeded`,
  'pod create': `Usage: podling pod create NAME [options]
       podling pod create -f FILE

Options:
  --container SPEC        ${CONTAINER_FLAG_HELP}; repeatable, at least one
                          e.g. app:myapp:1.0:BACKEND_URL=http://localhost:8080
                               web:127.0.0.1:5000/podling-test/busybox:latest
  --label KEY=VALUE       pod label; repeatable
  --port [IP:]HOST:CONTAINER[/tcp|udp]   publish a port; repeatable
  --cpu [CONTAINER=]QTY   cpu limit (500m, 0.5, 2) for one container or all
  --memory [CONTAINER=]QTY  memory limit (64Mi, 1Gi, 128M) for one container or all
  --restart POLICY        Always (default), OnFailure or Never
  --pull POLICY           imagePullPolicy for every container: Always, IfNotPresent, Never
  --infra-image IMAGE     image for the infra container (default: built locally from catatonit)
  --isolated              join no cluster network: no other pod can reach this one
  --network MODE          cluster (the pod's one address on the cluster network) or own (also a
                          bridge pod-<id> of its own); default PODLING_POD_NETWORK, else cluster.
                          Manifests: annotation podling.io/network
  --host-network          use the host's network namespace (ports are the host's)
  -f, --file FILE         a Pod in YAML or JSON (apiVersion: v1, kind: Pod)
  -n, --namespace NS      the pod's namespace (a manifest's own must agree)`,
  'pod get': `Usage: podling pod get POD [-o json|yaml] [-w]

  -w, --watch   the pod as a table line, then a line per change until interrupted`,
  'pod list': `Usage: podling pod list [-n NAMESPACE | -A] [-l SELECTOR] [-o wide|json] [-w]

  -n, --namespace NS        the pods of one namespace (default "default")
  -A, --all-namespaces      the pods of every namespace, with a NAMESPACE column
  -l, --selector SELECTOR   app=web,tier!=db,canary,!legacy
  -w, --watch               the table, then a line per change until interrupted (as kubectl get -w;
                            -o json: one {type, object} per line)`,
  'pod delete': `Usage: podling pod delete POD... [--grace-period SECONDS] [--force]

  --grace-period N   seconds for preStop hooks and the stop, before SIGKILL (default: the pod's
                     terminationGracePeriodSeconds, else 30)
  --force            no grace period`,
  'pod logs': `Usage: podling pod logs POD [-c NAME] [--tail N] [-f] [-p]

Lines are prefixed with the container name when the pod has several. Init containers are shown
when named with -c.
  -p, --previous   the attempt before the current one (the container restarted)`,
  'pod exec': `Usage: podling pod exec POD [-n NAMESPACE] [-c NAME] [-i] [-t] -- CMD [ARG...]

The command's exit code becomes podling's.
  -i, --stdin   pass standard input to the command`,
  'service create': `Usage: podling service create NAME --selector KEY=VALUE[,KEY=VALUE...] --port PORT [--target-port PORT] [--protocol tcp|udp]

From any pod on the cluster network, NAME resolves to the IPs of every running pod the selector
matches. DNS carries addresses, not ports: clients connect to the target port.`,
  'service get': 'Usage: podling service get SERVICE [-o json|yaml]',
  'service list': 'Usage: podling service list [-n NAMESPACE | -A]',
  'service delete': 'Usage: podling service delete SERVICE',
  apply: `Usage: podling apply -f FILE|DIR|- [-f ...] [-n NAMESPACE]

Reads every document of every file (a directory: its .yaml, .yml and .json files) and checks them
all before anything is sent: one bad document refuses the whole apply. Then, in kubectl's order
(ConfigMaps and Secrets, Services, Pods): creates what is missing, replaces what changed (a pod is
replaced when its spec, or a ConfigMap or Secret of the same apply that it reads, changed), and
leaves the rest alone. A pod of the same name not made by apply is refused. Fields with no meaning
on one engine are accepted with one "notice:" line each on stderr.
  -n, --namespace NS   for objects that name none (a named one must agree)`,
  delete: `Usage: podling delete -f FILE|DIR|- [-n NAMESPACE] [--grace-period SECONDS] [--force]

Deletes the objects the manifests name: pods first, then services, ConfigMaps and Secrets.`,
  get: `Usage: podling get KIND [NAME] [-n NAMESPACE | -A] [-o json|yaml|wide|name] [-l SELECTOR] [--reveal]

KIND: pods (po), services (svc), configmaps (cm), secrets; KIND/NAME works too.
  --reveal   a Secret's values (base64 data); without it, key names and sizes only`,
  describe: `Usage: podling describe KIND NAME [-n NAMESPACE]`,
  'kube generate': `Usage: podling kube generate POD|KIND/NAME... [-n NAMESPACE] [--keep-podling]

Writes Kubernetes manifests of existing objects to stdout, one YAML document each, in the order
named: what \`kubectl apply -f\` accepts (and \`podling apply -f\`). KIND is pod, service (svc),
configmap (cm) or secret; a bare NAME is a pod. Each manifest has apiVersion, kind, metadata (name,
namespace, labels, annotations) and the spec as Podling keeps it, Kubernetes' defaults written out;
no status, no server-set metadata (uid, creationTimestamp), and no service endpoints.

A Secret is written WITH its values (base64 data), because it was named on the command line: keep
the output as you keep the Secret.

  -n, --namespace NS   where the objects are (default "default")
  --keep-podling       keep Podling's own labels and annotations (podling.io/...: the pod's address,
                       apply's digest, podling.io/isolated), left out by default`,
  prune: `Usage: podling prune [--all]

Removes pod networks with no infra container, app containers whose infra is gone, and pods left
half-made by a killed create. --all removes every object labelled podling.io/managed=true.
Objects without that label are never touched.`,
};
