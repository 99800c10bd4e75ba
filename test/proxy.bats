#!/usr/bin/env bats
# proxy.ts, the kubectl-proxy sidecar of "Accessing the Kubernetes API from a Pod" (section "Using
# kubectl proxy", https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/), inside the
# pod sandbox against the fake API server: the same bytes as kubectl proxy, streaming watches, upgrades, the request filter, token
# rotation, header rewriting, shutdown, readiness and startup failures. Each test runs one bash
# script in one pod (the proxy and its clients must share the pod's network namespace); the script
# prints what it saw and the test asserts on that. See test/helpers/proxy-in-pod.bash.
bats_require_minimum_version 1.5.0
# Tests of this file share state (a server, its PKI, fault files): one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

EXEC_PATH='/api/v1/namespaces/default/pods/kube-in-pod-sandbox/exec?command=echo&command=hi'

setup() {
  load helpers/common
  enter_pod_suite
  export WORK=$BATS_TEST_TMPDIR
}

# pod_script [POD OPTIONS...] SCRIPT: run SCRIPT with bash inside a fresh pod, the proxy helpers loaded.
pod_script() {
  local script=${*: -1}
  in_pod "${@:1:$#-1}" -- bash -c 'source "$REPO_ROOT/test/helpers/proxy-in-pod.bash"; eval "$1"' _ "$script"
}

# ---- what it serves ----------------------------------------------------------------------------

@test "proxy serves /apis/batch/v1 with the same bytes as a kubectl proxy sidecar" {
  run -0 --separate-stderr pod_script '
    start_kubectl_proxy kubectl --server="https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT" \
      --certificate-authority="$SA/ca.crt" --token="$(cat "$SA/token")" --accept-paths="^.*"
    start_proxy proxy
    curl -s "localhost:$KUBECTL_PORT/apis/batch/v1" >"$WORK/kubectl.json"
    curl -s "localhost:$PROXY_PORT/apis/batch/v1" >"$WORK/proxy.json"
    cmp "$WORK/kubectl.json" "$WORK/proxy.json" && echo identical
    jq -r .groupVersion "$WORK/proxy.json"'
  assert_output $'identical\nbatch/v1'
  # The access log names the request, its status and size, and the upstream.
  run grep -E '^GET /apis/batch/v1 200 [0-9]+B [0-9]+ms upstream=https://127\.0\.0\.1:443$' "$WORK/proxy.err"
  assert_success
}

@test "proxy delivers a watch event through the still-open stream when an object is patched" {
  run -0 --separate-stderr pod_script '
    start_proxy proxy --token-file "$KUBE_IN_POD_ADMIN_TOKEN_FILE"
    rv=$(admin_curl -X POST -H "Content-Type: application/json" \
      -d "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"watched\"},\"data\":{\"step\":\"created\"}}" \
      "$API/api/v1/namespaces/default/configmaps" | jq -r .metadata.resourceVersion)
    curl -sN "localhost:$PROXY_PORT/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=$rv" >"$WORK/watch.json" &
    watch=$!
    admin_curl -X PATCH -H "Content-Type: application/merge-patch+json" -d "{\"data\":{\"step\":\"patched\"}}" \
      "$API/api/v1/namespaces/default/configmaps/watched" >/dev/null
    wait_for_match "$WORK/watch.json" "\"MODIFIED\""
    kill -0 "$watch" && echo "stream still open"
    jq -r "select(.type == \"MODIFIED\") | .type + \" \" + .object.data.step" "$WORK/watch.json"
    kill "$watch"'
  assert_output $'stream still open\nMODIFIED patched'
}

