#!/usr/bin/env bats
# The manifests in deploy/, applied with kubectl to the fake cluster inside the pod sandbox (as the
# cluster admin, through the test-only $KUBE_IN_POD_ADMIN_TOKEN_FILE), then used: the bundles are read
# back out of their ConfigMaps and run as the Pods would run them, under the service accounts the
# manifests create. kubectl apply runs with --validate=false: the fake serves no OpenAPI documents
# (fixtures/README.md), which kubectl's client-side validation downloads first.
bats_require_minimum_version 1.5.0
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

# ValidateConfigMap (pkg/apis/core/validation/validation.go): the keys' data together at most
# core.MaxSecretSize, 1 MiB.
CONFIGMAP_LIMIT=1048576

setup_file() {
  load helpers/common
  export BUNDLES
  BUNDLES=$(tool_bundles)
}

setup() {
  load helpers/common
  enter_pod_suite
}

# In the pod: kubectl as the cluster admin (the test-only token), and the ConfigMaps the manifests mount.
admin_script() {
  cat <<'EOF'
admin() {
  kubectl --server=https://kubernetes.default.svc --certificate-authority="$KUBE_IN_POD_CA_FILE" \
    --token="$(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")" -n test "$@"
}
# `kubectl create configmap` alone sends protobuf, which the fake decodes for some kinds only; made
# on the client and created from JSON, the object is the same.
configmap() { admin create configmap "$1" --from-file="$2" --dry-run=client -o json | admin create --validate=false -f - >/dev/null; }
configmap kube-in-pod kube-in-pod.mjs="$BUNDLES/kube-in-pod.mjs"
configmap kube-in-pod-proxy proxy.mjs="$BUNDLES/proxy.mjs"
# What a container finds at the ConfigMap's mount path.
mounted() { admin get configmap "$1" -o json | jq -j --arg key "$2" '.data[$key]'; }
# app_pod NAME: a Pod as the ServiceAccount admission plugin leaves it, the projected service-account
# volume kube-api-access-<random> mounted at the standard path in its container.
app_pod() {
  jq -n --arg name "$1" '{apiVersion: "v1", kind: "Pod", metadata: {name: $name}, spec: {serviceAccountName: "default",
    containers: [{name: "app", image: "node:20-alpine", volumeMounts: [{name: "kube-api-access-8x2lq",
      mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true}]}],
    volumes: [{name: "kube-api-access-8x2lq", projected: {defaultMode: 420, sources: [
      {serviceAccountToken: {expirationSeconds: 3607, path: "token"}},
      {configMap: {name: "kube-root-ca.crt", items: [{key: "ca.crt", path: "ca.crt"}]}},
      {downwardAPI: {items: [{path: "namespace", fieldRef: {apiVersion: "v1", fieldPath: "metadata.namespace"}}]}}]}}]}}' |
    admin create --validate=false -f - >/dev/null
}
EOF
}

