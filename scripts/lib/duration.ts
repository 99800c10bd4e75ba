// Durations as kubectl's flags take them, and as messages print them: one parser for every
// duration flag of every script (--request-timeout, get-daemonset's --timeout, proxy.ts's
// --keepalive and --shutdown-timeout).

import { usageError } from './errors.ts';

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** kubectl's own words for a bad --request-timeout (clientcmd.ParseTimeout). */
const INVALID_REQUEST_TIMEOUT =
  'invalid --request-timeout: use a single integer in seconds, or an integer followed by a unit (e.g. 1s | 2m | 3h); 0 means no timeout';

/** A Go duration (time.ParseDuration: "0", "30s", "1m30s", "500ms") in milliseconds; undefined if it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (!/^(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))*$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, , unit] of trimmed.matchAll(/(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(amount) * (DURATION_UNITS_MS[unit ?? ''] ?? 0);
  }
  return Math.ceil(total);
}

/**
 * A duration flag in milliseconds: a bare integer is seconds (as clientcmd.ParseTimeout reads
 * --request-timeout), anything else a Go duration; "0" is zero (for most flags: no limit).
 * Anything else is a usage error naming the flag (for --request-timeout, in kubectl's words).
 */
export function parseDurationFlag(flag: string, text: string): number {
  const trimmed = text.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : parseGoDuration(trimmed);
  if (ms !== undefined) return ms;
  throw usageError(
    flag === '--request-timeout' ? INVALID_REQUEST_TIMEOUT : `${flag} must be seconds or a duration such as 30s or 5m (got ${text})`,
  );
}

/** 1500 → "1.5s", 250 → "250ms". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Number((ms / 1000).toFixed(3))}s`;
}