@test "proxy answers exec, plain or as a WebSocket upgrade, with kubectl proxy's 403 Forbidden and logs why" {
  run -0 --separate-stderr pod_script '
    start_kubectl_proxy kubectl --server="$API" --certificate-authority="$SA/ca.crt" --token="$(cat "$SA/token")"
    start_proxy proxy
    for port in "$KUBECTL_PORT" "$PROXY_PORT"; do
      curl -s -w "%{http_code}\n" "localhost:$port'"$EXEC_PATH"'"
      curl -s -w "%{http_code}\n" -H "Connection: Upgrade" -H "Upgrade: websocket" -H "Sec-WebSocket-Version: 13" \
        -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" -H "Sec-WebSocket-Protocol: v5.channel.k8s.io" \
        "localhost:$port'"$EXEC_PATH"'"
    done
    grep -c "403 10B .*rejected: path matches --reject-paths ^/api/\.\*/pods/\.\*/exec$" "$WORK/proxy.err"'
  # kubectl proxy first, then proxy.ts: the same four answers.
  assert_output $'Forbidden\n403\nForbidden\n403\nForbidden\n403\nForbidden\n403\n2'
}

@test "proxy sends a backslash target to its API server as %5C, like kubectl proxy, and never to the host it names" {
  # WHATWG URL parsing reads "/\\host" as "//host": the target must not choose where the token goes.
  run -0 --separate-stderr pod_script '
    serve echo env -u KUBE_IN_POD_SCRIPT_RUNNER "$REPO_ROOT/test/helpers/header-echo.ts"
    serve trap env -u KUBE_IN_POD_SCRIPT_RUNNER "$REPO_ROOT/test/helpers/header-echo.ts" 127.0.0.2
    start_kubectl_proxy kubectl --server "http://127.0.0.1:$ECHO_PORT" --token="$(cat "$SA/token")"
    start_proxy proxy --server "http://127.0.0.1:$ECHO_PORT" --token-file "$SA/token"
    for port in "$KUBECTL_PORT" "$PROXY_PORT"; do
      curl -s --path-as-is "http://127.0.0.1:$port/\\127.0.0.2:$TRAP_PORT/x" | jq -r ".url"
    done
    echo "trap lines: $(wc -l <"$WORK/trap.out")"
    wait_for_match "$WORK/proxy.err" "^GET /.*127[.]0[.]0[.]2:$TRAP_PORT/x 200 "
    grep -c "^GET /\\\\127\.0\.0\.2:$TRAP_PORT/x 200 .* upstream=http://127\.0\.0\.1:$ECHO_PORT$" "$WORK/proxy.err"'
  # kubectl proxy first, then proxy.ts; the trap printed only its "Starting to serve" line.
  assert_output --regexp $'^/%5C127\\.0\\.0\\.2:[0-9]+/x\n/%5C127\\.0\\.0\\.2:[0-9]+/x\ntrap lines: 1\n1$'
}

@test "proxy with verified TLS answers a backslash target naming another listener as the API server does, like kubectl proxy" {
  run -0 --separate-stderr pod_script '
    start_kubectl_proxy kubectl --server="$API" --certificate-authority="$SA/ca.crt" --token="$(cat "$SA/token")"
    start_proxy proxy
    for port in "$KUBECTL_PORT" "$PROXY_PORT"; do
      curl -s -g --path-as-is "http://127.0.0.1:$port/\\[::1]:443/api" >"$WORK/$port.json"
    done
    cmp "$WORK/$KUBECTL_PORT.json" "$WORK/$PROXY_PORT.json" && echo identical
    jq -r "[.code, .reason] | join(\" \")" "$WORK/$PROXY_PORT.json"'
  # The API server itself answered (a Status, not the /api document [::1]:443 would have served).
  assert_output $'identical\n403 Forbidden'
}

@test "proxy refuses a WebSocket exec spelled with a backslash as kubectl proxy does, and the command never runs" {
  run -0 --separate-stderr pod_script '
    start_kubectl_proxy kubectl --server="$API" --certificate-authority="$SA/ca.crt" --token="$(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")"
    start_proxy proxy --token-file "$KUBE_IN_POD_ADMIN_TOKEN_FILE"
    for port in "$KUBECTL_PORT" "$PROXY_PORT"; do
      curl -s --path-as-is -o /dev/null -w "%{http_code}\n" -H "Connection: Upgrade" -H "Upgrade: websocket" \
        -H "Sec-WebSocket-Version: 13" -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" -H "Sec-WebSocket-Protocol: v5.channel.k8s.io" \
        "http://127.0.0.1:$port/api/v1/namespaces/default/pods/kube-in-pod-sandbox\\exec?command=echo&command=hi"
    done
    # The access-log line of an upgrade is written when its connection closes, which may trail curl.
    wait_for_match "$WORK/proxy.err" "exec[?]command=echo&command=hi 400 .*upgrade websocket"
    grep -c "exec?command=echo&command=hi 400 .*upgrade websocket" "$WORK/proxy.err"'
  assert_output $'400\n400\n1'
}

