#!/usr/bin/env bats
# The client core against a misbehaving API server (the fake's fault injection): bounded retries
# of idempotent requests on 429/503 honouring Retry-After, no retry on 500, a clear line and the
# documented exit code for HTML error pages, dropped or truncated connections and hangs.
bats_require_minimum_version 1.5.0
# Tests of this file share state (a server, its PKI, fault files): one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup_file() {
  load helpers/common
  export FAULTS_FILE="$BATS_FILE_TMPDIR/faults.yaml"
  start_apiserver --faults "$FAULTS_FILE"
}

teardown_file() {
  load helpers/common
  stop_apiserver
}

setup() {
  load helpers/common
  rm -f "$FAULTS_FILE"
}

# get-api.ts against the fake server with the admin token, flags only (no kubeconfig, no pod).
get_api() {
  (cd "$REPO_ROOT" && scripts/get-api.ts --server "$APISERVER_URL" --certificate-authority "$APISERVER_CA" \
    --token-file "$APISERVER_ADMIN_TOKEN_FILE" "$@")
}

inject() {
  printf -- '- %s\n' "$@" >"$FAULTS_FILE"
}

@test "get-api retries a 429 after Retry-After and prints the eventual body" {
  inject '{path: "^/version$", status: 429, retryAfter: 1, times: 2}'
  local started=$SECONDS
  run --separate-stderr -0 get_api /version
  assert [ $((SECONDS - started)) -ge 2 ]
  assert_equal "$(jq -r .gitVersion <<<"$output")" v1.32.4
}

@test "get-api gives up on a lasting 503 after three retries with the Status on stdout and exit 9" {
  inject '{path: "^/version$", status: 503}'
  run --separate-stderr -9 get_api /version
  assert_equal "$(jq -r '.code' <<<"$output")" 503
  assert_stderr "error: GET $APISERVER_URL/version: 503 Service Unavailable: the server is currently unable to handle the request: still 503 after 3 retries"
}

@test "get-api does not retry a 500 and exits 9" {
  inject '{path: "^/version$", status: 500, times: 1}'
  run --separate-stderr -9 get_api /version
  assert_equal "$(jq -r '.reason' <<<"$output")" InternalError
}

@test "get-api passes an HTML error page through to stdout and exits 9" {
  inject '{path: "^/version$", html: true}'
  run --separate-stderr -9 get_api /version
  assert_line --index 0 '<html>'
  assert_stderr "error: GET $APISERVER_URL/version: 502 Bad Gateway"
}

@test "get-api reports a dropped connection in one line with exit 4" {
  inject '{path: "^/version$", drop: true}'
  run --separate-stderr -4 get_api /version
  assert_output ''
  # shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr and $stderr_lines
  assert_equal "$(wc -l <<<"$stderr")" 1
  assert_stderr --regexp '^error: connection to 127\.0\.0\.1:[0-9]+ was closed by the other side'
}

@test "get-api reports a truncated body as a closed connection with exit 4" {
  inject '{path: "^/version$", truncate: true}'
  run --separate-stderr -4 get_api /version
  assert_output ''
  assert_stderr --regexp 'was closed by the other side'
}

@test "get-api gives up on a server that never answers after --request-timeout with exit 4" {
  inject '{path: "^/version$", hang: true}'
  run --separate-stderr -4 get_api /version --request-timeout 1s
  assert_stderr "error: request to $APISERVER_URL timed out after 1s (--request-timeout)"
}
