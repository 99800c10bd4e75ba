#!/usr/bin/env bats
# can-i.ts and whoami.ts against kubectl auth can-i and kubectl auth whoami (kubectl 1.32), run in the
# same pod sandbox: each parity row must print the same stdout and stderr and exit alike, and then
# says what kubectl's answer must be, so that a row cannot pass with both tools broken alike.
# Identities: test/default (the view role in namespace test), default/default (no role of its own)
# and an admin (system:masters), given to both tools by one kubeconfig whose exec plugin reads the
# sandbox's admin token.
bats_require_minimum_version 1.5.0
# Tests of this file share state (a PKI, kubeconfig files): one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup() {
  load helpers/common
  load helpers/parity
  enter_pod_suite
}

SA_DIR=/var/run/secrets/kubernetes.io/serviceaccount
WEBHOOK_RULES_ERROR='webhook authorizer does not support user rule resolution'

# kubectl auth whoami ARGS and whoami.ts ARGS in one pod, compared as kubectl_parity compares them but
# for the one value that cannot match: kube-apiserver stamps each SelfSubjectReview with the second
# it made it (pkg/registry/authentication/selfsubjectreview/rest.go), so two requests can differ
# there. Both must carry such a stamp; then it is set aside. Leaves kubectl's stdout in $output.
whoami_parity() {
  local -a pod_flags=()
  while [[ $1 != -- ]]; do pod_flags+=("$1"); shift; done
  shift
  local stamp='"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"'
  # shellcheck disable=SC2016 # expanded in the pod
  run -0 --separate-stderr in_pod "${pod_flags[@]}" -- bash -c '
    dir=$1; shift
    kubectl auth whoami "$@" >"$dir/kubectl.out"; echo "kubectl exited $?"
    whoami.ts "$@" >"$dir/script.out"; echo "whoami.ts exited $?"' _ "$BATS_TEST_TMPDIR" "$@"
  assert_output $'kubectl exited 0\nwhoami.ts exited 0'
  assert_stderr '' # neither wrote to stderr
  local tool
  for tool in kubectl script; do
    assert_equal "$(grep -cE "creationTimestamp\"?: $stamp\$" "$BATS_TEST_TMPDIR/$tool.out")" 1
    sed -E -i "s/$stamp/\"STAMP\"/" "$BATS_TEST_TMPDIR/$tool.out"
  done
  run diff -u --label "kubectl auth whoami $*" --label "whoami.ts $*" "$BATS_TEST_TMPDIR/kubectl.out" "$BATS_TEST_TMPDIR/script.out"
  assert_success # else the diff is shown
  run -0 cat "$BATS_TEST_TMPDIR/kubectl.out"
}

# ---------------------------------------------------------------------------------------------
# can-i: one action

@test "can-i get pods as test/default answers yes like kubectl and exits 0" {
  kubectl_parity --service-account test/default -- auth can-i get pods
  assert_equal "$status" 0
  assert_output 'yes'
}

@test "can-i list secrets as default/default answers no like kubectl and exits 1" {
  kubectl_parity -- auth can-i list secrets
  assert_equal "$status" 1
  assert_output 'no'
  assert_stderr ''
}

@test "can-i with a short name and an object name resolves them like kubectl" {
  kubectl_parity --service-account test/default -- auth can-i get ds.apps/gateway
  assert_equal "$status" 0
  assert_output 'yes'
}

@test "can-i with --subresource asks for the subresource like kubectl" {
  kubectl_parity --service-account test/default -- auth can-i create pods --subresource=exec
  assert_equal "$status" 1
  assert_output 'no'
}

@test "can-i with a subresource the view role grants answers yes like kubectl" {
  kubectl_parity --service-account test/default -- auth can-i get po --subresource=log
  assert_equal "$status" 0
  assert_output 'yes'
}

@test "can-i on a non-resource URL asks about the path like kubectl" {
  kubectl_parity -- auth can-i get /healthz
  assert_equal "$status" 0
  assert_output 'yes'
}

