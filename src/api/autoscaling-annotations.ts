// Autoscaling annotations: their keys with aliases (knative/serving pkg/apis/autoscaling/register.go) and
// their validation (pkg/apis/autoscaling/annotation_validation.go ValidateAnnotations).

import { CURRENT_FIELD, FieldError } from './field-error.ts';
import type { ServingConfig } from './config.ts';
import { parseGoDuration, parseGoFloat, parseGoInt } from './go-values.ts';
import { combine, INT32_MAX, type Errs } from './shape-check.ts';

const AS = 'autoscaling.knative.dev/';

/** Annotation keys in priority order (canonical first, then the camelCase alias). */
export const AUTOSCALING_ANNOTATIONS = {
  class: [`${AS}class`],
  metric: [`${AS}metric`],
  target: [`${AS}target`],
  targetUtilizationPercentage: [`${AS}target-utilization-percentage`, `${AS}targetUtilizationPercentage`],
  targetBurstCapacity: [`${AS}target-burst-capacity`, `${AS}targetBurstCapacity`],
  minScale: [`${AS}min-scale`, `${AS}minScale`],
  maxScale: [`${AS}max-scale`, `${AS}maxScale`],
  initialScale: [`${AS}initial-scale`, `${AS}initialScale`],
  activationScale: [`${AS}activation-scale`],
  window: [`${AS}window`],
  panicWindowPercentage: [`${AS}panic-window-percentage`, `${AS}panicWindowPercentage`],
  panicThresholdPercentage: [`${AS}panic-threshold-percentage`, `${AS}panicThresholdPercentage`],
  scaleDownDelay: [`${AS}scale-down-delay`, `${AS}scaleDownDelay`],
  scaleToZeroPodRetentionPeriod: [`${AS}scale-to-zero-pod-retention-period`, `${AS}scaleToZeroPodRetentionPeriod`],
  metricAggregationAlgorithm: [`${AS}metric-aggregation-algorithm`, `${AS}metricAggregationAlgorithm`],
} as const;

const KPA = 'kpa.autoscaling.knative.dev';
const HPA = 'hpa.autoscaling.knative.dev';

/** knative/pkg kmap KeyPriority.Get: the first of `keys` present in the map. */
export function getAnnotation(annotations: Record<string, string> | undefined, keys: readonly string[]): { key: string; value: string } | undefined {
  if (!annotations) return undefined;
  for (const key of keys) if (Object.hasOwn(annotations, key)) return { key, value: annotations[key] };
  return undefined;
}

function getIntGE0(m: Record<string, string>, keys: readonly string[]): { value: number; err: FieldError | null; present: boolean } {
  const found = getAnnotation(m, keys);
  if (!found) return { value: 0, err: null, present: false };
  const i = parseGoInt(found.value, 32);
  if (i === 'range' || (typeof i === 'number' && i < 0)) {
    return { value: 0, err: FieldError.outOfBounds(found.value, 0, INT32_MAX, found.key), present: true };
  }
  if (i === null) return { value: 0, err: FieldError.invalidValue(found.value, found.key), present: true };
  return { value: i, err: null, present: true };
}

/**
 * autoscaling.ValidateAnnotations: every `autoscaling.knative.dev/*` key Knative knows, with aliases.
 * Paths are the annotation keys; callers attach them under `...metadata.annotations`.
 */
