#!/usr/bin/env bats
# The bundles people copy into debug images (tools/build.ts: dist/<tool>.mjs, one per tool, and
# dist/kube-in-pod.mjs, every tool as a subcommand or by link name) and the npm package: each bundle,
# copied alone into an empty directory and run with bare node inside the pod sandbox, prints what its
# scripts/<tool>.ts prints; the dispatcher's subcommands and links; delivery on stdin (`node - <
# bundle`, for an image with node but no tar); the packed tarball installed offline. The bundles are
# built once per run (tool_bundles, test/helpers/common.bash; npm pack builds dist/ itself, through
# prepack).
bats_require_minimum_version 1.5.0
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup_file() {
  load helpers/common
  export BUNDLES
  BUNDLES=$(tool_bundles)
  # Every scripts/*.ts with the tsx shebang is a tool (tools/build.ts findTools).
  local file tools=()
  for file in "$REPO_ROOT"/scripts/*.ts; do
    [[ $(head -n 1 "$file") == '#!/usr/bin/env -S npx tsx' ]] && tools+=("$(basename "$file" .ts)")
  done
  export TOOLS="${tools[*]}"
  # npm pack runs prepack (npm run build) and packs dist/ as package.json's "files" say.
  (cd "$REPO_ROOT" && npm pack --silent --pack-destination "$BATS_FILE_TMPDIR" >/dev/null 2>&1)
  export TARBALL
  TARBALL=$(echo "$BATS_FILE_TMPDIR"/kube-in-pod-*.tgz)
  export INSTALLED=$BATS_FILE_TMPDIR/installed
  mkdir -p "$INSTALLED"
  (cd "$INSTALLED" && npm install --offline --no-audit --no-fund --silent "$TARBALL" >/dev/null 2>&1)
}

setup() {
  load helpers/common
  enter_pod_suite
}

# probe TOOL: arguments that make TOOL talk to the sandbox's API server (or, for a tool this file does
# not know yet, --help), one per line.
probe() {
  case $1 in
    get-api) echo /api ;;
    get-daemonset) printf '%s\n' gateway -n test ;;
    get) printf '%s\n' daemonsets -n test -o json ;;
    can-i) printf '%s\n' get daemonsets -n test ;;
    whoami) printf '%s\n' -o json ;;
    serviceaccount) printf '%s\n' -o json ;;
    proxy) printf '%s\n' --print-curl /apis/batch/v1 ;;
    doctor) echo doctor-needs-no-arguments ;;
    *) echo --help ;;
  esac
}

# In the pod: run every tool as scripts/<tool>.ts (through tsx) and as its bundle alone in an empty
# directory; print, per tool, whether stdout, stderr (the invoked name aside) and the exit code agree.
# Durations ("in 58m49s", "12ms") are the clock's, not the code's: doctor's are masked on both sides.
compare_every_tool() {
  local tool args status_ts status_bundle dir
  for tool in $TOOLS; do
    mapfile -t args < <(probe "$tool")
    [[ ${args[0]} == doctor-needs-no-arguments ]] && args=()
    dir=$(mktemp -d "$BATS_TEST_TMPDIR/$tool.XXXXXX")
    cp "$BUNDLES/$tool.mjs" "$dir/empty-but-this.mjs"
    status_ts=0
    node --import tsx "$REPO_ROOT/scripts/$tool.ts" "${args[@]}" >"$dir/ts.out" 2>"$dir/ts.err" || status_ts=$?
    status_bundle=0
    (cd "$dir" && node empty-but-this.mjs "${args[@]}" >"$dir/bundle.out" 2>"$dir/bundle.err") || status_bundle=$?
    sed -i "s/$tool\.ts/TOOL/g" "$dir/ts.out" "$dir/ts.err"
    sed -i "s/empty-but-this\.mjs/TOOL/g" "$dir/bundle.out" "$dir/bundle.err"
    # What changes between two runs a second apart: doctor's timings and clock skew (either sign),
    # the server's stamp on whoami's review.
    case $tool in
      doctor) sed -i -E 's/-?[0-9]+(\.[0-9]+)?(h|m|s|ms)([0-9]+(\.[0-9]+)?(m|s|ms))*/DURATION/g' "$dir"/*.out "$dir"/*.err ;;
      whoami) sed -i -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/TIMESTAMP/g' "$dir"/*.out "$dir"/*.err ;;
    esac
    if cmp -s "$dir/ts.out" "$dir/bundle.out" && cmp -s "$dir/ts.err" "$dir/bundle.err" && ((status_ts == status_bundle)); then
      echo "$tool: same (exit $status_ts, $(wc -c <"$dir/ts.out") bytes)"
    else
      echo "$tool: DIFFERENT (exit $status_ts vs $status_bundle)"
      diff "$dir/ts.out" "$dir/bundle.out" | head -5
      diff "$dir/ts.err" "$dir/bundle.err" | head -5
    fi
  done
}

