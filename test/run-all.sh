#!/usr/bin/env bash
# npm test: type-check, unit tests (node:test through tsx), then every bats suite; ends with one
# line "N passed, N failed, N skipped" that totals all three. Exit 0 only when nothing failed.
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

echo "== type-check (tsc --noEmit, strict)"
if node_modules/.bin/tsc --noEmit -p .; then echo "ok - tsc"; count 1 0 0; else echo "not ok - tsc"; count 0 1 0; fi

echo "== unit tests (node --test)"
node --import tsx --test --test-reporter=tap test/unit/*.test.ts >"$log_dir/unit.tap" 2>&1
unit_status=$?
grep -E '^(not )?ok |^# (pass|fail|skip)' "$log_dir/unit.tap" | grep -v '^ok .* # SKIP' | tail -n 200
unit_pass=$(sed -n 's/^# pass //p' "$log_dir/unit.tap" | tail -1)
unit_fail=$(sed -n 's/^# fail //p' "$log_dir/unit.tap" | tail -1)
unit_skip=$(sed -n 's/^# skipped //p' "$log_dir/unit.tap" | tail -1)
if [ -z "$unit_pass" ]; then cat "$log_dir/unit.tap"; unit_fail=1; unit_pass=0; unit_skip=0; fi
[ "$unit_status" -ne 0 ] && [ "${unit_fail:-0}" -eq 0 ] && unit_fail=1
count "${unit_pass:-0}" "${unit_fail:-0}" "${unit_skip:-0}"

echo "== bats suites"
if [ $# -gt 0 ]; then suites=("$@"); else suites=(test/*.bats); fi
node_modules/bats/bin/bats --tap "${suites[@]}" | tee "$log_dir/bats.tap"
bats_pass=$(grep -cE '^ok ' "$log_dir/bats.tap" | tr -d ' ')
bats_skip=$(grep -cE '^ok .* # skip' "$log_dir/bats.tap" | tr -d ' ')
bats_fail=$(grep -cE '^not ok ' "$log_dir/bats.tap" | tr -d ' ')
planned=$(sed -n 's/^1\.\.//p' "$log_dir/bats.tap" | head -1)
ran=$((bats_pass + bats_fail))
# A suite that died before reporting every planned test counts the missing ones as failed.
if [ -n "$planned" ] && [ "$ran" -lt "$planned" ]; then bats_fail=$((bats_fail + planned - ran)); fi
count "$((bats_pass - bats_skip))" "$bats_fail" "$bats_skip"

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
