// The doctor's pure rules: RBAC rule matching and the exposure catalogue (doctor/permissions.ts),
// the RBAC YAML it prints (doctor/manifest.ts), resolv.conf and the search list
// (doctor/resolv-conf.ts), Go's x509 host error (doctor/certificates.ts), mountinfo
// and /proc/1/root paths (doctor/gather-local.ts), and --can read as kubectl auth can-i reads it (doctor/can.ts).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import type { Discovery } from '../../scripts/lib/discovery.ts';
import { ExitError } from '../../scripts/lib/errors.ts';
import { parseCan, placeCan } from '../../scripts/lib/doctor/can.ts';
import { hostnameErrorText, sanNames } from '../../scripts/lib/doctor/certificates.ts';
import { mountPointOf, pathUnderRoot } from '../../scripts/lib/doctor/gather-local.ts';
import { grantManifest, rulesFor, subjectFor } from '../../scripts/lib/doctor/manifest.ts';
import {
  commonAccessRequests,
  exposureCatalogue,
  exposuresFromRules,
  rulesAllow,
  summariseAllowed,
  type AccessAttributes,
} from '../../scripts/lib/doctor/permissions.ts';
import { hostsFileAddresses, parseResolvConf, searchCandidates } from '../../scripts/lib/doctor/resolv-conf.ts';

const listPods: AccessAttributes = { kind: 'resource', verb: 'list', group: '', resource: 'pods', namespace: 'default' };

describe('rulesAllow (RBAC RuleAllows)', () => {
  const rules = (resourceRules: object[], nonResourceRules: object[] = []) =>
    ({ resourceRules, nonResourceRules }) as Parameters<typeof rulesAllow>[0];

  it('needs the verb, the group and the resource to match', () => {
    assert.equal(rulesAllow(rules([{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }]), listPods), true);
    assert.equal(rulesAllow(rules([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]), listPods), false);
    assert.equal(rulesAllow(rules([{ verbs: ['list'], apiGroups: ['apps'], resources: ['pods'] }]), listPods), false);
    assert.equal(rulesAllow(rules([{ verbs: ['list'], apiGroups: [''], resources: ['services'] }]), listPods), false);
  });

  it('takes * for any verb, group or resource', () => {
    assert.equal(rulesAllow(rules([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]), listPods), true);
  });

  it('matches a subresource as resource/subresource or */subresource, never by the resource alone', () => {
    const exec: AccessAttributes = { kind: 'resource', verb: 'create', group: '', resource: 'pods', subresource: 'exec' };
    assert.equal(rulesAllow(rules([{ verbs: ['create'], apiGroups: [''], resources: ['pods'] }]), exec), false);
    assert.equal(rulesAllow(rules([{ verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] }]), exec), true);
    assert.equal(rulesAllow(rules([{ verbs: ['create'], apiGroups: [''], resources: ['*/exec'] }]), exec), true);
  });

  it('lets a rule with resourceNames allow only those names', () => {
    const named = rules([{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['app'] }]);
    const get = (name?: string): AccessAttributes => ({
      kind: 'resource',
      verb: 'get',
      group: '',
      resource: 'secrets',
      ...(name && { name }),
    });
    assert.equal(rulesAllow(named, get('app')), true);
    assert.equal(rulesAllow(named, get('other')), false);
    assert.equal(rulesAllow(named, get()), false);
  });

  it('matches non-resource URLs exactly or by a trailing * prefix', () => {
    const urls = rules([], [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] }]);
    assert.equal(rulesAllow(urls, { kind: 'nonResource', verb: 'get', path: '/healthz' }), true);
    assert.equal(rulesAllow(urls, { kind: 'nonResource', verb: 'get', path: '/apis/apps/v1' }), true);
    assert.equal(rulesAllow(urls, { kind: 'nonResource', verb: 'get', path: '/metrics' }), false);
    assert.equal(rulesAllow(urls, { kind: 'nonResource', verb: 'post', path: '/healthz' }), false);
  });
});

