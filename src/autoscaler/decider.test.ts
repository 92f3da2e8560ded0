// KPA decider: DeciderSpec from annotations (knative/serving pkg/reconciler/autoscaling/kpa/resources/decider.go MakeDecider),
// the per-tick algorithm (pkg/autoscaler/scaling/autoscaler.go Scale) and worked examples computed by hand from it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultServingConfig, type AutoscalerConfig } from '../api/config.ts';
import {
  Decider, deciderSpecFor, initialExcessBurstCapacity,
  type DeciderSpec, type MetricSample, type MetricSource, type ObservedMetric,
} from './decider.ts';

const AS = 'autoscaling.knative.dev/';
const cfg = (over: Partial<AutoscalerConfig> = {}): AutoscalerConfig => ({ ...defaultServingConfig().autoscaler, ...over });
const T0 = 1_700_000_000_000;

// ---------------------------------------------------------------------------
// deciderSpecFor

const DEFAULT_SPEC: DeciderSpec = {
  metric: 'concurrency',
  targetValue: 70,
  totalValue: 100,
  panicThreshold: 2,
  stableWindowSeconds: 60,
  panicWindowSeconds: 6,
  targetBurstCapacity: 211,
  scaleDownDelaySeconds: 0,
  activationScale: 0,
  initialScale: 1,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
  reachable: true,
  aggregation: 'linear',
};

interface SpecRow {
  name: string;
  annotations?: Record<string, string>;
  cc?: number;
  config?: Partial<AutoscalerConfig>;
  reachable?: boolean;
  want: Partial<DeciderSpec>;
}

