#!/usr/bin/env bats
# The fake cluster is only useful if real clients cannot tell it from kube-apiserver. Inside the
# pod sandbox this suite runs verbatim every curl command of these articles, kubectl in
# in-cluster mode, `kubectl proxy`, the official Python client and @kubernetes/client-node,
# and checks each gets what the articles (and a real cluster) show:
#   - the Kubernetes task page "Accessing the Kubernetes API from a Pod",
#     https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/
#     (section "Without using a proxy"; section "Using kubectl proxy" for the ambassador sidecar);
#   - the 2018 post "容器内访问k8s api-server" ("Accessing the k8s api-server from a container"),
#     which reads the `gateway` DaemonSet with ?resourceVersion=0 (companion code
#     https://github.com/moshucong/client-go-example);
#   - the itnext article "K8s tips: accessing the API server from a Pod",
#     https://itnext.io/k8s-tips-accessing-the-api-server-from-a-pod-f6f72bc847de
#     (TLS without the CA, system:anonymous, nodes forbidden, automountServiceAccountToken: false).
# test/expected/ holds the bodies those articles print.
bats_require_minimum_version 1.5.0
# Tests of this file share state (a server, its PKI, fault files): one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup() {
  load helpers/common
  load helpers/recipe # SA_DIR
  require_sandbox
}

# ---- the articles' curl commands, verbatim -------------------------------------------------------

# "Accessing the Kubernetes API from a Pod", section "Without using a proxy", its comments included.
@test "curl with the token and CA on /api gives the APIVersions document" {
  run --separate-stderr in_pod -- bash -c '
    # 指向内部 API 服务器的主机名
    APISERVER=https://kubernetes.default.svc
    # 服务账号令牌的路径
    SERVICEACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount
    # 读取 Pod 的名字空间
    NAMESPACE=$(cat ${SERVICEACCOUNT}/namespace)
    # 读取服务账号的持有者令牌
    TOKEN=$(cat ${SERVICEACCOUNT}/token)
    # 引用内部证书机构(CA)
    CACERT=${SERVICEACCOUNT}/ca.crt
    # 使用令牌访问 API
    curl --cacert ${CACERT} --header "Authorization: Bearer ${TOKEN}" -X GET ${APISERVER}/api'
  assert_success
  assert_output '{
  "kind": "APIVersions",
  "versions": [
    "v1"
  ],
  "serverAddressByClientCIDRs": [
    {
      "clientCIDR": "0.0.0.0/0",
      "serverAddress": "127.0.0.1:443"
    }
  ]
}'
}

# The 2018 post "容器内访问k8s api-server" (companion code https://github.com/moshucong/client-go-example).
@test "curl with ?resourceVersion=0 reads the gateway daemonset with spec and status as the 2018 post shows" {
  run --separate-stderr in_pod --service-account test/default -- bash -c '
    TOKEN_VALUE=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)
    NAMESPACE=$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)
    curl -k --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt -H  "Authorization: Bearer $TOKEN_VALUE" https://kubernetes.default/apis/apps/v1/namespaces/$NAMESPACE/daemonsets/gateway?resourceVersion=0'
  assert_success
  local expected="$REPO_ROOT/test/expected/gateway-daemonset.json"
  assert_equal "$(jq -S '{spec, status}' <<<"$output")" "$(jq -S '{spec, status}' "$expected")"
  assert_equal "$(jq -S '.metadata | del(.resourceVersion, .selfLink)' <<<"$output")" \
    "$(jq -S '.metadata | del(.resourceVersion, .selfLink)' "$expected")"
  assert_equal "$(jq -r '.kind + " " + .apiVersion' <<<"$output")" "DaemonSet apps/v1"
}

# The batch/v1 discovery that the kubectl-proxy example of "Accessing the Kubernetes API from a Pod"
# fetches, here straight from the API server with the token.
@test "curl with the token on /apis/batch/v1 lists cronjobs and jobs with the real verbs" {
  run --separate-stderr in_pod -- bash -c '
    TOKEN=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)
    curl --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt --header "Authorization: Bearer ${TOKEN}" https://kubernetes.default.svc/apis/batch/v1'
  assert_success
  local expected="$REPO_ROOT/test/expected/batch-v1.json"
  local shape='[.kind, .groupVersion, (.resources[] | [.name, .namespaced, .kind, (.verbs | join(",")), (.shortNames // [] | join(","))])]'
  assert_equal "$(jq -c "$shape" <<<"$output")" "$(jq -c "$shape" "$expected")"
}

