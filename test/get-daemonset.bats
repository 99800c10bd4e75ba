#!/usr/bin/env bats
# get-daemonset.ts against curl reading the `gateway` DaemonSet with ?resourceVersion=0, as the 2018
# post "容器内访问k8s api-server" does (companion code https://github.com/moshucong/client-go-example),
# inside the pod sandbox: the same stdout as curl, the documented exit codes, and --watch kept alive
# across token rotation.
bats_require_minimum_version 1.5.0
# Tests of this file share state (a server, its PKI, fault files): one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

DAEMONSET_PATH='/apis/apps/v1/namespaces/test/daemonsets/gateway?resourceVersion=0'
STATUS_PATH=/apis/apps/v1/namespaces/test/daemonsets/gateway/status
STATUS_TABLE='NAME      DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   UNAVAILABLE
gateway   20        20        19      1            19          1'
# Shell functions for bash -c inside a pod:
#   admin_patch PATH JSON          merge-patch PATH as cluster-admin (the sandbox's test-only credentials)
#   wait_for FILE PATTERN SECONDS  wait until FILE has a line matching PATTERN; 1 on timeout
IN_POD_FUNCTIONS='
admin_patch() {
  curl -sf -o /dev/null --cacert "$KUBE_IN_POD_CA_FILE" -H "Authorization: Bearer $(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")" \
    -X PATCH -H "Content-Type: application/merge-patch+json" --data "$2" "https://kubernetes.default.svc$1"
}
wait_for() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
'

setup() {
  load helpers/common
  load helpers/recipe
  enter_pod_suite
}

@test "get-daemonset prints the gateway daemonset exactly as curl does" {
  expected=$(curl_in_pod --service-account test/default "$DAEMONSET_PATH")
  run -0 --separate-stderr in_pod --service-account test/default -- get-daemonset.ts gateway
  assert_output "$expected"
}

@test "get-daemonset -o status shows the rollout counts as a table" {
  run -0 --separate-stderr in_pod --service-account test/default -- get-daemonset.ts gateway -o status
  assert_output 'NAME      DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   UNAVAILABLE
gateway   20        20        19      1            19          1'
}

@test "get-daemonset of a missing daemonset prints the NotFound Status and exits 8" {
  run -8 --separate-stderr in_pod --service-account test/default -- get-daemonset.ts nope
  assert_equal "$(jq -r .reason <<<"$output")" NotFound
}

@test "get-daemonset without a name is a usage error" {
  run -2 --separate-stderr in_pod -- get-daemonset.ts
  assert_stderr --regexp "^$(in_order 'error: missing NAME')"
}

@test "get-daemonset --print-curl prints a command that gives the same stdout as the script" {
  run -0 --separate-stderr in_pod --service-account test/default -- bash -c '
    cmp <(eval "$(get-daemonset.ts gateway --print-curl)" 2>/dev/null) <(get-daemonset.ts gateway)'
}

@test "get-daemonset --watch --print-curl notes a watch request that curl can run" {
  run -0 --separate-stderr in_pod --service-account test/default -- bash -c '
    watch_curl=$(get-daemonset.ts gateway --watch --watch-timeout 1 --print-curl 2>&1 >/dev/null |
      sed -n "s/^note: --watch then streams changes with: \(curl -N .*\) (RV: .*/\1/p")
    [ -n "$watch_curl" ] || { echo "no watch note" >&2; exit 1; }
    eval "${watch_curl/resourceVersion=RV/resourceVersion=0}"'
  assert_equal "$(head -1 <<<"$output" | jq -r '.type + " " + .object.metadata.namespace + "/" + .object.metadata.name')" 'ADDED test/gateway'
}

@test "get-daemonset matches curl before and after the token rotated between two runs" {
  run -0 --separate-stderr in_pod --service-account test/default --token-ttl 2 --rotate-every 1 \
    --server-arg --token-leeway --server-arg 0 -- bash -c '
    recipe() { curl -s --cacert "$1/ca.crt" -H "Authorization: Bearer $(cat "$1/token")" "https://kubernetes.default.svc$2"; }
    first_token=$(cat "$1/token")
    cmp <(recipe "$1" "$2") <(get-daemonset.ts gateway) || exit 1
    sleep 2.5
    [ "$(cat "$1/token")" != "$first_token" ] || { echo "the token was not rotated" >&2; exit 1; }
    # The first token has expired by now: what a client that read it once would get.
    curl -s -o /dev/null -w "first token: %{http_code}\n" --cacert "$1/ca.crt" -H "Authorization: Bearer $first_token" "https://kubernetes.default.svc$2"
    cmp <(recipe "$1" "$2") <(get-daemonset.ts gateway)' _ "$SA_DIR" "$DAEMONSET_PATH"
  assert_output 'first token: 401'
}

