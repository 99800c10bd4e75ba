#!/usr/bin/env -S npx tsx
/**
 * serviceaccount — read what kubelet mounted for this pod (namespace, token, CA)
 * and explain it: who the token says we are (namespace, service account, pod,
 * node), when it was issued, expires and should be rotated, whether it is stale
 * or extended, its audience, whether it is a legacy Secret token, the CA's
 * subject and validity, and which API server the other scripts would call.
 * Local files only: nothing is sent unless --check asks the server who we are.
 * The flags are in USAGE below (--help).
 *
 * These are the files the guide "Accessing the Kubernetes API from a Pod"
 * (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/) reads before its curl;
 * "K8s tips: accessing the API server from a Pod"
 * (https://itnext.io/k8s-tips-accessing-the-api-server-from-a-pod-f6f72bc847de) shows the token
 * file missing when the Pod or its ServiceAccount sets automountServiceAccountToken: false (exit 3 here).
 *
 * Reads: /var/run/secrets/kubernetes.io/serviceaccount/{namespace,token,ca.crt};
 * $KUBERNETES_SERVICE_HOST/PORT, $KUBECONFIG or ~/.kube/config to name the API server.
 *
 * Exit codes: 0 ok, 1 bug, 2 usage, 3 no token file (not in a pod, or
 * automountServiceAccountToken: false); with --check also 4 connection failed,
 * 5 TLS verification failed, 6 HTTP 401, 7 HTTP 403, 8 HTTP 404, 9 other HTTP error; 130 SIGINT, 143 SIGTERM.
 *
 * Equivalent shell (the guide's first steps, then a look inside the token and the CA):
 *   SERVICEACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount
 *   NAMESPACE=$(cat $SERVICEACCOUNT/namespace)
 *   cut -d. -f2 $SERVICEACCOUNT/token | base64 -d 2>/dev/null     # the JWT claims (base64url: may need padding)
 *   openssl x509 -in $SERVICEACCOUNT/ca.crt -noout -subject -dates
 * and for --check:
 *   curl --cacert $SERVICEACCOUNT/ca.crt -H "Authorization: Bearer $(cat $SERVICEACCOUNT/token)" \
 *     -X POST -H 'Content-Type: application/json' \
 *     --data-binary '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}' \
 *     https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/apis/authentication.k8s.io/v1/selfsubjectreviews
 */

import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { outputFormat, runScript, writeStdout, type Cli } from './lib/cli.ts';
import { serviceAccountFiles, type ConfigEnvironment, type ServiceAccountFiles } from './lib/config.ts';
import { readPem } from './lib/credentials.ts';
import { EXIT, ExitError, configError, isExitError } from './lib/errors.ts';
import { readConfigFile } from './lib/files.ts';
import { parseJson } from './lib/json.ts';
import { redact } from './lib/redact.ts';
import type { ApiRequest } from './lib/http.ts';
import {
  decodeJwt,
  describeServiceAccountToken,
  JwtFormatError,
  TokenFile,
  WARN_ONLY_EXPIRATION_SECONDS,
  type ObjectRef,
  type ServiceAccountTokenInfo,
} from './lib/token.ts';

/** -o values; the first is the default. */
const OUTPUT_FORMATS = ['text', 'json'] as const;
const SELF_SUBJECT_REVIEW_VERSIONS = ['v1', 'v1beta1'] as const;
const LABEL_WIDTH = 20;

const USAGE = `Usage: serviceaccount.ts [-o text|json] [--show-token] [--check] [flags]

Explain the service-account files kubelet mounted for this pod: namespace, token
claims (service account, pod, node, issue/expiry/warnafter, stale or extended,
audience, legacy or bound), the CA certificate, and the API server address.
Reads local files only, unless --check is given; --token-file and
--certificate-authority explain those files instead of the mounted ones.

  -o, --output FMT    text (default) or json
      --show-token    print the token itself, and nothing else
      --check         also POST a SelfSubjectReview: who the API server thinks we are

Examples:
  serviceaccount.ts
  serviceaccount.ts -o json | jq .token.claims.expiresAt
  TOKEN=$(serviceaccount.ts --show-token)`;

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  'show-token': { type: 'boolean' },
  check: { type: 'boolean' },
} as const;

