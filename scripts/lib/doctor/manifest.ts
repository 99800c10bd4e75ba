// The RBAC objects that would allow what an access review denied: a Role and RoleBinding in the
// namespace for namespaced resources, a ClusterRole and ClusterRoleBinding for cluster-scoped ones
// and non-resource URLs (a Role cannot grant those), bound to the identity the API server reported.
// The YAML is exactly what `kubectl apply -f -` takes (https://kubernetes.io/docs/reference/access-authn-authz/rbac/).

import { Document, isScalar, visit } from 'yaml';
import type { AccessAttributes } from './permissions.ts';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC_API_VERSION = `${RBAC_GROUP}/v1`;

export type RbacSubject =
  | { kind: 'ServiceAccount'; name: string; namespace: string }
  | { kind: 'User' | 'Group'; apiGroup: typeof RBAC_GROUP; name: string };

/** The subject for a username: a service account's "system:serviceaccount:NS:NAME", else a User. */
export function subjectFor(username: string): RbacSubject {
  const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  if (match) return { kind: 'ServiceAccount', name: match[2] ?? '', namespace: match[1] ?? '' };
  return { kind: 'User', apiGroup: RBAC_GROUP, name: username };
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/** Denied requests as rules: one per resource (and name), its verbs merged, in the order first asked. */
export function rulesFor(denied: readonly AccessAttributes[]): Rule[] {
  const rules = new Map<string, Rule>();
  for (const request of denied) {
    const key =
      request.kind === 'nonResource'
        ? `url ${request.path}`
        : `${request.group} ${request.resource}/${request.subresource ?? ''} ${request.name ?? ''}`;
    const rule =
      rules.get(key) ??
      (request.kind === 'nonResource'
        ? { nonResourceURLs: [request.path], verbs: [] }
        : {
            apiGroups: [request.group],
            resources: [request.subresource ? `${request.resource}/${request.subresource}` : request.resource],
            ...(request.name !== undefined && { resourceNames: [request.name] }),
            verbs: [],
          });
    if (!rule.verbs.includes(request.verb)) rule.verbs.push(request.verb);
    rules.set(key, rule);
  }
  return [...rules.values()];
}

/** An object name from the subject: RBAC names are path segments (no "/" or "%"). */
function objectName(subject: RbacSubject, clusterScoped: boolean): string {
  const base = subject.kind === 'ServiceAccount' && clusterScoped ? `${subject.namespace}-${subject.name}` : subject.name;
  return `${base.replace(/[/%]/g, '-')}-access`;
}

/** One YAML document as the RBAC docs write them: lists of plain values in flow style (verbs: [get, list]). */
function document(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, indentSeq: false, flowCollectionPadding: false });
}

export interface DeniedRequest {
  attributes: AccessAttributes;
  /** false for cluster-scoped resources and non-resource URLs; unknown scopes get a Role, as most resources are namespaced. */
  namespaced?: boolean;
}

/**
 * The YAML (documents separated by ---) granting `denied` to `subject`; namespaced requests in
 * `namespace`. Empty when nothing was denied.
 */
export function grantManifest(denied: readonly DeniedRequest[], subject: RbacSubject, namespace: string): string {
  const inNamespace = (request: DeniedRequest) => request.attributes.kind === 'resource' && request.namespaced !== false;
  const namespaced = denied.filter(inNamespace).map((request) => request.attributes);
  const clusterWide = denied.filter((request) => !inNamespace(request)).map((request) => request.attributes);
  const documents: string[] = [];
  const subjects = [subject];
  if (namespaced.length > 0) {
    const name = objectName(subject, false);
    documents.push(
      document({ apiVersion: RBAC_API_VERSION, kind: 'Role', metadata: { name, namespace }, rules: rulesFor(namespaced) }),
      document({
        apiVersion: RBAC_API_VERSION,
        kind: 'RoleBinding',
        metadata: { name, namespace },
        roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name },
        subjects,
      }),
    );
  }
  if (clusterWide.length > 0) {
    const name = objectName(subject, true);
    documents.push(
      document({ apiVersion: RBAC_API_VERSION, kind: 'ClusterRole', metadata: { name }, rules: rulesFor(clusterWide) }),
      document({
        apiVersion: RBAC_API_VERSION,
        kind: 'ClusterRoleBinding',
        metadata: { name },
        roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name },
        subjects,
      }),
    );
  }
  return documents.join('---\n');
}