@test "get-daemonset --watch prints a status change after its first token expired, recovering the 401 by re-reading the token" {
  # Tokens live 2 s (no leeway) and the server ends each watch after 1 s, so a reconnect meets a 401
  # with the token the script read first; the admin changes the status only after that happened.
  run -0 --separate-stderr in_pod --service-account test/default --token-ttl 2 --rotate-every 1 \
    --server-arg --token-leeway --server-arg 0 -- bash -c "$IN_POD_FUNCTIONS"'
    trace=$1
    ( wait_for "$trace" "^\* 401: the credential changed" 20
      admin_patch "$2" "{\"status\":{\"numberReady\":20,\"numberAvailable\":20,\"numberUnavailable\":0}}" ) &
    get-daemonset.ts gateway -o status --watch --watch-timeout 1 --watch-count 1 --timeout 40s --verbose 2>"$trace"
    status=$?
    cat "$trace" >&2
    exit $status' _ "$BATS_TEST_TMPDIR/trace" "$STATUS_PATH"
  assert_output "$STATUS_TABLE
gateway   20        20        20      1            20          0"
  assert_stderr --regexp "$(in_order 'watch=1' '< 401 Unauthorized' \
    '* 401: the credential changed since it was read (rotated?); retrying once with the new one' '< 200 OK')"
  assert_stderr --partial '> authorization: Bearer <redacted>'
  refute_stderr --partial eyJ # no service-account token (a JWT) anywhere in the trace
}

@test "get-daemonset --watch -o json prints the body, then the changed object byte for byte as curl then gets it" {
  run -0 --separate-stderr in_pod --service-account test/default -- bash -c "$IN_POD_FUNCTIONS"'
    recipe() { curl -s --cacert "$SA/ca.crt" -H "Authorization: Bearer $(cat "$SA/token")" "https://kubernetes.default.svc$1"; }
    SA=$1 watched=$2 before=$3 after=$4
    recipe "$5" >"$before"
    ( wait_for "$watched" "numberReady" 20; admin_patch "$6" "{\"status\":{\"numberReady\":20}}" ) &
    get-daemonset.ts gateway --watch --watch-count 1 --timeout 40s >"$watched" || exit
    recipe "$5" >"$after"' _ "$SA_DIR" "$BATS_TEST_TMPDIR"/{watched,before,after} "$DAEMONSET_PATH" "$STATUS_PATH"
  cmp "$BATS_TEST_TMPDIR/watched" <(cat "$BATS_TEST_TMPDIR/before"; echo; cat "$BATS_TEST_TMPDIR/after"; echo)
  assert_equal "$(jq -s 'map(.status.numberReady) | join(" ")' -r "$BATS_TEST_TMPDIR/watched")" '19 20'
}

@test "get-daemonset --watch -o yaml separates the versions with --- as kubectl does" {
  run -0 --separate-stderr in_pod --service-account test/default -- bash -c "$IN_POD_FUNCTIONS"'
    ( wait_for "$1" "numberReady" 20; admin_patch "$2" "{\"status\":{\"numberReady\":20}}" ) &
    get-daemonset.ts gateway -o yaml --watch --watch-count 1 --timeout 40s >"$1" || exit
    cat "$1"' _ "$BATS_TEST_TMPDIR/watched" "$STATUS_PATH"
  assert_equal "$(grep -c '^---$' <<<"$output")" 1
  assert_equal "$(grep '^  numberReady:' <<<"$output" | tr -d ' ' | paste -sd ' ')" 'numberReady:19 numberReady:20'
  assert_line --index 0 'apiVersion: apps/v1'
}

@test "get-daemonset --watch without changes prints once and exits 0 at --timeout, reconnecting meanwhile" {
  run -0 --separate-stderr in_pod --service-account test/default -- \
    get-daemonset.ts gateway -o status --watch --watch-timeout 1 --timeout 3 --verbose
  assert_output "$STATUS_TABLE"
  assert_stderr --regexp "$(in_order '* stream ended by the server after 1' '* watch: reconnecting from resourceVersion ')"
}

@test "get-daemonset rejects watch flags without --watch and malformed watch values with exit 2" {
  run -2 --separate-stderr scripts/get-daemonset.ts gateway --watch-count 1
  assert_stderr --regexp "^$(in_order 'error: --watch-count only applies with --watch')"
  run -2 --separate-stderr scripts/get-daemonset.ts gateway --watch --watch-count 0
  assert_stderr --regexp "^$(in_order 'error: --watch-count must be a positive integer (got 0)')"
  run -2 --separate-stderr scripts/get-daemonset.ts gateway --watch --watch-timeout 1m
  assert_stderr --regexp "^$(in_order 'error: --watch-timeout must be a positive integer (got 1m)')"
  run -2 --separate-stderr scripts/get-daemonset.ts gateway --watch --timeout soon
  assert_stderr --regexp "^$(in_order 'error: --timeout must be seconds or a duration such as 30s or 5m (got soon)')"
}

