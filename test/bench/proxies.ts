// Starting and stopping the ambassadors the bench loads: `kubectl proxy` (the guide's sidecar) and
// the bundled proxy (dist/proxy.mjs, run with node as deploy/sidecar-pod.yaml runs it).

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ProxyCommand {
  name: string;
  port: number;
  argv: string[];
}

export interface RunningProxy {
  name: string;
  port: number;
  child: ChildProcess;
  pid: number;
  /** Milliseconds from spawn until it answered /version. */
  readyMs: number;
}

/** kubectl proxy as the guide runs it in a sidecar, and dist/proxy.mjs with its defaults (in-cluster). */
export function ambassadors(repo: string, kubectlPort: number, bundlePort: number): ProxyCommand[] {
  const server = `https://${process.env.KUBERNETES_SERVICE_HOST}:${process.env.KUBERNETES_SERVICE_PORT}`;
  const token = readFileSync(`${SA_DIR}/token`, 'utf8').trim();
  return [
    {
      name: 'kubectl proxy',
      port: kubectlPort,
      argv: [
        'kubectl',
        'proxy',
        `--server=${server}`,
        `--certificate-authority=${SA_DIR}/ca.crt`,
        `--token=${token}`,
        `--port=${kubectlPort}`,
      ],
    },
    { name: 'node dist/proxy.mjs', port: bundlePort, argv: ['node', path.join(repo, 'dist/proxy.mjs'), `--port=${bundlePort}`, '--quiet'] },
  ];
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/version', timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function waitUntilAnswering(port: number, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the process for port ${port} exited ${child.exitCode}`);
    if (await answers(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`nothing answered on port ${port} within ${timeoutMs / 1000} s`);
}

export async function startProxy(command: ProxyCommand, cwd: string): Promise<RunningProxy> {
  const started = performance.now();
  // Their logs stay out of the report: kubectl proxy logs every request autocannon cuts off when a turn ends.
  const child = spawn(command.argv[0] as string, command.argv.slice(1), { cwd, stdio: 'ignore' });
  await waitUntilAnswering(command.port, child);
  return { name: command.name, port: command.port, child, pid: child.pid as number, readyMs: performance.now() - started };
}

export async function stopProxy(proxy: RunningProxy): Promise<void> {
  if (proxy.child.exitCode !== null) return;
  const exited = new Promise((resolve) => proxy.child.once('exit', resolve));
  proxy.child.kill('SIGTERM');
  await exited;
}
