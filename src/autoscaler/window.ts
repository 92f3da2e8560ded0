// Bucketed time windows the KPA averages metrics over (knative/serving pkg/autoscaler/aggregation/bucketing.go) and the
// sliding max window behind scale-down delay (pkg/autoscaler/aggregation/max/window.go).

/** Averaging over the last `window` seconds of per-second samples. Times are unix milliseconds. */
export interface MetricWindow {
  readonly windowSeconds: number;
  /** Adds `value` to the bucket of the second `nowMs` falls in. */
  record(nowMs: number, value: number): void;
  /** The window's average as of `nowMs`. */
  average(nowMs: number): number;
  /** True when nothing was recorded within the window before `nowMs`. */
  isEmpty(nowMs: number): boolean;
  /** Changes the window length, keeping the newest buckets that still fit. */
  resize(windowSeconds: number, nowMs: number): void;
}

/** Which averaging a revision asks for (`autoscaling.knative.dev/metric-aggregation-algorithm`). */
export type Aggregation = 'linear' | 'weighted-exponential';

const PRECISION_DIGITS = 6;
/** Weighted-exponential: the weights of one window must add up to at least this much… */
const WEIGHT_PRECISION = 0.9999;
/** …but decay at least this fast, or very long windows degenerate to a plain average. */
const MIN_SMOOTHING = 0.2;

/**
 * knative/serving pkg/autoscaler/aggregation/bucketing.go roundToNDigits: math.Round(f·10ⁿ)/10ⁿ. Go rounds halves
 * away from zero (JavaScript's Math.round rounds them up), and a tiny negative rounds to 0, not -0.
 */
export function roundToNDigits(n: number, f: number): number {
  const p = 10 ** n;
  const r = Math.sign(f) * Math.round(Math.abs(f * p)) / p;
  return r === 0 ? 0 : r;
}

/** The windows' averages are rounded to 6 digits. */
function round6(f: number): number {
  return roundToNDigits(PRECISION_DIGITS, f);
}

/** Non-negative modulo, for ring indexes. */
function mod(i: number, n: number): number {
  return ((i % n) + n) % n;
}

const second = (ms: number): number => Math.floor(ms / 1000);

/** α for a weighted-exponential window of `buckets` buckets: max(1 − 0.0001^(1/N), 0.2). */
export function smoothingCoefficient(buckets: number): number {
  return Math.max(1 - (1 - WEIGHT_PRECISION) ** (1 / buckets), MIN_SMOOTHING);
}

/**
 * Knative's TimedFloat64Buckets: a ring of ceil(window/1s) one-second buckets keyed by unix second.
 * Gaps are zero-filled on the next write; a write after ≥ window of silence starts over.
 */
abstract class BucketRing implements MetricWindow {
  windowSeconds: number;
  protected buckets: number[];
  /** First second written since the last reset; null before any write. */
  protected firstWrite: number | null = null;
  /** Last second written; −∞ before any write (Go's zero time: "long ago"). */
  protected lastWrite = Number.NEGATIVE_INFINITY;
  /** Sum of every bucket, including stale ones past lastWrite. */
  protected windowTotal = 0;

  constructor(windowSeconds: number) {
    this.windowSeconds = windowSeconds;
    this.buckets = new Array<number>(Math.ceil(windowSeconds)).fill(0);
  }

  record(nowMs: number, value: number): void {
    const t = second(nowMs);
    const n = this.buckets.length;
    if (this.lastWrite !== t) {
      // Values older than a whole window are dropped.
      if (!(t + this.windowSeconds > this.lastWrite)) return;
      if (this.firstWrite === null || this.firstWrite > t) this.firstWrite = t;
      if (t > this.lastWrite) {
        if (t - this.lastWrite >= this.windowSeconds) {
          this.firstWrite = t;
          this.buckets.fill(0);
          this.windowTotal = 0;
        } else {
          for (let i = this.lastWrite + 1; i <= t; i++) {
            const idx = mod(i, n);
            this.windowTotal -= this.buckets[idx];
            this.buckets[idx] = 0;
          }
        }
        this.lastWrite = t;
      }
      // Otherwise lastWrite − window < t < lastWrite: a late value, added to its own bucket.
    }
    this.buckets[mod(t, n)] += value;
    this.windowTotal += value;
  }

  isEmpty(nowMs: number): boolean {
    return second(nowMs) - this.lastWrite > this.windowSeconds;
  }

  abstract average(nowMs: number): number;

