// Expected values follow the Go sources the module ports:
// pkg/printers/internalversion/printers.go, pkg/printers/tablegenerator.go,
// apiserver registry/rest/table.go and apimachinery util/duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { findResourceType, RESOURCE_TYPES, type ResourceType } from '../../fixtures/apiserver/resources.ts';
import {
  columnsFor,
  findNodeRoles,
  humanDuration,
  partialObjectMetadata,
  tableFor,
  type IncludeObject,
} from '../../fixtures/apiserver/table.ts';

type Json = Record<string, any>;

const NOW = new Date('2025-03-01T12:00:00Z');
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function rt(group: string, name: string): ResourceType {
  const found = findResourceType(group, 'v1', name);
  assert.ok(found, `${group}/${name} is registered`);
  return found;
}

function table(group: string, name: string, objects: Json[], includeObject: IncludeObject = 'None'): Json {
  return tableFor(rt(group, name), objects, { includeObject, resourceVersion: '100', now: NOW }) as Json;
}

function cells(group: string, name: string, obj: Json): unknown[] {
  return table(group, name, [obj]).rows[0].cells;
}

function meta(name: string, createdSecondsAgo = 3600, extra: Json = {}): Json {
  return { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '42', creationTimestamp: ago(createdSecondsAgo), ...extra };
}

// ---------------------------------------------------------------------------

