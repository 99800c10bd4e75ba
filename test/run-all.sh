#!/usr/bin/env bash
# npm test: type-check, lint (Biome for the TypeScript, shellcheck for every bash file), unit tests
# (node:test through tsx) and every bats suite; ends with one line "N passed, N failed, N skipped"
# that totals them all. Exit 0 only when nothing failed.
#
# The bats suites run side by side (bats --jobs, which needs GNU parallel: .ci/setup installs it),
# one file per job, slowest first: each file keeps its own pod sandboxes (fixtures/pod --keep, see
# in_pod in test/helpers/common.bash), so files share nothing but what test/setup_suite.bash makes
# once per run (the bundles and the PKI). Without GNU parallel they run one after another.
# KUBE_IN_POD_TEST_JOBS sets the number of jobs. The default, 3, is what ran fastest on a 2-core VM:
# the tests are mostly starting processes, and there forks slow each other down (the nine oldest
# suites with the unit tests and checks: 147 s with 3 jobs, 177 s with 4, 182 s with 2).
#
# Usage: bash test/run-all.sh [BATS_FILE...]     (default: every test/*.bats)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

passed=0 failed=0 skipped=0
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT

count() { # count PASSED FAILED SKIPPED: add to the totals
  passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + $3))
}

check() { # check NAME COMMAND...: one counted test that passes when COMMAND does
  local name=$1
  shift
  if "$@" >"$log_dir/check-$name.log" 2>&1; then
    echo "ok - $name"; count 1 0 0
  else
    cat "$log_dir/check-$name.log"; echo "not ok - $name"; count 0 1 0
  fi
}

# The checks and the unit tests spend much of their time waiting (tsc on the disk, the unit tests on
# their servers and timers): they run in the background while the bats suites run, and their results
# are printed after them.
checks() {
  echo "== type-check (tsc --noEmit, strict)"
  check tsc node_modules/.bin/tsc --noEmit -p .
  echo "== lint (biome check; shellcheck)"
  check biome node_modules/.bin/biome check --error-on-warnings .
  local -a shell_files
  mapfile -t shell_files < <(git ls-files --cached --others --exclude-standard -- '*.sh' '*.bash' '*.bats' \
    fixtures/pod fixtures/cached-bundle test/helpers/bin/npx '.ci/*' 2>/dev/null)
  if command -v shellcheck >/dev/null; then
    check shellcheck shellcheck -x "${shell_files[@]}"
  else
    echo "not ok - shellcheck (not installed: run .ci/setup)"; count 0 1 0
  fi
  echo "$passed $failed $skipped" >"$log_dir/checks.count"
}
checks >"$log_dir/checks.out" 2>&1 &
checks_pid=$!
# Every unit test file in one process (test/unit/all.ts), each file a suite.
node --import tsx --test-reporter=tap test/unit/all.ts >"$log_dir/unit.tap" 2>&1 &
unit_pid=$!

echo "== bats suites"
if [ $# -gt 0 ]; then
  suites=("$@")
else
  # Slowest first, so the long ones do not start last.
  suites=(test/docs.bats test/redaction.bats test/doctor.bats test/get.bats test/auth.bats test/proxy.bats
    test/sandbox.bats test/apiserver.bats test/get-daemonset.bats)
  for suite in test/*.bats; do
    [[ " ${suites[*]} " == *" $suite "* ]] || suites+=("$suite")
  done
fi
jobs=()
if command -v parallel >/dev/null && [ "${#suites[@]}" -gt 1 ]; then
  jobs=(--jobs "${KUBE_IN_POD_TEST_JOBS:-3}")
fi
node_modules/bats/bin/bats --tap "${jobs[@]}" "${suites[@]}" | tee "$log_dir/bats.tap"
bats_pass=$(grep -cE '^ok ' "$log_dir/bats.tap" | tr -d ' ')
bats_skip=$(grep -cE '^ok .* # skip' "$log_dir/bats.tap" | tr -d ' ')
bats_fail=$(grep -cE '^not ok ' "$log_dir/bats.tap" | tr -d ' ')
planned=$(sed -n 's/^1\.\.//p' "$log_dir/bats.tap" | head -1)
ran=$((bats_pass + bats_fail))
# A suite that died before reporting every planned test counts the missing ones as failed.
if [ -n "$planned" ] && [ "$ran" -lt "$planned" ]; then bats_fail=$((bats_fail + planned - ran)); fi
count "$((bats_pass - bats_skip))" "$bats_fail" "$bats_skip"

wait "$checks_pid"
cat "$log_dir/checks.out"
read -r checks_passed checks_failed checks_skipped <"$log_dir/checks.count"
count "$checks_passed" "$checks_failed" "$checks_skipped"

echo "== unit tests (node:test, test/unit/all.ts)"
unit_status=0
wait "$unit_pid" || unit_status=$?
grep -E '^(not )?ok |^# (pass|fail|skip)' "$log_dir/unit.tap" | grep -v '^ok .* # SKIP' | tail -n 200
unit_pass=$(sed -n 's/^# pass //p' "$log_dir/unit.tap" | tail -1)
unit_fail=$(sed -n 's/^# fail //p' "$log_dir/unit.tap" | tail -1)
unit_skip=$(sed -n 's/^# skipped //p' "$log_dir/unit.tap" | tail -1)
if [ -z "$unit_pass" ]; then cat "$log_dir/unit.tap"; unit_fail=1; unit_pass=0; unit_skip=0; fi
[ "$unit_status" -ne 0 ] && [ "${unit_fail:-0}" -eq 0 ] && unit_fail=1
if [ "${unit_fail:-0}" -gt 0 ]; then
  # The failing tests at every depth, each with node's diagnostics (the YAML block up to "..."),
  # so a failure that does not repeat on a second run can still be read.
  echo "-- the failing unit tests, with what node:test said of them:"
  awk '/^ *not ok /{show=1} show{print} show && /^ *\.\.\.$/{show=0}' "$log_dir/unit.tap"
fi
count "${unit_pass:-0}" "${unit_fail:-0}" "${unit_skip:-0}"

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
