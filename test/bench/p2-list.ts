// P2: listing every ConfigMap of a big cluster (the fake's --extra-configmaps N), get.ts against
// `kubectl get`, as whole processes: wall time and peak RSS, at N = 1,000 and N = 100,000.
// Targets (issue 10): get.ts's peak RSS at 100k ≤ 1.3× its RSS at 1k and below kubectl's; wall
// time at or below kubectl's. Each sandbox runs as the cluster admin, through a kubeconfig whose
// user reads the test-only admin token file, so kubectl and get.ts read the same configuration.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { timeProcesses, type ProcessStats } from './processes.ts';
import { mib, ms, text, times, type Cell, type Table } from './report.ts';
import { ratio } from './stats.ts';

export interface ListStats {
  count: number;
  rows: { name: string; output: string; stats: ProcessStats }[];
  missing: string[];
}

const OUTPUTS = ['name', 'json'];
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A kubeconfig for the cluster admin of the sandbox (KUBE_IN_POD_ADMIN_TOKEN_FILE is test-only). */
function adminKubeconfig(): string {
  const token = process.env.KUBE_IN_POD_ADMIN_TOKEN_FILE;
  if (token === undefined) throw new Error('KUBE_IN_POD_ADMIN_TOKEN_FILE is not set: run inside fixtures/pod');
  const dir = path.join(process.env.HOME ?? '/tmp', '.kube');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'config');
  // JSON, which is YAML too: what kubectl and get.ts both read.
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sandbox', cluster: { server: 'https://kubernetes.default.svc', 'certificate-authority': `${SA_DIR}/ca.crt` } }],
    users: [{ name: 'admin', user: { tokenFile: token } }],
    contexts: [{ name: 'admin', context: { cluster: 'sandbox', user: 'admin' } }],
    'current-context': 'admin',
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function commands(repo: string): { name: string; output: string; argv: string[] }[] {
  const getBundle = path.join(repo, 'dist/get.mjs');
  const list = [];
  for (const output of OUTPUTS) {
    list.push({ name: 'kubectl get', output, argv: ['kubectl', 'get', 'configmaps', '-A', '-o', output] });
    if (existsSync(getBundle))
      list.push({ name: 'node dist/get.mjs', output, argv: ['node', getBundle, 'configmaps', '-A', '-o', output] });
  }
  return list;
}

/** get.ts must print what kubectl prints (-o name byte for byte; -o json the same items). */
function checkAnswers(list: ReturnType<typeof commands>, repo: string, count: number): void {
  for (const output of OUTPUTS) {
    const outputs = list
      .filter((c) => c.output === output)
      .map((c) => {
        const result = spawnSync(c.argv[0] as string, c.argv.slice(1), { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 30 });
        if (result.status !== 0) throw new Error(`${c.argv.join(' ')}: exit ${result.status}: ${result.stderr.trim().split('\n').pop()}`);
        return output === 'json' ? (JSON.parse(result.stdout) as { items: unknown[] }).items.length : result.stdout;
      });
    const first = outputs[0];
    if (outputs.some((o) => o !== first)) throw new Error(`-o ${output}: get.ts and kubectl disagree`);
    const listed = typeof first === 'number' ? first : (first as string).split('\n').filter(Boolean).length;
    if (listed < count) throw new Error(`-o ${output}: listed ${listed}, expected at least ${count}`);
  }
}

/** Inside a sandbox started with --extra-configmaps `count`. */
export async function benchList(repo: string, count: number, runs: number): Promise<ListStats> {
  adminKubeconfig();
  const list = commands(repo);
  checkAnswers(list, repo, count);
  const stats = await timeProcesses(
    list.map((c) => c.argv),
    runs,
    repo,
  );
  return {
    count,
    rows: list.map((c, i) => ({ name: c.name, output: c.output, stats: stats[i] as ProcessStats })),
    missing: existsSync(path.join(repo, 'dist/get.mjs')) ? [] : ['scripts/get.ts (not written yet): only kubectl was measured'],
  };
}

export function listTable(small: ListStats, large: ListStats): Table {
  const rows: Cell[][] = [];
  for (const sizes of [small, large]) {
    for (const row of sizes.rows) {
      const kubectl = sizes.rows.find((r) => r.name === 'kubectl get' && r.output === row.output)?.stats;
      const atSmall = small.rows.find((r) => r.name === row.name && r.output === row.output)?.stats;
      rows.push([
        text(`${row.name} configmaps -A -o ${row.output}`),
        text(sizes.count.toLocaleString('en')),
        ms(row.stats.wallMs),
        mib(row.stats.maxRssMiB),
        times(ratio(row.stats.wallMs, kubectl?.wallMs)),
        times(ratio(row.stats.maxRssMiB, kubectl?.maxRssMiB)),
        times(sizes === large ? ratio(row.stats.maxRssMiB, atSmall?.maxRssMiB) : Number.NaN),
      ]);
    }
  }
  return {
    id: 'p2-list',
    title: `P2. Every ConfigMap of the cluster (--extra-configmaps), whole process (${small.rows[0]?.stats.runs} and ${large.rows[0]?.stats.runs} runs)`,
    columns: [
      'command',
      'extra ConfigMaps',
      'wall (median)',
      'peak RSS',
      'wall ÷ kubectl',
      'RSS ÷ kubectl',
      'RSS ÷ RSS at the smaller list',
    ],
    rows,
    notes: [
      "Targets: get.ts peak RSS at 100k ≤ 1.3× its RSS at 1k, and below kubectl's; wall time ≤ kubectl's.",
      ...new Set([...small.missing, ...large.missing]),
    ],
  };
}