@test "every bundle copied alone into an empty directory prints what its script prints" {
  export -f compare_every_tool probe
  run -0 in_pod --service-account test/default -- bash -c compare_every_tool
  refute_output --partial DIFFERENT
  local tool
  for tool in $TOOLS; do assert_line --regexp "^$tool: same \(exit [0-9]+, [1-9][0-9]* bytes\)$"; done
  # The probes reach the API server: these succeed (doctor too: a healthy pod).
  assert_line --regexp '^get-api: same \(exit 0, '
  assert_line --regexp '^get-daemonset: same \(exit 0, '
}

@test "get-api bundled prints the body of /api byte for byte as curl does in the pod" {
  run -0 in_pod -- bash -c '
    SA=/var/run/secrets/kubernetes.io/serviceaccount
    curl -s --cacert $SA/ca.crt -H "Authorization: Bearer $(cat $SA/token)" https://kubernetes.default.svc/api >"$BATS_TEST_TMPDIR/curl"
    node "$BUNDLES/get-api.mjs" /api >"$BATS_TEST_TMPDIR/bundle"
    node "$BUNDLES/kube-in-pod.mjs" get-api /api >"$BATS_TEST_TMPDIR/multi"
    cmp "$BATS_TEST_TMPDIR/curl" "$BATS_TEST_TMPDIR/bundle" && cmp "$BATS_TEST_TMPDIR/curl" "$BATS_TEST_TMPDIR/multi" && echo identical'
  assert_output identical
}

@test "kube-in-pod.mjs runs every tool as a subcommand with what the tool's own bundle prints" {
  run -0 in_pod --service-account test/default -- bash -c '
    for tool in $TOOLS; do
      single=$(node "$BUNDLES/$tool.mjs" --help | sed "s/$tool\.mjs/TOOL/g")
      multi=$(node "$BUNDLES/kube-in-pod.mjs" "$tool" --help | sed "s/kube-in-pod $tool/TOOL/g")
      [[ $single == "$multi" ]] && echo "$tool: same" || echo "$tool: DIFFERENT"
    done
    diff <(node "$BUNDLES/get-daemonset.mjs" gateway -n test -o status) <(node "$BUNDLES/kube-in-pod.mjs" get-daemonset gateway -n test -o status) && echo "get-daemonset -o status: same"'
  refute_output --partial DIFFERENT
  assert_line 'get-daemonset -o status: same'
  local tool
  for tool in $TOOLS; do assert_line "$tool: same"; done
}

@test "a link named after a tool runs that tool from kube-in-pod.mjs, busybox style" {
  local dir=$BATS_TEST_TMPDIR/bin
  mkdir -p "$dir"
  cp "$BUNDLES/kube-in-pod.mjs" "$dir/"
  ln -s kube-in-pod.mjs "$dir/get-api"
  ln -s kube-in-pod.mjs "$dir/get-daemonset"
  run -0 in_pod --service-account test/default -- bash -c "
    diff <('$dir/get-api' /apis) <(node '$BUNDLES/get-api.mjs' /apis) && echo 'get-api: same'
    diff <('$dir/get-daemonset' gateway -n test) <(node '$BUNDLES/get-daemonset.mjs' gateway -n test) && echo 'get-daemonset: same'"
  assert_output $'get-api: same\nget-daemonset: same'
}

@test "--help names the tool as it was invoked: script, bundle, subcommand or link" {
  local dir=$BATS_TEST_TMPDIR/bin
  mkdir -p "$dir"
  cp "$BUNDLES/kube-in-pod.mjs" "$dir/"
  ln -s kube-in-pod.mjs "$dir/get-api"
  run -0 node --import tsx "$REPO_ROOT/scripts/get-api.ts" --help
  assert_line --index 0 'Usage: get-api.ts [PATH] [flags]'
  run -0 node "$BUNDLES/get-api.mjs" --help
  assert_line --index 0 'Usage: get-api.mjs [PATH] [flags]'
  assert_line '  get-api.mjs /apis/batch/v1'
  run -0 node "$dir/kube-in-pod.mjs" get-api --help
  assert_line --index 0 'Usage: kube-in-pod get-api [PATH] [flags]'
  run -0 "$dir/get-api" --help
  assert_line --index 0 'Usage: get-api [PATH] [flags]'
  # A usage error prints the same usage, on stderr.
  run -2 --separate-stderr "$dir/get-api" --no-such-flag
  assert_stderr --partial $'error: unknown flag --no-such-flag\n\nUsage: get-api [PATH] [flags]'
}

