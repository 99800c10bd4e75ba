#!/usr/bin/env bats
# serviceaccount.ts inside the pod sandbox: what the mounted token says about itself, the server's
# view of who we are, and the exit code when no token is mounted.
bats_require_minimum_version 1.5.0

setup() {
  load helpers/common
  load helpers/recipe
  enter_pod_suite
}

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
