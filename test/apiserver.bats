#!/usr/bin/env bats
# The fake kube-apiserver on its own, on 127.0.0.1 outside the sandbox: the API semantics real
# clients rely on (discovery paths, CRUD with the real Status texts, selectors, pagination, watch,
# Tables, gzip, tokens) and the test-only fault injection.
bats_require_minimum_version 1.5.0
# Tests of this file share state (a server, its PKI, fault files): one at a time under npm test's --jobs.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup_file() {
  load helpers/common
  export FAULTS_FILE="$BATS_FILE_TMPDIR/faults.yaml"
  export SA_VOLUME="$BATS_FILE_TMPDIR/sa"
  start_apiserver --faults "$FAULTS_FILE" --sa-dir "$SA_VOLUME" --service-account test/default --bookmark-interval 0.2
}

teardown_file() {
  load helpers/common
  stop_apiserver
}

setup() {
  load helpers/common
  rm -f "$FAULTS_FILE"
}

# curl as an admin (or with CURL_TOKEN), compact JSON unless the test asks for curl's pretty output.
api() {
  curl -sS --cacert "$APISERVER_CA" -H "Authorization: Bearer ${CURL_TOKEN:-$(cat "$APISERVER_ADMIN_TOKEN_FILE")}" -A kube-in-pod-tests "$@"
}

# ---- discovery and non-resource paths ------------------------------------------------------------

@test "discovery /api answers with and without a trailing slash" {
  run -0 api "$APISERVER_URL/api/"
  assert_equal "$(jq -c .versions <<<"$output")" '["v1"]'
  run -0 api "$APISERVER_URL/api"
  assert_equal "$(jq -r .kind <<<"$output")" APIVersions
}

@test "json is compact with a newline for clients and indented without one for curl" {
  run -0 api "$APISERVER_URL/version"
  assert_output --regexp '^\{"major":"1","minor":"32",.*\}$'
  run -0 api -A curl/7.88.1 -o "$BATS_TEST_TMPDIR/pretty" "$APISERVER_URL/version"
  assert_equal "$(head -n 2 "$BATS_TEST_TMPDIR/pretty")" $'{\n  "major": "1",'
  assert_equal "$(tail -c 1 "$BATS_TEST_TMPDIR/pretty" | od -An -c | tr -d ' ')" '}'
  run -0 api -A curl/7.88.1 "$APISERVER_URL/version?pretty=false"
  assert_output --regexp '^\{"major":"1"'
}

@test "health endpoints and version are open to anonymous clients" {
  for path in /healthz /livez /readyz; do
    run -0 curl -sS --cacert "$APISERVER_CA" "$APISERVER_URL$path"
    assert_output ok
  done
  run -0 curl -sS --cacert "$APISERVER_CA" "$APISERVER_URL/version"
  assert_equal "$(jq -r .gitVersion <<<"$output")" v1.32.4
}

@test "an unknown path is a plain 404 page and an unknown resource a NotFound status" {
  run -0 api -w '\n%{http_code}' "$APISERVER_URL/nothing/here"
  assert_output $'404 page not found\n\n404'
  run -0 api "$APISERVER_URL/api/v1/widgets"
  assert_output '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}'
}

# shellcheck disable=SC2030 # $output belongs to this test's process; assert_server_alive reads its own run's
@test "aggregated discovery is served to clients that ask for it" {
  run -0 api -D "$BATS_TEST_TMPDIR/headers" -H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' "$APISERVER_URL/apis"
  assert_equal "$(jq -r .kind <<<"$output")" APIGroupDiscoveryList
  grep -qi '^content-type: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' "$BATS_TEST_TMPDIR/headers"
}

# ---- request targets (net/http's url.ParseRequestURI) ----------------------------------------------

# The server is alive and answers as before.
# shellcheck disable=SC2031 # this $output comes from the run just above, in the calling test's process
assert_server_alive() {
  kill -0 "$APISERVER_PID"
  run -0 api "$APISERVER_URL/version"
  assert_equal "$(jq -r .gitVersion <<<"$output")" v1.32.4
}

@test "a target starting with // is a path that no route serves, for plain and upgrade requests" {
  for target in '//a:99999/api' '//[/api' '//user@/api' '//api' '//api/v1/namespaces/test/pods'; do
    run -0 api --request-target "$target" -w '\n%{http_code}' "$APISERVER_URL"
    assert_output $'404 page not found\n\n404'
    run -0 api --request-target "$target" -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
      -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$APISERVER_URL"
    assert_output "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"upgrade not supported on $target; this server upgrades pods/exec only\",\"reason\":\"BadRequest\",\"code\":400}"
  done
  assert_server_alive
}

@test "a request without a Host header is refused as net/http refuses it, plain or upgrade" {
  run -0 api -H 'Host:' -w '\n%{http_code}' "$APISERVER_URL/api"
  assert_output $'400 Bad Request: missing required Host header\n400'
  run -0 api -H 'Host:' -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$APISERVER_URL/api/v1/namespaces/default/pods/kube-in-pod-sandbox/exec?command=true"
  assert_output '400 Bad Request: missing required Host header'
  assert_server_alive
}

