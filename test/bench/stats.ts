// Order statistics for the bench: samples are whole processes or requests on a shared machine, so
// the median (not the mean) is the figure, and a ratio is taken between medians of the same run.

/** The value at `fraction` (0.5 = median) of the samples, nearest rank. */
export function percentile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] as number;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 0.5);
}

/** a / b, or NaN when either is missing. */
export function ratio(a: number | undefined, b: number | undefined): number {
  return a === undefined || b === undefined || !(b > 0) ? Number.NaN : a / b;
}
