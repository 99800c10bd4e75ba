// Property-based tests of proxy.ts as an attacker in the same pod would use it: arbitrary request
// targets (backslashes, "//", "@", ":", %-escapes including %5C/%2F/%2e, absolute form, unicode,
// control bytes), plain and as connection upgrades, sent as raw bytes to the real proxy process.
// (a) The only host the proxy ever connects to is the configured API server: trap listeners on
//     the addresses a target can name never see a connection.
// (b) What reaches the API server decodes (as Go's net/url decodes a path) to a path the default
//     --reject-paths would have rejected never: exec and attach cannot be smuggled in any spelling.
// The API server here is a recording plain-HTTP server on loopback; fast-check runs with a fixed
// seed and a bounded number of runs, so a failure replays exactly.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { unescapePath } from '../../scripts/lib/proxy/path.ts';
import { DEFAULT_REJECT_PATHS, parseRegexpList } from '../../scripts/lib/proxy/rules.ts';

const SEED = 20261201;
const RUNS = 400;
const REQUEST_TIMEOUT_MS = 3_000;
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const REJECTED = parseRegexpList(DEFAULT_REJECT_PATHS, '--reject-paths');

/** What the API server saw for one probe (matched by the X-Probe header). */
interface Seen {
  target: string;
  upgrade: boolean;
  authorization: string | undefined;
}

const listen = (server: Server | TcpServer, host: string) =>
  new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));

/** A TCP listener that only counts connections: the proxy must never open one to it. */
function trap(): { server: TcpServer; connections: () => number } {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  return { server, connections: () => connections };
}

/** Send raw bytes to the proxy and resolve with the status code of its answer (0 if it just closed). */
function sendRaw(port: number, request: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const done = () => {
      socket.destroy();
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0));
    };
    socket.setTimeout(REQUEST_TIMEOUT_MS, done);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      // An upgrade the server accepted stays open: the status line is all we need.
      if (/^HTTP\/1\.1 101 /.test(received)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(request);
  });
}