@test "a bad percent escape in the target is a 400 status, for plain and upgrade requests" {
  local expected='{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"parse \"//%zz/api\": invalid URL escape \"%zz\"","reason":"BadRequest","code":400}'
  run -0 api --request-target '//%zz/api' -w '%{http_code}' "$APISERVER_URL"
  assert_output "$expected"$'\n400'
  run -0 api --request-target '//%zz/api' -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$APISERVER_URL"
  assert_output "$expected"
  run -0 api --request-target '/api/v1/namespaces/test/pods/x%' -w '%{http_code}' "$APISERVER_URL"
  assert_output --partial '"message":"parse \"/api/v1/namespaces/test/pods/x%\": invalid URL escape \"%\""'
  assert_server_alive
}

@test "a backslash is a byte of the name, not a path separator" {
  run -0 api --request-target '/api/v1/namespaces/test/pods/gateway-7xk2q\exec' -w '%{http_code}' "$APISERVER_URL"
  assert_output '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"gateway-7xk2q\\exec\" not found","reason":"NotFound","details":{"name":"gateway-7xk2q\\exec","kind":"pods"},"code":404}'$'\n404'
}

@test "escapes decode into the path and an absolute-form target is served by its path" {
  run -0 api --request-target '/api/v1/namespaces%2Ftest/pods/gateway-7xk2q' "$APISERVER_URL"
  assert_equal "$(jq -r .metadata.name <<<"$output")" gateway-7xk2q
  run -0 api --request-target 'https://kubernetes.default.svc/api/v1/namespaces/test/pods/gateway-7xk2q?pretty=false' "$APISERVER_URL"
  assert_equal "$(jq -r .metadata.name <<<"$output")" gateway-7xk2q
}

# ---- bad input --------------------------------------------------------------------------------------

@test "concurrent watches that time out between bookmarks end cleanly and the server lives on" {
  local url="$APISERVER_URL/api/v1/namespaces/test/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=1"
  local round i
  for round in 1 2; do
    local pids=()
    for i in 1 2 3 4 5 6 7 8; do
      api --max-time 5 -o "$BATS_TEST_TMPDIR/watch-$round-$i" "$url" 3>&- &
      pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i"; done
  done
  assert_server_alive
  run -0 jq -r .type "$BATS_TEST_TMPDIR/watch-2-8"
  assert_line BOOKMARK
}

