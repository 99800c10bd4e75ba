// scripts/lib/discovery.ts (kubectl's RESTMapper: client-go restmapper, apimachinery pkg/api/meta)
// and scripts/lib/auth/can-i-query.ts (kubectl pkg/cmd/auth/cani.go Complete, Validate, resourceFor).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guessResourceForKind, namespacedIn, parseResourceArg, RestMapper, type Discovery } from '../../scripts/lib/discovery.ts';
import { canIQuery, nonResourceQuestion, resolveResource, resourceQuestion, type CanIFlags } from '../../scripts/lib/auth/can-i-query.ts';
import { isExitError } from '../../scripts/lib/errors.ts';

/** A slice of a 1.32 cluster's discovery (api/discovery/*.json in kubernetes/kubernetes), in server order. */
const DISCOVERY: Discovery = {
  groups: [
    { name: '', versions: ['v1'], preferredVersion: 'v1' },
    { name: 'apps', versions: ['v1'], preferredVersion: 'v1' },
    { name: 'events.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
    { name: 'autoscaling', versions: ['v2', 'v1'], preferredVersion: 'v2' },
    { name: 'batch', versions: ['v1'], preferredVersion: 'v1' },
    { name: 'storage.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
    { name: 'extensions.example.com', versions: ['v1'], preferredVersion: 'v1' },
  ],
  resources: new Map([
    [
      'v1',
      [
        { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'] },
        { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod' },
        { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', shortNames: ['no'] },
        { name: 'events', singularName: 'event', namespaced: true, kind: 'Event', shortNames: ['ev'] },
        { name: 'endpoints', singularName: '', namespaced: true, kind: 'Endpoints', shortNames: ['ep'] },
      ],
    ],
    ['apps/v1', [{ name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', shortNames: ['deploy'] }]],
    ['events.k8s.io/v1', [{ name: 'events', singularName: 'event', namespaced: true, kind: 'Event', shortNames: ['ev'] }]],
    [
      'autoscaling/v2',
      [
        {
          name: 'horizontalpodautoscalers',
          singularName: 'horizontalpodautoscaler',
          namespaced: true,
          kind: 'HorizontalPodAutoscaler',
          shortNames: ['hpa'],
        },
      ],
    ],
    [
      'autoscaling/v1',
      [
        {
          name: 'horizontalpodautoscalers',
          singularName: 'horizontalpodautoscaler',
          namespaced: true,
          kind: 'HorizontalPodAutoscaler',
          shortNames: ['hpa'],
        },
      ],
    ],
    ['batch/v1', [{ name: 'jobs', singularName: 'job', namespaced: true, kind: 'Job' }]],
    [
      'storage.k8s.io/v1',
      [{ name: 'storageclasses', singularName: 'storageclass', namespaced: false, kind: 'StorageClass', shortNames: ['sc'] }],
    ],
    ['extensions.example.com/v1', [{ name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', shortNames: ['wd'] }]],
  ]),
};

function resolve(arg: string): { gvr: string; warnings: string[] } {
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);
  const { group, version, resource } = resolveResource(new RestMapper(DISCOVERY, warn), arg, warn);
  return { gvr: `${group}/${version}/${resource}`, warnings };
}

describe('parseResourceArg', () => {
  it('splits at the first dot, and tries three or more parts as resource.version.group', () => {
    assert.deepEqual(parseResourceArg('pods'), { groupResource: { group: '', resource: 'pods' } });
    assert.deepEqual(parseResourceArg('deployments.apps'), { groupResource: { group: 'apps', resource: 'deployments' } });
    assert.deepEqual(parseResourceArg('storageclasses.storage.k8s.io'), {
      fullySpecified: { resource: 'storageclasses', version: 'storage', group: 'k8s.io' },
      groupResource: { group: 'storage.k8s.io', resource: 'storageclasses' },
    });
  });
});

describe('guessResourceForKind', () => {
  it('pluralises as UnsafeGuessKindToResource does', () => {
    assert.deepEqual(guessResourceForKind('PodList'), { plural: 'podlists', singular: 'podlist' });
    assert.deepEqual(guessResourceForKind('Ingress'), { plural: 'ingresses', singular: 'ingress' });
    assert.deepEqual(guessResourceForKind('NetworkPolicy'), { plural: 'networkpolicies', singular: 'networkpolicy' });
    assert.deepEqual(guessResourceForKind('Endpoints'), { plural: 'endpoints', singular: 'endpoints' });
  });
});

describe('resolveResource (cani.go resourceFor over the RESTMapper)', () => {
  it('maps plural, singular, short, upper-case and group-qualified names', () => {
    for (const [arg, gvr] of [
      ['pods', '/v1/pods'],
      ['pod', '/v1/pods'],
      ['po', '/v1/pods'],
      ['PODS', '/v1/pods'],
      ['deploy', 'apps/v1/deployments'],
      ['deployments.apps', 'apps/v1/deployments'],
      ['deployment.apps', 'apps/v1/deployments'],
      ['deployments.v1.apps', 'apps/v1/deployments'],
      ['jobs', 'batch/v1/jobs'],
      ['endpoints', '/v1/endpoints'],
      ['*', '//*'],
    ]) {
      assert.deepEqual(resolve(arg), { gvr, warnings: [] }, arg);
    }
  });

  it('prefers the preferred version, and a group prefix will do', () => {
    assert.equal(resolve('hpa').gvr, 'autoscaling/v2/horizontalpodautoscalers');
    assert.equal(resolve('horizontalpodautoscalers.v1.autoscaling').gvr, 'autoscaling/v1/horizontalpodautoscalers');
    assert.equal(resolve('storageclasses.storage').gvr, 'storage.k8s.io/v1/storageclasses');
    assert.equal(resolve('storageclasses.storage.k8s.io').gvr, 'storage.k8s.io/v1/storageclasses');
    assert.equal(resolve('wd.extensions').gvr, 'extensions.example.com/v1/widgets');
  });

  it('takes the core group first for a name two groups share, as the priority mapper does', () => {
    assert.deepEqual(resolve('events'), { gvr: '/v1/events', warnings: [] });
    assert.deepEqual(resolve('events.events.k8s.io'), { gvr: 'events.k8s.io/v1/events', warnings: [] });
  });

  it('warns, as client-go 1.32 does, when a short name also names another resource', () => {
    assert.deepEqual(resolve('ev'), {
      gvr: '/v1/events',
      warnings: ['short name "ev" could also match lower priority resource events.events.k8s.io'],
    });
  });

  it("sends an unknown name as typed after kubectl's warning (its trailing newline makes kubectl's blank line)", () => {
    assert.deepEqual(resolve('Foo'), { gvr: '//Foo', warnings: ["the server doesn't have a resource type 'foo'\n"] });
    assert.deepEqual(resolve('foo.bar'), {
      gvr: '//foo.bar',
      warnings: ["the server doesn't have a resource type 'foo' in group 'bar'\n"],
    });
  });

  it('knows users and groups without discovery listing them (impersonation)', () => {
    assert.deepEqual(resolve('users'), { gvr: '//users', warnings: [] });
    assert.deepEqual(resolve('groups'), { gvr: '//groups', warnings: [] });
  });

  it('finds nothing at all when discovery failed', () => {
    const warnings: string[] = [];
    const empty = new RestMapper({ groups: [], resources: new Map() });
    assert.equal(resolveResource(empty, 'pods', (m) => warnings.push(m)).resource, 'pods');
    assert.equal(warnings.length, 1);
  });
});

describe('namespacedIn', () => {
  it('reads the scope from discovery; unknown is undefined and "*" counts as namespaced', () => {
    assert.equal(namespacedIn(DISCOVERY, { group: '', version: 'v1', resource: 'pods' }), true);
    assert.equal(namespacedIn(DISCOVERY, { group: '', version: 'v1', resource: 'nodes' }), false);
    assert.equal(namespacedIn(DISCOVERY, { group: '', version: '', resource: 'foo' }), undefined);
    assert.equal(namespacedIn(DISCOVERY, { group: '', version: '', resource: '*' }), true);
  });
});

const FLAGS: CanIFlags = { list: false, quiet: false, allNamespaces: false, noHeaders: false, subresource: '' };

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(isExitError(err) && err.exitCode === 2 && err.showUsage);
    return err.message;
  }
  return assert.fail('expected a usage error');
}

describe('canIQuery (cani.go Complete and Validate)', () => {
  it('reads VERB RESOURCE/NAME, VERB /URL and --list', () => {
    assert.deepEqual(canIQuery(['get', 'pods/web'], { ...FLAGS, subresource: 'log' }), {
      kind: 'resource',
      verb: 'get',
      resourceArg: 'pods',
      name: 'web',
      subresource: 'log',
    });
    assert.deepEqual(canIQuery(['get', '/logs/'], FLAGS), { kind: 'nonResource', verb: 'get', path: '/logs/' });
    assert.deepEqual(canIQuery([], { ...FLAGS, list: true, noHeaders: true }), { kind: 'list', headers: false });
  });

  it("refuses what kubectl refuses, in kubectl's words", () => {
    assert.equal(
      usageMessage(() => canIQuery(['get'], FLAGS)),
      'you must specify two arguments: verb resource or verb resource/resourceName.',
    );
    assert.equal(
      usageMessage(() => canIQuery(['get', 'pods'], { ...FLAGS, list: true })),
      'list option must be specified with no arguments',
    );
    assert.equal(
      usageMessage(() => canIQuery([], { ...FLAGS, list: true, allNamespaces: true })),
      "list option can't be specified with neither quiet, all-namespaces nor subresource options",
    );
    assert.equal(
      usageMessage(() => canIQuery(['get', '/healthz'], { ...FLAGS, subresource: 'x' })),
      '--subresource can not be used with NonResourceURL',
    );
    assert.equal(
      usageMessage(() => canIQuery(['get', 'pods'], { ...FLAGS, noHeaders: true })),
      '--no-headers cannot be set without --list specified',
    );
  });
});

describe('resourceQuestion and nonResourceQuestion (cani.go Validate, RunAccessCheck)', () => {
  const query = { kind: 'resource', verb: 'frob', resourceArg: 'nodes', name: '', subresource: '' } as const;
  const nodes = { group: '', version: 'v1', resource: 'nodes' };

  it('warns about a cluster-scoped resource and an unknown verb, unless -A', () => {
    const warnings: string[] = [];
    const question = resourceQuestion(query, nodes, {
      namespace: 'test',
      allNamespaces: false,
      discovery: DISCOVERY,
      warn: (m) => warnings.push(m),
    });
    assert.deepEqual(warnings, ["resource 'nodes' is not namespace scoped\n", "verb 'frob' is not a known verb\n"]);
    assert.deepEqual(question, {
      resourceAttributes: { namespace: 'test', verb: 'frob', group: '', resource: 'nodes', subresource: '', name: '' },
    });
    const all = resourceQuestion(query, nodes, {
      namespace: 'test',
      allNamespaces: true,
      discovery: DISCOVERY,
      warn: (m) => warnings.push(m),
    });
    assert.equal(warnings.length, 2);
    assert.equal('resourceAttributes' in all && all.resourceAttributes.namespace, '');
  });

  it('names the group of a cluster-scoped resource outside the core group', () => {
    const warnings: string[] = [];
    resourceQuestion(
      { ...query, verb: 'get' },
      { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' },
      {
        namespace: 'default',
        allNamespaces: false,
        discovery: DISCOVERY,
        warn: (m) => warnings.push(m),
      },
    );
    assert.deepEqual(warnings, ["resource 'storageclasses' is not namespace scoped in group 'storage.k8s.io'\n"]);
  });

  it('checks a non-resource verb against the HTTP verbs', () => {
    const warnings: string[] = [];
    nonResourceQuestion({ kind: 'nonResource', verb: 'head', path: '/healthz' }, (m) => warnings.push(m));
    nonResourceQuestion({ kind: 'nonResource', verb: 'list', path: '/healthz' }, (m) => warnings.push(m));
    assert.deepEqual(warnings, ["verb 'list' is not a known verb\n"]);
  });
});
