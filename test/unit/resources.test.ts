// Facts asserted here come from kubernetes/kubernetes api/discovery/*.json
// (default feature gates, 1.32 era) and from the Go struct field order of the
// discovery types, which is what kube-apiserver writes on the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  RESOURCE_TYPES,
  aggregatedDiscoveryDocument,
  apiGroupDocument,
  apiGroupListDocument,
  apiResourceListDocument,
  apiVersionsDocument,
  findResourceType,
  findResourceTypeByAlias,
  findResourceTypeByKind,
  groupVersionString,
  subresourcesOf,
} from '../../fixtures/apiserver/resources.ts';

type Json = Record<string, any>;

const CRUD_WATCH = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resourcesOf(doc: object | undefined): Json[] {
  assert.ok(doc, 'document exists');
  return (doc as Json).resources as Json[];
}

test('groupVersionString spells core as bare version', () => {
  assert.equal(groupVersionString('', 'v1'), 'v1');
  assert.equal(groupVersionString('apps', 'v1'), 'apps/v1');
  assert.equal(groupVersionString('rbac.authorization.k8s.io', 'v1'), 'rbac.authorization.k8s.io/v1');
});

test('GET /api: APIVersions without apiVersion, CIDR list last', () => {
  const doc = apiVersionsDocument('172.18.0.2:6443') as Json;
  assert.deepEqual(Object.keys(doc), ['kind', 'versions', 'serverAddressByClientCIDRs']);
  assert.equal(
    JSON.stringify(doc),
    '{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"172.18.0.2:6443"}]}',
  );
});

test('GET /api/v1: APIResourceList has no apiVersion key', () => {
  const doc = apiResourceListDocument('', 'v1') as Json;
  assert.deepEqual(Object.keys(doc), ['kind', 'groupVersion', 'resources']);
  assert.equal(doc.kind, 'APIResourceList');
  assert.equal(doc.groupVersion, 'v1');
});

test('core/v1 lists exactly the 1.32 default-gate resources, in order', () => {
  const names = resourcesOf(apiResourceListDocument('', 'v1')).map((r) => r.name);
  assert.deepEqual(names, [
    'bindings',
    'componentstatuses',
    'configmaps',
    'endpoints',
    'events',
    'limitranges',
    'namespaces',
    'namespaces/finalize',
    'namespaces/status',
    'nodes',
    'nodes/proxy',
    'nodes/status',
    'persistentvolumeclaims',
    'persistentvolumeclaims/status',
    'persistentvolumes',
    'persistentvolumes/status',
    'pods',
    'pods/attach',
    'pods/binding',
    'pods/ephemeralcontainers',
    'pods/eviction',
    'pods/exec',
    'pods/log',
    'pods/portforward',
    'pods/proxy',
    'pods/status',
    'podtemplates',
    'replicationcontrollers',
    'replicationcontrollers/scale',
    'replicationcontrollers/status',
    'resourcequotas',
    'resourcequotas/status',
    'secrets',
    'serviceaccounts',
    'serviceaccounts/token',
    'services',
    'services/proxy',
    'services/status',
  ]);
  // pods/resize needs InPlacePodVerticalScaling (alpha, off in 1.32); checkpoint is newer still.
  assert.ok(!names.includes('pods/resize'));
  assert.ok(!names.includes('pods/checkpoint'));
});