const specRows: SpecRow[] = [
  { name: 'defaults, CC 0: target 70 of total 100', want: {} },
  { name: 'CC 10: total 10, target 7', cc: 10, want: { totalValue: 10, targetValue: 7 } },
  { name: 'CC 10 + target 5: total min(5, 10) = 5, target 3.5', cc: 10, annotations: { [`${AS}target`]: '5' }, want: { totalValue: 5, targetValue: 3.5 } },
  { name: 'CC 10 + target 20: total capped at CC', cc: 10, annotations: { [`${AS}target`]: '20' }, want: { totalValue: 10, targetValue: 7 } },
  { name: 'CC 0 + target 50: total 50', annotations: { [`${AS}target`]: '50' }, want: { totalValue: 50, targetValue: 35 } },
  {
    name: 'CC 10 + target 5 + utilization 100%: target = total', cc: 10,
    annotations: { [`${AS}target`]: '5', [`${AS}target-utilization-percentage`]: '100' }, want: { totalValue: 5, targetValue: 5 },
  },
  { name: 'camelCase targetUtilizationPercentage', annotations: { [`${AS}targetUtilizationPercentage`]: '50' }, want: { targetValue: 50 } },
  {
    name: 'canonical key wins over its alias',
    annotations: { [`${AS}target-utilization-percentage`]: '50', [`${AS}targetUtilizationPercentage`]: '80' }, want: { targetValue: 50 },
  },
  { name: 'config target percentage and cc default', config: { containerConcurrencyTargetFraction: 0.5, containerConcurrencyTargetDefault: 10 }, want: { totalValue: 10, targetValue: 5 } },
  { name: 'rps: total 200, target 140', annotations: { [`${AS}metric`]: 'rps' }, want: { metric: 'rps', totalValue: 200, targetValue: 140 } },
  // knative/serving pkg/reconciler/autoscaling/resources/target_test.go TestResolveMetricTarget, RPS rows.
  { name: 'RPS: with target annotation 1', annotations: { [`${AS}metric`]: 'rps', [`${AS}target`]: '1' }, want: { metric: 'rps', totalValue: 1, targetValue: 0.7 } },
  { name: 'RPS: with TU annotation 75%', annotations: { [`${AS}metric`]: 'rps', [`${AS}target-utilization-percentage`]: '75' }, want: { metric: 'rps', totalValue: 200, targetValue: 150 } },
  { name: 'RPS: with target annotation greater than default', annotations: { [`${AS}metric`]: 'rps', [`${AS}target`]: '300' }, want: { metric: 'rps', totalValue: 300, targetValue: 210 } },
  {
    name: 'RPS: container-concurrency-target-percentage 100 does not apply (fixed 0.7 utilization)',
    annotations: { [`${AS}metric`]: 'rps' }, config: { containerConcurrencyTargetFraction: 1 },
    want: { metric: 'rps', totalValue: 200, targetValue: 140 },
  },
  {
    name: 'concurrency: container-concurrency-target-percentage 100 applies', cc: 10, config: { containerConcurrencyTargetFraction: 1 },
    want: { totalValue: 10, targetValue: 10 },
  },
  {
    name: 'rps target is not capped by CC', cc: 5, annotations: { [`${AS}metric`]: 'rps', [`${AS}target`]: '10' },
    want: { metric: 'rps', totalValue: 10, targetValue: 7 },
  },
  {
    name: 'target never below 0.01', annotations: { [`${AS}target`]: '0.5', [`${AS}target-utilization-percentage`]: '1' },
    want: { totalValue: 0.5, targetValue: 0.01 },
  },
  { name: 'invalid target is ignored', annotations: { [`${AS}target`]: 'lots' }, want: {} },
  { name: 'window 120s: panic window 12s', annotations: { [`${AS}window`]: '2m' }, want: { stableWindowSeconds: 120, panicWindowSeconds: 12 } },
  {
    name: 'panic window rounds to whole seconds (30s × 5% = 1.5s → 2s)',
    annotations: { [`${AS}window`]: '30s', [`${AS}panic-window-percentage`]: '5' }, want: { stableWindowSeconds: 30, panicWindowSeconds: 2 },
  },
  {
    name: 'panic window is at least 1s (camelCase panicWindowPercentage)',
    annotations: { [`${AS}window`]: '6s', [`${AS}panicWindowPercentage`]: '1' }, want: { stableWindowSeconds: 6, panicWindowSeconds: 1 },
  },
  { name: 'config stable window', config: { stableWindowSeconds: 30 }, want: { stableWindowSeconds: 30, panicWindowSeconds: 3 } },
  { name: 'panic-threshold-percentage 150', annotations: { [`${AS}panic-threshold-percentage`]: '150' }, want: { panicThreshold: 1.5 } },
  { name: 'camelCase panicThresholdPercentage', annotations: { [`${AS}panicThresholdPercentage`]: '300' }, want: { panicThreshold: 3 } },
  { name: 'target-burst-capacity -1', annotations: { [`${AS}target-burst-capacity`]: '-1' }, want: { targetBurstCapacity: -1 } },
  { name: 'camelCase targetBurstCapacity 0', annotations: { [`${AS}targetBurstCapacity`]: '0' }, want: { targetBurstCapacity: 0 } },
  { name: 'scale-down-delay 5m', annotations: { [`${AS}scale-down-delay`]: '5m' }, want: { scaleDownDelaySeconds: 300 } },
  { name: 'camelCase scaleDownDelay', annotations: { [`${AS}scaleDownDelay`]: '15s' }, want: { scaleDownDelaySeconds: 15 } },
  { name: 'activation-scale 3', annotations: { [`${AS}activation-scale`]: '3' }, want: { activationScale: 3 } },
  { name: 'initial-scale 0 not allowed: config value', annotations: { [`${AS}initial-scale`]: '0' }, want: { initialScale: 1 } },
  {
    name: 'initial-scale 0 allowed', annotations: { [`${AS}initial-scale`]: '0' },
    config: { allowZeroInitialScale: true }, want: { initialScale: 0 },
  },
  { name: 'camelCase initialScale 5', annotations: { [`${AS}initialScale`]: '5' }, want: { initialScale: 5 } },
  { name: 'config scale rates', config: { maxScaleUpRate: 10, maxScaleDownRate: 4 }, want: { maxScaleUpRate: 10, maxScaleDownRate: 4 } },
  { name: 'weighted-exponential aggregation', annotations: { [`${AS}metric-aggregation-algorithm`]: 'weighted-exponential' }, want: { aggregation: 'weighted-exponential' } },
  { name: 'camelCase key and value: weightedExponential', annotations: { [`${AS}metricAggregationAlgorithm`]: 'weightedExponential' }, want: { aggregation: 'weighted-exponential' } },
  { name: 'unreachable', reachable: false, want: { reachable: false } },
];

