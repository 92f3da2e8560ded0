// KPA reconciler scale decision (knative/serving pkg/reconciler/autoscaling/kpa/scaler.go scale): bounds, initial scale, the scale-to-zero gate and the Active condition.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultServingConfig, type AutoscalerConfig } from '../api/config.ts';
import { decideScale, scaleBoundsFor, scalerSettingsFor, type ScaleDecision, type ScaleInput, type ScalerSettings } from './scaler.ts';

const AS = 'autoscaling.knative.dev/';
const cfg = (over: Partial<AutoscalerConfig> = {}): AutoscalerConfig => ({ ...defaultServingConfig().autoscaler, ...over });
const T0 = 1_700_000_000_000;
const sec = (s: number): number => s * 1000;

// ---------------------------------------------------------------------------
// Settings

test('scalerSettingsFor: defaults', () => {
  assert.deepEqual(scalerSettingsFor({}, cfg(), true, 600), {
    minScale: 0, maxScale: 0, initialScale: 1, reachable: true, enableScaleToZero: true, stableWindowSeconds: 60,
    scaleToZeroGracePeriodSeconds: 30, scaleToZeroPodRetentionSeconds: 0, activationTimeoutSeconds: 630,
  } satisfies ScalerSettings);
});

interface SettingsRow {
  name: string;
  annotations?: Record<string, string>;
  config?: Partial<AutoscalerConfig>;
  reachable?: boolean;
  want: Partial<ScalerSettings>;
}

const settingsRows: SettingsRow[] = [
  { name: 'min/max annotations', annotations: { [`${AS}min-scale`]: '2', [`${AS}max-scale`]: '5' }, want: { minScale: 2, maxScale: 5 } },
  { name: 'camelCase minScale/maxScale', annotations: { [`${AS}minScale`]: '3', [`${AS}maxScale`]: '4' }, want: { minScale: 3, maxScale: 4 } },
  { name: 'config min/max', config: { minScale: 1, maxScale: 10 }, want: { minScale: 1, maxScale: 10 } },
  { name: 'unreachable: min ignored, max kept', annotations: { [`${AS}min-scale`]: '2', [`${AS}max-scale`]: '5' }, reachable: false, want: { minScale: 0, maxScale: 5, reachable: false } },
  { name: 'window annotation is the stable window', annotations: { [`${AS}window`]: '2m' }, want: { stableWindowSeconds: 120 } },
  { name: 'pod retention annotation', annotations: { [`${AS}scale-to-zero-pod-retention-period`]: '1m' }, want: { scaleToZeroPodRetentionSeconds: 60 } },
  { name: 'camelCase scaleToZeroPodRetentionPeriod', annotations: { [`${AS}scaleToZeroPodRetentionPeriod`]: '90s' }, want: { scaleToZeroPodRetentionSeconds: 90 } },
  { name: 'unreachable: pod retention skipped', annotations: { [`${AS}scale-to-zero-pod-retention-period`]: '1m' }, reachable: false, want: { scaleToZeroPodRetentionSeconds: 0, reachable: false } },
  { name: 'progress-deadline annotation + 30s', annotations: { 'serving.knative.dev/progress-deadline': '100s' }, want: { activationTimeoutSeconds: 130 } },
  { name: 'initial scale annotation', annotations: { [`${AS}initial-scale`]: '3' }, want: { initialScale: 3 } },
  { name: 'config scale-to-zero settings', config: { enableScaleToZero: false, scaleToZeroGracePeriodSeconds: 10 }, want: { enableScaleToZero: false, scaleToZeroGracePeriodSeconds: 10 } },
];

for (const row of settingsRows) {
  test(`scalerSettingsFor: ${row.name}`, () => {
    const base = scalerSettingsFor({}, cfg(), true, 600);
    assert.deepEqual(scalerSettingsFor(row.annotations ?? {}, cfg(row.config), row.reachable ?? true, 600), { ...base, ...row.want });
  });
}

test('scaleBoundsFor: unparsable annotations fall back to config', () => {
  assert.deepEqual(scaleBoundsFor({ [`${AS}min-scale`]: 'x', [`${AS}max-scale`]: '99999999999' }, cfg({ minScale: 1, maxScale: 7 }), true), { min: 1, max: 7 });
});

// ---------------------------------------------------------------------------
// decideScale

