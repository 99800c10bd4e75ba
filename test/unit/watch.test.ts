// scripts/lib/http.ts ApiClient.stream and scripts/lib/watch.ts: streaming bodies, the watch
// requests, reconnecting from the last resourceVersion, relisting on 410 Gone, and the token path
// (a 401 on a reconnect re-reads the token file) — against a local HTTP server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ResolvedConfig } from '../../scripts/lib/config.ts';
import { flagsConfig } from './resolved-config.ts';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';
import { ApiClient, splitLines } from '../../scripts/lib/http.ts';
import { createLog } from '../../scripts/lib/log.ts';
import {
  changeFromList,
  listRequest,
  parseWatchEvent,
  watchObject,
  watchRequest,
  type KubeObject,
  type ObjectChange,
} from '../../scripts/lib/watch.ts';

const root = mkdtempSync(join(tmpdir(), 'kip-watch-'));
after(() => rmSync(root, { recursive: true, force: true }));

const COLLECTION = '/apis/apps/v1/namespaces/test/daemonsets';

function daemonSet(resourceVersion: string, numberReady = 19): KubeObject {
  return {
    kind: 'DaemonSet',
    apiVersion: 'apps/v1',
    metadata: { name: 'gateway', namespace: 'test', resourceVersion },
    status: { numberReady },
  };
}

function event(type: string, object: KubeObject): string {
  return `${JSON.stringify({ type, object })}\n`;
}

function expectExitError(err: unknown, code: number, pattern: RegExp): boolean {
  assert.ok(err instanceof ExitError, `expected an ExitError, got ${String(err)}`);
  assert.equal(err.exitCode, code, err.message);
  assert.match(err.message, pattern);
  return true;
}

describe('watch requests and events', () => {
  it('splits a body into complete non-empty lines and keeps the unterminated rest', () => {
    assert.deepEqual(splitLines('a\n\nb\r\n  \nc'), { lines: ['a', 'b'], rest: 'c' });
    assert.deepEqual(splitLines(''), { lines: [], rest: '' });
  });

  it('watches one object by name from a resourceVersion with a server-side timeout and bookmarks', () => {
    assert.deepEqual(watchRequest(COLLECTION, 'gateway', '42', 5), {
      method: 'GET',
      path: `${COLLECTION}?fieldSelector=metadata.name%3Dgateway&watch=1&resourceVersion=42&timeoutSeconds=5&allowWatchBookmarks=true`,
    });
    assert.deepEqual(listRequest(COLLECTION, 'gateway'), { method: 'GET', path: `${COLLECTION}?fieldSelector=metadata.name%3Dgateway` });
  });

  it('parses an event line and rejects lines that are not events with exit 9', () => {
    assert.deepEqual(parseWatchEvent(event('MODIFIED', daemonSet('7')).trim()), { type: 'MODIFIED', object: daemonSet('7') });
    assert.throws(
      () => parseWatchEvent('<html>'),
      (err) => expectExitError(err, EXIT.API_ERROR, /not JSON/),
    );
    assert.throws(
      () => parseWatchEvent('{"kind":"DaemonSet"}'),
      (err) => expectExitError(err, EXIT.API_ERROR, /not a watch event/),
    );
    assert.throws(
      () => parseWatchEvent('{"type":"SOMETHING","object":{}}'),
      (err) => expectExitError(err, EXIT.API_ERROR, /not a watch event/),
    );
  });

  it('reads a relist as no change, a new version, a deletion or a re-creation', () => {
    const list = (resourceVersion: string, items: KubeObject[]) => ({ kind: 'DaemonSetList', metadata: { resourceVersion }, items });
    assert.deepEqual(changeFromList(list('50', [daemonSet('7')]), daemonSet('7')), { resourceVersion: '50' });
    assert.deepEqual(changeFromList(list('50', [daemonSet('9', 20)]), daemonSet('7')), {
      resourceVersion: '50',
      change: { type: 'MODIFIED', object: daemonSet('9', 20) },
    });
    assert.deepEqual(changeFromList(list('50', []), daemonSet('7')), {
      resourceVersion: '50',
      change: { type: 'DELETED', object: daemonSet('7') },
    });
    assert.deepEqual(changeFromList(list('50', [daemonSet('9')]), undefined), {
      resourceVersion: '50',
      change: { type: 'ADDED', object: daemonSet('9') },
    });
    assert.deepEqual(changeFromList(list('50', []), undefined), { resourceVersion: '50' });
    assert.throws(
      () => changeFromList({ kind: 'Status' }, undefined),
      (err) => expectExitError(err, EXIT.API_ERROR, /not a list/),
    );
  });
});

// ---------------------------------------------------------------------------
// Against a local server

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

const configFor = (server: string, overrides: Partial<ResolvedConfig> = {}) =>
  flagsConfig(server, { namespace: 'test', namespaceSource: 'test', ...overrides });

