// The fake apiserver's building blocks: Go-compatible JSON, request info, selectors, the store's
// resourceVersion semantics, patches and service-account tokens.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { encodeJson } from '../../fixtures/apiserver/json.ts';
import { jsonPatch, mergePatch } from '../../fixtures/apiserver/patch.ts';
import { parseRequestInfo } from '../../fixtures/apiserver/request-info.ts';
import { parseFieldSelector, parseLabelSelector, SelectorError } from '../../fixtures/apiserver/selectors.ts';
import { forbiddenResource, notFound } from '../../fixtures/apiserver/status.ts';
import { ExpiredError, ObjectStore } from '../../fixtures/apiserver/store.ts';
import { TokenSigner } from '../../fixtures/apiserver/tokens.ts';

const query = (text = '') => new URLSearchParams(text);

describe('encodeJson', () => {
  it('indents like json.MarshalIndent without a trailing newline when pretty', () => {
    assert.equal(
      encodeJson({ kind: 'APIVersions', versions: ['v1'] }, true),
      '{\n  "kind": "APIVersions",\n  "versions": [\n    "v1"\n  ]\n}',
    );
  });
  it('writes compact JSON plus a newline like Encoder.Encode otherwise', () => {
    assert.equal(encodeJson({ a: 1 }, false), '{"a":1}\n');
  });
  it('escapes <, > and & as Go does', () => {
    assert.equal(encodeJson({ html: '<a&b>' }, false), '{"html":"\\u003ca\\u0026b\\u003e"}\n');
  });
});

describe('parseRequestInfo', () => {
  it('reads a namespaced get in a named group', () => {
    assert.deepEqual(parseRequestInfo('GET', '/apis/apps/v1/namespaces/test/daemonsets/gateway', query('resourceVersion=0')), {
      kind: 'resource',
      verb: 'get',
      group: 'apps',
      version: 'v1',
      resource: 'daemonsets',
      namespace: 'test',
      name: 'gateway',
    });
  });
  it('reads a cluster-scoped list and a watch', () => {
    assert.equal((parseRequestInfo('GET', '/api/v1/nodes', query()) as { verb: string }).verb, 'list');
    assert.equal((parseRequestInfo('GET', '/api/v1/nodes', query('watch=1')) as { verb: string }).verb, 'watch');
  });
  it('treats discovery paths as non-resource requests', () => {
    for (const path of ['/api', '/api/', '/api/v1', '/apis/batch/v1', '/version']) {
      assert.equal(parseRequestInfo('GET', path, query()).kind, 'nonResource', path);
    }
  });
  it('addresses a namespace itself with the namespace as the request namespace', () => {
    assert.deepEqual(parseRequestInfo('GET', '/api/v1/namespaces/test', query()), {
      kind: 'resource',
      verb: 'get',
      group: '',
      version: 'v1',
      resource: 'namespaces',
      namespace: 'test',
      name: 'test',
    });
  });
  it('maps subresources and create', () => {
    assert.deepEqual(parseRequestInfo('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', query()), {
      kind: 'resource',
      verb: 'create',
      group: '',
      version: 'v1',
      resource: 'serviceaccounts',
      subresource: 'token',
      namespace: 'default',
      name: 'default',
    });
  });
});

describe('selectors', () => {
  it('matches equality, set and existence label requirements', () => {
    const matches = parseLabelSelector('app=web,tier in (front, back),!legacy,env');
    assert.equal(matches({ app: 'web', tier: 'front', env: 'prod' }), true);
    assert.equal(matches({ app: 'web', tier: 'db', env: 'prod' }), false);
    assert.equal(matches({ app: 'web', tier: 'front', env: 'prod', legacy: 'y' }), false);
  });
  it('rejects unsupported field labels with the apiserver wording', () => {
    assert.throws(() => parseFieldSelector('spec.foo=1', ['metadata.name']), new SelectorError('field label not supported: spec.foo'));
    assert.equal(parseFieldSelector('metadata.name!=a', ['metadata.name'])({ 'metadata.name': 'b' }), true);
  });
});

