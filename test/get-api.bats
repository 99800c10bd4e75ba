#!/usr/bin/env bats
# get-api.ts against the curl recipe it teaches: inside the pod sandbox, curl runs first for the
# expected bytes, then the script must print the same stdout and exit with the documented code.
bats_require_minimum_version 1.5.0
# Tests of this file share state (a server, its PKI, fault files): one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup() {
  load helpers/common
  load helpers/recipe
  enter_pod_suite
}

@test "get-api without arguments prints /api exactly as the curl recipe does" {
  expected=$(curl_in_pod /api)
  run -0 --separate-stderr in_pod -- get-api.ts
  assert_output "$expected"
}

@test "get-api output is byte-identical to curl's, trailing newline included" {
  run -0 --separate-stderr in_pod -- bash -c "cmp <($CURL_RECIPE) <(get-api.ts \"\$1\")" _ /apis/batch/v1
}

@test "get-api on a forbidden path prints the Status like curl and exits 7" {
  expected=$(curl_in_pod /api/v1/nodes)
  run -7 --separate-stderr in_pod -- get-api.ts /api/v1/nodes
  assert_output "$expected"
  assert_stderr --regexp "$(in_order '403 Forbidden' 'RBAC does not allow this')"
}

@test "get-api listing nodes prints byte for byte curl's 403 Status and exits 7" {
  run -7 --separate-stderr in_pod -- bash -c "$CURL_RECIPE"' >"$2"; exec get-api.ts "$1" >"$3"' _ /api/v1/nodes \
    "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out"
  cmp "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out"
  assert_equal "$(jq -r .message "$BATS_TEST_TMPDIR/script.out")" \
    'nodes is forbidden: User "system:serviceaccount:default:default" cannot list resource "nodes" in API group "" at the cluster scope'
}

@test "get-api without a token prints byte for byte curl's system:anonymous 403 and exits 7" {
  # The curl of the itnext article "K8s tips: accessing the API server from a Pod"
  # (https://itnext.io/k8s-tips-accessing-the-api-server-from-a-pod-f6f72bc847de): no -H Authorization.
  # Flags-only configuration has no credentials either.
  run -7 --separate-stderr in_pod -- bash -c '
    curl -s --cacert "$1/ca.crt" https://kubernetes.default.svc/api/v1 >"$2"
    exec get-api.ts /api/v1 --server https://kubernetes.default.svc --certificate-authority "$1/ca.crt" >"$3"' _ \
    "$SA_DIR" "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out"
  cmp "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out"
  assert_equal "$(jq -r .message "$BATS_TEST_TMPDIR/script.out")" 'forbidden: User "system:anonymous" cannot get path "/api/v1"'
  assert_stderr --regexp "$(in_order '403 Forbidden' 'no token reached the server, so it treated us as system:anonymous')"
}

@test "get-api without a mounted token exits 3 and suggests automountServiceAccountToken" {
  run -3 --separate-stderr in_pod --no-automount -- get-api.ts
  assert_output ''
  assert_stderr --partial 'automountServiceAccountToken: false'
}

@test "get-api --print-curl prints a command that gives the same stdout as the script" {
  run -0 --separate-stderr in_pod -- bash -c 'cmp <(eval "$(get-api.ts /api/v1 --print-curl)" 2>/dev/null) <(get-api.ts /api/v1)'
}

@test "get-api --print-curl shows the token file, never the token" {
  run -0 --separate-stderr in_pod -- bash -c 'get-api.ts --print-curl; echo; cat '"$SA_DIR"'/token'
  token=${lines[-1]}
  assert_line --index 0 --partial "Bearer \$(cat $SA_DIR/token)"
  refute_line --index 0 --partial "$token"
}

@test "get-api --verbose traces the request on stderr with the token redacted" {
  run -0 --separate-stderr in_pod -- bash -c 'get-api.ts /version --verbose 2>&1 >/dev/null; echo; cat '"$SA_DIR"'/token'
  token=${lines[-1]}
  assert_output --partial '> authorization: Bearer <redacted>'
  assert_output --partial '* config: in-cluster'
  output=${output%"$token"} # the trace alone, without the token printed after it for this check
  refute_output --partial "$token"
}

@test "get-api with --server and no CA fails TLS verification with exit 5" {
  run -5 --separate-stderr in_pod -- get-api.ts --server https://kubernetes.default.svc
  assert_stderr --regexp "$(in_order 'TLS verification of https://kubernetes.default.svc failed' '--certificate-authority')"
}

