// How `kubectl auth can-i --list` turns a SelfSubjectRulesReview into its table, as pure functions:
// every rule broken down to one verb, resource and name, the resource ones merged back per
// (group, resource, name) with their verbs, all sorted by PolicyRule.String(), and printed as
// RESOURCE.GROUP[/SUBRESOURCE], [urls], [names], [verbs].
//
// Sources (kubernetes/kubectl v0.32, the staging copy of k8s.io/kubectl in kubernetes/kubernetes):
//   pkg/util/rbac/rbac.go         BreakdownRule, CompactRules, isSimpleResourceRule, SortableRuleSlice
//   pkg/describe/describe.go      CombineResourceGroup
//   pkg/cmd/auth/cani.go          convertToPolicyRule, printStatus, printAccessHeaders, printAccess
// and kubernetes/api rbac/v1/generated.pb.go (PolicyRule.String, the sort key).
// Two consequences kubectl users see and this keeps: rows sort by their verbs first (so "[*]"
// rows lead and "[get]" rows trail), and non-resource rules are never merged, so a URL granted
// by two roles is listed twice.

import { compareGoStrings, goStringSlice, tabulate } from './go-fmt.ts';

/** rbacv1.PolicyRule; an absent list is Go's nil slice. */
export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** authorizationv1.SubjectRulesReviewStatus, as the server sends it. */
export interface SubjectRulesReviewStatus {
  resourceRules?: { verbs?: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[] | null;
  nonResourceRules?: { verbs?: string[]; nonResourceURLs?: string[] }[] | null;
  incomplete?: boolean;
  evaluationError?: string;
}

/** cani.go convertToPolicyRule: resource rules first, then non-resource rules. */
export function convertToPolicyRules(status: SubjectRulesReviewStatus): PolicyRule[] {
  return [
    ...(status.resourceRules ?? []).map((rule) => ({
      verbs: rule.verbs,
      apiGroups: rule.apiGroups,
      resources: rule.resources,
      resourceNames: rule.resourceNames,
    })),
    ...(status.nonResourceRules ?? []).map((rule) => ({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs })),
  ];
}

/**
 * BreakdownRule: one rule per group × resource × verb (× name), then one per URL × verb.
 * A resource rule without apiGroups yields nothing, as in Go.
 */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const subrules: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs ?? []) {
        const base = { apiGroups: [group], resources: [resource], verbs: [verb] };
        if ((rule.resourceNames ?? []).length > 0) {
          for (const name of rule.resourceNames ?? []) subrules.push({ ...base, resourceNames: [name] });
        } else {
          subrules.push(base);
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs ?? []) subrules.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return subrules;
}

/**
 * isSimpleResourceRule: one group, one resource, at most one name and no URL; the key it is
 * merged under (Go's simpleResource struct), or undefined for a rule that is kept as it is.
 */
function simpleResourceKey(rule: PolicyRule): string | undefined {
  const names = rule.resourceNames ?? [];
  if (names.length > 1 || (rule.nonResourceURLs ?? []).length > 0) return undefined;
  if (rule.apiGroups?.length !== 1 || rule.resources?.length !== 1) return undefined;
  return JSON.stringify([rule.apiGroups[0], rule.resources[0], names.length > 0, names[0] ?? '']);
}

/**
 * CompactRules: simple resource rules that differ only by verb become one rule with the verbs in
 * the order first seen; the others are kept, ahead of the merged ones. (Go appends the merged
 * rules in map order; the stable sort that always follows makes that order invisible, since two
 * merged rules never print alike.)
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const compacted: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule & { verbs: string[] }>();
  for (const rule of rules) {
    const key = simpleResourceKey(rule);
    if (key === undefined) {
      compacted.push(rule);
      continue;
    }
    const existing = simple.get(key);
    if (existing === undefined) {
      simple.set(key, { ...rule, verbs: [...(rule.verbs ?? [])] });
      continue;
    }
    const verbs = existing.verbs;
    // Go checks against the verbs as they were before this rule (existingVerbs), not as they grow.
    const before = new Set(verbs);
    for (const verb of rule.verbs ?? []) if (!before.has(verb)) verbs.push(verb);
  }
  return [...compacted, ...simple.values()];
}

/** rbacv1 PolicyRule.String() (gogo-protobuf): the key kubectl sorts the rows by. */
export function policyRuleString(rule: PolicyRule): string {
  return (
    `&PolicyRule{Verbs:${goStringSlice(rule.verbs)},APIGroups:${goStringSlice(rule.apiGroups)},` +
    `Resources:${goStringSlice(rule.resources)},ResourceNames:${goStringSlice(rule.resourceNames)},` +
    `NonResourceURLs:${goStringSlice(rule.nonResourceURLs)},}`
  );
}

/** sort.Stable(SortableRuleSlice(rules)): by String(), byte order; equal keys keep their order. */
export function sortRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const keyed = rules.map((rule) => ({ rule, key: policyRuleString(rule) }));
  // Array.prototype.sort is stable (ES2019), as sort.Stable is.
  return keyed.sort((a, b) => compareGoStrings(a.key, b.key)).map(({ rule }) => rule);
}

/** describe.CombineResourceGroup: "deployments.apps/scale" from ["deployments/scale"], ["apps"]. */
export function combineResourceGroup(resources: readonly string[] | undefined, groups: readonly string[] | undefined): string {
  const first = resources?.[0];
  if (first === undefined) return '';
  const slash = first.indexOf('/');
  const [resource, subresource] = slash === -1 ? [first, undefined] : [first.slice(0, slash), first.slice(slash + 1)];
  const group = groups?.[0];
  return `${resource}${group ? `.${group}` : ''}${subresource === undefined ? '' : `/${subresource}`}`;
}

/** The rules of a review as kubectl prints them: broken down, compacted, sorted. */
export function rulesForDisplay(status: SubjectRulesReviewStatus): PolicyRule[] {
  return sortRules(compactRules(convertToPolicyRules(status).flatMap(breakdownRule)));
}

export const RULES_TABLE_HEADER = ['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs'] as const;

/** printAccessHeaders + printAccess through kubectl's tabwriter. */
export function rulesTable(rules: readonly PolicyRule[], options: { headers: boolean }): string {
  const rows = rules.map((rule) => [
    combineResourceGroup(rule.resources, rule.apiGroups),
    goStringSlice(rule.nonResourceURLs),
    goStringSlice(rule.resourceNames),
    goStringSlice(rule.verbs),
  ]);
  return tabulate(options.headers ? [[...RULES_TABLE_HEADER], ...rows] : rows);
}
