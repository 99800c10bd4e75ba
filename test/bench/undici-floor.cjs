// The least a tool built on undici can cost for npm run bench's P1: floor.mjs's GET (the
// service-account CA and token, the body to stdout) through undici's Client alone, no Agent, Pool or
// request API, and its HTTP parser compiled by Liftoff only, as scripts/lib/undici.ts does. p1-get.ts
// bundles it with esbuild, minified and without node:http2 as tools/build.ts does, so module
// resolution costs nothing.
// What separates this row from the floor is undici itself; what separates a bundle from this row is
// the project's own code. Plain JavaScript (CommonJS, as undici is), run with bare `node`.
require('node:v8').setFlagsFromString('--liftoff-only');
const { readFileSync } = require('node:fs');
const Client = require('undici/lib/dispatcher/client.js');

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const PATH = '/apis/apps/v1/namespaces/test/daemonsets/gateway?resourceVersion=0&pretty=true';

const client = new Client(`https://${process.env.KUBERNETES_SERVICE_HOST}:${process.env.KUBERNETES_SERVICE_PORT}`, {
  connect: { ca: readFileSync(`${SA_DIR}/ca.crt`) },
});
const chunks = [];
let status = 0;
client.dispatch(
  {
    method: 'GET',
    path: PATH,
    headers: { authorization: `Bearer ${readFileSync(`${SA_DIR}/token`, 'utf8').trim()}` },
  },
  {
    onConnect() {},
    onHeaders(statusCode) {
      status = statusCode;
      return true;
    },
    onData(chunk) {
      chunks.push(chunk);
      return true;
    },
    onComplete() {
      process.stdout.write(Buffer.concat(chunks));
      process.exitCode = status === 200 ? 0 : 1;
      client.close();
    },
    onError(err) {
      process.stderr.write(`undici floor: ${err.message}\n`);
      process.exitCode = 1;
      client.close();
    },
  },
);
