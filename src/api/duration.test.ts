// Tests of Kubernetes' human-readable durations (apimachinery duration.HumanDuration, ShortHumanDuration).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { humanDuration, shortHumanDuration } from './duration.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration (list AGE, Table cells)', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'],
    [-1 * S, '0s'],
    [0, '0s'],
    [45 * S, '45s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [2 * M + 42 * S, '2m42s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M, '10m'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [5 * H + 7 * M, '5h7m'],
    [5 * H + 30 * M, '5h30m'],
    [8 * H, '8h'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [3 * D + 4 * H, '3d4h'],
    [8 * D, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [800 * D, '2y70d'],
    [2 * 365 * D + 10 * D, '2y10d'],
    [8 * 365 * D, '8y'],
    [9 * 365 * D, '9y'],
  ];
  for (const [ms, want] of cases) it(`${ms}ms -> ${want}`, () => assert.equal(humanDuration(ms), want));
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
  for (const [ms, want] of cases) it(`${ms}ms -> ${want}`, () => assert.equal(shortHumanDuration(ms), want));
});