export function validateAutoscalingAnnotations(
  annotations: Record<string, string>, config: ServingConfig, op: 'create' | 'update',
): FieldError | null {
  const m = annotations;
  const A = AUTOSCALING_ANNOTATIONS;
  const errs: Errs = [];
  const cls = getAnnotation(m, A.class);

  if (cls && cls.value.endsWith('.knative.dev') && cls.value !== KPA && cls.value !== HPA) {
    errs.push(FieldError.invalidValue(cls.value, cls.key));
  }

  // min/max/activation scale
  const min = getIntGE0(m, A.minScale);
  const max = getIntGE0(m, A.maxScale);
  errs.push(min.err, max.err);
  if (max.value !== 0 && max.value < min.value) {
    errs.push(new FieldError(`max-scale=${max.value} is less than min-scale=${min.value}`, [A.maxScale[0], A.minScale[0]]));
  }
  const limit = config.autoscaler.maxScaleLimit;
  if (op === 'create' && limit > 0 && (max.present || config.autoscaler.maxScale <= 0)) {
    if (max.value > limit) errs.push(FieldError.outOfBounds(max.value, 1, limit, A.maxScale[0]));
    if (max.value === 0 && !max.err) errs.push(new FieldError(`max-scale=0 (unlimited), must be less than ${limit}`, [A.maxScale[0]]));
  }
  const act = getAnnotation(m, A.activationScale);
  if (act) {
    const v = parseGoInt(act.value, 32);
    if (typeof v !== 'number') errs.push(FieldError.invalidValue(act.value, act.key));
    else if (v < 2) errs.push(FieldError.outOfBounds(act.value, 2, INT32_MAX, act.key));
    else if (v < min.value) errs.push(new FieldError(`activation-scale=${v} is less than min-scale=${min.value}`, [act.key, A.minScale[0]]));
    else if (max.value !== 0 && v > max.value) errs.push(new FieldError(`max-scale=${max.value} is less than activation-scale=${v}`, [A.maxScale[0], act.key]));
  }

  // floats
  const floatIn = (keys: readonly string[], lo: number, hi: number): void => {
    const f = getAnnotation(m, keys);
    if (!f) return;
    const v = parseGoFloat(f.value);
    if (v === null) errs.push(FieldError.invalidValue(f.value, f.key));
    else if (!(v >= lo && v <= hi)) errs.push(FieldError.outOfBounds(f.value, lo, hi, f.key));
  };
  floatIn(A.panicWindowPercentage, 1, 100);
  floatIn(A.panicThresholdPercentage, 110, 1000);
  floatIn(A.targetUtilizationPercentage, 1, 100);
  const target = getAnnotation(m, A.target);
  if (target) {
    const v = parseGoFloat(target.value);
    if (v === null || !(v >= 0.01)) errs.push(FieldError.generic(`target ${target.value} should be at least 0.01`, target.key));
  }
  const tbc = getAnnotation(m, A.targetBurstCapacity);
  if (tbc) {
    const v = parseGoFloat(tbc.value);
    if (v === null || Number.isNaN(v) || (v < 0 && v !== -1)) errs.push(FieldError.invalidValue(tbc.value, tbc.key));
  }

  // durations
  const metric = getAnnotation(m, A.metric);
  const window = getAnnotation(m, A.window);
  if (window) {
    if (cls?.value === HPA && metric?.value === 'cpu') {
      errs.push(FieldError.invalidKey(window.key, CURRENT_FIELD, `${HPA} for ${A.metric[0]} cpu`));
    } else {
      const ns = parseGoDuration(window.value);
      if (ns === null) errs.push(FieldError.invalidValue(window.value, window.key));
      else if (ns < 6_000_000_000n || ns > 3_600_000_000_000n) errs.push(FieldError.outOfBounds(window.value, '6s', '1h0m0s', window.key));
      else if (ns % 1_000_000_000n !== 0n) errs.push(FieldError.generic('must be specified with at most second precision', window.key));
    }
  }
  const retention = getAnnotation(m, A.scaleToZeroPodRetentionPeriod);
  if (retention) {
    const ns = parseGoDuration(retention.value);
    if (ns === null) errs.push(FieldError.invalidValue(retention.value, retention.key));
    else if (ns < 0n || ns > 3_600_000_000_000n) errs.push(FieldError.outOfBounds(retention.value, '0s', '1h0m0s', retention.key));
  }
  const delay = getAnnotation(m, A.scaleDownDelay);
  if (delay) {
    const ns = parseGoDuration(delay.value);
    if (ns === null) errs.push(FieldError.invalidValue(delay.value, delay.key));
    else if (ns < 0n || ns > 3_600_000_000_000n) errs.push(FieldError.outOfBounds(delay.value, '0s', '1h0m0s', delay.key));
    else if (ns % 1_000_000_000n !== 0n) errs.push(FieldError.generic('must be specified with at most second precision', delay.key));
  }

  // metric, aggregation algorithm, initial scale
  if (metric) {
    const classValue = cls?.value ?? config.autoscaler.podAutoscalerClass;
    const ok = classValue === KPA ? metric.value === 'concurrency' || metric.value === 'rps'
      : classValue === HPA ? metric.value !== '' : true;
    if (!ok) errs.push(FieldError.invalidValue(metric.value, metric.key));
  }
  const algo = getAnnotation(m, A.metricAggregationAlgorithm);
  if (algo && algo.value !== '' && cls?.value === KPA && !['linear', 'weighted-exponential', 'weightedExponential'].includes(algo.value)) {
    errs.push(FieldError.invalidValue(algo.value, algo.key));
  }
  const initial = getAnnotation(m, A.initialScale);
  if (initial) {
    const v = parseGoInt(initial.value);
    if (typeof v !== 'number' || v < 0 || (v === 0 && !config.autoscaler.allowZeroInitialScale)) {
      errs.push(FieldError.invalidValue(initial.value, initial.key));
    }
  }
  return combine(errs);
}