@test "a body above 3 MiB is refused with 413 without being read" {
  head -c $((3 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big.json"
  run -0 api -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/big.json" "$APISERVER_URL/api/v1/namespaces/default/configmaps"
  assert_output '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}'$'\n413'
  assert_server_alive
}

@test "a null body decodes as an empty object and a deeply nested one is a 400" {
  run -0 api -H 'Content-Type: application/json' -d 'null' "$APISERVER_URL/api/v1/namespaces/default/configmaps"
  assert_equal "$(jq -r '(.code|tostring) + " " + .message' <<<"$output")" '422 ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required'
  run -0 api -H 'Content-Type: application/json' -d 'null' "$APISERVER_URL/apis/authentication.k8s.io/v1/selfsubjectreviews"
  assert_equal "$(jq -c '[.kind, .status.userInfo.username]' <<<"$output")" '["SelfSubjectReview","kube-in-pod:admin"]'
  python3 -c 'print("[" * 5000 + "]" * 5000)' >"$BATS_TEST_TMPDIR/deep.json"
  run -0 api -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/deep.json" "$APISERVER_URL/api/v1/namespaces/default/configmaps"
  assert_equal "$(jq -r '(.code|tostring) + " " + .reason' <<<"$output")" '400 BadRequest'
  assert_output --partial 'the object provided is unrecognized (must be of type ConfigMap): couldn'"'"'t get version/kind; json parse error: invalid character '"'"'['"'"' exceeded max depth (5b5b5b'
  run -0 api -X PATCH -H 'Content-Type: application/merge-patch+json' -d 'null' "$APISERVER_URL/api/v1/namespaces/default/configmaps/kube-root-ca.crt"
  assert_output '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Invalid JSON Patch","reason":"BadRequest","code":400}'
}

@test "typed query parameters that do not parse are a 400 with strconv's text" {
  local url="$APISERVER_URL/api/v1/namespaces/test/configmaps"
  run -0 api -w '%{http_code}' "$url?limit=abc"
  assert_output '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"strconv.ParseInt: parsing \"abc\": invalid syntax","reason":"BadRequest","code":400}'$'\n400'
  run -0 api -w '%{http_code}' "$url?watch=1&timeoutSeconds=abc"
  assert_output '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"strconv.ParseInt: parsing \"abc\": invalid syntax","reason":"BadRequest","code":400}'$'\n400'
  run -0 api "$url?limit=99999999999999999999"
  assert_equal "$(jq -r .message <<<"$output")" 'strconv.ParseInt: parsing "99999999999999999999": value out of range'
  run -0 api -X DELETE "$url/nothing?gracePeriodSeconds=soon"
  assert_equal "$(jq -r .message <<<"$output")" 'strconv.ParseInt: parsing "soon": invalid syntax'
}

@test "a write in a media type the server does not speak is a 415" {
  run -0 api -w '%{http_code}' -H 'Content-Type: text/garbage' -d '{"metadata":{"name":"garbage"}}' "$APISERVER_URL/api/v1/namespaces/default/configmaps"
  assert_output '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf","reason":"UnsupportedMediaType","code":415}'$'\n415'
  run -0 api -X PATCH -H 'Content-Type: text/garbage' -d '{}' "$APISERVER_URL/api/v1/namespaces/default/configmaps/kube-root-ca.crt"
  assert_equal "$(jq -r '(.code|tostring) + " " + .message' <<<"$output")" '415 the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml'
}

# ---- resources ------------------------------------------------------------------------------------

@test "a configmap goes through create, conflict, patch and delete with the real status texts" {
  local url="$APISERVER_URL/api/v1/namespaces/default/configmaps"
  run -0 api -w ' %{http_code}' -H 'Content-Type: application/json' -d '{"metadata":{"name":"crud"},"data":{"a":"1"}}' "$url"
  assert_output --regexp ' 201$'
  local created=${output% 201}
  assert_equal "$(jq -r '.metadata | [.uid != null, .resourceVersion != null, .creationTimestamp != null] | all' <<<"$created")" true
  run -0 api -H 'Content-Type: application/json' -d '{"metadata":{"name":"crud"}}' "$url"
  assert_equal "$(jq -r '.reason + ": " + .message' <<<"$output")" 'AlreadyExists: configmaps "crud" already exists'
  run -0 api -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"data":{"a":"2"}}' "$url/crud"
  assert_equal "$(jq -r .data.a <<<"$output")" 2
  run -0 api -X PUT -H 'Content-Type: application/json' -d "$created" "$url/crud"
  assert_equal "$(jq -r '(.code|tostring) + " " + .message' <<<"$output")" '409 Operation cannot be fulfilled on configmaps "crud": the object has been modified; please apply your changes to the latest version and try again'
  run -0 api -X DELETE "$url/crud"
  assert_equal "$(jq -c '[.status, .details.name, .details.kind]' <<<"$output")" '["Success","crud","configmaps"]'
  run -0 api "$url/crud"
  assert_equal "$(jq -r '(.code|tostring) + " " + .message' <<<"$output")" '404 configmaps "crud" not found'
}

@test "creating an object without a name is invalid with a field cause" {
  run -0 api -H 'Content-Type: application/json' -d '{"data":{}}' "$APISERVER_URL/apis/apps/v1/namespaces/default/daemonsets"
  assert_equal "$(jq -r '(.code|tostring) + " " + .message' <<<"$output")" '422 DaemonSet.apps "" is invalid: metadata.name: Required value: name or generateName is required'
  assert_equal "$(jq -r '.details.causes[0].field' <<<"$output")" metadata.name
}

@test "a spec change bumps a daemonset's generation and a status change does not" {
  local url="$APISERVER_URL/apis/apps/v1/namespaces/test/daemonsets/gateway"
  run -0 api "$url"
  local generation
  generation=$(jq .metadata.generation <<<"$output")
  run -0 api -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"status":{"numberMisscheduled":1}}' "$url/status"
  assert_equal "$(jq .metadata.generation <<<"$output")" "$generation"
  run -0 api -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"revisionHistoryLimit":5}}' "$url"
  assert_equal "$(jq .metadata.generation <<<"$output")" "$((generation + 1))"
}

@test "list filters by label and field selectors and rejects unsupported fields" {
  run -0 api "$APISERVER_URL/api/v1/namespaces/test/pods?labelSelector=name%3Dgateway,pod-template-generation%20in%20(3)"
  assert_equal "$(jq -r '[.items[].metadata.name] | join(",")' <<<"$output")" gateway-7xk2q,gateway-m4wzt
  run -0 api "$APISERVER_URL/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-3"
  assert_equal "$(jq -r '[.items[].metadata.name] | join(",")' <<<"$output")" gateway-m4wzt
  run -0 api "$APISERVER_URL/api/v1/pods?fieldSelector=spec.foo%3D1"
  assert_equal "$(jq -r '(.code|tostring) + " " + .message' <<<"$output")" '400 field label not supported: spec.foo'
}

@test "list pages with limit and continue and reports the remaining count" {
  run -0 api "$APISERVER_URL/api/v1/namespaces/test/pods?limit=2"
  assert_equal "$(jq -r '[.items[].metadata.name] | join(",")' <<<"$output")" gateway-7xk2q,gateway-m4wzt
  assert_equal "$(jq -r '.metadata.remainingItemCount' <<<"$output")" 1
  local token
  token=$(jq -r .metadata.continue <<<"$output")
  run -0 api "$APISERVER_URL/api/v1/namespaces/test/pods?limit=2&continue=$token"
  assert_equal "$(jq -r '[.items[].metadata.name] | join(",")' <<<"$output")" kube-in-pod-sandbox
  assert_equal "$(jq -r '.metadata.continue // "none"' <<<"$output")" none
}

