#!/usr/bin/env bats
# doctor.ts in the pod sandbox: one test per cause of issue 9's Proof list. Each runs the doctor
# twice in the same pod (text, then -o json), and checks the failing check's id and status, the exit
# code (the first failure's class), that the fix names the real remedy, that the JSON report is
# valid against test/schemas/doctor-report.schema.json, and that no token in the pod appears in any
# output. Where curl or kubectl report the same failure, they run in the same pod and the doctor's
# evidence must hold the same fact.
bats_require_minimum_version 1.5.0
# Tests of this file share a PKI: one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup() {
  load helpers/common
  enter_pod_suite
  select_run
  DOCTOR_TOKENS=$DOCTOR_OUT/tokens
  mkdir -p "$DOCTOR_OUT"
}

# What every pod script starts with: $1 is the directory the results go to (shared with the host).
#   doctor ARGS...   runs doctor.ts ARGS, then doctor.ts -o json ARGS, keeping stdout, stderr and status
#   admin ARGS...    kubectl as cluster admin (the sandbox's test-only admin token)
#   keep_token F     remembers a token file the test made, so the no-token check looks for it too
#   keep_run DIR     keeps the last doctor run's outputs in $out/DIR (assert_doctor on several runs)
# On exit the tokens (the mounted one, the admin's, those kept) are collected for refute_tokens.
# kubectl apply is run with --validate=false: the fake API server serves no OpenAPI document.
# shellcheck disable=SC2016 # expanded in the pod
DOCTOR_PRELUDE='
set -u
out=$1; shift
SA=/var/run/secrets/kubernetes.io/serviceaccount
export LANG=C.UTF-8
: >"$out/token-files"
keep_token() { printf "%s\n" "$1" >>"$out/token-files"; }
keep_token "$SA/token"; keep_token "$KUBE_IN_POD_ADMIN_TOKEN_FILE"
collect_tokens() {
  local file
  : >"$out/tokens"
  while IFS= read -r file; do [ -r "$file" ] && { cat "$file"; echo; } >>"$out/tokens"; done <"$out/token-files"
}
trap collect_tokens EXIT
doctor() {
  doctor.ts "$@" >"$out/text" 2>"$out/text.stderr"; echo $? >"$out/text.status"
  doctor.ts -o json "$@" >"$out/json" 2>"$out/json.stderr"; echo $? >"$out/json.status"
}
keep_run() { mkdir -p "$out/$1"; cp "$out"/text "$out"/text.* "$out"/json "$out"/json.* "$out/$1/"; }
admin() { kubectl --server https://kubernetes.default.svc --certificate-authority "$KUBE_IN_POD_CA_FILE" --token "$(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")" "$@"; }
'

# doctor_in_pod [POD FLAGS] -- SCRIPT: SCRIPT (after DOCTOR_PRELUDE) in a pod started with POD FLAGS.
# SCRIPT's own stdout and stderr are bats' $output and $stderr afterwards; its last command may fail
# (curl showing the same failure), the pod itself must not.
doctor_in_pod() {
  local flags=()
  while (($#)) && [ "$1" != -- ]; do flags+=("$1"); shift; done
  shift
  run -0 --separate-stderr in_pod "${flags[@]}" -- bash -c "$DOCTOR_PRELUDE$1"$'\ntrue' _ "$DOCTOR_OUT"
}

# select_run [NAME]: the later assertions read the run kept as NAME (keep_run), or the last run.
select_run() {
  DOCTOR_OUT=$BATS_TEST_TMPDIR/doctor${1:+/$1}
}

# check ID FIELD: a field of one check in the JSON report ("" when absent; arrays one item a line).
check() {
  jq -r --arg id "$1" --arg field "$2" '.checks[] | select(.id == $id) | .[$field] // "" | if type == "array" then .[] else . end' \
    "$DOCTOR_OUT/json"
}

# No token of the pod (nor a token's signature) in any output of either run.
refute_tokens() {
  local token file
  # At least the admin token was collected: an empty list would prove nothing.
  assert [ "$(grep -c . "$DOCTOR_TOKENS")" -ge 1 ]
  while IFS= read -r token; do
    [ -n "$token" ] || continue
    for file in "$DOCTOR_OUT"/text "$DOCTOR_OUT"/text.stderr "$DOCTOR_OUT"/json "$DOCTOR_OUT"/json.stderr; do
      if grep -qF -- "$token" "$file" || grep -qF -- "${token##*.}" "$file"; then
        fail "a token (or its signature) appears in ${file##*/}"
      fi
    done
  done <"$DOCTOR_TOKENS"
}

# assert_doctor STATUS FIRST_FAILURE: both runs exited STATUS; the report is valid against the schema;
# its firstFailure is FIRST_FAILURE ("null": none) and is the first check that failed; stderr is the
# one error line naming it; no token bytes anywhere. Then $output is the text report, for assert_line.
assert_doctor() {
  local status=$1 first=$2
  assert_equal "$(<"$DOCTOR_OUT/text.status")" "$status"
  assert_equal "$(<"$DOCTOR_OUT/json.status")" "$status"
  run -0 node --import tsx "$REPO_ROOT/test/schemas/validate.ts" "$REPO_ROOT/test/schemas/doctor-report.schema.json" "$DOCTOR_OUT/json"
  assert_equal "$(jq -r '.firstFailure // "null"' "$DOCTOR_OUT/json")" "$first"
  assert_equal "$(jq -r '[.checks[] | select(.status == "fail")][0].id // "null"' "$DOCTOR_OUT/json")" "$first"
  if [ "$first" = null ]; then
    assert_equal "$(<"$DOCTOR_OUT/text.stderr")" ''
  else
    assert_equal "$(grep -c . "$DOCTOR_OUT/text.stderr")" 1
    assert_equal "$(head -c "${#first}" <<<"$(sed 's/^error: //' "$DOCTOR_OUT/text.stderr")")" "$first"
  fi
  refute_tokens
  output=$(<"$DOCTOR_OUT/text")
  mapfile -t lines <"$DOCTOR_OUT/text"
}

# assert_check ID STATUS: the check's status in the JSON report and its line in the text report.
assert_check() {
  local symbol
  case $2 in pass) symbol='✓' ;; warn) symbol='!' ;; fail) symbol='✗' ;; skip) symbol='-' ;; esac
  assert_equal "$(check "$1" status)" "$2"
  assert_line --regexp "^$symbol $1 +"
}

