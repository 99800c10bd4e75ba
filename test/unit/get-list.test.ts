// scripts/lib/get/list.ts, watching.ts and kubectl-errors.ts: a list read in pages of --chunk-size
// (kubectl's limit/continue), restarted without repeats when its continue token expires, what a
// watch prints after a relist, and API errors in kubectl's words.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitError, EXIT } from '../../scripts/lib/errors.ts';
import { statusError } from '../../scripts/lib/failure.ts';
import type { ApiClient, ApiRequest } from '../../scripts/lib/http.ts';
import { createLog } from '../../scripts/lib/log.ts';
import { isExpired, kubectlMessage } from '../../scripts/lib/get/kubectl-errors.ts';
import { listPages, type ListBody } from '../../scripts/lib/get/list.ts';
import { listRequest, type Scope } from '../../scripts/lib/get/requests.ts';
import { SeenObjects } from '../../scripts/lib/get/watching.ts';

const SCOPE: Scope = {
  resource: { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true },
  namespace: 'test',
  allNamespaces: true,
  labelSelector: 'app=web',
  table: false,
};

const configMap = (name: string, resourceVersion = '1') => ({ metadata: { name, namespace: 'test', resourceVersion } });

/** The ExitError ApiClient throws for a status (its Status body kept for stdout). */
function apiError(path: string, code: number, status: object): ExitError {
  const request: ApiRequest = { method: 'GET', path };
  return statusError(
    request,
    new URL(`https://kubernetes.default.svc${path}`),
    { status: code, headers: {}, body: Buffer.from(JSON.stringify(status)) },
    'token',
  );
}

/** A client serving `pages` (by continue token) with a 410 for the tokens in `expired`. */
function pagedClient(pages: Record<string, ListBody>, expired: Set<string> = new Set()): { client: ApiClient; asked: string[] } {
  const asked: string[] = [];
  const client = {
    async send(request: ApiRequest) {
      asked.push(request.path);
      const token = new URL(request.path, 'https://x').searchParams.get('continue') ?? '';
      if (expired.delete(token)) throw apiError(request.path, 410, { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' });
      return { status: 200, headers: {}, body: Buffer.from(JSON.stringify(pages[token])) };
    },
  } as unknown as ApiClient;
  return { client, asked };
}

const page = (names: string[], next?: string): ListBody => ({
  kind: 'ConfigMapList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '100', ...(next && { continue: next }) },
  items: names.map((name) => configMap(name)),
});

async function names(generator: AsyncGenerator<ListBody>): Promise<string[][]> {
  const seen: string[][] = [];
  for await (const body of generator) seen.push((body.items ?? []).map((item) => item.metadata?.name ?? ''));
  return seen;
}

describe('listing in pages', () => {
  it('asks for --chunk-size objects at a time with the selectors, following continue until there is none', async () => {
    const { client, asked } = pagedClient({ '': page(['a', 'b'], 't1'), t1: page(['c'], '') });
    assert.deepEqual(await names(listPages(client, SCOPE, { chunkSize: 2, log: createLog({ verbose: false }) })), [['a', 'b'], ['c']]);
    assert.deepEqual(asked, [
      '/api/v1/configmaps?labelSelector=app%3Dweb&limit=2',
      '/api/v1/configmaps?labelSelector=app%3Dweb&limit=2&continue=t1',
    ]);
  });

  it('restarts an expired list from the start, says so, and hands on only what comes after what it already did', async () => {
    const warnings: string[] = [];
    const log = createLog({ verbose: false, write: (line) => warnings.push(line) });
    const { client } = pagedClient({ '': page(['a', 'b'], 't1'), t1: page(['c', 'd'], 't2'), t2: page(['e']) }, new Set(['t1']));
    // After the 410 the list starts again: a and b were handed on already.
    assert.deepEqual(await names(listPages(client, SCOPE, { chunkSize: 2, log })), [['a', 'b'], [], ['c', 'd'], ['e']]);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /^warning: the list changed too much while it was read \(410: its continue token expired after 2 objects\); listing again from the start/,
    );
  });

  it('asks for the whole list in one request with --chunk-size 0, in compact JSON, and for Tables when printing the table', () => {
    assert.deepEqual(listRequest({ ...SCOPE, table: true, labelSelector: undefined, allNamespaces: false }, 0), {
      method: 'GET',
      path: '/api/v1/namespaces/test/configmaps',
      pretty: false,
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
    });
  });
});

describe('a watch after a relist', () => {
  it('prints the objects that appeared, changed or went while it could not watch, each once', () => {
    const seen = new SeenObjects();
    seen.notePage(page(['a', 'b', 'c']));
    const relisted: ListBody = { kind: 'ConfigMapList', items: [configMap('a'), configMap('c', '7'), configMap('d', '8')] };
    assert.deepEqual(
      seen.changesFrom([relisted]).map((change) => `${change.type} ${change.object.metadata?.name}`),
      ['MODIFIED c', 'ADDED d', 'DELETED b'],
    );
    assert.deepEqual(seen.changesFrom([relisted]), [], 'nothing twice');
  });

  it('keeps the rows of a table watch, and prints a deleted row as it last was', () => {
    const seen = new SeenObjects();
    const row = (name: string, resourceVersion: string) => ({ cells: [name, '1s'], object: { metadata: { name, resourceVersion } } });
    seen.notePage({ kind: 'Table', rows: [row('a', '1'), row('b', '1')] });
    seen.noteEvent({ type: 'MODIFIED', object: { kind: 'Table', rows: [row('a', '2')] } });
    const changes = seen.changesFrom([{ kind: 'Table', rows: [row('a', '2')] }]);
    assert.deepEqual(
      changes.map((change) => [change.type, change.object.rows]),
      [['DELETED', [row('b', '1')]]],
    );
  });
});

describe('API errors as kubectl reports them', () => {
  it('quotes the Status reason and message', () => {
    const notFound = apiError('/api/v1/namespaces/test/pods/x', 404, {
      kind: 'Status',
      code: 404,
      reason: 'NotFound',
      message: 'pods "x" not found',
    });
    assert.equal(kubectlMessage(notFound), 'Error from server (NotFound): pods "x" not found');
    const unauthorized = apiError('/api', 401, { kind: 'Status', code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
    assert.equal(kubectlMessage(unauthorized), 'error: You must be logged in to the server (Unauthorized)');
    const reasonless = apiError('/api', 500, { kind: 'Status', code: 500, message: 'boom' });
    assert.equal(kubectlMessage(reasonless), 'Error from server: boom');
  });
  it('gives a body that is not a Status the words client-go gives it', () => {
    const error = new ExitError(EXIT.NOT_FOUND, 'GET https://x/apis/foo: 404 Not Found', { stdout: Buffer.from('404 page not found\n') });
    assert.equal(kubectlMessage(error), 'Error from server (NotFound): the server could not find the requested resource');
  });
  it('leaves failures that are not answers (connection, TLS) to the project codes', () => {
    assert.equal(kubectlMessage(new ExitError(EXIT.CONNECTION, 'connection refused')), undefined);
    assert.equal(isExpired(apiError('/api/v1/pods', 410, { kind: 'Status', code: 410, reason: 'Expired' })), true);
  });
});
