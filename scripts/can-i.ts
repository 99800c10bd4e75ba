#!/usr/bin/env -S npx tsx
/**
 * can-i — may this pod's service account do that? A drop-in for `kubectl auth can-i`: the same
 * question to the API server (a SelfSubjectAccessReview, or with --list a SelfSubjectRulesReview),
 * the same resource names (short names such as po, singular names, resource.group and
 * resource.version.group, resolved through discovery as kubectl's RESTMapper does), the same
 * warnings, and the same answer: "yes", "no" (with " - reason" when the server gives one), or
 * kubectl's table of rules. An incomplete rules review (a webhook authorizer, say) still lists the
 * rules it has, after "Warning: the list may be incomplete: …", as kubectl does and kdigger
 * (https://github.com/quarkslab/kdigger, its authorization bucket) does not: rules are additive,
 * so every rule listed holds. The flags are in USAGE below.
 *
 * Reads (first match wins): the connection flags; $KUBECONFIG or ~/.kube/config; in a pod,
 * $KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}.
 *
 * Exit codes, with one exception to the README's table, kept so that `if can-i.ts get pods; then`
 * works as with kubectl: 0 yes (or the --list table), 1 no. Otherwise as every script: 2 usage
 * (kubectl exits 1 for its own argument errors), 3 no configuration, 4 connection failed, 5 TLS
 * verification failed, 6 HTTP 401, 7 HTTP 403 (e.g. the review itself is forbidden), 8 HTTP 404,
 * 9 other HTTP error, 130 SIGINT, 143 SIGTERM. On an API error stdout stays empty, as kubectl's.
 *
 * Equivalent curl (in a pod; kubectl sends the same objects as protobuf):
 *   SERVICEACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount
 *   curl --cacert $SERVICEACCOUNT/ca.crt -H "Authorization: Bearer $(cat $SERVICEACCOUNT/token)" \
 *     -X POST -H 'Content-Type: application/json' --data-binary '{"kind":"SelfSubjectAccessReview",
 *     "apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":
 *     {"namespace":"default","verb":"get","resource":"pods"}},"status":{"allowed":false}}' \
 *     https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/apis/authorization.k8s.io/v1/selfsubjectaccessreviews
 *   # then read .status.allowed; --list posts {"spec":{"namespace":"NS"}} to …/selfsubjectrulesreviews
 */

import { runScript, writeStdout, type Cli } from './lib/cli.ts';
import { EMPTY_DISCOVERY, parseResourceArg, RestMapper } from './lib/discovery.ts';
import { discoverTypes } from './lib/get/discovery.ts';
import { EXIT } from './lib/errors.ts';
import { parseJson } from './lib/json.ts';
import { redact } from './lib/redact.ts';
import {
  canIQuery,
  kubectlWarning,
  nonResourceQuestion,
  resolveResource,
  resourceQuestion,
  type CanIQuery,
} from './lib/auth/can-i-query.ts';
import { rulesForDisplay, rulesTable, type SubjectRulesReviewStatus } from './lib/auth/policy-rules.ts';
import {
  accessAnswer,
  accessReviewRequest,
  incompleteWarning,
  reviewStatus,
  rulesReviewRequest,
  sendReview,
  type AccessQuestion,
  type AccessReviewStatus,
} from './lib/auth/reviews.ts';

/** kubectl auth can-i exits 1 for "no" (README "Exit codes": the one exception to its table). */
const EXIT_NO = EXIT.INTERNAL;

