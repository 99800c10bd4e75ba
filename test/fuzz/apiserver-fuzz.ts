// Bounded fuzz of the fake kube-apiserver: start it on 127.0.0.1:0 as its own process, send it
// malformed and odd requests over real TLS (raw sockets, so node's client cannot tidy the request
// line up) plus concurrent bookmark watches with short timeouts, then check that it is alive,
// still answers correctly, answered every error in kube-apiserver's shapes, and kept its RSS bounded.
//
// Usage: node --import tsx test/fuzz/apiserver-fuzz.ts [--seconds N] [--seed S]   (npm run fuzz)
// Inputs come from fast-check arbitraries with a fixed seed, so a run's requests are reproducible
// (how many are sent depends on the machine's speed). Exit 0 if no invariant broke, 1 otherwise.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import fc from 'fast-check';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KNOWN_OBJECT = '/api/v1/namespaces/test/pods/gateway-7xk2q';
const RAW_WORKERS = 4;
const CONCURRENT_WATCHES = 8;
const REQUEST_TIMEOUT_MS = 10_000;
// The server starts at about 110 MiB; a 200 MB body once took it to 1.7 GB.
const RSS_LIMIT_MIB = 512;
const MiB = 1024 * 1024;
const BODY_LIMIT = 3 * MiB;
const LINGER_BYTES = MiB;
// The plain answers kube-apiserver gives where it gives no Status: the non-go-restful mux's miss
// (server/mux/pathrecorder.go) and net/http's answers to a request it cannot read or an Expect it
// does not know (net/http/server.go: conn.serve, sendExpectationFailed with no body).
const PLAIN_ERRORS = new Map([
  [404, '404 page not found\n'],
  [400, '400 Bad Request'],
  [431, '431 Request Header Fields Too Large'],
  [417, ''],
]);

interface FuzzRequest {
  method: string;
  target: Buffer;
  headers: Array<[string, string]>;
  body: Buffer;
}

interface Answer {
  code: number;
  headers: Map<string, string>;
  body: Buffer;
}

// ---- inputs ----------------------------------------------------------------------------------

const segment = fc.oneof(
  fc.constantFrom(
    'api',
    'apis',
    'v1',
    'apps',
    'namespaces',
    'test',
    'default',
    'pods',
    'gateway-7xk2q',
    'configmaps',
    'serviceaccounts',
    'token',
    'exec',
    'status',
    'version',
    'healthz',
    'authentication.k8s.io',
    'selfsubjectreviews',
    '',
    '.',
    '..',
    '\\',
    'a\\b',
    '%5C',
    '%2F',
    '%2f',
    '%2e',
    '%2E%2E',
    '%zz',
    '%',
    '%4',
    '@',
    ':',
    'user@host:99999',
    '[',
    ']',
    '[::1]',
    'é',
    '☃',
    '%C3%A9',
    '%FF',
    '\u0001',
    '\u007f',
    ' ',
    '"',
    '<x>',
  ),
  fc.string({ maxLength: 6 }),
);
const targetPrefix = fc.constantFrom(
  '/',
  '/',
  '/',
  '//',
  '///',
  '',
  'https://kubernetes.default.svc/',
  'http://[',
  'https://user@h:x/',
  '*',
  '\\',
);
const queryKey = fc.constantFrom(
  'limit',
  'timeoutSeconds',
  'gracePeriodSeconds',
  'resourceVersion',
  'resourceVersionMatch',
  'labelSelector',
  'fieldSelector',
  'continue',
  'pretty',
  'allowWatchBookmarks',
  'sendInitialEvents',
  'includeObject',
  'dryRun',
  '%zz',
  '',
);
const queryValue = fc.oneof(
  fc.constantFrom(
    'abc',
    '-1',
    '0',
    '1',
    '2',
    '+3',
    '1e3',
    '99999999999999999999',
    '%zz',
    '',
    'true',
    'x=y',
    'a%3Db',
    'name!=a',
    'in(',
    '1;2',
  ),
  fc.string({ maxLength: 8 }),
);
const query = fc.tuple(fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 }), fc.boolean()).map(([pairs, watch]) => {
  // A watch always gets a short timeout (first value wins), so no fuzz request can hang by design.
  const kept = watch ? pairs.filter(([key]) => key !== 'timeoutSeconds') : pairs;
  const all = watch ? [['watch', '1'], ['timeoutSeconds', '1'], ...kept] : kept;
  return all.length ? `?${all.map(([key, value]) => `${key}=${value}`).join('&')}` : '';
});
// Paths real handlers serve, so that bodies and query parameters reach them. None of them can
// delete or change KNOWN_OBJECT, which is checked at the end.
const servedPath = fc.constantFrom(
  '/version',
  '/api',
  '/apis/apps/v1',
  '/api/v1/namespaces/default/configmaps',
  '/api/v1/namespaces/default/configmaps/kube-root-ca.crt',
  '/api/v1/namespaces/default/pods',
  '/api/v1/namespaces/test/pods/gateway-m4wzt',
  '/apis/apps/v1/namespaces/test/daemonsets/gateway',
  '/api/v1/namespaces/test/serviceaccounts/default/token',
  '/apis/authentication.k8s.io/v1/selfsubjectreviews',
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
);
const target = fc
  .oneof(
    fc.tuple(targetPrefix, fc.array(segment, { maxLength: 8 }), query).map(([prefix, segments, q]) => prefix + segments.join('/') + q),
    fc.tuple(servedPath, query).map(([served, q]) => served + q),
  )
  .map((text) => Buffer.from(text, 'utf8'));