# This test and the next four: the itnext article "K8s tips: accessing the API server from a Pod"
# (https://itnext.io/k8s-tips-accessing-the-api-server-from-a-pod-f6f72bc847de).
@test "curl without --cacert fails TLS verification with exit 60" {
  run --separate-stderr in_pod -- curl https://kubernetes/api/v1
  assert_failure 60
  assert_stderr --partial "SSL certificate problem: unable to get local issuer certificate"
}

@test "curl without a token is forbidden as system:anonymous, byte for byte" {
  run --separate-stderr in_pod -- curl --cacert /run/secrets/kubernetes.io/serviceaccount/ca.crt https://kubernetes/api/v1
  assert_success
  assert_output "$(cat "$REPO_ROOT/test/expected/anonymous-api-v1.json")"
}

@test "curl with the token on /api/v1/ lists the core resources" {
  run --separate-stderr in_pod -- bash -c '
    TOKEN=$(cat /run/secrets/kubernetes.io/serviceaccount/token)
    curl -H "Authorization: Bearer $TOKEN" --cacert /run/secrets/kubernetes.io/serviceaccount/ca.crt https://kubernetes/api/v1/'
  assert_success
  assert_equal "$(jq -r '.kind + " " + .groupVersion' <<<"$output")" "APIResourceList v1"
  assert_equal "$(jq -r '.resources[0:3] | map(.name) | join(",")' <<<"$output")" "bindings,componentstatuses,configmaps"
  assert_equal "$(jq -r '.resources[] | select(.name == "configmaps") | .shortNames[0]' <<<"$output")" "cm"
}

@test "curl listing nodes as the default service account is forbidden, byte for byte" {
  run --separate-stderr in_pod -- bash -c '
    TOKEN=$(cat /run/secrets/kubernetes.io/serviceaccount/token)
    curl -H "Authorization: Bearer $TOKEN" --cacert /run/secrets/kubernetes.io/serviceaccount/ca.crt https://kubernetes/api/v1/nodes'
  assert_success
  assert_output "$(cat "$REPO_ROOT/test/expected/nodes-forbidden.json")"
}

@test "a pod with automountServiceAccountToken false has no service-account mount and no token file" {
  run --separate-stderr in_pod --no-automount -- bash -c '
    ls /run/secrets/kubernetes.io/serviceaccount/ || echo "no mount";
    test -e /var/run/secrets/kubernetes.io/serviceaccount/token && echo "token present" || echo "token absent"'
  assert_success
  assert_line "no mount"
  assert_line "token absent"
}

# ---- kubectl in in-cluster mode -----------------------------------------------------------------