describe('proxy.ts against arbitrary request targets', () => {
  const seen = new Map<string, Seen>();
  const apiServer = createHttpServer((req, res) => {
    record(req, false);
    res.end('ok');
  });
  apiServer.on('upgrade', (req: IncomingMessage, socket) => {
    record(req, true);
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  function record(req: IncomingMessage, upgrade: boolean): void {
    seen.set(String(req.headers['x-probe']), { target: req.url ?? '', upgrade, authorization: req.headers.authorization });
  }
  const otherHost = trap();
  const otherPort = trap();
  let apiPort = 0;
  let otherHostPort = 0;
  let otherPortPort = 0;
  let proxyPort = 0;
  let proxy: ChildProcess | undefined;
  const token = `probe-token-${process.pid}`;

  before(async () => {
    apiPort = await listen(apiServer, '127.0.0.1');
    otherHostPort = await listen(otherHost.server, '127.0.0.2');
    otherPortPort = await listen(otherPort.server, '127.0.0.1');
    const dir = mkdtempSync(path.join(tmpdir(), 'proxy-properties-'));
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, token);
    proxy = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/proxy.ts',
        '--server',
        `http://127.0.0.1:${apiPort}`,
        '--token-file',
        tokenFile,
        '--port',
        '0',
        '--quiet',
      ],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    proxyPort = await new Promise<number>((resolve, reject) => {
      let out = '';
      proxy?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      proxy?.on('exit', (code) => reject(new Error(`proxy.ts exited ${code} before serving`)));
    });
  });

  after(async () => {
    proxy?.kill('SIGKILL');
    for (const server of [apiServer, otherHost.server, otherPort.server]) {
      server.close();
    }
  });

  /** Pieces an attacker would combine: separators, escapes, authorities of the traps, unicode, controls. */
  const fragment = () =>
    fc.oneof(
      fc.constantFrom(
        '/',
        '//',
        '\\',
        '/\\',
        '\\\\',
        '@',
        ':',
        '?',
        '#',
        '.',
        '..',
        '%',
        '%%',
        '%zz',
        '%5C',
        '%5c',
        '%2F',
        '%2f',
        '%2e',
        '%2E',
        '%2e%2e',
        '%00',
        '%40',
        '%3A',
      ),
      fc.constantFrom('api', 'apis', 'v1', 'namespaces', 'default', 'pods', 'p', 'exec', 'attach', 'e%78ec', '%61ttach', 'user@', 'u:p@'),
      fc.constantFrom(
        `127.0.0.2:${otherHostPort}`,
        `127.0.0.1:${otherPortPort}`,
        `localhost:${otherPortPort}`,
        '127.0.0.2',
        '[::1]',
        'a:99999',
        '[',
      ),
      fc.constantFrom('é', '\u2215', '\uff0f', '\u2044', '\uff3c', ' ', '\t', '\x01', '\x7f', '\r', '"', '<', '{', '|'),
      fc.string({ maxLength: 3 }),
    );
  /**
   * A target: something that may read as an authority ("/\", "//", absolute form), maybe one of
   * the traps' addresses, then a plausible API path with attacker pieces spliced in, so that many
   * probes reach the API server and many name another host.
   */
  const target = () =>
    fc
      .tuple(
        fc.constantFrom('', '/\\', '/\\', '//', '\\\\', '\\/', 'http://', 'https://', 'http:\\\\', 'http://localhost'),
        fc.option(
          fc.constantFrom(
            `127.0.0.2:${otherHostPort}`,
            `127.0.0.1:${otherPortPort}`,
            `localhost:${otherPortPort}`,
            `u:p@127.0.0.2:${otherHostPort}`,
          ),
        ),
        fc.constantFrom('/api/v1/namespaces/default/pods/p/', '/api/v1/namespaces/default/pods/', '/api/v1/', '/', ''),
        fc.array(fragment(), { maxLength: 6 }),
      )
      .map(([prefix, authority, base, parts]) => `${prefix}${authority ?? ''}${base}${parts.join('')}`);

  it('connects only to the configured API server, and never lets exec or attach through, for any target', async () => {
    let probe = 0;
    await fc.assert(
      fc.asyncProperty(target(), fc.boolean(), fc.constantFrom('GET', 'POST'), async (requestTarget, upgrade, method) => {
        probe += 1;
        const id = String(probe);
        const head = [
          `${method} ${requestTarget} HTTP/1.1`,
          'Host: localhost',
          `X-Probe: ${id}`,
          'Authorization: Bearer caller-token',
          ...(upgrade
            ? ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']
            : ['Connection: close']),
          '',
          '',
        ].join('\r\n');
        // latin1 keeps each generated character one byte where it can be; others become '?' bytes.
        const status = await sendRaw(proxyPort, Buffer.from(head, 'latin1'));
        assert.equal(otherHost.connections(), 0, `a connection reached 127.0.0.2 for ${JSON.stringify(requestTarget)}`);
        assert.equal(otherPort.connections(), 0, `a connection reached another port for ${JSON.stringify(requestTarget)}`);
        const forwarded = seen.get(id);
        if (forwarded === undefined) return;
        assert.ok(status !== 0, `the proxy forwarded ${JSON.stringify(requestTarget)} but answered nothing`);
        assert.equal(forwarded.authorization, `Bearer ${token}`);
        assert.ok(
          forwarded.target.startsWith('/') && !forwarded.target.startsWith('//'),
          `origin-form target expected, got ${JSON.stringify(forwarded.target)}`,
        );
        const rawPath = forwarded.target.split('?')[0] ?? '';
        // Only what Go's validEncoded allows goes out raw: never a backslash another parser could read as "/".
        assert.match(
          rawPath,
          /^[A-Za-z0-9\-_.~!$&'()*+,;=:@[\]%/]*$/,
          `${JSON.stringify(requestTarget)} went upstream as ${JSON.stringify(forwarded.target)}`,
        );
        const decoded = unescapePath(rawPath);
        if (decoded === undefined) return; // the API server answers 400 to a bad escape
        const smuggled = REJECTED.find((pattern) => pattern.regexp.test(decoded));
        assert.equal(smuggled, undefined, `${JSON.stringify(requestTarget)} reached the API server as ${JSON.stringify(forwarded.target)}`);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    assert.ok(seen.size > RUNS / 10, `too few probes reached the API server (${seen.size}): the generator no longer exercises forwarding`);
  });
});
