// PingSource schedules: the cron dialect of robfig/cron v3's standard parser, which knative/eventing
// pkg/adapter/mtping uses (five fields, `@yearly`…`@hourly`, `@every DURATION`, a `CRON_TZ=`/`TZ=` prefix),
// evaluated in a time zone through Intl, so daylight-saving changes are the zone's own.

/** A parsed schedule: the first activation strictly after `after`. */
export interface Schedule {
  next(after: Date): Date;
}

interface Field {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MINUTE: Field = { min: 0, max: 59 };
const HOUR: Field = { min: 0, max: 23 };
const DOM: Field = { min: 1, max: 31 };
const MONTH: Field = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: Field = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** One field's allowed values, and whether it was `*` or `?` (robfig's starBit). */
interface Parsed {
  allowed: Set<number>;
  star: boolean;
}

function parseNumber(s: string, f: Field): number {
  const named = f.names?.[s.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(s)) throw new Error(`failed to parse int from ${s}: strconv.Atoi: parsing "${s}": invalid syntax`);
  return Number(s);
}

/** robfig/cron parser.go getField/getRange. */
function parseField(expr: string, f: Field): Parsed {
  const allowed = new Set<number>();
  let star = false;
  for (const part of expr.split(',')) {
    const [rangePart, stepPart, extra] = part.split('/');
    if (extra !== undefined) throw new Error(`too many slashes: ${part}`);
    const bounds = rangePart.split('-');
    let start: number;
    let end: number;
    let partStar = false;
    if (bounds[0] === '*' || bounds[0] === '?') {
      start = f.min;
      end = f.max;
      partStar = true;
    } else {
      start = parseNumber(bounds[0], f);
      if (bounds.length === 1) end = start;
      else if (bounds.length === 2) end = parseNumber(bounds[1], f);
      else throw new Error(`too many hyphens: ${part}`);
    }
    let step = 1;
    if (stepPart !== undefined) {
      step = parseNumber(stepPart, { min: 0, max: 0 });
      if (bounds.length === 1 && !partStar) end = f.max; // "N/step" means "N-max/step"
      if (step > 1) partStar = false;
    }
    if (start < f.min) throw new Error(`beginning of range (${start}) below minimum (${f.min}): ${part}`);
    if (end > f.max) throw new Error(`end of range (${end}) above maximum (${f.max}): ${part}`);
    if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${part}`);
    if (step === 0) throw new Error(`step of range should be a positive number: ${part}`);
    for (let v = start; v <= end; v += step) allowed.add(v);
    star ||= partStar;
  }
  return { allowed, star };
}

/** Go's time.ParseDuration, for `@every`. */
function parseGoDuration(s: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  if (s === '' || s === '0') {
    if (s === '0') return 0;
    throw new Error(`time: invalid duration "${s}"`);
  }
  let total = 0;
  let pos = 0;
  re.lastIndex = 0;
  while (pos < s.length) {
    const m = re.exec(s);
    if (!m || m.index !== pos) throw new Error(`time: invalid duration "${s}"`);
    total += Number(m[1]) * (units[m[2]] ?? 0);
    pos = re.lastIndex;
  }
  return total;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' });
    } catch {
      throw new Error(`provided bad location ${timeZone}: unknown time zone ${timeZone}`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

interface WallClock {
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

function wallClock(t: Date, timeZone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(t)) parts[p.type] = p.value;
  return { month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour) % 24, minute: Number(parts.minute), weekday: WEEKDAYS[parts.weekday] ?? 0 };
}

const MINUTE_MS = 60_000;
/** robfig/cron gives up after five years without a match (spec.go Next). */
const SEARCH_LIMIT_MS = 5 * 366 * 24 * 3_600_000;

class SpecSchedule implements Schedule {
  private readonly minute: Parsed;
  private readonly hour: Parsed;
  private readonly dom: Parsed;
  private readonly month: Parsed;
  private readonly dow: Parsed;
  private readonly timeZone: string;

  constructor(fields: string[], timeZone: string) {
    this.minute = parseField(fields[0], MINUTE);
    this.hour = parseField(fields[1], HOUR);
    this.dom = parseField(fields[2], DOM);
    this.month = parseField(fields[3], MONTH);
    this.dow = parseField(fields[4], DOW);
    this.timeZone = timeZone;
    formatterFor(timeZone);
  }

  /** robfig/cron spec.go dayMatches: both day fields restricted means either matches. */
  private dayMatches(w: WallClock): boolean {
    const domMatch = this.dom.allowed.has(w.day);
    const dowMatch = this.dow.allowed.has(w.weekday);
    return this.dom.star || this.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  }

  next(after: Date): Date {
    let t = Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    const limit = t + SEARCH_LIMIT_MS;
    while (t < limit) {
      const w = wallClock(new Date(t), this.timeZone);
      if (!this.month.allowed.has(w.month) || !this.dayMatches(w)) {
        t += ((23 - w.hour) * 60 + (60 - w.minute)) * MINUTE_MS; // to the next local midnight
      } else if (!this.hour.allowed.has(w.hour)) {
        t += (60 - w.minute) * MINUTE_MS;
      } else if (!this.minute.allowed.has(w.minute)) {
        t += MINUTE_MS;
      } else {
        return new Date(t);
      }
    }
    return new Date(8.64e15); // never (robfig returns the zero time)
  }
}

/** robfig/cron constantdelay.go: every DURATION, rounded to whole seconds (at least one). */
class EverySchedule implements Schedule {
  private readonly delayMs: number;
  constructor(ms: number) {
    this.delayMs = Math.max(1000, Math.floor(ms / 1000) * 1000);
  }
  next(after: Date): Date {
    return new Date(Math.floor(after.getTime() / 1000) * 1000 + this.delayMs);
  }
}

/**
 * Parses a PingSource schedule (`timezone` is spec.timezone, an IANA name; a `CRON_TZ=` prefix in the
 * expression wins, as in robfig/cron). Throws with robfig/cron's error text.
 */
export function parseSchedule(expr: string, timezone?: string): Schedule {
  let spec = expr.trim();
  let tz = timezone || 'UTC';
  const m = /^(?:CRON_TZ|TZ)=(\S+)\s*(.*)$/.exec(spec);
  if (m) {
    tz = m[1];
    spec = m[2].trim();
  }
  if (spec === '') throw new Error('empty spec string');
  formatterFor(tz);
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) {
      const d = spec.slice('@every '.length).trim();
      let ms: number;
      try {
        ms = parseGoDuration(d);
      } catch (err) {
        throw new Error(`failed to parse duration ${spec}: ${(err as Error).message}`);
      }
      return new EverySchedule(ms);
    }
    const d = DESCRIPTORS[spec];
    if (!d) throw new Error(`unrecognized descriptor: ${spec}`);
    return new SpecSchedule(d.split(' '), tz);
  }
  const fields = spec.split(/\s+/);
  if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  return new SpecSchedule(fields, tz);
}
