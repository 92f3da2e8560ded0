import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule, CronError } from './cron.ts';

function firings(expr: string, tz: string | undefined, from: string, n: number): string[] {
  const s = parseSchedule(expr, tz);
  const out: string[] = [];
  let d: Date | undefined = new Date(from);
  for (let i = 0; i < n; i++) {
    d = s.next(d);
    if (!d) break;
    out.push(d.toISOString());
  }
  return out;
}

test('next firings (UTC, seconds optional, names, dom/dow OR rule)', () => {
  const cases: [string, string | undefined, string, string[]][] = [
    ['* * * * *', undefined, '2026-01-01T00:00:30Z', ['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z']],
    ['*/15 * * * *', undefined, '2026-01-01T00:00:00Z', ['2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z']],
    ['*/10 * * * * *', undefined, '2026-01-01T00:00:00Z', ['2026-01-01T00:00:10.000Z', '2026-01-01T00:00:20.000Z']],
    ['0 0 29 2 *', undefined, '2026-01-01T00:00:00Z', ['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z']],
    // dom and dow both restricted: either matches (robfig dayMatches).
    ['0 0 1 * MON', undefined, '2026-01-01T00:00:00Z', ['2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z']],
    // dow restricted, dom star: both must match.
    ['0 0 * JAN-feb sun', undefined, '2026-01-01T00:00:00Z', ['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z']],
    ['@hourly', 'Asia/Kolkata', '2026-01-01T00:00:00Z', ['2026-01-01T00:30:00.000Z', '2026-01-01T01:30:00.000Z']],
    ['CRON_TZ=Europe/Paris 0 9 * * 1-5', undefined, '2026-01-01T00:00:00Z', ['2026-01-01T08:00:00.000Z', '2026-01-02T08:00:00.000Z', '2026-01-05T08:00:00.000Z']],
    ['@monthly', undefined, '2026-01-15T00:00:00Z', ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']],
  ];
  for (const [expr, tz, from, want] of cases) assert.deepEqual(firings(expr, tz, from, want.length), want, `${expr} ${tz ?? ''}`);
});

test('daylight saving: gaps fire after the jump, hourly schedules keep real hours', () => {
  // 2026-03-08 02:30 does not exist in New York: fires at 03:30 EDT (07:30Z).
  assert.deepEqual(firings('30 2 * * *', 'America/New_York', '2026-03-07T00:00:00Z', 3), ['2026-03-07T07:30:00.000Z', '2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z']);
  assert.deepEqual(firings('0 * * * *', 'America/New_York', '2026-11-01T04:30:00Z', 3), ['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z']);
});

test('a schedule that never fires', () => {
  assert.equal(parseSchedule('0 0 30 2 *').next(new Date('2026-01-01T00:00:00Z')), undefined);
  assert.throws(() => parseSchedule('* * * * *').next(new Date(NaN)), RangeError);
});

test("robfig's error messages", () => {
  const cases: [string, string][] = [
    ['foo', 'expected 5 to 6 fields, found 1: [foo]'],
    ['* * * * * * *', 'expected 5 to 6 fields, found 7: [* * * * * * *]'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['1/2/3 * * * *', 'too many slashes: 1/2/3'],
    ['a * * * *', 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['* * * * 7', 'end of range (7) above maximum (6): 7'],
    ['@weekly x', 'unrecognized descriptor: @weekly x'],
    ['@every x', 'failed to parse duration @every x: time: invalid duration "x"'],
  ];
  for (const [expr, msg] of cases) {
    assert.throws(() => parseSchedule(expr), (e: unknown) => e instanceof CronError && e.message === msg && e.field === 'schedule', expr);
  }
  assert.throws(() => parseSchedule('* * * * *', 'Foo/Bar'), (e: unknown) => e instanceof CronError && e.field === 'timezone' && e.message === 'provided bad location Foo/Bar: unknown time zone Foo/Bar');
});
