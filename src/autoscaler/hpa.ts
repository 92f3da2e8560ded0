// The hpa.autoscaling.knative.dev class (knative/serving pkg/reconciler/autoscaling/hpa/resources/hpa.go MakeHPA): the HPA Knative would create, and Kubernetes' replica formula.

import type { AutoscalerConfig } from '../api/config.ts';
import { parseDurationSeconds, parseGoFloat } from '../api/go-values.ts';
import { AUTOSCALING_ANNOTATIONS as A, getAnnotation } from '../api/autoscaling-annotations.ts';
import { scaleBoundsFor } from './scaler.ts';

/** Autoscaler class value for the Kubernetes HPA. */
export const HPA_CLASS = 'hpa.autoscaling.knative.dev';

/** Kubernetes' default --horizontal-pod-autoscaler-tolerance. */
export const HPA_TOLERANCE = 0.1;

const MAX_INT32 = 2 ** 31 - 1;
const MIB = 1024 * 1024;

/** What the HPA scales on: cpu utilization (%), memory average value (bytes), or a named per-pod metric. */
export type HPATarget =
  | { metric: 'cpu'; averageUtilization: number }
  | { metric: 'memory'; averageValueBytes: number }
  | { metric: string; averageValue: number };

/** The parts of Knative's generated HorizontalPodAutoscaler that decide replicas. */
export interface HPASpec {
  /** min-scale when > 0, else Kubernetes' default of 1. */
  minReplicas: number;
  /** max-scale, or MaxInt32 when unbounded. */
  maxReplicas: number;
  metric: string;
  /** Only set when the `target` annotation is. */
  target?: HPATarget;
  /** From `window`: both the scale-up and scale-down stabilization window. */
  stabilizationWindowSeconds?: number;
}

/** Knative's MakeHPA for a revision of class hpa.autoscaling.knative.dev. */
export function hpaSpecFor(annotations: Record<string, string>, config: AutoscalerConfig, reachable: boolean): HPASpec {
  const { min, max } = scaleBoundsFor(annotations, config, reachable);
  const metric = getAnnotation(annotations, A.metric)?.value ?? 'cpu';
  const spec: HPASpec = { minReplicas: min > 0 ? min : 1, maxReplicas: max === 0 ? MAX_INT32 : max, metric };
  const raw = getAnnotation(annotations, A.target);
  const target = raw ? parseGoFloat(raw.value) : null;
  if (target !== null) {
    if (metric === 'cpu') spec.target = { metric, averageUtilization: Math.ceil(target) };
    else if (metric === 'memory') spec.target = { metric, averageValueBytes: Math.trunc(target) * MIB };
    else spec.target = { metric, averageValue: Math.trunc(target) };
  }
  const window = getAnnotation(annotations, A.window);
  const seconds = window ? parseDurationSeconds(window.value) : null;
  if (seconds !== null) spec.stabilizationWindowSeconds = Math.trunc(seconds);
  return spec;
}

/**
 * Kubernetes' HPA replica formula for one metric: ceil(current × currentUtilization / targetUtilization),
 * unchanged while the ratio is within 10% of 1, kept within [min, max] and never below 1.
 * Utilizations may be percentages or absolute values, as long as both use the same unit.
 */
export function hpaDesiredReplicas(
  current: number, currentUtilization: number, targetUtilization: number, min: number, max: number,
): number {
  const lo = Math.max(1, min);
  const hi = max > 0 ? Math.max(max, lo) : MAX_INT32;
  // The HPA controller does not compute a recommendation outside the bounds; it moves into them first.
  if (current > hi) return hi;
  if (current < lo) return lo;
  if (!(targetUtilization > 0)) return current;
  const ratio = currentUtilization / targetUtilization;
  const desired = Math.abs(1 - ratio) <= HPA_TOLERANCE ? current : Math.ceil(ratio * current);
  return Math.min(Math.max(desired, lo), hi);
}
