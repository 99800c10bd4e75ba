# test/setup_suite.bash — sourced by bats once per run, before the first .bats file (bats-core's
# setup_suite: what it exports, every test sees). It makes once what each file, or each command in a
# pod, would otherwise make again:
#   KUBE_IN_POD_BUNDLES   a directory naming the esbuild bundle (fixtures/cached-bundle) of every tool
#                         in scripts/, of the fake apiserver, the cluster DNS and proxy.bats's echo
#                         server: the file
#                         $KUBE_IN_POD_BUNDLES/scripts/get-api.ts holds the path of scripts/get-api.ts's
#                         bundle. (A path, not a link: node runs a linked file under its real name, and
#                         the server starts only when run under its own.) fixtures/cached-bundle prints
#                         a named bundle at once instead of hashing the sources, a dozen forks; the
#                         suites' npx (test/helpers/bin/npx), run before every script, reads the name
#                         itself without starting cached-bundle at all.
#   KUBE_IN_POD_PKI_DIR   one cluster PKI for the run, made here by the fake apiserver (start_apiserver),
#                         instead of one per file (four openssl runs each). Unless it is set already.
# An entry that does not build is left out: its users fall back to cached-bundle, then to tsx, and
# show the compile error there. A PKI that cannot be made leaves KUBE_IN_POD_PKI_DIR to each file.

setup_suite() {
  local repo_root=${BASH_SOURCE[0]%/*}/..
  repo_root=$(cd "$repo_root" && pwd)
  export KUBE_IN_POD_BUNDLES=$BATS_SUITE_TMPDIR/bundles
  local entry file
  local -a entries=("$repo_root"/fixtures/apiserver.ts "$repo_root"/fixtures/cluster-dns.ts "$repo_root"/test/helpers/header-echo.ts)
  for file in "$repo_root"/scripts/*.ts; do
    [[ $(head -n 1 "$file") == '#!/usr/bin/env -S npx tsx' ]] && entries+=("$file")
  done
  for entry in "${entries[@]}"; do
    name_bundle "$repo_root" "$entry" &
  done
  wait
  [[ -z ${KUBE_IN_POD_PKI_DIR:-} ]] || return 0
  make_pki "$BATS_SUITE_TMPDIR/pki" && export KUBE_IN_POD_PKI_DIR=$BATS_SUITE_TMPDIR/pki
  return 0
}

# name_bundle REPO_ROOT ENTRY: build ENTRY's bundle (a script's with --as-script) and write its path
# into KUBE_IN_POD_BUNDLES.
name_bundle() {
  local repo_root=$1 entry=$2 bundle
  local -a as_script=()
  [[ $entry == "$repo_root"/scripts/* ]] && as_script=(--as-script)
  local name=$KUBE_IN_POD_BUNDLES/${entry#"$repo_root"/}
  bundle=$("$repo_root/fixtures/cached-bundle" "${as_script[@]}" "$entry" 2>/dev/null) || return 0
  mkdir -p "${name%/*}" && printf '%s\n' "$bundle" >"$name"
}

# make_pki DIR: the PKI the fake apiserver makes on its first start, in DIR: start_apiserver's and
# stop_apiserver's (test/helpers/common.bash), in a subshell so that nothing else of theirs stays.
make_pki() {
  (
    export KUBE_IN_POD_PKI_DIR=$1 BATS_FILE_TMPDIR=$BATS_SUITE_TMPDIR
    load helpers/common
    local status=0
    start_apiserver || status=$?
    stop_apiserver
    exit "$status"
  ) >"$BATS_SUITE_TMPDIR/pki-server.log" 2>&1
}