@test "curl without --cacert exits 60 where get-api without a CA exits 5 naming the system trust store" {
  run -5 --separate-stderr in_pod -- bash -c '
    curl -s -H "Authorization: Bearer $(cat "$1/token")" https://kubernetes.default.svc/api; echo "curl exit $?" >"$2"
    exec get-api.ts --server https://kubernetes.default.svc --token-file "$1/token"' _ "$SA_DIR" "$BATS_TEST_TMPDIR/curl-exit"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/curl-exit")" 'curl exit 60'
  assert_output ''
  assert_stderr --regexp "$(in_order 'TLS verification of https://kubernetes.default.svc failed' 'using the system trust store (no CA configured)')"
}

@test "curl with a wrong CA exits 60 where get-api with that CA exits 5 naming the CA file" {
  wrong_ca=$BATS_TEST_TMPDIR/wrong-ca.crt
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=not-the-cluster-ca \
    -keyout "$BATS_TEST_TMPDIR/wrong-ca.key" -out "$wrong_ca" 2>/dev/null
  run -5 --separate-stderr in_pod -- bash -c '
    curl -s --cacert "$1" -H "Authorization: Bearer $(cat "$2/token")" https://kubernetes.default.svc/api; echo "curl exit $?" >"$3"
    exec get-api.ts --certificate-authority "$1"' _ "$wrong_ca" "$SA_DIR" "$BATS_TEST_TMPDIR/curl-exit"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/curl-exit")" 'curl exit 60'
  assert_output ''
  assert_stderr --regexp "$(in_order 'TLS verification of https://' ' failed (' ") using CA $wrong_ca:")"
}

@test "get-api through an unreachable HTTPS_PROXY fails with exit 4 naming the proxy" {
  run -4 --separate-stderr in_pod -- env HTTPS_PROXY=http://127.0.0.1:9 get-api.ts
  assert_stderr --regexp "$(in_order 'proxy http://127.0.0.1:9 (from HTTPS_PROXY) refused' 'NO_PROXY')"
}

@test "get-api bypasses HTTPS_PROXY for a NO_PROXY CIDR as curl does for the service IP" {
  # A CIDR covers the service IP (what in-cluster config dials), never the name kubernetes.default.svc.
  run -0 --separate-stderr in_pod -- env HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY=10.0.0.0/8,127.0.0.0/8 bash -c '
    cmp <(curl -s --cacert '"$SA_DIR"'/ca.crt -H "Authorization: Bearer $(cat '"$SA_DIR"'/token)" \
            "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api") <(get-api.ts /api)'
}

@test "get-api in a single-stack IPv6 pod brackets the service address and matches curl" {
  expected=$(curl_in_pod --ipv6 /api)
  run -0 --separate-stderr in_pod --ipv6 -- get-api.ts
  assert_output "$expected"
}

@test "the bundled get-api.mjs runs with plain node and prints what the script prints" {
  local bundles
  bundles=$(tool_bundles)
  expected=$(curl_in_pod /api)
  run -0 --separate-stderr in_pod -- node "$bundles/get-api.mjs"
  assert_output "$expected"
}

@test "get-api with a newline or a non-ASCII byte inside the token file exits 3 in one line naming the file and byte, never the token" {
  token_file=$BATS_TEST_TMPDIR/token
  for case in $'first-half-of-it\nsecond-half:newline:17' $'ab\xc3\xa9-tail-of-it:non-ASCII character:3'; do
    IFS=: read -r content what byte <<<"${case//$'\n'/\\n}"
    printf '%b\n' "$content" >"$token_file"
    run -3 --separate-stderr scripts/get-api.ts --server http://127.0.0.1:9 --token-file "$token_file"
    assert_stderr "error: token file $token_file: contains a $what inside the token (byte $byte): a token is one line of visible ASCII characters; write just the token (a final newline is fine)"
    assert_output ''
  done
}

@test "get-api --print-curl with a password in --server prints a command without it and says how to send it" {
  run -0 --separate-stderr scripts/get-api.ts --server https://admin:url-password-9f3c@127.0.0.1:6443 --print-curl
  assert_output 'curl https://127.0.0.1:6443/api'
  assert_stderr 'note: the user and password in the server URL are left out, as the script never sends them; to send them anyway add: --user admin:"$SERVER_PASSWORD"'
}