  resize(windowSeconds: number, nowMs: number): void {
    if (windowSeconds === this.windowSeconds) return;
    const n = Math.ceil(windowSeconds);
    const next = new Array<number>(n).fill(0);
    let total = 0;
    if (second(nowMs) - this.lastWrite <= this.windowSeconds) {
      const old = this.buckets.length;
      let t = this.lastWrite;
      for (let i = 0; i < Math.min(n, old); i++, t--) {
        next[mod(t, n)] = this.buckets[mod(t, old)];
        total += this.buckets[mod(t, old)];
      }
      // As Knative: assume the old window was full, so the partial-window rule no longer applies.
      this.firstWrite = this.lastWrite - (old - 1);
    } else {
      this.firstWrite = null;
    }
    this.windowSeconds = windowSeconds;
    this.buckets = next;
    this.windowTotal = total;
  }
}

/**
 * The default KPA window: a plain average over the buckets that hold valid data. Early on (first write less
 * than a window ago) and after recent silence, it averages over the partial window only. Rounded to 6 decimals.
 */
export class LinearWindow extends BucketRing {
  average(nowMs: number): number {
    const now = second(nowMs);
    const d = now - this.lastWrite;
    const span = this.lastWrite - (this.firstWrite ?? this.lastWrite) + 1;
    const n = this.buckets.length;
    if (d <= 0) return round6(this.windowTotal / Math.min(span, n));
    if (d < this.windowSeconds) {
      // The buckets after lastWrite hold values from a window ago: leave them out.
      let total = this.windowTotal;
      for (let i = this.lastWrite + 1; i <= now; i++) total -= this.buckets[mod(i, n)];
      return round6(total / Math.min(span, n - d));
    }
    return 0;
  }
}

/**
 * Exponentially weighted window: newest second weighs α, the one before α(1−α), … Seconds of silence since the
 * last write count as leading zeros. The weights are not renormalised, so the result is not rounded either.
 */
export class WeightedExponentialWindow extends BucketRing {
  private alpha: number;

  constructor(windowSeconds: number) {
    super(windowSeconds);
    this.alpha = smoothingCoefficient(this.buckets.length);
  }

  /** The smoothing coefficient α in use. */
  get smoothing(): number {
    return this.alpha;
  }

  average(nowMs: number): number {
    const now = second(nowMs);
    if (this.isEmpty(nowMs)) return 0;
    const total = this.buckets.length;
    let count = total;
    let multiplier = this.alpha;
    if (now > this.lastWrite) {
      const zeros = now - this.lastWrite;
      multiplier *= (1 - this.alpha) ** zeros;
      count -= zeros;
    }
    let ret = 0;
    for (let i = 0; i < count; i++) {
      ret += this.buckets[mod(this.lastWrite - i, total)] * multiplier;
      multiplier *= 1 - this.alpha;
    }
    return ret;
  }

  override resize(windowSeconds: number, nowMs: number): void {
    super.resize(windowSeconds, nowMs);
    this.alpha = smoothingCoefficient(this.buckets.length);
  }
}

/** A metric window of the given algorithm. */
export function newMetricWindow(aggregation: Aggregation, windowSeconds: number): MetricWindow {
  return aggregation === 'weighted-exponential' ? new WeightedExponentialWindow(windowSeconds) : new LinearWindow(windowSeconds);
}

/**
 * Sliding maximum over the last `durationSeconds`, in buckets of `granularitySeconds` (Knative's max.TimeWindow,
 * a descending-minima ring). Used to hold scale-down decisions back for scale-down-delay.
 */
export class MaxTimeWindow {
  private readonly granularity: number;
  private readonly maxima: { index: number; value: number }[];
  private first = 0;
  private length = 0;

  constructor(durationSeconds: number, granularitySeconds = 2) {
    this.granularity = granularitySeconds;
    const size = Math.ceil(durationSeconds / granularitySeconds);
    this.maxima = Array.from({ length: size }, () => ({ index: 0, value: 0 }));
  }

  /** Records `value` for the bucket of `nowMs`; times must not go backwards. */
  record(nowMs: number, value: number): void {
    const size = this.maxima.length;
    const index = Math.trunc(second(nowMs) / this.granularity);
    let v = value;
    // A newer, larger value makes every smaller one irrelevant.
    while (this.length > 0 && !(v < this.maxima[(this.first + this.length - 1) % size].value)) this.length--;
    // Drop entries that slid out of the window.
    while (this.length > 0 && index - this.maxima[this.first].index >= size) {
      this.length--;
      this.first = (this.first + 1) % size;
    }
    // Several values in one bucket: keep the largest.
    if (this.length > 0) {
      const last = this.maxima[(this.first + this.length - 1) % size];
      if (last.index === index) {
        if (last.value > v) v = last.value;
        this.length--;
      }
    }
    this.maxima[(this.first + this.length) % size] = { index, value: v };
    this.length++;
  }

  /** The largest value recorded in the window that ends at the latest record. */
  current(): number {
    return this.maxima[this.first].value;
  }
}
