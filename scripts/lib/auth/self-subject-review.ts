// `kubectl auth whoami`'s question: a SelfSubjectReview, tried as authentication.k8s.io/v1, then
// v1beta1, then v1alpha1 while the server answers 404 (the API was alpha in 1.26, beta in 1.27, GA
// in 1.28: KEP-3325), and its answer in the shape kubectl prints it: the Go struct the response is
// decoded into (unknown fields dropped, empty ones omitted), kind and apiVersion set back.
//
// Source: kubernetes/kubectl v0.32 pkg/cmd/auth/whoami.go (Run, notEnabledErr, forbiddenErr);
// the types are k8s.io/api/authentication/v1 SelfSubjectReview, SelfSubjectReviewStatus, UserInfo.

import { EXIT, type ExitError, isExitError, type ExitCode } from '../errors.ts';
import type { ApiRequest, ApiResponse } from '../http.ts';
import { parseJson } from '../json.ts';
import { compareGoStrings } from './go-fmt.ts';

export const AUTHENTICATION_GROUP = 'authentication.k8s.io';
export const SELF_SUBJECT_REVIEW_VERSIONS = ['v1', 'v1beta1', 'v1alpha1'] as const;
export type SelfSubjectReviewVersion = (typeof SELF_SUBJECT_REVIEW_VERSIONS)[number];

/** authenticationv1.UserInfo. */
export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** authenticationv1.SelfSubjectReview as kubectl re-encodes it for -o json / -o yaml. */
export interface SelfSubjectReview {
  kind: 'SelfSubjectReview';
  apiVersion: string;
  metadata: Record<string, unknown>;
  status: { userInfo: UserInfo };
}

/** whoami.go forbiddenErr and notEnabledErr, word for word. */
export const FORBIDDEN_MESSAGE = 'the selfsubjectreviews API is not enabled in the cluster or you do not have permission to call it';
export const NOT_ENABLED_MESSAGE =
  'the selfsubjectreviews API is not enabled in the cluster\n' +
  'enable APISelfSubjectReview feature gate and authentication.k8s.io/v1alpha1 or authentication.k8s.io/v1beta1 API';

/** The review could not be had: refused (403) or not served (404); kubectl's message, and the cause. */
export class SelfSubjectReviewUnavailable extends Error {
  readonly exitCode: ExitCode;
  /** The 403 or 404 as the client reported it (our own one-line explanation of the status). */
  readonly refusal: ExitError;

  constructor(refusal: ExitError) {
    const forbidden = refusal.exitCode === EXIT.FORBIDDEN;
    super(forbidden ? FORBIDDEN_MESSAGE : NOT_ENABLED_MESSAGE);
    this.name = 'SelfSubjectReviewUnavailable';
    this.exitCode = forbidden ? EXIT.FORBIDDEN : EXIT.NOT_FOUND;
    this.refusal = refusal;
  }
}

/** POST …/selfsubjectreviews with the empty review kubectl creates (&SelfSubjectReview{}), as Go's JSON writes it. */
export function selfSubjectReviewRequest(version: SelfSubjectReviewVersion): ApiRequest {
  const body = {
    kind: 'SelfSubjectReview',
    apiVersion: `${AUTHENTICATION_GROUP}/${version}`,
    metadata: { creationTimestamp: null },
    status: { userInfo: {} },
  };
  return { method: 'POST', path: `/apis/${AUTHENTICATION_GROUP}/${version}/selfsubjectreviews`, body: JSON.stringify(body) };
}

const isStatus = (err: unknown, code: ExitCode): err is ExitError => isExitError(err) && err.exitCode === code;

/**
 * WhoAmIOptions.Run: v1, and on 404 v1beta1, then v1alpha1. A final 403 or 404 is a
 * SelfSubjectReviewUnavailable; any other failure is thrown as it came.
 */
export async function createSelfSubjectReview(send: (request: ApiRequest) => Promise<ApiResponse>): Promise<SelfSubjectReview> {
  let notFound: ExitError | undefined;
  for (const version of SELF_SUBJECT_REVIEW_VERSIONS) {
    try {
      const response = await send(selfSubjectReviewRequest(version));
      return typedSelfSubjectReview(parseJson(response.body), version);
    } catch (err) {
      if (isStatus(err, EXIT.FORBIDDEN)) throw new SelfSubjectReviewUnavailable(err);
      if (!isStatus(err, EXIT.NOT_FOUND)) throw err;
      notFound = err;
    }
  }
  throw new SelfSubjectReviewUnavailable(notFound as ExitError);
}

/** metav1.ObjectMeta's JSON fields in struct order (creationTimestamp is never omitted: a zero Time is null). */
const OBJECT_META_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
] as const;

/** Go's omitempty: "", 0, false, null, and empty lists and maps are left out. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value as object).length === 0;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/** The UserInfo struct: its four fields in order, each only when non-empty. */
export function typedUserInfo(value: unknown): UserInfo {
  const raw = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const userInfo: UserInfo = {};
  if (typeof raw.username === 'string' && raw.username !== '') userInfo.username = raw.username;
  if (typeof raw.uid === 'string' && raw.uid !== '') userInfo.uid = raw.uid;
  const groups = strings(raw.groups);
  if (groups.length > 0) userInfo.groups = groups;
  // encoding/json writes a map's keys in byte order.
  const extraEntries = Object.entries(typeof raw.extra === 'object' && raw.extra !== null ? raw.extra : {}).sort(([a], [b]) =>
    compareGoStrings(a, b),
  );
  if (extraEntries.length > 0) userInfo.extra = Object.fromEntries(extraEntries.map(([key, list]) => [key, strings(list)]));
  return userInfo;
}

/** The response decoded into authenticationv1.SelfSubjectReview and given back its kind and apiVersion. */
export function typedSelfSubjectReview(body: unknown, version: SelfSubjectReviewVersion): SelfSubjectReview {
  const raw = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const rawMeta = typeof raw.metadata === 'object' && raw.metadata !== null ? (raw.metadata as Record<string, unknown>) : {};
  const metadata: Record<string, unknown> = {};
  for (const field of OBJECT_META_FIELDS) {
    if (field === 'creationTimestamp') metadata[field] = rawMeta[field] ?? null;
    else if (!isEmpty(rawMeta[field])) metadata[field] = rawMeta[field];
  }
  const status = typeof raw.status === 'object' && raw.status !== null ? (raw.status as Record<string, unknown>) : {};
  return {
    kind: 'SelfSubjectReview',
    apiVersion: `${AUTHENTICATION_GROUP}/${version}`,
    metadata,
    status: { userInfo: typedUserInfo(status.userInfo) },
  };
}