for (const row of specRows) {
  test(`deciderSpecFor: ${row.name}`, () => {
    const got = deciderSpecFor(row.annotations ?? {}, row.cc ?? 0, cfg(row.config), row.reachable ?? true);
    assert.deepEqual(got, { ...DEFAULT_SPEC, ...row.want });
  });
}

// ---------------------------------------------------------------------------
// The algorithm, with stable/panic averages injected.

/** A metric source whose stable and panic averages the test sets before each tick. */
class FixedMetrics implements MetricSource {
  value: ObservedMetric = { stable: 0, panic: 0, stableEmpty: false };
  record(): void {}
  observe(): ObservedMetric {
    return this.value;
  }
  update(): void {}
}

interface Tick {
  /** Seconds since the decider was created. */
  at: number;
  S: number;
  P: number;
  ready: number;
  desired: number;
  ebc?: number;
  panicking?: boolean;
}

interface RuleRow {
  name: string;
  spec?: Partial<DeciderSpec>;
  /** Ready pods when the decider is created. */
  readyAtStart?: number;
  ticks: Tick[];
}

const ruleRows: RuleRow[] = [
  {
    name: '1. maxUp = ceil(maxScaleUpRate × R) lets a slow rate still add a pod',
    spec: { maxScaleUpRate: 1.1, targetValue: 1 },
    ticks: [{ at: 0, S: 3, P: 3, ready: 2, desired: 3 }],
  },
  {
    name: '1. maxUp caps the stable desire',
    spec: { maxScaleUpRate: 1.5 },
    ticks: [{ at: 0, S: 700, P: 0, ready: 3, desired: 5 }],
  },
  {
    name: '1. maxDown = floor(R / maxScaleDownRate) when reachable',
    ticks: [{ at: 0, S: 70, P: 70, ready: 10, desired: 5 }],
  },
  {
    name: '1. maxDown = 0 when unreachable: straight to 0',
    spec: { reachable: false },
    ticks: [{ at: 0, S: 0, P: 0, ready: 10, desired: 0 }],
  },
  {
    name: '1. R = max(1, ready): 0 ready pods and no load stay at 0',
    ticks: [{ at: 0, S: 0, P: 0, ready: 0, desired: 0, ebc: -211 }],
  },
  {
    name: '2. dspc = ceil(S / target)',
    ticks: [{ at: 0, S: 71, P: 71, ready: 2, desired: 2 }, { at: 2, S: 140, P: 140, ready: 2, desired: 2 }, { at: 4, S: 141, P: 141, ready: 2, desired: 3 }],
  },
  {
    name: '3. activation scale raises a non-zero desire',
    spec: { activationScale: 3 },
    ticks: [{ at: 0, S: 1, P: 1, ready: 0, desired: 3 }],
  },
  {
    name: '3. activation scale does not raise a zero desire',
    spec: { activationScale: 3 },
    ticks: [{ at: 0, S: 0, P: 0, ready: 0, desired: 0 }],
  },
  {
    name: '3. activation scale 1 has no effect',
    spec: { activationScale: 1 },
    ticks: [{ at: 0, S: 1, P: 1, ready: 0, desired: 1 }],
  },
  {
    name: '4. dppc / R ≥ threshold enters panic (equality counts)',
    ticks: [{ at: 0, S: 0, P: 280, ready: 2, desired: 4, panicking: true }],
  },
  {
    name: '4. just under the threshold stays stable',
    ticks: [{ at: 0, S: 0, P: 210, ready: 2, desired: 1, panicking: false }],
  },
  {
    name: '4. panic extends while over the threshold, and exits a stable window after the last over tick',
    ticks: [
      { at: 0, S: 70, P: 700, ready: 2, desired: 10, panicking: true },
      { at: 50, S: 700, P: 1400, ready: 10, desired: 20, panicking: true }, // extended: panicTime = 50
      { at: 100, S: 70, P: 70, ready: 20, desired: 20, panicking: true }, // 50 + 60 is not before 100
      { at: 110, S: 70, P: 70, ready: 20, desired: 20, panicking: true }, // 110 is not after 110
      { at: 112, S: 70, P: 70, ready: 20, desired: 10, panicking: false }, // exits; clamp(1, floor(20/2), …)
    ],
  },
  {
    name: '5. in panic desired = max(stable, panic desire)',
    ticks: [{ at: 0, S: 700, P: 150, ready: 1, desired: 10, panicking: true }],
  },
  {
    name: '5. never scales down while panicking (maxPanicPods)',
    ticks: [
      { at: 0, S: 300, P: 450, ready: 2, desired: 7, panicking: true },
      { at: 2, S: 300, P: 300, ready: 2, desired: 7, panicking: true },
      { at: 4, S: 700, P: 1400, ready: 7, desired: 20, panicking: true },
      { at: 6, S: 140, P: 140, ready: 20, desired: 20, panicking: true },
    ],
  },
  {
    name: '5. a new decider starts in panic when > 1 pod is ready (maxPanicPods = ready)',
    readyAtStart: 5,
    ticks: [{ at: 0, S: 0, P: 0, ready: 5, desired: 5, panicking: true }, { at: 62, S: 0, P: 0, ready: 5, desired: 2, panicking: false }],
  },
  {
    name: '5. one ready pod at creation: no panic',
    readyAtStart: 1,
    ticks: [{ at: 0, S: 0, P: 0, ready: 1, desired: 0, panicking: false }],
  },
  {
    name: '6. scale-down delay holds the max of the last delay seconds (2s buckets)',
    spec: { scaleDownDelaySeconds: 10 },
    ticks: [
      { at: 0, S: 700, P: 700, ready: 10, desired: 10 },
      { at: 2, S: 70, P: 70, ready: 10, desired: 10 },
      { at: 4, S: 70, P: 70, ready: 10, desired: 10 },
      { at: 8, S: 70, P: 70, ready: 10, desired: 10 },
      { at: 10, S: 70, P: 70, ready: 10, desired: 5 },
    ],
  },
  {
    name: '6. scale-down delay does not delay scaling up',
    spec: { scaleDownDelaySeconds: 10 },
    ticks: [{ at: 0, S: 70, P: 70, ready: 1, desired: 1 }, { at: 2, S: 140, P: 140, ready: 1, desired: 2 }],
  },
  {
    name: '6. scale-down delay is skipped when unreachable',
    spec: { scaleDownDelaySeconds: 10, reachable: false },
    ticks: [{ at: 0, S: 700, P: 700, ready: 10, desired: 10 }, { at: 2, S: 70, P: 70, ready: 10, desired: 1 }],
  },
  {
    name: '7. EBC with TBC 0 is 0',
    spec: { targetBurstCapacity: 0 },
    ticks: [{ at: 0, S: 10, P: 10, ready: 1, desired: 1, ebc: 0 }],
  },
  {
    name: '7. EBC with TBC -1 is -1',
    spec: { targetBurstCapacity: -1 },
    ticks: [{ at: 0, S: 10, P: 10, ready: 100, desired: 50, ebc: -1 }],
  },
  {
    name: '7. EBC = floor(ready × total − TBC − P), raw ready count',
    ticks: [{ at: 0, S: 50.5, P: 50.5, ready: 3, desired: 1, ebc: 38 }, { at: 2, S: 0, P: 0, ready: 0, desired: 0, ebc: -211 }],
  },
  {
    name: 'worked example 1: ready 2, S 300, P 450 → panic, desired 7, EBC −461',
    ticks: [{ at: 0, S: 300, P: 450, ready: 2, desired: 7, ebc: -461, panicking: true }],
  },
  {
    name: 'worked example 2: load drops; panic holds 7 for a stable window, then the scale-down rate gives 3, then 2',
    ticks: [
      { at: 0, S: 300, P: 450, ready: 2, desired: 7, panicking: true },
      { at: 2, S: 100, P: 80, ready: 7, desired: 7, panicking: true },
      { at: 60, S: 100, P: 80, ready: 7, desired: 7, panicking: true },
      { at: 62, S: 100, P: 80, ready: 7, desired: 3, panicking: false },
      { at: 64, S: 100, P: 80, ready: 3, desired: 2, panicking: false },
    ],
  },
  {
    name: 'worked example 3: scale from zero, S = P = 1 with no ready pods → 1, no panic',
    ticks: [{ at: 0, S: 1, P: 1, ready: 0, desired: 1, ebc: -212, panicking: false }],
  },
  {
    name: 'worked example 3 with activation-scale 2',
    spec: { activationScale: 2 },
    ticks: [{ at: 0, S: 1, P: 1, ready: 0, desired: 2 }],
  },
];