@test "proxy refuses Impersonate-* headers with 403 Forbidden by default and logs why" {
  run -0 --separate-stderr pod_script '
    start_proxy proxy
    curl -s -w "%{http_code}\n" -H "Impersonate-User: jane" "localhost:$PROXY_PORT/api"
    curl -s -w "%{http_code}\n" -H "Impersonate-Group: system:masters" "localhost:$PROXY_PORT/api"
    wait_for_match "$WORK/proxy.err" "rejected: Impersonate-Group header"
    grep -c "^GET /api 403 .*rejected: Impersonate-.* header: impersonation is off (--allow-impersonation passes it on)$" "$WORK/proxy.err"'
  assert_output $'Forbidden\n403\nForbidden\n403\n2'
}

@test "proxy with --allow-impersonation passes Impersonate-* headers on and gets the API server's answer, as kubectl proxy does" {
  run -0 --separate-stderr pod_script '
    start_kubectl_proxy kubectl --server="$API" --certificate-authority="$SA/ca.crt" --token="$(cat "$SA/token")"
    start_proxy proxy --allow-impersonation
    for port in "$KUBECTL_PORT" "$PROXY_PORT"; do
      curl -s -H "Impersonate-User: jane" "localhost:$port/api/v1/namespaces/default/configmaps" >"$WORK/$port.json"
    done
    cmp "$WORK/$KUBECTL_PORT.json" "$WORK/$PROXY_PORT.json" && echo identical
    jq -r "[.code, .message] | join(\" \")" "$WORK/$PROXY_PORT.json"'
  assert_output 'identical
403 users "jane" is forbidden: User "system:serviceaccount:default:default" cannot impersonate resource "users" in API group "" at the cluster scope'
}

@test "proxy passes kubectl exec through when --reject-paths allows it and the token may exec" {
  run -0 --separate-stderr pod_script '
    start_proxy proxy --reject-paths "^/api/.*/pods/.*/attach" --token-file "$KUBE_IN_POD_ADMIN_TOKEN_FILE"
    kubectl --server "http://127.0.0.1:$PROXY_PORT" -n default exec kube-in-pod-sandbox -- echo hi through the proxy
    # The access-log line is written when the upgraded connection closes, which may trail kubectl.
    wait_for_match "$WORK/proxy.err" "/exec[?]command=echo.* 101 [0-9]*B .*upgrade websocket$"
    grep -c "/exec[?]command=echo.* 101 [0-9]*B .*upgrade websocket$" "$WORK/proxy.err"'
  assert_output $'hi through the proxy\n1'
}

@test "proxy rejects a request whose Host header is not localhost with 403 Forbidden" {
  run -0 --separate-stderr pod_script '
    start_proxy proxy
    curl -s -w "%{http_code}\n" -H "Host: evil.example" "localhost:$PROXY_PORT/api"
    curl -s -o /dev/null -w "%{http_code}\n" "localhost:$PROXY_PORT/api"
    grep -c "^GET /api 403 .*rejected: host \"evil.example\" matches no --accept-hosts$" "$WORK/proxy.err"'
  assert_output $'Forbidden\n403\n200\n1'
}

# ---- credentials and headers ----------------------------------------------------------------------

