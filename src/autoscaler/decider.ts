// The KPA decider: per-revision scaling inputs (knative/serving pkg/reconciler/autoscaling/kpa/resources/decider.go MakeDecider)
// and the per-tick desired-scale computation (pkg/autoscaler/scaling/autoscaler.go Scale).

import type { AutoscalerConfig } from '../api/config.ts';
import { parseDurationSeconds, parseGoFloat, parseGoInt } from '../api/go-values.ts';
import { AUTOSCALING_ANNOTATIONS as A, getAnnotation } from '../api/autoscaling-annotations.ts';
import { MaxTimeWindow, newMetricWindow, type Aggregation, type MetricWindow } from './window.ts';

/** The metric the KPA scales on. */
export type ScalingMetric = 'concurrency' | 'rps';

/** Everything one revision's decider needs (Knative's DeciderSpec plus the windows of its Metric). */
export interface DeciderSpec {
  metric: ScalingMetric;
  /** Per-pod value the autoscaler aims for (total × utilization, at least 0.01). */
  targetValue: number;
  /** Per-pod value a pod can take at most. */
  totalValue: number;
  /** Panic when desired panic pods / ready pods reaches this factor (2 = 200%). */
  panicThreshold: number;
  stableWindowSeconds: number;
  panicWindowSeconds: number;
  /** ≥ 0, or -1 for "activator always in the path". */
  targetBurstCapacity: number;
  scaleDownDelaySeconds: number;
  /** Minimum scale once any traffic arrives; 0 when unset. */
  activationScale: number;
  initialScale: number;
  maxScaleUpRate: number;
  maxScaleDownRate: number;
  /** False when no route references the revision (the labeler's routingState, knative/serving pkg/reconciler/labeler). */
  reachable: boolean;
  aggregation: Aggregation;
}

/** Lowest target the autoscaler accepts (autoscaling.TargetMin). */
export const TARGET_MIN = 0.01;

/** How often the autoscaler ticks a decider, in milliseconds (fixed in Knative). */
export const TICK_INTERVAL_MS = 2000;

/** Bucket size and granularity of the metric windows, in seconds. */
export const BUCKET_SECONDS = 1;

function annotationFloat(annotations: Record<string, string>, keys: readonly string[]): number | undefined {
  const found = getAnnotation(annotations, keys);
  if (!found) return undefined;
  return parseGoFloat(found.value) ?? undefined;
}

function annotationInt32(annotations: Record<string, string>, keys: readonly string[]): number | undefined {
  const found = getAnnotation(annotations, keys);
  if (!found) return undefined;
  const v = parseGoInt(found.value, 32);
  return typeof v === 'number' ? v : undefined;
}

function annotationSeconds(annotations: Record<string, string>, keys: readonly string[]): number | undefined {
  const found = getAnnotation(annotations, keys);
  if (!found) return undefined;
  return parseDurationSeconds(found.value) ?? undefined;
}

/** The revision's stable window: the `window` annotation, else config stable-window. */
export function stableWindowSecondsFor(annotations: Record<string, string>, config: AutoscalerConfig): number {
  return annotationSeconds(annotations, A.window) ?? config.stableWindowSeconds;
}

/** Initial scale: the annotation (0 only with allow-zero-initial-scale), else config initial-scale. */
export function initialScaleFor(annotations: Record<string, string>, config: AutoscalerConfig): number {
  const v = annotationInt32(annotations, A.initialScale);
  if (v === undefined || (v === 0 && !config.allowZeroInitialScale)) return config.initialScale;
  return v;
}

/** Scale-to-zero pod retention period: the annotation, else config. */
export function podRetentionSecondsFor(annotations: Record<string, string>, config: AutoscalerConfig): number {
  return annotationSeconds(annotations, A.scaleToZeroPodRetentionPeriod) ?? config.scaleToZeroPodRetentionPeriodSeconds;
}

/** The metric named by the annotation; anything but `rps` scales on concurrency. */
export function scalingMetricFor(annotations: Record<string, string>): ScalingMetric {
  return getAnnotation(annotations, A.metric)?.value === 'rps' ? 'rps' : 'concurrency';
}

/** The aggregation algorithm named by the annotation (either spelling), else linear. */
export function aggregationFor(annotations: Record<string, string>): Aggregation {
  const v = getAnnotation(annotations, A.metricAggregationAlgorithm)?.value;
  return v === 'weighted-exponential' || v === 'weightedExponential' ? 'weighted-exponential' : 'linear';
}