test('HumanDuration thresholds match duration.go', () => {
  const s = 1000;
  const cases: [number, string][] = [
    [0, '0s'],
    [-1500, '0s'], // up to 2s of clock skew reads as now
    [-2500, '<invalid>'],
    [59 * s, '59s'],
    [90 * s, '90s'], // seconds are kept up to 2 minutes
    [119 * s, '119s'],
    [120 * s, '2m'],
    [125 * s, '2m5s'],
    [9 * 60 * s + 59 * s, '9m59s'],
    [10 * 60 * s + 30 * s, '10m'],
    [179 * 60 * s, '179m'], // minutes up to 3 hours
    [3 * 3600 * s, '3h'],
    [3 * 3600 * s + 30 * 60 * s, '3h30m'],
    [8 * 3600 * s + 30 * 60 * s, '8h'],
    [47 * 3600 * s, '47h'],
    [48 * 3600 * s, '2d'],
    [3 * 86400 * s, '3d'],
    [3 * 86400 * s + 5 * 3600 * s, '3d5h'],
    [8 * 86400 * s + 5 * 3600 * s, '8d'],
    [400 * 86400 * s, '400d'],
    [730 * 86400 * s, '2y'],
    [800 * 86400 * s, '2y70d'],
    [9 * 365 * 86400 * s, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('Table shape and key order', () => {
  const t = tableFor(rt('', 'namespaces'), [{ metadata: meta('default', 90), status: { phase: 'Active' } }], {
    includeObject: 'Metadata',
    resourceVersion: '123',
    continueToken: 'abc',
    remainingItemCount: 5,
    now: NOW,
  }) as Json;
  assert.deepEqual(Object.keys(t), ['kind', 'apiVersion', 'metadata', 'columnDefinitions', 'rows']);
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.metadata, { resourceVersion: '123', continue: 'abc', remainingItemCount: 5 });
  assert.deepEqual(Object.keys(t.metadata), ['resourceVersion', 'continue', 'remainingItemCount']);
  for (const c of t.columnDefinitions) assert.deepEqual(Object.keys(c), ['name', 'type', 'format', 'description', 'priority']);
  assert.deepEqual(t.rows[0].cells, ['default', 'Active', '90s']);
  assert.deepEqual(Object.keys(t.rows[0]), ['cells', 'object']);
});

test('includeObject: Metadata -> PartialObjectMetadata, Object -> full object, None -> null', () => {
  const obj = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    // deliberately out of ObjectMeta order, with empty fields that omitempty drops
    metadata: {
      labels: { a: 'b' },
      name: 'cm',
      creationTimestamp: ago(10),
      namespace: 'default',
      annotations: {},
      uid: 'u1',
      resourceVersion: '9',
      generateName: '',
    },
    data: { k: 'v' },
  };
  const withMeta = table('', 'configmaps', [obj], 'Metadata').rows[0].object;
  assert.deepEqual(Object.keys(withMeta), ['kind', 'apiVersion', 'metadata']);
  assert.equal(withMeta.kind, 'PartialObjectMetadata');
  assert.equal(withMeta.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(Object.keys(withMeta.metadata), ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'labels']);
  assert.deepEqual(table('', 'configmaps', [obj], 'Object').rows[0].object, obj);
  assert.equal(table('', 'configmaps', [obj], 'None').rows[0].object, null);
  // a zero creationTimestamp still serializes (metav1.Time marshals null)
  assert.deepEqual(partialObjectMetadata({ metadata: { name: 'x' } }).metadata, { name: 'x', creationTimestamp: null });
});

test('noHeaders leaves columnDefinitions null; an empty printed list has rows []', () => {
  const t = tableFor(rt('', 'pods'), [], { includeObject: 'Metadata', resourceVersion: '5', now: NOW, noHeaders: true }) as Json;
  assert.equal(t.columnDefinitions, null);
  assert.deepEqual(t.rows, []);
  assert.deepEqual(t.metadata, { resourceVersion: '5' });
});

// --- pods ---------------------------------------------------------------------

test('pod columns are the real ones', () => {
  const cols = columnsFor(rt('', 'pods'));
  assert.deepEqual(
    cols.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Ready', 'string', '', 0],
      ['Status', 'string', '', 0],
      ['Restarts', 'string', '', 0],
      ['Age', 'string', '', 0],
      ['IP', 'string', '', 1],
      ['Node', 'string', '', 1],
      ['Nominated Node', 'string', '', 1],
      ['Readiness Gates', 'string', '', 1],
    ],
  );
  assert.equal(cols[1]!.description, 'The aggregate readiness state of this pod for accepting traffic.');
  assert.equal(
    cols[3]!.description,
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  );
  assert.ok(cols[4]!.description.startsWith('CreationTimestamp is a timestamp representing the server time'));
  assert.ok(cols[4]!.description.includes('UTC.\n\nPopulated by the system.'));
});

test('running pod: 1/1 Running 0', () => {
  const pod = {
    metadata: meta('web', 3 * 86400),
    spec: { containers: [{ name: 'c', image: 'nginx' }], nodeName: 'node-1' },
    status: {
      phase: 'Running',
      podIP: '10.1.0.7',
      podIPs: [{ ip: '10.1.0.7' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'c', ready: true, started: true, restartCount: 0, state: { running: { startedAt: ago(100) } } }],
    },
  };
  assert.deepEqual(cells('', 'pods', pod), ['web', '1/1', 'Running', '0', '3d', '10.1.0.7', 'node-1', '<none>', '<none>']);
  assert.ok(!('conditions' in table('', 'pods', [pod]).rows[0]));
});

test('CrashLoopBackOff pod: waiting reason wins, restarts show the last restart', () => {
  const pod = {
    metadata: meta('crash', 3 * 3600),
    spec: { containers: [{ name: 'app', image: 'busybox' }], nodeName: 'node-1' },
    status: {
      phase: 'Running',
      podIP: '10.1.0.8',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 8,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(270) } },
        },
      ],
    },
  };
  // podIPs absent: the v1->internal conversion derives it from podIP
  assert.deepEqual(cells('', 'pods', pod), [
    'crash',
    '0/1',
    'CrashLoopBackOff',
    '8 (4m30s ago)',
    '3h',
    '10.1.0.8',
    'node-1',
    '<none>',
    '<none>',
  ]);
});

