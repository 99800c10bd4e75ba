# test/helpers/redaction.bash — the cases of test/redaction.bats: one secret kind on one path.
#
# Load it after helpers/common, from setup, once start_apiserver has run (setup_file). It defines:
#   new_case KIND PATH   build the configuration for KIND (where the secret lives) on PATH (what
#                        goes wrong), with fresh random secrets; sets CASE, CASE_ARGS (connection
#                        flags), CASE_ENV (VAR=value words for env), SECRETS (every byte string that
#                        must never be printed), EXPECT (a client script's exit code) and
#                        PROXY_HTTP (what proxy.ts answers a GET, as a regex; empty: it must not start)
#   check_script NAME ARGS...   run NAME (scripts/NAME.ts bundled by tools/build.ts into
#                        $REDACTION_BUNDLES, as debug images run it) with the case's configuration: exit EXPECT,
#                        no secret on stdout or stderr (proxy.ts: serve, answer PROXY_HTTP with no
#                        secret in the answer either, stop on SIGTERM with 0)
# Kinds: tokenfile inline exec clientkey proxy userinfo.
# Paths: verbose (succeeds, traced) print-curl tls 401 403 refused badyaml unreadable execfail;
# every one but print-curl runs with --verbose, the flag that prints the most.

# A port nothing listens on: connections are refused.
REFUSED_SERVER=https://127.0.0.1:9

random_secret() { printf 'kip-%s-%s' "$1" "$(openssl rand -hex 16)"; }

# mint_token NS/NAME: a bound service-account token (a JWT) from the fake server's TokenRequest API.
mint_token() {
  curl -sf --cacert "$APISERVER_CA" -H "Authorization: Bearer $(cat "$APISERVER_ADMIN_TOKEN_FILE")" \
    -X POST -H 'Content-Type: application/json' -d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}' \
    "$APISERVER_URL/api/v1/namespaces/${1%/*}/serviceaccounts/${1#*/}/token" | jq -er .status.token
}

# case_token QUALITY: admin's token (good), a random one (bad, 401) or default/default's (weak, 403).
case_token() {
  case $1 in
    good) cat "$APISERVER_ADMIN_TOKEN_FILE" ;;
    bad) random_secret token ;;
    weak) mint_token default/default ;;
  esac
}

# case_client_key QUALITY DIR: a fresh key and certificate in DIR: signed by the cluster CA for a
# system:masters user (good), for a user without roles (weak), or self-signed (bad).
case_client_key() {
  local dir=$2 subject=/O=system:masters/CN=kip-admin
  [ "$1" = weak ] && subject=/CN=kip-nobody
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$dir/client.key" 2>/dev/null
  if [ "$1" = bad ]; then
    openssl req -x509 -new -key "$dir/client.key" -subj /CN=kip-stranger -days 1 -out "$dir/client.crt" 2>/dev/null
  else
    openssl req -new -key "$dir/client.key" -subj "$subject" 2>/dev/null |
      openssl x509 -req -CA "$APISERVER_CA" -CAkey "$(dirname "$APISERVER_CA")/ca.key" -CAcreateserial \
        -days 1 -out "$dir/client.crt" 2>/dev/null
  fi
}