/** The utilization rps targets unless annotated: Knative's TargetUtilization, which config-autoscaler does not set. */
export const RPS_TARGET_UTILIZATION = 0.7;

/** Knative's ResolveMetricTarget (pkg/reconciler/autoscaling/resources/target.go): the per-pod target and total for the revision's metric. */
export function resolveMetricTarget(
  annotations: Record<string, string>, containerConcurrency: number, config: AutoscalerConfig,
): { target: number; total: number } {
  const metric = scalingMetricFor(annotations);
  let total = metric === 'rps'
    ? config.rpsTargetDefault
    : containerConcurrency > 0 ? containerConcurrency : config.containerConcurrencyTargetDefault;
  const annotated = annotationFloat(annotations, A.target);
  if (annotated !== undefined) {
    // Never aim above what containerConcurrency lets one pod take.
    total = metric === 'concurrency' && containerConcurrency > 0 ? Math.min(annotated, containerConcurrency) : annotated;
  }
  const tu = annotationFloat(annotations, A.targetUtilizationPercentage);
  // container-concurrency-target-percentage is for concurrency only; rps aims at the fixed TargetUtilization
  // (knative/serving pkg/autoscaler/config/config.go defaultTargetUtilization).
  const fallback = metric === 'rps' ? RPS_TARGET_UTILIZATION : config.containerConcurrencyTargetFraction;
  const utilization = tu !== undefined ? tu / 100 : fallback;
  return { target: Math.max(TARGET_MIN, total * utilization), total };
}

/** The panic window: stable window × percentage, rounded to whole seconds, at least one bucket. */
export function panicWindowSecondsFor(stableWindowSeconds: number, panicWindowPercentage: number): number {
  const ns = Math.trunc(stableWindowSeconds * 1e9 * panicWindowPercentage / 100);
  return Math.max(BUCKET_SECONDS, Math.round(ns / 1e9));
}

/**
 * Builds a revision's DeciderSpec (Knative's MakeDecider + MakeMetric) from its template annotations,
 * its containerConcurrency, config-autoscaler and the PA's reachability. Annotations that do not parse are
 * ignored (the webhook rejects them before they get here).
 */
export function deciderSpecFor(
  annotations: Record<string, string>, containerConcurrency: number, config: AutoscalerConfig, reachable: boolean,
): DeciderSpec {
  const { target, total } = resolveMetricTarget(annotations, containerConcurrency, config);
  const stableWindowSeconds = stableWindowSecondsFor(annotations, config);
  const panicPct = annotationFloat(annotations, A.panicWindowPercentage) ?? config.panicWindowPercentage;
  return {
    metric: scalingMetricFor(annotations),
    targetValue: target,
    totalValue: total,
    panicThreshold: (annotationFloat(annotations, A.panicThresholdPercentage) ?? config.panicThresholdPercentage) / 100,
    stableWindowSeconds,
    panicWindowSeconds: panicWindowSecondsFor(stableWindowSeconds, panicPct),
    targetBurstCapacity: annotationFloat(annotations, A.targetBurstCapacity) ?? config.targetBurstCapacity,
    scaleDownDelaySeconds: annotationSeconds(annotations, A.scaleDownDelay) ?? config.scaleDownDelaySeconds,
    activationScale: annotationInt32(annotations, A.activationScale) ?? 0,
    initialScale: initialScaleFor(annotations, config),
    maxScaleUpRate: config.maxScaleUpRate,
    maxScaleDownRate: config.maxScaleDownRate,
    reachable,
    aggregation: aggregationFor(annotations),
  };
}

// ---------------------------------------------------------------------------
// Metrics: what the data plane reports, averaged over the stable and panic windows.

/** One second of load on a revision, already net of traffic the activator reported itself. */
export interface MetricSample {
  /** Average in-flight requests over the second. */
  concurrency: number;
  /** Requests in the second. */
  rps: number;
}

/** Stable and panic averages of one metric at a point in time. */
export interface ObservedMetric {
  stable: number;
  panic: number;
  /** Nothing was recorded within the stable window. */
  stableEmpty: boolean;
}

/** Where a decider reads its averages from (Knative's MetricClient). */
export interface MetricSource {
  record(nowMs: number, sample: MetricSample): void;
  observe(nowMs: number, metric: ScalingMetric): ObservedMetric;
  /** Follows a spec change (window lengths, aggregation). */
  update(spec: DeciderSpec, nowMs: number): void;
}

