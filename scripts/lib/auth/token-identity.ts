// Who a service-account token says it is, decoded locally: the user kube-apiserver would make of
// it if it accepted it. This is whoami.ts's fallback when the server will not answer a
// SelfSubjectReview; nothing here is verified (no signature, expiry or binding check), and the
// script says so.
//
// Sources (kubernetes/kubernetes v1.32):
//   pkg/serviceaccount/claims.go         validator.Validate: namespace, service account name and
//                                        uid, pod and node refs, CredentialIDForJTI ("JTI=" + jti)
//   pkg/serviceaccount/legacy.go         legacyValidator.Validate: namespace, name and uid only
//   staging/src/k8s.io/apiserver/pkg/authentication/serviceaccount/util.go
//                                        MakeUsername, MakeGroupNames, ServiceAccountInfo.UserInfo
//                                        (pod extras only with both name and uid, node-uid only with
//                                        node-name)
//   staging/src/k8s.io/apiserver/pkg/authentication/group/authenticated_group_adder.go
//                                        system:authenticated added to every authenticated user

import { decodeJwt, describeServiceAccountToken, JwtFormatError, type ServiceAccountTokenInfo } from '../token.ts';
import type { UserInfo } from './self-subject-review.ts';

const EXTRA = 'authentication.kubernetes.io';
const AUTHENTICATED_GROUP = 'system:authenticated';

export type TokenIdentity = { userInfo: UserInfo; token: ServiceAccountTokenInfo } | { problem: string };

/** ServiceAccountInfo.UserInfo() plus the authenticated group, from what the token claims. */
export function serviceAccountUserInfo(token: ServiceAccountTokenInfo): UserInfo | undefined {
  const namespace = token.namespace;
  const name = token.serviceAccount?.name;
  if (namespace === undefined || name === undefined) return undefined;
  const userInfo: UserInfo = {
    username: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, AUTHENTICATED_GROUP],
  };
  if (token.serviceAccount?.uid) userInfo.uid = token.serviceAccount.uid;
  if (token.kind !== 'bound') return userInfo;
  const extra: Record<string, string[]> = {};
  if (token.pod?.name && token.pod.uid) {
    extra[`${EXTRA}/pod-name`] = [token.pod.name];
    extra[`${EXTRA}/pod-uid`] = [token.pod.uid];
  }
  if (token.jti) extra[`${EXTRA}/credential-id`] = [`JTI=${token.jti}`];
  if (token.node?.name) {
    extra[`${EXTRA}/node-name`] = [token.node.name];
    if (token.node.uid) extra[`${EXTRA}/node-uid`] = [token.node.uid];
  }
  if (Object.keys(extra).length > 0) userInfo.extra = extra;
  return userInfo;
}

/** Decode `token` (never printed) into the user it claims to be, or say why it cannot be. */
export function tokenIdentity(token: string, now: Date): TokenIdentity {
  let info: ServiceAccountTokenInfo;
  try {
    info = describeServiceAccountToken(decodeJwt(token), now);
  } catch (err) {
    if (!(err instanceof JwtFormatError)) throw err;
    return { problem: `the token is not a JWT (${err.message}), so it says nothing about who it is` };
  }
  const userInfo = info.kind === 'other' ? undefined : serviceAccountUserInfo(info);
  if (userInfo === undefined) {
    return {
      problem: 'the token is a JWT but not a Kubernetes service-account token: how the server maps its claims is its own configuration',
    };
  }
  return { userInfo, token: info };
}