@test "doctor on a healthy pod passes every check and exits 0" {
  doctor_in_pod -- '
    doctor
    kubectl auth whoami -o jsonpath="{.status.userInfo.username}"; echo
    curl -s --cacert "$SA/ca.crt" https://kubernetes.default.svc/version | jq -r .gitVersion'
  username=${lines[0]} git_version=${lines[1]}
  assert_doctor 0 null
  for id in environment mount token ca dns proxy-env tcp tls version authn authz exposure; do assert_check "$id" pass; done
  assert_line --regexp '^12 checks: 12 passed, 0 warned, 0 failed, 0 skipped$'
  # What kubectl auth whoami and curl /version say, the doctor says.
  assert_equal "$(check authn summary)" "$username (groups system:serviceaccounts, system:serviceaccounts:default, system:authenticated)"
  assert_equal "$(check version summary | cut -d' ' -f1)" "$git_version"
  assert_equal "$(check mount summary)" \
    "/var/run/secrets/kubernetes.io/serviceaccount: token, ca.crt, namespace; kubelet's ..data layout, projected, read-only"
}

@test "doctor without the service environment and without a kubeconfig fails environment with exit 3" {
  doctor_in_pod --no-automount -- 'unset KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT; doctor'
  assert_doctor 3 environment
  assert_check environment fail
  assert_equal "$(check environment summary)" 'not in a pod (no KUBERNETES_SERVICE_HOST/PORT), and no kubeconfig'
  assert_equal "$(check environment fix)" \
    'run this inside a pod, or configure the client: --server URL with --token-file and --certificate-authority, or --kubeconfig FILE'
  assert_check dns skip
}

