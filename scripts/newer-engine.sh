#!/usr/bin/env bash
# A second, newer engine beside the 20.10 one, for version tests (test/engine/newer-engine.test.ts):
# Debian 13's docker.io (Docker 26.1, API 1.45) run from its extracted .deb files.
#   - packages: docker.io and containerd from Debian 13 (trixie), fetched with apt-get through a
#     PRIVATE apt state whose sources are the machine's own Debian sources with the suite changed
#     (the system's sources, lists and caches are never touched); extracted with dpkg-deb into
#     /opt/podling-engine-newer (kept: skipped when complete). runc and tini (docker-init) come from
#     the machine's bookworm packages: trixie's runc needs glibc 2.38, bookworm has 2.36 (checked
#     at run time: a trixie binary that runs here is used as is).
#   - dockerd on unix:///run/podling-newer/docker.sock with its own data root, exec root, pidfile,
#     config file (never /etc/docker/daemon.json), cgroup parent and managed containerd (the
#     extracted one: its bin dir is first in dockerd's PATH). Networking cannot disturb the 20.10
#     engine: its own bridge podling-newer0 (never docker0), no iptables/ip6tables/masquerading/ip_forward changes by
#     dockerd, and its own address pool for user-defined networks (which still work; containers need an explicit network).
#   - its pods reach each other: a firewall chain of its own (PODLING-NEWER) accepts traffic within
#     each of its bridges, kept in step with its networks by a watcher (see "host networking"); the
#     bridges a previous run left behind when its network store was forgotten are removed.
#   - podling-test/busybox:latest loaded into it through Podling's own client, pulled from the
#     loopback registry scripts/engine.sh fills (127.0.0.1:5000, insecure by default).
#   - PODLING_NEWER_ENGINE=unix:///run/podling-newer/docker.sock in $PODLING_STATE/test.env.
# Idempotent and quick (well under 2 s) when everything is already up. Called by scripts/engine.sh
# after the test images were made; can be run on its own afterwards. Names no package host: apt
# resolves the machine's configured sources.
set -euo pipefail
umask 022

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX=/opt/podling-engine-newer
RUN_DIR=/run/podling-newer
SOCK="$RUN_DIR/docker.sock"
EXEC_ROOT="$RUN_DIR/exec"
PIDFILE="$RUN_DIR/docker.pid"
CONFIG="$RUN_DIR/daemon.json"
DATA_ROOT=/var/lib/podling-newer
LOG=/var/log/podling-newer-dockerd.log
STATE="${PODLING_STATE:-/var/lib/podling-registry}"
SUITE=trixie
PACKAGES=(docker.io containerd runc)
# User-defined networks of this engine come from here: never from the 20.10 engine's default pools
# (172.17-31.0.0/16, 192.168.0.0/16), so the two cannot pick the same subnet at the same time.
ADDRESS_POOL=base=10.199.0.0/16,size=24
IMAGE=podling-test/busybox:latest
STARTED=

