// PingSource schedules: the cron dialect Knative accepts (knative/eventing pkg/apis/sources/v1
// ping_validation.go PingSourceSpec.Validate builds robfig/cron/v3's parser with SecondOptional | Minute |
// Hour | Dom | Month | Dow | Descriptor, and prefixes `CRON_TZ=<timezone> ` when spec.timezone is set).
// The grammar and its error texts follow robfig/cron v3 parser.go (Parse, normalizeFields, getRange,
// mustParseInt, parseDescriptor) and the matching follows spec.go (SpecSchedule.Next, dayMatches), so the
// errors `kubectl` shows for a bad schedule read as Knative's. Written here instead of using croner or
// cron-parser: both accept more than robfig (L, W, #, day-of-week 7, six fields with seconds first but
// also year fields) and neither reproduces robfig's error messages, which are part of the API.
//
// Times are resolved in the schedule's IANA time zone through Intl (UTC when none is given: Knative's
// adapters run in containers whose local zone is UTC). Daylight-saving: a wall time that does not exist
// (spring forward) fires at the instant the clock would show it with the offset before the jump (02:30
// in a 02:00→03:00 gap fires at 03:30); a wall time that happens twice (fall back) fires at each
// occurrence (`30 1 * * *` fires at 01:30 EDT and again at 01:30 EST), as a wall-clock schedule reads.

/** A bad schedule; `field` is the PingSource field Knative reports it on. */
export class CronError extends Error {
  readonly field: 'schedule' | 'timezone';
  constructor(message: string, field: 'schedule' | 'timezone' = 'schedule') {
    super(message);
    this.field = field;
  }
}