test('core/v1 entries carry real field order and omitempty', () => {
  const byName = new Map(resourcesOf(apiResourceListDocument('', 'v1')).map((r) => [r.name as string, r]));
  const pods = byName.get('pods')!;
  assert.deepEqual(Object.keys(pods), [
    'name',
    'singularName',
    'namespaced',
    'kind',
    'verbs',
    'shortNames',
    'categories',
    'storageVersionHash',
  ]);
  assert.deepEqual(pods, {
    name: 'pods',
    singularName: 'pod',
    namespaced: true,
    kind: 'Pod',
    verbs: CRUD_WATCH,
    shortNames: ['po'],
    categories: ['all'],
    storageVersionHash: 'xPOwRZ+Yhw8=',
  });
  const eviction = byName.get('pods/eviction')!;
  assert.deepEqual(Object.keys(eviction), ['name', 'singularName', 'namespaced', 'group', 'version', 'kind', 'verbs']);
  assert.deepEqual(eviction, {
    name: 'pods/eviction',
    singularName: '',
    namespaced: true,
    group: 'policy',
    version: 'v1',
    kind: 'Eviction',
    verbs: ['create'],
  });
  assert.deepEqual(byName.get('serviceaccounts/token'), {
    name: 'serviceaccounts/token',
    singularName: '',
    namespaced: true,
    group: 'authentication.k8s.io',
    version: 'v1',
    kind: 'TokenRequest',
    verbs: ['create'],
  });
  // secrets have no shortName: the key is absent, not [].
  assert.deepEqual(Object.keys(byName.get('secrets')!), ['name', 'singularName', 'namespaced', 'kind', 'verbs', 'storageVersionHash']);
  assert.equal(byName.get('secrets')!.storageVersionHash, 'S6u1pOWzb84=');
  // namespaces cannot be deletecollection'ed; componentstatuses are get/list only and unstored.
  assert.deepEqual(byName.get('namespaces')!.verbs, ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
  assert.deepEqual(byName.get('componentstatuses'), {
    name: 'componentstatuses',
    singularName: 'componentstatus',
    namespaced: false,
    kind: 'ComponentStatus',
    verbs: ['get', 'list'],
    shortNames: ['cs'],
  });
  assert.deepEqual(byName.get('nodes/proxy')!.verbs, ['create', 'delete', 'get', 'patch', 'update']);
  assert.deepEqual(byName.get('pods/exec')!.verbs, ['create', 'get']);
  assert.deepEqual(byName.get('pods/log')!.verbs, ['get']);
  assert.equal(byName.get('endpoints')!.singularName, 'endpoints');
  assert.deepEqual(byName.get('limitranges')!.shortNames, ['limits']);
  assert.deepEqual(byName.get('resourcequotas')!.shortNames, ['quota']);
  // every entry serializes singularName and namespaced, even subresources
  for (const r of byName.values()) {
    assert.equal(typeof r.singularName, 'string');
    assert.equal(typeof r.namespaced, 'boolean');
  }
});

test('batch/v1: cronjobs, cronjobs/status, jobs, jobs/status with apiVersion v1', () => {
  const doc = apiResourceListDocument('batch', 'v1') as Json;
  assert.deepEqual(Object.keys(doc), ['kind', 'apiVersion', 'groupVersion', 'resources']);
  assert.equal(doc.apiVersion, 'v1');
  assert.equal(doc.groupVersion, 'batch/v1');
  assert.deepEqual(doc.resources, [
    {
      name: 'cronjobs',
      singularName: 'cronjob',
      namespaced: true,
      kind: 'CronJob',
      verbs: CRUD_WATCH,
      shortNames: ['cj'],
      categories: ['all'],
      storageVersionHash: 'sd5LIXh4Fjs=',
    },
    { name: 'cronjobs/status', singularName: '', namespaced: true, kind: 'CronJob', verbs: ['get', 'patch', 'update'] },
    {
      name: 'jobs',
      singularName: 'job',
      namespaced: true,
      kind: 'Job',
      verbs: CRUD_WATCH,
      categories: ['all'],
      storageVersionHash: 'mudhfqk/qZY=',
    },
    { name: 'jobs/status', singularName: '', namespaced: true, kind: 'Job', verbs: ['get', 'patch', 'update'] },
  ]);
});

test('apps/v1: scale subresources point at autoscaling/v1 Scale', () => {
  const res = resourcesOf(apiResourceListDocument('apps', 'v1'));
  assert.deepEqual(
    res.map((r) => r.name),
    [
      'controllerrevisions',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
    ],
  );
  const scale = res.find((r) => r.name === 'deployments/scale')!;
  assert.deepEqual(scale, {
    name: 'deployments/scale',
    singularName: '',
    namespaced: true,
    group: 'autoscaling',
    version: 'v1',
    kind: 'Scale',
    verbs: ['get', 'patch', 'update'],
  });
  const hashes = Object.fromEntries(res.filter((r) => r.storageVersionHash).map((r) => [r.name, r.storageVersionHash]));
  assert.deepEqual(hashes, {
    controllerrevisions: '85nkx63pcBU=',
    daemonsets: 'dd7pWHUlMKQ=',
    deployments: '8aSe+NMegvE=',
    replicasets: 'P1RzHs8/mWQ=',
    statefulsets: 'H+vl74LkKdo=',
  });
  for (const r of res.filter((x) => !String(x.name).includes('/'))) assert.deepEqual(r.verbs, CRUD_WATCH, `${r.name} verbs`);
  assert.deepEqual(res.find((r) => r.name === 'deployments')!.shortNames, ['deploy']);
  assert.equal(res.find((r) => r.name === 'controllerrevisions')!.categories, undefined);
});

test('rbac, authentication and authorization lists', () => {
  assert.deepEqual(resourcesOf(apiResourceListDocument('rbac.authorization.k8s.io', 'v1')), [
    {
      name: 'clusterrolebindings',
      singularName: 'clusterrolebinding',
      namespaced: false,
      kind: 'ClusterRoleBinding',
      verbs: CRUD_WATCH,
      storageVersionHash: '48tpQ8gZHFc=',
    },
    {
      name: 'clusterroles',
      singularName: 'clusterrole',
      namespaced: false,
      kind: 'ClusterRole',
      verbs: CRUD_WATCH,
      storageVersionHash: 'bYE5ZWDrJ44=',
    },
    {
      name: 'rolebindings',
      singularName: 'rolebinding',
      namespaced: true,
      kind: 'RoleBinding',
      verbs: CRUD_WATCH,
      storageVersionHash: 'eGsCzGH6b1g=',
    },
    { name: 'roles', singularName: 'role', namespaced: true, kind: 'Role', verbs: CRUD_WATCH, storageVersionHash: '7FuwZcIIItM=' },
  ]);
  assert.deepEqual(resourcesOf(apiResourceListDocument('authentication.k8s.io', 'v1')), [
    { name: 'selfsubjectreviews', singularName: 'selfsubjectreview', namespaced: false, kind: 'SelfSubjectReview', verbs: ['create'] },
    { name: 'tokenreviews', singularName: 'tokenreview', namespaced: false, kind: 'TokenReview', verbs: ['create'] },
  ]);
  assert.deepEqual(
    resourcesOf(apiResourceListDocument('authorization.k8s.io', 'v1')).map((r) => [r.name, r.namespaced]),
    [
      ['localsubjectaccessreviews', true],
      ['selfsubjectaccessreviews', false],
      ['selfsubjectrulesreviews', false],
      ['subjectaccessreviews', false],
    ],
  );
});

test('unserved group versions have no document', () => {
  assert.equal(apiResourceListDocument('apps', 'v1beta1'), undefined);
  assert.equal(apiResourceListDocument('policy', 'v1'), undefined);
  assert.equal(apiResourceListDocument('', 'v2'), undefined);
  assert.equal(apiGroupDocument('policy', 'x'), undefined);
  assert.equal(apiGroupDocument('', 'x'), undefined);
});

test('GET /apis: groups in aggregator priority order, no CIDRs', () => {
  const doc = apiGroupListDocument('10.0.0.1:6443') as Json;
  assert.deepEqual(Object.keys(doc), ['kind', 'apiVersion', 'groups']);
  assert.deepEqual(
    doc.groups.map((g: Json) => g.name),
    ['apps', 'authentication.k8s.io', 'authorization.k8s.io', 'batch', 'rbac.authorization.k8s.io'],
  );
  for (const g of doc.groups as Json[]) {
    assert.deepEqual(Object.keys(g), ['name', 'versions', 'preferredVersion']);
  }
  assert.ok(!JSON.stringify(doc).includes('serverAddressByClientCIDRs'));
});

test('GET /apis/batch: APIGroup with preferredVersion after versions', () => {
  assert.equal(
    JSON.stringify(apiGroupDocument('batch', '10.0.0.1:6443')),
    '{"kind":"APIGroup","apiVersion":"v1","name":"batch","versions":[{"groupVersion":"batch/v1","version":"v1"}],"preferredVersion":{"groupVersion":"batch/v1","version":"v1"}}',
  );
});

test('lookups', () => {
  assert.equal(findResourceType('', 'v1', 'pods/status')?.kind, 'Pod');
  assert.equal(findResourceType('apps', 'v1', 'deployments/scale')?.subresourceGroup, 'autoscaling');
  assert.equal(findResourceType('apps', 'v1', 'pods'), undefined);
  assert.equal(findResourceTypeByKind('apps/v1', 'Deployment')?.name, 'deployments');
  assert.equal(findResourceTypeByKind('v1', 'Pod')?.name, 'pods');
  assert.equal(findResourceTypeByKind('v1', 'Binding')?.name, 'bindings');
  assert.equal(findResourceTypeByKind('rbac.authorization.k8s.io/v1', 'ClusterRole')?.name, 'clusterroles');
  assert.equal(findResourceTypeByKind('apps/v1', 'Scale'), undefined, 'subresource kinds are not top-level');
  assert.equal(findResourceTypeByKind('v1', 'Deployment'), undefined);
  assert.equal(findResourceTypeByAlias('cj')?.name, 'cronjobs');
  assert.equal(findResourceTypeByAlias('po')?.name, 'pods');
  assert.equal(findResourceTypeByAlias('deployment')?.group, 'apps');
  assert.deepEqual(
    subresourcesOf(findResourceType('', 'v1', 'services')!).map((s) => s.name),
    ['services/proxy', 'services/status'],
  );
  assert.equal(RESOURCE_TYPES.length, 38 + 12 + 4 + 4 + 2 + 4);
});

test('aggregated /api: core group has no name and a null creationTimestamp', () => {
  const doc = aggregatedDiscoveryDocument('api') as Json;
  assert.deepEqual(Object.keys(doc), ['kind', 'apiVersion', 'metadata', 'items']);
  assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2');
  assert.deepEqual(doc.metadata, {});
  assert.equal(doc.items.length, 1);
  const core = doc.items[0] as Json;
  assert.deepEqual(Object.keys(core), ['metadata', 'versions']);
  assert.deepEqual(core.metadata, { creationTimestamp: null });
  const v1 = core.versions[0] as Json;
  assert.deepEqual(Object.keys(v1), ['version', 'resources', 'freshness']);
  assert.equal(v1.freshness, 'Current');
  const resources = v1.resources as Json[];
  assert.equal(resources.length, 17, 'top-level core resources only');
  const pods = resources.find((r) => r.resource === 'pods')!;
  assert.deepEqual(Object.keys(pods), [
    'resource',
    'responseKind',
    'scope',
    'singularResource',
    'verbs',
    'shortNames',
    'categories',
    'subresources',
  ]);
  assert.deepEqual(pods.responseKind, { group: '', version: '', kind: 'Pod' });
  assert.deepEqual(
    pods.subresources.map((s: Json) => s.subresource),
    ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'status'],
  );
  const eviction = pods.subresources.find((s: Json) => s.subresource === 'eviction');
  assert.deepEqual(eviction, {
    subresource: 'eviction',
    responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' },
    verbs: ['create'],
  });
  const ns = resources.find((r) => r.resource === 'namespaces')!;
  assert.equal(ns.scope, 'Cluster');
  // bindings has no subresources key at all (omitempty)
  assert.ok(!('subresources' in resources.find((r) => r.resource === 'bindings')!));
});

