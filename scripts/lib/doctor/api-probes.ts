// The doctor's questions to the API server, each through the client core (ApiClient: the CA, the
// proxy, the token re-read, failures classified once by failure.ts) and bounded by --timeout:
// GET /version (anonymous, so it says something even when the token is bad), who am I
// (SelfSubjectReview, as `kubectl auth whoami`), what may I do (SelfSubjectRulesReview, as
// `kubectl auth can-i --list`) and may I do this (SelfSubjectAccessReview, as `kubectl auth can-i`,
// with discovery to read --can's resource as kubectl does). The request bodies are kubectl's
// (auth/reviews.ts, auth/self-subject-review.ts).

import { accessReviewRequest, reviewStatus, rulesReviewRequest, type AccessQuestion, type AccessReviewStatus } from '../auth/reviews.ts';
import { SELF_SUBJECT_REVIEW_VERSIONS, selfSubjectReviewRequest, typedUserInfo } from '../auth/self-subject-review.ts';
import { discover, EMPTY_DISCOVERY, type Discovery } from '../discovery.ts';
import { isExitError } from '../errors.ts';
import { errorCode } from '../failure.ts';
import type { ApiClient, ApiRequest } from '../http.ts';
import { parseJson } from '../json.ts';
import { SILENT_LOG } from '../log.ts';
import { placeCan, type CanRequest } from './can.ts';
import type { AccessCheck, AuthzFacts, Outcome, RulesReview, StepFailure, UserInfo, VersionFacts } from './facts.ts';
import { commonAccessRequests, describeAttributes, exposureCatalogue, type AccessAttributes } from './permissions.ts';
import { StepError, timed } from './probes.ts';