const method = fc.constantFrom(
  'GET',
  'GET',
  'GET',
  'POST',
  'POST',
  'PUT',
  'PATCH',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'FOO',
  'get',
  'TRACE',
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/yaml',
  'text/garbage',
  'application/vnd.kubernetes.protobuf',
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
  '',
  'APPLICATION/JSON',
  ';',
);
const nested = (depth: number, open: string, close: string, inner: string) => open.repeat(depth) + inner + close.repeat(depth);
// Bodies of megabytes are rare: each takes its time over TLS.
const hugeBody = fc.constantFrom(BODY_LIMIT, BODY_LIMIT + 1, 5 * MiB).map((size) => Buffer.alloc(size, ' '));
const body = fc.oneof(
  {
    arbitrary: fc
      .oneof(
        fc.constant(''),
        fc.constantFrom(
          'null',
          '[]',
          '"x"',
          '1',
          'true',
          '{}',
          '{"metadata":null}',
          '{"metadata":{"name":7}}',
          'not json',
          '{"a":',
          ': :\n- [',
        ),
        fc.integer({ min: 900, max: 6000 }).map((depth) => nested(depth, '[', ']', '')),
        fc.integer({ min: 900, max: 6000 }).map((depth) => `{"metadata":{"name":"deep"},"data":${nested(depth, '{"a":', '}', '1')}}`),
        fc.integer({ min: 900, max: 3000 }).map((depth) => `${'- '.repeat(depth)}1`),
        fc
          .record({
            name: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
            key: fc.string({ maxLength: 10 }),
            value: fc.string({ maxLength: 30 }),
          })
          .map(({ name, key, value }) =>
            JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { [key]: value } }),
          ),
        fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      )
      .map((value) => (typeof value === 'string' ? Buffer.from(value) : value)),
    weight: 30,
  },
  { arbitrary: hugeBody, weight: 1 },
);
const hugeHeader = fc.constantFrom(20_000, 2 * MiB).map((size): [string, string] => ['X-Huge', 'h'.repeat(size)]);
const extraHeader = fc.oneof(
  {
    arbitrary: fc.oneof(
      fc.tuple(
        fc.constantFrom(
          'Impersonate-User',
          'Impersonate-Group',
          'Impersonate-Uid',
          'Impersonate-Extra-scopes',
          'Impersonate-Extra-a%2Fb',
          'Impersonate-Extra-%zz',
        ),
        fc.constantFrom('jane', 'system:serviceaccount:test:default', 'system:serviceaccount:a:b:c', 'system:anonymous', '', 'x'),
      ),
      fc.tuple(
        fc.constantFrom('Accept', 'Accept-Encoding', 'User-Agent', 'X-Odd', 'Transfer-Encoding', 'Expect'),
        fc.constantFrom(
          'application/json;as=Table;v=v1;g=meta.k8s.io',
          'gzip',
          'curl/8',
          '*/*',
          'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
          'identity',
          '100-continue',
        ),
      ),
    ),
    weight: 20,
  },
  { arbitrary: hugeHeader, weight: 1 },
);
const authorization = fc.constantFrom('admin', 'admin', 'admin', 'none', 'garbage');

function requestArbitrary(adminToken: string): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({ method, target, contentType, body, extra: fc.array(extraHeader, { maxLength: 3 }), authorization })
    .map(({ method, target, contentType, body, extra, authorization }) => ({
      method,
      target,
      body,
      headers: [
        ...(authorization === 'admin'
          ? [['Authorization', `Bearer ${adminToken}`]]
          : authorization === 'garbage'
            ? [['Authorization', 'Bearer x.y.z']]
            : []),
        ...(contentType ? [['Content-Type', contentType]] : []),
        ...extra,
      ] as Array<[string, string]>,
    }));
}

