// What a token may do, as pure functions over RBAC rules: the rule matching of kube-apiserver's RBAC
// authorizer, used on the rules a SelfSubjectRulesReview lists; the permissions an attacker who
// steals the token would want (the exposure check); the common verbs asked one by one when the rules
// review is incomplete.
//
// Sources (kubernetes/kubernetes):
//   plugin/pkg/auth/authorizer/rbac/rbac.go   RuleAllows: verbs, then API groups, resources
//                                             (with "*/subresource"), resource names; non-resource URLs
//   pkg/apis/rbac/v1/evaluation_helpers.go    VerbMatches, APIGroupMatches, ResourceMatches,
//                                             ResourceNameMatches, NonResourceURLMatches ("/apis/*" prefixes)
// Rules are additive, so a rule a review lists can be trusted even when the review is incomplete
// (authorization.k8s.io/v1 SubjectRulesReviewStatus); a missing one proves nothing.

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

/** The attributes of one request, as a SelfSubjectAccessReview spec carries them. */
export type AccessAttributes =
  | { kind: 'resource'; verb: string; group: string; resource: string; subresource?: string; name?: string; namespace?: string }
  | { kind: 'nonResource'; verb: string; path: string };

const ALL = '*';

function verbMatches(rule: { verbs: string[] }, verb: string): boolean {
  return rule.verbs.some((ruleVerb) => ruleVerb === ALL || ruleVerb === verb);
}

function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((ruleGroup) => ruleGroup === ALL || ruleGroup === group);
}

function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some(
    (ruleResource) =>
      ruleResource === ALL || ruleResource === combined || (subresource !== undefined && ruleResource === `*/${subresource}`),
  );
}

function resourceNameMatches(rule: PolicyRule, name: string | undefined): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (name !== undefined && names.includes(name));
}

function nonResourceUrlMatches(rule: NonResourceRule, path: string): boolean {
  return rule.nonResourceURLs.some(
    (url) => url === ALL || url === path || (url.endsWith(ALL) && path.startsWith(url.slice(0, -ALL.length))),
  );
}

/** Whether any of the rules allows the request (RBAC's RuleAllows over a rule list). */
export function rulesAllow(
  rules: { resourceRules: readonly PolicyRule[]; nonResourceRules: readonly NonResourceRule[] },
  attributes: AccessAttributes,
): boolean {
  if (attributes.kind === 'nonResource') {
    return rules.nonResourceRules.some((rule) => verbMatches(rule, attributes.verb) && nonResourceUrlMatches(rule, attributes.path));
  }
  return rules.resourceRules.some(
    (rule) =>
      verbMatches(rule, attributes.verb) &&
      apiGroupMatches(rule, attributes.group) &&
      resourceMatches(rule, attributes.resource, attributes.subresource) &&
      resourceNameMatches(rule, attributes.name),
  );
}

/** "list nodes", "get deployments.apps/web", "create pods/exec", "get /metrics": how kubectl auth can-i names a request. */
export function describeAttributes(attributes: AccessAttributes): string {
  if (attributes.kind === 'nonResource') return `${attributes.verb} ${attributes.path}`;
  const resource = attributes.group === '' ? attributes.resource : `${attributes.resource}.${attributes.group}`;
  const sub = attributes.subresource ? `/${attributes.subresource}` : '';
  const name = attributes.name ? ` ${attributes.name}` : '';
  return `${attributes.verb} ${resource}${sub}${name}`;
}

// ---------------------------------------------------------------------------
// Exposure: what this token gives whoever steals it (a compromised program, a shell in the pod).

export interface ExposureItem {
  /** What it lets an attacker do, in words. */
  risk: string;
  /** Any one of these being allowed is the exposure. */
  requests: AccessAttributes[];
}

const resourceRequest = (verb: string, group: string, resource: string, namespace: string | undefined, subresource?: string) =>
  ({
    kind: 'resource',
    verb,
    group,
    resource,
    ...(subresource !== undefined && { subresource }),
    ...(namespace !== undefined && { namespace }),
  }) as const satisfies AccessAttributes;

