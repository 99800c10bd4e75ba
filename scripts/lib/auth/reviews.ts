// The two authorization reviews `kubectl auth can-i` creates, and how it reads their answers.
//
// Bodies: what client-go sends for the objects kubectl builds in pkg/cmd/auth/cani.go
// (RunAccessCheck, RunAccessList), written as Go's encoding/json writes them for the
// k8s.io/api/authorization/v1 types: struct field order, omitempty fields left out when empty,
// the zero ObjectMeta as {"creationTimestamp":null}, and the zero status the struct carries.
// (kubectl itself sends them as protobuf; the server reads the same object either way.)
// The answer: cani.go prints "yes", or "no" then " - reason" and " - evaluationError" when present.

import { ExitError, isExitError } from '../errors.ts';
import type { ApiRequest, ApiResponse } from '../http.ts';
import type { SubjectRulesReviewStatus } from './policy-rules.ts';

const AUTHORIZATION_V1 = 'authorization.k8s.io/v1';
export const ACCESS_REVIEW_PATH = `/apis/${AUTHORIZATION_V1}/selfsubjectaccessreviews`;
export const RULES_REVIEW_PATH = `/apis/${AUTHORIZATION_V1}/selfsubjectrulesreviews`;

/** authorizationv1.ResourceAttributes as kubectl fills it (it never sets version or selectors). */
export interface ResourceAttributes {
  namespace: string;
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  name: string;
}

/** authorizationv1.NonResourceAttributes. */
export interface NonResourceAttributes {
  path: string;
  verb: string;
}

export type AccessQuestion = { resourceAttributes: ResourceAttributes } | { nonResourceAttributes: NonResourceAttributes };

/** The fields of `value` that Go's omitempty keeps (non-empty strings), in the order given. */
function omitEmpty(value: object): Record<string, string> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== ''));
}

/** POST selfsubjectaccessreviews with kubectl's SelfSubjectAccessReview. */
export function accessReviewRequest(question: AccessQuestion): ApiRequest {
  const spec =
    'resourceAttributes' in question
      ? {
          resourceAttributes: omitEmpty({
            namespace: question.resourceAttributes.namespace,
            verb: question.resourceAttributes.verb,
            group: question.resourceAttributes.group,
            resource: question.resourceAttributes.resource,
            subresource: question.resourceAttributes.subresource,
            name: question.resourceAttributes.name,
          }),
        }
      : { nonResourceAttributes: omitEmpty({ path: question.nonResourceAttributes.path, verb: question.nonResourceAttributes.verb }) };
  const body = {
    kind: 'SelfSubjectAccessReview',
    apiVersion: AUTHORIZATION_V1,
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed: false },
  };
  return { method: 'POST', path: ACCESS_REVIEW_PATH, body: JSON.stringify(body) };
}

/** POST selfsubjectrulesreviews with kubectl's SelfSubjectRulesReview for `namespace`. */
export function rulesReviewRequest(namespace: string): ApiRequest {
  const body = {
    kind: 'SelfSubjectRulesReview',
    apiVersion: AUTHORIZATION_V1,
    metadata: { creationTimestamp: null },
    spec: omitEmpty({ namespace }),
    // SubjectRulesReviewStatus has no omitempty on its lists or on incomplete: nil lists are null.
    status: { resourceRules: null, nonResourceRules: null, incomplete: false },
  };
  return { method: 'POST', path: RULES_REVIEW_PATH, body: JSON.stringify(body) };
}

/** authorizationv1.SubjectAccessReviewStatus. */
export interface AccessReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

/** The status of a review the server answered (a missing one is the zero status). */
export function reviewStatus<S extends object>(review: unknown): Partial<S> {
  const status = (review as { status?: unknown } | null)?.status;
  return typeof status === 'object' && status !== null ? (status as Partial<S>) : {};
}

/** RunAccessCheck's line: "yes", or "no" with " - reason" and " - evaluationError" when the server gave them. */
export function accessAnswer(status: AccessReviewStatus): string {
  if (status.allowed === true) return 'yes\n';
  const reason = status.reason ? ` - ${status.reason}` : '';
  const evaluationError = status.evaluationError ? ` - ${status.evaluationError}` : '';
  return `no${reason}${evaluationError}\n`;
}

/** printStatus's warning, printed before the rules when the server says the list may be incomplete. */
export function incompleteWarning(status: SubjectRulesReviewStatus): string | undefined {
  return status.incomplete === true ? `the list may be incomplete: ${status.evaluationError ?? ''}` : undefined;
}

/**
 * Send a review and read its answer. An API error is reported as kubectl reports it, on stderr
 * only: stdout stays kubectl's answer, so the Status body the other scripts print is left out.
 */
export async function sendReview(client: { send(request: ApiRequest): Promise<ApiResponse> }, request: ApiRequest): Promise<ApiResponse> {
  try {
    return await client.send(request);
  } catch (err) {
    if (!isExitError(err) || err.stdout === undefined) throw err;
    throw new ExitError(err.exitCode, err.message, { cause: err.cause });
  }
}
