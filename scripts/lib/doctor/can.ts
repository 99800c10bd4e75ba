// --can "VERB RESOURCE[/NAME]": what the program needs, written and understood exactly as
// `kubectl auth can-i VERB RESOURCE[/NAME]` (can-i.ts) understands it: the same argument rules
// (auth/can-i-query.ts), the same RESTMapper over discovery for short and singular names and
// resource.group (discovery.ts), the same SelfSubjectAccessReview. Pure: discovery is fetched by
// api-probes.ts. What is added here is the scope, which decides between a Role and a ClusterRole.

import { canIQuery, nonResourceQuestion, resolveResource, resourceQuestion, type CanIQuery } from '../auth/can-i-query.ts';
import { namespacedIn, RestMapper, type Discovery } from '../discovery.ts';
import { isExitError, usageError } from '../errors.ts';
import type { AccessAttributes } from './permissions.ts';

export interface CanRequest {
  /** As the user wrote it, words separated by one space: "list nodes". */
  label: string;
  query: Exclude<CanIQuery, { kind: 'list' }>;
}

const ONE_QUESTION = { list: false, quiet: false, allNamespaces: false, noHeaders: false, subresource: '' };

/** One --can value; a malformed one is a usage error in kubectl's words. */
export function parseCan(spec: string): CanRequest {
  const words = spec
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  try {
    const query = canIQuery(words, ONE_QUESTION);
    if (query.kind === 'list') throw usageError('--list is not a question');
    return { label: words.join(' '), query };
  } catch (err) {
    if (isExitError(err)) throw usageError(`--can ${JSON.stringify(spec)}: ${err.message}`);
    throw err;
  }
}

export interface PlacedRequest {
  label: string;
  attributes: AccessAttributes;
  /** false: a cluster-scoped resource or a non-resource URL (a ClusterRole grants it); undefined: discovery does not say. */
  namespaced?: boolean;
  /** kubectl's warnings about the question ("the server doesn't have a resource type …"). */
  warnings: string[];
}

/** The access review kubectl would send for `request` in `namespace`, and the resource's scope. */
export function placeCan(request: CanRequest, discovery: Discovery, namespace: string): PlacedRequest {
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message.trim());
  const { query } = request;
  if (query.kind === 'nonResource') {
    const question = nonResourceQuestion(query, warn);
    const { path, verb } = 'nonResourceAttributes' in question ? question.nonResourceAttributes : { path: query.path, verb: query.verb };
    return { label: request.label, attributes: { kind: 'nonResource', verb, path }, namespaced: false, warnings };
  }
  const resolved = resolveResource(new RestMapper(discovery, warn), query.resourceArg, warn);
  const question = resourceQuestion(query, resolved, { namespace, allNamespaces: false, discovery, warn });
  if (!('resourceAttributes' in question)) throw new Error('doctor: a resource question without resource attributes');
  const { verb, group, resource, subresource, name } = question.resourceAttributes;
  const namespaced = namespacedIn(discovery, resolved);
  return {
    label: request.label,
    // As kubectl sends it: the namespace always, even for a cluster-scoped resource.
    attributes: {
      kind: 'resource',
      verb,
      group,
      resource,
      namespace,
      ...(subresource !== '' && { subresource }),
      ...(name !== '' && { name }),
    },
    ...(namespaced !== undefined && { namespaced }),
    warnings,
  };
}
