# test/helpers/common.bash — shared helpers for every bats suite.
#
# Load it from setup (or setup_file) of each .bats file:
#     bats_require_minimum_version 1.5.0      # at the top of the .bats file
#     setup() { load helpers/common; }
#
# It loads bats-support and bats-assert, makes the test hermetic (a fresh HOME; no KUBECONFIG and
# no proxy variables leak in), and defines:
#   REPO_ROOT                       the repository root
#   require_sandbox [POD FLAGS]     skip the test, with the reason, where fixtures/pod cannot run
#   in_pod [POD FLAGS] -- CMD...     run CMD inside the pod sandbox (see fixtures/pod --help); the
#                                   sandbox is kept between commands (see in_pod below)
#   start_apiserver [SERVER ARGS]   start the fake apiserver on the host at 127.0.0.1:<free port>
#                                   and export APISERVER_URL, APISERVER_CA, APISERVER_ADMIN_TOKEN_FILE
#   stop_apiserver                  stop it (call from teardown)
#   in_order TEXT...                a regexp for assert_output/assert_stderr --regexp matching the TEXTs
#                                   literally and in this order (the glob *TEXT1*TEXT2*)
#   pause SECONDS, running PID      sleep, and kill -0 false for a zombie, without a fork (fixtures/poll.bash)
#   tool_bundles                    print the directory of this run's tools/build.ts bundles (built once)
# Every file of a bats run shares one PKI (KUBE_IN_POD_PKI_DIR) and the bundles of the scripts and the
# fake apiserver (KUBE_IN_POD_BUNDLES), made once by test/setup_suite.bash.

# This file is sourced before every test, so it forks nothing it can avoid: a fork costs milliseconds
# on a small VM, and a `$(…)` or a bats `load` per line added up to a quarter of a second per test.
# bats makes BATS_TEST_DIRNAME absolute (it is test/).
REPO_ROOT=${BATS_TEST_DIRNAME%/*}
export REPO_ROOT

# bats-support and bats-assert: what their load.bash files source, without a `$(dirname …)` per file.
for _helper in "$REPO_ROOT"/node_modules/bats-support/src/*.bash "$REPO_ROOT"/node_modules/bats-assert/src/*.bash; do
  # shellcheck source=/dev/null # the packages' own files
  source "$_helper"
done
unset _helper
# pause SECONDS and running PID: polling without forks.
# shellcheck source=fixtures/poll.bash
source "$REPO_ROOT/fixtures/poll.bash"
PAUSE_FIFO=${BATS_FILE_TMPDIR:+$BATS_FILE_TMPDIR/pause}

make_hermetic() {
  export HOME=${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/home
  mkdir -p "$HOME"
  unset KUBECONFIG HTTPS_PROXY HTTP_PROXY NO_PROXY ALL_PROXY https_proxy http_proxy no_proxy all_proxy
  # The host's trust-store settings are not the test's either (fixtures/pod unsets them for a Pod too);
  # NODE_EXTRA_CA_CERTS would also cost every node process ~40 ms to read the bundle at start.
  unset NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE
  # `npm test` exports its whole config as npm_* variables, which every `npx` (the scripts'
  # shebang) would then warn about; with a fresh HOME npm no longer reads ~/.npmrc either, so
  # keep its update notice out of the scripts' stderr too.
  local var
  for var in "${!npm_@}"; do unset "$var"; done
  export npm_config_update_notifier=false
  # The scripts' shebang runs `npx tsx`: helpers/bin/npx runs that without npm's start-up (see there).
  [[ :$PATH: == *":$REPO_ROOT/test/helpers/bin:"* ]] || export PATH=$REPO_ROOT/test/helpers/bin:$PATH
  export KUBE_IN_POD_PKI_DIR=${KUBE_IN_POD_PKI_DIR:-$BATS_FILE_TMPDIR/pki}
  # A sandbox's server is ready in about a second; with every suite running side by side on a small
  # machine it can take ten times that, which is not what the tests are about.
  export KUBE_IN_POD_READY_TIMEOUT=${KUBE_IN_POD_READY_TIMEOUT:-60}
}
make_hermetic

# Skips (exit 77 of `fixtures/pod --check`) with the sandbox's own one-line reason; any other
# failure of the check is a real failure.
# shellcheck disable=SC2120 # callers may pass pod flags (e.g. --ipv6); enter_pod_suite passes none
require_sandbox() {
  local reason status=0 answer=${BATS_FILE_TMPDIR:-/nonexistent}/sandbox-check${*// /_}
  # The answer does not change during a run: ask fixtures/pod once per file.
  if [[ -f $answer ]]; then
    { read -r status; IFS= read -r -d '' reason || true; } <"$answer"
  else
    reason=$("$REPO_ROOT/fixtures/pod" --check "$@" 2>&1) || status=$?
    [[ -d ${BATS_FILE_TMPDIR:-} ]] && printf '%s\n%s' "$status" "$reason" >"$answer"
  fi
  case $status in
    0) return 0 ;;
    77) skip "${reason#pod: }" ;;
    *) fail "fixtures/pod --check $* failed with status $status: $reason" ;;
  esac
}

# setup() for suites that run in the pod sandbox: skip where it cannot run, and work from the
# repo root, because the scripts' `npx tsx` shebang resolves tsx from the working directory
# (elsewhere npx would try the registry, which a pod sandbox cannot reach).
enter_pod_suite() {
  require_sandbox
  cd "$REPO_ROOT" || return 1
}