interface TokenReport {
  file: string;
  /** Undefined when the token is not a JWT (e.g. a static token file). */
  claims?: ServiceAccountTokenInfo;
  error?: string;
}

interface CaReport {
  file: string;
  certificates: { subject: string; issuer: string; validFrom: string; validTo: string; validNow: boolean }[];
  error?: string;
}

interface ApiServerReport {
  server?: string;
  source?: string;
  namespace?: string;
  error?: string;
}

interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

interface Report {
  serviceAccountDir: string;
  namespace: { value?: string; file: string };
  token: TokenReport;
  ca?: CaReport;
  apiServer: ApiServerReport;
  selfSubjectReview?: UserInfo;
}

/** The token file's text, or exit 3 with the reason it is missing (a pod is told by `environment`). */
function readToken(path: string, files: ServiceAccountFiles, environment: ConfigEnvironment): string {
  if (!existsSync(path)) {
    const inPod = environment.env.KUBERNETES_SERVICE_HOST !== undefined;
    const reason =
      path !== files.token
        ? 'check the --token-file path'
        : inPod
          ? 'this is a pod (KUBERNETES_SERVICE_HOST is set), so automountServiceAccountToken is probably false on the Pod or its ServiceAccount'
          : 'not running in a pod? pass --token-file';
    throw configError(`token file ${path} not found: ${reason}`);
  }
  return new TokenFile(path).get();
}

function inspectToken(path: string, token: string, now: Date): TokenReport {
  try {
    return { file: path, claims: describeServiceAccountToken(decodeJwt(token), now) };
  } catch (err) {
    if (err instanceof JwtFormatError) return { file: path, error: `${err.message} (an opaque static token?)` };
    throw err;
  }
}

function splitPemBundle(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function inspectCa(path: string, now: Date): CaReport | undefined {
  if (!existsSync(path)) return undefined;
  const blocks = splitPemBundle(readPem({ file: path }, 'CA file'));
  if (blocks.length === 0) return { file: path, certificates: [], error: 'no PEM certificate in the file' };
  const certificates: CaReport['certificates'] = [];
  for (const [index, block] of blocks.entries()) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0];
      return {
        file: path,
        certificates,
        error: `certificate ${index + 1} of ${blocks.length} is not a valid X.509 certificate (${reason})`,
      };
    }
    const validFrom = new Date(cert.validFrom);
    const validTo = new Date(cert.validTo);
    certificates.push({
      subject: cert.subject.split('\n').join(', '),
      issuer: cert.issuer.split('\n').join(', '),
      validFrom: validFrom.toISOString(),
      validTo: validTo.toISOString(),
      validNow: validFrom <= now && now <= validTo,
    });
  }
  return { file: path, certificates };
}

function inspectApiServer(cli: Cli<typeof OPTIONS>): ApiServerReport {
  try {
    const config = cli.config();
    return { server: config.server, source: config.source.description, namespace: config.namespace };
  } catch (err) {
    // The message goes to stdout here, not through reportFailure: redact it as every stderr line is.
    if (isExitError(err) && err.exitCode === EXIT.NO_CONFIG) return { error: redact(err.message) };
    throw err;
  }
}

function selfSubjectReviewRequest(version: string): ApiRequest {
  return {
    method: 'POST',
    path: `/apis/authentication.k8s.io/${version}/selfsubjectreviews`,
    body: JSON.stringify({ apiVersion: `authentication.k8s.io/${version}`, kind: 'SelfSubjectReview' }),
  };
}

