#!/usr/bin/env -S npx tsx
/**
 * doctor — why can't this pod reach the API server? Walks the whole path a program in a Pod takes,
 * as the guide "Accessing the Kubernetes API from a Pod"
 * (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/) lays it out, one check
 * each: the service environment and which configuration wins, the service-account mount, the
 * token's claims, the CA, DNS, proxy variables, TCP, TLS, /version, who the server says we are, what
 * we may do (and --can "VERB RESOURCE" for what the program needs), and what a stolen token would
 * give away. It keeps going past a failure wherever a later check still means something, and ends
 * with the cause, the evidence and the one fix that matters. The flags are in USAGE below (--help).
 *
 * Reads what the other scripts read (flags, $KUBECONFIG or ~/.kube/config, in a pod
 * $KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount or --sa-dir),
 * plus /etc/resolv.conf, /etc/hosts, /proc/self/mountinfo and, for `kubectl debug`, /proc/1/root.
 * Never prints the token: its claims are decoded, never verified locally.
 *
 * Exit codes: 0 nothing failed (warnings allowed); else the first failure's class: 3 configuration
 * (not in a pod, no mount, unreadable files), 4 connection (DNS, proxy, refused, timeout), 5 TLS,
 * 6 401 (the token is rejected), 7 403 (anonymous, or RBAC denies a --can); 1 bug, 2 usage,
 * 130 SIGINT, 143 SIGTERM.
 *
 * The commands it replaces (in a pod):
 *   env | grep KUBERNETES_; ls -l /var/run/secrets/kubernetes.io/serviceaccount
 *   cut -d. -f2 /var/run/secrets/kubernetes.io/serviceaccount/token | base64 -d; cat /etc/resolv.conf
 *   openssl s_client -connect $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT -CAfile …/ca.crt
 *   curl --cacert …/ca.crt https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/version
 *   kubectl auth whoami; kubectl auth can-i --list; kubectl auth can-i VERB RESOURCE
 */

import { performance } from 'node:perf_hooks';
import { outputFormat, runScript, writeStdout, type Cli } from './lib/cli.ts';
import { renderCurl } from './lib/curl.ts';
import { formatDuration, parseDurationFlag } from './lib/duration.ts';
import { ExitError, usageError } from './lib/errors.ts';
import { redact } from './lib/redact.ts';
import { SELF_SUBJECT_REVIEW_REQUEST, VERSION_REQUEST, rulesReviewRequest } from './lib/doctor/api-probes.ts';
import { parseCan } from './lib/doctor/can.ts';
import { checkAuthn, checkAuthz, checkExposure, checkVersion } from './lib/doctor/checks-api.ts';
import { checkCa, checkEnvironment, checkMount } from './lib/doctor/checks-local.ts';
import { checkDns, checkProxyEnv, checkTcp, checkTls } from './lib/doctor/checks-network.ts';
import { checkToken } from './lib/doctor/check-token.ts';
import { gatherFacts } from './lib/doctor/gather.ts';
import { walk } from './lib/doctor/judge.ts';
import { renderHuman, renderJson, terminalStyle } from './lib/doctor/render.ts';
import { firstFailure } from './lib/doctor/report.ts';

/** -o values; the first is the default. */
const OUTPUT_FORMATS = ['text', 'json'] as const;
const DEFAULT_TIMEOUT = '5s';

const USAGE = `Usage: doctor.ts [--can "VERB RESOURCE[/NAME]"]... [-o text|json] [--timeout D] [flags]

Walk the path from this pod to the API server and say what is wrong, with the fix:
  environment  KUBERNETES_SERVICE_HOST/PORT; which configuration source wins
  mount        the service-account token, ca.crt, namespace (kubectl debug: --sa-dir)
  token        its claims: expiry, not-before, audience, warnafter, binding, legacy
  ca           the CA bundle: parses, is a CA, is valid now
  dns          the server's name, resolv.conf's search list and ndots
  proxy-env    HTTPS_PROXY/NO_PROXY as curl and these scripts route the server
  tcp          connect: refused, timed out (NetworkPolicy), unreachable
  tls          the presented chain against the CA; the host against the SANs
  version      GET /version (anonymous) and the clock skew
  authn        SelfSubjectReview: who the server says we are (401, 403 anonymous)
  authz        SelfSubjectRulesReview (access reviews when incomplete) and --can
  exposure     what this token gives whoever steals it

  --can "VERB RESOURCE[/NAME]"   what the program needs, as for kubectl auth can-i (repeatable);
                                 when denied, prints the Role and RoleBinding that would allow it
  -o, --output FMT               text (default) or json (a DoctorReport)
      --timeout D                limit for each network step (default ${DEFAULT_TIMEOUT})

Examples:
  doctor.ts
  doctor.ts --can "list pods" --can "get configmaps/app-config"
  doctor.ts --sa-dir /proc/1/root/run/secrets/kubernetes.io/serviceaccount   # kubectl debug: doctor names the path
  doctor.ts -o json | jq -r .firstFailure`;