@test "a list asks for a future resourceVersion in vain with 504 and for an expired one with 410" {
  run -0 api "$APISERVER_URL/api/v1/namespaces?resourceVersion=99999999"
  assert_equal "$(jq -r '(.code|tostring) + " " + .reason' <<<"$output")" '504 Timeout'
  run -0 api "$APISERVER_URL/api/v1/namespaces?resourceVersion=1&resourceVersionMatch=Exact"
  assert_equal "$(jq -r '(.code|tostring) + " " + .reason' <<<"$output")" '410 Expired'
}

@test "a watch from a list's resourceVersion sees a change, bookmarks, and 410 for an expired start" {
  local url="$APISERVER_URL/api/v1/namespaces/test/configmaps"
  run -0 api "$url"
  local rv
  rv=$(jq -r .metadata.resourceVersion <<<"$output")
  api --max-time 2 "$url?watch=1&resourceVersion=$rv&allowWatchBookmarks=true" >"$BATS_TEST_TMPDIR/events" 3>&- &
  local watcher=$!
  sleep 0.5
  api -o /dev/null -H 'Content-Type: application/json' -d '{"metadata":{"name":"watched"}}' "$url"
  wait "$watcher" || true
  run -0 jq -r '.type + " " + (.object.metadata.name // "")' "$BATS_TEST_TMPDIR/events"
  assert_equal "$(grep -v BOOKMARK <<<"$output")" 'ADDED watched'
  assert_line 'BOOKMARK '
  run -0 api --max-time 2 "$url?watch=1&resourceVersion=1"
  assert_equal "$(jq -r '.type + " " + (.object.code|tostring) + " " + .object.reason' <<<"$output")" 'ERROR 410 Expired'
}

@test "a table request gets the pod printer's columns and partial object metadata" {
  run -0 api -H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json' "$APISERVER_URL/api/v1/namespaces/test/pods"
  assert_equal "$(jq -r '[.columnDefinitions[].name] | join(",")' <<<"$output")" 'Name,Ready,Status,Restarts,Age,IP,Node,Nominated Node,Readiness Gates'
  assert_equal "$(jq -r '.rows[1].cells[0:3] | join(" ")' <<<"$output")" 'gateway-m4wzt 0/1 CrashLoopBackOff'
  assert_equal "$(jq -r '.rows[0].object.kind' <<<"$output")" PartialObjectMetadata
}

@test "a large body is gzipped only for clients that accept gzip" {
  local big
  big=$(head -c 150000 /dev/zero | tr '\0' x)
  printf '{"metadata":{"name":"big"},"data":{"blob":"%s"}}' "$big" >"$BATS_TEST_TMPDIR/big.json"
  api -o /dev/null -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/big.json" "$APISERVER_URL/api/v1/namespaces/default/configmaps"
  run -0 api --compressed -D "$BATS_TEST_TMPDIR/headers" -o "$BATS_TEST_TMPDIR/body" "$APISERVER_URL/api/v1/namespaces/default/configmaps/big"
  grep -qi '^content-encoding: gzip' "$BATS_TEST_TMPDIR/headers"
  assert_equal "$(jq -r '.data.blob | length' "$BATS_TEST_TMPDIR/body")" 150000
  run -0 api -D "$BATS_TEST_TMPDIR/plain-headers" -o /dev/null "$APISERVER_URL/api/v1/namespaces/default/configmaps/big"
  run ! grep -qi '^content-encoding:' "$BATS_TEST_TMPDIR/plain-headers"
}

@test "deleting a namespace removes what it held" {
  api -o /dev/null -H 'Content-Type: application/json' -d '{"metadata":{"name":"scratch"}}' "$APISERVER_URL/api/v1/namespaces"
  run -0 api "$APISERVER_URL/api/v1/namespaces/scratch/serviceaccounts/default"
  assert_equal "$(jq -r .metadata.name <<<"$output")" default
  api -o /dev/null -X DELETE "$APISERVER_URL/api/v1/namespaces/scratch"
  run -0 api "$APISERVER_URL/api/v1/namespaces/scratch/configmaps/kube-root-ca.crt"
  assert_equal "$(jq -r .code <<<"$output")" 404
}

# ---- identities -----------------------------------------------------------------------------------

@test "tokenreview accepts the volume's token and names the pod it is bound to" {
  local token
  token=$(cat "$SA_VOLUME/token")
  run -0 api -H 'Content-Type: application/json' -d "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"spec\":{\"token\":\"$token\"}}" \
    "$APISERVER_URL/apis/authentication.k8s.io/v1/tokenreviews"
  assert_equal "$(jq -r '[.status.authenticated, .status.user.username, .status.user.extra["authentication.kubernetes.io/pod-name"][0]] | map(tostring) | join(" ")' <<<"$output")" \
    'true system:serviceaccount:test:default kube-in-pod-sandbox'
}