/** POST a SelfSubjectReview, v1 first and v1beta1 on 404 (as kubectl auth whoami does). */
async function selfSubjectReview(cli: Cli<typeof OPTIONS>): Promise<UserInfo> {
  const client = await cli.client();
  for (const version of SELF_SUBJECT_REVIEW_VERSIONS) {
    try {
      const response = await client.send(selfSubjectReviewRequest(version));
      const review = parseJson(response.body) as { status?: { userInfo?: UserInfo } } | null;
      return review?.status?.userInfo ?? {};
    } catch (err) {
      const lastVersion = version === SELF_SUBJECT_REVIEW_VERSIONS[SELF_SUBJECT_REVIEW_VERSIONS.length - 1];
      if (isExitError(err) && err.exitCode === EXIT.NOT_FOUND && !lastVersion) continue;
      if (isExitError(err) && err.exitCode === EXIT.NOT_FOUND) {
        throw new ExitError(EXIT.NOT_FOUND, 'the selfsubjectreviews API is not enabled in the cluster (Kubernetes < 1.27?)', {
          stdout: err.stdout,
        });
      }
      throw err;
    }
  }
  return {};
}

// ---------------------------------------------------------------------------
// Text output

/** 90 → "1m30s", 86400 → "1d", -30 → "30s" (sign handled by the caller). */
function humanDuration(seconds: number): string {
  let rest = Math.round(Math.abs(seconds));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join('');
}

function when(date: Date | undefined, now: Date): string {
  if (date === undefined) return 'not set';
  const delta = (date.getTime() - now.getTime()) / 1000;
  const relative = delta >= 0 ? `in ${humanDuration(delta)}` : `${humanDuration(delta)} ago`;
  return `${date.toISOString()} (${relative})`;
}

function ref(value: ObjectRef | undefined): string {
  if (value === undefined) return 'not bound';
  return value.uid ? `${value.name} (uid ${value.uid})` : value.name;
}

function line(label: string, value: string, indent = ''): string {
  return `${`${indent}${label}`.padEnd(LABEL_WIDTH)}  ${value}\n`;
}

function tokenKind(info: ServiceAccountTokenInfo): string {
  if (info.kind === 'legacy') return 'legacy Secret-based service-account token (iss "kubernetes/serviceaccount"): it never expires';
  if (info.kind === 'other') return 'a JWT, but not a service-account token';
  if (info.secret) return 'bound service-account token (TokenRequest), bound to a Secret';
  return info.pod ? 'bound service-account token (projected by kubelet, bound to this pod)' : 'bound service-account token (TokenRequest)';
}

function extendedText(info: ServiceAccountTokenInfo): string {
  const lifetime = info.lifetimeSeconds === undefined ? 'unknown' : humanDuration(info.lifetimeSeconds);
  if (info.extended) {
    return `yes: lives ${lifetime} although kubelet asked for ${WARN_ONLY_EXPIRATION_SECONDS}s; the API server extended it and only warns after warnafter`;
  }
  if (info.warnAfter === undefined && info.lifetimeSeconds !== undefined) return `no: strict lifetime of ${lifetime}`;
  return `no (lifetime ${lifetime})`;
}

function staleText(info: ServiceAccountTokenInfo): string {
  if (info.warnAfter === undefined) return 'no warnafter claim';
  return info.stale
    ? 'yes: past warnafter; only the extension keeps it working, and kubelet should have rotated it (is the file re-read?)'
    : 'no';
}

