// Object and namespace names, checked before they go into a URL path.
//
// kube-apiserver only stores objects whose names pass these rules, so a name that fails them can
// only be a typo: it is a usage error here, in apimachinery's own words
// (k8s.io/apimachinery/pkg/util/validation: IsDNS1123Subdomain, IsDNS1123Label), instead of a
// request that ends in a puzzling 404. kubectl get sends such names as they are; kubectl create
// gets these same words back from the server.

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const DNS1123_LABEL_MAX_LENGTH = 63;
const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const LABEL_PATTERN = new RegExp(`^${DNS1123_LABEL}$`);
const SUBDOMAIN_PATTERN = new RegExp(`^${DNS1123_SUBDOMAIN}$`);
/** Longer names are cut in messages: a 300-character typo would drown the rule. */
const SHOWN_NAME_LENGTH = 64;

const LABEL_RULE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an " +
  `alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '${DNS1123_LABEL}'), at most ${DNS1123_LABEL_MAX_LENGTH} characters`;
const SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an " +
  `alphanumeric character (e.g. 'example.com', regex used for validation is '${DNS1123_SUBDOMAIN}'), at most ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters`;

/** Why `value` is not a DNS-1123 label (a namespace), or undefined when it is one. */
export function dnsLabelProblem(value: string): string | undefined {
  const valid = value.length <= DNS1123_LABEL_MAX_LENGTH && LABEL_PATTERN.test(value);
  return valid ? undefined : LABEL_RULE;
}

/** Why `value` is not a DNS-1123 subdomain (most object names), or undefined when it is one. */
export function dnsSubdomainProblem(value: string): string | undefined {
  const valid = value.length <= DNS1123_SUBDOMAIN_MAX_LENGTH && SUBDOMAIN_PATTERN.test(value);
  return valid ? undefined : SUBDOMAIN_RULE;
}

/** A name for a one-line message: JSON-quoted (so a newline or blank shows) and cut short when long. */
export function quoteName(value: string): string {
  if (value.length <= SHOWN_NAME_LENGTH) return JSON.stringify(value);
  return `${JSON.stringify(`${value.slice(0, SHOWN_NAME_LENGTH)}…`)} (${value.length} characters)`;
}