/** Knative's metric collection: stable and panic windows for concurrency and for rps. */
export class RevisionMetrics implements MetricSource {
  private aggregation: Aggregation;
  private concurrency: { stable: MetricWindow; panic: MetricWindow };
  private rps: { stable: MetricWindow; panic: MetricWindow };

  constructor(spec: DeciderSpec) {
    this.aggregation = spec.aggregation;
    this.concurrency = RevisionMetrics.pair(spec);
    this.rps = RevisionMetrics.pair(spec);
  }

  private static pair(spec: DeciderSpec): { stable: MetricWindow; panic: MetricWindow } {
    return {
      stable: newMetricWindow(spec.aggregation, spec.stableWindowSeconds),
      panic: newMetricWindow(spec.aggregation, spec.panicWindowSeconds),
    };
  }

  record(nowMs: number, sample: MetricSample): void {
    this.concurrency.stable.record(nowMs, sample.concurrency);
    this.concurrency.panic.record(nowMs, sample.concurrency);
    this.rps.stable.record(nowMs, sample.rps);
    this.rps.panic.record(nowMs, sample.rps);
  }

  observe(nowMs: number, metric: ScalingMetric): ObservedMetric {
    const w = metric === 'rps' ? this.rps : this.concurrency;
    return { stable: w.stable.average(nowMs), panic: w.panic.average(nowMs), stableEmpty: w.stable.isEmpty(nowMs) };
  }

  update(spec: DeciderSpec, nowMs: number): void {
    if (spec.aggregation !== this.aggregation) {
      // Knative never changes the algorithm of a running revision; start afresh if it happens.
      this.aggregation = spec.aggregation;
      this.concurrency = RevisionMetrics.pair(spec);
      this.rps = RevisionMetrics.pair(spec);
      return;
    }
    for (const w of [this.concurrency, this.rps]) {
      w.stable.resize(spec.stableWindowSeconds, nowMs);
      w.panic.resize(spec.panicWindowSeconds, nowMs);
    }
  }
}

// ---------------------------------------------------------------------------
// The decider.

/** What a tick recommends. */
export interface ScaleResult {
  /** Pods the revision should have; -1 while unknown (no decision made yet). */
  desiredScale: number;
  /** Spare capacity beyond the target burst capacity; negative keeps the activator in the path. */
  excessBurstCapacity: number;
  /** The PA should be reconciled: desired changed or EBC changed sign. */
  changed: boolean;
  /** No data in the stable window: nothing was decided and the previous status is returned. */
  noData?: true;
}

/** The decider's last recommendation (Knative's DeciderStatus). */
export interface DeciderStatus {
  desiredScale: number;
  excessBurstCapacity: number;
}

/**
 * One revision's KPA decider. Pure and clock-free: every call takes `nowMs`. Feed it one `record` per second
 * per reporter (zeros included while pods run) and call `scale` every TICK_INTERVAL_MS.
 */
export class Decider {
  private spec: DeciderSpec;
  private readonly metrics: MetricSource;
  /** When panic mode was last entered or extended; null when not panicking. */
  private panicTimeMs: number | null;
  private maxPanicPods: number;
  private delayWindow: MaxTimeWindow | null;
  private last: DeciderStatus;
  private latestMs: number;

  /**
   * `readyPods` at creation: with more than one ready pod the decider starts in panic mode so an autoscaler
   * restart (which loses metric history) does not scale the revision down.
   */
  constructor(spec: DeciderSpec, nowMs: number, readyPods = 0, metrics?: MetricSource) {
    this.spec = spec;
    this.metrics = metrics ?? new RevisionMetrics(spec);
    this.panicTimeMs = readyPods > 1 ? nowMs : null;
    this.maxPanicPods = readyPods;
    this.delayWindow = spec.scaleDownDelaySeconds > 0 ? new MaxTimeWindow(spec.scaleDownDelaySeconds, TICK_INTERVAL_MS / 1000) : null;
    this.last = { desiredScale: -1, excessBurstCapacity: initialExcessBurstCapacity(spec) };
    this.latestMs = nowMs;
  }

  /** The spec in use. */
  get currentSpec(): DeciderSpec {
    return this.spec;
  }

  /** The last recommendation; desiredScale -1 until the first decision. */
  get status(): DeciderStatus {
    return { ...this.last };
  }

  /** True while in panic mode. */
  get panicking(): boolean {
    return this.panicTimeMs !== null;
  }

