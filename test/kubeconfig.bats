#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # each @test runs in its own process: its `export KUBECONFIG=…` is meant for that test alone
# The scripts outside a pod, configured by kubeconfig, against the fake apiserver on 127.0.0.1:
# each credential kind a kubeconfig user can have (inline token, tokenFile, client certificate)
# must give the bytes curl gets with the same credential, --verbose must say where the
# configuration came from, and $KUBECONFIG with several files must merge as kubectl merges.
bats_require_minimum_version 1.5.0
# Tests of this file share state (a server, its PKI, fault files): one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

DAEMONSET_PATH='/apis/apps/v1/namespaces/test/daemonsets/gateway?resourceVersion=0'

setup_file() {
  load helpers/common
  start_apiserver
  # The server's PKI: ca.crt, and a client certificate for kube-in-pod:admin (group system:masters).
  export ADMIN_CERT ADMIN_KEY
  ADMIN_CERT=$(dirname "$APISERVER_CA")/admin.crt
  ADMIN_KEY=$(dirname "$APISERVER_CA")/admin.key
}

teardown_file() {
  load helpers/common
  stop_apiserver
}

setup() {
  # A fresh HOME and no KUBECONFIG, proxy or in-cluster variables: only what a test writes counts.
  load helpers/common
  unset KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT
  # npx finds tsx (the scripts' shebang) from the working directory.
  cd "$REPO_ROOT" || return 1
}

# write_kubeconfig FILE USER_FIELDS: a kubeconfig whose context "fake" (namespace test) uses cluster
# "fake" (the test server, its CA as a file) and user "admin" with the given YAML fields.
write_kubeconfig() {
  mkdir -p "$(dirname "$1")"
  cat >"$1" <<YAML
apiVersion: v1
kind: Config
current-context: fake
clusters:
- name: fake
  cluster:
    server: $APISERVER_URL
    certificate-authority: $APISERVER_CA
contexts:
- name: fake
  context:
    cluster: fake
    user: admin
    namespace: test
users:
- name: admin
  user:
    $2
YAML
}

# to_file FILE CMD...: CMD with its stdout in FILE, for byte comparisons (run keeps status and stderr).
to_file() {
  local file=$1
  shift
  "$@" >"$file"
}

# curl_with_admin_token PATH: what curl prints for PATH with the admin token.
curl_with_admin_token() {
  curl -s --cacert "$APISERVER_CA" -H "Authorization: Bearer $(cat "$APISERVER_ADMIN_TOKEN_FILE")" "$APISERVER_URL$1"
}

@test "get-api with an inline-token kubeconfig user prints /api as curl with that token does and names the kubeconfig" {
  export KUBECONFIG=$BATS_TEST_TMPDIR/config
  write_kubeconfig "$KUBECONFIG" "token: $(cat "$APISERVER_ADMIN_TOKEN_FILE")"
  curl_with_admin_token /api >"$BATS_TEST_TMPDIR/curl.out"
  run -0 --separate-stderr to_file "$BATS_TEST_TMPDIR/script.out" scripts/get-api.ts /api --verbose
  cmp "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out"
  assert_stderr --partial "* config: kubeconfig $KUBECONFIG (from \$KUBECONFIG), context \"fake\""
  assert_stderr --partial "* credentials: token from user \"admin\" in $KUBECONFIG"
  refute_stderr --partial "$(cat "$APISERVER_ADMIN_TOKEN_FILE")"
}

@test "get-daemonset with a tokenFile kubeconfig user prints the daemonset as curl does, in the context's namespace" {
  export KUBECONFIG=$BATS_TEST_TMPDIR/config
  write_kubeconfig "$KUBECONFIG" "tokenFile: $APISERVER_ADMIN_TOKEN_FILE"
  curl_with_admin_token "$DAEMONSET_PATH" >"$BATS_TEST_TMPDIR/curl.out"
  run -0 --separate-stderr to_file "$BATS_TEST_TMPDIR/script.out" scripts/get-daemonset.ts gateway --verbose
  cmp "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out"
  assert_stderr --partial "* credentials: token from file $APISERVER_ADMIN_TOKEN_FILE"
  assert_stderr --partial "* namespace: test (from context \"fake\" in $KUBECONFIG)"
}

@test "get-api and get-daemonset with a client-certificate kubeconfig user print what curl --cert prints" {
  export KUBECONFIG=$BATS_TEST_TMPDIR/config
  write_kubeconfig "$KUBECONFIG" "{client-certificate: $ADMIN_CERT, client-key: $ADMIN_KEY}"
  for path in /api "$DAEMONSET_PATH"; do
    curl -s --cacert "$APISERVER_CA" --cert "$ADMIN_CERT" --key "$ADMIN_KEY" "$APISERVER_URL$path" >"$BATS_TEST_TMPDIR/curl.out"
    if [ "$path" = /api ]; then script=(scripts/get-api.ts /api); else script=(scripts/get-daemonset.ts gateway); fi
    run -0 --separate-stderr to_file "$BATS_TEST_TMPDIR/script.out" "${script[@]}" --verbose
    cmp "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out"
    assert_stderr --partial "* credentials: client certificate $ADMIN_CERT"
    refute_stderr --partial '> authorization:'
  done
}