@test "a token request below ten minutes is invalid as on a real server" {
  run -0 api -H 'Content-Type: application/json' -d '{"spec":{"expirationSeconds":60}}' "$APISERVER_URL/api/v1/namespaces/test/serviceaccounts/default/token"
  assert_equal "$(jq -r '(.code|tostring) + " " + .message' <<<"$output")" '422 TokenRequest.authentication.k8s.io "default" is invalid: spec.expirationSeconds: Required value: may not specify a duration less than 10 minutes'
}

@test "a client certificate signed by the cluster CA authenticates as its common name" {
  local pki
  pki=$(dirname "$APISERVER_CA")
  run -0 curl -sS --cacert "$APISERVER_CA" --cert "$pki/admin.crt" --key "$pki/admin.key" -H 'Content-Type: application/json' \
    -d '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}' "$APISERVER_URL/apis/authentication.k8s.io/v1/selfsubjectreviews"
  assert_equal "$(jq -c .status.userInfo <<<"$output")" '{"username":"kube-in-pod:admin","groups":["system:masters","system:authenticated"]}'
}

# ---- impersonation (filters/impersonation.go) ------------------------------------------------------

# A SelfSubjectReview as the impersonator ServiceAccount (fixtures/cluster/60-impersonation.yaml), with
# the extra curl arguments (headers) given.
review_as_impersonator() {
  local token
  token=$(api "$APISERVER_URL/api/v1/namespaces/test/secrets/impersonator-token" | jq -r .data.token | base64 -d)
  CURL_TOKEN=$token api -H 'Content-Type: application/json' -d '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}' \
    "$@" "$APISERVER_URL/apis/authentication.k8s.io/v1/selfsubjectreviews"
}

@test "an identity allowed to impersonate a user becomes that user, with system:authenticated added" {
  run -0 review_as_impersonator -H 'Impersonate-User: jane'
  assert_equal "$(jq -c .status.userInfo <<<"$output")" '{"username":"jane","groups":["system:authenticated"]}'
  local token
  token=$(api "$APISERVER_URL/api/v1/namespaces/test/secrets/impersonator-token" | jq -r .data.token | base64 -d)
  run -0 env CURL_TOKEN="$token" bash -c "$(declare -f api); api -H 'Impersonate-User: jane' '$APISERVER_URL/api/v1/namespaces/test/pods'"
  assert_equal "$(jq -r .message <<<"$output")" 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "test"'
}

@test "impersonating what the requester may not is forbidden with the filter's texts" {
  run -0 review_as_impersonator -H 'Impersonate-User: bob'
  assert_output '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"users \"bob\" is forbidden: User \"system:serviceaccount:test:impersonator\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"name":"bob","kind":"users"},"code":403}'
  run -0 review_as_impersonator -H 'Impersonate-User: jane' -H 'Impersonate-Group: developers'
  assert_equal "$(jq -r .message <<<"$output")" 'groups "developers" is forbidden: User "system:serviceaccount:test:impersonator" cannot impersonate resource "groups" in API group "" at the cluster scope'
  run -0 review_as_impersonator -H 'Impersonate-User: jane' -H 'Impersonate-Extra-Example.com%2Fteam: blue'
  assert_equal "$(jq -r .message <<<"$output")" 'userextras.authentication.k8s.io "blue" is forbidden: User "system:serviceaccount:test:impersonator" cannot impersonate resource "userextras/example.com/team" in API group "authentication.k8s.io" at the cluster scope'
  run -0 review_as_impersonator -H 'Impersonate-User: jane' -H 'Impersonate-Uid: 1234'
  assert_equal "$(jq -r .message <<<"$output")" 'uids.authentication.k8s.io "1234" is forbidden: User "system:serviceaccount:test:impersonator" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope'
  run -0 review_as_impersonator -H 'Impersonate-User: system:serviceaccount:test:default'
  assert_equal "$(jq -r .message <<<"$output")" 'serviceaccounts "default" is forbidden: User "system:serviceaccount:test:impersonator" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "test"'
}

@test "impersonating groups, extras or a uid without a user is a 400" {
  run -0 api -w '%{http_code}' -H 'Impersonate-Group: developers' -H 'Impersonate-Uid: 1234' "$APISERVER_URL/api/v1/namespaces/test/pods"
  assert_output '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"requested [{Group  developers    } {UID  1234  authentication.k8s.io/v1  }] without impersonating a user","reason":"BadRequest","code":400}'$'\n400'
}

@test "an admin impersonating a service account gets its groups, extras and uid as given" {
  run -0 api -H 'Content-Type: application/json' -d '{}' -H 'Impersonate-User: system:serviceaccount:test:default' "$APISERVER_URL/apis/authentication.k8s.io/v1/selfsubjectreviews"
  assert_equal "$(jq -c .status.userInfo <<<"$output")" '{"username":"system:serviceaccount:test:default","groups":["system:serviceaccounts","system:serviceaccounts:test","system:authenticated"]}'
  run -0 api -H 'Content-Type: application/json' -d '{}' -H 'Impersonate-User: jane' -H 'Impersonate-Group: developers' -H 'Impersonate-Group: admins' \
    -H 'Impersonate-Uid: 1234' -H 'Impersonate-Extra-Example.com%2Fteam: blue' -H 'Impersonate-Extra-Example.com%2Fteam: green' "$APISERVER_URL/apis/authentication.k8s.io/v1/selfsubjectreviews"
  assert_equal "$(jq -c .status.userInfo <<<"$output")" '{"username":"jane","uid":"1234","groups":["developers","admins","system:authenticated"],"extra":{"example.com/team":["blue","green"]}}'
}

