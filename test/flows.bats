#!/usr/bin/env bats
# The scripts against the curl recipes they teach: inside the pod sandbox, curl runs first for
# the expected bytes, then the script must print the same stdout and exit with the documented code.
# (Draft by the scripts owner; uses helpers/common's in_pod and require_sandbox.)
bats_require_minimum_version 1.5.0

SA_DIR=/var/run/secrets/kubernetes.io/serviceaccount
# The recipe's curl, with the token read at run time inside the pod ($1 = URL path).
CURL_RECIPE='curl -s --cacert '"$SA_DIR"'/ca.crt -H "Authorization: Bearer $(cat '"$SA_DIR"'/token)" "https://kubernetes.default.svc$1"'
DAEMONSET_PATH='/apis/apps/v1/namespaces/test/daemonsets/gateway?resourceVersion=0'

setup_file() {
  load helpers/common
  export KUBE_IN_POD_PKI_DIR="$BATS_FILE_TMPDIR/pki"
}

setup() {
  load helpers/common
  require_sandbox
  # The scripts' shebang is `npx tsx`, and npx finds tsx from the working directory: outside the
  # repo it would try the registry, which a pod sandbox cannot reach.
  cd "$REPO_ROOT"
}

# curl_in_pod [POD_OPTIONS...] PATH: stdout of the recipe's curl for PATH.
curl_in_pod() {
  local path=${*: -1}
  in_pod "${@:1:$#-1}" -- bash -c "$CURL_RECIPE" _ "$path"
}

# ---- get-api ----------------------------------------------------------------------------------

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
  [[ "$stderr" == *'403 Forbidden'*'RBAC does not allow this'* ]]
}

@test "get-api without a mounted token exits 3 and suggests automountServiceAccountToken" {
  run -3 --separate-stderr in_pod --no-automount -- get-api.ts
  assert_output ''
  [[ "$stderr" == *'automountServiceAccountToken: false'* ]]
}

@test "get-api --print-curl prints a command that gives the same stdout as the script" {
  run -0 --separate-stderr in_pod -- bash -c 'cmp <(eval "$(get-api.ts /api/v1 --print-curl)" 2>/dev/null) <(get-api.ts /api/v1)'
}

@test "get-api --print-curl shows the token file, never the token" {
  run -0 --separate-stderr in_pod -- bash -c 'get-api.ts --print-curl; echo; cat '"$SA_DIR"'/token'
  token=${lines[-1]}
  [[ "${lines[0]}" == *"Bearer \$(cat $SA_DIR/token)"* ]]
  [[ "${lines[0]}" != *"$token"* ]]
}

@test "get-api --verbose traces the request on stderr with the token redacted" {
  run -0 --separate-stderr in_pod -- bash -c 'get-api.ts /version --verbose 2>&1 >/dev/null; echo; cat '"$SA_DIR"'/token'
  token=${lines[-1]}
  [[ "$output" == *'> authorization: Bearer <redacted>'* ]]
  [[ "$output" == *'* config: in-cluster'* ]]
  [[ "${output%"$token"}" != *"$token"* ]]
}

@test "get-api with --server and no CA fails TLS verification with exit 5" {
  run -5 --separate-stderr in_pod -- get-api.ts --server https://kubernetes.default.svc
  [[ "$stderr" == *'TLS verification of https://kubernetes.default.svc failed'*'--certificate-authority'* ]]
}

@test "get-api through an unreachable HTTPS_PROXY fails with exit 4 naming the proxy" {
  run -4 --separate-stderr in_pod -- env HTTPS_PROXY=http://127.0.0.1:9 get-api.ts
  [[ "$stderr" == *'proxy http://127.0.0.1:9 (from HTTPS_PROXY) refused'*'NO_PROXY'* ]]
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

# ---- get-daemonset ----------------------------------------------------------------------------

@test "get-daemonset prints the seed 002 daemonset exactly as curl does" {
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
  [ "$(jq -r .reason <<<"$output")" = NotFound ]
}

@test "get-daemonset without a name is a usage error" {
  run -2 --separate-stderr in_pod -- get-daemonset.ts
  [[ "$stderr" == 'error: missing NAME'* ]]
}

# ---- serviceaccount ---------------------------------------------------------------------------

@test "serviceaccount -o json decodes the pod-bound token without the network" {
  run -0 --separate-stderr in_pod --service-account test/default -- serviceaccount.ts -o json
  [ "$(jq -r '.token.claims | [.kind, .namespace, .serviceAccount.name, .pod.name, .node.name] | join(" ")' <<<"$output")" = \
    'bound test default kube-in-pod-sandbox node-1' ]
  [ "$(jq -r .namespace.value <<<"$output")" = test ]
  [ "$(jq -r '.ca.certificates[0].subject' <<<"$output")" = 'CN=kubernetes' ]
}

@test "serviceaccount reports an extended token when the server extends expiry" {
  run -0 --separate-stderr in_pod --server-arg --extended-expiry -- serviceaccount.ts -o json
  [ "$(jq -r '.token.claims | [.extended, .lifetimeSeconds] | join(" ")' <<<"$output")" = 'true 31536000' ]
}

@test "serviceaccount --show-token prints exactly the mounted token" {
  run -0 --separate-stderr in_pod -- bash -c 'diff <(serviceaccount.ts --show-token) <(cat '"$SA_DIR"'/token; echo)'
}

@test "serviceaccount --check matches the server's view of who we are" {
  run -0 --separate-stderr in_pod --service-account test/default -- serviceaccount.ts --check -o json
  [ "$(jq -r .selfSubjectReview.username <<<"$output")" = 'system:serviceaccount:test:default' ]
}

@test "serviceaccount without a mounted token exits 3" {
  run -3 --separate-stderr in_pod --no-automount -- serviceaccount.ts
  [[ "$stderr" == *'automountServiceAccountToken is probably false'* ]]
}

# ---- the bundles ------------------------------------------------------------------------------

@test "the bundled get-api.mjs runs with plain node and prints what the script prints" {
  node --import tsx "$REPO_ROOT/scripts/build.ts" --outdir "$BATS_FILE_TMPDIR/dist" 2>/dev/null
  expected=$(curl_in_pod /api)
  run -0 --separate-stderr in_pod -- node "$BATS_FILE_TMPDIR/dist/get-api.mjs"
  assert_output "$expected"
}
