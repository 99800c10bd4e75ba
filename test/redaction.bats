#!/usr/bin/env bats
# The redaction matrix: every script (get-api, get-daemonset, get-daemonset --watch, serviceaccount,
# proxy) on every path (--verbose, --print-curl, TLS failure, 401, 403, refused connection, bad
# kubeconfig YAML, unreadable file, failing exec plugin) with every kind of secret (token file, inline
# token, exec plugin token, client key, proxy password, URL password): the secret's bytes never reach
# stdout or stderr. Secrets are fresh random strings (or keys) per test, so a grep means something,
# and each run must end with the exit code of the path it claims, so a case cannot pass by failing
# early. Outside a pod, against the fake apiserver on 127.0.0.1; see helpers/redaction.bash.
bats_require_minimum_version 1.5.0

setup_file() {
  load helpers/common
  # The scripts run as the bundles people copy into debug images (the same code as scripts/*.ts,
  # built from this tree; a third of the start-up cost of the tsx loader, which the matrix pays
  # ~190 times). Its tests then run side by side: each case has its own secrets and files.
  export REDACTION_BUNDLES
  REDACTION_BUNDLES=$(tool_bundles)
  start_apiserver
  export WRONG_CA=$BATS_FILE_TMPDIR/wrong-ca.crt
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=not-the-cluster-ca \
    -keyout "$BATS_FILE_TMPDIR/wrong-ca.key" -out "$WRONG_CA" 2>/dev/null
}

teardown_file() {
  load helpers/common
  stop_apiserver
}

setup() {
  load helpers/common
  load helpers/redaction
  unset KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT
  cd "$REPO_ROOT" || return 1
}

# check_all KIND PATH: the case on every script it applies to.
check_all() {
  new_case "$1" "$2"
  check_script get-api /api/v1/nodes
  check_script get-daemonset gateway -n test
  check_script get-daemonset gateway -n test --watch --timeout 1
  check_script proxy
  # serviceaccount reads only --token-file, and every user may create a SelfSubjectReview (no 403).
  if [ "$2" = print-curl ] || { [ "$1" = tokenfile ] && [ "$2" != 403 ] && [ "$2" != badyaml ]; }; then
    check_script serviceaccount --check -o json
  fi
}

@test "the token file's token never reaches stdout or stderr with --verbose on the way that works" {
  check_all tokenfile verbose
}

@test "the token file's token never reaches stdout or stderr with --print-curl" {
  check_all tokenfile print-curl
}

@test "the token file's token never reaches stdout or stderr when TLS verification fails" {
  check_all tokenfile tls
}

@test "the token file's token never reaches stdout or stderr on a 401" {
  check_all tokenfile 401
}

@test "the token file's token never reaches stdout or stderr on a 403" {
  check_all tokenfile 403
}

@test "the token file's token never reaches stdout or stderr when the connection is refused" {
  check_all tokenfile refused
}

@test "the token file's token never reaches stdout or stderr when the kubeconfig is not valid yaml" {
  check_all tokenfile badyaml
}

@test "the token file's token never reaches stdout or stderr when the CA file cannot be read" {
  check_all tokenfile unreadable
}

@test "an inline kubeconfig token never reaches stdout or stderr with --verbose on the way that works" {
  check_all inline verbose
}

@test "an inline kubeconfig token never reaches stdout or stderr with --print-curl" {
  check_all inline print-curl
}

@test "an inline kubeconfig token never reaches stdout or stderr when TLS verification fails" {
  check_all inline tls
}

@test "an inline kubeconfig token never reaches stdout or stderr on a 401" {
  check_all inline 401
}

@test "an inline kubeconfig token never reaches stdout or stderr on a 403" {
  check_all inline 403
}

@test "an inline kubeconfig token never reaches stdout or stderr when the connection is refused" {
  check_all inline refused
}

@test "an inline kubeconfig token never reaches stdout or stderr when the kubeconfig is not valid yaml" {
  check_all inline badyaml
}

@test "an inline kubeconfig token never reaches stdout or stderr when the CA file cannot be read" {
  check_all inline unreadable
}

@test "an exec plugin's token never reaches stdout or stderr with --verbose on the way that works" {
  check_all exec verbose
}

@test "an exec plugin's token never reaches stdout or stderr with --print-curl" {
  check_all exec print-curl
}

@test "an exec plugin's token never reaches stdout or stderr when TLS verification fails" {
  check_all exec tls
}

@test "an exec plugin's token never reaches stdout or stderr on a 401" {
  check_all exec 401
}

@test "an exec plugin's token never reaches stdout or stderr on a 403" {
  check_all exec 403
}

@test "an exec plugin's token never reaches stdout or stderr when the connection is refused" {
  check_all exec refused
}

@test "an exec plugin's token never reaches stdout or stderr when the kubeconfig is not valid yaml" {
  check_all exec badyaml
}

@test "an exec plugin's token never reaches stdout or stderr when the CA file cannot be read" {
  check_all exec unreadable
}

@test "an exec plugin's token never reaches stdout or stderr when the exec plugin fails" {
  check_all exec execfail
}

@test "a client-key-data key never reaches stdout or stderr with --verbose on the way that works" {
  check_all clientkey verbose
}

@test "a client-key-data key never reaches stdout or stderr with --print-curl" {
  check_all clientkey print-curl
}

@test "a client-key-data key never reaches stdout or stderr when TLS verification fails" {
  check_all clientkey tls
}

@test "a client-key-data key never reaches stdout or stderr on a 401" {
  check_all clientkey 401
}

@test "a client-key-data key never reaches stdout or stderr on a 403" {
  check_all clientkey 403
}

@test "a client-key-data key never reaches stdout or stderr when the connection is refused" {
  check_all clientkey refused
}

@test "a client-key-data key never reaches stdout or stderr when the kubeconfig is not valid yaml" {
  check_all clientkey badyaml
}

@test "a client-key-data key never reaches stdout or stderr when the CA file cannot be read" {
  check_all clientkey unreadable
}

@test "the HTTPS_PROXY password never reaches stdout or stderr with --verbose on the way that works" {
  check_all proxy verbose
}

@test "the HTTPS_PROXY password never reaches stdout or stderr with --print-curl" {
  check_all proxy print-curl
}

@test "the HTTPS_PROXY password never reaches stdout or stderr when the kubeconfig is not valid yaml" {
  check_all proxy badyaml
}

@test "the HTTPS_PROXY password never reaches stdout or stderr when the CA file cannot be read" {
  check_all proxy unreadable
}

@test "the --server URL password never reaches stdout or stderr with --verbose on the way that works" {
  check_all userinfo verbose
}

@test "the --server URL password never reaches stdout or stderr with --print-curl" {
  check_all userinfo print-curl
}

@test "the --server URL password never reaches stdout or stderr when TLS verification fails" {
  check_all userinfo tls
}

@test "the --server URL password never reaches stdout or stderr on a 401" {
  check_all userinfo 401
}

@test "the --server URL password never reaches stdout or stderr on a 403" {
  check_all userinfo 403
}

@test "the --server URL password never reaches stdout or stderr when the connection is refused" {
  check_all userinfo refused
}

@test "the --server URL password never reaches stdout or stderr when the kubeconfig is not valid yaml" {
  check_all userinfo badyaml
}

@test "the --server URL password never reaches stdout or stderr when the CA file cannot be read" {
  check_all userinfo unreadable
}
