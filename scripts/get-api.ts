#!/usr/bin/env -S npx tsx
/**
 * get-api — GET /api (or any path) from the Kubernetes API server, the way the guide
 * "Accessing the Kubernetes API from a Pod"
 * (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/) does with curl,
 * and print the body exactly as the server sent it. The flags are in USAGE below (--help).
 *
 * Reads (first match wins): the connection flags; $KUBECONFIG or ~/.kube/config;
 * in a pod, $KUBERNETES_SERVICE_HOST, $KUBERNETES_SERVICE_PORT and
 * /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}.
 * Honours HTTPS_PROXY/https_proxy, http_proxy, ALL_PROXY and NO_PROXY as curl does.
 *
 * Exit codes: 0 ok, 1 bug, 2 usage, 3 no configuration, 4 connection failed,
 * 5 TLS verification failed, 6 HTTP 401, 7 HTTP 403, 8 HTTP 404, 9 other HTTP error,
 * 130 SIGINT, 143 SIGTERM. On an HTTP error the server's Status document is still printed on stdout.
 * The failures shown in "K8s tips: accessing the API server from a Pod"
 * (https://itnext.io/k8s-tips-accessing-the-api-server-from-a-pod-f6f72bc847de) end in these codes:
 * without the CA, TLS verification fails (5); without a token the server answers 403 as
 * system:anonymous (7); the default service account may not list /api/v1/nodes (7).
 *
 * Equivalent curl: the guide's recipe, in a pod, which main() follows step by step:
 *   APISERVER=https://kubernetes.default.svc
 *   SERVICEACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount
 *   NAMESPACE=$(cat ${SERVICEACCOUNT}/namespace)
 *   TOKEN=$(cat ${SERVICEACCOUNT}/token)
 *   CACERT=${SERVICEACCOUNT}/ca.crt
 *   curl --cacert ${CACERT} --header "Authorization: Bearer ${TOKEN}" -X GET ${APISERVER}/api
 * (in-cluster configuration dials https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, the same
 * Service by its address, as client-go's InClusterConfig does).
 */

import { requireApiPath, runScript, writeStdout, type Cli } from './lib/cli.ts';
import { loadCredentials } from './lib/credentials.ts';
import type { ApiRequest } from './lib/http.ts';

const DEFAULT_PATH = '/api';

const USAGE = `Usage: get-api.ts [PATH] [flags]

GET an API path and print the response body exactly as the server sent it
(byte for byte what the curl recipe prints).

  PATH   API path (default ${DEFAULT_PATH}), e.g. /api/v1, /apis, /apis/batch/v1, /version

Examples:
  get-api.ts
  get-api.ts /apis/batch/v1
  get-api.ts /api --server http://localhost:8001      # through a kubectl-proxy sidecar
  get-api.ts /api/v1/namespaces --print-curl`;

const OPTIONS = {};

/** The request for `path`; it must be an absolute API path. */
function apiRequest(path: string): ApiRequest {
  return { method: 'GET', path: requireApiPath(path) };
}

// The guide's recipe, step by step; each comment names the recipe's variable.
async function main(cli: Cli<typeof OPTIONS>): Promise<void> {
  const request = apiRequest(cli.positionals[0] ?? DEFAULT_PATH); // what curl asks for: -X GET ${APISERVER}/api
  if (cli.printCurlOnly) return cli.printCurl(request); // --print-curl: that curl command; nothing is sent
  // APISERVER, SERVICEACCOUNT, NAMESPACE: in a pod https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT and
  // /var/run/secrets/kubernetes.io/serviceaccount; flags or a kubeconfig first, when given (lib/config.ts)
  const config = cli.config();
  const token = await loadCredentials(config); // TOKEN=$(cat ${SERVICEACCOUNT}/token), read again as kubelet rotates it
  const client = await cli.connect(config, token); // CACERT=${SERVICEACCOUNT}/ca.crt: verifies the server, as curl --cacert
  const response = await client.send(request); // curl --cacert ${CACERT} --header "Authorization: Bearer ${TOKEN}" -X GET ${APISERVER}/api
  await writeStdout(response.body); // curl's stdout: the body as the server sent it
}

await runScript({ name: 'get-api', usage: USAGE, options: OPTIONS, arguments: [{ name: 'PATH', required: false }] }, main);
