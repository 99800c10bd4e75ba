// The `token` verdict: what the token's claims say (decoded, never verified locally, never printed),
// judged against the API server's clock when /version gave it (that is the clock that validates), and
// confirmed by the server's own answer to SelfSubjectReview when there is one. The same issues explain
// a 401 in the `authn` check.
//
// Sources: pkg/serviceaccount/claims.go (exp/nbf with 60s leeway, the kubernetes.io claims,
// warnafter), pkg/serviceaccount/legacy.go (iss "kubernetes/serviceaccount"), the default API
// audience is the issuer (kube-apiserver --api-audiences), KEP-1205 (bound tokens, extended expiry).

import { EXIT } from '../errors.ts';
import { WARN_ONLY_EXPIRATION_SECONDS, type ServiceAccountTokenInfo } from '../token.ts';
import type { Facts } from './facts.ts';
import { fail, pass, skip, warn, type CheckResult, type Finding } from './report.ts';
import { FIX, TOKEN_LEEWAY_SECONDS, duration, relative } from './texts.ts';

/** Now on the API server's clock: ours, moved by the skew /version's Date header showed. */
export function serverNow(facts: Facts): Date {
  const version = facts.version;
  if (version?.ok !== true || version.value.serverDate === undefined) return facts.now;
  return new Date(facts.now.getTime() + (version.value.serverDate.getTime() - version.value.localDate.getTime()));
}

/** What the server made of the token: it authenticated it, rejected it (401), or we do not know. */
export function serverVerdict(facts: Facts): 'accepted' | 'rejected' | 'unknown' {
  if (facts.authn?.ok === true) return 'accepted';
  return facts.authn?.ok === false && facts.authn.failure.httpStatus === 401 ? 'rejected' : 'unknown';
}

export interface TokenIssue extends Finding {
  severity: 'fail' | 'warn';
}

/** The decoded claims, when the token is a JWT that was read. */
export function tokenClaims(facts: Facts): ServiceAccountTokenInfo | undefined {
  const token = facts.token;
  return 'read' in token && token.read.ok && 'claims' in token.read ? token.read.claims : undefined;
}

function mounted(facts: Facts): boolean {
  return 'mounted' in facts.token && facts.token.mounted;
}

/** Everything wrong with the token's claims, most serious first. */
export function tokenIssues(facts: Facts): TokenIssue[] {
  const info = tokenClaims(facts);
  if (info === undefined) return [];
  const now = serverNow(facts);
  const verdict = serverVerdict(facts);
  const severity = verdict === 'accepted' ? 'warn' : 'fail';
  const issues: TokenIssue[] = [];
  if (info.expiresAt !== undefined && now >= info.expiresAt) {
    issues.push({
      severity,
      summary: `expired ${relative(info.expiresAt, now)} (exp ${info.expiresAt.toISOString()})`,
      cause: mounted(facts)
        ? 'the mounted file holds an expired token: kubelet rewrites it at 80% of its lifetime, so it has stopped rotating it (is kubelet on the node healthy?), or the token was copied and read once'
        : 'the token has expired (the API server says "service account token has expired")',
      fix: mounted(facts)
        ? `restart the pod to get a fresh token; ${FIX.rereadToken}`
        : `use the mounted, rotated token file instead; ${FIX.rereadToken}`,
    });
  }
  const notBefore = info.notBefore ?? info.issuedAt;
  if (notBefore !== undefined && (notBefore.getTime() - now.getTime()) / 1000 > TOKEN_LEEWAY_SECONDS) {
    issues.push({
      severity,
      summary: `not valid yet: issued for ${notBefore.toISOString()}, ${duration((notBefore.getTime() - now.getTime()) / 1000)} in the future`,
      cause: `the token is from the future by more than the ${TOKEN_LEEWAY_SECONDS}s the API server allows: the clock of the API server that issued it, or of this node, is off`,
      fix: FIX.clock,
    });
  }
  const issuer = info.issuer;
  if (
    info.kind !== 'legacy' &&
    issuer !== undefined &&
    info.audiences.length > 0 &&
    !info.audiences.includes(issuer) &&
    verdict !== 'accepted'
  ) {
    issues.push({
      severity: verdict === 'rejected' ? 'fail' : 'warn',
      summary: `audience ${info.audiences.join(', ')} is not the API server's (${issuer})`,
      cause: `a token for another audience (a projected serviceAccountToken with audience: ${info.audiences.join(', ')}): the API server only accepts its own audience, by default its issuer ${issuer}`,
      fix: FIX.audience,
    });
  }
  if (info.extended && info.stale && info.warnAfter !== undefined) {
    issues.push({
      severity: 'warn',
      summary: `stale: past warnafter by ${duration((now.getTime() - info.warnAfter.getTime()) / 1000)} (extended token)`,
      cause: `kubelet asked for ${WARN_ONLY_EXPIRATION_SECONDS}s and the API server extended it (--service-account-extend-token-expiration); it still accepts it but counts it as stale: a server without the extension would answer 401`,
      fix: mounted(facts)
        ? `the mounted file itself is stale, so kubelet has stopped rotating it (check kubelet on node ${info.node?.name ?? 'of this pod'}); ${FIX.rereadToken}`
        : `use the mounted token file; ${FIX.rereadToken}`,
    });
  }
  if (info.kind === 'legacy') {
    issues.push({
      severity: 'warn',
      summary: `legacy Secret-based token${info.secret ? ` (Secret ${info.secret.name})` : ''}: never expires`,
      cause:
        'a legacy token (iss "kubernetes/serviceaccount") is not bound to the pod and never expires: whoever copies it keeps access until its Secret is deleted',
      fix: FIX.legacy,
    });
  }
  return issues;
}