@test "doctor in a pod without the token mount fails mount with exit 3 and names automountServiceAccountToken" {
  doctor_in_pod --no-automount -- 'doctor; test -e "$SA/token" || echo "no $SA/token"'
  assert_line 'no /var/run/secrets/kubernetes.io/serviceaccount/token'
  assert_doctor 3 mount
  assert_check environment pass
  assert_check mount fail
  assert_check tcp pass
  assert_equal "$(check mount summary)" 'no service-account token in /var/run/secrets/kubernetes.io/serviceaccount'
  assert_equal "$(check mount fix)" \
    "set automountServiceAccountToken: true in the Pod spec (a Pod-level value wins over the ServiceAccount's), or mount a projected serviceAccountToken volume there"
  assert_output --partial 'First failure: mount'
}

@test "doctor in a debug container without the mount names PID 1's service-account directory, and passes with --sa-dir" {
  # kubectl debug --target: the processes of the pod are shared, its volumes are not. A nested mount
  # namespace hides the volume from this container while PID 1 still has it.
  doctor_in_pod -- '
    unshare --mount --propagation private -- bash -c "mount -t tmpfs debug-container /run/secrets; $(declare -f doctor keep_run); out=$out; doctor; keep_run without"
    unshare --mount --propagation private -- bash -c "mount -t tmpfs debug-container /run/secrets; $(declare -f doctor); out=$out; doctor --sa-dir /proc/1/root/run/secrets/kubernetes.io/serviceaccount"'
  select_run without
  assert_doctor 3 mount
  assert_equal "$(check mount fix)" \
    "this looks like a debug container (kubectl debug): it shares the pod's processes but not its volumes; pass --sa-dir /proc/1/root/run/secrets/kubernetes.io/serviceaccount to the kube-in-pod scripts"
  select_run
  assert_doctor 0 null
  assert_check mount pass
  assert_equal "$(check token summary | cut -d, -f1)" 'system:serviceaccount:default:default'
}

@test "doctor with --sa-dir pointing at a copy of the volume uses the copy and passes" {
  doctor_in_pod -- '
    copy=$out/sa-copy; mkdir "$copy"; cp "$SA/token" "$SA/ca.crt" "$SA/namespace" "$copy/"
    unshare --mount --propagation private -- bash -c "mount -t tmpfs debug-container /run/secrets; $(declare -f doctor); out=$out; doctor --sa-dir $copy"'
  assert_doctor 0 null
  assert_check mount pass
  assert_equal "$(check mount summary)" "$DOCTOR_OUT/sa-copy: token, ca.crt, namespace; plain files, not kubelet's ..data layout, writable"
}

@test "get-api with --sa-dir pointing at a copy prints what the curl recipe prints from the mount" {
  run -0 --separate-stderr in_pod -- bash -c '
    SA=/var/run/secrets/kubernetes.io/serviceaccount copy=$1/sa-copy
    mkdir "$copy"; cp "$SA/token" "$SA/ca.crt" "$SA/namespace" "$copy/"
    curl -s --cacert "$SA/ca.crt" -H "Authorization: Bearer $(cat "$SA/token")" https://kubernetes.default.svc/api/v1 >"$1/curl.out"
    unshare --mount --propagation private -- bash -c "mount -t tmpfs hidden /run/secrets; get-api.ts /api/v1 --sa-dir $copy" >"$1/script.out"' _ \
    "$BATS_TEST_TMPDIR"
  cmp "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out"
}

@test "doctor with the wrong CA fails tls with exit 5 and says what kubectl says: signed by unknown authority" {
  doctor_in_pod -- '
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$out/other.key" -out "$out/other-ca.crt" -subj /CN=other-ca -days 1 2>/dev/null
    doctor --certificate-authority "$out/other-ca.crt"
    kubectl --certificate-authority "$out/other-ca.crt" get --raw /version 2>&1 >/dev/null'
  kubectl_said=$output
  assert_doctor 5 tls
  assert_check ca pass
  assert_check tls fail
  # kubectl: "tls: failed to verify certificate: x509: certificate signed by unknown authority".
  assert_equal "$(grep -o 'x509: certificate signed by unknown authority' <<<"$kubectl_said")" 'x509: certificate signed by unknown authority'
  assert_equal "$(check tls summary)" \
    'x509: certificate signed by unknown authority: CN=kube-apiserver is issued by CN=kubernetes, not by CN=other-ca'
  assert_regex "$(check tls fix)" '^trust the cluster CA \(/var/run/secrets/kubernetes.io/serviceaccount/ca.crt, from the kube-root-ca.crt ConfigMap\)'
}