const requestBytes = (request: FuzzRequest) =>
  request.body.length + request.headers.reduce((total, [name, value]) => total + name.length + value.length, 0);

// ---- talking to the server -------------------------------------------------------------------

function decodeChunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < data.length) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function parseAnswer(data: Buffer): Answer | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine, ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const code = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]);
  if (!code) return undefined;
  // A 100 Continue comes before the answer.
  if (code < 200) return parseAnswer(data.subarray(headEnd + 4));
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const rest = data.subarray(headEnd + 4);
  return { code, headers, body: headers.get('transfer-encoding') === 'chunked' ? decodeChunked(rest) : rest };
}

// One request on its own TLS connection, written byte for byte; the answer is read to the close.
function sendRaw(port: number, ca: Buffer, request: FuzzRequest): Promise<Answer | string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let problem = 'closed without an answer';
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    const timer = setTimeout(() => {
      problem = 'no answer within 10 s';
      socket.destroy();
    }, REQUEST_TIMEOUT_MS);
    socket.on('secureConnect', () => {
      const head = [
        `${request.method} `,
        request.target,
        ' HTTP/1.1\r\nHost: kubernetes.default.svc\r\nConnection: close\r\n',
        ...request.headers.map(([name, value]) => `${name}: ${value}\r\n`),
        `Content-Length: ${request.body.length}\r\n\r\n`,
      ];
      socket.write(Buffer.concat(head.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part))));
      socket.end(request.body);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A refused request is answered while its body is still being written: read on after a write error.
    socket.on('error', (error) => (problem = `connection error: ${error.message}`));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks)) ?? problem);
    });
  });
}