test('pod status for init containers, completion, failure and deletion', () => {
  const base = { metadata: meta('p', 60), spec: { containers: [{ name: 'c' }], initContainers: [{ name: 'init' }] } };
  const pending = { ...base, status: { phase: 'Pending', initContainerStatuses: [{ name: 'init', state: { running: {} } }] } };
  assert.equal(cells('', 'pods', pending)[2], 'Init:0/1');
  const pull = {
    ...base,
    status: { phase: 'Pending', initContainerStatuses: [{ name: 'init', state: { waiting: { reason: 'ErrImagePull' } } }] },
  };
  assert.equal(cells('', 'pods', pull)[2], 'Init:ErrImagePull');
  const initFailed = {
    ...base,
    status: { phase: 'Pending', initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 2 } } }] },
  };
  assert.equal(cells('', 'pods', initFailed)[2], 'Init:ExitCode:2');

  const done = {
    metadata: meta('job-pod', 600),
    spec: { containers: [{ name: 'c' }] },
    status: {
      phase: 'Succeeded',
      containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    },
  };
  const row = table('', 'pods', [done]).rows[0];
  assert.equal(row.cells[2], 'Completed');
  assert.deepEqual(Object.keys(row), ['cells', 'conditions', 'object']);
  assert.deepEqual(row.conditions, [
    { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
  ]);

  const failed = { ...done, status: { phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 137 } } }] } };
  const failedRow = table('', 'pods', [failed]).rows[0];
  assert.equal(failedRow.cells[2], 'ExitCode:137');
  assert.deepEqual(failedRow.conditions, [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]);

  const deleting = {
    metadata: meta('bye', 60, { deletionTimestamp: ago(1) }),
    spec: { containers: [{ name: 'c' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: true, state: { running: {} } }] },
  };
  assert.equal(cells('', 'pods', deleting)[2], 'Terminating');

  const gated = {
    metadata: meta('g', 5),
    spec: { containers: [{ name: 'c' }] },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] },
  };
  assert.deepEqual(cells('', 'pods', gated).slice(1, 4), ['0/1', 'SchedulingGated', '0']);
});

test('sidecar (restartable init container) counts towards READY total', () => {
  const pod = {
    metadata: meta('side', 60),
    spec: {
      initContainers: [{ name: 'proxy', restartPolicy: 'Always' }],
      containers: [{ name: 'app' }],
      readinessGates: [{ conditionType: 'example.com/gate' }],
    },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
        { type: 'example.com/gate', status: 'True' },
      ],
      initContainerStatuses: [{ name: 'proxy', ready: true, started: true, restartCount: 1, state: { running: {} } }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }],
    },
  };
  const c = cells('', 'pods', pod);
  assert.deepEqual([c[1], c[2], c[3], c[8]], ['2/2', 'Running', '1', '1/1']);
});

// --- nodes and cluster objects -----------------------------------------------