@test "doctor against a certificate without the service address fails tls with exit 5 in kubectl's words and suggests a listed name" {
  doctor_in_pod --server-arg=--serving-sans --server-arg=kubernetes,kubernetes.default.svc -- '
    doctor
    kubectl get --raw /version 2>&1 >/dev/null'
  kubectl_said=$output
  assert_doctor 5 tls
  assert_check tls fail
  assert_equal "$(check tls cause)" "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"
  assert_equal "$(grep -o "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs" <<<"$kubectl_said")" \
    "$(check tls cause)"
  assert_equal "$(check tls fix)" \
    'connect to a name or address the certificate lists: kubernetes.default.svc (or set tls-server-name in the kubeconfig)'
}

@test "doctor with an expired token fails token with exit 6, and the server's 401 agrees" {
  # Issued 4000 s ago with the usual 3607 s lifetime: expired 393 s ago.
  doctor_in_pod --server-arg=--token-clock-offset --server-arg=-4000 -- '
    doctor
    curl -s --cacert "$SA/ca.crt" -H "Authorization: Bearer $(cat "$SA/token")" https://kubernetes.default.svc/api | jq -r .code'
  assert_equal "$output" 401
  assert_doctor 6 token
  assert_check token fail
  assert_check authn fail
  assert_regex "$(check token summary)" '^expired 6m[3-5][0-9]s ago \(exp '
  assert_regex "$(check token fix)" '^restart the pod to get a fresh token; a program must re-read the token file'
  assert_equal "$(check authn summary)" '401 Unauthorized: the API server does not accept the token'
}

@test "doctor with a token from the future fails token with exit 6 and names the clocks" {
  doctor_in_pod --server-arg=--token-clock-offset --server-arg=600 -- '
    doctor
    curl -s --cacert "$SA/ca.crt" -H "Authorization: Bearer $(cat "$SA/token")" https://kubernetes.default.svc/api | jq -r .code'
  assert_equal "$output" 401
  assert_doctor 6 token
  assert_check token fail
  assert_regex "$(check token summary)" '^not valid yet: issued for .*, (9m[3-5][0-9]s|10m) in the future$'
  assert_equal "$(check token fix)" \
    'synchronise the clocks (NTP/chrony on the nodes and the control plane); the API server allows 60s of skew'
}

@test "doctor with a token for another audience fails token with exit 6 and names the audience" {
  doctor_in_pod -- '
    pod_uid=$(admin get pod kube-in-pod-sandbox -n default -o jsonpath="{.metadata.uid}")
    admin create token default -n default --audience px --bound-object-kind Pod --bound-object-name kube-in-pod-sandbox \
      --bound-object-uid "$pod_uid" >"$out/px.token"
    keep_token "$out/px.token"
    doctor --token-file "$out/px.token"
    curl -s --cacert "$SA/ca.crt" -H "Authorization: Bearer $(cat "$out/px.token")" https://kubernetes.default.svc/api | jq -r .code'
  assert_equal "$output" 401
  assert_doctor 6 token
  assert_check token fail
  assert_check authn fail
  assert_equal "$(check token summary)" "audience px is not the API server's (https://kubernetes.default.svc.cluster.local)"
  assert_regex "$(check token fix)" "^use the default service-account token for the API server"
}

@test "doctor with the token of a deleted pod fails authn with exit 6 and says the pod was deleted or recreated" {
  doctor_in_pod -- '
    admin delete pod kube-in-pod-sandbox -n default >/dev/null
    doctor
    curl -s --cacert "$SA/ca.crt" -H "Authorization: Bearer $(cat "$SA/token")" https://kubernetes.default.svc/api | jq -r .code'
  assert_equal "$output" 401
  assert_doctor 6 authn
  assert_check token pass
  assert_check authn fail
  assert_regex "$(check authn cause)" \
    "^the claims look valid \(not expired, the API server's audience\), so the server rejected what the token is bound to: the pod kube-in-pod-sandbox \(uid [-0-9a-f]+\) or the service account default was deleted or recreated"
  assert_regex "$(check authn fix)" '^restart the pod so kubelet issues a token bound to the live pod and service account'
}