@test "kubectl get --raw /apis/batch/v1 in a pod returns the same document as curl" {
  run --separate-stderr in_pod -- bash -c '
    TOKEN=$(cat '"$SA_DIR"'/token)
    diff <(kubectl get --raw /apis/batch/v1 | jq -S .) \
         <(curl -s --cacert '"$SA_DIR"'/ca.crt -H "Authorization: Bearer $TOKEN" https://kubernetes.default.svc/apis/batch/v1 | jq -S .) \
      && echo identical'
  assert_success
  assert_output identical
}

@test "kubectl get ds gateway -o json in a pod shows the status the 2018 post printed" {
  run --separate-stderr in_pod --service-account test/default -- kubectl get ds gateway -n test -o json
  assert_success
  assert_equal "$(jq -S .status <<<"$output")" "$(jq -S .status "$REPO_ROOT/test/expected/gateway-daemonset.json")"
}

@test "kubectl get pods in a pod prints the real table columns" {
  run --separate-stderr in_pod --service-account test/default -- kubectl get pods -n test
  assert_success
  assert_line --index 0 --regexp '^NAME +READY +STATUS +RESTARTS +AGE$'
  assert_line --regexp '^gateway-m4wzt +0/1 +CrashLoopBackOff +4 \(.* ago\) +'
  assert_line --regexp '^gateway-7xk2q +1/1 +Running +0 +'
}

@test "kubectl get nodes in a pod is forbidden with the exact apiserver message" {
  run --separate-stderr in_pod -- kubectl get nodes
  assert_failure 1
  assert_stderr 'Error from server (Forbidden): nodes is forbidden: User "system:serviceaccount:default:default" cannot list resource "nodes" in API group "" at the cluster scope'
}

@test "kubectl auth whoami in a pod names the service account, pod and node" {
  run --separate-stderr in_pod -- kubectl auth whoami
  assert_success
  assert_line --regexp '^Username +system:serviceaccount:default:default$'
  assert_line --regexp '^Groups +\[system:serviceaccounts system:serviceaccounts:default system:authenticated\]$'
  assert_line --regexp '^Extra: authentication.kubernetes.io/pod-name +\[kube-in-pod-sandbox\]$'
  assert_line --regexp '^Extra: authentication.kubernetes.io/node-name +\[node-1\]$'
}

@test "kubectl auth can-i list nodes in a pod answers no" {
  run --separate-stderr in_pod -- kubectl auth can-i list nodes
  assert_failure 1
  assert_output no
}

@test "kubectl auth can-i --list in a pod shows the bootstrap and bound rules" {
  run --separate-stderr in_pod --service-account test/default -- kubectl auth can-i --list -n test
  assert_success
  assert_line --index 0 --regexp '^Resources +Non-Resource URLs +Resource Names +Verbs$'
  assert_line --regexp '^selfsubjectreviews.authentication.k8s.io +\[\] +\[\] +\[create\]$'
  assert_line --regexp '^daemonsets.apps +\[\] +\[\] +\[get list watch\]$'
  assert_line --regexp '^ +\[/api/\*\] +\[\] +\[get\]$'
}

@test "kubectl get ds --watch in a pod sees an update made through the API" {
  run --separate-stderr in_pod --service-account test/default -- bash -c '
    kubectl get ds -n test --watch > /tmp/watch.out 2>&1 &
    watcher=$!
    for _ in $(seq 50); do grep -q gateway /tmp/watch.out 2>/dev/null && break; sleep 0.1; done
    curl -s -o /dev/null -w "%{http_code}\n" --cacert "$KUBE_IN_POD_CA_FILE" -H "Authorization: Bearer $(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")" \
      -X PATCH -H "Content-Type: application/merge-patch+json" -d "{\"status\":{\"numberReady\":20}}" \
      https://kubernetes.default.svc/apis/apps/v1/namespaces/test/daemonsets/gateway/status
    for _ in $(seq 50); do [ "$(grep -c gateway /tmp/watch.out)" -ge 2 ] && break; sleep 0.1; done
    kill $watcher
    cat /tmp/watch.out'
  assert_success
  assert_line --index 0 200
  assert_line --index 2 --regexp '^gateway +20 +20 +19 +1 +19 +'
  assert_line --index 3 --regexp '^gateway +20 +20 +20 +1 +19 +'
}

# ---- kubectl proxy as an ambassador ("Accessing the Kubernetes API from a Pod", "Using kubectl proxy")

@test "curl localhost:8001/apis/batch/v1 through a kubectl proxy ambassador gives the same bytes as direct curl" {
  run --separate-stderr in_pod -- bash -c '
    API_SERVER="https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"
    CA_CRT="/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
    TOKEN="$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)"
    kubectl proxy --server="$API_SERVER" --certificate-authority="$CA_CRT" --token="$TOKEN" --accept-paths="^.*" > /tmp/proxy.log 2>&1 &
    for _ in $(seq 100); do curl -s -o /dev/null localhost:8001/ && break; sleep 0.1; done
    curl -s localhost:8001/apis/batch/v1 > /tmp/via-proxy
    curl -s --cacert "$CA_CRT" -H "Authorization: Bearer $TOKEN" https://kubernetes.default.svc/apis/batch/v1 > /tmp/direct
    cmp /tmp/via-proxy /tmp/direct && echo identical
    jq -r .groupVersion /tmp/via-proxy'
  assert_success
  assert_line --index 0 identical
  assert_line --index 1 batch/v1
}

# ---- official client libraries -------------------------------------------------------------------

@test "the Python client's load_incluster_config reads the daemonset and is refused nodes" {
  run --separate-stderr in_pod --service-account test/default -- /usr/bin/python3 "$REPO_ROOT/test/clients/incluster_python.py" test
  assert_success
  assert_line --index 0 "daemonset gateway desired=20 ready=19"
  assert_line --index 1 'nodes: HTTP 403 nodes is forbidden: User "system:serviceaccount:test:default" cannot list resource "nodes" in API group "" at the cluster scope'
}

@test "client-node's loadFromCluster reads the daemonset and is refused nodes" {
  run --separate-stderr in_pod --service-account test/default -- "$REPO_ROOT/node_modules/.bin/tsx" "$REPO_ROOT/test/clients/incluster-client-node.ts" test
  assert_success
  assert_line --index 0 "daemonset gateway desired=20 ready=19"
  assert_line --index 1 'nodes: HTTP 403 nodes is forbidden: User "system:serviceaccount:test:default" cannot list resource "nodes" in API group "" at the cluster scope'
}

# Decodes a JWT's claims (base64url, unpadded) for the commands below.
JWT_CLAIMS='jwt_claims() { local part; part=$(cut -d. -f2 <<<"$1" | tr "_-" "/+"); while (( ${#part} % 4 )); do part+="="; done; base64 -d <<<"$part"; }
'

# ---- token failures are 401 ----------------------------------------------------------------------

UNAUTHORIZED='{
  "kind": "Status",
  "apiVersion": "v1",
  "metadata": {},
  "status": "Failure",
  "message": "Unauthorized",
  "reason": "Unauthorized",
  "code": 401
}'