test('node STATUS and ROLES', () => {
  const node = (labels: Json, conditions: Json[], unschedulable?: boolean): Json => ({
    metadata: { name: 'node-1', uid: 'n', creationTimestamp: ago(20 * 86400), labels },
    spec: unschedulable ? { unschedulable: true } : {},
    status: {
      conditions,
      addresses: [
        { type: 'InternalIP', address: '172.18.0.2' },
        { type: 'Hostname', address: 'node-1' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.2',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.8.0',
        containerRuntimeVersion: 'containerd://1.7.24',
      },
    },
  });
  const ready = [
    { type: 'MemoryPressure', status: 'False' },
    { type: 'Ready', status: 'True' },
  ];
  assert.deepEqual(cells('', 'nodes', node({ 'node-role.kubernetes.io/control-plane': '' }, ready)), [
    'node-1',
    'Ready',
    'control-plane',
    '20d',
    'v1.32.2',
    '172.18.0.2',
    '<none>',
    'Debian GNU/Linux 12 (bookworm)',
    '6.8.0',
    'containerd://1.7.24',
  ]);
  assert.deepEqual(cells('', 'nodes', node({}, [{ type: 'Ready', status: 'Unknown' }], true)).slice(1, 3), [
    'NotReady,SchedulingDisabled',
    '<none>',
  ]);
  assert.equal(cells('', 'nodes', node({}, []))[1], 'Unknown');
  assert.deepEqual(
    findNodeRoles({ 'node-role.kubernetes.io/worker': '', 'kubernetes.io/role': 'infra', 'node-role.kubernetes.io/': 'x' }),
    ['infra', 'worker'],
  );
});

test('namespaces, configmaps, secrets, serviceaccounts', () => {
  assert.deepEqual(cells('', 'namespaces', { metadata: meta('kube-system', 7200), status: { phase: 'Active' } }), [
    'kube-system',
    'Active',
    '120m',
  ]);
  assert.deepEqual(
    cells('', 'configmaps', { metadata: meta('kube-root-ca.crt', 300), data: { 'ca.crt': 'x' }, binaryData: { blob: 'AA==' } }),
    ['kube-root-ca.crt', 2, '5m'],
  );
  assert.deepEqual(cells('', 'configmaps', { metadata: meta('empty', 1) }), ['empty', 0, '1s']);
  assert.deepEqual(
    cells('', 'secrets', { metadata: meta('tls', 60), type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } }),
    ['tls', 'kubernetes.io/tls', 2, '60s'],
  );
  assert.deepEqual(cells('', 'serviceaccounts', { metadata: meta('default', 600) }), ['default', 0, '10m']);
  assert.deepEqual(
    columnsFor(rt('', 'serviceaccounts')).map((c) => c.name),
    ['Name', 'Secrets', 'Age'],
  );
});

test('services: ClusterIP shows <none> external IP and 443/TCP', () => {
  const svc = {
    metadata: meta('kubernetes', 86400 * 6 + 4 * 3600),
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.1',
      clusterIPs: ['10.96.0.1'],
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
    },
  };
  assert.deepEqual(cells('', 'services', svc), ['kubernetes', 'ClusterIP', '10.96.0.1', '<none>', '443/TCP', '6d4h', '<none>']);
  const np = {
    metadata: meta('web', 60),
    spec: {
      type: 'NodePort',
      clusterIPs: ['10.96.3.4'],
      selector: { app: 'web', tier: 'fe' },
      ports: [
        { port: 80, nodePort: 30080, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
    },
  };
  assert.deepEqual(cells('', 'services', np), ['web', 'NodePort', '10.96.3.4', '<none>', '80:30080/TCP,53/UDP', '60s', 'app=web,tier=fe']);
  const lb = {
    metadata: meta('lb', 60),
    spec: { type: 'LoadBalancer', clusterIPs: ['10.96.9.9'], ports: [{ port: 80, protocol: 'TCP' }] },
    status: {},
  };
  assert.equal(cells('', 'services', lb)[3], '<pending>');
  assert.deepEqual(
    columnsFor(rt('', 'services')).map((c) => c.name),
    ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector'],
  );
});

test('endpoints list the first three addresses', () => {
  const ep = {
    metadata: meta('kube-dns', 60),
    subsets: [
      {
        addresses: [{ ip: '10.1.0.20' }, { ip: '10.1.0.21' }],
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          { name: 'metrics', port: 9153 },
        ],
      },
    ],
  };
  assert.equal(cells('', 'endpoints', ep)[1], '10.1.0.20:53,10.1.0.21:53,10.1.0.20:53 + 3 more...');
  assert.equal(cells('', 'endpoints', { metadata: meta('none', 60) })[1], '<none>');
});

// --- workloads ----------------------------------------------------------------

const podTemplate = {
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'web', image: 'nginx:1.27' },
      { name: 'sidecar', image: 'busybox' },
    ],
  },
};

