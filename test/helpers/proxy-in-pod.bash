# test/helpers/proxy-in-pod.bash — sourced by the scripts test/proxy.bats runs inside the pod sandbox
# (where the bats helpers are not loaded): start proxies in the background, wait until they serve,
# and stop whatever was started when the script exits (the sandbox has no PID namespace, so a
# forgotten background process would outlive it).
#
#   serve NAME COMMAND...      start COMMAND, a server that prints "Starting to serve on ADDRESS"
#                              (proxy.ts, kubectl proxy, header-echo.ts); stdout/stderr go to
#                              $WORK/NAME.out and $WORK/NAME.err; sets ${NAME^^}_PORT (the address's
#                              port, or the socket path) and ${NAME^^}_PID
#   start_proxy NAME [FLAGS]   serve NAME proxy.ts --port 0 FLAGS
#   start_kubectl_proxy NAME [FLAGS]   serve NAME kubectl proxy --port=0 FLAGS
#   admin_curl ARGS...         curl straight to the API server as cluster-admin (TEST-ONLY credentials)
#   wait_for_match FILE REGEX  wait up to 5 s for a line matching REGEX in FILE
#
# proxy.ts and header-echo.ts run through their `npx tsx` shebang, which in the suites is
# test/helpers/bin/npx with its default runner (`env -u KUBE_IN_POD_SCRIPT_RUNNER`): it execs node on the
# script's bundle, so the process a test signals is the script's. (Through the real npx, npm → sh -c →
# tsx → node, a SIGTERM sent to the first process never reaches the script.)
# Needs: $REPO_ROOT (test/helpers/common.bash) and $WORK (a directory outside the pod's mounts).
set -euo pipefail

# For the test scripts that source this file:
# shellcheck disable=SC2034
SA=/var/run/secrets/kubernetes.io/serviceaccount
# shellcheck disable=SC2034
API=https://kubernetes.default.svc
_started_pids=()

_stop_started() {
  local pid
  for pid in "${_started_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${_started_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap _stop_started EXIT

serve() {
  local name=$1 out=$WORK/$1.out err=$WORK/$1.err address
  shift
  "$@" >"$out" 2>"$err" </dev/null &
  local pid=$! timeout=${KUBE_IN_POD_READY_TIMEOUT:-20}
  local deadline=$((SECONDS + timeout))
  _started_pids+=("$pid")
  until grep -q '^Starting to serve on ' "$out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      printf '%s exited before serving:\n%s\n' "$name" "$(cat "$err")" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      printf '%s did not serve within %ss:\n%s\n' "$name" "$timeout" "$(cat "$err")" >&2
      return 1
    fi
    sleep 0.05
  done
  address=$(sed -n 's/^Starting to serve on //p' "$out")
  printf -v "${name^^}_PORT" '%s' "${address##*:}"
  printf -v "${name^^}_PID" '%s' "$pid"
}

start_proxy() {
  local name=$1
  shift
  serve "$name" env -u KUBE_IN_POD_SCRIPT_RUNNER proxy.ts --port 0 "$@"
}

start_kubectl_proxy() {
  local name=$1
  shift
  serve "$name" kubectl proxy --port=0 "$@"
}

admin_curl() {
  curl -s --cacert "$KUBE_IN_POD_CA_FILE" -H "Authorization: Bearer $(cat "$KUBE_IN_POD_ADMIN_TOKEN_FILE")" "$@"
}

wait_for_match() {
  local deadline=$((SECONDS + 5))
  until grep -Eq "$2" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || { printf 'no line matching %s in %s:\n%s\n' "$2" "$1" "$(cat "$1")" >&2; return 1; }
    sleep 0.05
  done
}
