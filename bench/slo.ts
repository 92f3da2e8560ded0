// Percentiles and Knative's create→Ready objective, shared by the bench scripts.

/** Knative's objective for a new Service: p95 of create→Ready at most 25 s. */
export const CREATE_READY_OBJECTIVE = { quantile: 0.95, maxMs: 25_000, text: 'p95 ≤ 25 s' } as const;

/** Nearest-rank quantile (q in (0, 1]) of xs; undefined for no samples. */
export function quantile(xs: readonly number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** Median (mean of the two middle values for an even count); undefined for no samples. */
export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** How samples fare against the objective: the quantile, its ratio to the limit, and whether it holds. */
export function checkObjective(samplesMs: readonly number[]): { p: number | undefined; ratio: number | undefined; meets: boolean } {
  const p = quantile(samplesMs, CREATE_READY_OBJECTIVE.quantile);
  if (p === undefined) return { p, ratio: undefined, meets: false };
  const ratio = p / CREATE_READY_OBJECTIVE.maxMs;
  return { p, ratio, meets: ratio <= 1 };
}
