// Tests of Kubernetes-style human durations (AGE columns, describe ages) and the progress-line prefix.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeAge, humanDuration, progressSeconds, shortHumanDuration, tableAge } from './duration.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration (list AGE)', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'],
    [-1 * S, '0s'],
    [0, '0s'],
    [45 * S, '45s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [2 * M + 42 * S, '2m42s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [5 * H + 7 * M, '5h7m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [3 * D + 4 * H, '3d4h'],
    [8 * D, '8d'],
    [729 * D, '729d'],
    [2 * 365 * D + 10 * D, '2y10d'],
    [9 * 365 * D, '9y'],
  ];
  for (const [ms, want] of cases) {
    it(`${ms}ms -> ${want}`, () => assert.equal(humanDuration(ms), want));
  }
});

describe('shortHumanDuration (describe ages)', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'],
    [-500, '0s'],
    [46 * S, '46s'],
    [59 * S + 999, '59s'],
    [5 * M + 59 * S, '5m'],
    [3 * H + 59 * M, '3h'],
    [2 * D + 23 * H, '2d'],
    [400 * D, '1y'],
  ];
  for (const [ms, want] of cases) {
    it(`${ms}ms -> ${want}`, () => assert.equal(shortHumanDuration(ms), want));
  }
});

describe('timestamps', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  it('AGE of a table is <unknown> without a timestamp', () => {
    assert.equal(tableAge(undefined, now), '<unknown>');
    assert.equal(tableAge('2024-05-01T11:57:18Z', now), '2m42s');
  });
  it('describe ages are empty without a timestamp', () => {
    assert.equal(describeAge(undefined, now), '');
    assert.equal(describeAge('2024-05-01T11:55:00Z', now), '5m');
  });
  it('progress prefix is %7.3fs', () => {
    assert.equal(progressSeconds(34), '  0.034s');
    assert.equal(progressSeconds(4512.4), '  4.512s');
    assert.equal(progressSeconds(575648), '575.648s');
    assert.equal(progressSeconds(0), '  0.000s');
  });
});
