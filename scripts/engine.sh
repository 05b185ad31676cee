#!/usr/bin/env bash
# Gives a bare Debian machine (as root, no systemd) a real engine for Podling's tests:
#   - Debian packages: docker.io, docker-registry, busybox-static, apache2-utils, curl, catatonit
#     (catatonit: the static pause binary Podling builds its infra image from)
#   - dockerd on /var/run/docker.sock
#   - a registry on 127.0.0.1:5000 (no auth) and one on 127.0.0.1:5001 (htpasswd auth)
#   - local test images built through our own client and pushed to both registries
#     (scripts/test-images.ts)
#   - a newer dockerd (Debian 13's, API 1.45) on /run/podling-newer/docker.sock (scripts/newer-engine.sh)
#   - an sshd of the tests' own on 127.0.0.1:2222, key login, for ssh:// engine addresses (scripts/sshd.sh)
#   - Podman's Docker-compatible API (Debian's podman 4.3) on /run/podling-podman/podman.sock
#     (scripts/podman-engine.sh)
# Idempotent: whatever is already up is left alone; a second run is a quick no-op.
# Nothing here talks to a remote registry. Facts for tests go to $PODLING_STATE/test.env.
set -euo pipefail
umask 022

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/packages.sh
. "$ROOT/scripts/packages.sh"
SOCK=/var/run/docker.sock
DOCKERD_LOG=/var/log/podling-dockerd.log
STATE="${PODLING_STATE:-/var/lib/podling-registry}"
REGISTRY_PORT=5000
AUTH_REGISTRY_PORT=5001
AUTH_USER=podling

