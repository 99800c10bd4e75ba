// The requests kubectl get sends for a resource type (k8s.io/cli-runtime/pkg/resource: helper.go
// Get/List/Watch, builder.go; k8s.io/kubectl/pkg/cmd/get/get.go transformRequests):
//   GET /api/v1/namespaces/NS/pods/NAME                  one object
//   GET /api/v1/namespaces/NS/pods?limit=500[&continue=]  a list, in pages (--chunk-size)
//   GET /api/v1/pods?limit=500                           -A: every namespace
//   GET /api/v1/nodes?limit=500                          cluster-scoped: no namespace
// with ?labelSelector= and ?fieldSelector= for -l and --field-selector, and, for the human
// output (table, wide), Accept: application/json;as=Table;v=v1;g=meta.k8s.io,…;v=v1beta1…,
// application/json, so the server prints the columns.

import type { ApiRequest } from '../http.ts';
import type { ResourceType } from './discovery.ts';

/** kubectl's Accept for the human-readable output: a server-side Table (v1, then v1beta1), else the objects. */
export const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

export interface Scope {
  resource: ResourceType;
  /** The namespace to read (ignored for cluster-scoped types). */
  namespace: string;
  /** -A: every namespace. */
  allNamespaces: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  /** Ask for Tables (the default and -o wide output). */
  table: boolean;
}

/** Where the type's objects live: /api/v1[/namespaces/NS]/pods, /apis/G/V[/namespaces/NS]/R. */
export function collectionPath(scope: Scope): string {
  const { resource } = scope;
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const namespace = resource.namespaced && !scope.allNamespaces ? `/namespaces/${encodeURIComponent(scope.namespace)}` : '';
  return `${base}${namespace}/${resource.resource}`;
}

/** The -l and --field-selector query ("labelSelector=…&fieldSelector=…"), "" without them. */
export function selectorQuery(scope: Scope, name?: string): string {
  const parts: string[] = [];
  if (scope.labelSelector) parts.push(`labelSelector=${encodeURIComponent(scope.labelSelector)}`);
  const fields = [...(scope.fieldSelector ? [scope.fieldSelector] : []), ...(name === undefined ? [] : [`metadata.name=${name}`])];
  if (fields.length > 0) parts.push(`fieldSelector=${encodeURIComponent(fields.join(','))}`);
  return parts.join('&');
}

/** get.ts parses every body it reads (none is printed as sent), so it asks for compact JSON, and for Tables when printing one. */
function withAccept(scope: Scope, request: ApiRequest): ApiRequest {
  return { ...request, pretty: false, ...(scope.table && { accept: TABLE_ACCEPT }) };
}

/** GET one object by name. */
export function objectRequest(scope: Scope, name: string): ApiRequest {
  return withAccept(scope, { method: 'GET', path: `${collectionPath(scope)}/${encodeURIComponent(name)}` });
}

/** GET one page of the list: at most `limit` objects (0: all), after `continueToken`. */
export function listRequest(scope: Scope, limit: number, continueToken?: string): ApiRequest {
  const query = [
    selectorQuery(scope),
    ...(limit > 0 ? [`limit=${limit}`] : []),
    ...(continueToken ? [`continue=${encodeURIComponent(continueToken)}`] : []),
  ].filter((part) => part !== '');
  return withAccept(scope, { method: 'GET', path: `${collectionPath(scope)}${query.length > 0 ? `?${query.join('&')}` : ''}` });
}
