// hpa.autoscaling.knative.dev (knative/serving pkg/reconciler/autoscaling/hpa/resources/hpa.go MakeHPA): the generated HPA spec and Kubernetes' replica formula.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultServingConfig } from '../api/config.ts';
import { hpaDesiredReplicas, hpaSpecFor, type HPASpec } from './hpa.ts';

const AS = 'autoscaling.knative.dev/';

interface FormulaRow {
  name: string;
  current: number;
  utilization: number;
  target: number;
  min?: number;
  max?: number;
  want: number;
}

const formulaRows: FormulaRow[] = [
  { name: 'twice the target doubles the pods', current: 4, utilization: 100, target: 50, want: 8 },
  { name: 'ceil(current × ratio)', current: 10, utilization: 111, target: 100, want: 12 },
  { name: 'scale down', current: 10, utilization: 20, target: 100, want: 2 },
  { name: 'within 10% above the target: unchanged', current: 4, utilization: 105, target: 100, want: 4 },
  { name: 'within 10% below the target: unchanged', current: 10, utilization: 91, target: 100, want: 10 },
  { name: 'just outside 10% below: scales down', current: 10, utilization: 89, target: 100, want: 9 },
  { name: 'absolute values work the same (memory bytes)', current: 2, utilization: 300 * 2 ** 20, target: 100 * 2 ** 20, want: 6 },
  { name: 'never below 1', current: 1, utilization: 0, target: 50, want: 1 },
  { name: 'min clamps', current: 4, utilization: 10, target: 100, min: 3, want: 3 },
  { name: 'max clamps', current: 4, utilization: 400, target: 100, max: 5, want: 5 },
  { name: 'max 0 is unbounded', current: 4, utilization: 400, target: 100, max: 0, want: 16 },
  { name: 'current above max moves to max first', current: 10, utilization: 100, target: 100, max: 5, want: 5 },
  { name: 'current below min moves to min first', current: 0, utilization: 0, target: 100, min: 2, want: 2 },
  { name: 'current 0 without min: 1', current: 0, utilization: 0, target: 100, want: 1 },
];

for (const row of formulaRows) {
  test(`hpaDesiredReplicas: ${row.name}`, () => {
    assert.equal(hpaDesiredReplicas(row.current, row.utilization, row.target, row.min ?? 0, row.max ?? 0), row.want);
  });
}

interface SpecRow {
  name: string;
  annotations: Record<string, string>;
  reachable?: boolean;
  want: HPASpec;
}

const MAX = 2 ** 31 - 1;
const specRows: SpecRow[] = [
  { name: 'defaults: cpu, no target, 1…MaxInt32', annotations: {}, want: { minReplicas: 1, maxReplicas: MAX, metric: 'cpu' } },
  {
    name: 'cpu target is a utilization percentage, rounded up', annotations: { [`${AS}metric`]: 'cpu', [`${AS}target`]: '80.5' },
    want: { minReplicas: 1, maxReplicas: MAX, metric: 'cpu', target: { metric: 'cpu', averageUtilization: 81 } },
  },
  {
    name: 'memory target is MiB per pod', annotations: { [`${AS}metric`]: 'memory', [`${AS}target`]: '128' },
    want: { minReplicas: 1, maxReplicas: MAX, metric: 'memory', target: { metric: 'memory', averageValueBytes: 134_217_728 } },
  },
  {
    name: 'another metric is a per-pod average value', annotations: { [`${AS}metric`]: 'qps', [`${AS}target`]: '10' },
    want: { minReplicas: 1, maxReplicas: MAX, metric: 'qps', target: { metric: 'qps', averageValue: 10 } },
  },
  {
    name: 'min/max scale and window', annotations: { [`${AS}min-scale`]: '2', [`${AS}max-scale`]: '8', [`${AS}window`]: '2m' },
    want: { minReplicas: 2, maxReplicas: 8, metric: 'cpu', stabilizationWindowSeconds: 120 },
  },
  {
    name: 'unreachable: min-scale ignored', annotations: { [`${AS}min-scale`]: '2' }, reachable: false,
    want: { minReplicas: 1, maxReplicas: MAX, metric: 'cpu' },
  },
];

for (const row of specRows) {
  test(`hpaSpecFor: ${row.name}`, () => {
    assert.deepEqual(hpaSpecFor(row.annotations, defaultServingConfig().autoscaler, row.reachable ?? true), row.want);
  });
}