@test "can-i -n asks about that namespace like kubectl" {
  kubectl_parity -- auth can-i list pods -n test
  assert_equal "$status" 1
  assert_output 'no'
}

@test "can-i -A asks about every namespace, where a RoleBinding does not reach, like kubectl" {
  kubectl_parity --service-account test/default -- auth can-i list pods -A
  assert_equal "$status" 1
  assert_output 'no'
}

@test "can-i -q prints nothing and answers with its exit code like kubectl" {
  kubectl_parity --service-account test/default -- auth can-i watch configmaps -q
  assert_equal "$status" 0
  assert_output ''
  assert_stderr ''
}

@test "can-i on an unknown resource type warns like kubectl, blank line included, and says no" {
  kubectl_parity -- auth can-i get foo
  assert_equal "$status" 1
  assert_output 'no'
  assert_stderr_line --index 0 "Warning: the server doesn't have a resource type 'foo'"
  assert_stderr_line --index 1 ''
}

@test "can-i on a cluster-scoped resource in a namespace warns like kubectl" {
  kubectl_parity --service-account test/default -- auth can-i list nodes
  assert_equal "$status" 1
  assert_line --index 0 'no'
  assert_stderr_line --index 0 "Warning: resource 'nodes' is not namespace scoped"
}

@test "can-i with a verb kubectl does not know warns like kubectl" {
  kubectl_parity --service-account test/default -- auth can-i frob deployments.apps
  assert_equal "$status" 1
  assert_stderr_line --index 0 "Warning: verb 'frob' is not a known verb"
}

@test "can-i as the admin answers yes to anything like kubectl" {
  kubeconfig=$(admin_kubeconfig)
  kubectl_parity -- auth can-i '*' '*' --kubeconfig "$kubeconfig"
  assert_equal "$status" 0
  assert_output 'yes'
}

# ---------------------------------------------------------------------------------------------
# can-i --list

@test "can-i --list as default/default prints kubectl's table" {
  kubectl_parity -- auth can-i --list
  assert_equal "$status" 0
  assert_line --index 0 --regexp '^Resources +Non-Resource URLs +Resource Names +Verbs$'
  assert_line --regexp '^selfsubjectaccessreviews\.authorization\.k8s\.io +\[\] +\[\] +\[create\]$'
  assert_line --regexp '^ +\[/healthz\] +\[\] +\[get\]$'
  refute_line --regexp '^pods '
}

@test "can-i --list as test/default prints the view role's rules sorted and compacted like kubectl" {
  kubectl_parity --service-account test/default -- auth can-i --list
  assert_equal "$status" 0
  assert_line --regexp '^pods +\[\] +\[\] +\[get list watch\]$'
  assert_line --regexp '^daemonsets\.apps/status +\[\] +\[\] +\[get list watch\]$'
}

@test "can-i --list --no-headers in another namespace prints the rows only, like kubectl" {
  kubectl_parity --service-account test/default -- auth can-i --list -n default --no-headers
  assert_equal "$status" 0
  refute_line --regexp '^Resources '
  refute_line --regexp '^pods '
  assert_line --index 0 --regexp '^selfsubjectreviews\.authentication\.k8s\.io +\[\] +\[\] +\[create\]$'
}

@test "can-i --list as the admin prints *.* first like kubectl" {
  kubeconfig=$(admin_kubeconfig)
  kubectl_parity -- auth can-i --list --kubeconfig "$kubeconfig"
  assert_equal "$status" 0
  assert_line --index 1 --regexp '^\*\.\* +\[\] +\[\] +\[\*\]$'
  assert_line --index 2 --regexp '^ +\[\*\] +\[\] +\[\*\]$'
}

# ---------------------------------------------------------------------------------------------
# whoami

@test "whoami as test/default prints kubectl's ATTRIBUTE table with every Extra" {
  kubectl_parity --service-account test/default -- auth whoami
  assert_equal "$status" 0
  assert_line --index 0 --regexp '^ATTRIBUTE +VALUE$'
  assert_line --index 1 --regexp '^Username +system:serviceaccount:test:default$'
  assert_line --regexp '^Groups +\[system:serviceaccounts system:serviceaccounts:test system:authenticated\]$'
  assert_line --regexp '^Extra: authentication\.kubernetes\.io/pod-name +\[kube-in-pod-sandbox\]$'
}

