#!/usr/bin/env bash
# The ssh side of the test bed: an sshd of Podling's own, so ssh:// engine addresses are tested the
# way users reach a remote engine (ssh … docker system dial-stdio), with nothing leaving loopback.
#   - Debian packages openssh-server and openssh-client, installed if missing (their own service is
#     never started: policy-rc.d forbids it while installing, and this script never uses it)
#   - sshd on 127.0.0.1:$PODLING_SSH_PORT (default 2222) with its own config, host key and pid
#     file under $PODLING_STATE/sshd; key-only login, root only, no password ever
#   - a client key, an ssh_config and a known_hosts for it in the same directory
#   - $PODLING_STATE/test.env gets PODLING_SSH_ENGINE=ssh://root@127.0.0.1:PORT, PODLING_SSH_IDENTITY
#     (the key) and PODLING_SSH_CONFIG (the ssh_config: key, known host, BatchMode)
# The remote `docker` is the machine's docker CLI; its dial-stdio reaches the main engine's socket.
# Idempotent: a running sshd with the same config is left alone. Called by scripts/engine.sh.
set -euo pipefail
umask 022

STATE="${PODLING_STATE:-/var/lib/podling-registry}"
PORT="${PODLING_SSH_PORT:-2222}"
DIR="$STATE/sshd"
LOG=/var/log/podling-sshd.log

# shellcheck source=scripts/packages.sh
. "$(dirname "${BASH_SOURCE[0]}")/packages.sh"

die() {
  echo "sshd.sh: ERROR: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and logs in as root)"
mkdir -p "$DIR"
exec 8>"$STATE/.sshd.lock"
flock -w 120 8 || die "another scripts/sshd.sh holds $STATE/.sshd.lock"

ensure_packages() {
  # openssh-server's postinst would start the machine's own sshd on port 22: packages.sh forbids it.
  ensure_debian_packages sshd openssh-server=/usr/sbin/sshd openssh-client=/usr/bin/ssh-keygen
  [ -x /usr/bin/ssh ] || die "openssh-client installed but /usr/bin/ssh is missing"
}

ensure_keys() {
  chmod 700 "$DIR"
  [ -s "$DIR/host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C podling-test-host -f "$DIR/host_ed25519_key"
  [ -s "$DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C podling-test-client -f "$DIR/id_ed25519"
  # Only this key may log in, and only to run commands: no forwarding of any kind, no pty.
  printf 'restrict %s\n' "$(cat "$DIR/id_ed25519.pub")" >"$DIR/authorized_keys"
  chmod 600 "$DIR/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$DIR/host_ed25519_key.pub")" >"$DIR/known_hosts"
}

write_if_changed() { # file: content on stdin; prints "changed" when it was rewritten
  local file=$1
  cat >"$file.tmp"
  if cmp -s "$file.tmp" "$file"; then rm -f "$file.tmp"; else mv "$file.tmp" "$file" && echo changed; fi
}

server_config() {
  cat <<EOF
# Written by scripts/sshd.sh: Podling's test sshd, not the machine's.
Port $PORT
ListenAddress 127.0.0.1
HostKey $DIR/host_ed25519_key
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PermitRootLogin prohibit-password
AllowUsers root
UsePAM no
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
PermitUserEnvironment no
PrintMotd no
# ssh:// opens one connection (one login) per call in flight: room for a burst of them.
MaxStartups 100:30:200
EOF
}

client_config() {
  cat <<EOF
# Written by scripts/sshd.sh: for ssh -F, so the machine's own ~/.ssh is never touched.
Host 127.0.0.1
  IdentityFile $DIR/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
EOF
}

sshd_pid() {
  local pid
  pid="$(cat "$DIR/sshd.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q sshd "/proc/$pid/comm" 2>/dev/null; then echo "$pid"; fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# The whole path a test takes: key login, then dial-stdio to the engine, answering GET /_ping.
engine_over_ssh() {
  printf 'GET /_ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' \
    | timeout 20 ssh -F "$DIR/ssh_config" -p "$PORT" -l root -T -- 127.0.0.1 docker system dial-stdio 2>"$DIR/check.err" \
    | grep -q '^OK'
}

ensure_sshd() {
  local changed pid
  changed="$(server_config | write_if_changed "$DIR/sshd_config")"
  client_config | write_if_changed "$DIR/ssh_config" >/dev/null
  mkdir -p /run/sshd # sshd's privilege-separation directory (checked by -t too)
  /usr/sbin/sshd -t -f "$DIR/sshd_config" || die "sshd refuses $DIR/sshd_config"
  pid="$(sshd_pid)"
  if [ -n "$pid" ] && [ -n "$changed" ]; then
    echo "sshd: config changed; restarting"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    pid=
  fi
  if [ -z "$pid" ]; then
    port_open && die "127.0.0.1:$PORT is taken by something else (set PODLING_SSH_PORT)"
    # -D: no fork, so $! is sshd; setsid/nohup: outlive the caller, as the other daemons do.
    setsid nohup /usr/sbin/sshd -D -f "$DIR/sshd_config" -E "$LOG" </dev/null >/dev/null 2>&1 8>&- 9>&- &
    echo $! >"$DIR/sshd.pid"
    local deadline=$((SECONDS + 20))
    until port_open; do
      kill -0 "$(cat "$DIR/sshd.pid")" 2>/dev/null || { tail -n 20 "$LOG" >&2; die "sshd exited during startup (log: $LOG)"; }
      [ $SECONDS -lt $deadline ] || die "sshd did not listen on 127.0.0.1:$PORT within 20 s (log: $LOG)"
      sleep 0.1
    done
  fi
  engine_over_ssh || { cat "$DIR/check.err" >&2; die "ssh root@127.0.0.1:$PORT docker system dial-stdio did not answer GET /_ping (log: $LOG)"; }
  echo "sshd: up on 127.0.0.1:$PORT (key $DIR/id_ed25519); ssh://root@127.0.0.1:$PORT reaches the engine"
}

ensure_env() {
  local env="$STATE/test.env"
  {
    grep -v -e '^PODLING_SSH_ENGINE=' -e '^PODLING_SSH_IDENTITY=' -e '^PODLING_SSH_CONFIG=' "$env" 2>/dev/null || true
    echo "PODLING_SSH_ENGINE=ssh://root@127.0.0.1:$PORT"
    echo "PODLING_SSH_IDENTITY=$DIR/id_ed25519"
    echo "PODLING_SSH_CONFIG=$DIR/ssh_config"
  } >"$env.ssh.tmp"
  chmod 644 "$env.ssh.tmp"
  if cmp -s "$env.ssh.tmp" "$env"; then rm -f "$env.ssh.tmp"; else mv "$env.ssh.tmp" "$env"; fi
}

ensure_packages
ensure_keys
ensure_sshd
ensure_env