# node RUNNER SIGNAL READY CMD...: run CMD, send it SIGNAL once READY appears on its stdout or stderr,
# then print its output and "exit CODE signal NAME": unlike a shell's $?, this tells an exit code
# from death by the signal. The scripts run under it with the suites' npx and its default runner
# (env -u KUBE_IN_POD_SCRIPT_RUNNER), which execs node: the signal reaches the script, where through
# the real npx it would reach npm.
SIGNAL_RUNNER='
const { spawn } = require("node:child_process");
const [signal, ready, ...command] = process.argv.slice(1);
const child = spawn(command[0], command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
let out = "", err = "", sent = false;
const check = () => { if (!sent && (out + err).includes(ready)) { sent = true; child.kill(signal); } };
child.stdout.on("data", (data) => { out += data; check(); });
child.stderr.on("data", (data) => { err += data; check(); });
child.on("close", (code, name) => { process.stderr.write(err); process.stdout.write(`${out}exit ${code} signal ${name}\n`); });'

@test "get-daemonset --watch stops on SIGINT with exit 130 and on SIGTERM with exit 143, its output complete" {
  for pair in SIGINT:130 SIGTERM:143; do
    run -0 --separate-stderr in_pod --service-account test/default -- node -e "$SIGNAL_RUNNER" "${pair%:*}" 'gateway   20' \
      env -u KUBE_IN_POD_SCRIPT_RUNNER scripts/get-daemonset.ts gateway -o status --watch
    assert_output "$STATUS_TABLE
exit ${pair#*:} signal null"
    assert_stderr ''
  done
}

@test "get-api and serviceaccount --check waiting on a silent server exit 130 on SIGINT and 143 on SIGTERM, saying nothing" {
  port_file=$BATS_TEST_TMPDIR/port
  node -e '
    const server = require("node:net").createServer(() => {}); // accepts, never answers
    server.listen(0, "127.0.0.1", () => require("node:fs").writeFileSync(process.argv[1], String(server.address().port)));
    process.once("SIGTERM", () => process.exit(0));' "$port_file" </dev/null >/dev/null 2>&1 3>&- &
  # shellcheck disable=SC2030 # bats runs teardown in this test's process, so teardown sees it
  SILENT_PID=$!
  until [[ -s $port_file ]]; do kill -0 "$SILENT_PID" || fail 'the silent server died'; sleep 0.02; done
  printf 'opaque-static-token\n' >"$BATS_TEST_TMPDIR/token"
  flags=(--server "http://127.0.0.1:$(<"$port_file")" --token-file "$BATS_TEST_TMPDIR/token" --verbose)
  for pair in SIGINT:130 SIGTERM:143; do
    for script in get-api serviceaccount; do
      args=("${flags[@]}")
      [ "$script" = serviceaccount ] && args+=(--check)
      run -0 --separate-stderr node -e "$SIGNAL_RUNNER" "${pair%:*}" '> authorization: Bearer <redacted>' \
        env -u KUBE_IN_POD_SCRIPT_RUNNER "scripts/$script.ts" "${args[@]}"
      assert_output "exit ${pair#*:} signal null"
      refute_stderr --partial error:
    done
  done
}

# shellcheck disable=SC2031 # SILENT_PID is set by the test, in the same process as teardown
teardown() {
  if [[ -n ${SILENT_PID:-} ]]; then
    kill -TERM "$SILENT_PID" 2>/dev/null || true
    wait "$SILENT_PID" 2>/dev/null || true
  fi
}

@test "get-daemonset rejects a name that is not a DNS subdomain with exit 2, naming the rule, before any request" {
  for name in 'a..b' Gateway "$(printf 'a%.0s' {1..254})" 'gate way'; do
    run -2 --separate-stderr scripts/get-daemonset.ts "$name" --server http://127.0.0.1:9
    assert_stderr_line --index 0 --regexp "^$(in_order 'error: NAME "' \
      ' is not a valid DaemonSet name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters' \
      ', at most 253 characters')\$"
    assert_output ''
  done
  run -4 --separate-stderr scripts/get-daemonset.ts "$(printf 'a%.0s' {1..253})" --server http://127.0.0.1:9
}

@test "get-daemonset rejects a -n that is not a DNS label with exit 2, naming the rule" {
  for namespace in Bad_NS a.b "$(printf 'a%.0s' {1..64})"; do
    run -2 --separate-stderr scripts/get-daemonset.ts gateway -n "$namespace" --server http://127.0.0.1:9
    assert_stderr_line --index 0 --regexp "^$(in_order 'error: namespace "' \
      '" (from --namespace flag) is not a valid namespace: a lowercase RFC 1123 label must consist of' ', at most 63 characters')\$"
  done
}
