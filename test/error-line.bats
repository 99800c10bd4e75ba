#!/usr/bin/env bats
# An API error's Status body goes to stdout exactly as curl prints it, without a final newline; the
# one-line explanation on stderr must then start on a line of its own wherever a person reads both
# streams together (one terminal, or one file or pipe: cli.ts reportFailure, output.ts
# stderrLineBreak), and must add nothing to stdout when the streams go to different places.
bats_require_minimum_version 1.5.0
# Tests of this file share one PKI: one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup() {
  load helpers/common
  load helpers/recipe
  enter_pod_suite
}

# assert_body_then_error BODY: $output is BODY, a newline, then an "error: …" line.
assert_body_then_error() {
  assert_equal "${output%%$'\n'error: *}" "$1"
  assert_line --index "$(wc -l <<<"$1")" --regexp '^error: '
}

@test "get-api listing nodes with stderr into stdout shows the 403 body, then the error on a line of its own" {
  body=$(curl_in_pod /api/v1/nodes)
  run -7 in_pod -- bash -c 'get-api.ts /api/v1/nodes 2>&1'
  assert_body_then_error "$body"
  assert_line --regexp '^error: GET https://127\.0\.0\.1/api/v1/nodes: 403 Forbidden: nodes is forbidden: User "system:serviceaccount:default:default"'
}

@test "get-api listing nodes on a terminal shows the 403 body, then the error on a line of its own" {
  body=$(curl_in_pod /api/v1/nodes)
  run -0 in_pod -- script --quiet --command 'get-api.ts /api/v1/nodes' /dev/null
  output=${output//$'\r'/}
  assert_body_then_error "$body"
}

@test "get-api with stdout and stderr in two files writes curl's bytes to stdout and the error alone to stderr" {
  run -7 --separate-stderr in_pod -- bash -c "$CURL_RECIPE"' >"$2"; exec get-api.ts "$1" >"$3" 2>"$4"' _ /api/v1/nodes \
    "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out" "$BATS_TEST_TMPDIR/script.err"
  cmp "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out"
  run cat "$BATS_TEST_TMPDIR/script.err"
  assert_output --regexp '^error: GET .* 403 Forbidden'
}

@test "get-daemonset of a missing daemonset with both streams in one file shows the 404 body, then the error on a line of its own" {
  # Every script reports through cli.ts: another script, another status.
  body=$(in_pod --service-account test/default -- bash -c "$CURL_RECIPE" _ /apis/apps/v1/namespaces/test/daemonsets/missing?resourceVersion=0)
  run -8 in_pod --service-account test/default -- bash -c 'get-daemonset.ts missing >"$1" 2>&1; status=$?; cat "$1"; exit "$status"' _ \
    "$BATS_TEST_TMPDIR/both"
  assert_body_then_error "$body"
  assert_line --regexp '^error: .*404 Not Found'
}
