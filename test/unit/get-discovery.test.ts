// scripts/lib/get/discovery.ts: aggregated discovery (k8s.io/api/apidiscovery/v2) read into the
// Discovery that scripts/lib/discovery.ts's RESTMapper maps, the legacy walk when the server has no
// aggregated discovery, and get.ts's arguments resolved as kubectl's mappingFor resolves them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiClient, ApiRequest } from '../../scripts/lib/http.ts';
import { SILENT_LOG } from '../../scripts/lib/log.ts';
import {
  AGGREGATED_DISCOVERY_ACCEPT,
  discoverTypes,
  fromAggregated,
  NoResourceType,
  resolveType,
} from '../../scripts/lib/get/discovery.ts';

const resource = (name: string, singular: string, kind: string, scope: 'Namespaced' | 'Cluster', shortNames?: string[]) => ({
  resource: name,
  responseKind: { group: '', version: '', kind },
  scope,
  singularResource: singular,
  verbs: ['get', 'list', 'watch'],
  ...(shortNames && { shortNames }),
});

/** /api's and /apis' APIGroupDiscoveryList, as a 1.32 server sends them (a slice). */
const CORE = {
  kind: 'APIGroupDiscoveryList',
  apiVersion: 'apidiscovery.k8s.io/v2',
  items: [
    {
      metadata: { name: '' },
      versions: [
        {
          version: 'v1',
          resources: [
            resource('configmaps', 'configmap', 'ConfigMap', 'Namespaced', ['cm']),
            resource('events', 'event', 'Event', 'Namespaced', ['ev']),
            resource('nodes', 'node', 'Node', 'Cluster', ['no']),
            resource('pods', 'pod', 'Pod', 'Namespaced', ['po']),
          ],
        },
      ],
    },
  ],
};
const GROUPS = {
  kind: 'APIGroupDiscoveryList',
  apiVersion: 'apidiscovery.k8s.io/v2',
  items: [
    {
      metadata: { name: 'apps' },
      versions: [{ version: 'v1', resources: [resource('daemonsets', 'daemonset', 'DaemonSet', 'Namespaced', ['ds'])] }],
    },
    {
      metadata: { name: 'events.k8s.io' },
      versions: [{ version: 'v1', resources: [resource('events', 'event', 'Event', 'Namespaced', ['ev'])] }],
    },
    {
      metadata: { name: 'autoscaling' },
      versions: [
        {
          version: 'v2',
          resources: [resource('horizontalpodautoscalers', 'horizontalpodautoscaler', 'HorizontalPodAutoscaler', 'Namespaced', ['hpa'])],
        },
        {
          version: 'v1',
          resources: [resource('horizontalpodautoscalers', 'horizontalpodautoscaler', 'HorizontalPodAutoscaler', 'Namespaced', ['hpa'])],
        },
      ],
    },
    {
      metadata: { name: 'storage.k8s.io' },
      versions: [{ version: 'v1', resources: [resource('storageclasses', 'storageclass', 'StorageClass', 'Cluster', ['sc'])] }],
    },
  ],
};
const DISCOVERY = fromAggregated([CORE, GROUPS]);

describe('aggregated discovery', () => {
  it('lists the groups in the server order with each group preferred version first', () => {
    assert.deepEqual(
      DISCOVERY.groups.map((group) => `${group.name || 'core'}:${group.versions.join(',')}:${group.preferredVersion}`),
      ['core:v1:v1', 'apps:v1:v1', 'events.k8s.io:v1:v1', 'autoscaling:v2,v1:v2', 'storage.k8s.io:v1:v1'],
    );
    assert.deepEqual(DISCOVERY.resources.get('apps/v1'), [
      { name: 'daemonsets', singularName: 'daemonset', namespaced: true, kind: 'DaemonSet', shortNames: ['ds'] },
    ]);
  });
});

