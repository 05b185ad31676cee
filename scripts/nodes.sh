#!/usr/bin/env bash
# The multi-node test bed (issue 12): several dockerd 20.10 on this one machine, joined in a Swarm.
#   scripts/nodes.sh up       start it (idempotent: a second run is a quick no-op) and print each
#                             node's Engine API address and underlay address
#   scripts/nodes.sh down     remove everything it made: daemons and their containers, namespaces,
#                             veths, the bridge's namespace, data and exec roots, cgroups, routes
#   scripts/nodes.sh status   what is up, what is not
# Layout (docs/test-bed.md has the why of each piece):
#   - node N: dockerd (the machine's /usr/sbin/dockerd) in network namespace podling-nodeN, with its
#     own data root, exec root, pidfile, config file, containerd namespaces and cgroup parent, its
#     socket at /run/podling-nodes/nodeN/docker.sock in the HOST filesystem (Podling on the host
#     reaches it), hostname nodeN (its own UTS namespace), underlay address 198.51.100.(10+N)/24.
#   - the nodes' veths meet on a Linux bridge in namespace podling-nodes-br: nothing in the host's.
#   - node1 runs `swarm init` (address pool 10.200.0.0/16), the others join; images are loaded
#     into every node from the main engine through Podling's own client (scripts/nodes-bed.ts).
#   - the host namespace gets `unreachable` routes for the underlay and the pool: this machine's
#     default route leads off the machine, so a stray packet must fail here instead of leaving.
#   - facts for tests: $PODLING_STATE/nodes.env (test/support/nodes.ts reads it).
# Needs scripts/engine.sh to have run (the main engine holds the images). Nothing here talks to a
# remote registry or to anything outside the machine.
set -euo pipefail
umask 022

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/scripts/nodes.sh"
COUNT="${PODLING_NODE_COUNT:-3}"
RUN_DIR=/run/podling-nodes
DATA_DIR=/var/lib/podling-nodes
LOG_DIR=/var/log/podling-nodes
STATE="${PODLING_STATE:-/var/lib/podling-registry}"
ENV_FILE="$STATE/nodes.env"
DOCKERD=/usr/sbin/dockerd
BRIDGE_NS=podling-nodes-br
BRIDGE=br0
# Ranges no host route covers (checked below): the uplink and default gateway are 192.0.2.0/24.
UNDERLAY=198.51.100.0/24
UNDERLAY_PREFIX=198.51.100
ADDRESS_POOL=10.200.0.0/16
# Each node's local networks (docker_gwbridge, bridges of \`own\`-mode pods): dockerd's default pools
# give about 30 networks, so a node would stop making own-mode pods at about 29. A /16 in /24s gives
# 256. Only inside each node's namespace (the same range in every node), but routed nowhere from here.
NODE_POOL=10.201.0.0/16

die() {
  echo "nodes.sh: ERROR: $*" >&2
  exit 1
}

node_ns() { echo "podling-node$1"; }
node_addr() { echo "$UNDERLAY_PREFIX.$((10 + $1))"; }
node_dir() { echo "$RUN_DIR/node$1"; }
node_sock() { echo "$RUN_DIR/node$1/docker.sock"; }
nodes() { seq 1 "$COUNT"; }

ping_node() { # N
  [ "$(curl -s --max-time 2 --unix-socket "$(node_sock "$1")" http://localhost/_ping 2>/dev/null)" = OK ]
}

# The dockerd of node N, if its pidfile names a live dockerd inside node N's namespace: never a
# process this script did not start.
daemon_pid() { # N
  local pid ns
  pid="$(cat "$(node_dir "$1")/docker.pid" 2>/dev/null || true)"
  ns="/run/netns/$(node_ns "$1")"
  if [ -n "$pid" ] && [ -e "$ns" ] && grep -qx dockerd "/proc/$pid/comm" 2>/dev/null \
    && [ "$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null)" = "$(stat -L -c %i "$ns")" ]; then
    echo "$pid"
  fi
}

