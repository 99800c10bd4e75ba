#!/usr/bin/env bats
# serviceaccount.ts inside the pod sandbox: what the mounted token says about itself, the server's
# view of who we are, and the exit code when no token is mounted.
bats_require_minimum_version 1.5.0
# Tests of this file share state (a server, its PKI, fault files): one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup() {
  load helpers/common
  load helpers/recipe
  enter_pod_suite
}

@test "serviceaccount -o json decodes the pod-bound token without the network" {
  run -0 --separate-stderr in_pod --service-account test/default -- serviceaccount.ts -o json
  assert_equal "$(jq -r '.token.claims | [.kind, .namespace, .serviceAccount.name, .pod.name, .node.name] | join(" ")' <<<"$output")" \
    'bound test default kube-in-pod-sandbox node-1'
  assert_equal "$(jq -r .namespace.value <<<"$output")" test
  assert_equal "$(jq -r '.ca.certificates[0].subject' <<<"$output")" 'CN=kubernetes'
}

@test "serviceaccount reports an extended token when the server extends expiry" {
  run -0 --separate-stderr in_pod --server-arg --extended-expiry -- serviceaccount.ts -o json
  assert_equal "$(jq -r '.token.claims | [.extended, .lifetimeSeconds] | join(" ")' <<<"$output")" 'true 31536000'
}

@test "serviceaccount --show-token prints exactly the mounted token" {
  run -0 --separate-stderr in_pod -- bash -c 'diff <(serviceaccount.ts --show-token) <(cat '"$SA_DIR"'/token; echo)'
}

@test "serviceaccount --check matches the server's view of who we are" {
  run -0 --separate-stderr in_pod --service-account test/default -- serviceaccount.ts --check -o json
  assert_equal "$(jq -r .selfSubjectReview.username <<<"$output")" 'system:serviceaccount:test:default'
}

@test "serviceaccount without a mounted token exits 3" {
  run -3 --separate-stderr in_pod --no-automount -- serviceaccount.ts
  assert_stderr --partial 'automountServiceAccountToken is probably false'
}

@test "serviceaccount with an unreadable --token-file (a directory) exits 3 naming it" {
  run -3 --separate-stderr in_pod -- serviceaccount.ts --token-file /tmp
  assert_stderr 'error: cannot read token file /tmp (EISDIR)'
}

@test "serviceaccount reports a corrupt certificate in the CA file and still exits 0" {
  ca=$BATS_TEST_TMPDIR/corrupt-ca.crt
  printf '%s\n' '-----BEGIN CERTIFICATE-----' 'MIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEBCwUAMBExDzANBgNVBAMMBnVu' \
    '-----END CERTIFICATE-----' >"$ca"
  run -0 --separate-stderr in_pod -- serviceaccount.ts -o json --certificate-authority "$ca"
  assert_stderr ''
  assert_regex "$(jq -r .ca.error <<<"$output")" "^$(in_order 'certificate 1 of 1 is not a valid X.509 certificate')"
  assert_equal "$(jq -r '.ca.certificates | length' <<<"$output")" 0
}

@test "serviceaccount with an unreadable --certificate-authority (a directory) exits 3 naming it" {
  run -3 --separate-stderr in_pod -- serviceaccount.ts --certificate-authority /tmp
  assert_stderr 'error: cannot read CA file /tmp (EISDIR)'
}

@test "serviceaccount --check exits 9 when the server answers 2xx with a body that is not JSON" {
  port_file=$BATS_TEST_TMPDIR/port
  node -e '
    const server = require("node:http").createServer((req, res) => { res.writeHead(201, { "Content-Type": "text/html" }); res.end("<html>not json</html>"); });
    server.listen(0, "127.0.0.1", () => require("node:fs").writeFileSync(process.argv[1], String(server.address().port)));
    process.once("SIGTERM", () => process.exit(0));' "$port_file" </dev/null >/dev/null 2>&1 3>&- &
  # shellcheck disable=SC2030 # bats runs teardown in this test's process, so teardown sees it
  NOT_JSON_PID=$!
  until [[ -s $port_file ]]; do kill -0 "$NOT_JSON_PID" || fail 'the stand-in server died'; sleep 0.02; done
  printf 'opaque-static-token\n' >"$BATS_TEST_TMPDIR/token"
  run -9 --separate-stderr scripts/serviceaccount.ts --check --server "http://127.0.0.1:$(<"$port_file")" \
    --token-file "$BATS_TEST_TMPDIR/token"
  # The first line is the expected warning about sending the token over plain http.
  assert_stderr_line --index -1 'error: the API server answered 2xx but the body is not JSON'
  # shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr and $stderr_lines
  assert_equal "$(grep -c '^error:' <<<"$stderr")" 1
  refute_stderr --partial '    at '
}

@test "serviceaccount -o json reports a kubeconfig server that is not a URL without the URL's password" {
  printf 'opaque-static-token\n' >"$BATS_TEST_TMPDIR/token"
  password=kip-url-$(openssl rand -hex 16)
  printf 'current-context: c\nclusters:\n- name: c\n  cluster: {server: "https://admin:%s@no such host"}\ncontexts:\n- name: c\n  context: {cluster: c}\n' \
    "$password" >"$BATS_TEST_TMPDIR/kubeconfig"
  run -0 --separate-stderr scripts/serviceaccount.ts -o json --token-file "$BATS_TEST_TMPDIR/token" --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig"
  assert_equal "$(jq -r .apiServer.error <<<"$output")" \
    "server https://admin:<redacted>@no such host from cluster \"c\" in $BATS_TEST_TMPDIR/kubeconfig is not a URL"
  refute_output --partial "$password"
}

# shellcheck disable=SC2031 # NOT_JSON_PID is set by the test, in the same process as teardown
teardown() {
  if [[ -n ${NOT_JSON_PID:-} ]]; then
    kill -TERM "$NOT_JSON_PID" 2>/dev/null || true
    wait "$NOT_JSON_PID" 2>/dev/null || true
  fi
}
