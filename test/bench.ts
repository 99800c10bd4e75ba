#!/usr/bin/env -S npx tsx
// npm run bench — the one place performance is told, measured in one run inside pod sandboxes
// (fixtures/pod) against the fake kube-apiserver:
//   P1  one in-pod GET of the gateway DaemonSet as a whole process: curl, kubectl, the Python client,
//       bare Node (the floor), the bundles, npx tsx; and --help against `node -e 0` (p1-get.ts);
//   P2  every ConfigMap of a cluster with 1,000 and with 100,000 more: get.ts against kubectl get
//       (p2-list.ts, one sandbox per size);
//   P3  kubectl proxy against dist/proxy.mjs under autocannon at 1 and 32 connections (p3-proxy.ts);
//   --soak  instead: the bundled proxy for 60 s at 128 connections, token rotated every 5 s, one
//       API server restart (soak.ts).
// Each row carries its ratio to the floor, to `node -e 0` or to kubectl. Numbers depend on the
// machine (printed first); compare rows of the same run. Not a test: nothing here asserts a target.
//
// Usage: npm run bench -- [--quick] [--json] [--parts p1,p2,p3] [--runs N] [--seconds S] [--list-runs N]
//        npm run bench -- --soak [--soak-seconds S] [--json]
//   --quick          a smoke run (2 runs, 1 s per proxy row, lists of 100 and 1,000): for tests
//   --json           one JSON document instead of Markdown tables
//   --parts LIST     which parts (default p1,p2,p3)
//   --runs N         process runs per P1 row (default 15)
//   --seconds S      seconds of load per P3 row (default 10)
//   --list-runs N    process runs per P2 row (default 3)
//   --soak-seconds S length of the soak (default 60)
// Exit codes: 0 done; 1 a tool failed or answered wrongly (the run is void); 2 usage.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchGet } from './bench/p1-get.ts';
import { benchList, listTable, type ListStats } from './bench/p2-list.ts';
import { benchProxies } from './bench/p3-proxy.ts';
import { asJson, markdown, type Table } from './bench/report.ts';
import { soak } from './bench/soak.ts';

const REPO_ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const PARTS = ['p1', 'p2', 'p3'] as const;
type Part = (typeof PARTS)[number];
const LIST_SIZES = { full: [1_000, 100_000], quick: [100, 1_000] };
/** A fake with 100k objects takes a while to load them before it listens. */
const BIG_SANDBOX_READY_SECONDS = '600';

interface Settings {
  parts: Part[];
  runs: number;
  seconds: number;
  listRuns: number;
  listSizes: number[];
  soakSeconds: number;
}

class UsageError extends Error {}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!(number > 0)) throw new UsageError(`--${name} takes a positive number (got ${value})`);
  return number;
}

function settings(values: Record<string, string | boolean | undefined>): Settings {
  const quick = values.quick === true;
  const parts = typeof values.parts === 'string' ? values.parts.split(',') : [...PARTS];
  for (const part of parts) if (!(PARTS as readonly string[]).includes(part)) throw new UsageError(`unknown part ${part} (p1, p2, p3)`);
  return {
    parts: parts as Part[],
    runs: positive('runs', values.runs as string | undefined, quick ? 2 : 15),
    seconds: positive('seconds', values.seconds as string | undefined, quick ? 1 : 10),
    listRuns: positive('list-runs', values['list-runs'] as string | undefined, quick ? 1 : 3),
    listSizes: quick ? LIST_SIZES.quick : LIST_SIZES.full,
    soakSeconds: positive('soak-seconds', values['soak-seconds'] as string | undefined, 60),
  };
}

/** What the numbers were measured on. */
function machine(): string[] {
  const version = (argv: string[]) =>
    spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' })
      .stdout.split('\n')[0]
      ?.trim();
  const cpu = cpus();
  return [
    `Machine: ${cpu.length} × ${cpu[0]?.model.trim()}, ${(Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)?.[1]) / 1024 / 1024).toFixed(0)} GiB; load average at start ${loadavg()[0]?.toFixed(1)}`,
    `node ${process.version}; ${version(['kubectl', 'version', '--client'])}; ${version(['curl', '--version'])?.split(' ').slice(0, 2).join(' ')}; ${version(['/usr/bin/python3', '--version'])}`,
  ];
}

/** Run this file inside a pod sandbox with `args`; its stdout is one JSON document. */
function inSandbox(podArgs: string[], args: string[], env: NodeJS.ProcessEnv = process.env): unknown {
  const result = spawnSync(
    path.join(REPO_ROOT, 'fixtures/pod'),
    [...podArgs, '--', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), ...args],
    { cwd: REPO_ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 },
  );
  if (result.status !== 0) throw new Error(`the sandbox run (${args.join(' ')}) exited ${result.status}`);
  return JSON.parse(result.stdout);
}

/** Inside a sandbox: one part, its result as JSON on stdout. */
async function inside(what: string, s: Settings): Promise<unknown> {
  switch (what) {
    case 'p1':
      return benchGet(REPO_ROOT, s.runs);
    case 'p3':
      return [await benchProxies(REPO_ROOT, s.seconds)];
    case 'soak':
      return [await soak(REPO_ROOT, s.soakSeconds)];
    default: {
      const size = /^p2:(\d+)$/.exec(what);
      if (size === null) throw new UsageError(`unknown --inside ${what}`);
      return benchList(REPO_ROOT, Number(size[1]), s.listRuns);
    }
  }
}

function build(): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'tools/build.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) throw new Error('npm run build failed');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      soak: { type: 'boolean' },
      parts: { type: 'string' },
      runs: { type: 'string' },
      seconds: { type: 'string' },
      'list-runs': { type: 'string' },
      'soak-seconds': { type: 'string' },
      inside: { type: 'string' },
    },
  });
  const s = settings(values);
  const passOn = process.argv.slice(2).filter((arg) => !arg.startsWith('--inside') && arg !== '--json');
  if (typeof values.inside === 'string') {
    process.stdout.write(JSON.stringify(await inside(values.inside, s)));
    return 0;
  }
  const header = machine();
  build();
  const tables: Table[] = [];
  const defaultPod = ['--service-account', 'test/default'];
  if (values.soak) {
    tables.push(...(inSandbox(defaultPod, [...passOn, '--inside=soak']) as Table[]));
  } else {
    if (s.parts.includes('p1')) tables.push(...(inSandbox(defaultPod, [...passOn, '--inside=p1']) as Table[]));
    if (s.parts.includes('p2')) {
      const [small, large] = s.listSizes.map(
        (size) =>
          inSandbox(
            [...defaultPod, '--server-arg', '--extra-configmaps', '--server-arg', String(size)],
            [...passOn, `--inside=p2:${size}`],
            {
              ...process.env,
              KUBE_IN_POD_READY_TIMEOUT: BIG_SANDBOX_READY_SECONDS,
            },
          ) as ListStats,
      );
      tables.push(listTable(small as ListStats, large as ListStats));
    }
    if (s.parts.includes('p3')) tables.push(...(inSandbox(defaultPod, [...passOn, '--inside=p3']) as Table[]));
  }
  header.push(`load average at the end ${loadavg()[0]?.toFixed(1)}`);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ machine: header, tables: tables.map(asJson) }, null, 2)}\n`);
  } else {
    process.stdout.write(`# kube-in-pod benchmark\n\n${header.join('  \n')}\n\n${tables.map(markdown).join('\n')}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`bench: error: ${error.message}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
