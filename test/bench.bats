#!/usr/bin/env bats
# npm run bench (test/bench.ts) is not a timed test: on a shared machine no figure is a pass or a
# fail. These check that a smoke run (--quick, a few seconds per part) measures every part and prints
# its tables in the shape the README quotes, with a number in every cell that must have one.
bats_require_minimum_version 1.5.0
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup() {
  load helpers/common
  enter_pod_suite
}

@test "npm run bench -- --quick --json measures P1, P2 and P3 and prints their tables with a number in each cell" {
  run -0 --separate-stderr node --import tsx test/bench.ts --quick --json
  local json=$output
  run -0 jq -r '.tables[].id' <<<"$json"
  assert_output $'p1-get\np1-help\np2-list\np3-proxy'
  # P1: the floor and node -e 0 are the bases (ratio 1); every tool has wall, CPU and RSS.
  run -0 jq -r '.tables[] | select(.id == "p1-get") | .rows[] | "\(.command) | \(."wall ÷ floor" | type) | \(."peak RSS" | type)"' <<<"$json"
  assert_line 'floor: bare node, node:https | number | number'
  assert_line 'bound: undici Client alone, bundled (undici-floor.cjs) | number | number'
  assert_line 'node dist/get-daemonset.mjs | number | number'
  assert_line 'node dist/kube-in-pod.mjs get-daemonset | number | number'
  assert_line 'kubectl get --raw | number | number'
  assert_line 'curl (the token and CA recipe, in bash) | number | number'
  assert_line 'python3 kubernetes client | number | number'
  assert_line 'scripts/get-daemonset.ts (npx tsx) | number | number'
  run -0 jq -r '.tables[] | select(.id == "p1-help") | .rows[] | "\(.command) \(."wall ÷ node -e 0")"' <<<"$json"
  assert_line 'node -e 0 1'
  assert_line --regexp '^node dist/get-daemonset.mjs --help [0-9.]+$'
  assert_line --regexp '^bound: node on an empty \.mjs [0-9.]+$'
  assert_line --regexp "^bound: node on a \\.mjs of get-daemonset\\.mjs's size that runs nothing [0-9.]+\$"
  # P2: kubectl at both sizes, and get.ts's RSS against its own at the smaller list.
  run -0 jq -r '.tables[] | select(.id == "p2-list") | .rows[] | "\(.command) \(."extra ConfigMaps") \(."peak RSS" | type)"' <<<"$json"
  assert_line 'kubectl get configmaps -A -o name 100 number'
  assert_line 'kubectl get configmaps -A -o json 1,000 number'
  assert_line 'node dist/get.mjs configmaps -A -o name 1,000 number'
  # P3: both proxies at 1 and at 32 connections, CPU per 10k requests from the proxy process.
  run -0 jq -r '.tables[] | select(.id == "p3-proxy") | .rows[] | "\(.proxy) \(.connections) \(."CPU s per 10k requests" | type) \(.p99 | type)"' <<<"$json"
  assert_output $'kubectl proxy 1 number number\nnode dist/proxy.mjs 1 number number\nkubectl proxy 32 number number\nnode dist/proxy.mjs 32 number number'
}

@test "npm run bench -- --soak prints the proxy's failures, open descriptors and RSS at the start and the end" {
  run -0 --separate-stderr node --import tsx test/bench.ts --soak --soak-seconds 4
  assert_line --regexp '^## Soak: node dist/proxy\.mjs, 4 s at 128 connections, token rotated every 5 s, one API server restart$'
  assert_line '| requests ok | requests/s | p50 | p99 | failed during the restart | failed otherwise | restart took | fds start | fds end | RSS start | RSS end |'
  assert_line --regexp '^\| [0-9]+ \| [0-9]+ \| [0-9.]+ ms \| [0-9.]+ ms \| [0-9]+ \| [0-9]+ \| [0-9.]+ s \| [0-9]+ \| [0-9]+ \| [0-9.]+ MiB \| [0-9.]+ MiB \|$'
}