# ---------------------------------------------------------------- inside a node (internal)
# Run as `ip netns exec podling-nodeN unshare --uts -- nodes.sh __daemon N`. `ip netns exec`
# remounts /sys in a private mount namespace, which drops /sys/fs/cgroup: dockerd then dies after
# ~13 s with "Devices cgroup isn't mounted". Put every cgroup hierarchy back as the host has it,
# name the node (the swarm shows hostnames), and become dockerd.
in_node() {
  local n=$1 dir
  dir="$(node_dir "$n")"
  mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
  local source target type options rest
  while read -r source target type options rest; do
    case "$type" in cgroup | cgroup2) ;; *) continue ;; esac
    case "$target" in /sys/fs/cgroup | /sys/fs/cgroup/*) ;; *) continue ;; esac
    mkdir -p "$target"
    mount -t "$type" -o "$options" "$source" "$target"
  done </proc/1/mounts
  hostname "node$n"
  exec "$DOCKERD" \
    --config-file "$dir/daemon.json" \
    --host "unix://$dir/docker.sock" \
    --data-root "$DATA_DIR/node$n" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/docker.pid" \
    --containerd-namespace "podling-node$n" \
    --containerd-plugins-namespace "podling-node$n-plugins" \
    --cgroup-parent "/podling-node$n" \
    --default-address-pool "base=$NODE_POOL,size=24" \
    --dns 127.0.0.1
}

# ---------------------------------------------------------------- host routes
# Refuses ranges a host route already covers (other than our own unreachable ones and the default
# route): they would be ambiguous, and the underlay must never be the uplink's.
check_range() { # cidr
  local routes
  routes="$(ip route show root "$1"; ip route show match "$1" | grep -v '^default ' || true)"
  routes="$(grep -v "^unreachable $1\b" <<<"$routes" | sort -u | sed '/^$/d' || true)"
  [ -z "$routes" ] || die "host routes already cover $1 (choose another range in scripts/nodes.sh): $(paste -sd';' <<<"$routes")"
}

ensure_routes() {
  local cidr
  for cidr in "$UNDERLAY" "$ADDRESS_POOL" "$NODE_POOL"; do
    check_range "$cidr"
    ip route replace unreachable "$cidr"
  done
}

remove_routes() {
  local cidr
  for cidr in "$UNDERLAY" "$ADDRESS_POOL" "$NODE_POOL"; do
    if ip route show "$cidr" | grep -q '^unreachable'; then ip route del unreachable "$cidr"; fi
  done
}

# ---------------------------------------------------------------- namespaces and links
ensure_netns() { # name
  [ -e "/run/netns/$1" ] || ip netns add "$1"
  ip -n "$1" link set lo up
}

ensure_bridge() {
  ensure_netns "$BRIDGE_NS"
  ip -n "$BRIDGE_NS" link show "$BRIDGE" >/dev/null 2>&1 || ip -n "$BRIDGE_NS" link add "$BRIDGE" type bridge
  ip -n "$BRIDGE_NS" link set "$BRIDGE" up
}

# The veth pair is made in the bridge's namespace with its node end sent straight to the node's:
# neither end ever exists in the host namespace.
ensure_link() { # N
  local n=$1 ns
  ns="$(node_ns "$n")"
  ensure_netns "$ns"
  if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
    ip -n "$BRIDGE_NS" link del "node$n" >/dev/null 2>&1 || true
    ip -n "$BRIDGE_NS" link add "node$n" type veth peer name eth0 netns "$ns"
  fi
  ip -n "$BRIDGE_NS" link set "node$n" master "$BRIDGE" up
  ip -n "$ns" addr replace "$(node_addr "$n")/24" dev eth0
  ip -n "$ns" link set eth0 up
}

# ---------------------------------------------------------------- daemons
start_daemon() { # N
  local n=$1 dir
  dir="$(node_dir "$n")"
  mkdir -p "$dir/exec" "$DATA_DIR/node$n" "$LOG_DIR"
  rm -f "$dir/docker.pid" # a stale one (pid reused) would stop dockerd from starting
  # Its own config file (/etc/docker/daemon.json belongs to the main engine), empty but for the
  # key file: dockerd 20.10 takes its engine ID (GET /info's ID) from /etc/docker/key.json unless
  # told otherwise (a config key only, no flag), so every node would have the main engine's ID.
  printf '{"deprecated-key-path": "%s"}\n' "$DATA_DIR/node$n/key.json" >"$dir/daemon.json"
  echo "node$n: starting dockerd (log: $LOG_DIR/node$n.log)"
  # setsid + nohup: outlive the caller (make, CI); fd 9 (the lock) is not inherited.
  setsid nohup ip netns exec "$(node_ns "$n")" unshare --uts -- bash "$SELF" __daemon "$n" \
    >>"$LOG_DIR/node$n.log" 2>&1 </dev/null 9>&- &
  echo $! >"$dir/launcher.pid"
}

wait_daemons() {
  local n deadline=$((SECONDS + 60)) waiting
  while :; do
    waiting=
    for n in $(nodes); do
      ping_node "$n" && continue
      waiting+=" node$n"
      if [ -z "$(daemon_pid "$n")" ] && ! kill -0 "$(cat "$(node_dir "$n")/launcher.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
        tail -n 20 "$LOG_DIR/node$n.log" >&2 || true
        die "node$n: dockerd exited during startup (log: $LOG_DIR/node$n.log)"
      fi
    done
    [ -z "$waiting" ] && return 0
    if [ $SECONDS -ge $deadline ]; then die "no answer on GET /_ping within 60 s from:$waiting (logs: $LOG_DIR)"; fi
    sleep 0.1
  done
}

ensure_daemons() {
  local n
  for n in $(nodes); do
    ping_node "$n" && continue
    [ -n "$(daemon_pid "$n")" ] && continue # starting; waited for below
    start_daemon "$n"
  done
  wait_daemons
}

# Every process of node N: its cgroup's (the containers) and its namespace's (dockerd, containerd,
# shims). A container has a network namespace of its own, so only the cgroup finds its processes.
node_pids() { # N
  local n=$1
  cat /sys/fs/cgroup/pids/podling-node"$n"/cgroup.procs /sys/fs/cgroup/pids/podling-node"$n"/*/cgroup.procs 2>/dev/null || true
  if [ -e "/run/netns/$(node_ns "$n")" ]; then ip netns pids "$(node_ns "$n")" 2>/dev/null || true; fi
}