@test "get-api with an exec credential plugin user runs the plugin once and prints what curl with its token prints" {
  export KUBECONFIG=$BATS_TEST_TMPDIR/config
  local plugin=$BATS_TEST_TMPDIR/credential-plugin
  # A client.authentication.k8s.io/v1 plugin: it must see KUBERNETES_EXEC_INFO and its arguments.
  cat >"$plugin" <<SH
#!/usr/bin/env bash
echo "\$KUBERNETES_EXEC_INFO \$*" >>"$BATS_TEST_TMPDIR/plugin-calls"
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "\$(cat "$APISERVER_ADMIN_TOKEN_FILE")"
SH
  chmod +x "$plugin"
  write_kubeconfig "$KUBECONFIG" "{exec: {apiVersion: client.authentication.k8s.io/v1, command: $plugin, args: [--cluster, fake], interactiveMode: Never}}"
  curl_with_admin_token /api >"$BATS_TEST_TMPDIR/curl.out"
  run -0 --separate-stderr to_file "$BATS_TEST_TMPDIR/script.out" scripts/get-api.ts /api
  cmp "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out"
  assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/plugin-calls")" 1
  assert_equal "$(sed 's/.* //' "$BATS_TEST_TMPDIR/plugin-calls")" fake
  assert_equal "$(cut -d' ' -f1 "$BATS_TEST_TMPDIR/plugin-calls" | jq -r .kind)" ExecCredential
}

@test "get-daemonset --print-curl with a client-certificate kubeconfig prints a command with the same stdout" {
  export KUBECONFIG=$BATS_TEST_TMPDIR/config
  write_kubeconfig "$KUBECONFIG" "{client-certificate: $ADMIN_CERT, client-key: $ADMIN_KEY}"
  run -0 --separate-stderr bash -c 'cmp <(eval "$(scripts/get-daemonset.ts gateway --print-curl)" 2>/dev/null) <(scripts/get-daemonset.ts gateway)'
}

@test "get-daemonset with two files in \$KUBECONFIG takes the context from the first and its cluster and user from the second" {
  first=$BATS_TEST_TMPDIR/first
  second=$BATS_TEST_TMPDIR/second
  cat >"$first" <<YAML
apiVersion: v1
kind: Config
current-context: one
contexts:
- name: one
  context: {cluster: fake, user: admin, namespace: test}
YAML
  # The second file's current-context and its own "one" both lose to the first file.
  cat >"$second" <<YAML
apiVersion: v1
kind: Config
current-context: two
clusters:
- name: fake
  cluster: {server: "$APISERVER_URL", certificate-authority: "$APISERVER_CA"}
users:
- name: admin
  user: {tokenFile: "$APISERVER_ADMIN_TOKEN_FILE"}
contexts:
- name: one
  context: {cluster: fake, user: admin, namespace: default}
- name: two
  context: {cluster: fake, user: admin, namespace: kube-system}
YAML
  export KUBECONFIG=$first:$second
  curl_with_admin_token "$DAEMONSET_PATH" >"$BATS_TEST_TMPDIR/curl.out"
  run -0 --separate-stderr to_file "$BATS_TEST_TMPDIR/script.out" scripts/get-daemonset.ts gateway --verbose
  cmp "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out"
  assert_stderr --partial "* config: kubeconfig $first:$second (from \$KUBECONFIG), context \"one\""
  assert_stderr --partial "* namespace: test (from context \"one\" in $first)"
}

@test "get-api without \$KUBECONFIG reads ~/.kube/config of the test's own HOME" {
  write_kubeconfig "$HOME/.kube/config" "tokenFile: $APISERVER_ADMIN_TOKEN_FILE"
  curl_with_admin_token /api >"$BATS_TEST_TMPDIR/curl.out"
  run -0 --separate-stderr to_file "$BATS_TEST_TMPDIR/script.out" scripts/get-api.ts /api --verbose
  cmp "$BATS_TEST_TMPDIR/curl.out" "$BATS_TEST_TMPDIR/script.out"
  assert_stderr --partial "* config: kubeconfig $HOME/.kube/config (from ~/.kube/config), context \"fake\""
}

@test "get-api outside a pod with no kubeconfig exits 3 listing every place it looked" {
  run -3 --separate-stderr scripts/get-api.ts
  assert_output ''
  assert_stderr --regexp "^$(in_order 'error: no configuration found, tried: ' '$KUBECONFIG (not set)' "$HOME/.kube/config (not found)" \
    'in-cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)')"
}

@test "get-api --verbose with a kubeconfig that is not valid yaml names the line, exits 3 and never shows the inline token" {
  export KUBECONFIG=$BATS_TEST_TMPDIR/config
  secret=kip-inline-$(openssl rand -hex 16)
  write_kubeconfig "$KUBECONFIG" "token: $secret"
  printf '   broken: [indentation\n' >>"$KUBECONFIG"
  run -3 --separate-stderr scripts/get-api.ts --verbose
  assert_output ''
  assert_stderr_line --index 0 "error: kubeconfig $KUBECONFIG is not valid YAML: bad indentation at line 19, column 1: fix it there"
  refute_stderr --partial "$secret"
}