describe('ObjectStore', () => {
  const pod = (name: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', labels },
  });
  it('sets uid, resourceVersion and creationTimestamp in ObjectMeta field order', () => {
    const store = new ObjectStore(10);
    const created = store.create('/pods', pod('a'), { setGeneration: false });
    assert.deepEqual(Object.keys(created.metadata), ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'labels']);
    assert.equal(created.metadata.resourceVersion, '11');
    assert.deepEqual(Object.keys(created).slice(0, 3), ['kind', 'apiVersion', 'metadata']);
  });
  it('lists the state as it was at an older resourceVersion', () => {
    const store = new ObjectStore(10);
    store.create('/pods', pod('a'), { setGeneration: false });
    store.create('/pods', pod('b'), { setGeneration: false });
    store.delete('/pods', 'ns', 'a');
    assert.deepEqual(
      store.list('/pods', 'ns').map((o) => o.metadata.name),
      ['b'],
    );
    assert.deepEqual(
      store.list('/pods', 'ns', 12).map((o) => o.metadata.name),
      ['a', 'b'],
    );
    assert.deepEqual(
      store.list('/pods', 'ns', 11).map((o) => o.metadata.name),
      ['a'],
    );
  });
  it('answers a resourceVersion older than its event window with ExpiredError', () => {
    const store = new ObjectStore(10);
    for (let i = 0; i < 1005; i++) store.create('/pods', pod(`p${i}`), { setGeneration: false });
    assert.throws(() => store.eventsSince(11), ExpiredError);
    assert.equal(store.eventsSince(store.resourceVersion - 2).length, 2);
  });
  it('rejects an update with a stale resourceVersion', () => {
    const store = new ObjectStore(10);
    const created = store.create('/pods', pod('a'), { setGeneration: false });
    store.update('/pods', { ...created, metadata: { ...created.metadata, labels: { changed: 'yes' } } }, { bumpGeneration: false });
    assert.throws(() => store.update('/pods', created, { bumpGeneration: false }), /the object has been modified/);
  });
  it('writes nothing for an update that changes nothing', () => {
    const store = new ObjectStore(10);
    const created = store.create('/pods', pod('a'), { setGeneration: false });
    assert.equal(store.update('/pods', created, { bumpGeneration: false }).metadata.resourceVersion, '11');
    assert.equal(store.resourceVersion, 11);
  });
});

describe('patches', () => {
  it('applies RFC 7386 merge patches, null deleting a key', () => {
    assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 } }), { a: 1, b: { d: 3, e: 4 } });
  });
  it('applies RFC 6902 operations', () => {
    assert.deepEqual(
      jsonPatch({ spec: { replicas: 1, list: [1] } }, [
        { op: 'replace', path: '/spec/replicas', value: 3 },
        { op: 'add', path: '/spec/list/-', value: 2 },
      ]),
      { spec: { replicas: 3, list: [1, 2] } },
    );
  });
});

describe('status texts', () => {
  it('words a cluster-scope list denial exactly as kube-apiserver', () => {
    const error = forbiddenResource('system:serviceaccount:default:default', { verb: 'list', group: '', resource: 'nodes' });
    assert.equal(
      error.status.message,
      'nodes is forbidden: User "system:serviceaccount:default:default" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    assert.deepEqual(error.status.details, { kind: 'nodes' });
  });
  it('qualifies a named group resource in NotFound', () => {
    assert.equal(notFound({ group: 'apps', resource: 'daemonsets' }, 'x').status.message, 'daemonsets.apps "x" not found');
  });
});

describe('TokenSigner', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signer = new TokenSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const ref = { name: 'default', uid: 'u-1' };
  it('issues a 3607 s pod-bound token with the real claim set', () => {
    const { token, claims } = signer.issueBound({ namespace: 'default', serviceAccount: ref, boundTo: { pod: { name: 'p', uid: 'p-1' } } });
    assert.equal(claims.exp - claims.iat, 3607);
    assert.equal(claims.sub, 'system:serviceaccount:default:default');
    assert.equal(claims['kubernetes.io'].warnafter, undefined);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    assert.deepEqual(header, { alg: 'RS256', kid: signer.keyId });
  });
  it('issues the extended one-year form with warnafter', () => {
    const { claims } = signer.issueBound({
      namespace: 'default',
      serviceAccount: ref,
      boundTo: { pod: { name: 'p', uid: 'p-1' } },
      extendExpiration: true,
    });
    assert.equal(claims.exp - claims.iat, 365 * 24 * 3600);
    assert.equal(claims['kubernetes.io'].warnafter, claims.iat + 3607);
  });
  it('refuses a token whose signature was altered', () => {
    const { token } = signer.issueBound({ namespace: 'default', serviceAccount: ref });
    const tampered = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.deepEqual(signer.verifySignature(tampered), { error: 'invalid signature' });
  });
});