export interface Schedule {
  /** The first firing time strictly after `after`; undefined when the schedule never fires in the next five years (e.g. `0 0 30 2 *`). */
  next(after: Date): Date | undefined;
  /** The IANA zone the schedule is evaluated in. */
  readonly timezone: string;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const SECONDS: Bounds = { min: 0, max: 59 };
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** A parsed field: the allowed values, and whether it was a star (robfig's starBit). */
interface Field {
  values: boolean[];
  star: boolean;
}

const GO_MAX_INT = 9223372036854775807n;

/** robfig mustParseInt: strconv.Atoi then a sign check. */
function mustParseInt(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${goQuote(expr)}: invalid syntax`);
  const big = BigInt(expr);
  if (big > GO_MAX_INT || big < -GO_MAX_INT - 1n) throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${goQuote(expr)}: value out of range`);
  const n = Number(big);
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: %!s(int=${n})`);
  return n;
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

function parseIntOrName(expr: string, names: Record<string, number> | undefined): number {
  if (names) {
    const v = names[expr.toLowerCase()];
    if (v !== undefined) return v;
  }
  return mustParseInt(expr);
}

/** robfig getRange: `*`, `?`, `N`, `N-M`, each optionally `/step`. */
function getRange(expr: string, r: Bounds, into: Field): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0], r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], r.names);
    else throw new CronError(`too many hyphens: ${expr}`);
  }
  let step: number;
  if (rangeAndStep.length === 1) step = 1;
  else if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]);
    if (singleDigit) end = r.max;
    if (step > 1) star = false;
  } else throw new CronError(`too many slashes: ${expr}`);
  if (start < r.min) throw new CronError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new CronError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) into.values[i] = true;
  if (star) into.star = true;
}

/** robfig getField: comma-separated ranges. */
function getField(field: string, r: Bounds): Field {
  const f: Field = { values: new Array<boolean>(r.max + 1).fill(false), star: false };
  for (const part of field.split(',').filter((p) => p !== '')) getRange(part, r, f);
  return f;
}

function allOf(r: Bounds): Field {
  const f: Field = { values: new Array<boolean>(r.max + 1).fill(false), star: true };
  for (let i = r.min; i <= r.max; i++) f.values[i] = true;
  return f;
}

function only(r: Bounds, v: number): Field {
  const f: Field = { values: new Array<boolean>(r.max + 1).fill(false), star: false };
  f.values[v] = true;
  return f;
}

interface Spec {
  second: Field;
  minute: Field;
  hour: Field;
  dom: Field;
  month: Field;
  dow: Field;
}

/** robfig parseDescriptor (the `@every` form included; PingSource validation refuses it separately). */
function parseDescriptor(d: string): Spec | { every: number } {
  const base = (): Spec => ({ second: only(SECONDS, 0), minute: only(MINUTES, 0), hour: only(HOURS, 0), dom: allOf(DOM), month: allOf(MONTHS), dow: allOf(DOW) });
  switch (d) {
    case '@yearly':
    case '@annually':
      return { ...base(), dom: only(DOM, 1), month: only(MONTHS, 1) };
    case '@monthly':
      return { ...base(), dom: only(DOM, 1) };
    case '@weekly':
      return { ...base(), dow: only(DOW, 0) };
    case '@daily':
    case '@midnight':
      return base();
    case '@hourly':
      return { ...base(), hour: allOf(HOURS) };
  }
  if (d.startsWith('@every ')) {
    const text = d.slice('@every '.length);
    const ms = parseGoDuration(text);
    if (ms === undefined) throw new CronError(`failed to parse duration ${d}: time: invalid duration ${goQuote(text)}`);
    // robfig Every: rounded down to whole seconds, at least one second.
    return { every: Math.max(1000, Math.floor(ms / 1000) * 1000) };
  }
  throw new CronError(`unrecognized descriptor: ${d}`);
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go time.ParseDuration, in milliseconds (undefined when invalid). */
function parseGoDuration(s: string): number | undefined {
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  const re = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const m = re.exec(rest);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * GO_UNITS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Throws CronError unless `tz` names a zone Go's time.LoadLocation would load. */
function checkZone(tz: string): string {
  if (tz === '' || tz === 'UTC') return 'UTC';
  if (tz === 'Local') return 'UTC';
  if (/^[+-]/.test(tz) || tz.includes('..') || tz.startsWith('/')) {
    throw new CronError(`provided bad location ${tz}: ${tz.includes('..') || tz.startsWith('/') ? 'time: invalid location name' : `unknown time zone ${tz}`}`, 'timezone');
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new CronError(`provided bad location ${tz}: unknown time zone ${tz}`, 'timezone');
  }
  return tz;
}

/**
 * Parses a PingSource schedule (robfig/cron v3 with optional seconds and descriptors; a `CRON_TZ=` or
 * `TZ=` prefix selects the zone, as does `timezone`, which Knative turns into such a prefix).
 * Throws CronError with robfig's message.
 */
export function parseSchedule(expr: string, timezone?: string): Schedule {
  let spec = timezone ? `CRON_TZ=${timezone} ${expr}` : expr;
  if (spec.length === 0) throw new CronError('empty spec string');
  let zone = 'UTC';
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    // robfig slices spec[eq+1:i], which panics without a space; knit reports it instead.
    if (i < 0) throw new CronError(`provided bad location ${spec.slice(eq + 1)}: missing schedule after the time zone`, 'timezone');
    zone = checkZone(spec.slice(eq + 1, i));
    spec = spec.slice(i).trim();
  }
  if (spec.startsWith('@')) {
    const d = parseDescriptor(spec);
    if ('every' in d) {
      const every = d.every;
      return { timezone: zone, next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + every) };
    }
    return specSchedule(d, zone);
  }
  let fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length < 5 || fields.length > 6) throw new CronError(`expected 5 to 6 fields, found ${fields.length}: [${fields.join(' ')}]`);
  if (fields.length === 5) fields = ['0', ...fields];
  const s: Spec = {
    second: getField(fields[0], SECONDS),
    minute: getField(fields[1], MINUTES),
    hour: getField(fields[2], HOURS),
    dom: getField(fields[3], DOM),
    month: getField(fields[4], MONTHS),
    dow: getField(fields[5], DOW),
  };
  return specSchedule(s, zone);
}

// ---- time zone arithmetic ----

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** The zone's offset from UTC at instant `t` (ms), as wall-clock-as-UTC minus t. */
function offsetAt(tz: string, t: number): number {
  if (tz === 'UTC') return 0;
  const whole = Math.floor(t / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(whole))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
}

function specSchedule(s: Spec, tz: string): Schedule {
  const dayMatches = (y: number, m: number, d: number): boolean => {
    const dom = s.dom.values[d] === true;
    const dow = s.dow.values[new Date(Date.UTC(y, m - 1, d)).getUTCDay()] === true;
    return s.dom.star || s.dow.star ? dom && dow : dom || dow;
  };
  const list = (f: Field): number[] => f.values.flatMap((v, i) => (v ? [i] : []));
  const hours = list(s.hour);
  const minutes = list(s.minute);
  const seconds = list(s.second);
  return {
    timezone: tz,
    next(after: Date): Date | undefined {
      if (!Number.isFinite(after.getTime())) throw new RangeError('next: invalid date');
      const a = Math.floor(after.getTime() / 1000) * 1000; // the next firing is strictly after a's whole second
      const startWall = new Date(a + offsetAt(tz, a));
      const yearLimit = startWall.getUTCFullYear() + 5;
      // The day before the start's wall date too: with DST an early wall time may still be ahead.
      let day = Date.UTC(startWall.getUTCFullYear(), startWall.getUTCMonth(), startWall.getUTCDate() - 1);
      for (;;) {
        const dd = new Date(day);
        const y = dd.getUTCFullYear();
        if (y > yearLimit) return undefined;
        const mo = dd.getUTCMonth() + 1;
        const d = dd.getUTCDate();
        if (s.month.values[mo] && dayMatches(y, mo, d)) {
          // Offsets in effect around this wall day (at most one transition in practice).
          const o1 = offsetAt(tz, day - 14 * 3_600_000);
          const o2 = offsetAt(tz, day + 12 * 3_600_000);
          const o3 = offsetAt(tz, day + 38 * 3_600_000);
          const lo = Math.min(o1, o2, o3);
          const hi = Math.max(o1, o2, o3);
          for (const h of hours) {
            if (day + (h * 3600 + 3599) * 1000 - lo <= a) continue;
            for (const mi of minutes) {
              if (day + (h * 3600 + mi * 60 + 59) * 1000 - lo <= a) continue;
              for (const sec of seconds) {
                const wall = day + (h * 3600 + mi * 60 + sec) * 1000;
                if (wall - lo <= a) continue;
                const t = resolve(tz, wall, lo, hi, a);
                if (t !== undefined) return new Date(t);
              }
            }
          }
        }
        day += 86_400_000;
      }
    },
  };
}

/** The first instant after `a` whose wall clock in `tz` reads `wall` (or the gap rule), if any. */
function resolve(tz: string, wall: number, lo: number, hi: number, a: number): number | undefined {
  if (lo === hi) return wall - lo > a ? wall - lo : undefined;
  const valid = [wall - hi, wall - lo].filter((t) => offsetAt(tz, t) === wall - t);
  if (valid.length === 0) return wall - lo > a ? wall - lo : undefined; // in the spring-forward gap
  const after = valid.filter((t) => t > a).sort((x, y) => x - y);
  return after[0];
}
