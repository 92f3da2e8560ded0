// The KPA reconciler's scale decision (knative/serving pkg/reconciler/autoscaling/kpa/scaler.go scale): bounds, initial scale, the scale-to-zero gate and the Active condition.

import type { AutoscalerConfig } from '../api/config.ts';
import { parseDurationSeconds, parseGoInt } from '../api/go-values.ts';
import { ANNOTATION } from '../api/types.ts';
import { AUTOSCALING_ANNOTATIONS as A, getAnnotation } from '../api/autoscaling-annotations.ts';
import { initialScaleFor, podRetentionSecondsFor, stableWindowSecondsFor } from './decider.ts';

/** The PodAutoscaler's Active condition: True, Unknown, False. */
export type ActiveState = 'Active' | 'Activating' | 'Inactive';

/** Reasons the Active condition carries when it is not True. */
export type ActiveReason = 'NoTraffic' | 'Queued' | 'TimedOut';

/** Extra time beyond the progress deadline before a stuck activation gives up (activationTimeoutBuffer). */
export const ACTIVATION_TIMEOUT_BUFFER_SECONDS = 30;

/** A revision's scaling settings, resolved once from its annotations and cluster config. */
export interface ScalerSettings {
  /** Lower bound; already 0 when the revision is unreachable. */
  minScale: number;
  /** Upper bound; 0 = unbounded. */
  maxScale: number;
  initialScale: number;
  reachable: boolean;
  enableScaleToZero: boolean;
  stableWindowSeconds: number;
  scaleToZeroGracePeriodSeconds: number;
  /** Already 0 when the revision is unreachable (no route references it: knative/serving pkg/reconciler/labeler). */
  scaleToZeroPodRetentionSeconds: number;
  /** progress deadline + 30 s: how long activation may take before the PA gives up (TimedOut). */
  activationTimeoutSeconds: number;
}

function annotationInt32(annotations: Record<string, string>, keys: readonly string[]): number | undefined {
  const found = getAnnotation(annotations, keys);
  if (!found) return undefined;
  const v = parseGoInt(found.value, 32);
  return typeof v === 'number' ? v : undefined;
}

/** PA.ScaleBounds: min (annotation, else config; 0 when unreachable) and max (annotation, else config; 0 = ∞). */
export function scaleBoundsFor(
  annotations: Record<string, string>, config: AutoscalerConfig, reachable: boolean,
): { min: number; max: number } {
  const min = reachable ? annotationInt32(annotations, A.minScale) ?? config.minScale : 0;
  const max = annotationInt32(annotations, A.maxScale) ?? config.maxScale;
  return { min, max };
}

/**
 * Resolves a revision's ScalerSettings. `progressDeadlineSeconds` is config-deployment's default; the
 * `serving.knative.dev/progress-deadline` annotation overrides it.
 */
export function scalerSettingsFor(
  annotations: Record<string, string>, config: AutoscalerConfig, reachable: boolean, progressDeadlineSeconds: number,
): ScalerSettings {
  const { min, max } = scaleBoundsFor(annotations, config, reachable);
  const deadline = parseDurationSeconds(annotations[ANNOTATION.progressDeadline] ?? '') ?? progressDeadlineSeconds;
  return {
    minScale: min,
    maxScale: max,
    initialScale: initialScaleFor(annotations, config),
    reachable,
    enableScaleToZero: config.enableScaleToZero,
    stableWindowSeconds: stableWindowSecondsFor(annotations, config),
    scaleToZeroGracePeriodSeconds: config.scaleToZeroGracePeriodSeconds,
    scaleToZeroPodRetentionSeconds: reachable ? podRetentionSecondsFor(annotations, config) : 0,
    activationTimeoutSeconds: deadline + ACTIVATION_TIMEOUT_BUFFER_SECONDS,
  };
}

/** What the reconciler knows when it decides (all times unix ms). */
export interface ScaleInput {
  nowMs: number;
  /** The decider's desired scale; -1 while it has no data. */
  desiredScale: number;
  settings: ScalerSettings;
  /** The PA's Active condition as it stands; a fresh PA is Activating since its creation. */
  active: ActiveState;
  /** When the Active condition last changed status (its lastTransitionTime). */
  activeSinceMs: number;
  /** The Active condition's current reason, kept when the state does not change. */
  reason?: ActiveReason;
  /** ScaleTargetInitialized: the revision reached its initial scale once (sticky). */
  scaleTargetInitialized: boolean;
  /** Replicas the workload is currently asked to run. */
  currentScale: number;
  /** Ready pods. */
  readyPods: number;
  /**
   * Since when requests are buffered by the activator/dispatcher instead of going straight to pods (Knative's
   * SKS proxy mode). Knit always buffers, but the pods are "given up" only once the PA is inactive, so the
   * default is the moment the PA became inactive: scale to zero then waits out the full grace period.
   */
  proxySinceMs?: number;
}