@test "kube-in-pod.mjs lists every tool for --help, and without a tool or with an unknown one exits 2" {
  run -0 node "$BUNDLES/kube-in-pod.mjs" --help
  assert_line --index 0 'Usage: kube-in-pod TOOL [ARGS...]'
  local tool
  for tool in $TOOLS; do assert_line --regexp "^  $tool +[^ ]"; done
  run -2 --separate-stderr node "$BUNDLES/kube-in-pod.mjs"
  assert_output ''
  assert_stderr --regexp '^error: missing TOOL'
  run -2 --separate-stderr node "$BUNDLES/kube-in-pod.mjs" no-such-tool /api
  assert_output ''
  assert_stderr --regexp '^error: unknown tool "no-such-tool"'
}

@test "a bundle delivered on stdin runs with node - (an image with node but no tar)" {
  run -0 in_pod --service-account test/default -- bash -c '
    diff <(node - gateway -n test <"$BUNDLES/get-daemonset.mjs") <(node "$BUNDLES/get-daemonset.mjs" gateway -n test) && echo "get-daemonset.mjs on stdin: same"
    diff <(node - get-api /api <"$BUNDLES/kube-in-pod.mjs") <(node "$BUNDLES/get-api.mjs" /api) && echo "kube-in-pod.mjs on stdin: same"
    # As docs/debug-containers.md writes it, for Node releases that do not detect an ES module alone.
    diff <(node --input-type=module - doctor <"$BUNDLES/kube-in-pod.mjs" | grep -c "^✓") <(node "$BUNDLES/doctor.mjs" | grep -c "^✓") &&
      echo "kube-in-pod.mjs doctor on stdin, --input-type=module: same checks passed"
    node - get-api --help <"$BUNDLES/kube-in-pod.mjs" | head -n 1'
  assert_output $'get-daemonset.mjs on stdin: same\nkube-in-pod.mjs on stdin: same\nkube-in-pod.mjs doctor on stdin, --input-type=module: same checks passed\nUsage: kube-in-pod get-api [PATH] [flags]'
}

@test "every bundle starts with the licences of the packages it carries, and THIRD-PARTY-NOTICES has them all" {
  local bundle
  for bundle in "$BUNDLES"/*.mjs; do
    run -0 head -c 400 "$bundle"
    assert_line --index 0 '#!/usr/bin/env node'
    assert_line --index 1 '/*!'
    assert_output --regexp 'This file bundles .*undici [0-9.]+ \(MIT\)'
  done
  run -0 cat "$BUNDLES/THIRD-PARTY-NOTICES"
  local package
  for package in undici yaml zx; do
    assert_line --regexp "^$package [0-9]+\.[0-9]+\.[0-9]+ \("
    local licence
    licence=$(find "$REPO_ROOT/node_modules/$package" -maxdepth 1 -iname 'licen[cs]e*' | head -n 1)
    # Its first line (notices.ts trims the text), and the whole text is in there.
    assert_output --partial "$(grep -m 1 '[^[:space:]]' "$licence" | sed 's/^[[:space:]]*//')"
    assert_output --partial "$(tail -n 5 "$licence")"
  done
}

@test "the packed tarball has no runtime dependencies and a bin for kube-in-pod and for every tool" {
  run -0 tar -xOzf "$TARBALL" package/package.json
  local manifest=$output
  run -0 jq -r '(.dependencies // {}) | length' <<<"$manifest"
  assert_output 0
  run -0 jq -r '.bin | to_entries[] | "\(.key) \(.value)"' <<<"$manifest"
  assert_line 'kube-in-pod dist/kube-in-pod.mjs'
  local tool
  for tool in $TOOLS; do assert_line "$tool dist/$tool.mjs"; done
  # Installed offline into an empty directory: the package alone, nothing fetched.
  run -0 ls "$INSTALLED/node_modules"
  assert_output kube-in-pod
}

@test "the tarball installed offline runs kube-in-pod doctor and the tools' own bins in the pod through npx" {
  run -0 --separate-stderr in_pod --service-account test/default -- bash -c '
    cd "$INSTALLED"
    diff <(npx --offline kube-in-pod get-api /api) <(node "$BUNDLES/get-api.mjs" /api) && echo "kube-in-pod get-api: same"
    diff <(npx --offline get-daemonset gateway -n test -o status) <(node "$BUNDLES/get-daemonset.mjs" gateway -n test -o status) &&
      echo "get-daemonset: same"
    npx --offline kube-in-pod doctor'
  assert_line --index 0 'kube-in-pod get-api: same'
  assert_line --index 1 'get-daemonset: same'
  # doctor's own report (no kubectl equivalent): a healthy pod, every check passed.
  assert_line --regexp '^✓ token +system:serviceaccount:test:default, '
  refute_line --regexp '^✗'
}
