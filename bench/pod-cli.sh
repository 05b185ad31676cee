#!/usr/bin/env bash
# The docker CLI baseline: the pod Podling makes, built by a shell script the way one would write
# it by hand, one docker command after another:
#   its own bridge network; an infra container on it (hostname, IPC shareable, the pod's name as
#   alias) joined to the cluster network under the pod's name, then started; every app container
#   run with --network container:<infra> --ipc container:<infra> --init;
# and deleted with one `docker stop` of all its containers (the CLI stops them in parallel), one
# `docker rm`, then the network.
#
#   pod-cli.sh create NAME SIZE      pod-cli.sh delete NAME SIZE
#
# Environment: DOCKER_HOST (required: never the CLI's default context), BENCH_CREATOR (label
# value that the bench's sweep recognises), BENCH_IMAGE, BENCH_INFRA_IMAGE, BENCH_CLUSTER.
# Objects are named podcli-NAME* and labelled podling-bench.io/*, never podling.io/*: Podling
# commands do not see them as pods.
set -euo pipefail
: "${DOCKER_HOST:?set DOCKER_HOST explicitly}"
: "${BENCH_CREATOR:?}" "${BENCH_IMAGE:?}" "${BENCH_INFRA_IMAGE:?}" "${BENCH_CLUSTER:?}"
export DOCKER_CLI_HINTS=false

cmd=$1 name=$2 size=$3
net="podcli-$name"
infra="podcli-${name}_infra"
labels=(--label podling-bench.io/managed=true --label "podling-bench.io/creator=$BENCH_CREATOR"
  --label "podling-bench.io/pod-name=$name" --label podling-bench.io/type=cli-pod)

case $cmd in
create)
  docker network create "${labels[@]}" "$net" >/dev/null
  docker create --name "$infra" --hostname "$name" --network "$net" --network-alias "$name" \
    --ipc shareable --restart unless-stopped "${labels[@]}" --label podling-bench.io/role=infra \
    "$BENCH_INFRA_IMAGE" >/dev/null
  docker network connect --alias "$name" "$BENCH_CLUSTER" "$infra"
  docker start "$infra" >/dev/null
  for ((i = 0; i < size; i++)); do
    docker run -d --name "podcli-${name}_c$i" --network "container:$infra" --ipc "container:$infra" \
      --init --restart unless-stopped "${labels[@]}" --label podling-bench.io/role=app \
      --entrypoint sleep "$BENCH_IMAGE" 3600 >/dev/null
  done
  ;;
delete)
  apps=()
  for ((i = 0; i < size; i++)); do apps+=("podcli-${name}_c$i"); done
  docker stop -t 30 "${apps[@]}" "$infra" >/dev/null
  docker rm -v "${apps[@]}" "$infra" >/dev/null
  docker network rm "$net" >/dev/null
  ;;
*)
  echo "usage: $0 create|delete NAME SIZE" >&2
  exit 2
  ;;
esac