@test "doctor with a stale extended token warns on token and exits 0, as the server still accepts it" {
  doctor_in_pod --server-arg=--extended-expiry --server-arg=--token-clock-offset --server-arg=-4000 -- '
    doctor
    curl -s -o /dev/null -w "%{http_code}\n" --cacert "$SA/ca.crt" -H "Authorization: Bearer $(cat "$SA/token")" https://kubernetes.default.svc/api'
  assert_equal "$output" 200
  assert_doctor 0 null
  assert_check token warn
  assert_check authn pass
  assert_regex "$(check token summary)" '^stale: past warnafter by 6m[3-5][0-9]s \(extended token\)$'
  assert_regex "$(check token fix)" 'kubelet has stopped rotating it \(check kubelet on node node-1\); a program must re-read the token file'
}

@test "doctor with a legacy Secret token warns on token and exits 0, the identity kubectl sees" {
  doctor_in_pod -- '
    admin get secret default-legacy-token -n test -o jsonpath="{.data.token}" | base64 -d >"$out/legacy.token"
    keep_token "$out/legacy.token"
    doctor --token-file "$out/legacy.token" -n test
    kubectl --token "$(cat "$out/legacy.token")" auth whoami -o jsonpath="{.status.userInfo.username}"'
  kubectl_username=$output
  assert_equal "$kubectl_username" system:serviceaccount:test:default
  assert_doctor 0 null
  assert_check token warn
  assert_equal "$(check token summary)" 'legacy Secret-based token (Secret default-legacy-token): never expires'
  assert_regex "$(check token fix)" '^use the bound, projected token kubelet mounts by default'
  assert_regex "$(check authn summary)" "^$kubectl_username "
}

@test "doctor sending no token fails authn as system:anonymous with exit 7, as curl without a token sees" {
  doctor_in_pod -- '
    doctor --server https://kubernetes.default.svc --certificate-authority "$SA/ca.crt"
    curl -s --cacert "$SA/ca.crt" -X POST -H "Content-Type: application/json" -d "{\"kind\":\"SelfSubjectReview\",\"apiVersion\":\"authentication.k8s.io/v1\"}" \
      https://kubernetes.default.svc/apis/authentication.k8s.io/v1/selfsubjectreviews | jq -r .message'
  curl_message=$output
  assert_doctor 7 authn
  assert_check token skip
  assert_check authn fail
  assert_equal "$(check authn summary)" '403 Forbidden as system:anonymous: no token reached the server'
  assert_equal "$(check authn evidence | sed -n 2p)" "the server says: $curl_message"
  assert_regex "$(check authn fix)" '^send the token: curl -H "Authorization: Bearer \$\(cat /var/run/secrets/kubernetes.io/serviceaccount/token\)"'
}

@test "doctor --can list nodes, denied, prints the RBAC YAML; applied by an admin, the same run passes" {
  doctor_in_pod -- '
    doctor --can "list nodes"
    keep_run denied
    kubectl auth can-i list nodes 2>/dev/null
    jq -r ".checks[] | select(.id == \"authz\") | .yaml" "$out/json" | admin apply --validate=false -f - >/dev/null
    kubectl auth can-i list nodes 2>/dev/null
    doctor --can "list nodes"'
  assert_equal "${lines[*]}" 'no yes'
  assert_doctor 0 null
  assert_check authz pass
  assert_regex "$(check authz summary)" '; allowed: list nodes$'
  # The denied run, before the YAML was applied.
  select_run denied
  assert_doctor 7 authz
  assert_check authz fail
  assert_line --regexp '^✗ authz +denied: list nodes$'
  assert_line 'kind: ClusterRoleBinding'
  assert_equal "$(check authz fix)" 'as a cluster admin, apply the YAML below: kubectl apply -f -'
  assert_equal "$(check authz yaml)" "$(cat <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: default-default-access
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: default-default-access
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: default-default-access
subjects:
- kind: ServiceAccount
  name: default
  namespace: default
EOF
)"
}

