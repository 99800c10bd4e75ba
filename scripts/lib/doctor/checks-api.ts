// Verdicts on the API server's answers: `version` (reachable, and the clock skew from its Date
// header), `authn` (who it says we are; a 401 explained by what the token's claims support; a 403 as
// system:anonymous), `authz` (the rules review, access reviews when it is incomplete, --can with the
// RBAC objects that would allow what is denied) and `exposure` (what a stolen token is worth).
// Pure functions of the facts and of the verdicts before them.

import { STATUS_CODES } from 'node:http';
import { EXIT } from '../errors.ts';
import { tokenClaims, tokenIssues } from './check-token.ts';
import { inPod } from './checks-local.ts';
import type { AccessCheck, Facts, StepFailure } from './facts.ts';
import { grantManifest, subjectFor } from './manifest.ts';
import { describeAttributes, exposureCatalogue, exposuresFromRules, summariseAllowed } from './permissions.ts';
import { fail, pass, skip, warn, type CheckId, type CheckResult } from './report.ts';
import { FIX, MAX_CLOCK_SKEW_SECONDS, duration } from './texts.ts';

/** The first check on the way (dns, proxy-env, tcp, tls) that failed or could not run, if any. */
/** An HTTP failure as evidence: the status line and the server's own words, not our explanation again. */
function httpEvidence(what: string, failure: StepFailure): string[] {
  if (failure.httpStatus === undefined) return [failure.message];
  const line = `${what}: ${failure.httpStatus} ${STATUS_CODES[failure.httpStatus] ?? ''}`.trimEnd();
  return failure.statusMessage ? [line, `the server says: ${failure.statusMessage}`] : [line];
}

function blocker(facts: Facts, earlier: readonly CheckResult[]): CheckId | undefined {
  const https = facts.target?.url.protocol === 'https:';
  return earlier.find(
    (result) =>
      (['dns', 'proxy-env', 'tcp', 'tls'].includes(result.id) &&
        result.status === 'fail' &&
        !(result.id === 'dns' && facts.target?.isIp)) ||
      ((result.id === 'tcp' || (result.id === 'tls' && https)) && result.status === 'skip'),
  )?.id;
}

function notReached(facts: Facts, earlier: readonly CheckResult[], id: CheckId): CheckResult | undefined {
  if (facts.target === undefined) return skip(id, 'no server to ask (no configuration)');
  const blocked = blocker(facts, earlier);
  if (blocked === undefined) return undefined;
  const failed = earlier.some((result) => result.id === blocked && result.status === 'fail');
  return skip(id, `not asked: ${blocked} ${failed ? 'failed' : 'could not run'}`);
}

export function checkVersion(facts: Facts, earlier: readonly CheckResult[]): CheckResult {
  const blocked = notReached(facts, earlier, 'version');
  if (blocked !== undefined) return blocked;
  const version = facts.version;
  if (version === undefined) return skip('version', 'not asked: no client could be made');
  if (!version.ok) {
    const status = version.failure.httpStatus;
    if (status === 401 || status === 403) {
      return warn('version', {
        summary: `GET /version: ${status} for anonymous requests`,
        cause:
          'the API server refuses anonymous requests (--anonymous-auth=false, or system:public-info-viewer unbound): the clock skew cannot be measured',
        evidence: httpEvidence('GET /version', version.failure),
        fix: 'nothing to do for the program; the checks that follow use the token',
      });
    }
    return fail('version', version.failure.exitCode, {
      summary: `GET /version failed`,
      cause: version.failure.message,
      evidence: [version.failure.message],
      fix: 'see the cause',
    });
  }
  const { gitVersion, platform, serverDate, localDate } = version.value;
  // The Date header counts whole seconds, so the skew is only known to a second.
  const skew = serverDate === undefined ? undefined : Math.round((serverDate.getTime() - localDate.getTime()) / 1000);
  const skewText = skew === undefined ? 'unknown (no Date header)' : `${skew < 0 ? '-' : ''}${duration(skew)}`;
  const summary = `${gitVersion ?? 'version not given'}${platform ? ` (${platform})` : ''}, clock skew ${skewText}`;
  const evidence = serverDate === undefined ? [] : [`server Date ${serverDate.toUTCString()}, local ${localDate.toUTCString()}`];
  if (skew !== undefined && Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS) {
    return warn('version', {
      summary,
      cause: `this pod's clock and the API server's differ by ${duration(skew)}: tokens will look expired or not yet valid to one side`,
      evidence,
      fix: FIX.clock,
    });
  }
  return pass('version', summary, evidence);
}