# The sandbox for each set of POD FLAGS is kept for the whole .bats file (fixtures/pod --keep): each
# command still gets a fresh server, token and PID namespace, without paying a sandbox's start-up.
# KUBE_IN_POD_KEEP=0 starts a new sandbox for every command instead.
in_pod() {
  local -a flags=()
  local arg
  for arg; do
    [[ $arg == -- ]] && break
    flags+=("$arg")
  done
  if [[ ${KUBE_IN_POD_KEEP:-1} == 1 && ${#flags[@]} -lt $# && -n ${BATS_FILE_TMPDIR:-} ]]; then
    # The directory is named after the flags, without a fork where they make a short name (fixtures/pod
    # --keep restarts a sandbox whose options differ, so two flag lists sharing a name cost a restart,
    # never a wrong sandbox). No dots: a name of "." or ".." would be another directory.
    local key=${flags[*]:-default}
    key=${key//[^A-Za-z0-9=-]/_}
    ((${#key} <= 64)) || { key=$(printf '%s\0' "${flags[@]}" | sha256sum) && key=${key:0:16}; }
    "$REPO_ROOT/fixtures/pod" --keep "$BATS_FILE_TMPDIR/pods/$key" "$@"
  else
    "$REPO_ROOT/fixtures/pod" "$@"
  fi
}

start_apiserver() {
  local dir
  dir=$(mktemp -d "${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/apiserver.XXXXXX")
  APISERVER_LOG=$dir/server.log
  APISERVER_ADMIN_TOKEN_FILE=$dir/admin-token
  # The server's bundle, as fixtures/pod starts it (fixtures/cached-bundle, which has the run's from
  # test/setup_suite.bash; ~0.8 s less per start than the tsx loader), or tsx where it cannot be built
  # or KUBE_IN_POD_TSX=1 asks for it. The bundle's default --state would be found relative to the
  # bundle's file, so it is given.
  local -a run=(node --import tsx fixtures/apiserver.ts)
  local bundle
  if [[ ${KUBE_IN_POD_TSX:-0} != 1 ]] && bundle=$("$REPO_ROOT/fixtures/cached-bundle" "$REPO_ROOT/fixtures/apiserver.ts"); then
    run=(node "$bundle")
    [[ " $* " == *" --state "* || " $* " == *" --state="* ]] || run+=(--state "$REPO_ROOT/fixtures/cluster")
  fi
  # 3>&-: bats waits for fd 3 to close; a background server must not hold it.
  (cd "$REPO_ROOT" && exec "${run[@]}" --listen 127.0.0.1:0 \
    --pki-dir "$KUBE_IN_POD_PKI_DIR" --admin-token-file "$APISERVER_ADMIN_TOKEN_FILE" \
    --ready-file "$dir/ready" "$@") </dev/null >"$APISERVER_LOG" 2>&1 3>&- &
  APISERVER_PID=$!
  local deadline=$((SECONDS + KUBE_IN_POD_READY_TIMEOUT))
  until [[ -s $dir/ready ]]; do
    if ! running "$APISERVER_PID" || ((SECONDS >= deadline)); then
      fail "fake apiserver did not become ready; log $APISERVER_LOG:"$'\n'"$(cat "$APISERVER_LOG")"
      return 1
    fi
    pause 0.02
  done
  local ready
  ready=$(<"$dir/ready")
  [[ $ready =~ \"url\":\"([^\"]+)\" ]] && APISERVER_URL=${BASH_REMATCH[1]}
  [[ $ready =~ \"caFile\":\"([^\"]+)\" ]] && APISERVER_CA=${BASH_REMATCH[1]}
  export APISERVER_URL APISERVER_CA APISERVER_ADMIN_TOKEN_FILE APISERVER_PID APISERVER_LOG
}

stop_apiserver() {
  [[ -n ${APISERVER_PID:-} ]] || return 0
  kill -TERM "$APISERVER_PID" 2>/dev/null || true
  wait "$APISERVER_PID" 2>/dev/null || true
  unset APISERVER_PID
}

# tool_bundles: print the directory holding tools/build.ts's bundles (<tool>.mjs, kube-in-pod.mjs and
# THIRD-PARTY-NOTICES, as `npm run build` writes dist/), built from this tree once per bats run by the
# first file that asks; files run side by side, so the others wait for it on a lock. Tests only read it.
tool_bundles() {
  local dir=${BATS_RUN_TMPDIR:?}/dist
  {
    flock -w 600 9
    [[ -e $dir/.built ]] || { node --import tsx "$REPO_ROOT/tools/build.ts" --outdir "$dir" >&2 && : >"$dir/.built"; }
  } 9>"$BATS_RUN_TMPDIR/dist.lock" || return 1
  printf '%s\n' "$dir"
}

# in_order TEXT...: an extended regular expression that matches the TEXTs literally, in this order,
# with anything (newlines too) between them: the glob *TEXT1*TEXT2* for bats-assert, which shows the
# whole output when it fails:
#     assert_stderr --regexp "$(in_order '403 Forbidden' 'RBAC does not allow this')"
# Put a ^ in front to match the first TEXT at the very start.
in_order() {
  local text regexp='' separator=''
  for text; do
    # shellcheck disable=SC2001 # ${text//…} has no backreference (&) before bash 5.2
    regexp+=$separator$(sed 's/[][\\.^$*+?(){}|]/\\&/g' <<<"$text")
    separator='.*'
  done
  printf '%s\n' "$regexp"
}
