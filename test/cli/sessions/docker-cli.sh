#!/bin/sh
# A docker CLI session, recorded and replayed by test/cli/record-replay.test.ts and timed by
# bench/record-replay.ts. Every object it makes is named $PODLING_RR_PREFIX-* (podling-test-rr by
# default) and labelled $PODLING_RR_PREFIX=1, so whoever runs it can remove what a killed run
# left. Columns the CLI computes from its own clock ("Up 3 seconds", "2 hours ago") are left out
# with --format: a replay cannot stop that clock.
# No `set -e`: the failures are part of the session, and each exit code is printed.
p=${PODLING_RR_PREFIX:-podling-test-rr}
image=podling-test/busybox:latest
run="docker run --pull never --label $p=1"

docker version
docker images --format 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}' "$image"
$run --rm --name "$p-run" "$image" echo hello from docker run
echo "stdin over a hijacked attach" | $run -i --rm "$image" sh -c 'tr a-z A-Z; echo to stderr >&2; exit 3'
echo "run -i exited $?"
$run -d --name "$p-box" "$image" sh -c 'echo started; exec sleep 300'
docker ps --filter "label=$p=1" --format 'table {{.ID}}\t{{.Names}}\t{{.Image}}\t{{.Command}}\t{{.State}}'
echo "stdin over a hijacked exec" | docker exec -i "$p-box" sh -c 'rev; echo exec stderr >&2; exit 4'
echo "exec -i exited $?"
# The engine's log copier may lag the container's first line under load: ask until it is there
# (a replay asks as many times as the recording did).
until docker logs "$p-box" 2>/dev/null | grep -q started; do sleep 0.2; done
docker logs "$p-box"
docker network create --label "$p=1" "$p-net"
docker network ls --filter "name=$p-net"
docker network rm "$p-net"
docker rm -f "$p-box"
docker inspect "$p-missing"