describe('ApiClient.stream and watchObject', () => {
  let handler: Handler = (_req, res) => res.end();
  const seen: URL[] = [];
  const authorizations: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(url);
    authorizations.push(req.headers.authorization);
    handler(req, res, url);
  });
  let base = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  beforeEach(() => {
    seen.length = 0;
    authorizations.length = 0;
  });
  const client = (overrides: Partial<ResolvedConfig> = {}, requestTimeoutMs = 0) =>
    ApiClient.create(configFor(base, overrides), { scriptName: 'unit', env: {}, requestTimeoutMs });
  const streamHead = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
  };
  /** The first `count` changes of watchObject, then stop. */
  async function take(api: ApiClient, count: number, initial: KubeObject, signal?: AbortSignal): Promise<ObjectChange[]> {
    const changes: ObjectChange[] = [];
    if (count === 0) return changes;
    for await (const change of watchObject(api, {
      collectionPath: COLLECTION,
      name: 'gateway',
      initial,
      timeoutSeconds: 5,
      minReconnectIntervalMs: 0,
      signal,
    })) {
      changes.push(change);
      if (changes.length >= count) break;
    }
    return changes;
  }
  const readyOf = (changes: ObjectChange[]) => changes.map((change) => `${change.type} ${change.object.metadata?.resourceVersion}`);

  it('streams lines as they arrive, a character split across chunks included', async () => {
    handler = (_req, res) => {
      streamHead(res);
      const bytes = Buffer.from('{"a":"é"}\n{"b":2}\n');
      res.write(bytes.subarray(0, 7)); // inside the two-byte é
      setTimeout(() => res.end(bytes.subarray(7)), 50);
    };
    const api = await client();
    const stream = await api.stream({ method: 'GET', path: '/watch?x=1' });
    const lines: string[] = [];
    for await (const line of stream.lines()) lines.push(line);
    await api.close();
    assert.deepEqual(lines, ['{"a":"é"}', '{"b":2}']);
    assert.equal(seen[0]?.search, '?x=1&pretty=true', 'pretty as every request: a refusal prints as curl prints it');
  });

  it('throws a refused stream as send() does, and hands back an accepted status with its body', async () => {
    handler = (_req, res) => {
      res.writeHead(403);
      res.end('{"kind":"Status","message":"forbidden: no watch","code":403}');
    };
    const api = await client();
    await assert.rejects(api.stream({ method: 'GET', path: '/watch' }), (err) =>
      expectExitError(err, EXIT.FORBIDDEN, /403 Forbidden: forbidden: no watch/),
    );
    handler = (_req, res) => {
      res.writeHead(410);
      res.end('{"kind":"Status","code":410}\n');
    };
    const gone = await api.stream({ method: 'GET', path: '/watch' }, { acceptStatuses: [410] });
    const lines: string[] = [];
    for await (const line of gone.lines()) lines.push(line);
    await api.close();
    assert.equal(gone.status, 410);
    assert.deepEqual(lines, ['{"kind":"Status","code":410}']);
  });

  it('applies --request-timeout to opening a stream only, and the idle timeout to the silence in it', async () => {
    // Headers at once, the body after twice the request timeout. The timeout is a second, not less:
    // under npm test's load a local answer's headers have taken over 150 ms.
    handler = (_req, res) => {
      streamHead(res);
      setTimeout(() => res.end('late\n'), 2000);
    };
    const api = await client({}, 1000);
    const stream = await api.stream({ method: 'GET', path: '/watch' });
    const lines: string[] = [];
    for await (const line of stream.lines()) lines.push(line);
    assert.deepEqual(lines, ['late'], 'a stream outlives --request-timeout once its headers have come');

    handler = () => undefined; // never answers
    await assert.rejects(api.stream({ method: 'GET', path: '/watch' }), (err) =>
      expectExitError(err, EXIT.CONNECTION, /timed out after 1s \(--request-timeout\)/),
    );

    handler = (_req, res) => streamHead(res); // headers, then silence
    const silent = await api.stream({ method: 'GET', path: '/watch' }, { idleTimeoutMs: 200 });
    await assert.rejects(
      (async () => {
        for await (const line of silent.lines()) assert.fail(`unexpected line ${line}`);
      })(),
      (err) => expectExitError(err, EXIT.CONNECTION, /stopped sending the response body for 200ms/),
    );
    await api.close();
  });

  it('reconnects from the last resourceVersion, bookmarks included, until the caller stops', async () => {
    handler = (_req, res, url) => {
      streamHead(res);
      const from = url.searchParams.get('resourceVersion');
      if (from === '10') res.end(event('MODIFIED', daemonSet('11', 20)) + event('BOOKMARK', { metadata: { resourceVersion: '15' } }));
      else if (from === '15') res.end(event('MODIFIED', daemonSet('16', 18)));
    };
    const api = await client();
    const changes = await take(api, 2, daemonSet('10'));
    await api.close();
    assert.deepEqual(readyOf(changes), ['MODIFIED 11', 'MODIFIED 16']);
    assert.deepEqual(
      seen.map((url) => url.searchParams.get('resourceVersion')),
      ['10', '15'],
    );
    assert.ok(seen.every((url) => url.searchParams.get('watch') === '1' && url.searchParams.get('timeoutSeconds') === '5'));
  });

  it('lists again after 410 Gone, as an ERROR event or as the status, and watches from the list', async () => {
    handler = (_req, res, url) => {
      const from = url.searchParams.get('resourceVersion');
      if (url.searchParams.get('watch') !== '1') {
        res.end(
          JSON.stringify({
            kind: 'DaemonSetList',
            metadata: { resourceVersion: seen.length < 3 ? '50' : '70' },
            items: [daemonSet(seen.length < 3 ? '40' : '60', 20)],
          }),
        );
      } else if (from === '10') {
        streamHead(res);
        res.end(event('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 10 (30)' }));
      } else if (from === '50') {
        res.writeHead(410);
        res.end('{"kind":"Status","code":410,"reason":"Gone"}');
      } else {
        streamHead(res);
        res.end(event('MODIFIED', daemonSet('71', 17)));
      }
    };
    const api = await client();
    const changes = await take(api, 3, daemonSet('10'));
    await api.close();
    assert.deepEqual(readyOf(changes), ['MODIFIED 40', 'MODIFIED 60', 'MODIFIED 71']);
    assert.deepEqual(
      seen.map((url) => `${url.searchParams.get('watch') ?? 'list'} ${url.searchParams.get('resourceVersion') ?? ''}`),
      ['1 10', 'list ', '1 50', 'list ', '1 70'],
    );
  });

  it('ends with the Status of any other ERROR event on stdout and its exit code', async () => {
    handler = (_req, res) => {
      streamHead(res);
      res.end(event('ERROR', { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd is sad' }));
    };
    const api = await client();
    await assert.rejects(take(api, 1, daemonSet('10')), (err) => {
      expectExitError(err, EXIT.API_ERROR, /500 Internal Server Error: etcd is sad/);
      assert.equal(JSON.parse((err as ExitError).stdout?.toString() ?? '').reason, 'InternalError');
      return true;
    });
    await api.close();
  });

  it('reopens a stream the network broke', async () => {
    handler = (req, res, url) => {
      streamHead(res);
      if (url.searchParams.get('resourceVersion') === '10') {
        res.write(event('MODIFIED', daemonSet('11')));
        setTimeout(() => req.socket.destroy(), 50);
      } else {
        res.end(event('MODIFIED', daemonSet('12')));
      }
    };
    const api = await client();
    const changes = await take(api, 2, daemonSet('10'));
    await api.close();
    assert.deepEqual(readyOf(changes), ['MODIFIED 11', 'MODIFIED 12']);
    assert.deepEqual(
      seen.map((url) => url.searchParams.get('resourceVersion')),
      ['10', '11'],
    );
  });

  it('survives a token rotated between streams: the 401 on reconnect re-reads the file and retries', async () => {
    const tokenFile = join(root, 'token');
    writeFileSync(tokenFile, 'token-one');
    let valid = 'Bearer token-one';
    handler = (req, res, url) => {
      if (req.headers.authorization !== valid) {
        res.writeHead(401);
        res.end('{"kind":"Status","code":401,"message":"Unauthorized"}');
        return;
      }
      streamHead(res);
      if (url.searchParams.get('resourceVersion') === '10') {
        // kubelet rotates the token and the old one expires while this stream is open.
        writeFileSync(tokenFile, 'token-two');
        valid = 'Bearer token-two';
        res.end(event('MODIFIED', daemonSet('11')));
      } else {
        res.end(event('MODIFIED', daemonSet('12')));
      }
    };
    const trace: string[] = [];
    const api = await ApiClient.create(configFor(base, { bearer: { kind: 'file', path: tokenFile } }), {
      scriptName: 'unit',
      env: {},
      log: createLog({ verbose: true, write: (line) => trace.push(line) }),
    });
    const changes = await take(api, 2, daemonSet('10'));
    await api.close();
    assert.deepEqual(readyOf(changes), ['MODIFIED 11', 'MODIFIED 12']);
    assert.deepEqual(authorizations, ['Bearer token-one', 'Bearer token-one', 'Bearer token-two']);
    assert.ok(
      trace.includes('* 401: the credential changed since it was read (rotated?); retrying once with the new one'),
      trace.join('\n'),
    );
    assert.ok(!trace.some((line) => line.includes('token-one') || line.includes('token-two')), 'tokens never reach the trace');
  });

  it('ends quietly when the caller aborts while a stream is open', async () => {
    handler = (_req, res) => streamHead(res); // an open stream with nothing to say
    const api = await client();
    const deadline = AbortSignal.timeout(200);
    const started = Date.now();
    assert.deepEqual(await take(api, 1, daemonSet('10'), deadline), []);
    await api.close();
    assert.ok(Date.now() - started < 2000);
  });
});