function get(url: string, ca: Buffer, token: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers: { Authorization: `Bearer ${token}` }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          code: res.statusCode ?? 0,
          headers: new Map(Object.entries(res.headers).map(([k, v]) => [k, String(v)])),
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

// ---- invariants ------------------------------------------------------------------------------

// An error answer is a metav1.Status whose code is the HTTP status, or one of the plain texts above.
function errorShapeProblem(method: string, answer: Answer): string | undefined {
  if (answer.code === 500) return `500 Internal Server Error: ${answer.body.toString('utf8').slice(0, 300)}`;
  if (answer.code < 400 || method === 'HEAD') return undefined;
  const text = answer.body.toString('utf8');
  if (PLAIN_ERRORS.get(answer.code) === text) return undefined;
  try {
    const status = JSON.parse(text);
    const keys = Object.keys(status);
    const shaped =
      status.kind === 'Status' &&
      status.apiVersion === 'v1' &&
      JSON.stringify(status.metadata) === '{}' &&
      status.status === 'Failure' &&
      typeof status.message === 'string' &&
      typeof status.reason === 'string' &&
      status.code === answer.code &&
      keys[0] === 'kind' &&
      keys[keys.length - 1] === 'code';
    if (shaped) return undefined;
  } catch {
    // not JSON: reported below
  }
  return `${answer.code} is not a Status of that code: ${text.slice(0, 300)}`;
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

// ---- the run ---------------------------------------------------------------------------------

async function startServer(): Promise<{
  url: string;
  port: number;
  pid: number;
  ca: Buffer;
  token: string;
  exited: () => string | undefined;
}> {
  const dir = mkdtempSync(path.join(tmpdir(), 'apiserver-fuzz-'));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'fixtures/apiserver.ts',
      '--listen',
      '127.0.0.1:0',
      '--pki-dir',
      path.join(dir, 'pki'),
      '--admin-token-file',
      path.join(dir, 'token'),
      '--ready-file',
      path.join(dir, 'ready'),
      '--bookmark-interval',
      '0.05',
      '--quiet',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let exit: string | undefined;
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  child.on('exit', (code, signal) => (exit = `exited with ${signal ?? code}: ${stderr.trim()}`));
  // The server goes when the fuzz ends, however it ends; its state is thrown away.
  process.on('exit', () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(1));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !exit) {
    try {
      const ready = JSON.parse(readFileSync(path.join(dir, 'ready'), 'utf8')) as { url: string; pid: number; caFile: string };
      return {
        url: ready.url,
        port: Number(new URL(ready.url).port),
        pid: ready.pid,
        ca: readFileSync(ready.caFile),
        token: readFileSync(path.join(dir, 'token'), 'utf8'),
        exited: () => exit,
      };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`the fake apiserver did not start: ${exit ?? 'timed out'}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string', default: '20251201' } } });
  const seconds = Number(values.seconds);
  const seed = Number(values.seed);
  if (!(seconds > 0) || !Number.isInteger(seed)) throw new Error('usage: apiserver-fuzz.ts [--seconds N] [--seed INTEGER]');

  const server = await startServer();
  const byCode = new Map<string, number>();
  const violations: string[] = [];
  const count = (key: string) => byCode.set(key, (byCode.get(key) ?? 0) + 1);
  const violate = (what: string) => violations.push(what);
  let sent = 0;

  const known = (await get(`${server.url}${KNOWN_OBJECT}`, server.ca, server.token)).body.toString();
  const rssBefore = rssMiB(server.pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    if (!server.exited()) rssPeak = Math.max(rssPeak, rssMiB(server.pid));
  }, 200);
  const started = Date.now();
  const running = () => Date.now() - started < seconds * 1000 && !server.exited();

  const arbitrary = requestArbitrary(server.token);
  const rawWorker = async (worker: number) => {
    for (let batch = 0; running(); batch++) {
      for (const request of fc.sample(arbitrary, { seed: seed + worker * 1_000_003 + batch, numRuns: 20 })) {
        if (!running()) return;
        sent++;
        const answer = await sendRaw(server.port, server.ca, request);
        const described = `${request.method} ${JSON.stringify(request.target.toString('latin1').slice(0, 120))} (${request.body.length} byte body)`;
        if (typeof answer === 'string') {
          // A server refusing a request of megabytes (body past the limit, header past 1 MiB, or a
          // bad request line ahead of a big body) answers and closes while the rest is still on its
          // way; the reset can overtake the answer. Go's server does the same past its 256 KiB drain.
          if (requestBytes(request) > LINGER_BYTES && answer.startsWith('connection error')) count('reset');
          else violate(`${described}: ${answer}`);
          continue;
        }
        count(String(answer.code));
        const problem = errorShapeProblem(request.method, answer);
        if (problem) violate(`${described}: ${problem}`);
      }
    }
  };
  const watchWorker = async () => {
    while (running()) {
      sent++;
      const answer = await get(
        `${server.url}/api/v1/namespaces/test/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=1`,
        server.ca,
        server.token,
      ).catch((error: Error) => error.message);
      if (typeof answer === 'string') violate(`watch: ${answer}`);
      else count(String(answer.code));
    }
  };
  await Promise.all([
    ...Array.from({ length: RAW_WORKERS }, (_, worker) => rawWorker(worker)),
    ...Array.from({ length: CONCURRENT_WATCHES }, () => watchWorker()),
  ]);
  const elapsed = (Date.now() - started) / 1000;
  clearInterval(sampler);

  const exit = server.exited();
  if (exit) violate(`the server ${exit}`);
  else {
    const version = await get(`${server.url}/version`, server.ca, server.token).catch((error: Error) => error.message);
    if (typeof version === 'string' || version.code !== 200 || JSON.parse(version.body.toString()).gitVersion !== 'v1.32.4') {
      violate(`GET /version afterwards: ${typeof version === 'string' ? version : `${version.code} ${version.body}`}`);
    }
    const object = await get(`${server.url}${KNOWN_OBJECT}`, server.ca, server.token).catch((error: Error) => error.message);
    if (typeof object === 'string' || object.code !== 200 || object.body.toString() !== known) {
      violate(
        `GET ${KNOWN_OBJECT} afterwards is not what it was before: ${typeof object === 'string' ? object : `${object.code} ${object.body.subarray(0, 300)}`}`,
      );
    }
  }
  const rssAfter = exit ? NaN : rssMiB(server.pid);
  if (rssPeak > RSS_LIMIT_MIB) violate(`RSS peaked at ${rssPeak.toFixed(0)} MiB, above ${RSS_LIMIT_MIB} MiB`);

  for (const violation of violations.slice(0, 20)) process.stderr.write(`fuzz: violation: ${violation}\n`);
  if (violations.length > 20) process.stderr.write(`fuzz: … and ${violations.length - 20} more violations\n`);
  const codes = [...byCode]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code}=${n}`)
    .join(', ');
  process.stdout.write(
    `fuzz: ${sent} requests in ${elapsed.toFixed(1)}s; by code: ${codes}; ` +
      `RSS before ${rssBefore.toFixed(0)} MiB after ${rssAfter.toFixed(0)} MiB (peak ${rssPeak.toFixed(0)} MiB); ` +
      `${exit ? 'server DEAD' : 'server alive'}; seed ${seed}; ${violations.length} violations\n`,
  );
  return violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`fuzz: error: ${error.message}\n`);
    process.exit(2);
  },
);
