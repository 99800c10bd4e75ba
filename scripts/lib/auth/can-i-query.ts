// The question `kubectl auth can-i` asks, built from its arguments as kubectl builds it, as pure
// functions: which form (one action on a resource, one on a non-resource URL, or --list), which
// combinations of flags it refuses, which resource a name means, and the warnings it prints.
//
// Source: kubernetes/kubectl v0.32 pkg/cmd/auth/cani.go (Complete, Validate, resourceFor,
// isNamespaced, resourceVerbs, nonResourceURLVerbs, nonStandardResourceNames).
// Its refusals are usage errors here (exit 2, where kubectl exits 1), in kubectl's words.

import { usageError } from '../errors.ts';
import { namespacedIn, parseResourceArg, type Discovery, type GroupVersionResource, type RestMapper } from '../discovery.ts';
import type { AccessQuestion } from './reviews.ts';

/** cani.go resourceVerbs. */
export const RESOURCE_VERBS: ReadonlySet<string> = new Set([
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'use',
  'bind',
  'impersonate',
  '*',
  'approve',
  'sign',
  'escalate',
  'attest',
]);
/** cani.go nonResourceURLVerbs. */
export const NON_RESOURCE_URL_VERBS: ReadonlySet<string> = new Set(['get', 'put', 'post', 'head', 'options', 'delete', 'patch', '*']);
/** cani.go nonStandardResourceNames: served, but never in discovery (impersonate users and groups). */
const NON_STANDARD_RESOURCE_NAMES: ReadonlySet<string> = new Set(['users', 'groups']);

export interface CanIFlags {
  list: boolean;
  quiet: boolean;
  allNamespaces: boolean;
  noHeaders: boolean;
  subresource: string;
}

export type CanIQuery =
  | { kind: 'list'; headers: boolean }
  | { kind: 'nonResource'; verb: string; path: string }
  | { kind: 'resource'; verb: string; resourceArg: string; name: string; subresource: string };

/** Complete + Validate: the query, or a usage error in kubectl's words. */
export function canIQuery(args: readonly string[], flags: CanIFlags): CanIQuery {
  if (flags.list) {
    if (args.length !== 0) throw usageError('list option must be specified with no arguments');
    if (flags.quiet || flags.allNamespaces || flags.subresource !== '') {
      throw usageError("list option can't be specified with neither quiet, all-namespaces nor subresource options");
    }
    return { kind: 'list', headers: !flags.noHeaders };
  }
  const [verb, target] = args;
  if (args.length !== 2 || verb === undefined || target === undefined) {
    throw usageError('you must specify two arguments: verb resource or verb resource/resourceName.');
  }
  if (flags.noHeaders) throw usageError('--no-headers cannot be set without --list specified');
  if (target.startsWith('/')) {
    if (flags.subresource !== '') throw usageError('--subresource can not be used with NonResourceURL');
    return { kind: 'nonResource', verb, path: target };
  }
  const slash = target.indexOf('/');
  return {
    kind: 'resource',
    verb,
    resourceArg: slash === -1 ? target : target.slice(0, slash),
    name: slash === -1 ? '' : target.slice(slash + 1),
    subresource: flags.subresource,
  };
}

const NONE: GroupVersionResource = { group: '', version: '', resource: '' };

/**
 * resourceFor: "*" as it is; else lower-cased and tried as resource.version.group, then as
 * resource.group; a name the server does not know is sent exactly as typed, after a warning.
 */
export function resolveResource(mapper: RestMapper, resourceArg: string, warn: (message: string) => void): GroupVersionResource {
  if (resourceArg === '*') return { ...NONE, resource: resourceArg };
  const { fullySpecified, groupResource } = parseResourceArg(resourceArg.toLowerCase());
  const resolved = (fullySpecified && mapper.resourceFor(fullySpecified)) ?? mapper.resourceFor({ ...groupResource, version: '' });
  if (resolved !== undefined) return resolved;
  const name = groupResource.group === '' ? groupResource.resource : `${groupResource.resource}.${groupResource.group}`;
  if (!NON_STANDARD_RESOURCE_NAMES.has(name)) {
    // The message ends in "\n" and the warning printer adds another: kubectl leaves a blank line.
    warn(
      groupResource.group === ''
        ? `the server doesn't have a resource type '${groupResource.resource}'\n`
        : `the server doesn't have a resource type '${groupResource.resource}' in group '${groupResource.group}'\n`,
    );
  }
  return { ...NONE, resource: resourceArg };
}

/** The resource form of the question, resolved, with Validate's warnings about scope and verb. */
export function resourceQuestion(
  query: Extract<CanIQuery, { kind: 'resource' }>,
  resolved: GroupVersionResource,
  context: { namespace: string; allNamespaces: boolean; discovery: Discovery; warn: (message: string) => void },
): AccessQuestion {
  if (resolved.resource !== '' && !context.allNamespaces) {
    if (namespacedIn(context.discovery, resolved) === false) {
      context.warn(
        resolved.group === ''
          ? `resource '${resolved.resource}' is not namespace scoped\n`
          : `resource '${resolved.resource}' is not namespace scoped in group '${resolved.group}'\n`,
      );
    }
    if (!RESOURCE_VERBS.has(query.verb)) context.warn(`verb '${query.verb}' is not a known verb\n`);
  }
  return {
    resourceAttributes: {
      namespace: context.allNamespaces ? '' : context.namespace,
      verb: query.verb,
      group: resolved.group,
      resource: resolved.resource,
      subresource: query.subresource,
      name: query.name,
    },
  };
}

/** The non-resource form, with Validate's warning about the verb. */
export function nonResourceQuestion(query: Extract<CanIQuery, { kind: 'nonResource' }>, warn: (message: string) => void): AccessQuestion {
  if (!NON_RESOURCE_URL_VERBS.has(query.verb)) warn(`verb '${query.verb}' is not a known verb\n`);
  return { nonResourceAttributes: { path: query.path, verb: query.verb } };
}

/** printers.WarningPrinter.Print without colour: "Warning: " + message + "\n". */
export function kubectlWarning(message: string): string {
  return `Warning: ${message}\n`;
}
