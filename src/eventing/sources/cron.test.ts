// The PingSource cron dialect: next activations as robfig/cron computes them, in UTC and in a zone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule } from './cron.ts';

const rows: { name: string; expr: string; tz?: string; after: string; want: string[] }[] = [
  { name: 'every minute', expr: '* * * * *', after: '2026-01-01T10:00:30Z', want: ['2026-01-01T10:01:00.000Z', '2026-01-01T10:02:00.000Z'] },
  { name: 'every minute, */1', expr: '*/1 * * * *', after: '2026-01-01T10:00:00Z', want: ['2026-01-01T10:01:00.000Z', '2026-01-01T10:02:00.000Z'] },
  { name: 'every 15 minutes', expr: '*/15 * * * *', after: '2026-01-01T10:07:00Z', want: ['2026-01-01T10:15:00.000Z', '2026-01-01T10:30:00.000Z'] },
  { name: 'N/step means N-max/step', expr: '50/5 * * * *', after: '2026-01-01T10:51:00Z', want: ['2026-01-01T10:55:00.000Z', '2026-01-01T11:50:00.000Z'] },
  { name: 'ranges and lists', expr: '0 9-10,17 * * *', after: '2026-01-01T09:30:00Z', want: ['2026-01-01T10:00:00.000Z', '2026-01-01T17:00:00.000Z', '2026-01-02T09:00:00.000Z'] },
  { name: 'day names', expr: '0 0 * * MON', after: '2026-01-01T00:00:00Z', want: ['2026-01-05T00:00:00.000Z'] },
  { name: 'both day fields restricted: either matches', expr: '0 0 1 * MON', after: '2026-01-01T00:00:00Z', want: ['2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z'] },
  { name: '@hourly', expr: '@hourly', after: '2026-01-01T10:00:00Z', want: ['2026-01-01T11:00:00.000Z'] },
  { name: '@every 90s', expr: '@every 1m30s', after: '2026-01-01T10:00:00.400Z', want: ['2026-01-01T10:01:30.000Z'] },
  { name: 'timezone', expr: '0 9 * * *', tz: 'Europe/Paris', after: '2026-01-01T00:00:00Z', want: ['2026-01-01T08:00:00.000Z'] },
  { name: 'timezone in summer time', expr: '0 9 * * *', tz: 'Europe/Paris', after: '2026-07-01T00:00:00Z', want: ['2026-07-01T07:00:00.000Z'] },
  { name: 'CRON_TZ prefix', expr: 'CRON_TZ=Asia/Kolkata 30 9 * * *', after: '2026-01-01T00:00:00Z', want: ['2026-01-01T04:00:00.000Z'] },
];

for (const r of rows) {
  test(`cron: ${r.name}`, () => {
    const s = parseSchedule(r.expr, r.tz);
    let t = new Date(r.after);
    for (const w of r.want) {
      t = s.next(t);
      assert.equal(t.toISOString(), w);
    }
  });
}

test('cron: bad schedules are refused with robfig/cron text', () => {
  assert.throws(() => parseSchedule('* * * *'), /expected exactly 5 fields, found 4/);
  assert.throws(() => parseSchedule('61 * * * *'), /end of range \(61\) above maximum \(59\)/);
  assert.throws(() => parseSchedule('@fortnightly'), /unrecognized descriptor: @fortnightly/);
  assert.throws(() => parseSchedule('* * * * *', 'Mars/Olympus'), /provided bad location Mars\/Olympus/);
});
