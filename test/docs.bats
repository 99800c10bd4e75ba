#!/usr/bin/env bats
# The walkthroughs cannot rot: every runnable block of docs/walkthrough.md and
# docs/walkthrough.zh-CN.md runs in the pod sandbox with the pod flags it states, and what it prints
# must be what the page shows, exactly or by the block's stated pattern ("…" where a value changes
# on every run). test/helpers/runnable-blocks.ts says how a block is marked and how it runs. The
# README's "In 30 seconds" example (curl and doctor in a Pod without the token) is checked the same way.
#
# setup_file runs every block once, before the tests: blocks with the same pod flags share one
# sandbox (each in its own bash and HOME, one after another), and a block of the Chinese page that
# runs exactly what its English twin runs is not run twice. Each test then compares one block's
# transcript with its page.
bats_require_minimum_version 1.5.0
# Tests of this file read what setup_file ran: one at a time.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

WALKTHROUGHS=(docs/walkthrough.md docs/walkthrough.zh-CN.md)

blocks() {
  (cd "$BATS_TEST_DIRNAME/.." && node --import tsx test/helpers/runnable-blocks.ts "$@")
}

# The README's "In 30 seconds" table (curl, then doctor, in a Pod without the token) as a page of two
# runnable blocks, HTML entities decoded; doctor's connect time is the one value that changes.
readme_example() {
  awk '
    /^<tr valign="top"><td><pre>$/ { print "```console runnable pod=\"--no-automount\" output=exact"; inside = 1; next }
    inside && /^<\/pre><\/td><td><pre>$/ { print "```"; print "```console runnable pod=\"--no-automount\" output=pattern"; next }
    inside && /^<\/pre><\/td><\/tr>$/ { print "```"; inside = 0; next }
    inside { gsub(/connected in [0-9]+ms/, "connected in …ms"); gsub(/&lt;/, "<"); gsub(/&gt;/, ">"); gsub(/&amp;/, "\\&"); print }
  ' "$REPO_ROOT/README.md"
}

setup_file() {
  load helpers/common
  require_sandbox
  cd "$REPO_ROOT" || return 1
  # Several sandboxes start one after another here; on a loaded machine the fake's start can take long.
  export KUBE_IN_POD_READY_TIMEOUT=${KUBE_IN_POD_READY_TIMEOUT:-60}
  export RUNS=$BATS_FILE_TMPDIR/runs README_EXAMPLE=$BATS_FILE_TMPDIR/readme-example.md
  mkdir -p "$RUNS"
  readme_example >"$README_EXAMPLE"
  # Every block's script and expected output, written by one process (blocks.tsv is what list prints).
  blocks prepare "$RUNS" "${WALKTHROUGHS[@]}" "$README_EXAMPLE" >"$RUNS/blocks.tsv"
  local line key flags
  declare -A keys_by_flags=()
  while IFS=$'\t' read -r _ line key flags _; do
    [[ " ${keys_by_flags[$flags]-} " == *" $key "* ]] || keys_by_flags[$flags]+=" $key"
  done <"$RUNS/blocks.tsv"
  local pod_flags keys
  for flags in "${!keys_by_flags[@]}"; do
    pod_flags=()
    [[ $flags == - ]] || read -ra pod_flags <<<"$flags"
    read -ra keys <<<"${keys_by_flags[$flags]}"
    # shellcheck disable=SC2016 # expanded by the bash inside the sandbox
    in_pod "${pod_flags[@]}" -- bash -c '
      runs=$1; shift
      for key; do
        HOME=$(mktemp -d) bash "$runs/$key.sh" >"$runs/$key.out" 2>"$runs/$key.err"
        echo "$?" >"$runs/$key.status"
      done' _ "$RUNS" "${keys[@]}"
  done
}

setup() {
  load helpers/common
  enter_pod_suite
}

