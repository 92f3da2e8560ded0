// Ages as kn prints them (list AGE columns, describe ages) and the wait progress-line prefix.

import { humanDuration, shortHumanDuration } from '../api/duration.ts';

function parseTime(ts: string | undefined): number | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/** AGE column of list tables (kn's TranslateTimestampSince): `<unknown>` without a timestamp. */
export function tableAge(ts: string | undefined, now: number): string {
  const t = parseTime(ts);
  return t === undefined ? '<unknown>' : humanDuration(now - t);
}

/** Ages in describe output (kn's commands.Age): empty without a timestamp. */
export function describeAge(ts: string | undefined, now: number): string {
  const t = parseTime(ts);
  return t === undefined ? '' : shortHumanDuration(now - t);
}

/** The `%7.3fs` prefix of a wait progress line. */
export function progressSeconds(ms: number): string {
  return `${(Math.round(ms) / 1000).toFixed(3).padStart(7)}s`;
}