/** The reconciler's decision. */
export interface ScaleDecision {
  /** Replicas the workload should run; equals currentScale when nothing is to be applied. */
  scale: number;
  /** PA status desiredScale (-1 = unknown: keep the previously reported value). */
  desiredScale: number;
  active: ActiveState;
  reason?: ActiveReason;
  /** Reconcile again after this long (a timer in the scale-to-zero gate is running). */
  requeueAfterMs?: number;
  scaleTargetInitialized: boolean;
}

/** applyBounds: pre 0 ≤ min ≤ max (or max 0 = ∞). */
function applyBounds(min: number, max: number, x: number): number {
  if (x < min) return min;
  if (max !== 0 && x > max) return max;
  return x;
}

interface Gate {
  want: number;
  apply: boolean;
  requeueAfterMs?: number;
}

/** Waiting on an inactive PA: scale to 0 once retention and grace period (or proxy time) are satisfied. */
function inactiveGate(nowMs: number, inactiveSinceMs: number, proxySinceMs: number, s: ScalerSettings): Gate {
  // The activator is always in knit's path, so Knative's activator probe always succeeds.
  const inactiveFor = nowMs - inactiveSinceMs;
  const retention = s.scaleToZeroPodRetentionSeconds * 1000;
  const grace = s.scaleToZeroGracePeriodSeconds * 1000;
  if (inactiveFor >= Math.max(grace, retention)) return { want: 0, apply: true };
  if (retention > 0 && inactiveFor < retention) return { want: 0, apply: false, requeueAfterMs: retention - inactiveFor };
  const remaining = grace - (nowMs - proxySinceMs);
  if (remaining <= 0) return { want: 0, apply: true };
  return { want: 0, apply: false, requeueAfterMs: remaining };
}

/** Knative's handleScaleToZero for a want of 0. */
function scaleToZeroGate(input: ScaleInput): Gate {
  const { nowMs, settings: s, active, activeSinceMs } = input;
  if (!s.enableScaleToZero) return { want: 1, apply: true };
  const inState = nowMs - activeSinceMs;
  switch (active) {
    case 'Activating': {
      const timeout = s.activationTimeoutSeconds * 1000;
      // Stuck activating past the progress deadline: give up and scale to 0.
      if (inState > timeout) return { want: 0, apply: true };
      return { want: -1, apply: false, requeueAfterMs: Math.max(1, timeout - inState) };
    }
    case 'Active': {
      const sw = s.stableWindowSeconds * 1000;
      if (inState >= sw) {
        // Report 0 without applying it: the PA goes Inactive and the pods stay for the grace period.
        const next = inactiveGate(nowMs, nowMs, input.proxySinceMs ?? nowMs, s);
        return { want: 0, apply: false, requeueAfterMs: next.requeueAfterMs ?? 0 };
      }
      return { want: 1, apply: true, requeueAfterMs: sw - inState };
    }
    case 'Inactive':
      return inactiveGate(nowMs, activeSinceMs, input.proxySinceMs ?? activeSinceMs, s);
  }
}

/**
 * The KPA reconciler's scale step and Active condition (kpa.go, scaler.go) as one pure function:
 * bounds → scale-to-zero gate → replicas to apply → Active/ScaleTargetInitialized.
 */
export function decideScale(input: ScaleInput): ScaleDecision {
  const s = input.settings;
  let want = input.desiredScale;
  let apply = true;
  let requeueAfterMs: number | undefined;

  if (want < 0 && input.active !== 'Activating') {
    // Metrics are not being collected yet: change nothing.
    apply = false;
  } else {
    let min = s.minScale;
    if (s.initialScale > 1 && s.reachable && !input.scaleTargetInitialized) min = Math.max(min, s.initialScale);
    want = applyBounds(min, s.maxScale, want);
    if (want === 0) {
      const gate = scaleToZeroGate(input);
      want = gate.want;
      apply = gate.apply;
      requeueAfterMs = gate.requeueAfterMs;
    }
  }

  // computeActiveCondition
  const minReady = input.scaleTargetInitialized ? Math.max(s.minScale, 1) : Math.max(s.minScale, s.initialScale);
  const ready = input.readyPods;
  const initialized = input.scaleTargetInitialized || ready >= minReady;
  let active: ActiveState = input.active;
  let reason: ActiveReason | undefined = input.reason;
  if (want === 0 || minReady === 0) {
    // Scaling to zero while activating only happens when activation timed out.
    active = 'Inactive';
    reason = input.active === 'Activating' && minReady > 0 ? 'TimedOut' : 'NoTraffic';
  } else if (ready < minReady) {
    if (want > 0 || input.active !== 'Inactive') {
      active = 'Activating';
      reason = 'Queued';
    } else {
      active = 'Inactive';
      reason = 'NoTraffic';
    }
  } else if (want > 0 || input.active !== 'Inactive') {
    active = 'Active';
    reason = undefined;
  }

  const decision: ScaleDecision = {
    scale: apply ? want : input.currentScale,
    desiredScale: want,
    active,
    scaleTargetInitialized: initialized,
  };
  if (active !== 'Active' && reason !== undefined) decision.reason = reason;
  if (requeueAfterMs !== undefined) decision.requeueAfterMs = requeueAfterMs;
  return decision;
}