const settings = (annotations: Record<string, string> = {}, reachable = true, config: Partial<AutoscalerConfig> = {}): ScalerSettings =>
  scalerSettingsFor(annotations, cfg(config), reachable, 600);

/** An initialized, Active PA with one pod, active for 10 minutes. */
const base: ScaleInput = {
  nowMs: T0,
  desiredScale: 1,
  settings: settings(),
  active: 'Active',
  activeSinceMs: T0 - sec(600),
  scaleTargetInitialized: true,
  currentScale: 1,
  readyPods: 1,
};

interface DecideRow {
  name: string;
  input: Partial<ScaleInput>;
  want: ScaleDecision;
}

const active = (over: Partial<ScaleDecision> = {}): ScaleDecision => ({ scale: 1, desiredScale: 1, active: 'Active', scaleTargetInitialized: true, ...over });

const decideRows: DecideRow[] = [
  { name: 'desired is applied', input: { desiredScale: 3 }, want: active({ scale: 3, desiredScale: 3 }) },
  { name: 'desired -1 on an active PA changes nothing', input: { desiredScale: -1, currentScale: 2, readyPods: 2 }, want: active({ scale: 2, desiredScale: -1 }) },
  { name: 'max-scale clamps', input: { desiredScale: 9, settings: settings({ [`${AS}max-scale`]: '5' }) }, want: active({ scale: 5, desiredScale: 5 }) },
  { name: 'min-scale kept when reachable', input: { desiredScale: 0, currentScale: 2, readyPods: 2, settings: settings({ [`${AS}min-scale`]: '2' }) }, want: active({ scale: 2, desiredScale: 2 }) },
  {
    name: 'min-scale ignored when unreachable: 0 goes through the gate (active ≥ stable window → Inactive)',
    input: { desiredScale: 0, currentScale: 2, readyPods: 2, settings: settings({ [`${AS}min-scale`]: '2' }, false) },
    want: { scale: 2, desiredScale: 0, active: 'Inactive', reason: 'NoTraffic', requeueAfterMs: sec(30), scaleTargetInitialized: true },
  },
  {
    name: 'scale to zero within the stable window of activation: hold 1 and recheck after the rest',
    input: { desiredScale: 0, activeSinceMs: T0 - sec(10) },
    want: active({ scale: 1, desiredScale: 1, requeueAfterMs: sec(50) }),
  },
  {
    name: 'active for a stable window: report 0 without applying, go Inactive (NoTraffic)',
    input: { desiredScale: 0, activeSinceMs: T0 - sec(60) },
    want: { scale: 1, desiredScale: 0, active: 'Inactive', reason: 'NoTraffic', requeueAfterMs: sec(30), scaleTargetInitialized: true },
  },
  {
    name: 'inactive for less than the grace period: keep the pods, recheck after the rest',
    input: { desiredScale: 0, active: 'Inactive', reason: 'NoTraffic', activeSinceMs: T0 - sec(10) },
    want: { scale: 1, desiredScale: 0, active: 'Inactive', reason: 'NoTraffic', requeueAfterMs: sec(20), scaleTargetInitialized: true },
  },
  {
    name: 'inactive for the grace period: scale to 0',
    input: { desiredScale: 0, active: 'Inactive', reason: 'NoTraffic', activeSinceMs: T0 - sec(30) },
    want: { scale: 0, desiredScale: 0, active: 'Inactive', reason: 'NoTraffic', scaleTargetInitialized: true },
  },
  {
    name: 'pod retention: inactive 40s of 60s keeps the pods',
    input: { desiredScale: 0, active: 'Inactive', activeSinceMs: T0 - sec(40), settings: settings({ [`${AS}scale-to-zero-pod-retention-period`]: '1m' }) },
    want: { scale: 1, desiredScale: 0, active: 'Inactive', reason: 'NoTraffic', requeueAfterMs: sec(20), scaleTargetInitialized: true },
  },
  {
    name: 'pod retention satisfied: scale to 0',
    input: { desiredScale: 0, active: 'Inactive', activeSinceMs: T0 - sec(60), settings: settings({ [`${AS}scale-to-zero-pod-retention-period`]: '1m' }) },
    want: { scale: 0, desiredScale: 0, active: 'Inactive', reason: 'NoTraffic', scaleTargetInitialized: true },
  },
  {
    name: 'unreachable skips pod retention',
    input: { desiredScale: 0, active: 'Inactive', activeSinceMs: T0 - sec(30), settings: settings({ [`${AS}scale-to-zero-pod-retention-period`]: '1m' }, false) },
    want: { scale: 0, desiredScale: 0, active: 'Inactive', reason: 'NoTraffic', scaleTargetInitialized: true },
  },
  {
    name: 'requests already buffered for the grace period (proxySinceMs): fast path to 0',
    input: { desiredScale: 0, active: 'Inactive', activeSinceMs: T0 - sec(5), proxySinceMs: T0 - sec(100) },
    want: { scale: 0, desiredScale: 0, active: 'Inactive', reason: 'NoTraffic', scaleTargetInitialized: true },
  },
  {
    name: 'short retention, then the grace period counts from proxying',
    input: { desiredScale: 0, active: 'Inactive', activeSinceMs: T0 - sec(15), settings: settings({ [`${AS}scale-to-zero-pod-retention-period`]: '10s' }) },
    want: { scale: 1, desiredScale: 0, active: 'Inactive', reason: 'NoTraffic', requeueAfterMs: sec(15), scaleTargetInitialized: true },
  },
  {
    name: 'enable-scale-to-zero false: 0 becomes 1',
    input: { desiredScale: 0, currentScale: 3, readyPods: 3, settings: settings({}, true, { enableScaleToZero: false }) },
    want: active({ scale: 1, desiredScale: 1 }),
  },
  {
    name: 'traffic on an inactive revision: scale up, Activating (Queued)',
    input: { desiredScale: 1, active: 'Inactive', reason: 'NoTraffic', activeSinceMs: T0 - sec(300), currentScale: 0, readyPods: 0 },
    want: { scale: 1, desiredScale: 1, active: 'Activating', reason: 'Queued', scaleTargetInitialized: true },
  },
  {
    name: 'desired -1 on a revision at zero (autoscaler restart): stays Inactive (NoTraffic)',
    input: { desiredScale: -1, active: 'Inactive', reason: 'TimedOut', activeSinceMs: T0 - sec(300), currentScale: 0, readyPods: 0 },
    want: { scale: 0, desiredScale: -1, active: 'Inactive', reason: 'NoTraffic', scaleTargetInitialized: true },
  },
  {
    name: 'desired -1 on an inactive revision that still has its pod: condition left as it is',
    input: { desiredScale: -1, active: 'Inactive', reason: 'TimedOut', activeSinceMs: T0 - sec(10), currentScale: 1, readyPods: 1 },
    want: { scale: 1, desiredScale: -1, active: 'Inactive', reason: 'TimedOut', scaleTargetInitialized: true },
  },
  {
    name: 'fresh revision, no data yet, no pod ready: Activating (Queued), recheck at the activation timeout',
    input: { desiredScale: -1, active: 'Activating', activeSinceMs: T0 - sec(30), scaleTargetInitialized: false, readyPods: 0 },
    want: { scale: 1, desiredScale: -1, active: 'Activating', reason: 'Queued', requeueAfterMs: sec(600), scaleTargetInitialized: false },
  },
  {
    name: 'fresh revision becomes ready: Active, ScaleTargetInitialized',
    input: { desiredScale: -1, active: 'Activating', activeSinceMs: T0 - sec(30), scaleTargetInitialized: false, readyPods: 1 },
    want: { scale: 1, desiredScale: -1, active: 'Active', requeueAfterMs: sec(600), scaleTargetInitialized: true },
  },
  {
    name: 'activation at exactly progress deadline + 30s has not timed out yet',
    input: { desiredScale: -1, active: 'Activating', activeSinceMs: T0 - sec(630), scaleTargetInitialized: false, readyPods: 0 },
    want: { scale: 1, desiredScale: -1, active: 'Activating', reason: 'Queued', requeueAfterMs: 1, scaleTargetInitialized: false },
  },
  {
    name: 'activation past progress deadline + 30s: scale to 0, Inactive (TimedOut)',
    input: { desiredScale: -1, active: 'Activating', activeSinceMs: T0 - sec(631), scaleTargetInitialized: false, readyPods: 0 },
    want: { scale: 0, desiredScale: 0, active: 'Inactive', reason: 'TimedOut', scaleTargetInitialized: false },
  },
  {
    name: 'progress-deadline annotation shortens the activation timeout',
    input: {
      desiredScale: 0, active: 'Activating', activeSinceMs: T0 - sec(131), scaleTargetInitialized: false, readyPods: 0,
      settings: settings({ 'serving.knative.dev/progress-deadline': '100s' }),
    },
    want: { scale: 0, desiredScale: 0, active: 'Inactive', reason: 'TimedOut', scaleTargetInitialized: false },
  },
  {
    name: 'initial scale 3 until initialized: raises min, Activating until 3 are ready',
    input: { desiredScale: 1, active: 'Activating', activeSinceMs: T0, scaleTargetInitialized: false, readyPods: 1, settings: settings({ [`${AS}initial-scale`]: '3' }) },
    want: { scale: 3, desiredScale: 3, active: 'Activating', reason: 'Queued', scaleTargetInitialized: false },
  },
  {
    name: 'initial scale reached: Active and initialized',
    input: { desiredScale: 1, active: 'Activating', activeSinceMs: T0, scaleTargetInitialized: false, currentScale: 3, readyPods: 3, settings: settings({ [`${AS}initial-scale`]: '3' }) },
    want: { scale: 3, desiredScale: 3, active: 'Active', scaleTargetInitialized: true },
  },
  {
    name: 'initial scale no longer applies once initialized',
    input: { desiredScale: 1, currentScale: 3, readyPods: 3, settings: settings({ [`${AS}initial-scale`]: '3' }) },
    want: active({ scale: 1, desiredScale: 1 }),
  },
  {
    name: 'initial scale ignored for the bounds when unreachable',
    input: { desiredScale: 1, active: 'Activating', activeSinceMs: T0, scaleTargetInitialized: false, readyPods: 0, settings: settings({ [`${AS}initial-scale`]: '3' }, false) },
    want: { scale: 1, desiredScale: 1, active: 'Activating', reason: 'Queued', scaleTargetInitialized: false },
  },
  {
    name: 'initial scale 0 (allowed): Inactive (NoTraffic) from the start, nothing applied',
    input: {
      desiredScale: -1, active: 'Activating', activeSinceMs: T0, scaleTargetInitialized: false, currentScale: 0, readyPods: 0,
      settings: settings({ [`${AS}initial-scale`]: '0' }, true, { allowZeroInitialScale: true }),
    },
    want: { scale: 0, desiredScale: -1, active: 'Inactive', reason: 'NoTraffic', requeueAfterMs: sec(630), scaleTargetInitialized: true },
  },
  {
    name: 'min-scale 2, fresh: Activating until 2 are ready',
    input: { desiredScale: -1, active: 'Activating', activeSinceMs: T0, scaleTargetInitialized: false, readyPods: 1, settings: settings({ [`${AS}min-scale`]: '2' }) },
    want: { scale: 2, desiredScale: 2, active: 'Activating', reason: 'Queued', scaleTargetInitialized: false },
  },
];

for (const row of decideRows) {
  test(`decideScale: ${row.name}`, () => {
    assert.deepEqual(decideScale({ ...base, ...row.input }), row.want);
  });
}

test('decideScale: scale to zero happens only after the stable window since activation plus the grace period', () => {
  // A PA that turned Active at T0 and whose decider says 0 from then on; the reconciler runs every second,
  // applies what it is told and records Active transitions.
  let state: Pick<ScaleInput, 'active' | 'activeSinceMs' | 'currentScale' | 'readyPods'> = {
    active: 'Active', activeSinceMs: T0, currentScale: 1, readyPods: 1,
  };
  let zeroAt: number | undefined;
  for (let t = 0; t <= 120 && zeroAt === undefined; t++) {
    const now = T0 + sec(t);
    const d = decideScale({ ...base, ...state, nowMs: now, desiredScale: 0 });
    if (d.scale === 0) zeroAt = t;
    state = {
      active: d.active,
      activeSinceMs: d.active === state.active ? state.activeSinceMs : now,
      currentScale: d.scale,
      readyPods: d.scale,
    };
    if (t === 59) assert.equal(d.active, 'Active');
    if (t === 60) assert.equal(d.active, 'Inactive');
  }
  assert.equal(zeroAt, 90);
});