# check_block FILE LINE: the transcript setup_file recorded for the block that starts on LINE of
# FILE is what the page shows (a copy of a page works too: the same commands have the same key).
check_block() {
  local file=$1 line=$2 key mode prepared expected
  # A page setup_file prepared is looked up there; a changed copy is read anew.
  prepared=$RUNS/expected/${file//\//_}:$line
  if [[ -e $prepared ]]; then
    IFS=$'\t' read -r _ _ key _ mode _ < <(awk -F '\t' -v file="$file" -v line="$line" '$1 == file && $2 == line' "$RUNS/blocks.tsv")
    expected=$(<"$prepared")
  else
    IFS=$'\t' read -r _ _ key _ mode _ < <(blocks list "$file" | awk -F '\t' -v line="$line" '$2 == line')
    expected=$(blocks expected "$file" "$line")
  fi
  [[ -n $key ]] || fail "$file:$line: no runnable block starts there"
  [[ -e $RUNS/$key.status ]] || fail "$file:$line: setup_file did not run this block (key $key)"
  assert_equal "$(<"$RUNS/$key.status")" 0
  assert_equal "$(<"$RUNS/$key.err")" ''
  run cat "$RUNS/$key.out"
  if [[ $mode == exact ]]; then
    assert_output "$expected"
  else
    assert_output --regexp "$expected"
  fi
}

# The runnable blocks of both pages (what `blocks list` prints). bats sources this file once to find
# the tests and again in every test's process: the list is made once per run, not once per test.
walkthrough_blocks() {
  local cache=${BATS_RUN_TMPDIR:-}/docs-walkthrough-blocks.tsv
  if [[ -n ${BATS_RUN_TMPDIR:-} && -s $cache ]]; then
    cat "$cache"
  elif [[ -n ${BATS_RUN_TMPDIR:-} ]]; then
    blocks list "${WALKTHROUGHS[@]}" 2>/dev/null >"$cache.$$" && mv -f "$cache.$$" "$cache" && cat "$cache"
  else
    blocks list "${WALKTHROUGHS[@]}" 2>/dev/null
  fi
}

# One test per runnable block, named after its page, line and first command (bats_test_function
# registers it; bats evals the description, so $ " ` \ are escaped).
while IFS=$'\t' read -r file line _ _ _ first; do
  first=${first//\\/\\\\}
  first=${first//\"/\\\"}
  first=${first//\$/\\\$}
  first=${first//\`/\\\`}
  bats_test_function --description "${file#docs/} line $line (\$ $first) prints what the page shows" -- check_block "$file" "$line"
done < <(walkthrough_blocks)

@test "every shell block of both walkthroughs says whether it runs, and each runnable one is well formed" {
  run -0 --separate-stderr blocks list "${WALKTHROUGHS[@]}"
  assert_stderr ''
  # Both pages have runnable blocks (an empty list would leave this file testing nothing).
  assert_line --regexp $'^docs/walkthrough\\.md\t'
  assert_line --regexp $'^docs/walkthrough\\.zh-CN\\.md\t'
}

@test "the readme's 30-second example is what curl and doctor print in a pod without the token" {
  run -0 blocks list "$README_EXAMPLE"
  assert_equal "${#lines[@]}" 2
  local line
  while IFS=$'\t' read -r _ line _; do check_block "$README_EXAMPLE" "$line"; done <<<"$output"
}

@test "the english and chinese walkthroughs run the same commands" {
  run -0 blocks commands docs/walkthrough.md
  english=$output
  run -0 blocks commands docs/walkthrough.zh-CN.md
  assert_output "$english"
}

# The check must be able to fail. change_output FILE TEXT TO: a copy of FILE (in COPY) whose first
# runnable block with an output line TEXT (starting on LINE) shows TO there instead.
change_output() {
  local file=$1 text=$2 to=$3 start
  COPY=$BATS_TEST_TMPDIR/${1##*/} LINE=''
  while IFS=$'\t' read -r _ start _; do
    # TEXT between the block's opening fence and its closing one?
    if awk -v start="$start" -v text="$text" 'NR > start && /^```/ { exit } NR > start && $0 == text { found = 1; exit } END { exit !found }' "$file"; then
      LINE=$start
      break
    fi
  done < <(blocks list "$file")
  [[ -n $LINE ]] || fail "no runnable block of $file shows the line \"$text\""
  awk -v start="$LINE" -v text="$text" -v to="$to" 'NR > start && !done && $0 == text { $0 = to; done = 1 } { print }' "$file" >"$COPY"
}

@test "a runnable block whose shown output no longer matches the run fails its test" {
  change_output docs/walkthrough.md '    "v1"' '    "v2"'
  run ! check_block "$COPY" "$LINE"
  assert_output --partial -- '-- output differs --'
  check_block docs/walkthrough.md "$LINE"
}

@test "a pattern block whose fixed text no longer matches the run fails its test" {
  change_output docs/walkthrough.md 'Subject               system:serviceaccount:test:default' 'Subject               system:serviceaccount:test:other'
  run ! check_block "$COPY" "$LINE"
  assert_output --partial -- '-- regular expression does not match output --'
  check_block docs/walkthrough.md "$LINE"
}
