# Sourced by the project's set-up scripts (engine.sh, podman-engine.sh, sshd.sh): installs Debian
# packages that are missing, from the machine's configured sources. Needs `die` defined by the caller.
#
#   ensure_debian_packages TAG PACKAGE=FILE...
#
# A package counts as present when dpkg has it installed AND the FILE it must provide is
# executable. Without systemd, a package's postinst would start its own service (Debian's registry
# on :5000, a second dockerd, the machine's sshd on :22): a policy-rc.d forbids that while
# installing, and is removed again only if it was ours.
ensure_debian_packages() {
  local tag=$1 pair pkg file missing=()
  shift
  local -A provides=()
  for pair in "$@"; do
    pkg=${pair%%=*}
    file=${pair#*=}
    provides[$pkg]=$file
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || [ ! -x "$file" ]; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "$tag: installing ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d added_policy= log="/tmp/podling-apt-$tag.log" rc=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added_policy=1
  fi
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
  } >"$log" 2>&1 || rc=$?
  if [ -n "$added_policy" ]; then rm -f "$policy"; fi
  if [ $rc -ne 0 ]; then
    tail -n 20 "$log" >&2
    die "apt-get install ${missing[*]} failed (full log: $log)"
  fi
  for pkg in "${missing[@]}"; do
    [ -x "${provides[$pkg]}" ] || die "$pkg installed but ${provides[$pkg]} is missing"
  done
}
