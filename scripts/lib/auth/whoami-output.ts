// How `kubectl auth whoami` prints a SelfSubjectReview: the ATTRIBUTE/VALUE table by default,
// or the object with -o json / -o yaml.
//
// Sources: kubernetes/kubectl v0.32 pkg/cmd/auth/whoami.go (printTableSelfSubjectAccessReview:
// Username, UID, Groups as %v, then "Extra: KEY" per key in sorted order, each row only when set);
// kubernetes/cli-runtime v0.32 pkg/printers/json.go (json.MarshalIndent with four spaces, then a
// newline) and yaml.go (sigs.k8s.io/yaml, ported in get/go-yaml.ts).

import { goYaml } from '../get/go-yaml.ts';
import { prettyJson } from '../output.ts';
import { compareGoStrings, goStringSlice, tabulate } from './go-fmt.ts';
import type { SelfSubjectReview, UserInfo } from './self-subject-review.ts';

export const WHOAMI_FORMATS = ['json', 'yaml'] as const;
export type WhoamiFormat = 'table' | (typeof WHOAMI_FORMATS)[number];

/** printTableSelfSubjectAccessReview. */
export function whoamiTable(userInfo: UserInfo): string {
  const rows: string[][] = [['ATTRIBUTE', 'VALUE']];
  if (userInfo.username) rows.push(['Username', userInfo.username]);
  if (userInfo.uid) rows.push(['UID', userInfo.uid]);
  if ((userInfo.groups ?? []).length > 0) rows.push(['Groups', goStringSlice(userInfo.groups)]);
  const keys = Object.keys(userInfo.extra ?? {}).sort(compareGoStrings);
  for (const key of keys) rows.push([`Extra: ${key}`, goStringSlice(userInfo.extra?.[key])]);
  return tabulate(rows);
}

/**
 * json.MarshalIndent(obj, "", "    ") + "\n". prettyJson writes Go's escapes with a two-space
 * indent; doubling each line's leading spaces gives four (a JSON string never holds a raw newline,
 * so every leading space is indentation).
 */
export function marshalIndent(value: unknown): string {
  return `${prettyJson(value).replace(/^ +/gm, (indent) => indent + indent)}\n`;
}

/** The review as kubectl prints it in `format`. */
export function formatSelfSubjectReview(review: SelfSubjectReview, format: WhoamiFormat): string {
  if (format === 'json') return marshalIndent(review);
  if (format === 'yaml') return goYaml(review);
  return whoamiTable(review.status.userInfo);
}