# ---- fault injection (test-only) ------------------------------------------------------------------

@test "an injected 429 carries Retry-After once, then the path answers normally" {
  printf -- '- {path: "^/version$", status: 429, retryAfter: 2, times: 1}\n' >"$FAULTS_FILE"
  run -0 api -D "$BATS_TEST_TMPDIR/headers" "$APISERVER_URL/version"
  assert_equal "$(jq -r '(.code|tostring) + " " + .message + " " + (.details.retryAfterSeconds|tostring)' <<<"$output")" '429 Too many requests, please try again later. 2'
  grep -qi '^retry-after: 2' "$BATS_TEST_TMPDIR/headers"
  run -0 api "$APISERVER_URL/version"
  assert_equal "$(jq -r .major <<<"$output")" 1
}

@test "injected 500 and 503 answer with Status bodies" {
  printf -- '- {path: "^/version$", status: 500}\n- {path: "^/api$", status: 503}\n' >"$FAULTS_FILE"
  run -0 api "$APISERVER_URL/version"
  assert_equal "$(jq -r '(.code|tostring) + " " + .reason' <<<"$output")" '500 InternalError'
  run -0 api "$APISERVER_URL/api"
  assert_equal "$(jq -r '(.code|tostring) + " " + .reason' <<<"$output")" '503 ServiceUnavailable'
}

@test "injected network faults drop, truncate, hang and delay as configured" {
  printf -- '- {path: "^/drop$", drop: true}\n- {path: "^/cut$", truncate: true}\n- {path: "^/hang$", hang: true}\n- {path: "^/html$", html: true}\n- {path: "^/version$", delayMs: 600}\n' >"$FAULTS_FILE"
  run -52 api "$APISERVER_URL/drop"
  run -18 api "$APISERVER_URL/cut"
  run -28 api --max-time 1 "$APISERVER_URL/hang"
  run -0 api -w '\n%{http_code} %{content_type}' "$APISERVER_URL/html"
  assert_line --index 0 '<html>'
  assert_line '502 text/html'
  run -0 api -o /dev/null -w '%{time_total}' "$APISERVER_URL/version"
  assert [ "$(awk -v t="$output" 'BEGIN { print (t >= 0.6) }')" = 1 ]
}

@test "with no faults file every path behaves normally" {
  run -0 api -o /dev/null -w '%{http_code}' "$APISERVER_URL/version"
  assert_output 200
}

# ---- the service-account volume -------------------------------------------------------------------

@test "the service-account volume has kubelet's layout and the token names the test namespace" {
  run -0 readlink "$SA_VOLUME/token"
  assert_output ..data/token
  run -0 readlink "$SA_VOLUME/..data"
  assert_output --regexp '^\.\.[0-9]{4}_[0-9]{2}_[0-9]{2}_[0-9]{2}_[0-9]{2}_[0-9]{2}\.[0-9]+$'
  assert_equal "$(cat "$SA_VOLUME/namespace")" test
}

# ---- what scripts/doctor.ts reproduces: test-only knobs and the token failures ---------------------

# A server of this test's own, with the flags given, in APISERVER_*; the file's server stays in FILE_URL.
start_test_server() {
  FILE_URL=$APISERVER_URL FILE_PID=$APISERVER_PID
  start_apiserver "$@"
}

# A test that started its own server stops it; the file's server is teardown_file's.
teardown() {
  [[ -z ${FILE_PID:-} ]] || stop_apiserver
}

# The claims of the JWT on stdin, as JSON (base64url without padding, decoded by jq).
jwt_claims() {
  jq -R 'split(".")[1] | gsub("-";"+") | gsub("_";"/") | @base64d | fromjson'
}

# A SelfSubjectReview with the token $1: the user's name, or the Status code and message.
who_is() {
  CURL_TOKEN=$1 api -H 'Content-Type: application/json' -d '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}' \
    "$APISERVER_URL/apis/authentication.k8s.io/v1/selfsubjectreviews" | jq -r 'if .kind == "Status" then "\(.code) \(.message)" else .status.userInfo.username end'
}

# A TokenRequest for test/default with the JSON spec $1; prints the token.
request_token() {
  api -H 'Content-Type: application/json' -d "{\"spec\":$1}" "$APISERVER_URL/api/v1/namespaces/test/serviceaccounts/default/token" | jq -r .status.token
}