@test "whoami as default/default prints kubectl's table" {
  kubectl_parity -- auth whoami
  assert_equal "$status" 0
  assert_line --index 1 --regexp '^Username +system:serviceaccount:default:default$'
}

@test "whoami as the admin prints kubectl's table without UID or Extra" {
  kubeconfig=$(admin_kubeconfig)
  kubectl_parity -- auth whoami --kubeconfig "$kubeconfig"
  assert_equal "$status" 0
  assert_equal "${#lines[@]}" 3
  assert_line --index 2 --regexp '^Groups +\[system:masters system:authenticated\]$'
}

@test "whoami -o json as test/default prints kubectl's JSON, the server's timestamp aside" {
  whoami_parity --service-account test/default -- -o json
  assert_equal "$(jq -r .status.userInfo.username <<<"$output")" 'system:serviceaccount:test:default'
  assert_line --index 1 '    "kind": "SelfSubjectReview",'
}

@test "whoami -o json as the admin prints kubectl's JSON, the server's timestamp aside" {
  kubeconfig=$(admin_kubeconfig)
  whoami_parity -- -o json --kubeconfig "$kubeconfig"
  assert_equal "$(jq -c .status.userInfo <<<"$output")" '{"username":"kube-in-pod:admin","groups":["system:masters","system:authenticated"]}'
}

@test "whoami -o yaml as default/default prints kubectl's YAML, the server's timestamp aside" {
  whoami_parity -- -o yaml
  assert_line --index 0 'apiVersion: authentication.k8s.io/v1'
  assert_line '    username: system:serviceaccount:default:default'
}

@test "whoami -o yaml as the admin prints kubectl's YAML, the server's timestamp aside" {
  kubeconfig=$(admin_kubeconfig)
  whoami_parity -- -o yaml --kubeconfig "$kubeconfig"
  assert_line '    username: kube-in-pod:admin'
}

# ---------------------------------------------------------------------------------------------
# What kubectl does not show, or shows alike only in part

@test "can-i answers generated questions (verbs, short, kind-cased, group-qualified and unknown resources, names, flags) as kubectl does" {
  # test/fuzz/kubectl-parity.ts: each question through kubectl auth can-i and can-i.ts in one pod; the
  # same stdout, stderr and exit status, or for arguments kubectl refuses, its first line with exit 2.
  run -0 --separate-stderr in_pod --service-account test/default -- \
    node --import tsx test/fuzz/kubectl-parity.ts can-i --runs 30 --seed 20261202
  assert_output --regexp '^can-i parity: 30 inputs, seed 20261202, [0-9]+ refused as usage errors, 0 on which kubectl panicked, 0 differences$'
}

@test "can-i sends the same reviews as kubectl: the server reads the same question from both" {
  # kubectl sends protobuf; kubectl -v=9 logs the server's answer, which for an access review echoes
  # the spec the server decoded. The script's --print-curl is its request: run, its answer must echo
  # the same fields (the fake's protobuf decoder writes empty strings where JSON leaves fields out,
  # hence the filter). A rules review echoes no spec: its rules show which namespace was asked.
  # shellcheck disable=SC2016 # expanded in the pod
  run -0 --separate-stderr in_pod --service-account test/default -- bash -c '
    question="walk(if type == \"object\" then with_entries(select(.value != \"\")) else . end) | .spec // .status"
    for args in "get pods/web --subresource=log -n test" "create deployments.apps" "get /healthz" "--list -n test"; do
      [[ $args == --list* ]] && question=".status"
      kubectl auth can-i $args -v=9 2>&1 | grep -E "^\s\{\"kind\":\"SelfSubject(Access|Rules)Review\"" | jq -cS "$question"
      eval "$(can-i.ts $args --print-curl 2>/dev/null)" | jq -cS "$question"
    done'
  assert_equal "${#lines[@]}" 8
  for i in 0 2 4 6; do assert_equal "${lines[i + 1]}" "${lines[i]}"; done
  assert_line --index 0 '{"resourceAttributes":{"name":"web","namespace":"test","resource":"pods","subresource":"log","verb":"get"}}'
  assert_line --index 2 '{"resourceAttributes":{"group":"apps","namespace":"test","resource":"deployments","verb":"create"}}'
  assert_line --index 4 '{"nonResourceAttributes":{"path":"/healthz","verb":"get"}}'
  assert_line --index 6 --partial ',"pods/log",'
}