die() {
  echo "newer-engine.sh: ERROR: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (it extracts packages to $PREFIX and starts dockerd)"

# `--watch-firewall`: the long-running half of ensure_firewall (see watch_firewall), started by
# this script; it takes no lock.
WATCH=
[ "${1:-}" = --watch-firewall ] && WATCH=1

# One run at a time. A lock of its own (fd 8), not engine.sh's (fd 9, held by engine.sh while it
# calls this script). Daemons started below close both.
mkdir -p "$STATE"
if [ -z "$WATCH" ]; then
  exec 8>"$STATE/.newer-engine.lock"
  flock -w 600 8 || die "another scripts/newer-engine.sh has held $STATE/.newer-engine.lock for 10 minutes"
fi

# ---------------------------------------------------------------- packages
MARKER="$PREFIX/.podling-engine-newer"

# Debian 13's packages, fetched through a throwaway apt state and extracted to $PREFIX.
ensure_binaries() {
  if [ -s "$MARKER" ] && [ -x "$PREFIX/usr/sbin/dockerd" ] && [ -x "$PREFIX/usr/bin/containerd" ]; then
    return 0
  fi
  local codename
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  [ -n "$codename" ] || die "cannot tell this machine's Debian release (no VERSION_CODENAME in /etc/os-release)"
  local work
  work="$(mktemp -d /tmp/podling-newer-apt.XXXXXX)"
  # shellcheck disable=SC2064 # expand now: the trap must remove this run's directory
  trap "rm -rf '$work'" EXIT
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root"

  # The machine's own Debian sources (any mirror, one-line or deb822 files), suite changed from
  # <codename>[-updates|-security] to trixie[...]. --no-release-info: works before any apt update.
  apt-get indextargets --no-release-info --format '$(TARGET_OF) $(IDENTIFIER) $(REPO_URI) $(RELEASE) $(COMPONENT)' 2>/dev/null \
    | awk -v from="$codename" -v to="$SUITE" '
        $1 == "deb" && $2 == "Packages" && ($4 == from || $4 == from "-updates" || $4 == from "-security") {
          suite = to substr($4, length(from) + 1)
          print "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] " $3 " " suite " " $5
        }' | sort -u >"$work/sources.list"
  [ -s "$work/sources.list" ] || die "the machine's apt sources name no Debian $codename suite to derive Debian $SUITE's from (see /etc/apt/sources.list.d)"
  [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] || die "/usr/share/keyrings/debian-archive-keyring.gpg is missing (package debian-archive-keyring)"

  local apt=(apt-get -q
    -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
    -o APT::Sandbox::User=root)
  echo "newer engine: fetching Debian $SUITE's ${PACKAGES[*]} (private apt state in $work)"
  if ! "${apt[@]}" update >"$work/update.log" 2>&1 || grep -qE '^(E:|W: Failed)' "$work/update.log"; then
    tail -n 20 "$work/update.log" >&2
    die "could not fetch Debian $SUITE's package lists: apt-get update with the machine's sources (suite $SUITE) failed (above)"
  fi
  if ! (cd "$work/debs" && "${apt[@]}" download "${PACKAGES[@]}") >"$work/download.log" 2>&1; then
    tail -n 20 "$work/download.log" >&2
    die "could not download Debian $SUITE's ${PACKAGES[*]} (apt-get download failed, above)"
  fi
  local pkg deb
  for pkg in "${PACKAGES[@]}"; do
    deb="$(ls "$work/debs/${pkg}_"*.deb 2>/dev/null | head -n1)"
    [ -n "$deb" ] || die "apt-get download reported success but no $pkg .deb arrived"
    dpkg-deb -x "$deb" "$work/root" || die "dpkg-deb -x $deb failed"
    dpkg-deb --showformat='${Package} ${Version}\n' -W "$deb" >>"$work/root/.podling-engine-newer"
  done

  # Each binary must run here. The daemons must; runc falls back to the machine's own (bookworm's
  # runc satisfies docker.io's "runc (>= 1.0.0~rc8)"), which dockerd then finds on PATH.
  "$work/root/usr/sbin/dockerd" --version >/dev/null 2>&1 || die "Debian $SUITE's dockerd does not run on this machine: $("$work/root/usr/sbin/dockerd" --version 2>&1 | head -n1)"
  "$work/root/usr/bin/containerd" --version >/dev/null 2>&1 || die "Debian $SUITE's containerd does not run on this machine: $("$work/root/usr/bin/containerd" --version 2>&1 | head -n1)"
  if ! "$work/root/usr/sbin/runc" --version >/dev/null 2>&1; then
    local why
    why="$("$work/root/usr/sbin/runc" --version 2>&1 | head -n1 || true)"
    rm -f "$work/root/usr/sbin/runc" "$work/root/usr/bin/runc"
    command -v runc >/dev/null 2>&1 || die "Debian $SUITE's runc does not run here ($why) and the machine has no runc of its own (package runc)"
    echo "newer engine: $SUITE's runc does not run here (${why:-?}); using the machine's $(runc --version | head -n1)"
    sed -i "s|^runc .*|& (does not run here; the machine's $(command -v runc) is used)|" "$work/root/.podling-engine-newer"
  fi
  # docker-init is a relative link to tini-static (package tini, not fetched): the machine's own.
  rm -f "$work/root/usr/bin/docker-init"
  if [ -x /usr/bin/tini-static ]; then ln -s /usr/bin/tini-static "$work/root/usr/bin/docker-init"; fi

  rm -rf "$PREFIX.old"
  [ -e "$PREFIX" ] && mv "$PREFIX" "$PREFIX.old"
  mv "$work/root" "$PREFIX"
  rm -rf "$PREFIX.old"
  echo "newer engine: extracted to $PREFIX: $(paste -sd, "$MARKER" | sed 's/,/, /g')"
  rm -rf "$work"
  trap - EXIT
}

# ---------------------------------------------------------------- dockerd
ping_headers() {
  curl -s -i --max-time 3 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null || true
}

engine_up() {
  ping_headers | grep -q '^OK$'
}

dockerd_pid() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$PREFIX/usr/sbin/dockerd" ]; then
    echo "$pid"
  fi
}