/** What the local decode supports as the reason for a 401. */
function explainUnauthorized(facts: Facts): { cause: string; fix: string } {
  const issue = tokenIssues(facts).find((each) => each.severity === 'fail');
  if (issue !== undefined) return { cause: issue.cause, fix: issue.fix };
  const info = tokenClaims(facts);
  if (facts.token.kind === 'none')
    return { cause: 'no credentials were sent and the API server rejects anonymous requests', fix: FIX.anonymous(inPod(facts)) };
  if (info?.kind === 'legacy') {
    return {
      cause: 'the legacy token\'s Secret was deleted or its token regenerated (the server says "Token has been invalidated")',
      fix: FIX.legacy,
    };
  }
  if (info?.kind === 'bound') {
    const bound = info.pod
      ? `pod ${info.pod.name}${info.pod.uid ? ` (uid ${info.pod.uid})` : ''}`
      : info.secret
        ? `Secret ${info.secret.name}`
        : 'object';
    return {
      cause: `the claims look valid (not expired, the API server's audience), so the server rejected what the token is bound to: the ${bound} or the service account ${info.serviceAccount?.name ?? ''} was deleted or recreated (or the signing key changed)`,
      fix: FIX.recreated,
    };
  }
  return {
    cause: 'the API server does not recognise this token',
    fix: 'check where the token comes from (--token-file, the kubeconfig user)',
  };
}

export function checkAuthn(facts: Facts, earlier: readonly CheckResult[]): CheckResult {
  const blocked = notReached(facts, earlier, 'authn');
  if (blocked !== undefined) return blocked;
  const authn = facts.authn;
  if (authn === undefined) {
    const reason = facts.apiSkipped ?? 'no client could be made';
    // Always explained by an earlier failure (the token or CA cannot be used); if not, it is one itself.
    if (earlier.some((result) => result.status === 'fail')) return skip('authn', `not asked: ${reason}`);
    return fail('authn', EXIT.NO_CONFIG, { summary: 'no client could be made', cause: reason, fix: 'fix what the cause names' });
  }
  if (authn.ok) {
    const { username = '(no name)', groups = [], uid, extra = {} } = authn.value;
    const evidence = [
      ...(uid ? [`uid ${uid}`] : []),
      ...Object.entries(extra).map(([key, values]) => `${key}: ${values.join(', ')}`),
      ...(tokenClaims(facts)?.subject && tokenClaims(facts)?.subject !== username
        ? [`the token file says ${tokenClaims(facts)?.subject}`]
        : []),
    ];
    if (username === 'system:anonymous') {
      return fail('authn', EXIT.FORBIDDEN, {
        summary: 'the server sees system:anonymous',
        cause: 'no credentials reached the API server',
        evidence,
        fix: FIX.anonymous(inPod(facts)),
      });
    }
    return pass('authn', `${username}${groups.length > 0 ? ` (groups ${groups.join(', ')})` : ''}`, evidence);
  }
  const { failure } = authn;
  const evidence = httpEvidence('POST selfsubjectreviews', failure);
  if (failure.httpStatus === 401) {
    return fail('authn', EXIT.UNAUTHORIZED, {
      summary: '401 Unauthorized: the API server does not accept the token',
      ...explainUnauthorized(facts),
      evidence,
    });
  }
  if (failure.httpStatus === 403 && /system:anonymous/.test(failure.statusMessage ?? '')) {
    return fail('authn', EXIT.FORBIDDEN, {
      summary: '403 Forbidden as system:anonymous: no token reached the server',
      cause:
        facts.token.kind === 'none'
          ? 'no credentials are configured (--server without --token-file, or a kubeconfig user without any), so the request carried no token and the server treated it as system:anonymous'
          : 'a token is configured but the server saw none: something in between (a proxy) dropped the Authorization header',
      evidence,
      fix: FIX.anonymous(inPod(facts)),
    });
  }
  if (failure.httpStatus === 403 || failure.httpStatus === 404) {
    return warn('authn', {
      summary: `SelfSubjectReview: ${failure.httpStatus}`,
      cause:
        failure.httpStatus === 404
          ? 'the selfsubjectreviews API is not enabled in the cluster (Kubernetes < 1.27?): who we are cannot be asked'
          : 'this identity may not ask who it is (system:basic-user is not bound to it)',
      evidence,
      fix: 'nothing to do for the program; the authz check still asks what it may do',
    });
  }
  return fail('authn', failure.exitCode, { summary: 'SelfSubjectReview failed', cause: failure.message, evidence, fix: 'see the cause' });
}

function username(facts: Facts): string | undefined {
  return facts.authn?.ok === true ? facts.authn.value.username : tokenClaims(facts)?.subject;
}

