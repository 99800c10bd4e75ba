#!/usr/bin/env -S npx tsx
// npm run bench — side-by-side timings, in one run, inside one pod sandbox against the fake
// kube-apiserver:
//   1. one in-pod read of the `gateway` DaemonSet (with ?resourceVersion=0, as the 2018 post
//      "容器内访问k8s api-server" reads it), per tool, as a whole process (start, TLS,
//      request, exit): curl, kubectl, the Python client, get-daemonset.ts through npx tsx, and
//      the bundled dist/get-daemonset.mjs through plain node;
//   2. the ambassador: time until `kubectl proxy` and the bundled proxy (dist/proxy.mjs) answer, then sequential
//      GETs of /apis/batch/v1 through each (latency percentiles, requests per second).
// Numbers depend on the machine; what matters is the ratio between rows of the same run.
//
// Usage: npx tsx test/bench.ts [--runs N] [--requests N]
//   --runs N       process runs per tool in part 1 (default 15)
//   --requests N   requests per proxy in part 2 (default 300)
// Exit codes: 0 done; 1 a tool failed or gave a wrong answer (the benchmark is void then); 2 usage.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

const REPO_ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const DAEMONSET_PATH = '/apis/apps/v1/namespaces/test/daemonsets/gateway?resourceVersion=0';
const KUBECTL_PROXY_PORT = 8001;
const SCRIPT_PROXY_PORT = 8002;

interface Tool {
  name: string;
  command: string[];
}

const PYTHON_READ =
  'from kubernetes import client, config; config.load_incluster_config(); ' +
  'print(client.AppsV1Api().read_namespaced_daemon_set("gateway", "test").metadata.name)';

const READ_TOOLS: Tool[] = [
  {
    name: 'curl (token and CA recipe)',
    command: [
      'bash',
      '-c',
      `curl -sf --cacert ${SA_DIR}/ca.crt -H "Authorization: Bearer $(cat ${SA_DIR}/token)" "https://kubernetes.default.svc${DAEMONSET_PATH}"`,
    ],
  },
  { name: 'kubectl get --raw', command: ['kubectl', 'get', '--raw', DAEMONSET_PATH] },
  { name: 'python3-kubernetes', command: ['/usr/bin/python3', '-c', PYTHON_READ] },
  { name: 'get-daemonset.ts (npx tsx)', command: [path.join(REPO_ROOT, 'scripts/get-daemonset.ts'), 'gateway', '-n', 'test'] },
  { name: 'dist/get-daemonset.mjs (node)', command: ['node', path.join(REPO_ROOT, 'dist/get-daemonset.mjs'), 'gateway', '-n', 'test'] },
];

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

function summarize(samples: number[]): { min: number; p50: number; p90: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { min: sorted[0]!, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9) };
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;

function timeProcess(tool: Tool): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(tool.command[0]!, tool.command.slice(1), { cwd: REPO_ROOT, encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0 || !result.stdout.includes('gateway')) {
    throw new Error(`${tool.name} failed (exit ${result.status}): ${result.stderr.trim().split('\n').pop()}`);
  }
  return elapsed;
}

function benchmarkReads(runs: number): void {
  console.log(`\n## 1. One in-pod read of the gateway DaemonSet, whole process (${runs} runs each)\n`);
  console.log('| tool | min | median | p90 |');
  console.log('|---|---:|---:|---:|');
  for (const tool of READ_TOOLS) {
    timeProcess(tool); // warm the page cache; not counted
    const { min, p50, p90 } = summarize(Array.from({ length: runs }, () => timeProcess(tool)));
    console.log(`| ${tool.name} | ${ms(min)} | ${ms(p50)} | ${ms(p90)} |`);
  }
}

async function waitUntilServing(port: number, started: bigint): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const response = await request(`http://127.0.0.1:${port}/version`);
      await response.body.dump();
      if (response.statusCode === 200) return Number(process.hrtime.bigint() - started) / 1e6;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`nothing answered on port ${port} within 30 s`);
}

