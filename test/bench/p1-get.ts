// P1: one in-pod GET of the `gateway` DaemonSet (?resourceVersion=0, as the 2018 post
// "容器内访问k8s api-server" reads it), each tool as a whole process: start, TLS, request, exit.
// The floor is bare Node doing the same with node:https (floor.mjs); `--help` rows are against
// `node -e 0`. Targets (issue 11): the bundle ≤ 1.2× the floor's wall time and ≤ 1.3× its peak RSS;
// `--help` ≤ 1.1× `node -e 0`. Each table also has the bounds a bundle cannot go below: undici's own
// cost (undici-floor.cjs), and what node pays to load an ES module file of a bundle's size at all.

import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lazyImports } from '../../tools/lazy-imports.ts';
import { timeProcesses, type ProcessStats } from './processes.ts';
import { mib, ms, text, times, type Table } from './report.ts';
import { ratio } from './stats.ts';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The one-tool bundle the rows time, relative to the repository. */
const BUNDLE = 'dist/get-daemonset.mjs';
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

/** The files of the bound rows, made in a temporary directory for one run. */
interface Bounds {
  dir: string;
  /** undici-floor.cjs with undici inside, minified. */
  undiciFloor: string;
  /** An ES module of zero bytes. */
  emptyModule: string;
  /** An ES module of the bundle's size whose whole text is one comment: it runs nothing. */
  inertModule: string;
}

async function makeBounds(repo: string): Promise<Bounds> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kube-in-pod-bench-'));
  const bounds = {
    dir,
    undiciFloor: path.join(dir, 'undici-floor.cjs'),
    emptyModule: path.join(dir, 'empty.mjs'),
    inertModule: path.join(dir, 'inert.mjs'),
  };
  await build({
    entryPoints: [path.join(repo, 'test/bench/undici-floor.cjs')],
    absWorkingDir: repo,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    outfile: bounds.undiciFloor,
    logLevel: 'warning',
    // As the bundles are built: without node:http2, which undici loads only to read its constants.
    plugins: [lazyImports(repo)],
  });
  writeFileSync(bounds.emptyModule, '');
  writeFileSync(bounds.inertModule, `/*${readFileSync(path.join(repo, BUNDLE), 'latin1').replaceAll('*/', '* ')}*/`, 'latin1');
  return bounds;
}

function rows(repo: string, bounds: Bounds): { get: Row[]; help: Row[] } {
  const bundle = path.join(repo, BUNDLE);
  const multi = path.join(repo, 'dist/kube-in-pod.mjs');
  const curl = `curl -sf --cacert ${SA_DIR}/ca.crt -H "Authorization: Bearer $(cat ${SA_DIR}/token)" "https://kubernetes.default.svc${DAEMONSET_PATH}"`;
  return {
    get: [
      { name: 'curl (the token and CA recipe, in bash)', argv: ['bash', '-c', curl] },
      { name: 'kubectl get --raw', argv: ['kubectl', 'get', '--raw', DAEMONSET_PATH] },
      { name: 'python3 kubernetes client', argv: ['/usr/bin/python3', '-c', PYTHON_READ] },
      { name: 'floor: bare node, node:https', argv: ['node', path.join(repo, 'test/bench/floor.mjs')], base: true },
      { name: 'bound: undici Client alone, bundled (undici-floor.cjs)', argv: ['node', bounds.undiciFloor] },
      { name: 'node dist/get-daemonset.mjs', argv: ['node', bundle, 'gateway', '-n', 'test'] },
      { name: 'node dist/kube-in-pod.mjs get-daemonset', argv: ['node', multi, 'get-daemonset', 'gateway', '-n', 'test'] },
      {
        name: 'scripts/get-daemonset.ts (npx tsx)',
        argv: [path.join(repo, 'scripts/get-daemonset.ts'), 'gateway', '-n', 'test'],
      },
    ],
    help: [
      { name: 'node -e 0', argv: ['node', '-e', '0'], base: true },
      { name: 'bound: node on an empty .mjs', argv: ['node', bounds.emptyModule] },
      { name: "bound: node on a .mjs of get-daemonset.mjs's size that runs nothing", argv: ['node', bounds.inertModule] },
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
  const bounds = await makeBounds(repo);
  let getStats: ProcessStats[];
  let helpStats: ProcessStats[];
  const { get, help } = rows(repo, bounds);
  try {
    checkAnswers(get, repo);
    getStats = await timeProcesses(
      get.map((row) => row.argv),
      runs,
      repo,
    );
    helpStats = await timeProcesses(
      help.map((row) => row.argv),
      runs,
      repo,
    );
  } finally {
    rmSync(bounds.dir, { recursive: true, force: true });
  }
  return [
    table('p1-get', `P1. One in-pod GET of the gateway DaemonSet, whole process (${runs} runs each, round-robin)`, get, getStats, 'floor', [
      "Targets: the bundle ≤ 1.2× the floor in wall time and ≤ 1.3× in peak RSS. CPU is user + system of all the process's threads.",
      "The undici bound is the floor's GET through undici's Client and nothing else (test/bench/undici-floor.cjs): no tool built on undici, as this project's design asks, starts below it.",
    ]),
    table('p1-help', `P1. --help, whole process (${runs} runs each, round-robin)`, help, helpStats, 'node -e 0', [
      'Target: --help ≤ 1.1× `node -e 0`.',
      "The bounds: node loading an ES module that is empty, and one as large as the bundle whose text is all one comment, so V8 only reads and scans it. A single-file bundle's --help starts above the second.",
    ]),
  ];
}