function answerText(check: AccessCheck): string {
  if (!check.answer.ok) return `${check.label}: ${check.answer.failure.message}`;
  const { allowed, reason, evaluationError } = check.answer.value;
  const details = [reason, evaluationError].filter(Boolean).join('; ');
  const warnings = (check.warnings ?? []).map((warning) => ` (Warning: ${warning})`).join('');
  return `${check.label}: ${allowed ? 'yes' : 'no'}${details ? ` - ${details}` : ''}${warnings}`;
}

export function checkAuthz(facts: Facts, earlier: readonly CheckResult[]): CheckResult {
  const authn = earlier.find((result) => result.id === 'authn');
  if (authn === undefined || authn.status === 'fail' || authn.status === 'skip') return skip('authz', 'not asked: authn did not pass');
  const authz = facts.authz;
  if (authz === undefined) return skip('authz', `not asked: ${facts.apiSkipped ?? 'no configuration'}`);
  const broken = authz.can.find((check) => !check.answer.ok);
  if (broken !== undefined && !broken.answer.ok) {
    return fail('authz', broken.answer.failure.exitCode, {
      summary: `access review for ${broken.label} failed`,
      cause: broken.answer.failure.message,
      evidence: authz.can.map(answerText),
      fix: 'see the cause',
    });
  }
  const denied = authz.can.filter((check) => check.answer.ok && !check.answer.value.allowed);
  const who = username(facts) ?? 'this identity';
  if (denied.length > 0) {
    const labels = denied.map((check) => check.label).join(', ');
    return {
      ...fail('authz', EXIT.FORBIDDEN, {
        summary: `denied: ${labels}`,
        cause: `RBAC does not allow ${who} to ${labels} (namespace ${authz.namespace} for namespaced resources)`,
        evidence: authz.can.map(answerText),
        fix: FIX.rbac,
      }),
      yaml: grantManifest(denied, subjectFor(who), authz.namespace),
    };
  }
  const allowedCan = authz.can.length > 0 ? `; allowed: ${authz.can.map((check) => check.label).join(', ')}` : '';
  const rules = authz.rules;
  if (!rules.ok) {
    return warn('authz', {
      summary: `cannot list the rules in ${authz.namespace}${allowedCan}`,
      cause: rules.failure.message,
      evidence: authz.can.map(answerText),
      fix: 'nothing to do for the program unless it needs more: name what it needs with --can',
    });
  }
  const { resourceRules, nonResourceRules, incomplete, evaluationError } = rules.value;
  const evidence = [...authz.can.map(answerText), ...authz.fallback.map(answerText)];
  if (incomplete) {
    const allowed = authz.fallback.filter((check) => check.answer.ok && check.answer.value.allowed).map((check) => check.attributes);
    return pass(
      'authz',
      `rules review incomplete (${evaluationError ?? 'no reason given'}): ${authz.fallback.length} access reviews instead, allowed ${summariseAllowed(allowed) || 'none of them'}${allowedCan}`,
      evidence,
    );
  }
  return pass(
    'authz',
    `${resourceRules.length} resource and ${nonResourceRules.length} non-resource rules in namespace ${authz.namespace}${allowedCan}`,
    evidence,
  );
}

export function checkExposure(facts: Facts, earlier: readonly CheckResult[]): CheckResult {
  const authz = earlier.find((result) => result.id === 'authz');
  if (authz === undefined || authz.status === 'skip' || facts.authz === undefined)
    return skip('exposure', 'not known: authz was not asked');
  const { rules, exposure, namespace } = facts.authz;
  const catalogue = exposureCatalogue(namespace);
  if (!rules.ok && exposure.length === 0) return skip('exposure', 'not known: the rules review failed');
  const reviewed = new Set(
    exposure.filter((check) => check.answer.ok && check.answer.value.allowed).map((check) => describeAttributes(check.attributes)),
  );
  const fromRules = rules.ok ? exposuresFromRules(rules.value, catalogue) : [];
  const found = catalogue
    .map((item) => ({
      risk: item.risk,
      allowed: item.requests.filter(
        (request) =>
          reviewed.has(describeAttributes(request)) ||
          fromRules.some((entry) => entry.allowed.some((each) => describeAttributes(each) === describeAttributes(request))),
      ),
    }))
    .filter((item) => item.allowed.length > 0);
  if (found.length === 0) {
    return pass(
      'exposure',
      'nothing an attacker would want: no secrets, pod creation, exec/attach, impersonation, token minting or escalation',
    );
  }
  return warn('exposure', {
    summary: `this token can ${found.map((item) => item.risk.replace(/ \(.*\)$/, '')).join('; ')}`,
    cause: 'whoever gets this token (a compromised program, anyone with a shell in the pod) can do the same',
    evidence: found.map((item) => `${item.risk}: ${summariseAllowed(item.allowed)}`),
    fix: FIX.exposure,
  });
}
