// What resource types the server serves, read once per process as kubectl 1.32 reads it:
// aggregated discovery first (GET /api and /apis with Accept apidiscovery.k8s.io/v2
// APIGroupDiscoveryList: every group, version and resource in two requests; KEP-3352,
// k8s.io/client-go/discovery/aggregated_discovery.go), and when the server answers with the
// legacy documents instead (an older server, or a proxy that drops the Accept header), the legacy
// walk of ../discovery.ts (/api, /apis, then one APIResourceList per group version). Either way
// the result is ../discovery.ts's Discovery, and ../discovery.ts's RestMapper (kubectl's
// RESTMapper) says which type an argument names:
//   pods, pod, po, Pod             plural, singular, short name, kind (any case but short names)
//   deployments.apps, deploy.apps  resource.group (a group prefix also matches: storageclass.storage)
//   deployments.v1.apps            resource.version.group
// An unknown name is kubectl's error: the server doesn't have a resource type "x".

import {
  type ApiGroup,
  type ApiResource,
  type Discovery,
  discover,
  groupVersionString,
  parseResourceArg,
  RestMapper,
} from '../discovery.ts';
import { EXIT, isExitError } from '../errors.ts';
import type { ApiClient } from '../http.ts';
import { parseJson } from '../json.ts';
import type { Log } from '../log.ts';

/** kubectl 1.32's Accept for /api and /apis: aggregated discovery (v2, v2beta1), else the legacy JSON. */
export const AGGREGATED_DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,' +
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

/** The resource type get.ts reads: where it lives and what its objects are. */
export interface ResourceType {
  group: string;
  version: string;
  /** The plural, as in the URL: "daemonsets". */
  resource: string;
  kind: string;
  namespaced: boolean;
}

export class NoResourceType extends Error {
  constructor(readonly resource: string) {
    super(`the server doesn't have a resource type ${JSON.stringify(resource)}`);
  }
}

interface AggregatedList {
  kind?: string;
  items?: {
    metadata?: { name?: string };
    versions?: {
      version?: string;
      resources?: {
        resource?: string;
        responseKind?: { kind?: string };
        scope?: string;
        singularResource?: string;
        shortNames?: string[];
      }[];
    }[];
  }[];
}

const isAggregated = (document: unknown): document is AggregatedList =>
  (document as { kind?: unknown } | null)?.kind === 'APIGroupDiscoveryList';

/** APIGroupDiscoveryList documents (/api's, then /apis') as a Discovery: groups in order, versions preferred first. */
export function fromAggregated(documents: readonly AggregatedList[]): Discovery {
  const groups: ApiGroup[] = [];
  const resources = new Map<string, ApiResource[]>();
  for (const item of documents.flatMap((document) => document.items ?? [])) {
    const name = item.metadata?.name ?? '';
    const versions = (item.versions ?? []).map((entry) => entry.version ?? '');
    groups.push({ name, versions, preferredVersion: versions[0] ?? '' });
    for (const entry of item.versions ?? []) {
      resources.set(
        groupVersionString(name, entry.version ?? ''),
        (entry.resources ?? []).map((r) => ({
          name: r.resource ?? '',
          singularName: r.singularResource ?? '',
          namespaced: r.scope === 'Namespaced',
          kind: r.responseKind?.kind ?? '',
          shortNames: r.shortNames ?? [],
        })),
      );
    }
  }
  return { groups, resources };
}

type DiscoveryClient = Pick<ApiClient, 'send'>;

const cache = new WeakMap<object, Promise<Discovery>>();

/** The server's discovery, fetched on first use and kept for the rest of the process. */
export function discoverTypes(client: ApiClient, log: Log): Promise<Discovery> {
  let found = cache.get(client);
  if (found === undefined) {
    found = (async () => {
      const get = async (path: string) =>
        parseJson((await (client as DiscoveryClient).send({ method: 'GET', path, accept: AGGREGATED_DISCOVERY_ACCEPT })).body);
      let documents: unknown[];
      try {
        documents = await Promise.all([get('/api'), get('/apis')]);
      } catch (err) {
        // A refusal is an answer: the legacy walk meets it again and says what kubectl would.
        if (!isExitError(err) || ![EXIT.UNAUTHORIZED, EXIT.FORBIDDEN, EXIT.NOT_FOUND, EXIT.API_ERROR].some((code) => code === err.exitCode))
          throw err;
        documents = [];
      }
      if (documents.length === 2 && documents.every(isAggregated)) return fromAggregated(documents as AggregatedList[]);
      log.verbose('* discovery: no aggregated discovery; reading /api, /apis and each group version');
      return discover(client, log);
    })();
    cache.set(client, found);
  }
  return found;
}

/**
 * The type `arg` names (k8s.io/cli-runtime/pkg/resource/builder.go mappingFor): as
 * resource.version.group first, then as resource[.group]. Throws NoResourceType.
 */
export function resolveType(arg: string, discovery: Discovery, warn: (message: string) => void = () => undefined): ResourceType {
  const mapper = new RestMapper(discovery, warn);
  const { fullySpecified, groupResource } = parseResourceArg(arg);
  const found = (fullySpecified && mapper.resourceFor(fullySpecified)) || mapper.resourceFor({ ...groupResource, version: '' });
  const served = found && discovery.resources.get(groupVersionString(found.group, found.version))?.find((r) => r.name === found.resource);
  if (!found || !served) throw new NoResourceType(groupResource.resource);
  return { ...found, kind: served.kind ?? '', namespaced: served.namespaced === true };
}