for (const row of ruleRows) {
  test(`Decider: ${row.name}`, () => {
    const metrics = new FixedMetrics();
    const d = new Decider({ ...DEFAULT_SPEC, ...row.spec }, T0, row.readyAtStart ?? 0, metrics);
    for (const tick of row.ticks) {
      metrics.value = { stable: tick.S, panic: tick.P, stableEmpty: false };
      const r = d.scale(T0 + tick.at * 1000, tick.ready);
      const where = `tick at ${tick.at}s`;
      assert.equal(r.desiredScale, tick.desired, `${where}: desired`);
      if (tick.ebc !== undefined) assert.equal(r.excessBurstCapacity, tick.ebc, `${where}: EBC`);
      if (tick.panicking !== undefined) assert.equal(d.panicking, tick.panicking, `${where}: panicking`);
      assert.equal(r.noData, undefined);
    }
  });
}

// ---------------------------------------------------------------------------
// Status, no data, change detection, poke, update — with the real windows.

const initialRows: { name: string; spec: Partial<DeciderSpec>; ebc: number }[] = [
  { name: 'TBC 211, initial 1, total 100 → −111 (activator starts in path)', spec: {}, ebc: -111 },
  { name: 'TBC -1 → -1', spec: { targetBurstCapacity: -1 }, ebc: -1 },
  { name: 'TBC 0 → 0', spec: { targetBurstCapacity: 0 }, ebc: 0 },
  { name: 'initial 3 → 89', spec: { initialScale: 3 }, ebc: 89 },
  { name: 'fractional: truncated toward zero', spec: { targetBurstCapacity: 211.5 }, ebc: -111 },
];

