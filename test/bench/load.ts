// HTTP load with autocannon (https://github.com/mcollina/autocannon), every response's latency kept
// (autocannon's own histogram is in whole milliseconds) and every failure with its time, so the
// soak can tell the failures of an upstream restart from the others.

import autocannon from 'autocannon';

export interface Failure {
  atMs: number;
  what: string;
}

export interface LoadResult {
  seconds: number;
  ok: number;
  failures: Failure[];
  latenciesMs: number[];
}

export function load(url: string, connections: number, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const latenciesMs: number[] = [];
    const failures: Failure[] = [];
    let ok = 0;
    const instance = autocannon({ url, connections, duration: seconds, timeout: 10 }, (err, result) => {
      if (err) reject(err);
      else resolve({ seconds: result.duration, ok, failures, latenciesMs });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        latenciesMs.push(responseTimeMs);
      } else {
        failures.push({ atMs: Date.now() - started, what: `HTTP ${statusCode}` });
      }
    });
    instance.on('reqError', (error) => failures.push({ atMs: Date.now() - started, what: error.message }));
  });
}