@test "proxy keeps answering 200 across token rotation while a token read once gets 401" {
  # Tokens live 2 s with no leeway and the volume is rewritten every second, so the token the proxy
  # read at start is rejected within seconds: it must re-read the file after the 401 and retry.
  run -0 --separate-stderr pod_script --token-ttl 2 --rotate-every 1 --server-arg=--token-leeway --server-arg=0 '
    start_proxy proxy
    first=$(cat "$SA/token")
    for i in $(seq 12); do
      echo "$(curl -s -o /dev/null -w "%{http_code}" "localhost:$PROXY_PORT/api")" \
        "$(curl -s -o /dev/null -w "%{http_code}" --cacert "$SA/ca.crt" -H "Authorization: Bearer $first" "$API/api")"
      sleep 0.5
    done
    [[ $(cat "$SA/token") != "$first" ]] && echo "token file rotated"
    grep -c "^GET /api 200 .*retried after a 401 with the re-read token$" "$WORK/proxy.err"'
  assert_line 'token file rotated'
  # Every request through the proxy succeeded, while the token it started with expired on the way.
  for line in "${lines[@]:0:12}"; do
    [[ $line == '200 '* ]] || fail "a request through the proxy failed: $line"
  done
  assert_line '200 401'
  assert [ "${lines[-1]}" -ge 1 ]
}

@test "proxy replaces the caller's Authorization, so a bogus bearer still acts as the pod's service account" {
  run -0 --separate-stderr pod_script '
    start_proxy proxy
    curl -s -H "Authorization: Bearer bogus-token-from-the-caller" -H "Content-Type: application/json" \
      -d "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}" \
      "localhost:$PROXY_PORT/apis/authentication.k8s.io/v1/selfsubjectreviews" | jq -r .status.userInfo.username'
  assert_output 'system:serviceaccount:default:default'
}

@test "proxy forwards the caller's own headers but not Authorization, X-Forwarded-* or hop-by-hop ones" {
  run -0 --separate-stderr pod_script '
    serve echo env -u KUBE_IN_POD_SCRIPT_RUNNER "$REPO_ROOT/test/helpers/header-echo.ts"
    start_proxy proxy --server "http://127.0.0.1:$ECHO_PORT" --token-file "$SA/token"
    curl -s -A "curl/8.0 (kube-in-pod test)" -H "Authorization: Bearer bogus-token-from-the-caller" \
      -H "X-Forwarded-For: 203.0.113.7" -H "X-Forwarded-Host: evil.example" -H "Forwarded: for=203.0.113.7" \
      -H "Connection: keep-alive, X-Hop" -H "X-Hop: dropped" -H "Keep-Alive: timeout=5" -H "TE: trailers" \
      -H "Proxy-Authorization: Basic Zm9vOmJhcg==" -H "X-Custom: kept" \
      "localhost:$PROXY_PORT/api/v1/namespaces?limit=1" >"$WORK/echo.json"
    jq -r "[.method, .url] | join(\" \")" "$WORK/echo.json"
    jq -r ".headers | keys | join(\" \")" "$WORK/echo.json"
    jq -r ".headers[\"user-agent\"][0], .headers[\"x-custom\"][0]" "$WORK/echo.json"
    [[ $(jq -r ".headers.authorization | join(\",\")" "$WORK/echo.json") == "Bearer $(cat "$SA/token")" ]] &&
      echo "authorization: the pod token, once"'
  # "connection" is undici's own keep-alive towards the upstream, not the caller's.
  assert_output 'GET /api/v1/namespaces?limit=1
accept authorization connection host user-agent x-custom
curl/8.0 (kube-in-pod test)
kept
authorization: the pod token, once'
}

@test "proxy reloads a replaced CA file and then verifies the API server with it" {
  run -0 --separate-stderr pod_script '
    # Start with a CA that did not sign the API server certificate (the first one of the system bundle).
    awk "/BEGIN CERT/ {n++} n == 1" /etc/ssl/certs/ca-certificates.crt >"$WORK/ca.crt"
    start_proxy proxy --server "$API" --token-file "$SA/token" --certificate-authority "$WORK/ca.crt"
    curl -s -o /dev/null -w "%{http_code}\n" "localhost:$PROXY_PORT/api"
    cp "$SA/ca.crt" "$WORK/ca.crt.new" && mv "$WORK/ca.crt.new" "$WORK/ca.crt"   # replaced atomically, as kubelet does
    curl -s -o /dev/null -w "%{http_code}\n" "localhost:$PROXY_PORT/api"
    grep -c "the CA file $WORK/ca.crt changed: new connections verify the API server with it" "$WORK/proxy.err"'
  assert_output $'500\n200\n1'
  run grep -c '^GET /api 500 .*error: TLS verification of https://kubernetes.default.svc failed' "$WORK/proxy.err"
  assert_output 1
}