@test "the bundles in their ConfigMaps stay under the 1 MiB ConfigMap limit and come back byte for byte" {
  run -0 in_pod -- bash -c "$(admin_script)"'
    for pair in kube-in-pod:kube-in-pod.mjs kube-in-pod-proxy:proxy.mjs; do
      name=${pair%%:*} key=${pair#*:}
      mounted "$name" "$key" >"$BATS_TEST_TMPDIR/$key"
      cmp "$BATS_TEST_TMPDIR/$key" "$BUNDLES/$key" && echo "$name: same bytes"
      admin get configmap "$name" -o json | jq "[.data[], (.binaryData // {})[]] | map(utf8bytelength) | add"
    done'
  assert_line --index 0 'kube-in-pod: same bytes'
  assert_line --index 2 'kube-in-pod-proxy: same bytes'
  local size
  for size in "${lines[1]}" "${lines[3]}"; do
    ((size > 100000 && size <= CONFIGMAP_LIMIT)) || fail "a bundle ConfigMap holds $size bytes; the limit is $CONFIGMAP_LIMIT"
  done
}

@test "the debug pod manifest applies, and its service account may get daemonsets and ask doctor's reviews, nothing more" {
  run -0 --separate-stderr in_pod --service-account test/kube-in-pod-debug -- bash -c "$(admin_script)"'
    admin apply --validate=false -f deploy/debug-pod.yaml
    admin apply --validate=false -f deploy/debug-pod.yaml
    # What the pod may do, asked as the pod (its own token, in-cluster).
    kubectl auth can-i --list -n test | grep -v "^ *\[" | sort
    for question in "get daemonsets -n test" "list daemonsets -n test" "watch daemonsets -n test" "get pods -n test" \
      "get secrets -n test" "get daemonsets -n default"; do
      echo "$question: $(kubectl auth can-i $question 2>/dev/null || true)"
    done'
  # The sandbox made the pod's ServiceAccount when it started (as a cluster would have it before the pod).
  assert_output "serviceaccount/kube-in-pod-debug configured
role.rbac.authorization.k8s.io/kube-in-pod-debug created
rolebinding.rbac.authorization.k8s.io/kube-in-pod-debug created
pod/kube-in-pod-debug created
serviceaccount/kube-in-pod-debug unchanged
role.rbac.authorization.k8s.io/kube-in-pod-debug unchanged
rolebinding.rbac.authorization.k8s.io/kube-in-pod-debug unchanged
pod/kube-in-pod-debug unchanged
Resources                                       Non-Resource URLs   Resource Names   Verbs
daemonsets.apps                                 []                  []               [get]
selfsubjectaccessreviews.authorization.k8s.io   []                  []               [create]
selfsubjectreviews.authentication.k8s.io        []                  []               [create]
selfsubjectrulesreviews.authorization.k8s.io    []                  []               [create]
get daemonsets -n test: yes
list daemonsets -n test: no
watch daemonsets -n test: no
get pods -n test: no
get secrets -n test: no
get daemonsets -n default: no"
}

@test "the debug pod's command runs doctor from its ConfigMap, and the bundle reads the gateway DaemonSet as the pod" {
  run -0 --separate-stderr in_pod --service-account test/kube-in-pod-debug -- bash -c "$(admin_script)"'
    admin apply --validate=false -f deploy/debug-pod.yaml >/dev/null
    mkdir -p "$BATS_TEST_TMPDIR/opt/kube-in-pod"
    mounted kube-in-pod kube-in-pod.mjs >"$BATS_TEST_TMPDIR/opt/kube-in-pod/kube-in-pod.mjs"
    # The container command of deploy/debug-pod.yaml up to its sleep, with the mount path under the test directory.
    command=$(admin get pod kube-in-pod-debug -o jsonpath="{.spec.containers[0].args[0]}")
    echo "command: $command"
    run=${command%%;*}
    sh -c "${run//\/opt\//$BATS_TEST_TMPDIR/opt/}"
    node "$BATS_TEST_TMPDIR/opt/kube-in-pod/kube-in-pod.mjs" get-daemonset gateway -n test -o status | head -n 2'
  assert_line --index 0 'command: node /opt/kube-in-pod/kube-in-pod.mjs doctor; exec sleep 3600'
  assert_output --regexp "$(in_order '✓ token        system:serviceaccount:test:kube-in-pod-debug' 'checks:' 'passed, 0 warned, 0 failed')"
  assert_line --regexp '^NAME +DESIRED +CURRENT +READY'
  assert_line --regexp '^gateway +[0-9]+ +[0-9]+'
}

@test "the sidecar pod manifest applies, and its ambassador, run from its ConfigMap as its service account, serves what the Role grants" {
  run -0 --separate-stderr in_pod --service-account test/kube-api-ambassador -- bash -c "$(admin_script)"'
    admin apply --validate=false -f deploy/sidecar-pod.yaml
    mounted kube-in-pod-proxy proxy.mjs >"$BATS_TEST_TMPDIR/proxy.mjs"
    command=$(admin get pod pod-with-kubeapi -o jsonpath="{.spec.initContainers[0].command[*]}")
    echo "command: $command"
    node "$BATS_TEST_TMPDIR/proxy.mjs" --quiet 2>"$BATS_TEST_TMPDIR/proxy.err" &
    proxy=$!
    curl -s --retry 20 --retry-connrefused --retry-delay 1 -o /dev/null localhost:8001/.kube-in-pod/healthz
    SA=/var/run/secrets/kubernetes.io/serviceaccount
    direct() { curl -s --cacert $SA/ca.crt -H "Authorization: Bearer $(cat $SA/token)" "https://kubernetes.default.svc$1"; }
    for path in /apis/batch/v1 /apis/batch/v1/namespaces/test/cronjobs /api/v1/namespaces/test/pods; do
      cmp <(curl -s "localhost:8001$path") <(direct "$path") >/dev/null && echo "$path: same as the direct call, HTTP $(curl -s -o /dev/null -w "%{http_code}" "localhost:8001$path")"
    done
    kill $proxy; wait $proxy'
  assert_output "serviceaccount/kube-api-ambassador configured
role.rbac.authorization.k8s.io/batch-reader created
rolebinding.rbac.authorization.k8s.io/kube-api-ambassador-batch-reader created
pod/pod-with-kubeapi created
command: node /opt/kube-in-pod/proxy.mjs
Starting to serve on 127.0.0.1:8001
/apis/batch/v1: same as the direct call, HTTP 200
/apis/batch/v1/namespaces/test/cronjobs: same as the direct call, HTTP 200
/api/v1/namespaces/test/pods: same as the direct call, HTTP 403"
}

@test "the no-token manifest applies with automountServiceAccountToken false on the pod and its service account" {
  run -0 --separate-stderr in_pod -- bash -c "$(admin_script)"'
    admin apply --validate=false -f deploy/no-token-pod.yaml
    admin get serviceaccount no-api-access -o jsonpath="{.automountServiceAccountToken}{\"\n\"}"
    admin get pod no-api-access -o jsonpath="{.spec.automountServiceAccountToken} {.spec.serviceAccountName}{\"\n\"}"'
  assert_output 'serviceaccount/no-api-access created
pod/no-api-access created
false
false no-api-access'
  # Such a pod has no token at the standard path; doctor, run in it, names the field.
  run -3 --separate-stderr in_pod --no-automount -- node "$BUNDLES/kube-in-pod.mjs" doctor
  assert_output --partial 'kubelet mounted no token: automountServiceAccountToken: false on the Pod or its ServiceAccount'
}

# ---- kubectl debug (docs/debug-containers.md) ------------------------------------------------------


@test "kubectl debug accepts deploy/debug-container.yaml with the pod's service-account volume, and the API server refuses another name" {
  run -0 --separate-stderr in_pod -- bash -c "$(admin_script)"'
    app_pod app
    # The recipe of docs/debug-containers.md, step by step.
    VOLUME=$(admin get pod app -o jsonpath="{.spec.containers[?(@.name==\"app\")].volumeMounts[?(@.mountPath==\"/var/run/secrets/kubernetes.io/serviceaccount\")].name}")
    echo "volume: $VOLUME"
    sed "s/KUBE_API_ACCESS_VOLUME/$VOLUME/" deploy/debug-container.yaml >"$BATS_TEST_TMPDIR/debug-container.yaml"
    admin debug app --image=node:20-alpine --target=app --profile=general --custom="$BATS_TEST_TMPDIR/debug-container.yaml" 2>&1
    admin get pod app -o json | jq -c ".spec.ephemeralContainers[] | {image, targetContainerName, volumeMounts}"
    # Unchanged, the placeholder names no volume of the pod.
    app_pod app-2
    admin debug app-2 --image=node:20-alpine --target=app --profile=general --custom=deploy/debug-container.yaml 2>&1 || echo "exit $?"'
  assert_line --index 0 'volume: kube-api-access-8x2lq'
  assert_line --index 1 'Targeting container "app". If you don'"'"'t see processes from this container it may be because the container runtime doesn'"'"'t support this feature.'
  assert_line --index 2 --regexp '^Defaulting debug container name to debugger-[a-z0-9]{5}\.$'
  assert_line --index 3 '{"image":"node:20-alpine","targetContainerName":"app","volumeMounts":[{"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","name":"kube-api-access-8x2lq","readOnly":true}]}'
  assert_line 'The Pod "app-2" is invalid: spec.ephemeralContainers[0].volumeMounts[0].name: Not found: "KUBE_API_ACCESS_VOLUME"'
  assert_line 'exit 1'
}

@test "without the volume mounted, the tools reach the API server with --sa-dir through /proc/PID/root of a process that has it" {
  # The debug container's view: the pod's processes (one PID namespace) but a mount namespace
  # without the service-account volume. /var/run is a link to /run, and /proc/PID/root follows an
  # absolute link in the caller's root, so the way in is /proc/PID/root/run/…, which doctor names.
  run -0 --separate-stderr in_pod --service-account test/default -- bash -c '
    SA=/var/run/secrets/kubernetes.io/serviceaccount
    sleep 600 &
    target=$!
    export SA target
    unshare --mount bash -c '"'"'
      mount -t tmpfs none /var/run/secrets
      node "$BUNDLES/get-api.mjs" /api >/dev/null 2>&1 || echo "without --sa-dir: exit $?"
      sa_dir=$(node "$BUNDLES/kube-in-pod.mjs" doctor 2>&1 | sed -n "s/.*pass --sa-dir \([^ ]*\) to the kube-in-pod scripts.*/\1/p")
      echo "doctor names: ${sa_dir//\/proc\/1\//\/proc\/PID\/}"
      sa_dir=/proc/$target/root/run/secrets/kubernetes.io/serviceaccount
      node "$BUNDLES/get-api.mjs" /api --sa-dir "$sa_dir" >"$BATS_TEST_TMPDIR/sa-dir.json"
      node "$BUNDLES/kube-in-pod.mjs" whoami --sa-dir "$sa_dir" -o json | jq -r .status.userInfo.username
      node "$BUNDLES/kube-in-pod.mjs" doctor --sa-dir "$sa_dir" | tail -n 1
    '"'"'
    kill "$target"
    curl -s --cacert $SA/ca.crt -H "Authorization: Bearer $(cat $SA/token)" https://kubernetes.default.svc/api | cmp - "$BATS_TEST_TMPDIR/sa-dir.json" && echo "get-api: what curl prints with the mounted files"'
  assert_output --regexp "$(in_order 'without --sa-dir: exit 3' 'doctor names: /proc/PID/root/run/secrets/kubernetes.io/serviceaccount' 'system:serviceaccount:test:default')"
  assert_line --regexp '^[0-9]+ checks: [0-9]+ passed, 0 warned, 0 failed'
  assert_line 'get-api: what curl prints with the mounted files'
}
