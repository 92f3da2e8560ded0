// Gradual rollout steps (knative/serving pkg/reconciler/route/traffic/rollout.go Step), driven by an injected clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextStepInMs, parseRollout, rolloutInProgress, scheduleSteps, stepRollout, type Rollout } from './rollout.ts';

const want = (rev: string, percent = 100): Rollout => ({
  configurations: [{ configurationName: 'c', tag: '', percent, revisions: [{ revisionName: rev, percent }], stepParams: {} }],
});
const shares = (r: Rollout): string => r.configurations[0].revisions.map((x) => `${x.revisionName}=${x.percent}`).join(',');

test('without a previous state the desired traffic is taken as is', () => {
  const r = stepRollout(want('c-1'), undefined, 0);
  assert.equal(shares(r), 'c-1=100');
  assert.equal(rolloutInProgress(r), false);
});

test('a new revision starts at 1%, then moves stepSize every stepDuration until it has everything', () => {
  let t = 1_000_000;
  let r = stepRollout(want('c-1'), undefined, t);
  r = scheduleSteps(stepRollout(want('c-2'), r, t), 10, t);
  assert.equal(shares(r), 'c-1=99,c-2=1');
  assert.equal(rolloutInProgress(r), true);
  const sp = r.configurations[0].stepParams;
  // minStep 1s, D' = 9s, 9 steps (capped at percent-1 = 99), stepSize round(99/9) = 11, step 1s.
  assert.equal(sp.stepSize, 11);
  assert.equal(sp.stepDuration, 1_000_000_000);
  assert.equal(nextStepInMs(r, t), 1000);
  const seen: string[] = [];
  for (let i = 0; i < 20 && rolloutInProgress(r); i++) {
    t += 1000;
    r = stepRollout(want('c-2'), r, t);
    seen.push(shares(r));
  }
  assert.equal(seen[0], 'c-1=88,c-2=12');
  assert.equal(seen.at(-1), 'c-2=100');
  assert.equal(seen.length, 9);
  assert.deepEqual(r.configurations[0].stepParams, {});
});

test('nothing moves before nextStepTime', () => {
  const t = 5_000;
  let r = stepRollout(want('c-1'), undefined, t);
  r = scheduleSteps(stepRollout(want('c-2'), r, t), 100, t);
  const same = stepRollout(want('c-2'), r, t + 10);
  assert.equal(shares(same), 'c-1=99,c-2=1');
});

test('a config percent of 1 is taken as is; a lowered percent is removed from the oldest first', () => {
  let r = stepRollout(want('c-1'), undefined, 0);
  r = scheduleSteps(stepRollout(want('c-2'), r, 0), 100, 0);
  assert.equal(shares(stepRollout(want('c-2', 1), r, 1)), 'c-2=1');
  assert.equal(shares(stepRollout(want('c-2', 50), r, 1)), 'c-1=49,c-2=1');
});

test('an invalid stored state is discarded', () => {
  assert.equal(parseRollout('{"configurations":[{"configurationName":"c","tag":"","percent":100,"revisions":[{"revisionName":"a","percent":50}],"stepParams":{}}]}'), undefined);
  assert.equal(parseRollout('not json'), undefined);
  assert.ok(parseRollout(JSON.stringify(want('a'))));
});