@test "doctor with an incomplete rules review asks access reviews instead, as kubectl warns" {
  doctor_in_pod --service-account test/default \
    --server-arg=--rules-review-incomplete --server-arg='webhook authorizer does not support user rule resolution' -- '
    doctor --can "list pods"
    kubectl auth can-i --list 2>&1 >/dev/null | head -1'
  kubectl_warning=$output
  assert_doctor 0 null
  assert_check authz pass
  assert_equal "$kubectl_warning" 'Warning: the list may be incomplete: webhook authorizer does not support user rule resolution'
  assert_equal "$(check authz summary)" \
    'rules review incomplete (webhook authorizer does not support user rule resolution): 24 access reviews instead, allowed pods: get, list, watch; services: get, list, watch; configmaps: get, list, watch; deployments.apps: get, list, watch; allowed: list pods'
  assert_line --regexp '^✓ exposure +nothing an attacker would want'
}

@test "doctor with a dead HTTPS_PROXY and no NO_PROXY fails proxy-env with exit 4; its NO_PROXY makes it pass" {
  doctor_in_pod -- '
    export HTTPS_PROXY=http://127.0.0.1:9
    doctor
    keep_run proxied
    curl -sS --cacert "$SA/ca.crt" https://127.0.0.1/version 2>&1 >/dev/null
    NO_PROXY=$(jq -r ".checks[] | select(.id == \"proxy-env\") | .fix" "$out/json" | sed "s/.*NO_PROXY=//") doctor'
  curl_said=$output
  assert_doctor 0 null
  assert_check proxy-env pass
  select_run proxied
  assert_doctor 4 proxy-env
  assert_check proxy-env fail
  assert_equal "$(check proxy-env fix)" \
    'add the API server to NO_PROXY (and no_proxy): NO_PROXY=127.0.0.1,kubernetes.default.svc,.svc,.cluster.local'
  # curl 7.88: "Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server" (exit 7, refused).
  assert_regex "$curl_said" "^curl: \(7\) Failed to connect to 127\.0\.0\.1 port 9 after [0-9]+ ms: (Connection refused|Couldn't connect to server)$"
  assert_equal "$(check proxy-env evidence | sed -n 2p)" 'proxy 127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9'
}

@test "doctor with a server name cluster DNS does not know fails dns with exit 4, as curl cannot resolve it" {
  doctor_in_pod --cluster-dns -- '
    doctor --server https://kubernetes.default.svc.corp.example --certificate-authority "$SA/ca.crt" --token-file "$SA/token"
    curl -sS --cacert "$SA/ca.crt" https://kubernetes.default.svc.corp.example/version 2>&1 >/dev/null'
  assert_equal "$output" 'curl: (6) Could not resolve host: kubernetes.default.svc.corp.example'
  assert_doctor 4 dns
  assert_check dns fail
  assert_check tcp skip
  assert_equal "$(check dns summary)" 'kubernetes.default.svc.corp.example does not resolve (NXDOMAIN)'
  assert_equal "$(check dns evidence | sed -n 1p)" \
    '/etc/resolv.conf: search default.svc.cluster.local svc.cluster.local cluster.local, ndots:5, nameserver 127.0.0.10'
  assert_regex "$(check dns fix)" '^use \$KUBERNETES_SERVICE_HOST \(127\.0\.0\.1: no DNS needed\) or a name that resolves'
}

@test "doctor resolves kubernetes.default through cluster DNS's search path, as getent does" {
  doctor_in_pod --cluster-dns -- '
    doctor --server https://kubernetes.default --certificate-authority "$SA/ca.crt" --token-file "$SA/token"
    getent hosts kubernetes.default | cut -d" " -f1
    grep -c "kubernetes.default.svc.cluster.local" "$KUBE_IN_POD_DNS_LOG"'
  address=${lines[0]} queries=${lines[1]}
  # Cluster DNS was asked for the name the search list made.
  assert_regex "$queries" '^[1-9][0-9]*$'
  assert_doctor 0 null
  assert_check dns pass
  assert_equal "$(check dns summary)" "kubernetes.default → $address (as kubernetes.default.svc.cluster.local, through the search list)"
  assert_check tls pass
}