test('aggregated /apis: named groups, same order as /apis', () => {
  const doc = aggregatedDiscoveryDocument('apis') as Json;
  assert.deepEqual(
    doc.items.map((i: Json) => i.metadata),
    [
      { name: 'apps', creationTimestamp: null },
      { name: 'authentication.k8s.io', creationTimestamp: null },
      { name: 'authorization.k8s.io', creationTimestamp: null },
      { name: 'batch', creationTimestamp: null },
      { name: 'rbac.authorization.k8s.io', creationTimestamp: null },
    ],
  );
  const batch = doc.items[3].versions[0].resources as Json[];
  assert.deepEqual(batch[0], {
    resource: 'cronjobs',
    responseKind: { group: '', version: '', kind: 'CronJob' },
    scope: 'Namespaced',
    singularResource: 'cronjob',
    verbs: CRUD_WATCH,
    shortNames: ['cj'],
    categories: ['all'],
    subresources: [{ subresource: 'status', responseKind: { group: '', version: '', kind: 'CronJob' }, verbs: ['get', 'patch', 'update'] }],
  });
  const deploy = (doc.items[0].versions[0].resources as Json[]).find((r) => r.resource === 'deployments')!;
  assert.deepEqual(deploy.subresources[0], {
    subresource: 'scale',
    responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    verbs: ['get', 'patch', 'update'],
  });
});