const USAGE = `Usage: can-i.ts VERB RESOURCE[/NAME] [-n NS | -A] [--subresource S] [-q] [flags]
       can-i.ts VERB NONRESOURCEURL [flags]
       can-i.ts --list [-n NS] [--no-headers] [flags]

Ask the API server whether this identity may do something, as kubectl auth can-i does.
Prints "yes" (exit 0) or "no" (exit 1); --list prints every rule for the namespace.

  VERB                  get, list, watch, create, update, patch, delete, deletecollection, use,
                        bind, impersonate, escalate, approve, sign, attest, or * (any)
  RESOURCE[/NAME]       pods, po, pod, deployments.apps, jobs.v1.batch, * (any); /NAME: one object
  NONRESOURCEURL        a path starting with "/", e.g. /healthz, /logs/
  -A, --all-namespaces  ask for every namespace instead of -n's (or the pod's)
      --subresource S   e.g. log, exec, status, scale
  -q, --quiet           print nothing: the exit code is the answer
      --list            print every rule in the namespace (SelfSubjectRulesReview)
      --no-headers      with --list: no header row

Exit codes: 0 yes, 1 no (as kubectl); 2 usage, 3 no configuration, 4 connection, 5 TLS, 6 HTTP 401,
7 HTTP 403, 8 HTTP 404, 9 other HTTP error.

Examples:
  can-i.ts get pods
  can-i.ts list secrets -n kube-system -q && echo "this pod can read secrets"
  can-i.ts create pods --subresource exec
  can-i.ts get /healthz
  can-i.ts --list`;

const OPTIONS = {
  'all-namespaces': { type: 'boolean', short: 'A' },
  quiet: { type: 'boolean', short: 'q' },
  subresource: { type: 'string' },
  list: { type: 'boolean' },
  'no-headers': { type: 'boolean' },
} as const;

/** printers.WarningPrinter: "Warning: …" on stderr, before the answer. */
function warn(message: string): void {
  process.stderr.write(redact(kubectlWarning(message)));
}

/** The question for one action, its resource resolved through discovery as kubectl's RESTMapper would. */
async function accessQuestion(cli: Cli<typeof OPTIONS>, query: Exclude<CanIQuery, { kind: 'list' }>): Promise<AccessQuestion> {
  if (query.kind === 'nonResource') return nonResourceQuestion(query, warn);
  const allNamespaces = cli.options['all-namespaces'] === true;
  const context = { namespace: cli.config().namespace, allNamespaces, warn };
  if (cli.printCurlOnly) {
    // Nothing is sent, so no discovery: the resource goes as typed, split at its first dot.
    const { groupResource } = parseResourceArg(query.resourceArg === '*' ? '*' : query.resourceArg.toLowerCase());
    cli.log.note(`--print-curl sends the resource as typed; can-i.ts first resolves short and singular names (po, pod) through discovery`);
    return resourceQuestion(query, { ...groupResource, version: '' }, { ...context, discovery: EMPTY_DISCOVERY });
  }
  // "*" needs no discovery (kubectl asks none for it either).
  const discovery = query.resourceArg === '*' ? EMPTY_DISCOVERY : await discoverTypes(await cli.client(), cli.log);
  const resolved = resolveResource(new RestMapper(discovery, warn), query.resourceArg, warn);
  return resourceQuestion(query, resolved, { ...context, discovery });
}

async function main(cli: Cli<typeof OPTIONS>): Promise<void> {
  const query = canIQuery(cli.positionals, {
    list: cli.options.list === true,
    quiet: cli.options.quiet === true,
    allNamespaces: cli.options['all-namespaces'] === true,
    noHeaders: cli.options['no-headers'] === true,
    subresource: cli.options.subresource ?? '',
  });

  if (query.kind === 'list') {
    const request = rulesReviewRequest(cli.config().namespace);
    if (cli.printCurlOnly) return cli.printCurl(request);
    const status = reviewStatus<SubjectRulesReviewStatus>(parseJson((await sendReview(await cli.client(), request)).body));
    const incomplete = incompleteWarning(status);
    if (incomplete !== undefined) warn(incomplete); // and the rules still follow: each one listed holds
    await writeStdout(rulesTable(rulesForDisplay(status), { headers: query.headers }));
    return;
  }

  const request = accessReviewRequest(await accessQuestion(cli, query));
  if (cli.printCurlOnly) return cli.printCurl(request);
  const status = reviewStatus<AccessReviewStatus>(parseJson((await sendReview(await cli.client(), request)).body));
  if (cli.options.quiet !== true) await writeStdout(accessAnswer(status));
  cli.exitCode = status.allowed === true ? EXIT.OK : EXIT_NO;
}

await runScript(
  {
    name: 'can-i',
    usage: USAGE,
    options: OPTIONS,
    arguments: [
      { name: 'VERB', required: false },
      // canIQuery counts the arguments itself, to say what kubectl says of too many.
      { name: 'RESOURCE', required: false, repeated: true },
    ],
  },
  main,
);
