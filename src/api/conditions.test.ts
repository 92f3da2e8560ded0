// Condition set rules of knative.dev/pkg apis/condition_set.go, with an injected clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConditionSet, isReady } from './conditions.ts';
import type { Status } from './types.ts';

const set = new ConditionSet(['A', 'B']);
let t = 0;
const clock = (): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, t++));

/** A new status managed by `set`, initialized. */
function initialized() {
  const st: Status = {};
  const m = set.manage(st, clock);
  m.initialize();
  return { st, m };
}

test('initialize creates Ready and dependents as Unknown, sorted by type', () => {
  const { st } = initialized();
  assert.deepEqual(st.conditions?.map((c) => `${c.type}=${c.status}`), ['A=Unknown', 'B=Unknown', 'Ready=Unknown']);
});

test('Ready becomes True only when every dependent is True', () => {
  const { m } = initialized();
  m.markTrue('A');
  assert.equal(m.get('Ready')?.status, 'Unknown');
  m.markTrue('B');
  assert.equal(m.get('Ready')?.status, 'True');
  assert.equal(m.get('Ready')?.reason, undefined);
});

test('markFalse on a dependent copies reason and message to Ready; Unknown does not override False', () => {
  const { m } = initialized();
  m.markFalse('A', 'ExitCode1', 'Container failed with: boom');
  assert.deepEqual([m.get('Ready')?.status, m.get('Ready')?.reason, m.get('Ready')?.message], ['False', 'ExitCode1', 'Container failed with: boom']);
  m.markUnknown('B', 'Deploying', '');
  assert.equal(m.get('Ready')?.status, 'False');
  assert.equal(m.get('Ready')?.reason, 'ExitCode1');
});

test('lastTransitionTime changes only when something else changes', () => {
  const { m } = initialized();
  m.markUnknown('A', 'R', 'msg');
  const first = m.get('A')?.lastTransitionTime;
  m.markUnknown('A', 'R', 'msg');
  assert.equal(m.get('A')?.lastTransitionTime, first);
  m.markUnknown('A', 'R', 'other');
  assert.notEqual(m.get('A')?.lastTransitionTime, first);
});

test('non-dependent conditions have Info severity and never affect Ready', () => {
  const { m } = initialized();
  m.markTrue('A');
  m.markTrue('B');
  m.markFalse('Active', 'NoTraffic', 'The target is not receiving traffic.');
  assert.equal(m.get('Ready')?.status, 'True');
  assert.equal(m.get('Active')?.severity, 'Info');
});

test('isReady requires observedGeneration == generation', () => {
  const { st, m } = initialized();
  m.markTrue('A');
  m.markTrue('B');
  st.observedGeneration = 1;
  assert.equal(isReady({ metadata: { generation: 1 }, status: st }), true);
  assert.equal(isReady({ metadata: { generation: 2 }, status: st }), false);
});
