// P1: one in-pod GET of the `gateway` DaemonSet (?resourceVersion=0, as the 2018 post
// "容器内访问k8s api-server" reads it), each tool as a whole process: start, TLS, request, exit.
// The floor is bare Node doing the same with node:https (floor.mjs); `--help` rows are against
// `node -e 0`. Targets (issue 11): the bundle ≤ 1.2× the floor's wall time and ≤ 1.3× its peak RSS;
// `--help` ≤ 1.1× `node -e 0`.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { timeProcesses, type ProcessStats } from './processes.ts';
import { mib, ms, text, times, type Table } from './report.ts';
import { ratio } from './stats.ts';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const DAEMONSET_PATH = '/apis/apps/v1/namespaces/test/daemonsets/gateway?resourceVersion=0';
const PYTHON_READ =
  'from kubernetes import client, config; config.load_incluster_config(); ' +
  'print(client.AppsV1Api().read_namespaced_daemon_set("gateway", "test").metadata.name)';

interface Row {
  name: string;
  argv: string[];
  /** The row the table's ratios are taken against. */
  base?: true;
}

function rows(repo: string): { get: Row[]; help: Row[] } {
  const bundle = path.join(repo, 'dist/get-daemonset.mjs');
  const multi = path.join(repo, 'dist/kube-in-pod.mjs');
  const curl = `curl -sf --cacert ${SA_DIR}/ca.crt -H "Authorization: Bearer $(cat ${SA_DIR}/token)" "https://kubernetes.default.svc${DAEMONSET_PATH}"`;
  return {
    get: [
      { name: 'curl (the token and CA recipe, in bash)', argv: ['bash', '-c', curl] },
      { name: 'kubectl get --raw', argv: ['kubectl', 'get', '--raw', DAEMONSET_PATH] },
      { name: 'python3 kubernetes client', argv: ['/usr/bin/python3', '-c', PYTHON_READ] },
      { name: 'floor: bare node, node:https', argv: ['node', path.join(repo, 'test/bench/floor.mjs')], base: true },
      { name: 'node dist/get-daemonset.mjs', argv: ['node', bundle, 'gateway', '-n', 'test'] },
      { name: 'node dist/kube-in-pod.mjs get-daemonset', argv: ['node', multi, 'get-daemonset', 'gateway', '-n', 'test'] },
      {
        name: 'scripts/get-daemonset.ts (npx tsx)',
        argv: [path.join(repo, 'scripts/get-daemonset.ts'), 'gateway', '-n', 'test'],
      },
    ],
    help: [
      { name: 'node -e 0', argv: ['node', '-e', '0'], base: true },
      { name: 'node dist/get-daemonset.mjs --help', argv: ['node', bundle, '--help'] },
      { name: 'node dist/kube-in-pod.mjs get-daemonset --help', argv: ['node', multi, 'get-daemonset', '--help'] },
    ],
  };
}

/** Each GET must print the DaemonSet: a tool that fails or answers something else voids the timing. */
function checkAnswers(list: Row[], repo: string): void {
  for (const row of list) {
    const result = spawnSync(row.argv[0] as string, row.argv.slice(1), { cwd: repo, encoding: 'utf8' });
    if (result.status !== 0 || !result.stdout.includes('gateway')) {
      throw new Error(`${row.name}: exit ${result.status}, ${result.stderr.trim().split('\n').pop() ?? ''}`);
    }
  }
}

function table(id: string, title: string, list: Row[], stats: ProcessStats[], baseName: string, notes: string[]): Table {
  const base = stats[list.findIndex((row) => row.base === true)];
  return {
    id,
    title,
    columns: ['command', 'wall (median)', 'wall p90', 'CPU (median)', 'peak RSS', `wall ÷ ${baseName}`, `RSS ÷ ${baseName}`],
    rows: list.map((row, i) => {
      const s = stats[i] as ProcessStats;
      return [
        text(row.name),
        ms(s.wallMs),
        ms(s.wallP90Ms),
        ms(s.cpuMs),
        mib(s.maxRssMiB),
        times(ratio(s.wallMs, base?.wallMs)),
        times(ratio(s.maxRssMiB, base?.maxRssMiB)),
      ];
    }),
    notes,
  };
}

export async function benchGet(repo: string, runs: number): Promise<Table[]> {
  const { get, help } = rows(repo);
  checkAnswers(get, repo);
  const getStats = await timeProcesses(
    get.map((row) => row.argv),
    runs,
    repo,
  );
  const helpStats = await timeProcesses(
    help.map((row) => row.argv),
    runs,
    repo,
  );
  return [
    table('p1-get', `P1. One in-pod GET of the gateway DaemonSet, whole process (${runs} runs each, round-robin)`, get, getStats, 'floor', [
      "Targets: the bundle ≤ 1.2× the floor in wall time and ≤ 1.3× in peak RSS. CPU is user + system of all the process's threads.",
    ]),
    table('p1-help', `P1. --help, whole process (${runs} runs each, round-robin)`, help, helpStats, 'node -e 0', [
      'Target: --help ≤ 1.1× `node -e 0`.',
    ]),
  ];
}