test('deployments, replicasets, daemonsets, statefulsets', () => {
  const deploy = {
    metadata: meta('web', 600),
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: podTemplate },
    status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
  };
  assert.deepEqual(cells('apps', 'deployments', deploy), ['web', '2/3', 3, 2, '10m', 'web,sidecar', 'nginx:1.27,busybox', 'app=web']);
  assert.deepEqual(
    columnsFor(rt('apps', 'deployments')).map((c) => c.name),
    ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector'],
  );

  const rs = {
    metadata: meta('web-5d8f', 600),
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }] },
      template: podTemplate,
    },
    status: { replicas: 3, readyReplicas: 3 },
  };
  assert.deepEqual(cells('apps', 'replicasets', rs), [
    'web-5d8f',
    3,
    3,
    3,
    '10m',
    'web,sidecar',
    'nginx:1.27,busybox',
    'app=web,tier in (be,fe)',
  ]);

  const ds = {
    metadata: meta('kube-proxy', 86400),
    spec: {
      selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
      template: {
        spec: {
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.32.2' }],
        },
      },
    },
    status: { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1 },
  };
  assert.deepEqual(cells('apps', 'daemonsets', ds), [
    'kube-proxy',
    1,
    1,
    1,
    1,
    1,
    'kubernetes.io/os=linux',
    '24h',
    'kube-proxy',
    'registry.k8s.io/kube-proxy:v1.32.2',
    'k8s-app=kube-proxy',
  ]);
  assert.deepEqual(
    columnsFor(rt('apps', 'daemonsets')).map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Desired', 'integer', 0],
      ['Current', 'integer', 0],
      ['Ready', 'integer', 0],
      ['Up-to-date', 'integer', 0],
      ['Available', 'integer', 0],
      ['Node Selector', 'string', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ],
  );
  const noSelectorDs = { ...ds, spec: { ...ds.spec, template: { spec: { containers: [] } } } };
  assert.equal(cells('apps', 'daemonsets', noSelectorDs)[6], '<none>');

  const sts = { metadata: meta('db', 60), spec: { replicas: 2, template: podTemplate }, status: { readyReplicas: 1 } };
  assert.deepEqual(cells('apps', 'statefulsets', sts), ['db', '1/2', '60s', 'web,sidecar', 'nginx:1.27,busybox']);
});

test('jobs and cronjobs', () => {
  const job = {
    metadata: meta('pi', 900),
    spec: {
      completions: 1,
      parallelism: 1,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } },
      template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } },
    },
    status: {
      succeeded: 1,
      startTime: ago(900),
      completionTime: ago(860),
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True' },
        { type: 'Complete', status: 'True' },
      ],
    },
  };
  assert.deepEqual(cells('batch', 'jobs', job), [
    'pi',
    'Complete',
    '1/1',
    '40s',
    '15m',
    'pi',
    'perl',
    'batch.kubernetes.io/controller-uid=abc',
  ]);
  const running = {
    metadata: meta('work', 30),
    spec: { parallelism: 3, template: { spec: { containers: [] } } },
    status: { startTime: ago(25) },
  };
  assert.deepEqual(cells('batch', 'jobs', running).slice(1, 4), ['Running', '0/1 of 3', '25s']);
  assert.deepEqual(
    columnsFor(rt('batch', 'jobs')).map((c) => c.name),
    ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector'],
  );

  const cj = {
    metadata: meta('hello', 3 * 60 + 12),
    spec: {
      schedule: '*/1 * * * *',
      suspend: false,
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox:1.28' }] } } } },
    },
    status: { lastScheduleTime: ago(27) },
  };
  assert.deepEqual(cells('batch', 'cronjobs', cj), [
    'hello',
    '*/1 * * * *',
    '<none>',
    'False',
    0,
    '27s',
    '3m12s',
    'hello',
    'busybox:1.28',
    '<none>',
  ]);
  assert.deepEqual(
    columnsFor(rt('batch', 'cronjobs'))
      .map((c) => [c.name, c.type])
      .slice(0, 7),
    [
      ['Name', 'string'],
      ['Schedule', 'string'],
      ['Timezone', 'string'],
      ['Suspend', 'boolean'],
      ['Active', 'integer'],
      ['Last Schedule', 'string'],
      ['Age', 'string'],
    ],
  );
  // without spec.suspend the internal *bool is nil
  assert.equal(cells('batch', 'cronjobs', { metadata: meta('x', 1), spec: { schedule: '@daily', timeZone: 'Etc/UTC' } })[2], 'Etc/UTC');
  assert.equal(cells('batch', 'cronjobs', { metadata: meta('x', 1), spec: { schedule: '@daily' } })[3], '<unset>');
});

