// How Go prints decoded JSON values (interface{} holding float64, string, bool, nil, []interface{},
// map[string]interface{}): fmt's %v, encoding/json's Marshal / MarshalIndent. Used by the template printers.

/** strconv.FormatFloat(v, 'g', -1, 64), i.e. fmt's %v of a float64: `300`, `0.5`, `1e+06`, `1.5e-05`. */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, expText] = v.toExponential().split('e');
  const exp = Number(expText);
  // Shortest digits; %e form when the exponent is < -4 or >= 6 (Go's rule for the shortest precision).
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

/** A decoded JSON object (Go's map[string]interface{}). */
export function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** fmt's %T of a decoded JSON value that is not nil; `interface {}` for anything else. */
export function goJsonTypeName(v: unknown): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (isMap(v)) return 'map[string]interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  return 'interface {}';
}

/** fmt's %v of a decoded JSON value. */
export function goFmtValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(goFmtValue).join(' ')}]`;
  if (isMap(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goFmtValue(v[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeysDeep(v[k]);
    return out;
  }
  return v;
}

/** encoding/json escapes <, >, & and U+2028/U+2029 (HTML-safe output). */
function htmlEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** json.Marshal of a decoded JSON value: compact, map keys sorted. */
export function goJsonCompact(v: unknown): string {
  return htmlEscape(JSON.stringify(sortKeysDeep(v)) ?? 'null');
}

/** json.MarshalIndent(v, "", "    "). */
export function goJsonIndent(v: unknown): string {
  return htmlEscape(JSON.stringify(sortKeysDeep(v), null, 4) ?? 'null');
}