/**
 * The permissions that turn a stolen token into more: reading Secrets (other credentials), running
 * code (creating pods or their controllers, exec/attach), acting as someone else (impersonation,
 * minting tokens) and granting itself more (escalate/bind), and "*" on everything.
 */
export function exposureCatalogue(namespace: string): ExposureItem[] {
  const read = (resource: string) => ['get', 'list', 'watch'].map((verb) => resourceRequest(verb, '', resource, namespace));
  return [
    { risk: 'do anything (* on *)', requests: [{ kind: 'resource', verb: ALL, group: ALL, resource: ALL, namespace }] },
    { risk: 'read secrets', requests: read('secrets') },
    {
      risk: 'create pods (run any image, mount any secret and service account of the namespace)',
      requests: [
        resourceRequest('create', '', 'pods', namespace),
        resourceRequest('create', 'apps', 'deployments', namespace),
        resourceRequest('create', 'apps', 'daemonsets', namespace),
        resourceRequest('create', 'apps', 'statefulsets', namespace),
        resourceRequest('create', 'batch', 'jobs', namespace),
        resourceRequest('create', 'batch', 'cronjobs', namespace),
      ],
    },
    {
      risk: 'exec or attach into pods',
      requests: [resourceRequest('create', '', 'pods', namespace, 'exec'), resourceRequest('create', '', 'pods', namespace, 'attach')],
    },
    {
      risk: 'impersonate users, groups or service accounts',
      requests: ['users', 'groups', 'serviceaccounts'].map((resource) => resourceRequest('impersonate', '', resource, undefined)),
    },
    {
      risk: 'mint tokens for other service accounts',
      requests: [resourceRequest('create', '', 'serviceaccounts', namespace, 'token')],
    },
    {
      risk: 'escalate or bind roles (grant itself more)',
      requests: ['escalate', 'bind'].flatMap((verb) => [
        resourceRequest(verb, 'rbac.authorization.k8s.io', 'roles', namespace),
        resourceRequest(verb, 'rbac.authorization.k8s.io', 'clusterroles', undefined),
      ]),
    },
  ];
}

/** The catalogue entries the rules allow, each with the requests that are allowed. */
export function exposuresFromRules(
  rules: { resourceRules: readonly PolicyRule[]; nonResourceRules: readonly NonResourceRule[] },
  catalogue: readonly ExposureItem[],
): { risk: string; allowed: AccessAttributes[] }[] {
  return catalogue
    .map((item) => ({ risk: item.risk, allowed: item.requests.filter((request) => rulesAllow(rules, request)) }))
    .filter((item) => item.allowed.length > 0);
}

// ---------------------------------------------------------------------------
// When the rules review is incomplete (a webhook or Node authorizer cannot list rules), ask instead.

const COMMON_VERBS = ['get', 'list', 'watch', 'create', 'update', 'delete'] as const;
const COMMON_RESOURCES = [
  { group: '', resource: 'pods' },
  { group: '', resource: 'services' },
  { group: '', resource: 'configmaps' },
  { group: 'apps', resource: 'deployments' },
] as const;

/** The common verbs on the common resources of a namespace, one access review each. */
export function commonAccessRequests(namespace: string): AccessAttributes[] {
  return COMMON_RESOURCES.flatMap(({ group, resource }) => COMMON_VERBS.map((verb) => resourceRequest(verb, group, resource, namespace)));
}

/** "pods: get, list; deployments.apps: get": the allowed requests grouped by resource. */
export function summariseAllowed(allowed: readonly AccessAttributes[]): string {
  const byResource = new Map<string, string[]>();
  for (const request of allowed) {
    const key =
      request.kind === 'nonResource'
        ? request.path
        : `${request.group === '' ? request.resource : `${request.resource}.${request.group}`}${request.subresource ? `/${request.subresource}` : ''}`;
    byResource.set(key, [...(byResource.get(key) ?? []), request.verb]);
  }
  return [...byResource].map(([resource, verbs]) => `${resource}: ${verbs.join(', ')}`).join('; ');
}