  /**
   * Records one second of load. Returns true when the caller should tick now: the last decision was 0 and
   * requests are arriving (Knative's poke for fast scale-from-zero).
   */
  record(nowMs: number, sample: MetricSample): boolean {
    this.latestMs = Math.max(this.latestMs, nowMs);
    this.metrics.record(nowMs, sample);
    return this.last.desiredScale === 0 && sample.concurrency !== 0;
  }

  /** Reconfigures the decider (Knative's Update); windows are resized, panic state is kept. */
  update(spec: DeciderSpec, nowMs = this.latestMs): void {
    if (spec.scaleDownDelaySeconds !== this.spec.scaleDownDelaySeconds) {
      this.delayWindow = spec.scaleDownDelaySeconds > 0 ? new MaxTimeWindow(spec.scaleDownDelaySeconds, TICK_INTERVAL_MS / 1000) : null;
    }
    this.metrics.update(spec, nowMs);
    this.spec = spec;
  }

  /** One autoscaler tick (knative/serving pkg/autoscaler/scaling/autoscaler.go Scale). `readyPods` is the revision's ready pod count. */
  scale(nowMs: number, readyPods: number): ScaleResult {
    this.latestMs = Math.max(this.latestMs, nowMs);
    const spec = this.spec;
    const observed = this.metrics.observe(nowMs, spec.metric);
    // Without a scrape target (TBC -1) Knative reads an empty window as zero load.
    if (observed.stableEmpty && spec.targetBurstCapacity !== -1) return { ...this.last, changed: false, noData: true };
    const { stable, panic } = observed;

    const pods = Math.max(1, readyPods);
    // ceil so a slow rate still allows one more pod.
    const maxScaleUp = Math.ceil(spec.maxScaleUpRate * pods);
    const maxScaleDown = spec.reachable ? Math.floor(pods / spec.maxScaleDownRate) : 0;

    const dspc = Math.ceil(stable / spec.targetValue);
    const dppc = Math.ceil(panic / spec.targetValue);
    let stableDesired = clamp(dspc, maxScaleDown, maxScaleUp);
    let panicDesired = clamp(dppc, maxScaleDown, maxScaleUp);
    if (spec.activationScale > 1) {
      if (dspc > 0 && spec.activationScale > stableDesired) stableDesired = spec.activationScale;
      if (dppc > 0 && spec.activationScale > panicDesired) panicDesired = spec.activationScale;
    }

    const over = dppc / pods >= spec.panicThreshold;
    if (over) {
      this.panicTimeMs = nowMs; // enter, or extend
    } else if (this.panicTimeMs !== null && this.panicTimeMs + spec.stableWindowSeconds * 1000 < nowMs) {
      // The surge has made its way into the stable window.
      this.panicTimeMs = null;
      this.maxPanicPods = 0;
    }

    let desired = stableDesired;
    if (this.panicTimeMs !== null) {
      desired = Math.max(desired, panicDesired);
      // Never scale down while panicking.
      if (desired > this.maxPanicPods) this.maxPanicPods = desired;
      desired = this.maxPanicPods;
    }

    if (this.delayWindow !== null && spec.reachable) {
      this.delayWindow.record(nowMs, desired);
      desired = this.delayWindow.current();
    }

    const ebc = excessBurstCapacity(spec, readyPods, panic);
    const changed = desired !== this.last.desiredScale || (ebc < 0) !== (this.last.excessBurstCapacity < 0);
    this.last = { desiredScale: desired, excessBurstCapacity: ebc };
    return { desiredScale: desired, excessBurstCapacity: ebc, changed };
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/** EBC: 0 for TBC 0, -1 for TBC -1, else floor(ready × total − TBC − panic load). */
export function excessBurstCapacity(spec: DeciderSpec, readyPods: number, panicValue: number): number {
  if (spec.targetBurstCapacity === 0) return 0;
  if (spec.targetBurstCapacity < 0) return -1;
  return Math.floor(readyPods * spec.totalValue - spec.targetBurstCapacity - panicValue);
}

/** EBC before the first tick: TBC for -1/0, else initialScale × total − TBC (truncated like Go's int32()). */
export function initialExcessBurstCapacity(spec: DeciderSpec): number {
  const tbc = spec.targetBurstCapacity;
  if (tbc === -1 || tbc === 0) return tbc;
  return Math.trunc(spec.initialScale * spec.totalValue - tbc);
}