@test "a server with --serving-sans presents exactly that list and leaves the shared default certificate alone" {
  local default_cert=$KUBE_IN_POD_PKI_DIR/apiserver.crt default_sum
  default_sum=$(sha256sum "$default_cert")
  start_test_server --serving-sans kubernetes.default.svc.cluster.local,127.0.0.1
  local port=${APISERVER_URL##*:}
  run -60 curl -sS --cacert "$APISERVER_CA" --resolve "kubernetes.default.svc:$port:127.0.0.1" "https://kubernetes.default.svc:$port/version"
  assert_output --partial "no alternative certificate subject name matches target host name 'kubernetes.default.svc'"
  run -0 curl -sS --cacert "$APISERVER_CA" --resolve "kubernetes.default.svc.cluster.local:$port:127.0.0.1" "https://kubernetes.default.svc.cluster.local:$port/version"
  assert_equal "$(jq -r .gitVersion <<<"$output")" v1.32.4
  run -0 bash -c "openssl s_client -connect 127.0.0.1:$port </dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName"
  assert_output $'X509v3 Subject Alternative Name: \n    DNS:kubernetes.default.svc.cluster.local, IP Address:127.0.0.1'
  # The same CA verifies both servers, and the default certificate in the shared PKI is untouched.
  assert_equal "$APISERVER_CA" "$KUBE_IN_POD_PKI_DIR/ca.crt"
  assert_equal "$(sha256sum "$default_cert")" "$default_sum"
  run -0 curl -sS --cacert "$APISERVER_CA" "https://localhost:${FILE_URL##*:}/version"
  assert_equal "$(jq -r .gitVersion <<<"$output")" v1.32.4
}

@test "the fake server refuses --serving-sans with a name that is not one, or together with --san" {
  run -2 node --import tsx fixtures/apiserver.ts --serving-sans 'kubernetes.default.svc,bad name'
  assert_output --partial "'bad name' is not a DNS name or IP address"
  run -2 node --import tsx fixtures/apiserver.ts --serving-sans kubernetes --san extra.example
  assert_output --partial 'give one or the other'
  run -2 node --import tsx fixtures/apiserver.ts --token-clock-offset soon
  assert_output --partial '--token-clock-offset soon: expected a whole number of seconds'
}

@test "tokens issued with --token-clock-offset 600 are dated ahead and the server itself finds them not yet valid" {
  start_test_server --sa-dir "$BATS_TEST_TMPDIR/sa" --service-account test/default --token-clock-offset 600
  local now claims
  now=$(date +%s)
  claims=$(jwt_claims <"$BATS_TEST_TMPDIR/sa/token")
  assert_equal "$(jq --argjson now "$now" '(.iat - $now - 600) | fabs < 10' <<<"$claims")" true
  assert_equal "$(jq -c '[.nbf == .iat, .exp - .iat]' <<<"$claims")" '[true,3607]'
  run -0 who_is "$(<"$BATS_TEST_TMPDIR/sa/token")"
  assert_output '401 Unauthorized'
  run -0 grep -c 'authentication failed: service account token is not valid yet' "$APISERVER_LOG"
}

@test "a token requested with --token-clock-offset -7200 for 3607 s is already expired to the same server" {
  start_test_server --token-clock-offset -7200
  local now token
  now=$(date +%s)
  run -0 api -H 'Content-Type: application/json' -d '{"spec":{"expirationSeconds":3607}}' "$APISERVER_URL/api/v1/namespaces/test/serviceaccounts/default/token"
  token=$(jq -r .status.token <<<"$output")
  # expirationTimestamp is the token's exp, in the issuer's (shifted) time.
  assert_equal "$(jq -r .status.expirationTimestamp <<<"$output")" "$(jwt_claims <<<"$token" | jq -r '.exp | todate')"
  assert_equal "$(jwt_claims <<<"$token" | jq --argjson now "$now" '[((.iat - $now + 7200) | fabs < 10), .exp < $now]')" $'[\n  true,\n  true\n]'
  run -0 who_is "$token"
  assert_output '401 Unauthorized'
  run -0 grep -c 'authentication failed: service account token has expired' "$APISERVER_LOG"
}

@test "with --rules-review-incomplete a rules review is incomplete, lists RBAC's rules, and access reviews still answer" {
  local reason='webhook authorizer does not support user rule resolution'
  local as_sa=(-H 'Content-Type: application/json' -H 'Impersonate-User: system:serviceaccount:test:default' -d '{"spec":{"namespace":"test"}}')
  run -0 api "${as_sa[@]}" "$APISERVER_URL/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"
  local complete=$output
  start_test_server --rules-review-incomplete "$reason"
  run -0 api "${as_sa[@]}" "$APISERVER_URL/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"
  assert_equal "$(jq -c '[.status.incomplete, .status.evaluationError]' <<<"$output")" "[true,\"$reason\"]"
  assert_equal "$(jq -cS '.status | del(.incomplete, .evaluationError)' <<<"$output")" "$(jq -cS '.status | del(.incomplete)' <<<"$complete")"
  assert_equal "$(jq -c .status.incomplete <<<"$complete")" false
  # kubectl says so as it does against a cluster with a webhook authorizer, and still prints the rules.
  local kubectl=(kubectl --server "$APISERVER_URL" --certificate-authority "$APISERVER_CA" --token "$(<"$APISERVER_ADMIN_TOKEN_FILE")")
  run -0 --separate-stderr "${kubectl[@]}" auth can-i --list -n test --as system:serviceaccount:test:default
  assert_stderr "Warning: the list may be incomplete: $reason"
  assert_line --regexp '^selfsubjectreviews\.authentication\.k8s\.io +\[\] +\[\] +\[create\]$'
  run -0 --separate-stderr "${kubectl[@]}" auth can-i create selfsubjectreviews.authentication.k8s.io --as system:serviceaccount:test:default
  assert_output yes
  run -1 "${kubectl[@]}" auth can-i list secrets -n test --as system:serviceaccount:test:default
  assert_output no
}

@test "a --tls-silent-listen address takes the connection, never answers TLS, and never holds the server up" {
  start_test_server --tls-silent-listen 127.0.0.1:0
  local silent
  silent=$(jq -r '.silentAddresses[0]' "${APISERVER_LOG%/*}/ready")
  assert_regex "$silent" '^127\.0\.0\.1:[0-9]+$'
  local started=$EPOCHREALTIME
  run -28 curl -sS --max-time 2 --cacert "$APISERVER_CA" "https://$silent/version"
  assert_output --partial 'timed out after'
  # The TCP connect itself succeeds.
  run -0 bash -c "exec 5<>/dev/tcp/${silent%:*}/${silent##*:}"
  run -0 curl -sS --cacert "$APISERVER_CA" "$APISERVER_URL/healthz"
  assert_output ok
  # SIGTERM with a silent connection open: the server still stops at once and cuts it.
  curl -sS --max-time 20 --cacert "$APISERVER_CA" "https://$silent/version" 2>/dev/null 3>&- &
  local held=$! status=0
  sleep 0.3
  started=$EPOCHREALTIME
  stop_apiserver
  wait "$held" || status=$?
  assert [ "$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { print (b - a < 3) }')" = 1 ]
  assert [ "$status" -ne 0 ] && assert [ "$status" -ne 28 ]
}

@test "a token bound to a pod is refused with 401 once the pod is deleted" {
  api -o /dev/null -H 'Content-Type: application/json' -d '{"metadata":{"name":"doomed"},"spec":{"containers":[{"name":"main","image":"busybox"}],"nodeName":"node-1"}}' \
    "$APISERVER_URL/api/v1/namespaces/test/pods"
  local token
  token=$(request_token '{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"doomed"}}')
  run -0 who_is "$token"
  assert_output system:serviceaccount:test:default
  api -o /dev/null -X DELETE "$APISERVER_URL/api/v1/namespaces/test/pods/doomed"
  run -0 who_is "$token"
  assert_output '401 Unauthorized'
  run -0 grep -c 'authentication failed: pod "doomed" not found' "$APISERVER_LOG"
}

@test "a token requested for another audience is refused by the API server and accepted by a review for that audience" {
  local token
  token=$(request_token '{"audiences":["vault"]}')
  assert_equal "$(jwt_claims <<<"$token" | jq -c .aud)" '["vault"]'
  run -0 who_is "$token"
  assert_output '401 Unauthorized'
  run -0 api -H 'Content-Type: application/json' -d "{\"spec\":{\"token\":\"$token\",\"audiences\":[\"vault\"]}}" "$APISERVER_URL/apis/authentication.k8s.io/v1/tokenreviews"
  assert_equal "$(jq -c '[.status.authenticated, .status.audiences]' <<<"$output")" '[true,["vault"]]'
}

@test "a legacy service-account token Secret gets a non-expiring token that works until the Secret is deleted" {
  api -o /dev/null -H 'Content-Type: application/json' \
    -d '{"metadata":{"name":"legacy-token","annotations":{"kubernetes.io/service-account.name":"default"}},"type":"kubernetes.io/service-account-token"}' \
    "$APISERVER_URL/api/v1/namespaces/test/secrets"
  local token
  token=$(api "$APISERVER_URL/api/v1/namespaces/test/secrets/legacy-token" | jq -r .data.token | base64 -d)
  assert_equal "$(jwt_claims <<<"$token" | jq -c '[.iss, .exp, .["kubernetes.io/serviceaccount/secret.name"]]')" '["kubernetes/serviceaccount",null,"legacy-token"]'
  run -0 who_is "$token"
  assert_output system:serviceaccount:test:default
  api -o /dev/null -X DELETE "$APISERVER_URL/api/v1/namespaces/test/secrets/legacy-token"
  run -0 who_is "$token"
  assert_output '401 Unauthorized'
}

@test "with --extended-expiry the volume token lives a year, carries warnafter, and is accepted" {
  start_test_server --sa-dir "$BATS_TEST_TMPDIR/sa" --service-account test/default --extended-expiry
  run -0 jwt_claims <"$BATS_TEST_TMPDIR/sa/token"
  assert_equal "$(jq -c '[.exp - .iat, .["kubernetes.io"].warnafter - .iat]' <<<"$output")" '[31536000,3607]'
  run -0 who_is "$(<"$BATS_TEST_TMPDIR/sa/token")"
  assert_output system:serviceaccount:test:default
}
