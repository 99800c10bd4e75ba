// Which resource a user means by "po", "deploy.apps" or "jobs.v1.batch": the API server's
// discovery documents, read once per process, and kubectl's RESTMapper over them, ported as pure
// functions so each rule has a unit test.
//
//   const discovery = await discover(client, log);        // GET /api, /apis and each group version
//   const mapper = new RestMapper(discovery, warn);       // warn: kubectl's "short name … could also match"
//   mapper.resourceFor({ group: '', version: '', resource: 'po' })   // → { group: '', version: 'v1', resource: 'pods' }
//   namespacedIn(discovery, gvr)                          // true / false / undefined (not in discovery)
//
// Sources (kubernetes/client-go and kubernetes/apimachinery v0.32):
//   client-go discovery/discovery_client.go   ServerGroupsAndResources: /api first (preferred = its first
//                                             version), then /apis; a group version that fails is skipped
//   client-go restmapper/discovery.go         NewDiscoveryRESTMapper, GetAPIGroupResources: one mapper per
//                                             group version, the priority of groups and versions
//   client-go restmapper/shortcut.go          shortcutExpander.expandResourceShortcut
//   apimachinery pkg/api/meta/restmapper.go   DefaultRESTMapper.ResourcesFor, UnsafeGuessKindToResource
//   apimachinery pkg/api/meta/multirestmapper.go, priority.go   MultiRESTMapper, PriorityRESTMapper
//   apimachinery pkg/runtime/schema/group_version.go            ParseResourceArg, ParseGroupResource
// discover() is the legacy walk; get/discovery.ts discoverTypes() reads aggregated discovery first (two
// requests, as kubectl 1.32 does), falls back to discover(), and builds the same Discovery.

import { EXIT, isExitError } from './errors.ts';
import type { ApiClient } from './http.ts';
import { parseJson } from './json.ts';
import type { Log } from './log.ts';

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** metav1.APIResource, the fields the mapper reads. */
export interface ApiResource {
  name: string;
  singularName?: string;
  namespaced?: boolean;
  kind?: string;
  shortNames?: string[];
}

/** metav1.APIGroup: its versions in the server's order and the preferred one. */
export interface ApiGroup {
  name: string;
  versions: string[];
  preferredVersion: string;
}

export interface Discovery {
  groups: ApiGroup[];
  /** The resources of each group version that answered, keyed "group/version" ("v1" for the core group). */
  resources: Map<string, ApiResource[]>;
}

export const EMPTY_DISCOVERY: Discovery = { groups: [], resources: new Map() };

