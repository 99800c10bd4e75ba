// P3: the ambassadors under load (autocannon, GET /apis/batch/v1 through each), at 1 and at 32
// connections: requests/s, latency p50/p99, and CPU seconds per 10,000 requests read from the proxy
// process itself (/proc/PID/stat), so the fake API server and autocannon, on the same machine, do
// not count. Targets (issue 11): CPU per 10k ≤ kubectl proxy's at 1 and at 32 connections, and p99
// ≤ kubectl proxy's.

import { load } from './load.ts';
import { cpuSeconds } from './proc.ts';
import { ambassadors, startProxy, stopProxy, type RunningProxy } from './proxies.ts';
import { ms, perSecond, text, times, type Cell, type Table } from './report.ts';
import { percentile, ratio } from './stats.ts';

const PATH = '/apis/batch/v1';
const CONNECTIONS = [1, 32];

/** Seconds of load per slice: the proxies take turns, so a change in the machine's load touches both alike. */
const SLICE_SECONDS = 2;
/**
 * Fewer answers than this make no percentile or CPU figure: on a busy machine a short (--quick) turn
 * can end before a proxy starved of CPU answers anything. Both then take more turns, up to EXTRA_SLICES.
 */
const MIN_ANSWERED = 20;
const EXTRA_SLICES = 10;

interface Measured {
  proxy: string;
  connections: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuPer10k: number;
}

/**
 * Load the proxies in turns of SLICE_SECONDS until each had `seconds`, after a warm-up of the same
 * length (connections opened, the JIT done: a sidecar runs for days), and sum each one's requests,
 * latencies and CPU.
 */
export async function measureInTurns(proxies: RunningProxy[], connections: number, seconds: number): Promise<Measured[]> {
  const totals = proxies.map(() => ({ ok: 0, seconds: 0, cpu: 0, latencies: [] as number[] }));
  const slices = Math.max(1, Math.round(seconds / SLICE_SECONDS));
  const sliceSeconds = Math.min(seconds, SLICE_SECONDS);
  for (const proxy of proxies) await load(`http://127.0.0.1:${proxy.port}${PATH}`, connections, seconds);
  const tooFew = () => totals.some((total) => total.ok < MIN_ANSWERED);
  for (let slice = 0; slice < slices || (tooFew() && slice < slices + EXTRA_SLICES); slice++) {
    // Alternate who goes first.
    const order = slice % 2 === 0 ? proxies.map((_, i) => i) : proxies.map((_, i) => proxies.length - 1 - i);
    for (const i of order) {
      const proxy = proxies[i] as RunningProxy;
      const total = totals[i] as (typeof totals)[number];
      const cpuBefore = cpuSeconds(proxy.pid);
      const result = await load(`http://127.0.0.1:${proxy.port}${PATH}`, connections, sliceSeconds);
      total.cpu += cpuSeconds(proxy.pid) - cpuBefore;
      if (result.failures.length > 0) {
        throw new Error(`${proxy.name}: ${result.failures.length} failed requests, e.g. ${result.failures[0]?.what}`);
      }
      total.ok += result.ok;
      total.seconds += result.seconds;
      total.latencies.push(...result.latenciesMs);
    }
  }
  return proxies.map((proxy, i) => {
    const total = totals[i] as (typeof totals)[number];
    if (total.ok < MIN_ANSWERED) {
      throw new Error(
        `${proxy.name}: ${total.ok} answers in ${total.seconds.toFixed(0)} s at ${connections} connections, too few to measure`,
      );
    }
    return {
      proxy: proxy.name,
      connections,
      perSecond: total.ok / total.seconds,
      p50Ms: percentile(total.latencies, 0.5),
      p99Ms: percentile(total.latencies, 0.99),
      cpuPer10k: (total.cpu / total.ok) * 10_000,
    };
  });
}

export async function benchProxies(repo: string, seconds: number): Promise<Table> {
  const running: RunningProxy[] = [];
  try {
    for (const command of ambassadors(repo, 8001, 8002)) running.push(await startProxy(command, repo));
    const results: Measured[] = [];
    for (const connections of CONNECTIONS) results.push(...(await measureInTurns(running, connections, seconds)));
    const kubectl = (connections: number) => results.find((r) => r.proxy === 'kubectl proxy' && r.connections === connections);
    const rows: Cell[][] = results.map((r) => {
      const base = kubectl(r.connections);
      const ready = running.find((p) => p.name === r.proxy)?.readyMs ?? Number.NaN;
      return [
        text(r.proxy),
        text(String(r.connections)),
        ms(ready),
        perSecond(r.perSecond),
        ms(r.p50Ms),
        ms(r.p99Ms),
        { value: r.cpuPer10k, unit: 's' },
        times(ratio(r.cpuPer10k, base?.cpuPer10k)),
        times(ratio(r.p99Ms, base?.p99Ms)),
      ];
    });
    return {
      id: 'p3-proxy',
      title: `P3. Ambassadors under load: GET ${PATH}, ${seconds} s per row in ${SLICE_SECONDS} s turns, after as long a warm-up (autocannon)`,
      columns: [
        'proxy',
        'connections',
        'ready after',
        'requests/s',
        'p50',
        'p99',
        'CPU s per 10k requests',
        'CPU ÷ kubectl',
        'p99 ÷ kubectl',
      ],
      rows,
      notes: [
        'CPU is read from the proxy process itself (/proc/PID/stat), so the fake API server and autocannon, on the same 2 CPUs, do not count.',
        "Targets: CPU per 10k requests ≤ kubectl proxy's at 1 and at 32 connections; p99 ≤ kubectl proxy's.",
      ],
    };
  } finally {
    for (const proxy of running) await stopProxy(proxy);
  }
}