new_case() {
  local kind=$1 path=$2 dir quality=good server=$APISERVER_URL ca=$APISERVER_CA
  CASE="$kind secret, $path"
  dir=$(mktemp -d "$BATS_TEST_TMPDIR/case.XXXXXX")
  CASE_ARGS=() CASE_ENV=() SECRETS=()
  case $path in
    401) quality=bad ;;
    403) quality=weak ;;
    tls) ca=$WRONG_CA ;;
    refused) server=$REFUSED_SERVER ;;
    unreadable) ca=$dir ;; # a directory: EISDIR
  esac
  case $path in
    verbose | print-curl) EXPECT=0 PROXY_HTTP=200 ;;
    401) EXPECT=6 PROXY_HTTP=401 ;;
    403) EXPECT=7 PROXY_HTTP=403 ;;
    tls) EXPECT=5 PROXY_HTTP='5[0-9][0-9]' ;;
    refused) EXPECT=4 PROXY_HTTP='5[0-9][0-9]' ;;
    badyaml | unreadable | execfail) EXPECT=3 PROXY_HTTP= ;;
  esac

  local token user_yaml=
  if [ "$kind" = clientkey ]; then
    case_client_key "$quality" "$dir"
    local key_data
    key_data=$(base64 -w0 "$dir/client.key")
    # The key as the kubeconfig holds it, and each line of its PEM body.
    local pem_lines
    mapfile -t pem_lines < <(grep -v -- '-----' "$dir/client.key")
    SECRETS+=("$key_data" "${pem_lines[@]}")
    user_yaml="{client-certificate-data: $(base64 -w0 "$dir/client.crt"), client-key-data: $key_data}"
  else
    token=$(case_token "$quality")
    SECRETS+=("$token")
    printf '%s\n' "$token" >"$dir/token"
  fi
  case $kind in
    inline) user_yaml="{token: $token}" ;;
    exec)
      printf '#!/usr/bin/env bash\nprintf %s "$(cat %q)"\n' \
        "'{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}'" \
        "$dir/token" >"$dir/plugin"
      # A failing plugin may still have printed a credential: it must not be shown either.
      [ "$path" = execfail ] && printf 'echo "plugin: cannot reach the identity provider" >&2\nexit 1\n' >>"$dir/plugin"
      chmod +x "$dir/plugin"
      user_yaml="{exec: {apiVersion: client.authentication.k8s.io/v1, command: $dir/plugin, interactiveMode: Never}}"
      ;;
    userinfo)
      local password
      password=$(random_secret url)
      SECRETS+=("$password")
      server=${server/:\/\//://kip-user:$password@}
      ;;
    proxy)
      local password
      password=$(random_secret proxy)
      SECRETS+=("$password")
      CASE_ENV+=("HTTPS_PROXY=http://kip-user:$password@127.0.0.1:9/")
      # Every request dies at the refused proxy.
      if [ "$path" = verbose ]; then EXPECT=4 PROXY_HTTP='5[0-9][0-9]'; fi
      ;;
  esac

  if [ -n "$user_yaml" ] || [ "$path" = badyaml ]; then
    [ -n "$user_yaml" ] || user_yaml="{tokenFile: $dir/token}"
    {
      printf 'apiVersion: v1\nkind: Config\ncurrent-context: c\n'
      printf 'clusters:\n- name: c\n  cluster:\n    server: %s\n    certificate-authority: %s\n' "$server" "$ca"
      printf 'contexts:\n- name: c\n  context: {cluster: c, user: u, namespace: test}\n'
      printf 'users:\n- name: u\n  user: %s\n' "$user_yaml"
      # Misindented right under the secret: the yaml parser quotes the lines around it.
      if [ "$path" = badyaml ]; then printf '   broken: [here\n'; fi
    } >"$dir/kubeconfig"
    CASE_ARGS=(--kubeconfig "$dir/kubeconfig")
  else
    CASE_ARGS=(--server "$server" --certificate-authority "$ca" --token-file "$dir/token")
  fi
  [ "$path" = print-curl ] && CASE_ARGS+=(--print-curl) || CASE_ARGS+=(--verbose)
}

# refute_secrets WHAT FILE: no secret of the case in FILE.
refute_secrets() {
  local secret
  for secret in "${SECRETS[@]}"; do
    if grep -qF -- "$secret" "$2"; then
      fail "$CASE, $1: a secret is on $(basename "$2"):"$'\n'"$(cat "$2")"
    fi
  done
}

check_script() {
  local name=$1 out=$BATS_TEST_TMPDIR/stdout err=$BATS_TEST_TMPDIR/stderr status=0
  shift
  if [ "$name" = proxy ] && [[ " ${CASE_ARGS[*]} " != *' --print-curl '* ]] && [ -n "$PROXY_HTTP" ]; then
    check_proxy "$@"
    return
  fi
  env "${CASE_ENV[@]}" node "$REDACTION_BUNDLES/$name.mjs" "$@" "${CASE_ARGS[@]}" >"$out" 2>"$err" </dev/null || status=$?
  [ "$status" -eq "$EXPECT" ] || fail "$CASE, $name $*: exit $status, expected $EXPECT; stderr:"$'\n'"$(cat "$err")"
  refute_secrets "$name $*" "$out"
  refute_secrets "$name $*" "$err"
}

# proxy.ts: serve, answer one GET through it with PROXY_HTTP, stop on SIGTERM with exit 0.
check_proxy() {
  local out=$BATS_TEST_TMPDIR/stdout err=$BATS_TEST_TMPDIR/stderr pid port='' status=0 http deadline=$((SECONDS + ${KUBE_IN_POD_READY_TIMEOUT:-20}))
  env "${CASE_ENV[@]}" node "$REDACTION_BUNDLES/proxy.mjs" --port 0 "$@" "${CASE_ARGS[@]}" >"$out" 2>"$err" </dev/null 3>&- &
  pid=$!
  until [ -n "$port" ]; do
    port=$(sed -n 's/^Starting to serve on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$out")
    if [ -z "$port" ] && { ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); }; then
      kill -TERM "$pid" 2>/dev/null
      fail "$CASE, proxy: did not start; stderr:"$'\n'"$(cat "$err")"
    fi
    sleep 0.05
  done
  http=$(curl -s -o "$BATS_TEST_TMPDIR/answer" -w '%{http_code}' "http://127.0.0.1:$port/api/v1/nodes")
  kill -TERM "$pid"
  wait "$pid" || status=$?
  [[ $http =~ ^$PROXY_HTTP$ ]] || fail "$CASE, proxy: answered $http, expected $PROXY_HTTP; stderr:"$'\n'"$(cat "$err")"
  [ "$status" -eq 0 ] || fail "$CASE, proxy: exit $status after SIGTERM, expected 0"
  refute_secrets proxy "$out"
  refute_secrets proxy "$err"
  refute_secrets 'proxy, its answer' "$BATS_TEST_TMPDIR/answer"
}