@test "doctor against a port nothing listens on fails tcp as refused with exit 4, as curl is refused" {
  doctor_in_pod -- '
    export KUBERNETES_SERVICE_PORT=444
    doctor
    curl -sS --cacert "$SA/ca.crt" https://127.0.0.1:444/version 2>&1 >/dev/null'
  assert_regex "$output" "^curl: \(7\) Failed to connect to 127\.0\.0\.1 port 444 after [0-9]+ ms: (Connection refused|Couldn't connect to server)$"
  assert_doctor 4 tcp
  assert_check tcp fail
  assert_equal "$(check tcp summary)" '127.0.0.1:444: connection refused (ECONNREFUSED)'
  assert_regex "$(check tcp fix)" 'holdApplicationUntilProxyStarts'
}

@test "doctor against an address whose packets are dropped fails tcp within --timeout with exit 4, as curl times out" {
  doctor_in_pod --drop 127.0.0.1:443 -- '
    doctor --timeout 1s
    doctor.ts --timeout 1s -v 2>"$out/verbose" >/dev/null
    curl -sS --connect-timeout 1 --cacert "$SA/ca.crt" https://127.0.0.1/version 2>&1 >/dev/null'
  assert_regex "$output" 'Failed to connect to 127\.0\.0\.1 port 443 after 10[0-9][0-9] ms: Timeout was reached'
  assert_doctor 4 tcp
  assert_check tcp fail
  assert_equal "$(check tcp summary)" '127.0.0.1:443: connect timed out after 1s'
  assert_regex "$(check tcp fix)" 'often 6443'
  # The 1s limit held: the whole walk took less than the 5s default.
  assert_regex "$(grep -o 'the checks took .*' "$DOCTOR_OUT/verbose")" '^the checks took ([0-9]+ms|[1-4](\.[0-9]+)?s)$'
}

@test "doctor against an endpoint that accepts TCP but never answers TLS fails tls within --timeout with exit 4" {
  doctor_in_pod --server-arg=--tls-silent-listen --server-arg=127.0.0.1:6443 -- '
    export KUBERNETES_SERVICE_PORT=6443
    doctor --timeout 1s
    curl -sS --max-time 1 --cacert "$SA/ca.crt" https://127.0.0.1:6443/version 2>&1 >/dev/null'
  assert_regex "$output" '^curl: \(28\) '
  assert_doctor 4 tls
  assert_check tcp pass
  assert_check tls fail
  assert_equal "$(check tls summary)" '127.0.0.1:6443 accepted the connection but no TLS answer came within 1s'
}

@test "doctor with a token that may read secrets warns on exposure and recommends automountServiceAccountToken: false" {
  doctor_in_pod -- '
    admin apply --validate=false -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: default}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: secret-reader, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects: [{kind: ServiceAccount, name: default, namespace: default}]
YAML
    kubectl auth can-i list secrets
    doctor'
  assert_equal "$output" yes
  assert_doctor 0 null
  assert_check exposure warn
  assert_equal "$(check exposure summary)" 'this token can read secrets'
  assert_equal "$(check exposure evidence)" 'read secrets: secrets: get, list'
  assert_regex "$(check exposure fix)" 'set automountServiceAccountToken: false on its Pod or ServiceAccount$'
}

@test "doctor in an IPv6 cluster reaches the bracketed service address and passes" {
  require_sandbox --ipv6
  doctor_in_pod --ipv6 -- '
    doctor
    curl -s -g --cacert "$SA/ca.crt" -H "Authorization: Bearer $(cat "$SA/token")" "https://[$KUBERNETES_SERVICE_HOST]:443/version" | jq -r .gitVersion'
  assert_doctor 0 null
  assert_check tcp pass
  assert_regex "$(check tcp summary)" '^\[::1\]:443: connected in '
  assert_regex "$(check tls summary)" '; ::1 is in the SANs'
  assert_regex "$(check environment summary)" 'KUBERNETES_SERVICE_HOST=::1 '
}

@test "doctor prints ASCII marks when the locale is not UTF-8" {
  doctor_in_pod -- 'LANG=C LC_ALL= doctor'
  assert_doctor 0 null
  assert_line --regexp '^\+ environment +in a pod'
  refute_output --partial '✓'
}

@test "doctor with a malformed --can is a usage error (exit 2) in kubectl's words" {
  run -2 --separate-stderr in_pod -- doctor.ts --can 'list'
  assert_output ''
  assert_stderr --partial 'error: --can "list": you must specify two arguments: verb resource or verb resource/resourceName.'
}
