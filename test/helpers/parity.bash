# test/helpers/parity.bash — kubectl parity: run a kubectl command and the script that does the same
# job in one pod sandbox, and assert that both print the same stdout and stderr and exit alike.
#
# Load it after helpers/common:
#     setup() { load helpers/common; load helpers/parity; enter_pod_suite; }
#
#   kubectl_parity [POD FLAGS] -- KUBECTL ARGS...
#       get ARGS...          is compared with  get.ts ARGS...
#       auth can-i ARGS...   is compared with  can-i.ts ARGS...
#       auth whoami ARGS...  is compared with  whoami.ts ARGS...
#   Both run in the same pod, one after the other (kubectl first). On a difference the assertion shows
#   a unified diff. Afterwards $output, $stderr and $status hold what kubectl printed and returned, so
#   the test can also say what the answer must be (a parity check alone would pass if both broke alike):
#       kubectl_parity --service-account test/default -- get pods -n test
#       assert_line --index 0 --regexp '^NAME +READY +STATUS'
#
#   admin_kubeconfig   prints the path of a kubeconfig for the sandbox's cluster-admin (see below)

kubectl_parity() {
  local -a pod_flags=() script=()
  while (($#)) && [[ $1 != -- ]]; do pod_flags+=("$1"); shift; done
  [[ ${1:-} == -- ]] || fail "kubectl_parity: usage: kubectl_parity [POD FLAGS] -- KUBECTL ARGS..."
  shift
  case "$1 ${2:-}" in
    "get "*) script=(get.ts "${@:2}") ;;
    "auth can-i") script=(can-i.ts "${@:3}") ;;
    "auth whoami") script=(whoami.ts "${@:3}") ;;
    *) fail "kubectl_parity: no script does the job of 'kubectl $1 ${2:-}'" ;;
  esac
  local dir
  dir=$(mktemp -d "$BATS_TEST_TMPDIR/parity.XXXXXX")
  # shellcheck disable=SC2016 # expanded by the shell inside the pod
  in_pod "${pod_flags[@]}" -- bash -c '
    dir=$1 count=$2; shift 2
    kubectl "${@:1:count}" >"$dir/kubectl.out" 2>"$dir/kubectl.err"; echo $? >"$dir/kubectl.status"
    "${@:count+1}" >"$dir/script.out" 2>"$dir/script.err"; echo $? >"$dir/script.status"
  ' _ "$dir" "$#" "$@" "${script[@]}" </dev/null ||
    fail "kubectl_parity: the pod sandbox failed (status $?)"
  local stream difference
  local -A stream_names=([out]=stdout [err]=stderr [status]='exit status')
  for stream in out err status; do
    if ! difference=$(diff -u --label "kubectl $*" --label "${script[*]}" "$dir/kubectl.$stream" "$dir/script.$stream"); then
      fail "kubectl_parity: the ${stream_names[$stream]} differs:"$'\n'"$difference"
    fi
  done
  # shellcheck disable=SC2034 # bats' own variables, read by bats-assert
  {
    output=$(<"$dir/kubectl.out")
    stderr=$(<"$dir/kubectl.err")
    status=$(<"$dir/kubectl.status")
    mapfile -t lines <"$dir/kubectl.out"
    mapfile -t stderr_lines <"$dir/kubectl.err"
  }
}

# A kubeconfig for the sandbox's cluster-admin: the API server by its Service name, the mounted CA,
# and an exec plugin that hands over $KUBE_IN_POD_ADMIN_TOKEN_FILE (known only inside the pod), so
# kubectl and the scripts get the admin token the same way (pass it to both with --kubeconfig).
# Prints the kubeconfig's path.
admin_kubeconfig() {
  local plugin=$BATS_TEST_TMPDIR/admin-token-plugin kubeconfig=$BATS_TEST_TMPDIR/admin.kubeconfig
  cat >"$plugin" <<'EOF'
#!/usr/bin/env bash
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}\n' "$(<"$KUBE_IN_POD_ADMIN_TOKEN_FILE")"
EOF
  chmod +x "$plugin"
  cat >"$kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: https://kubernetes.default.svc
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
users:
- name: admin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $plugin
      interactiveMode: Never
contexts:
- name: admin
  context:
    cluster: sandbox
    user: admin
current-context: admin
EOF
  printf '%s\n' "$kubeconfig"
}
