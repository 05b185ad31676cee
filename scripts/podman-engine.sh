#!/usr/bin/env bash
# A third engine beside dockerd 20.10 and the newer dockerd: Podman's Docker-compatible API
# (Debian's podman 4.3, `podman system service`), for the live suite on Podman (make test-engines).
#   - packages: podman with netavark (network backend) and aardvark-dns (per-network DNS); runc is
#     the machine's (docker.io's).
#   - `podman system service --time=0` on unix:///run/podling-podman/podman.sock, with config files
#     of its own (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF, in $CONF):
#     nothing under /etc/containers or /etc/docker is read or written, and its storage, run state,
#     networks and events are its own.
#   - networks: the default network 10.88.0.0/16 and user-defined ones from 10.89.0.0/16 (/24 each):
#     never the main engine's 10.210/16, the cluster's 10.211+/16 or the newer engine's 10.198-199.
#   - DNS never leaves the machine: the service runs in a mount namespace of its own whose
#     /etc/resolv.conf names only an address this machine routes nowhere (see DNS_SINK).
#   - podling-test/busybox:latest and podling-test/layers:latest loaded into it through Podling's own client, pulled from the
#     loopback registry scripts/engine.sh fills; docker.io is blocked in its registries.conf, so a
#     short name it does not have can never turn into a pull from Docker Hub.
#   - PODLING_PODMAN_ENGINE=unix:///run/podling-podman/podman.sock in $PODLING_STATE/test.env.
# Idempotent and quick when everything is already up. Called at the end of scripts/engine.sh; can
# be run on its own afterwards. The podman CLI with the same environment (see podman_env below,
# `bash scripts/podman-engine.sh --env` prints it) talks to the same storage: the bench uses it.
set -euo pipefail
umask 022

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/packages.sh
. "$ROOT/scripts/packages.sh"
RUN_DIR=/run/podling-podman
SOCK="$RUN_DIR/podman.sock"
PIDFILE="$RUN_DIR/service.pid"
CONF=/etc/podling-podman
DATA_ROOT=/var/lib/podling-podman
LOG=/var/log/podling-podman.log
STATE="${PODLING_STATE:-/var/lib/podling-registry}"
# What the live tests use (scripts/test-images.ts, test/support/pods.ts): PODLING_BUSYBOX_IMAGE, PODLING_LAYERS_IMAGE.
IMAGES=(podling-test/busybox:latest podling-test/layers:latest)
STARTED=

podman_env() {
  echo "CONTAINERS_CONF=$CONF/containers.conf"
  echo "CONTAINERS_STORAGE_CONF=$CONF/storage.conf"
  echo "CONTAINERS_REGISTRIES_CONF=$CONF/registries.conf"
}
if [ "${1:-}" = --env ]; then
  podman_env
  exit 0
fi

