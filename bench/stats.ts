// Order statistics shared by the HTTP load runs and the analytics scenario.

/** The nearest-rank percentile (0 < q <= 1) of values sorted in ascending order; 0 when there are none. */
export const nearestRank = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
