#!/usr/bin/env -S npx tsx
/**
 * whoami — who the API server thinks this pod is. A drop-in for `kubectl auth whoami`: a
 * SelfSubjectReview (authentication.k8s.io/v1, then v1beta1, then v1alpha1 while the server
 * answers 404, as kubectl tries them), printed as kubectl prints it: the ATTRIBUTE/VALUE table
 * (Username, UID, Groups, every Extra), or the object with -o json / -o yaml. The flags are in
 * USAGE below (--help).
 *
 * Beyond kubectl: when the review is refused (403) or not served (404), kubectl's error line is
 * followed by what the token says about itself, decoded locally into the user kube-apiserver
 * would make of it (pkg/serviceaccount), under a warning on stderr that the server did not verify
 * it. The token and its signature are never printed.
 *
 * Reads (first match wins): the connection flags; $KUBECONFIG or ~/.kube/config; in a pod,
 * $KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}.
 *
 * Exit codes: 0 ok, 1 bug, 2 usage, 3 no configuration, 4 connection failed, 5 TLS verification
 * failed, 6 HTTP 401, 7 HTTP 403, 8 HTTP 404, 9 other HTTP error, 130 SIGINT, 143 SIGTERM.
 * After a 403 or 404 the exit code stays 7 or 8 even when the token's claims are shown: they are
 * unverified, so a script that tests the exit code is not misled. On an API error stdout holds no
 * Status body, as kubectl's holds none.
 *
 * Equivalent curl (in a pod; kubectl sends the same object as protobuf):
 *   SERVICEACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount
 *   curl --cacert $SERVICEACCOUNT/ca.crt -H "Authorization: Bearer $(cat $SERVICEACCOUNT/token)" \
 *     -X POST -H 'Content-Type: application/json' --data-binary \
 *     '{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"status":{"userInfo":{}}}' \
 *     https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/apis/authentication.k8s.io/v1/selfsubjectreviews
 *   # then read .status.userInfo
 */

import { outputFormat, runScript, writeStdout, type Cli } from './lib/cli.ts';
import { EXIT } from './lib/errors.ts';
import type { ApiClient } from './lib/http.ts';
import { redact } from './lib/redact.ts';
import { sendReview } from './lib/auth/reviews.ts';
import {
  createSelfSubjectReview,
  selfSubjectReviewRequest,
  SelfSubjectReviewUnavailable,
  typedSelfSubjectReview,
} from './lib/auth/self-subject-review.ts';
import { tokenIdentity } from './lib/auth/token-identity.ts';
import { formatSelfSubjectReview, WHOAMI_FORMATS, type WhoamiFormat } from './lib/auth/whoami-output.ts';

const USAGE = `Usage: whoami.ts [-o json|yaml] [flags]

Ask the API server who this identity is (SelfSubjectReview), as kubectl auth whoami does, and
print its username, UID, groups and extra attributes. If the server refuses (403) or lacks the
API (404), show instead what the token claims, decoded locally and marked as not verified.

  -o, --output FMT   json or yaml (default: kubectl's ATTRIBUTE/VALUE table)

Examples:
  whoami.ts
  whoami.ts -o json | jq -r .status.userInfo.username`;

const OPTIONS = {
  output: { type: 'string', short: 'o' },
} as const;

/** Why the server would not answer, and how to let it. */
const FIX = {
  [EXIT.FORBIDDEN]:
    'RBAC does not let this identity create selfsubjectreviews.authentication.k8s.io; the system:basic-user ClusterRole grants it (bound to system:authenticated by default)',
  [EXIT.NOT_FOUND]: 'this API server serves no SelfSubjectReview (Kubernetes before 1.26, or the API is turned off)',
} as const;

/** After kubectl's error: what the credential claims, decoded here, never verified. */
async function showUnverifiedClaims(
  cli: Cli<typeof OPTIONS>,
  client: ApiClient,
  refusal: SelfSubjectReviewUnavailable,
  format: WhoamiFormat,
) {
  process.stderr.write(redact(`error: ${refusal.message}\n`)); // kubectl's words
  cli.exitCode = refusal.exitCode;
  cli.log.verbose(`* ${refusal.refusal.message}`);
  cli.log.note(FIX[refusal.exitCode as keyof typeof FIX] ?? refusal.refusal.message);
  const authorization = await client.credentials.authorization();
  if (!authorization?.startsWith('Bearer ')) {
    cli.log.note(`no token to decode instead: the credential is ${client.credentials.description}`);
    return;
  }
  const identity = tokenIdentity(authorization.slice('Bearer '.length), new Date());
  if ('problem' in identity) {
    cli.log.note(`nothing to show instead: ${identity.problem}`);
    return;
  }
  cli.log.warn(
    `NOT VERIFIED by the API server: below is what the ${client.credentials.description} claims about itself, decoded locally (its signature, expiry and bindings were not checked)`,
  );
  if (identity.token.expired)
    cli.log.warn(`the token expired at ${identity.token.expiresAt?.toISOString()}: the server would reject it (401)`);
  await writeStdout(formatSelfSubjectReview(typedSelfSubjectReview({ status: { userInfo: identity.userInfo } }, 'v1'), format));
}

async function main(cli: Cli<typeof OPTIONS>): Promise<void> {
  const format: WhoamiFormat = cli.options.output === undefined ? 'table' : outputFormat(cli.options.output, WHOAMI_FORMATS);
  if (cli.printCurlOnly) return cli.printCurl(selfSubjectReviewRequest('v1'));
  const client = await cli.client();
  try {
    const review = await createSelfSubjectReview((request) => sendReview(client, request));
    await writeStdout(formatSelfSubjectReview(review, format));
  } catch (err) {
    if (!(err instanceof SelfSubjectReviewUnavailable)) throw err;
    await showUnverifiedClaims(cli, client, err, format);
  }
}

await runScript({ name: 'whoami', usage: USAGE, options: OPTIONS, arguments: [] }, main);
