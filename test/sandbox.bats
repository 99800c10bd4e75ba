#!/usr/bin/env bats
# Tests of the pod sandbox itself (fixtures/pod) and of the shared helpers that drive it.
bats_require_minimum_version 1.5.0
# Tests of this file share state (a server, its PKI, fault files): one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

readonly SA=/var/run/secrets/kubernetes.io/serviceaccount
# This file tests fixtures/pod itself: in_pod starts a new sandbox for every command here, and the
# kept sandboxes (--keep) that the other suites use are tested on their own below.
export KUBE_IN_POD_KEEP=0

setup() {
  load helpers/common
}

teardown() {
  stop_apiserver
}

# The decoded payload (claims JSON) of the JWT given as $1.
jwt_payload() {
  local payload
  payload=$(cut -d. -f2 <<<"$1" | tr '_-' '/+')
  while ((${#payload} % 4)); do payload+='='; done
  base64 -d <<<"$payload"
}

# A stand-in server script for the sandbox's failure paths: FILE BODY.
write_server() {
  printf '%s\n' "$2" >"$BATS_TEST_TMPDIR/$1"
  printf '%s' "$BATS_TEST_TMPDIR/$1"
}

# ---- command line (no namespaces needed) ---------------------------------------------------------

@test "pod --help prints the usage and exits 0" {
  run -0 "$REPO_ROOT/fixtures/pod" --help
  assert_line --index 0 'Usage:'
  assert_output --partial '--service-account NS/NAME'
  assert_output --partial 'KUBE_IN_POD_ADMIN_TOKEN_FILE'
}

@test "pod with an unknown flag prints one error line and exits 2" {
  run -2 --separate-stderr "$REPO_ROOT/fixtures/pod" --bogus -- true
  # shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr and $stderr_lines
  assert_equal "${#stderr_lines[@]}" 1
  assert_equal "${stderr_lines[0]:0:12}" 'pod: error: '
  assert_output ''
}

@test "pod with a malformed service account or no command exits 2" {
  run -2 "$REPO_ROOT/fixtures/pod" --service-account default -- true
  assert_output --partial 'NAMESPACE/NAME'
  run -2 "$REPO_ROOT/fixtures/pod" --no-automount
  assert_output --partial 'missing COMMAND'
  run -2 "$REPO_ROOT/fixtures/pod" --token-ttl soon -- true
  assert_output --partial '--token-ttl'
}

@test "pod where unshare is refused reports one line and exits 77" {
  mkdir "$BATS_TEST_TMPDIR/bin"
  printf '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n' >"$BATS_TEST_TMPDIR/bin/unshare"
  chmod +x "$BATS_TEST_TMPDIR/bin/unshare"
  PATH=$BATS_TEST_TMPDIR/bin:$PATH run -77 --separate-stderr "$REPO_ROOT/fixtures/pod" -- true
  assert_equal "${#stderr_lines[@]}" 1
  assert_output ''
  assert [ "${stderr_lines[0]#pod: sandbox unavailable: }" != "${stderr_lines[0]}" ]
  assert [ "${stderr_lines[0]#*Operation not permitted}" != "${stderr_lines[0]}" ]
}

# ---- inside the pod --------------------------------------------------------------------------------

@test "/etc/hosts inside the pod resolves every kubernetes service name to 127.0.0.1" {
  require_sandbox
  run -0 in_pod -- sh -c 'for n in kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local; do getent hosts "$n"; done'
  assert_equal "${#lines[@]}" 4
  for line in "${lines[@]}"; do [[ $line == '127.0.0.1 '* ]] || fail "not 127.0.0.1: $line"; done
  run -0 in_pod -- getent hosts localhost
  assert_output --regexp '^(127\.0\.0\.1|::1) +localhost'
}

@test "the service-account volume inside the pod has kubelet's ..data layout" {
  require_sandbox
  run -0 in_pod -- sh -c "cd $SA && ls -A && readlink ..data token ca.crt namespace && test -d ..data && test -s token && test -s ca.crt"
  assert_line --index 0 --regexp '^\.\.[0-9]{4}(_[0-9]{2}){5}\.[0-9]+$'
  assert_line '..data'
  assert_line --index 5 "${lines[0]}"
  assert_line --index 6 '..data/token'
  assert_line --index 7 '..data/ca.crt'
  assert_line --index 8 '..data/namespace'
}

@test "the service-account volume inside the pod is read-only" {
  require_sandbox
  run ! in_pod -- sh -c "echo x >$SA/token"
  assert_output --partial 'Read-only file system'
  run ! in_pod -- touch "$SA/new-file"
  assert_output --partial 'Read-only file system'
}

@test "the namespace file and token follow --service-account" {
  require_sandbox
  run -0 in_pod --service-account kube-system/builder -- sh -c "cat $SA/namespace; echo; cat $SA/token"
  assert_line --index 0 'kube-system'
  run -0 jwt_payload "${lines[1]}"
  assert_output --partial '"sub":"system:serviceaccount:kube-system:builder"'
  run -0 in_pod -- cat "$SA/namespace"
  assert_output 'default'
}

@test "the token lifetime follows --token-ttl" {
  require_sandbox
  run -0 in_pod --token-ttl 900 -- cat "$SA/token"
  run -0 jwt_payload "$output"
  assert_equal "$(jq '.exp - .iat' <<<"$output")" 900
}

@test "the server inside the pod serves the cluster state given with --state" {
  require_sandbox
  local state=$BATS_TEST_TMPDIR/state
  cp -r "$REPO_ROOT/fixtures/cluster" "$state"
  printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-state-dir\n' >"$state/99-extra.yaml"
  local get='curl -sS -o /dev/null -w "%{http_code}" --cacert "$KUBE_IN_POD_CA_FILE" -H "Authorization: Bearer $(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")" https://kubernetes.default.svc/api/v1/namespaces/from-state-dir'
  run -0 in_pod --state "$state" -- sh -c "$get"
  assert_output '200'
  run -0 in_pod -- sh -c "$get"
  assert_output '404'
}

@test "the pod environment is kubelet's for the kubernetes service and leaks nothing from the host" {
  require_sandbox
  HTTPS_PROXY=http://proxy.invalid:3128 https_proxy=http://proxy.invalid:3128 NO_PROXY=x KUBECONFIG=/etc/kubeconfig \
    KUBERNETES_SERVICE_HOST=10.0.0.1 NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/x \
    SSL_CERT_DIR=/x CURL_CA_BUNDLE=/x REQUESTS_CA_BUNDLE=/x run -0 in_pod -- sh -c 'env | sort; ls -A "$HOME" | wc -l'
  assert_line 'KUBERNETES_SERVICE_HOST=127.0.0.1'
  assert_line 'KUBERNETES_SERVICE_PORT=443'
  assert_line 'KUBERNETES_SERVICE_PORT_HTTPS=443'
  assert_line 'KUBERNETES_PORT=tcp://127.0.0.1:443'
  assert_line 'KUBERNETES_PORT_443_TCP=tcp://127.0.0.1:443'
  assert_line 'KUBERNETES_PORT_443_TCP_PROTO=tcp'
  assert_line 'KUBERNETES_PORT_443_TCP_PORT=443'
  assert_line 'KUBERNETES_PORT_443_TCP_ADDR=127.0.0.1'
  assert_line "PATH=$REPO_ROOT/scripts:$REPO_ROOT/node_modules/.bin:$PATH"
  assert_line --regexp '^KUBE_IN_POD_ADMIN_TOKEN_FILE=/'
  assert_line --regexp '^KUBE_IN_POD_CA_FILE=/'
  refute_line --regexp '^(KUBECONFIG|HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy)='
  refute_line --regexp '^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|CURL_CA_BUNDLE|REQUESTS_CA_BUNDLE)='
  refute_line --regexp '^_KIP_'
  refute_line "HOME=$HOME"
  assert_line --index $((${#lines[@]} - 1)) '0'
}

@test "the test-only CA and admin token files are outside the volume and match the mounted CA" {
  require_sandbox
  run -0 in_pod -- sh -c 'cmp "$KUBE_IN_POD_CA_FILE" '"$SA"'/ca.crt && test -s "$KUBE_IN_POD_ADMIN_TOKEN_FILE" && echo "$KUBE_IN_POD_ADMIN_TOKEN_FILE"'
  refute_output --partial /var/run/secrets
  refute_output --partial /run/secrets
}

@test "the pod with --ipv6 puts the kubernetes service on ::1 in env, hosts and the network" {
  require_sandbox --ipv6
  run -0 in_pod --ipv6 -- sh -c 'env | grep ^KUBERNETES_ | sort; getent hosts kubernetes.default.svc'
  assert_line 'KUBERNETES_SERVICE_HOST=::1'
  assert_line 'KUBERNETES_PORT=tcp://[::1]:443'
  assert_line 'KUBERNETES_PORT_443_TCP=tcp://[::1]:443'
  assert_line 'KUBERNETES_PORT_443_TCP_ADDR=::1'
  assert_line 'KUBERNETES_PORT_443_TCP_PORT=443'
  assert_line --regexp '^::1 +kubernetes kubernetes\.default kubernetes\.default\.svc'
  run -0 in_pod --ipv6 -- sh -c 'curl -sS -o /dev/null -w "%{remote_ip}" --cacert '"$SA"'/ca.crt "https://[$KUBERNETES_SERVICE_HOST]:$KUBERNETES_SERVICE_PORT/version"'
  assert_output '::1'
}

@test "the pod with --no-automount has no token and no mount point but keeps the environment" {
  require_sandbox
  run -0 in_pod --no-automount -- sh -c "test ! -e $SA/token && test ! -e $SA && echo \$KUBERNETES_SERVICE_HOST"
  assert_output '127.0.0.1'
}

@test "curl with the mounted CA and token reaches kubernetes.default.svc" {
  require_sandbox
  run -0 in_pod -- curl -sS --fail --cacert "$SA/ca.crt" https://kubernetes.default.svc/version
  assert_output --partial '"gitVersion"'
  run -0 in_pod -- sh -c 'curl -sS --fail -o /dev/null -w "%{http_code}" --cacert '"$SA/ca.crt"' -H "Authorization: Bearer $(cat '"$SA"'/token)" "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api"'
  assert_output '200'
}

@test "the token rotates under --rotate-every 1 while ..data always resolves" {
  require_sandbox
  run -0 in_pod --rotate-every 1 -- bash -c '
    cd '"$SA"'
    tokens=("$(<token)") broken=0 end=$((${EPOCHREALTIME//[!0-9]/} + 2500000))
    while ((${EPOCHREALTIME//[!0-9]/} < end)); do
      [[ -d ..data && -s ..data/token ]] || broken=$((broken + 1))
      token=$(<token) || broken=$((broken + 1))
      [[ ${tokens[-1]} == "$token" ]] || tokens+=("$token")
    done
    echo "broken=$broken distinct=${#tokens[@]}"'
  assert_output --regexp '^broken=0 distinct=[2-9]'
}

@test "the exit status and stdin/stdout of the command pass through the pod" {
  require_sandbox
  run -7 in_pod -- sh -c 'exit 7'
  run -0 --separate-stderr bash -c 'printf "in\n" | "$REPO_ROOT/fixtures/pod" -- cat'
  assert_output 'in'
  run -127 in_pod -- no-such-command-here
  assert_output --partial 'no-such-command-here: command not found'
}

@test "a pod run leaves the host's /etc/hosts and /run unchanged" {
  require_sandbox
  local hosts_sum run_list
  hosts_sum=$(sha256sum /etc/hosts)
  run_list=$(ls -A /run)
  run -0 in_pod -- sh -c "echo '10.9.9.9 tampered' >>/etc/hosts && touch /run/written-in-pod && test -e $SA/token"
  assert_equal "$(sha256sum /etc/hosts)" "$hosts_sum"
  assert_equal "$(ls -A /run)" "$run_list"
  assert [ ! -e /run/secrets ]
  assert [ ! -e /run/written-in-pod ]
}

@test "a pod run stops its server and removes its temp dir" {
  require_sandbox
  # shellcheck disable=SC2030,SC2031 # each @test runs in its own process: this TMPDIR is for this test alone
  export TMPDIR=$BATS_TEST_TMPDIR/tmp
  mkdir "$TMPDIR"
  run -0 in_pod -- sh -c 'cat "$(dirname "$KUBE_IN_POD_ADMIN_TOKEN_FILE")/ready"; sleep 30.5 &'
  assert_regex "$output" '"pid":[0-9]+'
  # Pids inside are the pod's own PID namespace's; on the host, look for the processes by their
  # command lines: the server names the temp dir, the backgrounded sleep its odd duration.
  run ! pgrep -f "$TMPDIR/kube-in-pod"
  run ! pgrep -f 'sleep 30.5'
  assert_equal "$(ls -A "$TMPDIR")" ''
}

@test "SIGTERM to a pod stops the command and the server and removes the temp dir" {
  require_sandbox
  # shellcheck disable=SC2030,SC2031 # each @test runs in its own process: this TMPDIR is for this test alone
  export TMPDIR=$BATS_TEST_TMPDIR/tmp
  mkdir "$TMPDIR"
  "$REPO_ROOT/fixtures/pod" -- sleep 60.25 3>&- &
  local pod=$! workdir='' tries=0
  until [[ -n $workdir && -s $workdir/command.pid ]]; do
    ((++tries < 1000)) || fail 'the pod never started its command'
    workdir=$(compgen -G "$TMPDIR/kube-in-pod.*" || true)
    sleep 0.02
  done
  run -0 pgrep -f 'sleep 60.25'
  run -0 pgrep -f "$workdir/sa"
  kill -TERM "$pod"
  local status=0 started=$SECONDS
  wait "$pod" || status=$?
  assert_equal "$status" 143
  assert [ $((SECONDS - started)) -lt 10 ]
  run ! pgrep -f 'sleep 60.25'
  run ! pgrep -f "$workdir/sa"
  assert_equal "$(ls -A "$TMPDIR")" ''
}

@test "a server that exits before it is ready fails the pod with 125 and shows its log" {
  require_sandbox
  KUBE_IN_POD_APISERVER=$(write_server dies.mjs 'console.error("boom: no state"); process.exit(3)') \
    run -125 in_pod -- echo must-not-run
  assert_output --partial 'boom: no state'
  assert_output --partial 'exited with status 3 before it was ready'
  refute_output --partial must-not-run
}

@test "a server that never becomes ready fails the pod with 125 after the timeout" {
  require_sandbox
  KUBE_IN_POD_READY_TIMEOUT=1 KUBE_IN_POD_APISERVER=$(write_server hangs.mjs 'console.log("listening soon"); setInterval(() => {}, 1000)') \
    run -125 in_pod -- echo must-not-run
  assert_output --partial 'was not ready within 1s'
  assert_output --partial 'listening soon'
}

@test "a non-root user gets the same pod through a user namespace" {
  ((EUID == 0)) || skip 'needs root to switch to an unprivileged user'
  command -v setpriv >/dev/null || skip 'setpriv(1) is not installed'
  local as_nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups env -u KUBE_IN_POD_PKI_DIR TMPDIR=/tmp HOME=/tmp)
  "${as_nobody[@]}" unshare --user --map-root-user --mount --net true 2>/dev/null ||
    skip 'unprivileged user namespaces are not available'
  run -0 "${as_nobody[@]}" "$REPO_ROOT/fixtures/pod" -- sh -c "id -u && cat $SA/namespace && echo && curl -sS --fail --cacert $SA/ca.crt https://kubernetes.default.svc/version"
  assert_line --index 0 '0'
  assert_line --index 1 'default'
  assert_output --partial '"gitVersion"'
}

# ---- helpers ------------------------------------------------------------------------------------------

@test "start_apiserver runs the fake server on the host with its CA and admin token" {
  start_apiserver
  assert_regex "$APISERVER_URL" '^https://127\.0\.0\.1:[0-9]+$'
  run -0 curl -sS --fail --cacert "$APISERVER_CA" -H "Authorization: Bearer $(<"$APISERVER_ADMIN_TOKEN_FILE")" "$APISERVER_URL/api/v1/namespaces/default"
  assert_output --partial '"name": "default"'
  local pid=$APISERVER_PID
  stop_apiserver
  run ! kill -0 "$pid"
}

# ---- --cluster-dns, --drop and the server knobs through the pod (what scripts/doctor.ts reproduces) ---

@test "pod --help documents --cluster-dns, --drop and the DNS query log" {
  run -0 "$REPO_ROOT/fixtures/pod" --help
  assert_line --regexp '^  --cluster-dns +resolve as a ClusterFirst Pod: a cluster DNS on 127\.0\.0\.10:53'
  assert_line --regexp '^  --drop IP:PORT +drop TCP SYNs to IP:PORT'
  assert_output --partial 'KUBE_IN_POD_DNS_LOG'
}

@test "pod --drop with a value that is not an address and port is a usage error" {
  local value
  for value in kubernetes.default:443 127.0.0.1 127.0.0.1:0 127.0.0.1:65536 300.0.0.1:443 '::1:443' '[::1]443' ''; do
    run -2 --separate-stderr "$REPO_ROOT/fixtures/pod" --drop "$value" -- true
    assert_equal "${#stderr_lines[@]}" 1
    assert_regex "${stderr_lines[0]}" '^pod: error: --drop '
  done
}

@test "pod --drop where nft is missing reports the sandbox unavailable and exits 77" {
  require_sandbox
  # A PATH with everything the sandbox check needs but nft.
  local bin=$BATS_TEST_TMPDIR/bin dir path=
  mkdir "$bin"
  for cmd in unshare ip sh readlink dirname grep; do ln -s "$(command -v "$cmd")" "$bin/$cmd"; done
  IFS=: read -ra dirs <<<"$PATH"
  for dir in "${dirs[@]}"; do [[ -x $dir/nft ]] || path+=:$dir; done
  PATH=$bin$path run -77 --separate-stderr "$REPO_ROOT/fixtures/pod" --drop 127.0.0.1:443 -- true
  assert_equal "${stderr_lines[*]}" 'pod: sandbox unavailable: nft(8) (nftables) is not installed; it is needed for --drop'
}

@test "pod --drop makes a connect to that address time out while the port answers on another address and without --drop" {
  require_sandbox --ipv6 --drop 127.0.0.1:443
  local curl='curl -sS -o /dev/null -w "%{http_code}\n" --connect-timeout 1 --cacert "$KUBE_IN_POD_CA_FILE"'
  run -0 in_pod --drop 127.0.0.1:443 -- sh -c "$curl https://[::1]/version"
  assert_output '200'
  # Not refused (exit 7): the SYN is dropped, so curl gives up after --connect-timeout (exit 28).
  run -28 in_pod --drop 127.0.0.1:443 -- sh -c "$curl https://127.0.0.1/version"
  assert_line --partial 'Failed to connect to 127.0.0.1 port 443 after 1'
  run -0 in_pod -- sh -c "$curl https://127.0.0.1/version"
  assert_output '200'
}

@test "pod --drop on an IPv6 address and port times out there only" {
  require_sandbox --ipv6 --drop '[::1]:443'
  local curl='curl -sS -o /dev/null -w "%{http_code}\n" --connect-timeout 1 --cacert "$KUBE_IN_POD_CA_FILE"'
  run -28 in_pod --ipv6 --drop '[::1]:443' -- sh -c "$curl https://127.0.0.1/version && $curl \"https://[\$KUBERNETES_SERVICE_HOST]/version\""
  assert_line --index 0 '200'
  assert_line --partial 'Failed to connect to ::1 port 443 after 1'
}

@test "pod --cluster-dns writes resolv.conf as kubelet does for the pod's namespace and leaves the kubernetes names out of /etc/hosts" {
  require_sandbox
  run -0 in_pod --cluster-dns --service-account test/default -- cat /etc/resolv.conf
  assert_output $'search test.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.10\noptions ndots:5'
  run -0 in_pod --cluster-dns -- cat /etc/hosts
  assert_line --regexp '^127\.0\.0\.1[[:space:]]+localhost$'
  refute_output --partial kubernetes
  # Without --cluster-dns the names stay in /etc/hosts and resolv.conf is not the pod's.
  run -0 in_pod -- sh -c 'cat /etc/hosts; cat /etc/resolv.conf'
  assert_line --regexp '[[:space:]]kubernetes\.default\.svc[[:space:]]'
  refute_line 'nameserver 127.0.0.10'
}

@test "pod --cluster-dns resolves kubernetes.default through the search path for getent, curl and kubectl" {
  require_sandbox
  run -0 --separate-stderr in_pod --cluster-dns -- sh -c '
    getent hosts kubernetes.default
    curl -sS --fail --cacert '"$SA"'/ca.crt https://kubernetes.default/version >"$HOME/by-name.json"
    curl -sS --fail --cacert '"$SA"'/ca.crt "https://$KUBERNETES_SERVICE_HOST/version" >"$HOME/by-ip.json"
    cmp "$HOME/by-name.json" "$HOME/by-ip.json" && echo same-body
    kubectl --server https://kubernetes.default --certificate-authority '"$SA"'/ca.crt --token "$(cat '"$SA"'/token)" get --raw /version | jq -r .gitVersion
    cat "$KUBE_IN_POD_DNS_LOG"'
  assert_line --index 0 --regexp '^127\.0\.0\.1 +kubernetes\.default\.svc\.cluster\.local$'
  assert_line --index 1 same-body
  assert_line --index 2 v1.32.4
  # The first search domain misses, the second finds the Service; both through the cluster DNS.
  assert_output --regexp "$(in_order '"A IN kubernetes.default.default.svc.cluster.local. udp" NXDOMAIN' \
    '"A IN kubernetes.default.svc.cluster.local. udp" NOERROR 127.0.0.1')"
}

@test "pod --cluster-dns answers NXDOMAIN for a name that does not exist, with no upstream" {
  require_sandbox
  run -0 in_pod --cluster-dns -- sh -c 'getent hosts no-such-service; echo "getent=$?"
    curl -sS https://no-such-service/ 2>&1; echo "curl=$?"
    cat "$KUBE_IN_POD_DNS_LOG"'
  assert_line 'getent=2'
  assert_line "curl: (6) Could not resolve host: no-such-service"
  assert_line 'curl=6'
  assert_line --regexp '"A IN no-such-service\.default\.svc\.cluster\.local\. udp" NXDOMAIN$'
  assert_line --regexp '"A IN no-such-service\. udp" NXDOMAIN$'
  refute_output --partial NOERROR
}

@test "pod --cluster-dns resolves a service of the cluster state and one created later to their clusterIPs" {
  require_sandbox
  run -0 in_pod --cluster-dns -- sh -c '
    admin() { kubectl --server "https://$KUBERNETES_SERVICE_HOST" --certificate-authority "$KUBE_IN_POD_CA_FILE" --token "$(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")" "$@"; }
    admin get service kube-dns -n kube-system -o jsonpath="{.spec.clusterIP}{\"\n\"}"
    getent hosts kube-dns.kube-system | cut -d" " -f1
    printf "apiVersion: v1\nkind: Service\nmetadata: {name: late, namespace: test}\nspec: {clusterIP: 10.96.7.7, clusterIPs: [10.96.7.7], ports: [{port: 80}]}\n" | admin create --validate=false -f - >/dev/null
    admin get service late -n test -o jsonpath="{.spec.clusterIP}{\"\n\"}"
    getent hosts late.test.svc.cluster.local | cut -d" " -f1'
  assert_equal "${#lines[@]}" 4
  assert_equal "${lines[1]}" "${lines[0]}"
  assert_equal "${lines[3]}" "${lines[2]}"
}

@test "pod --cluster-dns with --ipv6 answers AAAA ::1 for kubernetes.default and no A record" {
  require_sandbox --ipv6
  run -0 in_pod --cluster-dns --ipv6 -- sh -c 'getent hosts kubernetes.default; getent ahostsv4 kubernetes.default.svc.cluster.local; echo "v4=$?"
    cat "$KUBE_IN_POD_DNS_LOG"'
  assert_line --index 0 --regexp '^::1 +kubernetes\.default\.svc\.cluster\.local$'
  assert_line 'v4=2'
  assert_line --regexp '"AAAA IN kubernetes\.default\.svc\.cluster\.local\. udp" NOERROR ::1$'
  assert_line --regexp '"A IN kubernetes\.default\.svc\.cluster\.local\. udp" NOERROR$'
}

@test "a pod whose server has --serving-sans without a name fails TLS for it, and the next pod's certificate is whole" {
  require_sandbox
  local curl='curl -sS -o /dev/null -w "%{http_code}\n" --cacert '"$SA"'/ca.crt'
  run -60 in_pod --server-arg --serving-sans=kubernetes.default.svc.cluster.local,127.0.0.1 -- sh -c \
    "$curl https://kubernetes.default.svc.cluster.local/version && $curl https://kubernetes.default.svc/version"
  assert_line --index 0 '200'
  assert_line --partial "no alternative certificate subject name matches target host name 'kubernetes.default.svc'"
  run -0 in_pod -- sh -c "$curl https://kubernetes.default.svc/version"
  assert_output '200'
}

@test "a pod whose server has --token-clock-offset=-7200 mounts a token that expired by the server's clock" {
  require_sandbox
  run -0 in_pod --server-arg --token-clock-offset=-7200 -- sh -c 'date +%s; cat '"$SA"'/token; echo
    curl -sS -o /dev/null -w "%{http_code}\n" --cacert '"$SA"'/ca.crt -H "Authorization: Bearer $(cat '"$SA"'/token)" https://kubernetes.default.svc/api'
  run -0 jwt_payload "${lines[1]}"
  assert_equal "$(jq --argjson now "${lines[0]}" '.exp < $now and .exp - .iat == 3607' <<<"$output")" true
  run -0 in_pod --server-arg --token-clock-offset=-7200 -- sh -c 'curl -sS -o /dev/null -w "%{http_code}\n" --cacert '"$SA"'/ca.crt -H "Authorization: Bearer $(cat '"$SA"'/token)" https://kubernetes.default.svc/api'
  assert_output 401
}

@test "pod --cluster-dns answers over TCP as over UDP" {
  require_sandbox
  # RES_OPTIONS=use-vc: glibc's resolver asks over TCP, as it does for a truncated answer.
  run -0 in_pod --cluster-dns -- sh -c 'RES_OPTIONS=use-vc getent hosts kubernetes.default.svc; cat "$KUBE_IN_POD_DNS_LOG"'
  assert_line --index 0 --regexp '^127\.0\.0\.1 +kubernetes\.default\.svc\.cluster\.local$'
  assert_line --regexp '"A IN kubernetes\.default\.svc\.cluster\.local\. tcp" NOERROR 127\.0\.0\.1$'
  refute_output --partial ' udp"'
}

# ---- kept sandboxes (fixtures/pod --keep) and the suites' script runner ---------------------------

@test "a kept sandbox gives each command a fresh cluster: what one command creates, the next does not see" {
  require_sandbox
  local keep=$BATS_TEST_TMPDIR/kept configmaps=https://kubernetes.default.svc/api/v1/namespaces/default/configmaps
  # shellcheck disable=SC2016 # expanded inside the pod
  local as_admin='curl -s -o /dev/null -w "%{http_code}" --cacert '"$SA"'/ca.crt -H "Authorization: Bearer $(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")"'
  run -0 "$REPO_ROOT/fixtures/pod" --keep "$keep" -- bash -c "$as_admin"' -H "Content-Type: application/json" \
    -d "{\"metadata\":{\"name\":\"made-by-the-first\"}}" '"$configmaps"
  assert_output '201'
  local server_pid
  server_pid=$(<"$keep/server.pid")
  run -0 "$REPO_ROOT/fixtures/pod" --keep "$keep" -- bash -c "$as_admin $configmaps/made-by-the-first"
  assert_output '404'
  # The same sandbox and server process served both: the server restarted in place.
  assert_equal "$(<"$keep/server.pid")" "$server_pid"
}

@test "a kept sandbox gives each command a new token, a new HOME and its own PID namespace" {
  require_sandbox
  local keep=$BATS_TEST_TMPDIR/kept first second
  first=$("$REPO_ROOT/fixtures/pod" --keep "$keep" -- bash -c "cat $SA/token; touch \$HOME/left-behind; sleep 40.75 & echo")
  # What the command left running ended with it, as in a one-shot sandbox.
  run ! pgrep -f 'sleep 40.75'
  # shellcheck disable=SC2016 # expanded inside the pod
  second=$("$REPO_ROOT/fixtures/pod" --keep "$keep" -- bash -c "cat $SA/token; echo; ls -A \$HOME; ps -eo args | grep -c '[b]ash'")
  assert_not_equal "$(head -1 <<<"$second")" "$(head -1 <<<"$first")"
  # HOME is empty (ls prints nothing), and the PID namespace holds only this command's shells: its
  # PID 1 and the bash -c (the first command's are gone, and the sandbox's own are not visible).
  assert_equal "$(tail -n +2 <<<"$second")" '2'
}

@test "a kept sandbox restarts for other options and ends by itself when idle" {
  require_sandbox
  local keep=$BATS_TEST_TMPDIR/kept
  run -0 "$REPO_ROOT/fixtures/pod" --keep "$keep" -- cat $SA/namespace
  assert_output 'default'
  local init
  init=$(<"$keep/init.pid")
  KUBE_IN_POD_KEEP_IDLE=1 run -0 "$REPO_ROOT/fixtures/pod" --keep "$keep" --service-account test/default -- cat $SA/namespace
  assert_output 'test'
  run ! kill -0 "$init"
  init=$(<"$keep/init.pid")
  local tries=0
  while kill -0 "$init" 2>/dev/null; do
    ((++tries < 500)) || fail 'the idle kept sandbox did not end'
    sleep 0.02
  done
  run ! pgrep -f "$keep/sa"
}

@test "a command in the pod, one-shot or kept, has the descriptors its caller gave it and no other" {
  require_sandbox
  local keep=$BATS_TEST_TMPDIR/kept given
  # What a command started here gets: find lists its own descriptors, those it reads with included.
  local -a list_fds=(find /proc/self/fd -mindepth 1 -maxdepth 1 -printf '%f\n')
  given=$("${list_fds[@]}" | sort -n)
  run -0 "$REPO_ROOT/fixtures/pod" -- "${list_fds[@]}"
  assert_equal "$(sort -n <<<"$output")" "$given"
  # A kept sandbox's lock (held by fixtures/pod while the command runs) and its polling FIFO stay out.
  run -0 "$REPO_ROOT/fixtures/pod" --keep "$keep" -- true
  run -0 "$REPO_ROOT/fixtures/pod" --keep "$keep" -- "${list_fds[@]}"
  assert_equal "$(sort -n <<<"$output")" "$given"
}

@test "a kept sandbox passes the command's exit status, stdin and a missing command through" {
  require_sandbox
  local keep=$BATS_TEST_TMPDIR/kept
  run -7 "$REPO_ROOT/fixtures/pod" --keep "$keep" -- sh -c 'exit 7'
  run -0 bash -c 'printf "in\n" | "$REPO_ROOT/fixtures/pod" --keep "$1" -- cat' _ "$keep"
  assert_output 'in'
  run -127 "$REPO_ROOT/fixtures/pod" --keep "$keep" -- no-such-command-here
  assert_output --partial 'no-such-command-here: command not found'
}

@test "every script prints the same through the real npx and tsx as through the suites' runner" {
  require_sandbox
  cd "$REPO_ROOT" || fail 'no repo root'
  local script through_npx
  for script in scripts/*.ts; do
    head -1 "$script" | grep -qx '#!/usr/bin/env -S npx tsx' || continue
    run -0 --separate-stderr env KUBE_IN_POD_SCRIPT_RUNNER=npx "$script" --help
    through_npx=$output
    run -0 --separate-stderr "$script" --help
    assert_equal "$output" "$through_npx"
  done
  # And a request, with its exit status and stderr: the 403 of listing nodes.
  run -7 --separate-stderr in_pod -- env KUBE_IN_POD_SCRIPT_RUNNER=npx get-api.ts /api/v1/nodes
  # shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
  local npx_output=$output npx_stderr=$stderr
  run -7 --separate-stderr in_pod -- get-api.ts /api/v1/nodes
  assert_equal "$output" "$npx_output"
  assert_equal "$stderr" "$npx_stderr"
}