for (const row of initialRows) {
  test(`initial status: desired -1, EBC ${row.name}`, () => {
    const spec = { ...DEFAULT_SPEC, ...row.spec };
    assert.equal(initialExcessBurstCapacity(spec), row.ebc);
    assert.deepEqual(new Decider(spec, T0).status, { desiredScale: -1, excessBurstCapacity: row.ebc });
  });
}

const sample = (concurrency: number, rps = concurrency): MetricSample => ({ concurrency, rps });

test('no data in the stable window: no decision, status unchanged', () => {
  const d = new Decider(DEFAULT_SPEC, T0);
  const r = d.scale(T0, 1);
  assert.deepEqual(r, { desiredScale: -1, excessBurstCapacity: -111, changed: false, noData: true });
});

test('TBC -1 (no scrape target): an empty window reads as zero load', () => {
  const d = new Decider({ ...DEFAULT_SPEC, targetBurstCapacity: -1 }, T0);
  const r = d.scale(T0, 0);
  assert.deepEqual(r, { desiredScale: 0, excessBurstCapacity: -1, changed: true });
});

test('scale from zero through the real windows: the activator\'s first stat gives 1', () => {
  const d = new Decider(DEFAULT_SPEC, T0);
  d.record(T0, sample(1));
  assert.deepEqual(d.scale(T0 + 10, 0), { desiredScale: 1, excessBurstCapacity: -212, changed: true });
});

test('a stable window of silence after load brings desired to 0 and then reports no data', () => {
  const d = new Decider(DEFAULT_SPEC, T0);
  for (let s = 0; s < 10; s++) d.record(T0 + s * 1000, sample(140));
  assert.equal(d.scale(T0 + 9000, 1).desiredScale, 2);
  // The data plane keeps reporting zeros while a pod runs.
  for (let s = 10; s < 80; s++) d.record(T0 + s * 1000, sample(0));
  assert.equal(d.scale(T0 + 79_000, 1).desiredScale, 0);
  assert.equal(d.scale(T0 + 200_000, 0).noData, true);
  assert.equal(d.status.desiredScale, 0);
});