describe('get.ts RESOURCE as kubectl resolves it', () => {
  const type = (arg: string) => {
    const { group, version, resource, kind, namespaced } = resolveType(arg, DISCOVERY);
    return `${resource}.${version}.${group || 'core'} ${kind} ${namespaced ? 'namespaced' : 'cluster'}`;
  };
  it('takes plural, singular, short name and kind', () => {
    for (const arg of ['daemonsets', 'daemonset', 'ds', 'DaemonSet'])
      assert.equal(type(arg), 'daemonsets.v1.apps DaemonSet namespaced', arg);
    assert.equal(type('no'), 'nodes.v1.core Node cluster');
  });
  it('takes resource.group, a group prefix, and resource.version.group', () => {
    assert.equal(type('daemonsets.apps'), 'daemonsets.v1.apps DaemonSet namespaced');
    assert.equal(type('storageclass.storage'), 'storageclasses.v1.storage.k8s.io StorageClass cluster');
    assert.equal(
      type('horizontalpodautoscalers.v1.autoscaling'),
      'horizontalpodautoscalers.v1.autoscaling HorizontalPodAutoscaler namespaced',
    );
    assert.equal(type('hpa'), 'horizontalpodautoscalers.v2.autoscaling HorizontalPodAutoscaler namespaced', 'the preferred version');
  });
  it('prefers the core group for a name two groups serve, unless a group is given', () => {
    assert.equal(type('events'), 'events.v1.core Event namespaced');
    assert.equal(type('events.events.k8s.io'), 'events.v1.events.k8s.io Event namespaced');
  });
  it('says the server has no such type, naming what was typed before the first dot', () => {
    for (const [arg, name] of [
      ['x', 'x'],
      ['daemonsets.v9.apps', 'daemonsets'],
      ['Foo.bar', 'Foo'],
    ]) {
      assert.throws(
        () => resolveType(arg, DISCOVERY),
        (err) => err instanceof NoResourceType && err.message === `the server doesn't have a resource type "${name}"`,
      );
    }
  });
});

describe('reading discovery', () => {
  /** A client that answers paths from a table and records what it was asked. */
  function fakeClient(answers: Record<string, unknown>): { client: ApiClient; asked: ApiRequest[] } {
    const asked: ApiRequest[] = [];
    const client = {
      async send(request: ApiRequest) {
        asked.push(request);
        const body = answers[request.path];
        if (body === undefined) throw new Error(`unexpected ${request.path}`);
        return { status: 200, headers: {}, body: Buffer.from(JSON.stringify(body)) };
      },
    } as unknown as ApiClient;
    return { client, asked };
  }

  it('asks /api and /apis for aggregated discovery once per process', async () => {
    const { client, asked } = fakeClient({ '/api': CORE, '/apis': GROUPS });
    const first = await discoverTypes(client, SILENT_LOG);
    const second = await discoverTypes(client, SILENT_LOG);
    assert.equal(first, second);
    assert.deepEqual(
      asked.map((request) => `${request.path} ${request.accept}`),
      [`/api ${AGGREGATED_DISCOVERY_ACCEPT}`, `/apis ${AGGREGATED_DISCOVERY_ACCEPT}`],
    );
  });

  it('walks the legacy documents when the server answers without aggregated discovery', async () => {
    const { client, asked } = fakeClient({
      '/api': { kind: 'APIVersions', versions: ['v1'] },
      '/apis': {
        kind: 'APIGroupList',
        groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { version: 'v1' } }],
      },
      '/api/v1': {
        kind: 'APIResourceList',
        resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'] }],
      },
      '/apis/apps/v1': {
        kind: 'APIResourceList',
        resources: [{ name: 'daemonsets', singularName: 'daemonset', namespaced: true, kind: 'DaemonSet', shortNames: ['ds'] }],
      },
    });
    const discovery = await discoverTypes(client, SILENT_LOG);
    assert.equal(resolveType('ds', discovery).resource, 'daemonsets');
    assert.equal(resolveType('po', discovery).group, '');
    assert.deepEqual(asked.map((request) => request.path).sort(), ['/api', '/api', '/api/v1', '/apis', '/apis', '/apis/apps/v1']);
  });
});