die() {
  echo "podman-engine.sh: ERROR: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts podman's service)"

# One run at a time: a lock of its own (fd 7). engine.sh holds fd 9 and newer-engine.sh fd 8; the
# service started below closes all three.
mkdir -p "$STATE"
exec 7>"$STATE/.podman-engine.lock"
flock -w 600 7 || die "another scripts/podman-engine.sh has held $STATE/.podman-engine.lock for 10 minutes"

# ---------------------------------------------------------------- packages
ensure_packages() {
  ensure_debian_packages podman podman=/usr/bin/podman netavark=/usr/lib/podman/netavark \
    aardvark-dns=/usr/lib/podman/aardvark-dns conmon=/usr/bin/conmon
}

# ---------------------------------------------------------------- configuration
# Container rlimits. Podman asks for nofile and nproc 1048576 by default, and this sandbox lets no
# process raise a hard limit, root included: crun then fails every start with "setrlimit: Operation
# not permitted". Containers get exactly what the service itself runs with, and the service is
# started with those limits set explicitly (prlimit) rather than whatever its caller had: podman
# lowered its own nproc to 32768 here when started with more, so nproc stays at most that.
NOFILE="$(ulimit -Hn)"
NPROC="$(ulimit -Hu)"
[ "$NOFILE" = unlimited ] && NOFILE=1048576
[ "$NPROC" = unlimited ] || [ "$NPROC" -gt 32768 ] && NPROC=32768

containers_conf() {
  cat <<EOF
# Written by scripts/podman-engine.sh; rewritten on every run. Podling's Podman engine only.
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
# No journald here: container logs go to files (what the logs API reads).
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$RUN_DIR/events/events.log"
tmp_dir = "$RUN_DIR/libpod"
# runc, as dockerd uses: crun 1.8 refuses this machine's hybrid cgroup layout (v1 controllers plus
# an empty v2 hierarchy).
runtime = "runc"

[network]
network_backend = "netavark"
network_config_dir = "$CONF/networks"
default_network = "podman"
default_subnet = "10.88.0.0/16"
default_subnet_pools = [{"base" = "10.89.0.0/16", "size" = 24}]
EOF
}

storage_conf() {
  cat <<EOF
# Written by scripts/podman-engine.sh; rewritten on every run.
[storage]
driver = "overlay"
graphroot = "$DATA_ROOT/storage"
runroot = "$RUN_DIR/storage"
EOF
}

registries_conf() {
  cat <<EOF
# Written by scripts/podman-engine.sh; rewritten on every run.
# Short names are never searched for anywhere: an image this engine lacks is an error, not a pull.
unqualified-search-registries = []
short-name-mode = "disabled"

# The loopback registries scripts/engine.sh runs serve plain HTTP.
[[registry]]
location = "127.0.0.1:5000"
insecure = true

[[registry]]
location = "127.0.0.1:5001"
insecure = true

# Podman qualifies short names with docker.io: a pull of one must fail here, never leave.
[[registry]]
location = "docker.io"
blocked = true
EOF
}

# DNS. Podman 4.3 gives each container its network's aardvark-dns followed by the host's
# nameservers (loopback ones dropped; if none is left, 8.8.8.8 and 8.8.4.4), and aardvark-dns
# forwards every name it does not know to the host's nameservers; there is no setting for either,
# and a custom DNS server (containers.conf dns_servers) replaces aardvark-dns and with it container
# names. So the service sees a resolv.conf of its own naming one address: $DNS_SINK, an address of
# this machine's loopback device where nothing listens on port 53 (podman drops only 127/8 and ::1
# as loopback). A query for an outside name, from a container or from aardvark-dns, reaches this
# machine and is refused; it never leaves. (A container still waits 5 s for it: aardvark-dns 1.4
# does not answer a query its upstream refused.)
DNS_SINK=10.87.255.53
ensure_dns_sink() {
  # Read whole, then matched: `ip | grep -q` fails under pipefail when grep stops reading early.
  local addresses
  addresses="$(ip -o addr show dev lo)"
  grep -qF " $DNS_SINK/32 " <<<"$addresses" || ip addr add "$DNS_SINK/32" dev lo
}

CHANGED=
write_if_changed() { # path mode: content on stdin
  local path=$1 mode=$2
  cat >"$path.tmp"
  chmod "$mode" "$path.tmp"
  if cmp -s "$path.tmp" "$path"; then rm -f "$path.tmp"; else mv "$path.tmp" "$path" && CHANGED=1; fi
}

ensure_config() {
  mkdir -p "$CONF/networks" "$DATA_ROOT" "$RUN_DIR/events"
  write_if_changed "$CONF/containers.conf" 644 < <(containers_conf)
  write_if_changed "$CONF/storage.conf" 644 < <(storage_conf)
  write_if_changed "$CONF/registries.conf" 644 < <(registries_conf)
  write_if_changed "$CONF/resolv.conf" 644 <<<"nameserver $DNS_SINK"
  # The range podman's networks take must not be routed anywhere else on this machine.
  # (Podman's own bridges, podmanN, are the routes it made there itself.)
  local route routes clash
  routes="$(ip route show | grep -v 'dev podman[0-9]' || true)"
  for route in 10.88.0.0/16 10.89.0.0/16; do
    clash="$(grep -E "(^|[[:space:]])${route%%.0.0/16}\." <<<"$routes" || true)"
    [ -z "$clash" ] || die "a host route already lies inside $route (${clash%%$'\n'*}); podman's networks would collide with it"
  done
}

# ---------------------------------------------------------------- the service
service_up() {
  [ "$(curl -s --max-time 3 --unix-socket "$SOCK" http://d/_ping 2>/dev/null)" = OK ]
}

service_pid() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/bin/podman ]; then
    echo "$pid"
  fi
}