# ---- lifecycle ------------------------------------------------------------------------------------

@test "proxy keeps its connection to the API server when a caller gives up on a short request" {
  # Over HTTP/1.1, cancelling a request upstream means closing its connection, and the next one
  # costs a TLS handshake: the proxy lets the late answer arrive and throws it away instead.
  run -0 --separate-stderr pod_script --server-arg --faults --server-arg "$WORK/faults.yaml" '
    start_proxy proxy
    upstream() { ss -Htn state established "( dport = :443 )" | wc -l; }
    curl -s -o /dev/null "localhost:$PROXY_PORT/apis/batch/v1"
    echo "connections to the API server: $(upstream)"
    printf "%s\n" "- path: ^/apis/batch/v1\$" "  delayMs: 1000" "  times: 1" >"$WORK/faults.yaml"
    curl -s -o /dev/null --max-time 0.3 "localhost:$PROXY_PORT/apis/batch/v1" || echo "curl gave up: $?"
    sleep 1.5
    echo "after the late answer: $(upstream)"
    curl -s -o /dev/null -w "%{http_code}\n" "localhost:$PROXY_PORT/apis/batch/v1"
    echo "after the next request: $(upstream)"'
  assert_output $'connections to the API server: 1\ncurl gave up: 28\nafter the late answer: 1\n200\nafter the next request: 1'
}

@test "proxy ends an open watch cleanly on SIGTERM and exits 0 without waiting for the timeout" {
  run -0 --separate-stderr pod_script '
    start_proxy proxy --token-file "$KUBE_IN_POD_ADMIN_TOKEN_FILE"
    curl -sN "localhost:$PROXY_PORT/api/v1/namespaces/default/configmaps?watch=1" >"$WORK/watch.json" &
    watch=$!
    wait_for_match "$WORK/watch.json" "\"ADDED\""
    started=$SECONDS
    kill -TERM "$PROXY_PID"
    proxy_status=0 watch_status=0
    wait "$PROXY_PID" || proxy_status=$?
    wait "$watch" || watch_status=$?
    echo "proxy exit $proxy_status"
    echo "watch client exit $watch_status"   # curl says 18 for a stream cut short
    (( SECONDS - started < 5 )) && echo "stopped within 5s"
    cat "$WORK/proxy.out"'
  assert_output --regexp '^proxy exit 0
watch client exit 0
stopped within 5s
Starting to serve on 127\.0\.0\.1:[0-9]+$'
  run cat "$WORK/proxy.err"
  assert_line 'shutting down (SIGTERM): no new connections; ending open watches and upgrades (1), waiting up to 10s for other requests (0)'
  assert_line --regexp '^GET /api/v1/namespaces/default/configmaps\?watch=1 200 [0-9]+B [0-9]+ms upstream=\S+ ended by shutdown$'
  assert_line 'stopped'
}

@test "proxy --port 0 prints the chosen port as its only stdout line and serves there" {
  run -0 --separate-stderr pod_script '
    start_proxy proxy
    cat "$WORK/proxy.out"
    curl -s -o /dev/null -w "%{http_code}\n" "http://localhost:$PROXY_PORT/api"'
  assert_output --regexp '^Starting to serve on 127\.0\.0\.1:[1-9][0-9]*
200$'
}