const OPTIONS = {
  can: { type: 'string', multiple: true },
  output: { type: 'string', short: 'o' },
  timeout: { type: 'string' },
} as const;

/** --print-curl: the API requests the checks send, as curl commands (the token never printed; /version goes without it). */
async function printCurls(cli: Cli<typeof OPTIONS>): Promise<void> {
  const config = cli.config();
  const anonymous = { ...config, bearer: undefined, clientCertificate: undefined };
  const notes = new Set<string>();
  let commands = '';
  for (const [sentAs, request] of [
    [anonymous, VERSION_REQUEST],
    [config, SELF_SUBJECT_REVIEW_REQUEST],
    [config, rulesReviewRequest(config.namespace)],
  ] as const) {
    const curl = renderCurl(sentAs, request, { requestTimeoutMs: cli.requestTimeoutMs });
    for (const note of curl.notes) notes.add(note);
    commands += `${redact(curl.command)}\n`;
  }
  for (const note of notes) cli.log.note(note);
  await writeStdout(commands);
}

async function main(cli: Cli<typeof OPTIONS>): Promise<void> {
  const format = outputFormat(cli.options.output, OUTPUT_FORMATS);
  const timeoutMs = parseDurationFlag('--timeout', cli.options.timeout ?? DEFAULT_TIMEOUT);
  if (timeoutMs <= 0) throw usageError('--timeout must be more than 0');
  const canRequests = (cli.options.can ?? []).map(parseCan);
  if (cli.printCurlOnly) return printCurls(cli);

  const started = performance.now();
  // Everything the checks judge: local files first, then every network step side by side.
  const { facts, close } = await gatherFacts({ flags: cli.flags, environment: cli.environment, timeoutMs, canRequests, log: cli.log });
  try {
    const results = walk(facts, [
      checkEnvironment, // KUBERNETES_SERVICE_HOST/PORT; flags, $KUBECONFIG, ~/.kube/config or in-cluster
      checkMount, // token, ca.crt, namespace; ..data; automountServiceAccountToken: false; kubectl debug
      checkToken, // exp, nbf, aud, warnafter, binding, legacy, on the server's clock
      checkCa, // parses, is a CA, valid now
      checkDns, // the server's name through resolv.conf's search list
      checkProxyEnv, // HTTPS_PROXY without NO_PROXY
      checkTcp, // refused, timed out, unreachable
      checkTls, // unknown authority, host not in the SANs
      checkVersion, // GET /version, clock skew
      checkAuthn, // SelfSubjectReview: 401 explained, 403 as system:anonymous
      checkAuthz, // SelfSubjectRulesReview, access reviews, --can
      checkExposure, // secrets, pods, exec, impersonate, escalate, *
    ]);
    cli.log.verbose(`* doctor: the checks took ${formatDuration(Math.round(performance.now() - started))}`);
    const style = terminalStyle(cli.environment.env, process.stdout.isTTY === true);
    await writeStdout(redact(format === 'json' ? renderJson(results) : renderHuman(results, style)));
    const failure = firstFailure(results);
    if (failure?.exitCode !== undefined) {
      throw new ExitError(failure.exitCode, `${failure.id}: ${failure.summary}${failure.fix ? `: ${failure.fix}` : ''}`);
    }
  } finally {
    await close();
  }
}

await runScript({ name: 'doctor', usage: USAGE, options: OPTIONS, arguments: [] }, main);