/** schema.GroupVersion.String(): "v1" for the core group, "apps/v1" otherwise. */
export function groupVersionString(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

function discoveryPath(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** An answer of the API server (401, 403, 404, other status): discovery goes on without it, as client-go does. */
function isStatusError(err: unknown): boolean {
  return isExitError(err) && [EXIT.UNAUTHORIZED, EXIT.FORBIDDEN, EXIT.NOT_FOUND, EXIT.API_ERROR].some((code) => code === err.exitCode);
}

async function getJson(client: ApiClient, path: string): Promise<Record<string, unknown>> {
  const value = parseJson((await client.send({ method: 'GET', path })).body);
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function apiGroups(core: Record<string, unknown>, named: Record<string, unknown>): ApiGroup[] {
  const coreVersions = Array.isArray(core.versions) ? core.versions.filter((v): v is string => typeof v === 'string') : [];
  const groups: ApiGroup[] = coreVersions.length > 0 ? [{ name: '', versions: coreVersions, preferredVersion: coreVersions[0] ?? '' }] : [];
  for (const group of Array.isArray(named.groups) ? named.groups : []) {
    const { name, versions, preferredVersion } = group as {
      name?: string;
      versions?: { version?: string }[];
      preferredVersion?: { version?: string };
    };
    if (typeof name !== 'string') continue;
    groups.push({
      name,
      versions: (versions ?? []).map((v) => v.version).filter((v): v is string => typeof v === 'string'),
      preferredVersion: preferredVersion?.version ?? '',
    });
  }
  return groups;
}

/**
 * ServerGroupsAndResources: /api and /apis, then every group version side by side. A refused
 * /api or /apis leaves nothing to map (every name is then unknown, as kubectl finds it); a refused
 * group version is left out. Connection and TLS failures are not answers: they are thrown.
 */
export async function discover(client: ApiClient, log: Log): Promise<Discovery> {
  let groups: ApiGroup[];
  try {
    const [core, named] = await Promise.all([getJson(client, '/api'), getJson(client, '/apis')]);
    groups = apiGroups(core, named);
  } catch (err) {
    if (!isStatusError(err)) throw err;
    log.verbose(`* discovery failed, so no resource type is known: ${(err as Error).message}`);
    return EMPTY_DISCOVERY;
  }
  const resources = new Map<string, ApiResource[]>();
  const lists = await Promise.all(
    groups.flatMap((group) =>
      group.versions.map(async (version) => {
        try {
          const list = await getJson(client, discoveryPath(group.name, version));
          return { key: groupVersionString(group.name, version), list: (list.resources ?? []) as ApiResource[] };
        } catch (err) {
          if (!isStatusError(err)) throw err;
          log.verbose(`* discovery of ${groupVersionString(group.name, version)} failed, left out: ${(err as Error).message}`);
          return undefined;
        }
      }),
    ),
  );
  for (const entry of lists) if (entry !== undefined) resources.set(entry.key, entry.list);
  return { groups, resources };
}

// ---------------------------------------------------------------------------
// The RESTMapper

/** ParseResourceArg: "a.b.c" is also tried as resource.version.group; ParseGroupResource splits at the first dot. */
export function parseResourceArg(arg: string): {
  fullySpecified?: GroupVersionResource;
  groupResource: { group: string; resource: string };
} {
  const dot = arg.indexOf('.');
  const groupResource = dot === -1 ? { group: '', resource: arg } : { group: arg.slice(dot + 1), resource: arg.slice(0, dot) };
  const parts = arg.split('.');
  if (parts.length < 3) return { groupResource };
  return { fullySpecified: { resource: parts[0] ?? '', version: parts[1] ?? '', group: parts.slice(2).join('.') }, groupResource };
}

/** UnsafeGuessKindToResource: the plural and singular a kind is guessed to have ("endpoints" stays). */
export function guessResourceForKind(kind: string): { plural: string; singular: string } {
  const singular = kind.toLowerCase();
  if (singular === '' || singular.endsWith('endpoints')) return { plural: singular, singular };
  if (singular.endsWith('s')) return { plural: `${singular}es`, singular };
  if (singular.endsWith('y')) return { plural: `${singular.slice(0, -1)}ies`, singular };
  return { plural: `${singular}s`, singular };
}

/** One DefaultRESTMapper: a group version's plural → singular resource names. */
interface VersionMapper {
  group: string;
  version: string;
  pluralToSingular: Map<string, string>;
}

function versionMapper(group: string, version: string, resources: readonly ApiResource[]): VersionMapper {
  const pluralToSingular = new Map<string, string>();
  const addGuess = (kind: string) => {
    const { plural, singular } = guessResourceForKind(kind);
    pluralToSingular.set(plural, singular);
  };
  for (const resource of resources) {
    if (resource.name.includes('/')) continue; // a subresource: no mapping
    pluralToSingular.set(resource.name, resource.singularName || guessResourceForKind(resource.kind ?? '').singular);
    addGuess(`${resource.kind ?? ''}List`);
  }
  addGuess('List');
  return { group, version, pluralToSingular };
}

type Matches = GroupVersionResource[] | 'no match' | 'no resource';

/** DefaultRESTMapper.ResourcesFor within one group version (sorted by name, as resourceByPreferredGroupVersion does). */
function resourcesInVersion(mapper: VersionMapper, input: GroupVersionResource): Matches {
  const resource = input.resource.toLowerCase();
  const version = input.version === '__internal' ? '' : input.version;
  if (resource === '') return 'no resource';
  const at = (name: string) => ({ group: mapper.group, version: mapper.version, resource: name });
  const entries = [...mapper.pluralToSingular];
  const found: string[] = [];
  const byName = (match: (name: string) => boolean) => {
    for (const [plural, singular] of entries) {
      if (match(singular)) found.push(plural);
      if (match(plural)) found.push(plural);
    }
  };
  if (input.group !== '' && version !== '') {
    if (mapper.group === input.group && mapper.version === version) {
      const exact = entries.find(([plural, singular]) => singular === resource || plural === resource);
      if (exact) found.push(exact[0]);
    }
  } else if (input.group !== '') {
    if (mapper.group === input.group) byName((name) => name === resource);
    // No exact match in this mapper: a group prefix ("storage" for storage.k8s.io) will do.
    if (found.length === 0 && mapper.group.startsWith(input.group)) byName((name) => name === resource);
  } else if (version !== '') {
    if (mapper.version === version) byName((name) => name === resource);
  } else {
    byName((name) => name === resource);
  }
  if (found.length === 0) return 'no match';
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(at);
}

const ANY = '*';
const sameGvr = (a: GroupVersionResource, b: GroupVersionResource) =>
  a.group === b.group && a.version === b.version && a.resource === b.resource;

/** kubectl's RESTMapper: a shortcutExpander around a PriorityRESTMapper over the discovered group versions. */
export class RestMapper {
  private readonly discovery: Discovery;
  private readonly mappers: VersionMapper[] = [];
  private readonly priority: GroupVersionResource[];
  private readonly warn: (message: string) => void;

  constructor(discovery: Discovery, warn: (message: string) => void = () => undefined) {
    this.discovery = discovery;
    this.warn = warn;
    // The core group's v1 always comes first; then each group's preferred version and its others; then any version of each group.
    this.priority = [{ group: '', version: 'v1', resource: ANY }];
    for (const group of discovery.groups) {
      const served = (version: string) => discovery.resources.has(groupVersionString(group.name, version));
      if (group.preferredVersion !== '' && served(group.preferredVersion)) {
        this.priority.push({ group: group.name, version: group.preferredVersion, resource: ANY });
      }
      for (const version of group.versions) {
        if (!served(version)) continue;
        if (version !== group.preferredVersion) this.priority.push({ group: group.name, version, resource: ANY });
        this.mappers.push(versionMapper(group.name, version, discovery.resources.get(groupVersionString(group.name, version)) ?? []));
      }
    }
    for (const group of discovery.groups) this.priority.push({ group: group.name, version: ANY, resource: ANY });
  }

  /** RESTMapper.ResourceFor: the one resource meant, or undefined (no match, ambiguous, or no resource given). */
  resourceFor(input: GroupVersionResource): GroupVersionResource | undefined {
    const candidates = this.resourcesFor(this.expandShortcut(input));
    if (candidates.length <= 1) return candidates[0];
    let remaining = candidates;
    for (const pattern of this.priority) {
      const matched = remaining.filter(
        (gvr) =>
          (pattern.group === ANY || pattern.group === gvr.group) &&
          (pattern.version === ANY || pattern.version === gvr.version) &&
          (pattern.resource === ANY || pattern.resource === gvr.resource),
      );
      if (matched.length === 1) return matched[0];
      if (matched.length > 1) remaining = matched;
    }
    return undefined;
  }

  /** MultiRESTMapper.ResourcesFor: every group version's matches, without repeats. */
  private resourcesFor(input: GroupVersionResource): GroupVersionResource[] {
    const all: GroupVersionResource[] = [];
    for (const mapper of this.mappers) {
      const matches = resourcesInVersion(mapper, input);
      if (matches === 'no resource') return [];
      if (matches === 'no match') continue;
      for (const match of matches) if (!all.some((existing) => sameGvr(existing, match))) all.push(match);
    }
    return all;
  }

  /** shortcutExpander.expandResourceShortcut: a full name stays; a short name becomes its resource (version dropped). */
  private expandShortcut(input: GroupVersionResource): GroupVersionResource {
    const lists = this.discovery.groups.flatMap((group) =>
      group.versions
        .filter((version) => this.discovery.resources.has(groupVersionString(group.name, version)))
        .map((version) => ({ group: group.name, resources: this.discovery.resources.get(groupVersionString(group.name, version)) ?? [] })),
    );
    for (const list of lists) {
      if (input.group !== '' && input.group !== list.group) continue;
      if (list.resources.some((r) => input.resource === r.name || input.resource === r.singularName)) return input;
    }
    const shortcuts = lists.flatMap((list) =>
      list.resources.flatMap((r) => (r.shortNames ?? []).map((short) => ({ group: list.group, short, resource: r.name }))),
    );
    let found: { group: string; resource: string } | undefined;
    const warned = new Set<string>();
    for (const item of shortcuts) {
      if ((input.group !== '' && input.group !== item.group) || input.resource !== item.short) continue;
      if (found === undefined) {
        found = { group: item.group, resource: item.resource };
        continue;
      }
      if (item.group === found.group && item.resource === found.resource) continue; // the same resource in another version
      const longForm = item.group === '' ? item.resource : `${item.resource}.${item.group}`;
      if (!warned.has(longForm)) this.warn(`short name "${input.resource}" could also match lower priority resource ${longForm}`);
      warned.add(longForm);
    }
    if (found !== undefined) return { ...found, version: '' };
    if (input.group === '') return input;
    const prefixed = shortcuts.find((item) => item.group.startsWith(input.group) && input.resource === item.short);
    return prefixed === undefined ? input : { ...input, group: prefixed.group, resource: prefixed.resource };
  }
}

/** Whether discovery lists `gvr` as namespaced; undefined when it does not list it (kubectl then says nothing). */
export function namespacedIn(discovery: Discovery, gvr: GroupVersionResource): boolean | undefined {
  if (gvr.resource === '*') return true;
  if (gvr.version === '') return undefined;
  const found = discovery.resources.get(groupVersionString(gvr.group, gvr.version))?.find((r) => r.name === gvr.resource);
  return found === undefined ? undefined : found.namespaced === true;
}
