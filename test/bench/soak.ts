// npm run bench -- --soak: the bundled ambassador for SOAK_SECONDS at SOAK_CONNECTIONS connections,
// against its own fake API server (so it can be restarted) whose service-account token is rotated
// every ROTATE_SECONDS, with one restart of that server halfway. Passes when no request fails except
// during the restart, and prints the proxy's open file descriptors and RSS at the start and the end
// (flat means no leak).

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Failure, load, type LoadResult } from './load.ts';
import { openFds, rssMiB } from './proc.ts';
import { startProxy, stopProxy } from './proxies.ts';
import { count, mib, ms, perSecond, seconds as secondsCell, text, type Table } from './report.ts';
import { percentile } from './stats.ts';

const SOAK_CONNECTIONS = 128;
const ROTATE_SECONDS = 5;
const UPSTREAM = '127.0.0.1:6443';
const PROXY_PORT = 8003;
/** After the restarted server is ready, connections the proxy opened before may still fail once. */
const RESTART_GRACE_MS = 1000;
/**
 * Before reading descriptors and RSS, both at the start and the end: longer than the fake's keep-alive
 * timeout (5 s), so the connections the last load left idle are closed, as they would be between bursts.
 */
const SETTLE_MS = 6000;

interface Upstream {
  child: ChildProcess;
  caFile: string;
}

async function startUpstream(repo: string, dir: string): Promise<Upstream> {
  const ready = path.join(dir, 'ready');
  rmSync(ready, { force: true });
  const flags = {
    listen: UPSTREAM,
    'pki-dir': path.join(dir, 'pki'),
    'sa-dir': path.join(dir, 'sa'),
    'service-account': 'test/default',
    'rotate-every': String(ROTATE_SECONDS),
    'ready-file': ready,
  };
  const args = Object.entries(flags).flatMap(([name, value]) => [`--${name}`, value]);
  const child = spawn('node', ['--import', 'tsx', 'fixtures/apiserver.ts', ...args, '--quiet'], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  while (!existsSync(ready) || readFileSync(ready, 'utf8') === '') {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error("the soak's fake API server did not start");
    await sleep(20);
  }
  return { child, caFile: (JSON.parse(readFileSync(ready, 'utf8')) as { caFile: string }).caFile };
}

async function stopUpstream(upstream: Upstream): Promise<void> {
  if (upstream.child.exitCode !== null) return;
  const exited = new Promise((resolve) => upstream.child.once('exit', resolve));
  upstream.child.kill('SIGTERM');
  await exited;
}

/** "3 × HTTP 401 (0.2–0.4 s after the restart window)", per kind of failure. */
function describeFailures(failures: Failure[], restartUntil: number): string {
  if (failures.length === 0) return 'none';
  const kinds = new Map<string, number[]>();
  for (const failure of failures) kinds.set(failure.what, [...(kinds.get(failure.what) ?? []), (failure.atMs - restartUntil) / 1000]);
  return [...kinds]
    .map(
      ([what, offsets]) =>
        `${offsets.length} × ${what} (${Math.min(...offsets).toFixed(1)} to ${Math.max(...offsets).toFixed(1)} s after the restart window)`,
    )
    .join(', ');
}

export async function soak(repo: string, soakSeconds: number): Promise<Table> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kube-in-pod-soak-'));
  let upstream = await startUpstream(repo, dir);
  const proxy = await startProxy(
    {
      name: 'node dist/proxy.mjs',
      port: PROXY_PORT,
      argv: [
        'node',
        path.join(repo, 'dist/proxy.mjs'),
        `--port=${PROXY_PORT}`,
        '--quiet',
        `--server=https://${UPSTREAM}`,
        `--token-file=${path.join(dir, 'sa/token')}`,
        `--certificate-authority=${upstream.caFile}`,
      ],
    },
    repo,
  );
  try {
    const url = `http://127.0.0.1:${PROXY_PORT}/apis/batch/v1`;
    await load(url, SOAK_CONNECTIONS, 5); // warm-up
    await sleep(SETTLE_MS);
    const start = { fds: openFds(proxy.pid), rss: rssMiB(proxy.pid) };
    const running = load(url, SOAK_CONNECTIONS, soakSeconds);
    const loadStarted = Date.now();
    // RSS every 10 s under load: a leak climbs from sample to sample, a heap that grew to its working size levels off.
    const rssTrace: number[] = [];
    const tracer = setInterval(() => rssTrace.push(rssMiB(proxy.pid)), 10_000);
    await sleep((soakSeconds * 1000) / 2);
    const restartFrom = Date.now() - loadStarted;
    await stopUpstream(upstream);
    upstream = await startUpstream(repo, dir);
    const restartUntil = Date.now() - loadStarted + RESTART_GRACE_MS;
    const result: LoadResult = await running;
    clearInterval(tracer);
    await sleep(SETTLE_MS);
    const end = { fds: openFds(proxy.pid), rss: rssMiB(proxy.pid) };
    const duringRestart = result.failures.filter((f) => f.atMs >= restartFrom && f.atMs <= restartUntil);
    const otherwise = result.failures.filter((f) => f.atMs < restartFrom || f.atMs > restartUntil);
    return {
      id: 'soak',
      title: `Soak: node dist/proxy.mjs, ${soakSeconds} s at ${SOAK_CONNECTIONS} connections, token rotated every ${ROTATE_SECONDS} s, one API server restart`,
      columns: [
        'requests ok',
        'requests/s',
        'p50',
        'p99',
        'failed during the restart',
        'failed otherwise',
        'restart took',
        'fds start',
        'fds end',
        'RSS start',
        'RSS end',
      ],
      rows: [
        [
          count(result.ok),
          perSecond(result.ok / result.seconds),
          ms(percentile(result.latenciesMs, 0.5)),
          ms(percentile(result.latenciesMs, 0.99)),
          count(duringRestart.length),
          count(otherwise.length),
          secondsCell((restartUntil - RESTART_GRACE_MS - restartFrom) / 1000),
          count(start.fds),
          count(end.fds),
          mib(start.rss),
          mib(end.rss),
        ],
      ],
      notes: [
        `The restart: the API server stopped ${(restartFrom / 1000).toFixed(1)} s into the load and answered again ${((restartUntil - RESTART_GRACE_MS) / 1000).toFixed(1)} s in; ` +
          `failures up to ${RESTART_GRACE_MS / 1000} s after that count as the restart's. Failures outside it: ${describeFailures(otherwise, restartUntil)}.`,
        `RSS under load, every 10 s: ${rssTrace.map((mib) => `${mib.toFixed(0)}`).join(', ')} MiB.`,
        otherwise.length === 0
          ? 'No request failed outside the restart.'
          : `FAILED: ${otherwise.length} requests failed outside the restart, e.g. ${text(otherwise[0]?.what ?? '').value} at ${otherwise[0]?.atMs} ms.`,
      ],
    };
  } finally {
    await stopProxy(proxy);
    await stopUpstream(upstream);
    rmSync(dir, { recursive: true, force: true });
  }
}
