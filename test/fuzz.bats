#!/usr/bin/env bats
# A ten-second slice of the fake kube-apiserver's bounded fuzz (test/fuzz/apiserver-fuzz.ts; `npm run
# fuzz` runs a minute): malformed targets, odd methods, headers, bodies and query parameters over real
# TLS, plus concurrent bookmark watches with short timeouts, against a server the fuzz starts itself.
bats_require_minimum_version 1.5.0
# Tests of this file share state (a server, its PKI, fault files): one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup() {
  load helpers/common
  cd "$REPO_ROOT" || return 1
}

@test "ten seconds of fuzz leave the fake apiserver alive, bounded, and answering in kube-apiserver's shapes" {
  run --separate-stderr -0 node --import tsx test/fuzz/apiserver-fuzz.ts --seconds 10 --seed 20251201
  assert_output --regexp '^fuzz: [0-9]+ requests in 1[0-9]\.[0-9]s; by code: .*200=[0-9]+.*400=[0-9]+.*404=[0-9]+.*; RSS before [0-9]+ MiB after [0-9]+ MiB \(peak [0-9]+ MiB\); server alive; seed 20251201; 0 violations$'
  local requests=${output#fuzz: }
  requests=${requests%% requests *}
  assert [ "$requests" -ge 200 ]
  assert_stderr ''
}