test('rps metric reads the rps windows', () => {
  const d = new Decider({ ...DEFAULT_SPEC, metric: 'rps', targetValue: 140, totalValue: 200 }, T0);
  for (let s = 0; s < 6; s++) d.record(T0 + s * 1000, { concurrency: 0, rps: 280 });
  assert.equal(d.scale(T0 + 5000, 2).desiredScale, 2);
});

test('window averages are rounded, not floored: 7.0000006 at target 7 wants 2 pods (knative/serving PR 15940)', () => {
  const d = new Decider({ ...DEFAULT_SPEC, targetValue: 7, totalValue: 10 }, T0);
  d.record(T0, { concurrency: 7.0000006, rps: 0 });
  assert.equal(d.scale(T0, 1).desiredScale, 2);
});

test('weighted-exponential aggregation reads the newest seconds hardest', () => {
  const d = new Decider({ ...DEFAULT_SPEC, aggregation: 'weighted-exponential' }, T0);
  d.record(T0, sample(700));
  // α = 0.2 over 60 buckets: stable 140 → 2 pods; panic (6 buckets, α ≈ 0.785) ≈ 549 → 8 > 2 × 1: panic.
  const r = d.scale(T0, 1);
  assert.equal(r.desiredScale, 8);
  assert.equal(d.panicking, true);
});

test('changed: desired moves or EBC changes sign', () => {
  const metrics = new FixedMetrics();
  const d = new Decider(DEFAULT_SPEC, T0, 0, metrics);
  metrics.value = { stable: 70, panic: 70, stableEmpty: false };
  assert.equal(d.scale(T0, 1).changed, true); // -1 → 1
  assert.equal(d.scale(T0 + 2000, 1).changed, false); // 1, EBC −181 both times
  assert.equal(d.scale(T0 + 4000, 3).changed, true); // EBC 300 − 211 − 70 = 19 ≥ 0
  assert.equal(d.scale(T0 + 6000, 3).changed, false);
});

test('record asks for an immediate tick only when the last decision was 0 and requests arrive', () => {
  const d = new Decider({ ...DEFAULT_SPEC, targetBurstCapacity: -1 }, T0);
  assert.equal(d.record(T0, sample(1)), false); // desired still unknown
  d.scale(T0 + 61_000, 0); // window drained: 0
  assert.equal(d.status.desiredScale, 0);
  assert.equal(d.record(T0 + 62_000, sample(0)), false);
  assert.equal(d.record(T0 + 62_000, sample(1)), true);
});

test('update: a new scale-down delay takes effect; windows are resized', () => {
  const metrics = new FixedMetrics();
  const d = new Decider(DEFAULT_SPEC, T0, 0, metrics);
  metrics.value = { stable: 700, panic: 700, stableEmpty: false };
  assert.equal(d.scale(T0, 10).desiredScale, 10);
  d.update({ ...DEFAULT_SPEC, scaleDownDelaySeconds: 10 });
  assert.equal(d.currentSpec.scaleDownDelaySeconds, 10);
  assert.equal(d.scale(T0 + 2000, 10).desiredScale, 10);
  metrics.value = { stable: 70, panic: 70, stableEmpty: false };
  assert.equal(d.scale(T0 + 4000, 10).desiredScale, 10);

  const real = new Decider(DEFAULT_SPEC, T0);
  for (let s = 0; s < 60; s++) real.record(T0 + s * 1000, sample(s < 54 ? 0 : 700));
  // Stable 70 → 1, held at floor(10/2) = 5 by the scale-down rate; panic 700 / 10 pods is no panic.
  assert.equal(real.scale(T0 + 59_000, 10).desiredScale, 5);
  real.update({ ...DEFAULT_SPEC, stableWindowSeconds: 6, panicWindowSeconds: 1 }, T0 + 59_000);
  // Now the stable window holds only the last 6 seconds at 700.
  assert.deepEqual(real.scale(T0 + 59_000, 10), { desiredScale: 10, excessBurstCapacity: 89, changed: true });
});
