#!/usr/bin/env bats
# get.ts against kubectl get (kubectl 1.32), run in the same pod sandbox: each parity row must print
# the same stdout and stderr and exit alike (kubectl_parity, test/helpers/parity.bash), and then says
# what kubectl's answer must be, so that a row cannot pass with both tools broken alike.
# Identities: test/default (the view role in namespace test), default/default (no role of its own)
# and an admin (system:masters), given to both tools by one kubeconfig whose exec plugin reads the
# sandbox's admin token. AGE columns are compared as they are: the rows chosen are objects of the
# state files, whose creationTimestamps are fixed (fixtures/cluster/README.md), never objects made
# seconds before (the sandbox's own Pod), whose age would tick between the two runs.
bats_require_minimum_version 1.5.0
# Tests of this file share state (a PKI, kubeconfig files): one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup() {
  load helpers/common
  load helpers/parity
  enter_pod_suite
}

# The default state plus one ConfigMap whose values need every YAML string style (plain, 'single',
# "double" with escapes, | literal blocks with their chomping, folding past 80 columns), dated like
# the rest of the state. Prints the state directory.
tricky_state() {
  local state=$BATS_TEST_TMPDIR/state
  mkdir -p "$state"
  cp "$REPO_ROOT"/fixtures/cluster/*.yaml "$state/"
  cat >"$state/90-tricky.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: tricky
  namespace: default
  creationTimestamp: "2018-06-01T08:00:00Z"
  labels: {a10: x, a9: y, A: z, b-1: "1"}
  annotations:
    long: This is a long annotation value that certainly goes past the eighty column limit of the emitter so it folds somewhere
    nospace: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
data: {"empty": "", "true": "true", "on": "On", "int": "42", "octal": "0755", "float": "1.5", "time": "2018-06-25T11:24:41Z",
  "base60": "10:30", "colon": "a: b", "hash": "a #b", "dash": "- a", "lead": " lead", "trail": "trail ", "quote": "it's",
  "tab": "a\tb", "star": "*x", "multi": "line1\nline2\n", "nofinal": "line1\nline2", "two": "a\n\n", "leadsp": "  x\ny",
  "unicode": "héllo ✓", "ctrl": "a\u0001b", "plus": "+", "ver": "1.2.3"}
EOF
  printf '%s\n' "$state"
}

# ---------------------------------------------------------------------------------------------
# Tables: the server's columns, laid out as kubectl lays them out

@test "get pods with a label selector prints kubectl's pod table" {
  kubectl_parity --service-account test/default -- get pods -n test -l name=gateway
  assert_line --index 0 --regexp '^NAME +READY +STATUS +RESTARTS +AGE$'
  # The ages grow with the date (fixtures/cluster/50-test.yaml: created 2018-06-25, last restart 2026-11-01).
  assert_line --index 2 --regexp '^gateway-m4wzt +0/1 +CrashLoopBackOff +4 \([0-9yd]+ ago\) +[0-9]+y$'
}

@test "get daemonsets prints kubectl's daemonset table" {
  kubectl_parity --service-account test/default -- get daemonsets -n test
  assert_output 'NAME      DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE
gateway   20        20        19      1            19          <none>          8y'
}

@test "get ds NAME -o wide adds the priority columns" {
  kubectl_parity --service-account test/default -- get ds gateway -n test -o wide
  assert_line --index 0 --regexp 'AGE +CONTAINERS +IMAGES +SELECTOR$'
  assert_line --index 1 --regexp ' gateway +172\.30\.10\.185:15000/common/ubuntu:14\.04 +name=gateway$'
}

@test "get nodes as the admin prints the node table" {
  kubectl_parity -- get nodes --kubeconfig "$(admin_kubeconfig)"
  assert_line --index 0 --regexp '^NAME +STATUS +ROLES +AGE +VERSION$'
  assert_line --index 1 --regexp '^node-1 +Ready +control-plane +8y +v1\.32\.4$'
}

@test "get namespaces --show-labels adds the LABELS column" {
  kubectl_parity -- get namespaces --show-labels --kubeconfig "$(admin_kubeconfig)"
  assert_line --index 0 --regexp '^NAME +STATUS +AGE +LABELS$'
  assert_line --index 5 --regexp '^test +Active +8y +kubernetes\.io/metadata\.name=test$'
}

@test "get configmaps -A puts the NAMESPACE column first" {
  kubectl_parity -- get configmaps -A --kubeconfig "$(admin_kubeconfig)"
  assert_line --index 0 --regexp '^NAMESPACE +NAME +DATA +AGE$'
  assert_line --index 5 --regexp '^test +kube-root-ca\.crt +1 +8y$'
}

@test "get services -A -o wide prints every namespace's services with the selector column" {
  kubectl_parity -- get services -A -o wide --kubeconfig "$(admin_kubeconfig)"
  assert_line --index 0 --regexp '^NAMESPACE +NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE +SELECTOR$'
  assert_line --index 2 --regexp '^kube-system +kube-dns +ClusterIP +10\.96\.0\.10 +<none> +53/UDP,53/TCP,9153/TCP +8y +k8s-app=kube-dns$'
}

@test "get serviceaccounts --no-headers prints the rows only" {
  kubectl_parity -- get serviceaccounts -n kube-system --no-headers --kubeconfig "$(admin_kubeconfig)"
  assert_output 'coredns   0     8y
default   0     8y'
}

@test "get roles -A prints the default table of name and creation time" {
  kubectl_parity -- get roles -A --kubeconfig "$(admin_kubeconfig)"
  assert_output 'NAMESPACE   NAME         CREATED AT
test        pod-reader   2018-06-25T11:20:00Z'
}

@test "get configmaps in a namespace without any says so on stderr as kubectl does" {
  kubectl_parity -- get configmaps -n nowhere --kubeconfig "$(admin_kubeconfig)"
  assert_output ''
  assert_stderr 'No resources found in nowhere namespace.'
  assert_equal "$status" 0
}

# ---------------------------------------------------------------------------------------------
# Selectors and the other output formats

@test "get pods --field-selector -o name prints kind/name lines" {
  kubectl_parity --service-account test/default -- get pods -n test --field-selector status.phase=Running,spec.nodeName=node-3 -o name
  assert_output 'pod/gateway-m4wzt'
}

@test "get pods -o json prints kubectl's List with sorted keys and four-space indents" {
  kubectl_parity --service-account test/default -- get pods -n test -l name=gateway -o json
  assert_line --index 0 '{'
  assert_line --index 1 '    "apiVersion": "v1",'
  assert_line --index 2 '    "items": ['
  assert_equal "$(jq -r '[.kind, (.items | length), .metadata.resourceVersion] | join(" ")' <<<"$output")" 'List 2 '
}

@test "get daemonset.apps NAME -o yaml prints the object as kubectl's yaml" {
  kubectl_parity -- get daemonset.apps gateway -n test -o yaml --kubeconfig "$(admin_kubeconfig)"
  assert_line --index 0 'apiVersion: apps/v1'
  assert_line '    kubectl.kubernetes.io/last-applied-configuration: |'
}

@test "get configmap -o yaml quotes, folds and blocks strings as kubectl does" {
  kubectl_parity --state "$(tricky_state)" -- get configmap tricky -n default -o yaml --kubeconfig "$(admin_kubeconfig)"
  assert_line '  "true": "true"'
  assert_line "  lead: ' lead'"
  assert_line '  nofinal: |-'
  assert_line '    long: This is a long annotation value that certainly goes past the eighty column'
}

@test "get configmaps -A -o name in pages of one follows continue to the end" {
  kubectl_parity -- get configmaps -A -o name --chunk-size 1 --kubeconfig "$(admin_kubeconfig)"
  assert_equal "${#lines[@]}" 5
  assert_line --index 0 'configmap/kube-root-ca.crt'
}

# ---------------------------------------------------------------------------------------------
# -o jsonpath

@test "jsonpath prints the fields of every item separated by spaces" {
  kubectl_parity --service-account test/default -- get pods -n test -l name=gateway -o 'jsonpath={.items[*].metadata.name}'
  assert_output 'gateway-7xk2q gateway-m4wzt'
}

@test "jsonpath range prints a line per item" {
  kubectl_parity --service-account test/default -- get pods -n test -l name=gateway \
    -o 'jsonpath={range .items[*]}{.metadata.name}{"\t"}{.status.containerStatuses[0].restartCount}{"\n"}{end}'
  assert_output "$(printf 'gateway-7xk2q\t0\ngateway-m4wzt\t4')"
}

@test "jsonpath filters compare a field with a quoted value" {
  kubectl_parity -- get nodes -o 'jsonpath={.items[*].status.addresses[?(@.type=="InternalIP")].address}' --kubeconfig "$(admin_kubeconfig)"
  assert_output '172.18.0.2 172.18.0.3 172.18.0.4'
}

@test "jsonpath takes negative indexes, slices and whole objects as compact JSON" {
  kubectl_parity --service-account test/default -- get pods -n test -l name=gateway \
    -o 'jsonpath={.items[-1:].metadata.name} {.items[0].spec.containers[0].resources}'
  assert_output 'gateway-m4wzt {"limits":{"memory":"200Mi"},"requests":{"cpu":"100m","memory":"200Mi"}}'
}

@test "jsonpath on one object descends recursively" {
  kubectl_parity --service-account test/default -- get ds gateway -n test -o 'jsonpath={..image}'
  assert_output '172.30.10.185:15000/common/ubuntu:14.04'
}

@test "jsonpath that does not parse is kubectl's error" {
  kubectl_parity --service-account test/default -- get ds gateway -n test -o 'jsonpath={.spec'
  assert_stderr 'error: error parsing jsonpath {.spec, unclosed action'
  assert_equal "$status" 1
}

@test "jsonpath templates generated from kubectl's dialect and stray characters print as kubectl prints them" {
  # test/fuzz/kubectl-parity.ts: fast-check templates, each through kubectl and get.ts in one pod;
  # stdout, stderr and exit status must match (where kubectl 1.32 panics, get.ts must not).
  run -0 --separate-stderr in_pod --service-account test/default -- \
    node --import tsx test/fuzz/kubectl-parity.ts jsonpath --runs 30 --seed 20261202
  assert_output --regexp '^jsonpath parity: 30 inputs, seed 20261202, [0-9]+ refused as usage errors, [0-9]+ on which kubectl panicked, 0 differences$'
}

# ---------------------------------------------------------------------------------------------
# Errors

@test "get of a missing object is kubectl's NotFound" {
  kubectl_parity --service-account test/default -- get pods nope -n test
  assert_output ''
  assert_stderr 'Error from server (NotFound): pods "nope" not found'
  assert_equal "$status" 1
}

@test "get of several names prints the found ones and the NotFound of the others" {
  kubectl_parity --service-account test/default -- get pods gateway-7xk2q nope -n test -o name
  assert_output 'pod/gateway-7xk2q'
  assert_stderr 'Error from server (NotFound): pods "nope" not found'
  assert_equal "$status" 1
}

@test "a list RBAC forbids is kubectl's Forbidden, in the pod's namespace by default" {
  kubectl_parity -- get configmaps
  assert_output ''
  assert_stderr 'Error from server (Forbidden): configmaps is forbidden: User "system:serviceaccount:default:default" cannot list resource "configmaps" in API group "" in the namespace "default"'
  assert_equal "$status" 1
}

@test "a forbidden cluster-scoped list with -o json still prints kubectl's empty List" {
  kubectl_parity --service-account test/default -- get nodes -o json
  assert_equal "$(jq -c . <<<"$output")" '{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}'
  assert_stderr --partial 'Error from server (Forbidden): nodes is forbidden: User "system:serviceaccount:test:default" cannot list resource "nodes"'
}

@test "an unknown resource type is kubectl's error" {
  kubectl_parity --service-account test/default -- get x
  assert_stderr "error: the server doesn't have a resource type \"x\""
  assert_equal "$status" 1
}

# ---------------------------------------------------------------------------------------------
# RESOURCE as kubectl resolves it

@test "a short name resolves as kubectl resolves it" {
  kubectl_parity --service-account test/default -- get po -n test -l name=gateway -o name
  assert_output 'pod/gateway-7xk2q
pod/gateway-m4wzt'
}

@test "a singular name resolves as kubectl resolves it" {
  kubectl_parity --service-account test/default -- get pod gateway-7xk2q -n test
  assert_line --index 1 --regexp '^gateway-7xk2q +1/1 +Running +0 +8y$'
}

@test "a kind resolves as kubectl resolves it" {
  kubectl_parity --service-account test/default -- get DaemonSet -n test -o name
  assert_output 'daemonset.apps/gateway'
}

@test "resource.group resolves as kubectl resolves it" {
  kubectl_parity --service-account test/default -- get daemonsets.apps -n test -o name
  assert_output 'daemonset.apps/gateway'
}

@test "resource.version.group resolves as kubectl resolves it" {
  kubectl_parity --service-account test/default -- get daemonsets.v1.apps gateway -n test -o 'jsonpath={.kind}'
  assert_output 'DaemonSet'
}

@test "a resource.version.group the server does not serve is an unknown type" {
  kubectl_parity --service-account test/default -- get daemonsets.v9.apps -n test
  assert_stderr "error: the server doesn't have a resource type \"daemonsets\""
}

# ---------------------------------------------------------------------------------------------
# get -w

# Shell functions for bash -c inside a pod:
#   admin METHOD PATH [JSON] [CONTENT-TYPE]  a request as cluster-admin (the sandbox's test-only credentials)
#   wait_for FILE PATTERN SECONDS          wait until FILE has a line matching PATTERN; 1 on timeout
#   wait_lines FILE N SECONDS              wait until FILE has N lines; 1 on timeout
IN_POD_FUNCTIONS='
admin() {
  curl -sf -o /dev/null --cacert "$KUBE_IN_POD_CA_FILE" -H "Authorization: Bearer $(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")" \
    -X "$1" -H "Content-Type: ${4:-application/json}" ${3:+--data "$3"} "https://kubernetes.default.svc$2"
}
wait_for() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for $2 in $1" >&2; return 1
}
wait_lines() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0; sleep 0.1; done
  echo "timed out waiting for $2 lines in $1" >&2; return 1
}
'

@test "get -w sees a create, an update and a delete once each, across token rotation, server-closed watches and a dropped connection, as kubectl -w does" {
  # Tokens live 2 s (no leeway) and rotate every second; the server ends each of get.ts's watches after
  # 1 s; once the object exists, the next request get.ts makes is dropped without an answer.
  run -0 --separate-stderr in_pod --service-account test/default --token-ttl 2 --rotate-every 1 \
    --server-arg --token-leeway --server-arg 0 --server-arg --faults --server-arg "$BATS_TEST_TMPDIR/faults.yaml" -- bash -c "$IN_POD_FUNCTIONS"'
    dir=$1 template=$2 cm=/api/v1/namespaces/test/configmaps
    : >"$dir/faults.yaml"
    get.ts configmaps -n test -w --watch-timeout 1 -o "jsonpath=$template" --verbose >"$dir/get.out" 2>"$dir/get.err" &
    get=$!
    kubectl get configmaps -n test -w -o "jsonpath=$template" >"$dir/kubectl.out" 2>"$dir/kubectl.err" &
    kubectl=$!
    wait_lines "$dir/get.out" 1 60 && wait_lines "$dir/kubectl.out" 1 60 || exit 1
    admin POST "$cm" "{\"metadata\":{\"name\":\"one\"},\"data\":{\"v\":\"1\"}}"
    wait_lines "$dir/get.out" 2 60 && wait_lines "$dir/kubectl.out" 2 60 || exit 1
    # The first token has expired by now: get.ts must have re-read the file after a 401.
    wait_for "$dir/get.err" "^\* 401: the credential changed" 60 || exit 1
    printf "%s\n" "- path: ^$cm\$" "  drop: true" "  times: 1" >"$dir/faults.yaml"
    wait_for "$dir/get.err" "^\* UND_ERR_SOCKET: retrying\|^\* ECONNRESET: retrying" 60 || exit 1
    admin PATCH "$cm/one" "{\"data\":{\"v\":\"2\"}}" application/merge-patch+json
    wait_lines "$dir/get.out" 3 60 && wait_lines "$dir/kubectl.out" 3 60 || exit 1
    admin DELETE "$cm/one"
    wait_lines "$dir/get.out" 4 60 && wait_lines "$dir/kubectl.out" 4 60 || exit 1
    sleep 2 # time for a late duplicate to show
    kill "$get" "$kubectl"
    cmp "$dir/kubectl.out" "$dir/get.out" || exit 1
    cat "$dir/get.out"; cat "$dir/get.err" >&2' _ "$BATS_TEST_TMPDIR" '{.metadata.name}:{.data.v}{"\n"}'
  assert_output 'kube-root-ca.crt:
one:1
one:2
one:2'
  assert_stderr --regexp "$(in_order '* stream ended by the server after 1' '* watch: reconnecting from resourceVersion ')"
  refute_stderr --partial eyJ # no service-account token (a JWT) anywhere in the trace
}

@test "get -w prints each change as a row of kubectl's table under the list's header" {
  # Labels added to a namespace of the state: its AGE is fixed, so the rows compare as they are.
  run -0 --separate-stderr in_pod -- bash -c "$IN_POD_FUNCTIONS"'
    dir=$1 kubeconfig=$2
    get.ts namespaces --show-labels -w --watch-timeout 1 --kubeconfig "$kubeconfig" >"$dir/get.out" 2>"$dir/get.err" &
    get=$!
    kubectl get namespaces --show-labels -w --kubeconfig "$kubeconfig" >"$dir/kubectl.out" 2>"$dir/kubectl.err" &
    kubectl=$!
    wait_lines "$dir/get.out" 6 60 && wait_lines "$dir/kubectl.out" 6 60 || exit 1
    admin PATCH /api/v1/namespaces/test "{\"metadata\":{\"labels\":{\"team\":\"blue\"}}}" application/merge-patch+json
    sleep 1.5 # past a reconnect of get.ts
    admin PATCH /api/v1/namespaces/test "{\"metadata\":{\"labels\":{\"a-much-longer-label-key\":\"that-widens-the-column\"}}}" application/merge-patch+json
    wait_lines "$dir/get.out" 8 60 && wait_lines "$dir/kubectl.out" 8 60 || exit 1
    sleep 1
    kill "$get" "$kubectl"
    cmp "$dir/kubectl.out" "$dir/get.out" || { diff "$dir/kubectl.out" "$dir/get.out" >&2; exit 1; }
    cat "$dir/get.out"' _ "$BATS_TEST_TMPDIR" "$(admin_kubeconfig)"
  assert_line --index 0 --regexp '^NAME +STATUS +AGE +LABELS$'
  assert_line --index 6 --regexp '^test +Active +8y +kubernetes\.io/metadata\.name=test,team=blue$'
  assert_line --index 7 --regexp '^test +Active +8y +a-much-longer-label-key=that-widens-the-column,kubernetes\.io/metadata\.name=test,team=blue$'
}

@test "get -w --timeout stops watching with exit 0 and get.ts flags it does not know are usage errors" {
  run -0 --separate-stderr in_pod --service-account test/default -- get.ts ds -n test -o name -w --timeout 2
  assert_output 'daemonset.apps/gateway'
  run -2 --separate-stderr scripts/get.ts pods --timeout 2
  assert_stderr --regexp "^$(in_order 'error: --timeout only applies with --watch or --watch-only')"
  run -2 --separate-stderr scripts/get.ts pods -o xml
  assert_stderr --regexp "^$(in_order 'error: unable to match a printer suitable for the output format "xml"')"
}

@test "get lists again from the start when its continue token expires, says so, and prints every object once" {
  # The first two list requests wait 20 s; between them 1001 writes push the first page's
  # resourceVersion out of the server's window, so the second page is 410 Expired.
  printf '%s\n' '- path: ^/api/v1/configmaps$' '  delayMs: 20000' '  times: 2' >"$BATS_TEST_TMPDIR/faults.yaml"
  run -0 --separate-stderr in_pod --server-arg --extra-configmaps --server-arg 45 \
    --server-arg --faults --server-arg "$BATS_TEST_TMPDIR/faults.yaml" -- bash -c "$IN_POD_FUNCTIONS"'
    dir=$1 kubeconfig=$2
    get.ts configmaps -A -o name --chunk-size 10 --kubeconfig "$kubeconfig" >"$dir/get.out" 2>"$dir/get.err" &
    get=$!
    wait_lines "$dir/get.out" 10 60 || exit 1
    NODE_EXTRA_CA_CERTS=$KUBE_IN_POD_CA_FILE node -e "
      const token = require(\"node:fs\").readFileSync(process.env.KUBE_IN_POD_ADMIN_TOKEN_FILE, \"utf8\").trim();
      (async () => {
        for (let i = 0; i < 1001; i++) {
          const response = await fetch(\"https://kubernetes.default.svc/api/v1/namespaces/test/configmaps/kube-root-ca.crt\", {
            method: \"PATCH\", body: JSON.stringify({ metadata: { labels: { n: String(i) } } }),
            headers: { authorization: \"Bearer \" + token, \"content-type\": \"application/merge-patch+json\" } });
          await response.arrayBuffer();
        }
      })();" || exit 1
    wait "$get" || exit 1
    kubectl get configmaps -A -o name --kubeconfig "$kubeconfig" >"$dir/kubectl.out" || exit 1
    cmp "$dir/kubectl.out" "$dir/get.out" || exit 1
    cat "$dir/get.out"; cat "$dir/get.err" >&2' _ "$BATS_TEST_TMPDIR" "$(admin_kubeconfig)"
  # 50 lines in kubectl's order (cmp above): the first 10 once, then the other 40 from the new list.
  assert_equal "${#lines[@]}" 50
  assert_equal "$(grep -c '^configmap/extra-' <<<"$output")" 45
  assert_stderr 'warning: the list changed too much while it was read (410: its continue token expired after 10 objects); listing again from the start and leaving out the objects already printed'
}