async function timeRequests(port: number, count: number): Promise<{ latencies: number[]; perSecond: number }> {
  const agent = new Agent({ connections: 1 });
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const sent = process.hrtime.bigint();
    const response = await request(`http://127.0.0.1:${port}/apis/batch/v1`, {
      dispatcher: agent,
      headers: { 'user-agent': 'curl/7.88.1' },
    });
    const body = await response.body.text();
    if (response.statusCode !== 200 || !body.includes('cronjobs')) throw new Error(`port ${port}: HTTP ${response.statusCode}`);
    latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await agent.close();
  return { latencies, perSecond: count / seconds };
}

async function benchmarkProxies(requests: number): Promise<void> {
  // The bundle, run with node as deploy/sidecar-pod.yaml runs it (npx would not pass on SIGTERM).
  const proxyBundle = path.join(REPO_ROOT, 'dist/proxy.mjs');
  const token = spawnSync('cat', [`${SA_DIR}/token`], { encoding: 'utf8' }).stdout;
  const server = `https://${process.env.KUBERNETES_SERVICE_HOST}:${process.env.KUBERNETES_SERVICE_PORT}`;
  const proxies = [
    {
      name: 'kubectl proxy (ambassador sidecar)',
      port: KUBECTL_PROXY_PORT,
      command: [
        'kubectl',
        'proxy',
        `--server=${server}`,
        `--certificate-authority=${SA_DIR}/ca.crt`,
        `--token=${token}`,
        '--accept-paths=^.*',
        `--port=${KUBECTL_PROXY_PORT}`,
      ],
    },
    { name: 'dist/proxy.mjs (node)', port: SCRIPT_PROXY_PORT, command: ['node', proxyBundle, `--port=${SCRIPT_PROXY_PORT}`, '--quiet'] },
  ];
  console.log(`\n## 2. Ambassador: start-up, then ${requests} sequential GET /apis/batch/v1 over one keep-alive connection\n`);
  console.log('| proxy | ready after | min | median | p90 | requests/s |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const proxy of proxies) {
    const started = process.hrtime.bigint();
    const child = spawn(proxy.command[0]!, proxy.command.slice(1), { cwd: REPO_ROOT, stdio: 'ignore' });
    try {
      const readyAfter = await waitUntilServing(proxy.port, started);
      await timeRequests(proxy.port, 20); // warm-up, not counted
      const { latencies, perSecond } = await timeRequests(proxy.port, requests);
      const { min, p50, p90 } = summarize(latencies);
      console.log(`| ${proxy.name} | ${ms(readyAfter)} | ${ms(min)} | ${ms(p50)} | ${ms(p90)} | ${perSecond.toFixed(0)} |`);
    } finally {
      child.kill('SIGTERM');
    }
  }
}

async function inside(runs: number, requests: number): Promise<void> {
  console.log('# kube-in-pod benchmark (inside the pod sandbox, fake kube-apiserver on 127.0.0.1:443)');
  console.log(
    `node ${process.version}; ${spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).stdout.split('\n')[0]}; ` +
      `${spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 2).join(' ')}`,
  );
  benchmarkReads(runs);
  await benchmarkProxies(requests);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, requests: { type: 'string' }, inside: { type: 'boolean' } } });
  const runs = Number(values.runs ?? 15);
  const requests = Number(values.requests ?? 300);
  if (!(runs > 0 && requests > 0)) {
    console.error('bench: error: --runs and --requests take positive numbers');
    process.exit(2);
  }
  if (values.inside) return inside(runs, requests);
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'tools/build.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) throw new Error('npm run build failed');
  const pod = spawnSync(
    path.join(REPO_ROOT, 'fixtures/pod'),
    [
      '--service-account',
      'test/default',
      '--',
      process.execPath,
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--inside',
      `--runs=${runs}`,
      `--requests=${requests}`,
    ],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
  process.exit(pod.status ?? 1);
}

main().catch((error: Error) => {
  console.error(`bench: error: ${error.message}`);
  process.exit(1);
});