// --- rbac and the default convertor ------------------------------------------

test('roles and clusterroles use the default convertor: Name + Created At (date)', () => {
  const created = '2025-02-27T08:30:00Z';
  const t = table('rbac.authorization.k8s.io', 'roles', [
    { metadata: { name: 'pod-reader', namespace: 'default', creationTimestamp: created }, rules: [] },
  ]);
  assert.deepEqual(
    t.columnDefinitions.map((c: Json) => [c.name, c.type, c.format]),
    [
      ['Name', 'string', 'name'],
      ['Created At', 'date', ''],
    ],
  );
  assert.deepEqual(t.rows[0].cells, ['pod-reader', created]);
  assert.deepEqual(
    columnsFor(rt('rbac.authorization.k8s.io', 'clusterroles')).map((c) => c.name),
    ['Name', 'Created At'],
  );
  assert.deepEqual(
    columnsFor(rt('', 'limitranges')).map((c) => c.name),
    ['Name', 'Created At'],
  );
  // the default convertor appends to a nil slice: an empty list is "rows":null
  assert.equal(table('rbac.authorization.k8s.io', 'clusterroles', []).rows, null);
});

test('rolebindings show ROLE as Kind/name and wide subject columns', () => {
  const rb = {
    metadata: meta('read-pods', 3600),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
    subjects: [
      { kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'default', namespace: 'default' },
      { kind: 'Group', name: 'devs', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'builder', namespace: 'ci' },
    ],
  };
  assert.deepEqual(cells('rbac.authorization.k8s.io', 'rolebindings', rb), [
    'read-pods',
    'Role/pod-reader',
    '60m',
    'jane',
    'devs',
    'default/default, ci/builder',
  ]);
  const cols = columnsFor(rt('rbac.authorization.k8s.io', 'clusterrolebindings'));
  assert.deepEqual(
    cols.map((c) => [c.name, c.priority]),
    [
      ['Name', 0],
      ['Role', 0],
      ['Age', 0],
      ['Users', 1],
      ['Groups', 1],
      ['ServiceAccounts', 1],
    ],
  );
  assert.equal(cols[3]!.description, 'Users in the clusterRoleBinding');
});

test('scale subresource prints Desired/Available', () => {
  const scale = {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: meta('web', 60),
    spec: { replicas: 3 },
    status: { replicas: 2, selector: 'app=web' },
  };
  const t = table('apps', 'deployments/scale', [scale]);
  assert.deepEqual(
    t.columnDefinitions.map((c: Json) => [c.name, c.format]),
    [
      ['Name', ''],
      ['Desired', ''],
      ['Available', ''],
      ['Age', ''],
    ],
  );
  assert.deepEqual(t.rows[0].cells, ['web', 3, 2, '60s']);
});

test('status subresource shares the parent printer', () => {
  assert.deepEqual(
    columnsFor(rt('', 'pods/status')).map((c) => c.name),
    columnsFor(rt('', 'pods')).map((c) => c.name),
  );
});