function renderText(report: Report, now: Date): string {
  let out = '';
  out += line('Service account dir', report.serviceAccountDir);
  out += line(
    'Namespace',
    report.namespace.value !== undefined
      ? `${report.namespace.value} (from ${report.namespace.file})`
      : `${report.namespace.file} not found`,
  );
  const { token } = report;
  out += line('Token file', token.file);
  const info = token.claims;
  if (info === undefined) {
    out += line('Token', token.error ?? 'not a JWT');
  } else {
    out += line('Token', tokenKind(info));
    out += line(
      'Service account',
      info.namespace && info.serviceAccount ? `${info.namespace}/${ref(info.serviceAccount)}` : ref(info.serviceAccount),
    );
    if (info.kind !== 'legacy') {
      out += line('Pod', ref(info.pod));
      out += line('Node', ref(info.node));
    }
    if (info.secret) out += line('Secret', ref(info.secret));
    out += line('Subject', info.subject ?? 'not set');
    out += line('Issuer', info.issuer ?? 'not set');
    out += line('Audience', info.audiences.length > 0 ? info.audiences.join(', ') : 'not set');
    out += line('Key ID', `${info.keyId ?? 'not set'} (alg ${info.algorithm ?? 'not set'})`);
    if (info.jti) out += line('Token ID (jti)', info.jti);
    if (info.kind !== 'legacy') {
      out += line('Issued', when(info.issuedAt, now));
      out += line('Expires', `${when(info.expiresAt, now)}${info.expired ? ' EXPIRED' : ''}`);
      out += line('Warn after', when(info.warnAfter, now));
      out += line('Extended', extendedText(info));
      out += line('Stale', staleText(info));
    }
  }
  if (report.ca === undefined) {
    out += line('CA', 'ca.crt not found: verification would fall back to the system trust store');
  } else {
    out += line('CA file', report.ca.error ? `${report.ca.file}: ${report.ca.error}` : report.ca.file);
    for (const cert of report.ca.certificates) {
      out += line('Subject', cert.subject, '  ');
      out += line('Issuer', cert.issuer, '  ');
      out += line('Valid', `${cert.validFrom} to ${cert.validTo}${cert.validNow ? '' : ' (NOT valid now)'}`, '  ');
    }
  }
  const api = report.apiServer;
  out += line('API server', api.server !== undefined ? api.server : `unknown: ${api.error ?? ''}`);
  if (api.source !== undefined) out += line('Config from', api.source);
  const review = report.selfSubjectReview;
  if (review !== undefined) {
    out += line('Server says', `${review.username ?? '?'}${review.uid ? ` (uid ${review.uid})` : ''}`);
    out += line('Groups', (review.groups ?? []).join(', '), '  ');
    for (const [key, values] of Object.entries(review.extra ?? {})) out += line(key, values.join(', '), '  ');
    if (info?.subject !== undefined && review.username !== undefined && review.username !== info.subject) {
      out += line(
        'Note',
        `the server sees ${review.username}, the token file says ${info.subject} (the API calls use ${api.source ?? 'other credentials'})`,
      );
    }
  }
  return out;
}

async function main(cli: Cli<typeof OPTIONS>): Promise<void> {
  const format = outputFormat(cli.options.output, OUTPUT_FORMATS);
  const files = serviceAccountFiles(cli.environment.serviceAccountDir);
  if (cli.printCurlOnly) return cli.printCurl(selfSubjectReviewRequest('v1'), 'this is the request --check sends');

  const tokenPath = cli.flags.tokenFile ?? files.token;
  const token = readToken(tokenPath, files, cli.environment);
  if (cli.options['show-token']) return writeStdout(`${token}\n`);

  const now = new Date();
  const namespaceFile = existsSync(files.namespace) ? readConfigFile(files.namespace, 'namespace file').trim() : undefined;
  const report: Report = {
    serviceAccountDir: files.dir,
    namespace: { value: namespaceFile, file: files.namespace },
    token: inspectToken(tokenPath, token, now),
    ca: inspectCa(cli.flags.certificateAuthority ?? files.caCert, now),
    apiServer: inspectApiServer(cli),
  };
  if (cli.options.check) report.selfSubjectReview = await selfSubjectReview(cli);
  if (format === 'json') return writeStdout(`${JSON.stringify(report, null, 2)}\n`);
  return writeStdout(renderText(report, now));
}

await runScript({ name: 'serviceaccount', usage: USAGE, options: OPTIONS, arguments: [] }, main);