stop_daemons() {
  local n pid pids=() deadline
  # Containers first, by SIGKILL: the bed's containers are disposable, and a container whose PID 1
  # ignores SIGTERM (busybox sleep) would hold dockerd's shutdown for its whole grace period.
  for n in $(nodes); do
    for pid in $(cat /sys/fs/cgroup/pids/podling-node"$n"/*/cgroup.procs 2>/dev/null || true); do kill -9 "$pid" 2>/dev/null || true; done
  done
  for n in $(nodes); do
    pid="$(daemon_pid "$n")"
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null && pids+=("$pid"); fi
  done
  deadline=$((SECONDS + 20))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  done
  # Whatever is left (a daemon that hung, a containerd orphaned by a run that died half-way).
  for n in $(nodes); do
    for pid in $(node_pids "$n"); do kill -9 "$pid" 2>/dev/null || true; done
  done
  for n in $(nodes); do
    deadline=$((SECONDS + 5))
    while [ -n "$(node_pids "$n")" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    [ -z "$(node_pids "$n")" ] || echo "nodes.sh: warning: node$n still has processes: $(node_pids "$n" | paste -sd' ')" >&2
  done
}

# The node cgroups dockerd made under --cgroup-parent, in every hierarchy, deepest first.
remove_cgroups() {
  local n dir
  for n in $(nodes); do
    for dir in /sys/fs/cgroup/*/podling-node"$n" /sys/fs/cgroup/podling-node"$n"; do
      [ -d "$dir" ] || continue
      find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || echo "nodes.sh: warning: could not remove cgroup $dir" >&2
    done
  done
}

# ---------------------------------------------------------------- swarm, images, nodes.env
# The images every node needs: the test image and Podling's infra image (INFRA_IMAGE in
# src/pod/infra.ts); scripts/nodes-bed.ts loads them.
IMAGES=(podling-test/busybox:latest podling/infra:1)

image_id() { # socket image
  curl -s --max-time 3 --unix-socket "$1" "http://localhost/images/$2/json" 2>/dev/null | sed -n 's/^{"Id":"\([^"]*\)".*/\1/p'
}

# The quick no-op: what scripts/nodes-bed.ts would find already right, read with curl (starting
# Node costs seconds on a busy machine). Every node an active member listed Ready on the manager,
# no other node listed, every image the main engine's, nodes.env written for these nodes.
bed_whole() {
  grep -qx "PODLING_NODES=$(nodes | sed 's/^/node/' | paste -sd,)" "$ENV_FILE" 2>/dev/null || return 1
  local listed n info id image
  local -A main=()
  for image in "${IMAGES[@]}"; do main[$image]="$(image_id /var/run/docker.sock "$image")"; done
  listed="$(curl -sf --max-time 3 --unix-socket "$(node_sock 1)" http://localhost/nodes 2>/dev/null)" || return 1
  [ "$(grep -o '"Hostname":' <<<"$listed" | wc -l)" -eq "$COUNT" ] || return 1
  [ "$(grep -o '"State":"ready"' <<<"$listed" | wc -l)" -eq "$COUNT" ] || return 1
  for n in $(nodes); do
    info="$(curl -sf --max-time 3 --unix-socket "$(node_sock "$n")" http://localhost/info 2>/dev/null)" || return 1
    grep -q '"LocalNodeState":"active"' <<<"$info" || return 1
    id="$(sed -n 's/.*"NodeID":"\([^"]*\)".*/\1/p' <<<"$info")"
    [ -n "$id" ] && grep -q "\"ID\":\"$id\"" <<<"$listed" || return 1
    for image in "${IMAGES[@]}"; do
      id="$(image_id "$(node_sock "$n")" "$image")"
      [ -n "$id" ] && [ "$id" = "${main[$image]}" ] || return 1
    done
  done
}

join_and_load() {
  [ -e "$ROOT/node_modules/tsx" ] || die "node_modules/tsx missing: run 'npm ci' (make install) first"
  local args=() n
  for n in $(nodes); do args+=("node$n=unix://$(node_sock "$n")=$(node_addr "$n")=$(node_ns "$n")"); done
  (cd "$ROOT" && PODLING_NODES_ENV="$ENV_FILE" PODLING_NODES_UNDERLAY="$UNDERLAY" PODLING_NODES_ADDRESS_POOL="$ADDRESS_POOL" \
    node --import tsx scripts/nodes-bed.ts "${args[@]}") || die "forming the swarm or loading images failed (above)"
}

# ---------------------------------------------------------------- commands
up() {
  local start=$SECONDS
  command -v curl >/dev/null || die "curl missing (scripts/engine.sh installs it)"
  [ -x "$DOCKERD" ] || die "$DOCKERD missing (scripts/engine.sh installs docker.io)"
  command -v unshare >/dev/null || die "unshare missing (package util-linux)"
  command -v ip >/dev/null || die "ip missing (package iproute2)"
  # Routes first: from here on nothing can leave the machine by mistake.
  ensure_routes
  ensure_bridge
  local n
  for n in $(nodes); do ensure_link "$n"; done
  ensure_daemons
  if bed_whole; then
    for n in $(nodes); do echo "node$n: unix://$(node_sock "$n")  underlay $(node_addr "$n")"; done
    echo "nodes: already up (checked in $((SECONDS - start)) s); facts for tests in $ENV_FILE"
    return 0
  fi
  join_and_load
  echo "nodes: up in $((SECONDS - start)) s; facts for tests in $ENV_FILE"
}

down() {
  stop_daemons
  local n
  for n in $(nodes); do
    if [ -e "/run/netns/$(node_ns "$n")" ]; then ip netns del "$(node_ns "$n")"; fi
  done
  if [ -e "/run/netns/$BRIDGE_NS" ]; then ip netns del "$BRIDGE_NS"; fi
  remove_cgroups
  # The daemons' mounts lived in their private mount namespaces and went with them; anything still
  # mounted under our roots in the host's would make rm fail or reach into it.
  local mnt
  for mnt in $(awk -v a="$DATA_DIR/" -v b="$RUN_DIR/" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount -l "$mnt" || true
  done
  rm -rf "$DATA_DIR" "$RUN_DIR"
  rm -f "$ENV_FILE"
  remove_routes
  echo "nodes: down (daemons, namespaces, veths, bridge, data and exec roots, cgroups, routes removed)"
}

status() {
  local n pid swarm rc=0
  for n in $(nodes); do
    pid="$(daemon_pid "$n")"
    if ping_node "$n"; then
      swarm="$(curl -s --max-time 3 --unix-socket "$(node_sock "$n")" http://localhost/info | sed -n 's/.*"LocalNodeState":"\([^"]*\)".*/\1/p')"
      echo "node$n: up (dockerd pid ${pid:-?}), unix://$(node_sock "$n"), underlay $(node_addr "$n"), swarm ${swarm:-?}"
    else
      echo "node$n: down${pid:+ (dockerd pid $pid not answering)}"
      rc=1
    fi
  done
  local cidr
  for cidr in "$UNDERLAY" "$ADDRESS_POOL" "$NODE_POOL"; do
    ip route show "$cidr" | grep -q '^unreachable' && echo "route: unreachable $cidr" || { echo "route: no unreachable route for $cidr"; rc=1; }
  done
  [ -s "$ENV_FILE" ] && echo "env: $ENV_FILE" || { echo "env: $ENV_FILE missing"; rc=1; }
  return $rc
}

# One node's dockerd stopped (SIGTERM, as a host shutting the service down) and started again: what
# tests of a node that goes away and comes back use (test/nodes/node-down.test.ts).
stop_node() { # N
  local n=$1 pid
  pid="$(daemon_pid "$n")"
  [ -n "$pid" ] || { echo "node$n: dockerd is not running"; return 0; }
  kill "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && die "node$n: dockerd (pid $pid) did not stop within 30 s"
  echo "node$n: dockerd stopped"
}

start_node() { # N
  local n=$1
  ping_node "$n" && { echo "node$n: already up"; return 0; }
  [ -n "$(daemon_pid "$n")" ] || start_daemon "$n"
  local deadline=$((SECONDS + 60))
  until ping_node "$n"; do
    [ $SECONDS -lt $deadline ] || die "node$n: no answer on GET /_ping within 60 s (log: $LOG_DIR/node$n.log)"
    sleep 0.1
  done
  echo "node$n: up"
}

case "${1:-}" in
  __daemon) in_node "$2" ;;
  stop-node | start-node)
    [ "$(id -u)" -eq 0 ] || die "must run as root"
    [[ "${2:-}" =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le "$COUNT" ] || die "usage: scripts/nodes.sh $1 N (1..$COUNT)"
    exec 9>"$STATE/.nodes.lock"
    flock -w 600 9 || die "another scripts/nodes.sh has held $STATE/.nodes.lock for 10 minutes"
    if [ "$1" = stop-node ]; then stop_node "$2"; else start_node "$2"; fi
    ;;
  up | down | status)
    [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, routes, dockerd)"
    mkdir -p "$STATE"
    # One run at a time; daemons started here close fd 9 so they do not hold the lock.
    exec 9>"$STATE/.nodes.lock"
    flock -w 600 9 || die "another scripts/nodes.sh has held $STATE/.nodes.lock for 10 minutes"
    "$1"
    ;;
  *)
    echo "usage: scripts/nodes.sh up|down|status|stop-node N|start-node N" >&2
    exit 2
    ;;
esac