ensure_daemon() {
  if engine_up; then return 0; fi
  local pid
  pid="$(dockerd_pid)"
  if [ -z "$pid" ]; then
    mkdir -p "$RUN_DIR" "$EXEC_ROOT" "$DATA_ROOT"
    rm -f "$PIDFILE" # a stale one (pid reused by another process) would stop dockerd from starting
    # Its network store is test state: one kept from a run with another bridge setting makes
    # dockerd delete that run's default bridge interface at start-up, and that was docker0.
    # Forgetting the store leaves that run's bridges (and their routes) in the host namespace:
    # read their names from it first and remove them (remove_stale_bridges says what is safe).
    local recorded
    recorded="$(recorded_bridges)"
    rm -rf "$DATA_ROOT/network"
    remove_stale_bridges "$recorded"
    # Its own config file: /etc/docker/daemon.json belongs to the 20.10 engine.
    echo '{}' >"$CONFIG"
    echo "newer engine: starting dockerd (log: $LOG)"
    # A bridge of its own. With --bridge=none dockerd deletes any interface named docker0 at
    # start-up (removeDefaultBridgeInterface), which is the 20.10 engine's default bridge.
    if ! ip link show podling-newer0 >/dev/null 2>&1; then
      ip link add podling-newer0 type bridge
      ip addr add 10.198.0.1/24 dev podling-newer0
    fi
    ip link set podling-newer0 up
    # setsid + nohup: outlive the caller (make, CI). PATH: the extracted containerd, its shims and
    # docker-proxy first, so dockerd's managed containerd is Debian 13's.
    PATH="$PREFIX/usr/bin:$PREFIX/usr/sbin:$PATH" setsid nohup "$PREFIX/usr/sbin/dockerd" \
      --config-file "$CONFIG" \
      --host "unix://$SOCK" \
      --data-root "$DATA_ROOT" \
      --exec-root "$EXEC_ROOT" \
      --pidfile "$PIDFILE" \
      --cgroup-parent /podling-newer \
      --dns 127.0.0.1 --bridge=podling-newer0 --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
      --default-address-pool "$ADDRESS_POOL" \
      >>"$LOG" 2>&1 </dev/null 8>&- 9>&- &
    pid=$!
    STARTED=1
  else
    echo "newer engine: dockerd (pid $pid) is running but not answering yet; waiting"
  fi
  local deadline=$((SECONDS + 60))
  until engine_up; do
    if ! kill -0 "$pid" 2>/dev/null && [ -z "$(dockerd_pid)" ]; then
      tail -n 30 "$LOG" >&2 || true
      die "the newer dockerd exited during startup (log: $LOG)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$LOG" >&2 || true
      die "the newer dockerd did not answer GET /_ping on $SOCK within 60 s (log: $LOG)"
    fi
    sleep 0.1
  done
}

