#!/bin/sh
# A plain shell client: curl on the socket DOCKER_HOST names, recorded and replayed by
# test/cli/record-replay.test.ts. Every request is spelled out, the API version included; the
# container is named podling-test-rr-curl and labelled podling-test-rr=1.
socket=${DOCKER_HOST#unix://}
api() { curl -sS --unix-socket "$socket" -w ' [%{http_code}]\n' "$@"; }
v=http://localhost/v1.45
name=podling-test-rr-curl

api "$v/_ping"
api "$v/version"
api -X POST -H 'Content-Type: application/json' "$v/containers/create?name=$name" \
  -d '{"Image":"podling-test/busybox:latest","Cmd":["sh","-c","echo out; echo err >&2"],"Labels":{"podling-test-rr":"1"}}'
api -X POST "$v/containers/$name/start"
api -X POST "$v/containers/$name/wait"
# The multiplexed log: 8-byte frame headers, shown as octal by od.
curl -sS --unix-socket "$socket" "$v/containers/$name/logs?stdout=1&stderr=1" | od -c | head -3
api -X DELETE "$v/containers/$name"
api "$v/containers/$name/json"
