// Parsers and printers for values written the way Go writes them (ConfigMap values and annotations are
// strings): time.ParseDuration / Duration.String, strconv.ParseBool/ParseFloat/ParseInt, resource.ParseQuantity.

const NS_PER_UNIT: Record<string, bigint> = {
  ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};
const MAX_INT64 = (1n << 63n) - 1n;

/** time.ParseDuration: returns nanoseconds, or null when the string is not a Go duration. */
export function parseGoDuration(s: string): bigint | null {
  let rest = s;
  let neg = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return null;
  let total = 0n;
  const part = /^(\d*)(?:\.(\d*))?([^\d.]+)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) return null;
    const [all, int, frac = '', unit] = m;
    if (int === '' && frac === '') return null;
    const scale = NS_PER_UNIT[unit];
    if (scale === undefined) return null;
    let v = BigInt(int === '' ? '0' : int) * scale;
    if (frac !== '') v += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    total += v;
    if (total > MAX_INT64) return null;
    rest = rest.slice(all.length);
  }
  return neg ? -total : total;
}

/** Duration.String() for a number of nanoseconds, e.g. 3600s → "1h0m0s", 0 → "0s". */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  const sign = neg ? '-' : '';
  const fracStr = (v: bigint, digits: number): string => {
    const s = v.toString().padStart(digits, '0').replace(/0+$/, '');
    return s === '' ? '' : `.${s}`;
  };
  if (u < 1_000_000_000n) {
    if (u < 1_000n) return `${sign}${u}ns`;
    if (u < 1_000_000n) return `${sign}${u / 1_000n}${fracStr(u % 1_000n, 3)}µs`;
    return `${sign}${u / 1_000_000n}${fracStr(u % 1_000_000n, 6)}ms`;
  }
  const h = u / 3_600_000_000_000n;
  u %= 3_600_000_000_000n;
  const m = u / 60_000_000_000n;
  u %= 60_000_000_000n;
  const s = `${u / 1_000_000_000n}${fracStr(u % 1_000_000_000n, 9)}s`;
  if (h > 0n) return `${sign}${h}h${m}m${s}`;
  if (m > 0n) return `${sign}${m}m${s}`;
  return `${sign}${s}`;
}

/** Seconds as a JS number for a Go duration string, or null when invalid. */
export function parseDurationSeconds(s: string): number | null {
  const ns = parseGoDuration(s);
  return ns === null ? null : Number(ns) / 1e9;
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return null;
}

/** strconv.ParseFloat(s, 64) for decimal input (plus Inf/NaN). */
export function parseGoFloat(s: string): number | null {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  return Number(s);
}

/** strconv.ParseInt(s, 10, bits): a number, 'range' when out of range, or null when malformed. */
export function parseGoInt(s: string, bits = 64): number | 'range' | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  const v = BigInt(s);
  const lim = 1n << BigInt(bits - 1);
  if (v < -lim || v > lim - 1n) return 'range';
  return Number(v);
}

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const QUANTITY_SUFFIX: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** The message Kubernetes gives for a malformed resource.Quantity. */
export const QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** resource.ParseQuantity: the numeric value (e.g. "128Mi" → 134217728, "250m" → 0.25), or null. */
export function parseQuantity(q: string | number): number | null {
  if (typeof q === 'number') return Number.isFinite(q) ? q : null;
  const m = QUANTITY.exec(q);
  if (!m) return null;
  const base = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix in QUANTITY_SUFFIX) return base * QUANTITY_SUFFIX[suffix];
  return base * 10 ** Number(suffix.slice(1));
}