@test "can-i when the review itself is forbidden exits 7 with nothing on stdout, as kubectl prints nothing there" {
  # Without the system:basic-user binding (an admin may remove it), nobody may create reviews.
  # shellcheck disable=SC2016 # expanded in the pod
  run -7 --separate-stderr in_pod -- bash -c '
    kubectl delete clusterrolebinding system:basic-user --kubeconfig "$1" >/dev/null || exit 100
    kubectl auth can-i get pods >&2 && exit 101
    exec can-i.ts get pods' _ "$(admin_kubeconfig)"
  assert_output ''
  assert_stderr --partial 'Error from server (Forbidden): selfsubjectaccessreviews.authorization.k8s.io is forbidden'
  assert_stderr --regexp "$(in_order 'error: POST https://' '403 Forbidden' 'cannot create resource "selfsubjectaccessreviews"')"
}

@test "whoami when the review is forbidden prints kubectl's error, then the token's own claims marked unverified, and exits 7" {
  # The claims decoded from the token must equal what the server said before the binding went.
  # shellcheck disable=SC2016 # expanded in the pod
  run -7 --separate-stderr in_pod --service-account test/default -- bash -c '
    kubectl auth whoami >"$2/verified" || exit 100
    kubectl delete clusterrolebinding system:basic-user --kubeconfig "$1" >/dev/null || exit 101
    kubectl auth whoami 2>"$2/kubectl.err" && exit 102
    exec whoami.ts' _ "$(admin_kubeconfig)" "$BATS_TEST_TMPDIR"
  assert_output "$(<"$BATS_TEST_TMPDIR/verified")"
  assert_line --index 1 --regexp '^Username +system:serviceaccount:test:default$'
  assert_stderr_line --index 0 "$(<"$BATS_TEST_TMPDIR/kubectl.err")"
  assert_stderr_line --index 0 'error: the selfsubjectreviews API is not enabled in the cluster or you do not have permission to call it'
  assert_stderr --regexp "$(in_order 'system:basic-user' 'NOT VERIFIED by the API server' "token from file $SA_DIR/token")"
}

@test "whoami -o json when the review is forbidden prints the unverified claims in kubectl's JSON shape" {
  # shellcheck disable=SC2016 # expanded in the pod
  run -7 --separate-stderr in_pod -- bash -c '
    kubectl delete clusterrolebinding system:basic-user --kubeconfig "$1" >/dev/null || exit 100
    exec whoami.ts -o json' _ "$(admin_kubeconfig)"
  assert_equal "$(jq -r .status.userInfo.username <<<"$output")" 'system:serviceaccount:default:default'
  assert_stderr --partial 'NOT VERIFIED by the API server'
}

# ---------------------------------------------------------------------------------------------
# An incomplete rules review (written last: the fake's --rules-review-incomplete flag)

@test "can-i --list on an incomplete rules review warns and still prints the rules, like kubectl" {
  kubectl_parity --service-account test/default --server-arg=--rules-review-incomplete --server-arg="$WEBHOOK_RULES_ERROR" \
    -- auth can-i --list
  assert_equal "$status" 0
  assert_stderr "Warning: the list may be incomplete: $WEBHOOK_RULES_ERROR"
  assert_line --index 0 --regexp '^Resources +Non-Resource URLs +Resource Names +Verbs$'
  assert_line --regexp '^pods +\[\] +\[\] +\[get list watch\]$'
}