describe('exposure', () => {
  const catalogue = exposureCatalogue('default');

  it('finds nothing in the rules every service account has (system:basic-user, discovery)', () => {
    const basic = {
      resourceRules: [
        { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
      ],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/version'] }],
    };
    assert.deepEqual(exposuresFromRules(basic, catalogue), []);
  });

  it('names reading secrets, and everything at once for * on *', () => {
    const secrets = { resourceRules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'] }], nonResourceRules: [] };
    assert.deepEqual(
      exposuresFromRules(secrets, catalogue).map((item) => [item.risk, summariseAllowed(item.allowed)]),
      [['read secrets', 'secrets: get, list']],
    );
    const admin = { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [] };
    assert.equal(exposuresFromRules(admin, catalogue).length, catalogue.length);
  });

  it('asks 24 access reviews for the common verbs when the rules review is incomplete', () => {
    const requests = commonAccessRequests('ns');
    assert.equal(requests.length, 24);
    assert.ok(requests.every((request) => request.kind === 'resource' && request.namespace === 'ns'));
  });
});

describe('grantManifest', () => {
  const sa = subjectFor('system:serviceaccount:default:app');

  it('reads the subject from the username: a service account, or a User', () => {
    assert.deepEqual(sa, { kind: 'ServiceAccount', name: 'app', namespace: 'default' });
    assert.deepEqual(subjectFor('jane'), { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane' });
  });

  it('merges the verbs of one resource into one rule, keeping names apart', () => {
    const rules = rulesFor([
      { kind: 'resource', verb: 'get', group: '', resource: 'configmaps', namespace: 'default' },
      { kind: 'resource', verb: 'list', group: '', resource: 'configmaps', namespace: 'default' },
      { kind: 'resource', verb: 'get', group: '', resource: 'configmaps', name: 'app', namespace: 'default' },
    ]);
    assert.deepEqual(rules, [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['app'], verbs: ['get'] },
    ]);
  });

  it('grants a namespaced resource with a Role and RoleBinding in the namespace', () => {
    const yaml = grantManifest([{ attributes: listPods, namespaced: true }], sa, 'default');
    const [role, binding] = parseAllDocuments(yaml).map((doc) => doc.toJS());
    assert.deepEqual(role, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'app-access', namespace: 'default' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }],
    });
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'app-access' });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'app', namespace: 'default' }]);
  });

  it('grants cluster-scoped resources and non-resource URLs with a ClusterRole, which a Role cannot', () => {
    const yaml = grantManifest(
      [
        { attributes: { kind: 'resource', verb: 'list', group: '', resource: 'nodes', namespace: 'default' }, namespaced: false },
        { attributes: { kind: 'nonResource', verb: 'get', path: '/metrics' }, namespaced: false },
      ],
      sa,
      'default',
    );
    const [role, binding] = parseAllDocuments(yaml).map((doc) => doc.toJS());
    assert.equal(role.kind, 'ClusterRole');
    assert.equal(role.metadata.name, 'default-app-access');
    assert.deepEqual(role.rules, [
      { apiGroups: [''], resources: ['nodes'], verbs: ['list'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
    assert.equal(binding.kind, 'ClusterRoleBinding');
  });

  it('writes lists of plain values in flow style, as the RBAC docs do', () => {
    const yaml = grantManifest([{ attributes: listPods, namespaced: true }], sa, 'default');
    assert.match(yaml, /^- apiGroups: \[""\]\n {2}resources: \[pods\]\n {2}verbs: \[list\]$/m);
    assert.deepEqual(parse(yaml.split('---\n')[0] ?? '').rules[0].apiGroups, ['']);
  });
});

describe('resolv.conf and the search list (glibc res_search)', () => {
  const kubelet = parseResolvConf(
    'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5 timeout:1\n',
  );

  it('reads the search list, the nameservers and ndots', () => {
    assert.deepEqual(kubelet, {
      nameservers: ['10.96.0.10'],
      search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      ndots: 5,
      options: ['timeout:1'],
    });
    assert.equal(parseResolvConf('nameserver 1.1.1.1\n').ndots, 1);
    assert.deepEqual(parseResolvConf('search a b\ndomain c\n').search, ['c']);
  });

  it('tries the search domains first when the name has fewer dots than ndots', () => {
    assert.deepEqual(searchCandidates('kubernetes.default', kubelet), [
      'kubernetes.default.default.svc.cluster.local',
      'kubernetes.default.svc.cluster.local',
      'kubernetes.default.cluster.local',
      'kubernetes.default',
    ]);
  });

  it('tries the name as is first with ndots dots or more, and only the name with a trailing dot', () => {
    assert.deepEqual(searchCandidates('a.b.c.d.e.f', kubelet)[0], 'a.b.c.d.e.f');
    assert.deepEqual(searchCandidates('kubernetes.default.svc.cluster.local.', kubelet), ['kubernetes.default.svc.cluster.local']);
  });

  it('finds a name in /etc/hosts, aliases and case included', () => {
    const hosts = '# comment\n127.0.0.1 localhost\n::1 kubernetes Kubernetes.Default.svc # the service\n';
    assert.deepEqual(hostsFileAddresses(hosts, 'kubernetes.default.svc'), ['::1']);
    assert.deepEqual(hostsFileAddresses(hosts, 'kubernetes.default'), []);
  });
});

describe('hostnameErrorText (crypto/x509 HostnameError)', () => {
  const cert = (sans: string) => ({ subjectAltNames: sans.split(', ') });

  it('says an address needs IP SANs, as kubectl prints it', () => {
    assert.equal(
      hostnameErrorText('127.0.0.1', cert('DNS:kubernetes, DNS:kubernetes.default.svc')),
      "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
    );
  });

  it('lists the IP SANs (IPv6 compressed, as Go prints it) for an address, the DNS SANs for a name', () => {
    const both = cert('DNS:kubernetes, IP Address:10.96.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.equal(hostnameErrorText('10.0.0.1', both), 'x509: certificate is valid for 10.96.0.1, ::1, not 10.0.0.1');
    assert.equal(hostnameErrorText('kubernetes.default', both), 'x509: certificate is valid for kubernetes, not kubernetes.default');
    assert.deepEqual(sanNames(both), { dns: ['kubernetes'], ips: ['10.96.0.1', '::1'] });
  });
});

describe('mountPointOf (/proc/self/mountinfo)', () => {
  const mountinfo = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    '130 129 254:0 /tmp/x/sa /run/secrets/kubernetes.io/serviceaccount ro,relatime - ext4 /dev/vda rw',
    '131 22 0:5 / /run/with\\040space rw - tmpfs tmpfs rw',
  ].join('\n');

  it('finds the longest mount point holding the path, with its read-only flag', () => {
    assert.deepEqual(mountPointOf(mountinfo, '/run/secrets/kubernetes.io/serviceaccount'), {
      path: '/run/secrets/kubernetes.io/serviceaccount',
      readOnly: true,
      fsType: 'ext4',
    });
    assert.deepEqual(mountPointOf(mountinfo, '/etc'), { path: '/', readOnly: false, fsType: 'ext4' });
    assert.equal(mountPointOf(mountinfo, '/run/with space/x')?.path, '/run/with space');
  });
});

describe('--can (kubectl auth can-i arguments)', () => {
  const discovery: Discovery = {
    groups: [{ name: '', versions: ['v1'], preferredVersion: 'v1' }],
    resources: new Map([
      [
        'v1',
        [
          { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node' },
          { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'] },
        ],
      ],
    ]),
  };

  it('is a usage error, in kubectl words, unless it is VERB and RESOURCE', () => {
    assert.throws(
      () => parseCan('list'),
      (err: unknown) => err instanceof ExitError && err.exitCode === 2 && /^--can "list": you must specify two arguments/.test(err.message),
    );
  });

  it('maps short names and names as kubectl does, and knows a cluster-scoped resource', () => {
    const pod = placeCan(parseCan('get  po/web'), discovery, 'team');
    assert.deepEqual(pod, {
      label: 'get po/web',
      attributes: { kind: 'resource', verb: 'get', group: '', resource: 'pods', namespace: 'team', name: 'web' },
      namespaced: true,
      warnings: [],
    });
    const nodes = placeCan(parseCan('list nodes'), discovery, 'team');
    assert.equal(nodes.namespaced, false);
    assert.deepEqual(nodes.warnings, ["resource 'nodes' is not namespace scoped"]);
  });

  it('warns, as kubectl does, about a resource discovery does not know, and asks anyway', () => {
    const unknown = placeCan(parseCan('list frobs'), discovery, 'team');
    assert.deepEqual(unknown.warnings, ["the server doesn't have a resource type 'frobs'"]);
    assert.equal(unknown.attributes.kind === 'resource' && unknown.attributes.resource, 'frobs');
  });

  it('asks a non-resource URL as one, scoped to the cluster', () => {
    assert.deepEqual(placeCan(parseCan('get /metrics'), discovery, 'team'), {
      label: 'get /metrics',
      attributes: { kind: 'nonResource', verb: 'get', path: '/metrics' },
      namespaced: false,
      warnings: [],
    });
  });
});

describe('pathUnderRoot (a path as PID 1 sees it, through /proc/1/root)', () => {
  it('follows an absolute symlink inside the root, not ours', () => {
    const root = mkdtempSync(join(tmpdir(), 'kip-root-'));
    try {
      mkdirSync(join(root, 'run/secrets/kubernetes.io/serviceaccount'), { recursive: true });
      mkdirSync(join(root, 'var'));
      symlinkSync('/run', join(root, 'var/run'));
      assert.equal(
        pathUnderRoot(root, '/var/run/secrets/kubernetes.io/serviceaccount'),
        `${root}/run/secrets/kubernetes.io/serviceaccount`,
      );
      symlinkSync('../run', join(root, 'var/relative'));
      assert.equal(pathUnderRoot(root, '/var/relative/secrets'), `${root}/run/secrets`);
      assert.equal(pathUnderRoot(root, '/var/run/missing/x'), `${root}/run/missing/x`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