function claimEvidence(info: ServiceAccountTokenInfo, now: Date): string[] {
  const at = (label: string, date: Date | undefined) =>
    date === undefined ? [] : [`${label} ${date.toISOString()} (${relative(date, now)})`];
  return [
    `sub ${info.subject ?? '(none)'}`,
    `iss ${info.issuer ?? '(none)'}`,
    `aud ${info.audiences.length > 0 ? info.audiences.join(', ') : '(none)'}`,
    ...at('iat', info.issuedAt),
    ...at('nbf', info.notBefore),
    ...at('exp', info.expiresAt),
    ...at('warnafter', info.warnAfter),
    ...(info.pod ? [`bound to pod ${info.pod.name}${info.pod.uid ? ` (uid ${info.pod.uid})` : ''}`] : []),
    ...(info.node ? [`on node ${info.node.name}`] : []),
    ...(info.secret ? [`bound to Secret ${info.secret.name}`] : []),
  ];
}

function healthySummary(info: ServiceAccountTokenInfo, now: Date): string {
  const who = info.subject ?? 'no subject';
  const binding = info.pod ? `, bound to pod ${info.pod.name}` : info.secret ? `, bound to Secret ${info.secret.name}` : '';
  const expiry = info.expiresAt ? `, expires ${relative(info.expiresAt, now)}` : '';
  const extended = info.extended && info.warnAfter ? ` (extended; warnafter ${relative(info.warnAfter, now)})` : '';
  return `${who}${binding}${expiry}${extended}`;
}

export function checkToken(facts: Facts): CheckResult {
  const token = facts.token;
  if (token.kind === 'none') return skip('token', `no token configured (${token.description})`);
  if (token.kind === 'exec') return skip('token', `${token.description}: its token is not decoded`);
  if (!token.read.ok) {
    return fail('token', token.read.exitCode, {
      summary: `cannot use the token in ${token.where}`,
      cause: token.read.message,
      fix: 'fix the token file named above',
    });
  }
  if ('notJwt' in token.read) return pass('token', `${token.where}: not a JWT (an opaque token), nothing to decode`);
  const info = token.read.claims;
  const now = serverNow(facts);
  const evidence = [`${token.where}`, ...claimEvidence(info, now)];
  const issues = tokenIssues(facts);
  const first = issues.find((issue) => issue.severity === 'fail') ?? issues[0];
  if (first === undefined) return pass('token', healthySummary(info, now), evidence);
  const others = issues.filter((issue) => issue !== first).map((issue) => `also: ${issue.summary}`);
  const finding = { summary: first.summary, cause: first.cause, evidence: [...evidence, ...others], fix: first.fix };
  return first.severity === 'fail' ? fail('token', EXIT.UNAUTHORIZED, finding) : warn('token', finding);
}