@test "proxy answers its readiness path itself while the API server is unreachable, and other paths with 500" {
  run -0 --separate-stderr pod_script '
    start_proxy proxy --server https://127.0.0.1:1 --token-file "$SA/token" --certificate-authority "$SA/ca.crt"
    curl -s -w " %{http_code}\n" "localhost:$PROXY_PORT/.kube-in-pod/healthz"
    curl -s -w "%{http_code}\n" "localhost:$PROXY_PORT/api"'
  assert_line --index 0 'ok 200'
  assert_line --index 1 --partial 'connection to 127.0.0.1:1 refused (ECONNREFUSED)'
  assert_line --index 2 '500'
  run cat "$WORK/proxy.err"
  assert_line --partial 'GET /api 500 '
  refute_line --partial 'healthz'
}

@test "proxy on a unix socket serves the API there, to its owner only" {
  run -0 --separate-stderr pod_script '
    serve proxy env -u KUBE_IN_POD_SCRIPT_RUNNER proxy.ts --unix-socket "$WORK/proxy.sock"
    cat "$WORK/proxy.out"
    stat -c %a "$WORK/proxy.sock"
    curl -s --unix-socket "$WORK/proxy.sock" http://localhost/apis/batch/v1 | jq -r .groupVersion'
  # kubectl's umask 077 while listening: srwx------.
  assert_output "Starting to serve on $WORK/proxy.sock
700
batch/v1"
}

# ---- --print-curl and failures ------------------------------------------------------------------------

@test "proxy --print-curl prints a curl command that fetches what the proxy serves" {
  run -0 --separate-stderr pod_script '
    start_proxy proxy
    cmp <(curl -s "localhost:$PROXY_PORT/apis/batch/v1") <(eval "$(proxy.ts --print-curl /apis/batch/v1 2>/dev/null)") && echo same'
  assert_output 'same'
}

@test "proxy --print-curl shows the token file, never the token, and the kubectl proxy it replaces" {
  run -0 --separate-stderr in_pod -- proxy.ts --print-curl /apis/batch/v1 --token-file /var/run/secrets/kubernetes.io/serviceaccount/token
  assert_output --regexp '^curl --cacert /var/run/secrets/kubernetes\.io/serviceaccount/ca\.crt -H "Authorization: Bearer \$\(cat /var/run/secrets/kubernetes\.io/serviceaccount/token\)" https://127\.0\.0\.1/apis/batch/v1$'
  assert_stderr --partial 'note: the proxy replaces: kubectl proxy --token="$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)"'
}

@test "proxy --print-curl with a password in --server names the kubectl proxy it replaces without the user or password" {
  run -0 --separate-stderr in_pod -- proxy.ts --print-curl /api --server https://admin:s3cret-pw@127.0.0.1 \
    --certificate-authority /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
  assert_stderr --partial "note: the proxy replaces: kubectl proxy --server=https://127.0.0.1 --certificate-authority="
  refute_stderr --partial 's3cret-pw'
  refute_output --partial 's3cret-pw'
}

@test "proxy on a port that is already in use exits 4 with one line" {
  # Inside the pod the fake API server holds 127.0.0.1:443.
  run -4 --separate-stderr in_pod -- proxy.ts --port 443
  assert_output ''
  # shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr and $stderr_lines
  assert_equal "${#stderr_lines[@]}" 1
  assert_stderr_line --index 0 'error: cannot listen on 127.0.0.1:443 (EADDRINUSE): the address is already in use: is another proxy running? pick another --port (0 = any free port)'
}

@test "proxy without a mounted token exits 3 before listening" {
  run -3 --separate-stderr in_pod --no-automount -- proxy.ts
  assert_output ''
  assert_stderr --partial 'automountServiceAccountToken: false'
}

@test "proxy with --unix-socket and another --port, or a bad regexp, is a usage error" {
  run -2 --separate-stderr in_pod -- proxy.ts --unix-socket /tmp/proxy.sock --port 9000
  assert_stderr_line --index 0 'error: cannot set --unix-socket and --port at the same time'
  run -2 --separate-stderr in_pod -- proxy.ts --reject-paths '^/api/(unclosed'
  assert_stderr_line --index 0 --regexp "^$(in_order 'error: --reject-paths: ^/api/(unclosed is not a valid regular expression')"
}
