#!/usr/bin/env bats
# npm run demo (fixtures/demo.sh): the walkthrough narrated in the pod sandbox. Its output is for
# people, so these tests check what a person relies on: no escape bytes where colour is not wanted,
# colour where it is, Chinese with --lang zh, the ambassador really up and down, and every printed
# command runnable as printed.
#
# setup_file runs the demo three times (each run takes a sandbox and a minute): piped through cat;
# on a terminal (script(1)) with NO_COLOR=1 and --lang zh; on a terminal without NO_COLOR.
bats_require_minimum_version 1.5.0
# Tests of this file read what setup_file ran: one at a time.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup_file() {
  load helpers/common
  require_sandbox
  cd "$REPO_ROOT" || return 1
  # Several sandboxes start one after another here; on a loaded machine the fake's start can take long.
  export KUBE_IN_POD_READY_TIMEOUT=${KUBE_IN_POD_READY_TIMEOUT:-60}
  export DEMO=$BATS_FILE_TMPDIR
  bash -c 'npm run demo | cat' >"$DEMO/piped.out" 2>&1
  echo "$?" >"$DEMO/piped.status"
  NO_COLOR=1 script --quiet --return --command 'npm run demo -- --lang zh' /dev/null </dev/null >"$DEMO/no-color-zh.out" 2>&1
  echo "$?" >"$DEMO/no-color-zh.status"
  env -u NO_COLOR script --quiet --return --command 'npm run demo' /dev/null </dev/null >"$DEMO/terminal.out" 2>&1
  echo "$?" >"$DEMO/terminal.status"
}

setup() {
  load helpers/common
  enter_pod_suite
}

# demo_output NAME: $output and $status of one of setup_file's runs.
demo_output() {
  run cat "$DEMO/$1.out"
  status=$(<"$DEMO/$1.status")
}

@test "npm run demo piped through cat runs every step and prints no escape byte" {
  demo_output piped
  assert_equal "$status" 0
  refute_output --partial $'\e'
  assert_output --regexp "$(in_order '== 1. What kubelet mounted ==' '== 2. The guide'"'"'s curl ==' '== 3. The same through the scripts ==' \
    '== 4. What goes wrong ==' '== 5. The ambassador' '== 6. The lesson ==')"
  refute_output --partial 'did not behave as shown'
}

@test "npm run demo on a terminal with NO_COLOR=1 prints no escape byte" {
  demo_output no-color-zh
  assert_equal "$status" 0
  refute_output --partial $'\e'
}

@test "npm run demo on a terminal without NO_COLOR colours its narration" {
  # The control for the two tests above: the same demo does colour when it should.
  demo_output terminal
  assert_equal "$status" 0
  assert_output --partial $'\e[1m== 1. What kubelet mounted ==\e[0m'
}

@test "npm run demo with --lang zh narrates in chinese and runs the same commands" {
  demo_output no-color-zh
  assert_output --regexp "$(in_order '== 1. kubelet 挂载了什么 ==' '== 5. 大使容器' '== 6. 教训 ==')"
  refute_output --partial 'What kubelet mounted'
  zh_commands=$(grep '^\$ ' <<<"${output//$'\r'/}")
  demo_output piped
  assert_equal "$zh_commands" "$(grep '^\$ ' <<<"$output")"
}

@test "the demo's ambassador step brings proxy.ts up, reads /apis/batch/v1 through it as get-api reads it, and brings it down" {
  demo_output piped
  through_proxy=$(sed -n '/^\$ curl -sS localhost:8001\/apis\/batch\/v1 | head -n 12$/,/^Down:/p' <<<"$output" | sed '1d;$d')
  run -0 --separate-stderr in_pod --service-account test/default -- bash -c 'get-api.ts /apis/batch/v1 | head -n 12'
  assert_equal "$through_proxy" "$output"
  demo_output piped
  assert_output --regexp "$(in_order '$ node --import tsx scripts/proxy.ts' $'\nok\n' '$ kill $! && wait $!' \
    $'$ curl -sS localhost:8001/apis/batch/v1\ncurl: (7) Failed to connect to localhost port 8001' '(exit code 7)')"
}

@test "every command the demo prints, pasted into a shell in the sandbox in order, ends as the demo showed" {
  demo_output piped
  refute_line --regexp '^\$ .*…'
  # What the demo showed: each "$ COMMAND" with the exit code printed after its output (0 if none).
  shown=$(awk '
    /^\$ / { if (command != "") print code "\t" command; command = substr($0, 3); code = 0; next }
    /^\(exit code [0-9]+\)$/ { code = substr($0, 12, length($0) - 12) }
    END { if (command != "") print code "\t" command }' <<<"$output")
  [[ $(wc -l <<<"$shown") -ge 20 ]] || fail "expected at least 20 commands in the demo, got: $shown"
  cut -f 2 <<<"$shown" >"$BATS_TEST_TMPDIR/commands"
  # shellcheck disable=SC2016 # expanded by the bash inside the sandbox
  run -0 --separate-stderr in_pod --service-account test/default -- bash -c '
    while IFS= read -r command; do
      eval "$command" >/dev/null 2>&1 </dev/null
      printf "%s\t%s\n" "$?" "$command"
    done <"$1" 3<&-' _ "$BATS_TEST_TMPDIR/commands"
  assert_output "$shown"
}
