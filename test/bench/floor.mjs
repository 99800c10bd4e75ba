// The bare-Node floor of npm run bench's P1: the same in-cluster GET as get-daemonset.ts (the
// service-account CA and token, ?resourceVersion=0&pretty=true, the body to stdout) with nothing
// but node:https, so no Node program can do it in less. Plain JavaScript, run with bare `node`.
import { readFileSync } from 'node:fs';
import { get } from 'node:https';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const PATH = '/apis/apps/v1/namespaces/test/daemonsets/gateway?resourceVersion=0&pretty=true';

const request = get(
  {
    host: process.env.KUBERNETES_SERVICE_HOST,
    port: process.env.KUBERNETES_SERVICE_PORT,
    path: PATH,
    ca: readFileSync(`${SA_DIR}/ca.crt`),
    headers: { authorization: `Bearer ${readFileSync(`${SA_DIR}/token`, 'utf8').trim()}` },
  },
  (response) => {
    const chunks = [];
    response.on('data', (chunk) => chunks.push(chunk));
    response.on('end', () => {
      process.stdout.write(Buffer.concat(chunks));
      process.exitCode = response.statusCode === 200 ? 0 : 1;
    });
  },
);
request.on('error', (err) => {
  process.stderr.write(`floor: ${err.message}\n`);
  process.exitCode = 1;
});