test('events print LAST SEEN / TYPE / REASON / OBJECT / MESSAGE plus wide columns', () => {
  const ev = {
    metadata: meta('web.17f2', 600),
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: 'spec.containers{web}' },
    reason: 'Pulled',
    message: 'Container image "nginx" already present on machine\n',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(600),
    lastTimestamp: ago(30),
    count: 3,
    type: 'Normal',
  };
  assert.deepEqual(cells('', 'events', ev), [
    '30s',
    'Normal',
    'Pulled',
    'pod/web',
    'spec.containers{web}',
    'kubelet, node-1',
    'Container image "nginx" already present on machine',
    '10m',
    3,
    'web.17f2',
  ]);
  const singleton = {
    metadata: meta('e2', 5),
    involvedObject: { kind: 'Node', name: 'node-1' },
    eventTime: '2025-03-01T11:59:50.123456Z',
    reportingComponent: 'kubelet',
    type: 'Normal',
    reason: 'Starting',
  };
  const c = cells('', 'events', singleton);
  // 9.877s truncates to 9s, as Go's int(d.Seconds()) does
  assert.deepEqual([c[0], c[5], c[7], c[8]], ['9s', 'kubelet', '9s', 1]);
});

test('replicasets and replicationcontrollers share columns but print their own selector form', () => {
  const template = { spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  const rs = {
    metadata: meta('web-1', 90),
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
    status: { replicas: 3, readyReplicas: 2 },
  };
  const rc = {
    metadata: meta('web-1', 90),
    spec: { replicas: 3, selector: { app: 'web' }, template },
    status: { replicas: 3, readyReplicas: 2 },
  };
  const rsTable = table('apps', 'replicasets', [rs]);
  const rcTable = table('', 'replicationcontrollers', [rc]);
  assert.deepEqual(
    rsTable.columnDefinitions.map((c: Json) => c.name),
    ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector'],
  );
  assert.deepEqual(rsTable.rows[0].cells, ['web-1', 3, 3, 2, '90s', 'c', 'nginx', 'app=web']);
  assert.deepEqual(rcTable.rows[0].cells, rsTable.rows[0].cells);
});

// Column lists (table/columns.ts) and print funcs (table/<group>.ts) live in
// different files; a row must still carry exactly one cell per column.
test('every resource type prints one cell per column, for a bare and a populated object', () => {
  const populated = {
    metadata: meta('x', 60),
    spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'i' }] } }, selector: { matchLabels: { a: 'b' } } },
    status: { replicas: 2, readyReplicas: 1, phase: 'Running' },
  };
  for (const r of RESOURCE_TYPES) {
    const columns = columnsFor(r);
    for (const obj of [{}, populated]) {
      const t = tableFor(r, [obj], { includeObject: 'None', resourceVersion: '1', now: NOW }) as Json;
      assert.equal(t.rows[0].cells.length, columns.length, `${r.group}/${r.name}`);
      assert.deepEqual(t.columnDefinitions, columns, `${r.group}/${r.name}`);
    }
  }
});

test('workloads with a pod template end in Age, then wide Containers, Images (and Selector)', () => {
  const tail = (group: string, name: string) =>
    columnsFor(rt(group, name))
      .map((c) => `${c.name}:${c.priority}`)
      .slice(-4);
  for (const [group, name] of [
    ['', 'replicationcontrollers'],
    ['apps', 'replicasets'],
    ['apps', 'daemonsets'],
    ['apps', 'deployments'],
    ['batch', 'jobs'],
    ['batch', 'cronjobs'],
  ]) {
    assert.deepEqual(tail(group, name), ['Age:0', 'Containers:1', 'Images:1', 'Selector:1'], `${group}/${name}`);
  }
  assert.deepEqual(
    columnsFor(rt('apps', 'statefulsets')).map((c) => `${c.name}:${c.priority}`),
    ['Name:0', 'Ready:0', 'Age:0', 'Containers:1', 'Images:1'],
  );
});