interface Answer {
  json: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** Why an API call failed, from the ExitError the client core made of it. */
function apiFailure(err: unknown): StepFailure {
  if (!isExitError(err)) throw err;
  const failure: StepFailure = { message: err.message, exitCode: err.exitCode };
  const code = errorCode(err.cause);
  if (code !== undefined) failure.code = code;
  if (err.stdout !== undefined && err.stdout.length > 0) {
    try {
      const status = JSON.parse(err.stdout.toString('utf8')) as { code?: unknown; message?: unknown };
      if (typeof status.code === 'number') failure.httpStatus = status.code;
      if (typeof status.message === 'string') failure.statusMessage = status.message;
    } catch {
      // not a Status document (an HTML page from a proxy): the message says enough
    }
  }
  return failure;
}

/** One request within the timeout; the answer's JSON, or the failure in the core's words. */
function ask(client: ApiClient, request: ApiRequest, timeoutMs: number): Promise<Outcome<Answer>> {
  return timed(timeoutMs, `${request.method} ${request.path}`, async (signal) => {
    try {
      const response = await client.send(request, { signal });
      return { json: parseJson(response.body), headers: response.headers };
    } catch (err) {
      throw new StepError(apiFailure(err));
    }
  });
}

/** The same outcome with its value turned into another. */
function mapOutcome<A, B>(outcome: Outcome<A>, convert: (value: A) => B): Outcome<B> {
  return outcome.ok ? { ok: true, value: convert(outcome.value), ms: outcome.ms } : outcome;
}

export const VERSION_REQUEST: ApiRequest = { method: 'GET', path: '/version' };
export const SELF_SUBJECT_REVIEW_REQUEST = selfSubjectReviewRequest('v1');
export { rulesReviewRequest };

export async function askVersion(client: ApiClient, timeoutMs: number): Promise<Outcome<VersionFacts>> {
  const answer = await ask(client, VERSION_REQUEST, timeoutMs);
  const localDate = new Date();
  return mapOutcome(answer, ({ json, headers }) => {
    const info = (json ?? {}) as { gitVersion?: unknown; platform?: unknown };
    const date = typeof headers.date === 'string' ? new Date(headers.date) : undefined;
    return {
      ...(typeof info.gitVersion === 'string' && { gitVersion: info.gitVersion }),
      ...(typeof info.platform === 'string' && { platform: info.platform }),
      ...(date !== undefined && !Number.isNaN(date.getTime()) && { serverDate: date }),
      localDate,
    };
  });
}

/** SelfSubjectReview, v1 then the older versions on 404 (as kubectl auth whoami does). */
export async function askWhoAmI(client: ApiClient, timeoutMs: number): Promise<Outcome<UserInfo>> {
  let answer: Outcome<Answer> | undefined;
  for (const version of SELF_SUBJECT_REVIEW_VERSIONS) {
    answer = await ask(client, selfSubjectReviewRequest(version), timeoutMs);
    if (answer.ok || answer.failure.httpStatus !== 404) break;
  }
  return mapOutcome(answer as Outcome<Answer>, ({ json }) => typedUserInfo(reviewStatus<{ userInfo: unknown }>(json).userInfo));
}

async function askRules(client: ApiClient, namespace: string, timeoutMs: number): Promise<Outcome<RulesReview>> {
  return mapOutcome(await ask(client, rulesReviewRequest(namespace), timeoutMs), ({ json }) => {
    const status = reviewStatus<RulesReview>(json);
    return {
      resourceRules: status.resourceRules ?? [],
      nonResourceRules: status.nonResourceRules ?? [],
      incomplete: status.incomplete === true,
      ...(status.evaluationError && { evaluationError: status.evaluationError }),
    };
  });
}

/** The review question for our attributes, as kubectl fills it (empty strings for what is not set). */
function question(attributes: AccessAttributes): AccessQuestion {
  if (attributes.kind === 'nonResource') return { nonResourceAttributes: { path: attributes.path, verb: attributes.verb } };
  const { namespace = '', verb, group, resource, subresource = '', name = '' } = attributes;
  return { resourceAttributes: { namespace, verb, group, resource, subresource, name } };
}

async function askAccess(
  client: ApiClient,
  attributes: AccessAttributes,
  timeoutMs: number,
  details: Pick<AccessCheck, 'label' | 'namespaced' | 'warnings'>,
): Promise<AccessCheck> {
  const answer = await ask(client, accessReviewRequest(question(attributes)), timeoutMs);
  return {
    ...details,
    attributes,
    answer: mapOutcome(answer, ({ json }) => {
      const status = reviewStatus<AccessReviewStatus>(json);
      return {
        allowed: status.allowed === true,
        ...(status.reason && { reason: status.reason }),
        ...(status.evaluationError && { evaluationError: status.evaluationError }),
      };
    }),
  };
}

/** Discovery as kubectl reads it, only when a --can names a resource; a failure leaves every name unknown. */
async function discoveryFor(client: ApiClient, requests: readonly CanRequest[], timeoutMs: number): Promise<Discovery> {
  if (!requests.some((request) => request.query.kind === 'resource')) return EMPTY_DISCOVERY;
  const outcome = await timed(timeoutMs, 'discovery', () => discover(client, SILENT_LOG));
  return outcome.ok ? outcome.value : EMPTY_DISCOVERY;
}

/** The rules review; the --can access reviews; and, when the rules review is incomplete, access reviews instead. */
export async function askPermissions(
  client: ApiClient,
  namespace: string,
  canRequests: readonly CanRequest[],
  timeoutMs: number,
): Promise<AuthzFacts> {
  const rulesAnswer = askRules(client, namespace, timeoutMs);
  const canAnswers = discoveryFor(client, canRequests, timeoutMs).then((discovery) =>
    Promise.all(
      canRequests.map((request) => {
        const { attributes, ...details } = placeCan(request, discovery, namespace);
        return askAccess(client, attributes, timeoutMs, details);
      }),
    ),
  );
  const rules = await rulesAnswer;
  const incomplete = rules.ok && rules.value.incomplete;
  const ownReviews = (requests: AccessAttributes[]) =>
    Promise.all(requests.map((attributes) => askAccess(client, attributes, timeoutMs, { label: describeAttributes(attributes) })));
  const [can, fallback, exposure] = await Promise.all([
    canAnswers,
    incomplete ? ownReviews(commonAccessRequests(namespace)) : [],
    incomplete ? ownReviews(exposureCatalogue(namespace).flatMap((item) => item.requests)) : [],
  ]);
  return { namespace, rules, can, fallback, exposure };
}