die() {
  echo "engine.sh: ERROR: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts dockerd)"

# One run at a time (make test and make demo may start together). Daemons started below close
# fd 9 so they do not hold the lock.
mkdir -p "$STATE"
exec 9>"$STATE/.engine.lock"
flock -w 600 9 || die "another scripts/engine.sh has held $STATE/.engine.lock for 10 minutes"

# ---------------------------------------------------------------- packages
ensure_packages() {
  # package=a file it must provide
  ensure_debian_packages packages docker.io=/usr/sbin/dockerd docker-registry=/usr/bin/docker-registry \
    busybox-static=/bin/busybox apache2-utils=/usr/bin/htpasswd curl=/usr/bin/curl catatonit=/usr/bin/catatonit
}

# ---------------------------------------------------------------- dockerd
engine_ping() {
  [ "$(curl -s --max-time 3 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null)" = OK ]
}

dockerd_pid() {
  local pid
  pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q dockerd "/proc/$pid/comm" 2>/dev/null; then
    echo "$pid"
  fi
}

ensure_engine() {
  if ! engine_ping; then
    local pid
    pid="$(dockerd_pid)"
    if [ -z "$pid" ]; then
      echo "engine: starting dockerd (log: $DOCKERD_LOG)"
      # setsid: outlive the caller's process group (make, CI job); nohup: ignore its hangup.
      # Every pod has its own bridge network; the default pools hold only ~31 networks, so hand
      # out /24s from one /16 (256 networks). 10.211.0.0/16 stays free for the cluster network.
      # --dns 127.0.0.1: the embedded DNS answers container, pod and service names itself and
      # forwards every other name upstream; pointing upstream at the container's own loopback
      # makes an unknown name fail at once instead of leaving this machine (the network rule).
      setsid nohup /usr/sbin/dockerd --default-address-pool base=10.210.0.0/16,size=24 --dns 127.0.0.1 \
        >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
      pid=$!
    else
      echo "engine: dockerd (pid $pid) is running but not answering yet; waiting"
    fi
    local deadline=$((SECONDS + 60))
    until engine_ping; do
      if ! kill -0 "$pid" 2>/dev/null && [ -z "$(dockerd_pid)" ]; then
        tail -n 30 "$DOCKERD_LOG" >&2 || true
        die "dockerd exited during startup (log: $DOCKERD_LOG)"
      fi
      if [ $SECONDS -ge $deadline ]; then
        tail -n 30 "$DOCKERD_LOG" >&2 || true
        die "dockerd did not answer GET /_ping on $SOCK within 60 s (log: $DOCKERD_LOG)"
      fi
      sleep 0.2
    done
  fi
  local info version api
  info="$(curl -s --max-time 5 --unix-socket "$SOCK" http://localhost/version)" || die "GET /version failed on $SOCK"
  version="$(sed -n 's/.*"Version":"\([^"]*\)".*/\1/p' <<<"$info" | head -n1)"
  api="$(sed -n 's/.*"ApiVersion":"\([^"]*\)".*/\1/p' <<<"$info" | head -n1)"
  # Loopback registries must be usable over plain HTTP (dockerd's default insecure 127.0.0.0/8).
  curl -s --max-time 5 --unix-socket "$SOCK" http://localhost/info | grep -q '"127.0.0.0/8"' \
    || die "dockerd does not treat 127.0.0.0/8 as an insecure registry range; remove insecure-registries overrides from /etc/docker/daemon.json"
  echo "engine: up, Docker ${version:-?} (API ${api:-?}) on $SOCK"
}

# ---------------------------------------------------------------- registries
http_code() { # url [curl args...]
  local url=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$@" "$url" 2>/dev/null || true
}

ensure_credentials() {
  mkdir -p "$STATE"
  local cred="$STATE/credentials"
  if [ ! -s "$cred" ] || ! grep -q "^$AUTH_USER:[A-Za-z0-9]\{8,\}\$" "$cred"; then
    local pass
    pass="$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)"
    printf '%s:%s\n' "$AUTH_USER" "$pass" >"$cred.tmp"
    chmod 644 "$cred.tmp"
    mv "$cred.tmp" "$cred"
  fi
  AUTH_PASSWORD="$(cut -d: -f2- "$cred")"
  # htpasswd -v checks the bcrypt file against the stored password; rewrite it on mismatch.
  if ! htpasswd -vb "$STATE/htpasswd" "$AUTH_USER" "$AUTH_PASSWORD" >/dev/null 2>&1; then
    htpasswd -Bbn "$AUTH_USER" "$AUTH_PASSWORD" >"$STATE/htpasswd.tmp" || die "htpasswd failed"
    mv "$STATE/htpasswd.tmp" "$STATE/htpasswd"
  fi
}

registry_config() { # port auth(0|1)
  local port=$1 auth=$2
  cat <<EOF
# Written by scripts/engine.sh; rewritten on every run.
version: 0.1
log:
  level: info
  fields:
    service: podling-registry-$port
storage:
  filesystem:
    rootdirectory: $STATE/$port
  # No blob descriptor cache: with one, wiping the data folder under a running registry made it
  # answer "Layer already exists" for blobs that were gone, and accept manifests it then 404s.
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  headers:
    X-Content-Type-Options: [nosniff]
EOF
  if [ "$auth" = 1 ]; then
    cat <<EOF
auth:
  htpasswd:
    realm: podling-registry-$port
    path: $STATE/htpasswd
EOF
  fi
}

registry_pid() { # port
  local pid
  pid="$(cat "$STATE/run/registry-$1.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q registry "/proc/$pid/comm" 2>/dev/null; then
    echo "$pid"
  fi
}

ensure_registry() { # port auth(0|1)
  local port=$1 auth=$2
  local expect=200 config="$STATE/registry-$port.yml" log="/var/log/podling-registry-$port.log"
  [ "$auth" = 1 ] && expect=401
  mkdir -p "$STATE/$port" "$STATE/run"
  local restart=
  registry_config "$port" "$auth" >"$config.tmp"
  if cmp -s "$config.tmp" "$config"; then
    rm -f "$config.tmp"
  else
    mv "$config.tmp" "$config"
    restart=1
  fi
  local pid code
  pid="$(registry_pid "$port")"
  code="$(http_code "http://127.0.0.1:$port/v2/")"
  if [ -n "$pid" ] && { [ -n "$restart" ] || [ "$code" != "$expect" ]; }; then
    echo "registry 127.0.0.1:$port: restarting (config changed or unhealthy)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    pid=
    code="$(http_code "http://127.0.0.1:$port/v2/")"
  fi
  if [ "$code" != "$expect" ]; then
    [ "$code" = 000 ] || die "127.0.0.1:$port is taken by something else (GET /v2/ answered $code, expected $expect); stop it (Debian's own docker-registry service?)"
    setsid nohup /usr/bin/docker-registry serve "$config" >>"$log" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$STATE/run/registry-$port.pid"
    local deadline=$((SECONDS + 30))
    until [ "$(http_code "http://127.0.0.1:$port/v2/")" = "$expect" ]; do
      if ! kill -0 "$pid" 2>/dev/null; then
        tail -n 20 "$log" >&2 || true
        die "registry on 127.0.0.1:$port exited during startup (log: $log)"
      fi
      if [ $SECONDS -ge $deadline ]; then
        tail -n 20 "$log" >&2 || true
        die "registry on 127.0.0.1:$port did not answer GET /v2/ with $expect within 30 s (log: $log)"
      fi
      sleep 0.1
    done
  fi
  if [ "$auth" = 1 ]; then
    code="$(http_code "http://127.0.0.1:$port/v2/" -u "$AUTH_USER:$AUTH_PASSWORD")"
    [ "$code" = 200 ] || die "registry 127.0.0.1:$port refuses the test credentials from $STATE/credentials (GET /v2/ answered $code)"
    echo "registry 127.0.0.1:$port: up (htpasswd auth, user $AUTH_USER; data $STATE/$port)"
  else
    echo "registry 127.0.0.1:$port: up (no auth; data $STATE/$port)"
  fi
}

write_env() {
  cat >"$STATE/test.env.tmp" <<EOF
PODLING_REGISTRY=127.0.0.1:$REGISTRY_PORT
PODLING_AUTH_REGISTRY=127.0.0.1:$AUTH_REGISTRY_PORT
PODLING_AUTH_USER=$AUTH_USER
PODLING_AUTH_PASSWORD=$AUTH_PASSWORD
PODLING_BUSYBOX_IMAGE=podling-test/busybox:latest
PODLING_LAYERS_IMAGE=podling-test/layers:latest
PODLING_NEWER_ENGINE=unix:///run/podling-newer/docker.sock
PODLING_PODMAN_ENGINE=unix:///run/podling-podman/podman.sock
EOF
  chmod 644 "$STATE/test.env.tmp"
  if cmp -s "$STATE/test.env.tmp" "$STATE/test.env"; then rm -f "$STATE/test.env.tmp"; else mv "$STATE/test.env.tmp" "$STATE/test.env"; fi
}

# ---------------------------------------------------------------- main
ensure_packages
ensure_engine
ensure_credentials
ensure_registry "$REGISTRY_PORT" 0
ensure_registry "$AUTH_REGISTRY_PORT" 1
write_env

[ -e "$ROOT/node_modules/tsx" ] || die "node_modules/tsx missing: run 'npm ci' (make install) first"
cd "$ROOT"
PODLING_ENV_FILE="$STATE/test.env" node --import tsx scripts/test-images.ts || die "test images failed (see above)"
bash scripts/newer-engine.sh || die "the newer engine failed (see above)"
bash scripts/sshd.sh || die "the test sshd failed (see above)"
bash scripts/podman-engine.sh || die "the Podman engine failed (see above)"
echo "env: $STATE/test.env (credentials: $STATE/credentials)"