@test "an expired token is unauthorized" {
  run --separate-stderr in_pod --token-ttl 1 --server-arg=--token-leeway --server-arg=0 -- bash -c '
    sleep 2
    curl -s --cacert '"$SA_DIR"'/ca.crt -H "Authorization: Bearer $(cat '"$SA_DIR"'/token)" https://kubernetes.default.svc/api'
  assert_success
  assert_output "$UNAUTHORIZED"
}

@test "a token with an altered signature is unauthorized" {
  run --separate-stderr in_pod -- bash -c '
    TOKEN=$(cat '"$SA_DIR"'/token)
    # Change one character in the middle of the signature (the last one may only hold padding bits).
    SIGNATURE=${TOKEN##*.}; MIDDLE=$(( ${#SIGNATURE} / 2 ))
    case "${SIGNATURE:$MIDDLE:1}" in A) REPLACEMENT=B ;; *) REPLACEMENT=A ;; esac
    TAMPERED="${TOKEN%.*}.${SIGNATURE:0:$MIDDLE}${REPLACEMENT}${SIGNATURE:$((MIDDLE + 1))}"
    curl -s --cacert '"$SA_DIR"'/ca.crt -H "Authorization: Bearer $TAMPERED" https://kubernetes.default.svc/api'
  assert_success
  assert_output "$UNAUTHORIZED"
}

@test "a token for another audience is unauthorized" {
  run --separate-stderr in_pod -- bash -c "$JWT_CLAIMS"'
    ADMIN="Authorization: Bearer $(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")"
    POD_UID=$(curl -s --cacert '"$SA_DIR"'/ca.crt -H "$ADMIN" https://kubernetes.default.svc/api/v1/namespaces/default/pods/kube-in-pod-sandbox | jq -r .metadata.uid)
    OTHER=$(curl -s --cacert '"$SA_DIR"'/ca.crt -H "$ADMIN" -H "Content-Type: application/json" -X POST \
      -d "{\"spec\":{\"audiences\":[\"px\"],\"expirationSeconds\":3600,\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"kube-in-pod-sandbox\",\"uid\":\"$POD_UID\"}}}" \
      https://kubernetes.default.svc/api/v1/namespaces/default/serviceaccounts/default/token | jq -r .status.token)
    jwt_claims "$OTHER" | jq -c .aud
    curl -s --cacert '"$SA_DIR"'/ca.crt -H "Authorization: Bearer $OTHER" https://kubernetes.default.svc/api'
  assert_success
  assert_line --index 0 '["px"]'
  assert_equal "$(tail -n +2 <<<"$output")" "$UNAUTHORIZED"
}

@test "the token of a deleted pod is unauthorized" {
  run --separate-stderr in_pod -- bash -c '
    TOKEN=$(cat '"$SA_DIR"'/token)
    curl -s -o /dev/null -w "before: %{http_code}\n" --cacert '"$SA_DIR"'/ca.crt -H "Authorization: Bearer $TOKEN" https://kubernetes.default.svc/api
    curl -s -o /dev/null -w "delete: %{http_code}\n" --cacert '"$SA_DIR"'/ca.crt -H "Authorization: Bearer $(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")" \
      -X DELETE https://kubernetes.default.svc/api/v1/namespaces/default/pods/kube-in-pod-sandbox
    curl -s --cacert '"$SA_DIR"'/ca.crt -H "Authorization: Bearer $TOKEN" https://kubernetes.default.svc/api'
  assert_success
  assert_line --index 0 "before: 200"
  assert_line --index 1 "delete: 200"
  assert_equal "$(tail -n +3 <<<"$output")" "$UNAUTHORIZED"
}

@test "a legacy secret token authenticates as its service account" {
  run --separate-stderr in_pod -- bash -c "$JWT_CLAIMS"'
    ADMIN="Authorization: Bearer $(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")"
    LEGACY=$(curl -s --cacert '"$SA_DIR"'/ca.crt -H "$ADMIN" https://kubernetes.default.svc/api/v1/namespaces/test/secrets/default-legacy-token | jq -r .data.token | base64 -d)
    jwt_claims "$LEGACY" | jq -r .iss
    curl -s --cacert '"$SA_DIR"'/ca.crt -H "Authorization: Bearer $LEGACY" -H "Content-Type: application/json" -X POST \
      -d "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}" \
      https://kubernetes.default.svc/apis/authentication.k8s.io/v1/selfsubjectreviews | jq -r .status.userInfo.username'
  assert_success
  assert_line --index 0 kubernetes/serviceaccount
  assert_line --index 1 system:serviceaccount:test:default
}