check_daemon() {
  local headers api info version pid child exe
  headers="$(ping_headers)"
  api="$(sed -n 's/^Api-Version: *\([0-9.]*\).*/\1/ip' <<<"$headers" | head -n1)"
  [ -n "$api" ] || die "GET /_ping on $SOCK answered without an Api-Version header"
  info="$(curl -s --max-time 5 --unix-socket "$SOCK" http://localhost/version)" || die "GET /version failed on $SOCK"
  version="$(sed -n 's/.*"Version":"\([^"]*\)".*/\1/p' <<<"$info" | head -n1)"
  # Loopback registries must be usable over plain HTTP (dockerd's default insecure 127.0.0.0/8).
  curl -s --max-time 5 --unix-socket "$SOCK" http://localhost/info | grep -q '"InsecureRegistryCIDRs":\["127.0.0.0/8"' \
    || die "the newer dockerd does not treat 127.0.0.0/8 as an insecure registry range"
  # Its containerd must be the extracted one, not some system containerd it found and adopted.
  pid="$(dockerd_pid)"
  [ -n "$pid" ] || die "something answers on $SOCK but it is not $PREFIX/usr/sbin/dockerd from $PIDFILE"
  exe=
  for child in $(pgrep -P "$pid" 2>/dev/null || true); do
    if [ "$(readlink "/proc/$child/exe" 2>/dev/null)" = "$PREFIX/usr/bin/containerd" ]; then exe=1; fi
  done
  [ -n "$exe" ] || die "the newer dockerd (pid $pid) does not run $PREFIX/usr/bin/containerd (a system containerd on /run/containerd/containerd.sock? see $LOG)"
  echo "newer engine: up, Docker ${version:-?} (Api-Version $api) on unix://$SOCK${STARTED:+ (started)}"
}

# ---------------------------------------------------------------- host networking
# This dockerd runs with --iptables=false beside the 20.10 engine, which owns iptables and set
# FORWARD's policy to DROP. With bridge-nf-call-iptables=1 (br_netfilter) even traffic between two
# containers on ONE bridge passes FORWARD, so no pod of this engine reached another. A chain of its
# own, PODLING-NEWER, jumped to from the end of FORWARD, gives Docker's semantics to this engine's
# bridges only: traffic bridged within one of its networks is accepted (-i/-o the same bridge,
# physdev says bridged); traffic routed between two of its networks (per-pod bridges) matches
# nothing there and meets FORWARD's DROP, as under Docker's isolation rules. Nothing of the 20.10
# engine's is touched: its chains, rules and policy stay as it made them.
# Its bridges cannot be told by address: a network with an explicit subnet (the cluster network,
# 10.21x.0.0/16) lies outside its pool. So the chain names each bridge, read from its API, and is
# rewritten whenever it creates or removes a network (watch_firewall).
CHAIN=PODLING-NEWER
MAIN_SOCK=/var/run/docker.sock
WATCH_PIDFILE="$RUN_DIR/firewall-watch.pid"
BRIDGE_NETWORKS='filters=%7B%22driver%22%3A%5B%22bridge%22%5D%7D'                                      # {"driver":["bridge"]}
NETWORK_EVENTS='filters=%7B%22type%22%3A%5B%22network%22%5D%2C%22event%22%3A%5B%22create%22%2C%22destroy%22%5D%7D' # {"type":["network"],"event":["create","destroy"]}

# The bridge interfaces of an engine's bridge networks: an explicit name (podling-newer0, docker0)
# or Docker's default, br- and the network id's first 12 characters (both are listed for a network
# with a name: a rule for an interface that does not exist never matches). Fails if the engine is down.
engine_bridges() { # socket
  local list
  list="$(curl -sf --max-time 5 --unix-socket "$1" "http://localhost/networks?$BRIDGE_NETWORKS")" || return 1
  {
    grep -oE '"com\.docker\.network\.bridge\.name":"[A-Za-z0-9_.-]{1,15}"' <<<"$list" | sed 's/.*:"\(.*\)"$/\1/'
    grep -oE '"Id":"[0-9a-f]{64}"' <<<"$list" | sed 's/^"Id":"\(.\{12\}\).*/br-\1/'
  } | sort -u
}

# One atomic rewrite of the chain (iptables-restore flushes a chain it declares, even --noflush).
sync_firewall() {
  local bridges rules bridge
  bridges="$(engine_bridges "$SOCK")" || return 1
  rules="*filter"$'\n'":$CHAIN - [0:0]"$'\n'
  for bridge in $(printf '%s\n' podling-newer0 $bridges | sort -u); do
    rules+="-A $CHAIN -i $bridge -o $bridge -m physdev --physdev-is-bridged -j ACCEPT"$'\n'
  done
  rules+="COMMIT"$'\n'
  iptables-restore -w 5 --noflush <<<"$rules" || return 1
  iptables -w 5 -C FORWARD -j "$CHAIN" 2>/dev/null || iptables -w 5 -A FORWARD -j "$CHAIN"
}

# The watcher, a process of its own (ensure_firewall_watch): the chain follows each network create
# and destroy. Events from the second of the sync on are replayed, so none falls in between. It
# waits out a restart of the engine and ends once no newer dockerd has run for a minute.
watch_firewall() {
  local down=0 since
  while :; do
    if engine_up; then
      down=0
      since="$(date +%s)"
      sync_firewall || echo "newer engine firewall: sync failed" >&2
      curl -sN --unix-socket "$SOCK" "http://localhost/events?since=$since&$NETWORK_EVENTS" 2>/dev/null \
        | while read -r _; do sync_firewall || echo "newer engine firewall: sync failed" >&2; done \
        || true # the stream ends (curl fails) when dockerd stops: wait for it to come back
    elif [ -z "$(dockerd_pid)" ]; then
      down=$((down + 1))
      [ "$down" -lt 120 ] || exit 0
    fi
    sleep 0.5
  done
}

watcher_pid() {
  local pid
  pid="$(cat "$WATCH_PIDFILE" 2>/dev/null || true)"
  if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q -- "newer-engine.sh --watch-firewall"; then
    echo "$pid"
  fi
}

# A warning, not a failure: the engine still serves every test but those where its pods talk to
# each other, and scripts/engine.sh (make test, on the main engine) must not stop here.
ensure_firewall() {
  sync_firewall || echo "newer engine: WARNING: could not write the $CHAIN chain (above): its pods will not reach each other" >&2
  [ -n "$(watcher_pid)" ] && return 0
  setsid nohup bash "$ROOT/scripts/newer-engine.sh" --watch-firewall >>"$LOG" 2>&1 </dev/null 8>&- 9>&- &
  echo $! >"$WATCH_PIDFILE"
}

# The bridge names this engine's network store recorded: the bridge driver keeps each network's
# config as JSON in the bolt file, so they are plain text in it.
recorded_bridges() {
  { grep -aoE '"BridgeName":"[A-Za-z0-9_.-]{1,15}"' "$DATA_ROOT/network/files/local-kv.db" 2>/dev/null || true; } \
    | sed 's/.*:"\(.*\)"$/\1/' | sort -u
}

# Whether every IPv4 address of the interface lies in this engine's pool (and it has one at least).
in_own_pool() { # interface
  local addrs
  addrs="$(ip -4 -o addr show dev "$1" 2>/dev/null | awk '{ print $4 }')"
  [ -n "$addrs" ] && ! grep -qvE '^10\.199\.[0-9]+\.[0-9]+/(1[6-9]|2[0-9]|3[0-2])$' <<<"$addrs"
}

# Bridges this engine left in the host namespace when its store was forgotten (and with them their
# routes, which then shadow a new network's same subnet). One is removed only if it is a bridge
# with no port (no container uses it), not podling-newer0, not a bridge of the 20.10 engine's
# networks, and either this engine's store named it or (left before names were kept) its addresses
# lie in this engine's pool, which the 20.10 engine never allocates from. If the 20.10 engine does
# not answer, only bridges the store named are removed.
remove_stale_bridges() { # names the store recorded
  local main main_up=1 bridge removed=()
  main="$(engine_bridges "$MAIN_SOCK")" || main_up=
  for bridge in $(printf '%s\n' $1 $(ip -o link show type bridge | awk -F': ' '{ print $2 }' | sed 's/@.*//' | grep -E '^br-[0-9a-f]{12}$') | sort -u); do
    [ "$bridge" != podling-newer0 ] && [ -d "/sys/class/net/$bridge/brif" ] || continue
    [ -z "$(ls -A "/sys/class/net/$bridge/brif")" ] || continue
    grep -qxF "$bridge" <<<"$main" && continue
    if grep -qxF "$bridge" <<<"$1" || { [ -n "$main_up" ] && in_own_pool "$bridge"; }; then
      ip link delete "$bridge" type bridge && removed+=("$bridge")
    fi
  done
  [ ${#removed[@]} -eq 0 ] || echo "newer engine: removed ${#removed[@]} bridge(s) a previous run left: ${removed[*]}"
}

# ---------------------------------------------------------------- test image
env_value() { # key: from test.env
  sed -n "s/^$1=//p" "$STATE/test.env" 2>/dev/null | head -n1
}

ensure_image() { # image
  local code IMAGE="$1"
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --unix-socket "$SOCK" "http://localhost/images/$IMAGE/json" || true)"
  [ "$code" = 200 ] && return 0
  [ "$code" = 404 ] || die "GET /images/$IMAGE/json on $SOCK answered $code"
  [ -e "$ROOT/node_modules/tsx" ] || die "node_modules/tsx missing: run 'npm ci' (make install) first"
  local registry
  registry="$(env_value PODLING_REGISTRY)"
  registry="${registry:-127.0.0.1:5000}"
  # Through Podling's own client: pull from the loopback registry (progress, in-band errors),
  # tag under the local name the tests use, drop the registry name.
  (cd "$ROOT" && NEWER_SOCK="$SOCK" SOURCE="$registry/$IMAGE" TARGET="$IMAGE" node --import tsx --input-type=module -e '
    import { Engine } from "./src/engine/index.js";
    const engine = new Engine({ socketPath: process.env.NEWER_SOCK });
    const { SOURCE: source, TARGET: target } = process.env;
    try {
      const pull = engine.images.pull(source);
      let messages = 0;
      for await (const _ of pull) messages++;
      await pull.done;
      await engine.images.tag(source, target);
      await engine.images.remove(source, { noprune: true });
      const { Id } = await engine.images.inspect(target);
      console.log(`newer engine: ${target} (${Id.slice(7, 19)}) pulled from ${source} through our client (${messages} progress messages)`);
    } finally {
      await engine.close();
    }
  ') || die "could not load $IMAGE into the newer engine from $registry (run scripts/engine.sh first: it pushes the test images there)"
}

ensure_env() {
  local line="PODLING_NEWER_ENGINE=unix://$SOCK" env="$STATE/test.env"
  grep -qxF "$line" "$env" 2>/dev/null && return 0
  { grep -v '^PODLING_NEWER_ENGINE=' "$env" 2>/dev/null || true; echo "$line"; } >"$env.newer.tmp"
  chmod 644 "$env.newer.tmp"
  mv "$env.newer.tmp" "$env"
}

# The 20.10 engine's default bridge must survive this engine's start (see ensure_daemon). If it
# vanished anyway, put it back as the 20.10 engine made it; that engine finds it again by name.
keep_docker0() {
  ip link show docker0 >/dev/null 2>&1 && return 0
  echo "newer engine: docker0 had vanished; restoring the 20.10 engine's default bridge"
  ip link add docker0 type bridge
  ip addr add 172.17.0.1/16 dev docker0
  ip link set docker0 up
}

# ---------------------------------------------------------------- main
command -v curl >/dev/null || die "curl missing (scripts/engine.sh installs it)"
if [ -n "$WATCH" ]; then
  watch_firewall
  exit 0
fi
ensure_binaries
ensure_daemon
keep_docker0
check_daemon
ensure_firewall
ensure_image "$IMAGE"
ensure_env