ensure_service() {
  local pid
  pid="$(service_pid)"
  if [ -n "$pid" ] && [ -n "$CHANGED" ]; then
    echo "podman: configuration changed; restarting the service (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    pid=
  elif service_up; then
    return 0
  fi
  if [ -z "$pid" ]; then
    mkdir -p "$RUN_DIR"
    rm -f "$SOCK"
    echo "podman: starting podman system service (log: $LOG)"
    # setsid + nohup: outlive the caller (make, CI). --time=0: never exit when idle.
    # Its own mount namespace, with a resolv.conf naming $DNS_SINK only (see ensure_dns_sink).
    # Slave propagation: the host's mounts still show inside. unshare, sh and prlimit each exec
    # the next, so $! is the service's pid.
    env $(podman_env) setsid nohup unshare --mount --propagation slave \
      sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$CONF/resolv.conf" \
      prlimit --nofile="$NOFILE:$NOFILE" --nproc="$NPROC:$NPROC" /usr/bin/podman --log-level=info system service --time=0 "unix://$SOCK" \
      >>"$LOG" 2>&1 </dev/null 7>&- 8>&- 9>&- &
    pid=$!
    echo "$pid" >"$PIDFILE"
    STARTED=1
  else
    echo "podman: service (pid $pid) is running but not answering yet; waiting"
  fi
  local deadline=$((SECONDS + 60))
  until service_up; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOG" >&2 || true
      die "podman system service exited during startup (log: $LOG)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$LOG" >&2 || true
      die "podman system service did not answer GET /_ping on $SOCK within 60 s (log: $LOG)"
    fi
    sleep 0.1
  done
}

check_service() {
  local info version api
  info="$(curl -s --max-time 5 --unix-socket "$SOCK" http://d/version)" || die "GET /version failed on $SOCK"
  version="$(sed -n 's/.*"Version":"\([^"]*\)".*/\1/p' <<<"$info" | head -n1)"
  api="$(sed -n 's/.*"ApiVersion":"\([^"]*\)".*/\1/p' <<<"$info" | head -n1)"
  grep -qi podman <<<"$info" || die "something answers on $SOCK but it is not Podman: $info"
  echo "podman: up, Podman ${version:-?} (API ${api:-?}) on unix://$SOCK${STARTED:+ (started)}"
}

# ---------------------------------------------------------------- test images
env_value() { # key: from test.env
  sed -n "s/^$1=//p" "$STATE/test.env" 2>/dev/null | head -n1
}

ensure_images() {
  local image code wanted=()
  for image in "${IMAGES[@]}"; do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --unix-socket "$SOCK" "http://d/images/$image/json" || true)"
    [ "$code" = 200 ] && continue
    [ "$code" = 404 ] || die "GET /images/$image/json on $SOCK answered $code"
    wanted+=("$image")
  done
  [ ${#wanted[@]} -eq 0 ] && return 0
  [ -e "$ROOT/node_modules/tsx" ] || die "node_modules/tsx missing: run 'npm ci' (make install) first"
  local registry
  registry="$(env_value PODLING_REGISTRY)"
  registry="${registry:-127.0.0.1:5000}"
  # Through Podling's own client: pull from the loopback registry, tag under the local name the
  # tests use, drop the registry name (as newer-engine.sh does). The tag names docker.io in full:
  # Podman matches a short name against any registry's image of that path, so a tag to the short
  # name answers 201 and does nothing (127.0.0.1:5000/podling-test/busybox already "is" it).
  (cd "$ROOT" && PODMAN_SOCK="$SOCK" REGISTRY="$registry" IMAGES="${wanted[*]}" node --import tsx --input-type=module -e '
    import { Engine } from "./src/engine/index.js";
    const engine = new Engine({ socketPath: process.env.PODMAN_SOCK });
    try {
      for (const target of process.env.IMAGES.split(" ")) {
        const source = `${process.env.REGISTRY}/${target}`;
        const pull = engine.images.pull(source);
        let messages = 0;
        for await (const _ of pull) messages++;
        await pull.done;
        await engine.images.tag(source, `docker.io/${target}`);
        await engine.images.remove(source, { noprune: true });
        const { Id } = await engine.images.inspect(target);
        console.log(`podman: ${target} (${Id.replace(/^sha256:/, "").slice(0, 12)}) pulled from ${source} through our client (${messages} progress messages)`);
      }
    } finally {
      await engine.close();
    }
  ') || die "could not load ${wanted[*]} into Podman from $registry (run scripts/engine.sh first: it pushes the test images there)"
}

ensure_env() {
  local line="PODLING_PODMAN_ENGINE=unix://$SOCK" env="$STATE/test.env"
  grep -qxF "$line" "$env" 2>/dev/null && return 0
  { grep -v '^PODLING_PODMAN_ENGINE=' "$env" 2>/dev/null || true; echo "$line"; } >"$env.podman.tmp"
  chmod 644 "$env.podman.tmp"
  mv "$env.podman.tmp" "$env"
}

# ---------------------------------------------------------------- main
command -v curl >/dev/null || die "curl missing (scripts/engine.sh installs it)"
ensure_packages
ensure_config
ensure_dns_sink
ensure_service
check_service
ensure_images
ensure_env
