// Go's text formatting and number parsing as the apiserver's messages show them (strconv.Quote, ParseInt, %#U).

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isGoPrint(ch: string): boolean {
  return PRINTABLE.test(ch);
}

const SHORT_ESCAPES: Record<string, string> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v',
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** strconv.Quote (what `%q` prints for a string): printable runes kept, others escaped as Go does. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (isGoPrint(ch)) out += ch;
    else if (SHORT_ESCAPES[ch] !== undefined) out += SHORT_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd'; // a lone surrogate is invalid UTF-8 to Go
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

/** `%#U` of a rune: "U+0009" followed by the quoted character when printable. */
export function goRuneU(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return isGoPrint(ch) ? `${code} '${ch}'` : code;
}

/** Go's `%v` of a byte-as-rune in json's scanner messages (quoteChar in encoding/json/scanner.go). */
export function goQuoteChar(byte: number): string {
  if (byte === 0x27) return "'\\''";
  if (byte === 0x22) return "'\"'";
  const q = goQuote(String.fromCodePoint(byte));
  return `'${q.slice(1, -1)}'`;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A strconv error: `strconv.ParseInt: parsing "x": invalid syntax`. */
export class GoNumError extends Error {
  constructor(fn: string, input: string, problem: 'invalid syntax' | 'value out of range') {
    super(`strconv.${fn}: parsing ${goQuote(input)}: ${problem}`);
    this.name = 'GoNumError';
  }
}

/** strconv.ParseInt(s, 10, 64); `fn` names the caller in the error text (Atoi reports itself). */
export function parseGoInt64(s: string, fn = 'ParseInt'): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new GoNumError(fn, s, 'invalid syntax');
  const n = BigInt(s);
  if (n < INT64_MIN || n > INT64_MAX) throw new GoNumError(fn, s, 'value out of range');
  return n;
}

/** strconv.ParseUint(s, 10, 64): no sign allowed. */
export function parseGoUint64(s: string): bigint {
  if (!/^[0-9]+$/.test(s)) throw new GoNumError('ParseUint', s, 'invalid syntax');
  const n = BigInt(s);
  if (n > UINT64_MAX) throw new GoNumError('ParseUint', s, 'value out of range');
  return n;
}

/** strconv.ParseBool: the twelve spellings Go accepts, undefined for anything else. */
export function parseGoBool(s: string): boolean | undefined {
  switch (s) {
    case '1': case 't': case 'T': case 'TRUE': case 'true': case 'True': return true;
    case '0': case 'f': case 'F': case 'FALSE': case 'false': case 'False': return false;
    default: return undefined;
  }
}

/** json.Marshal of a decoded JSON value: compact, object keys sorted, <, > and & escaped. */
export function goJSON(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        Object.defineProperty(out, k, { value: sorted((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return v;
  };
  const text = JSON.stringify(sorted(value)) ?? 'null';
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${hex(c.charCodeAt(0), 4)}`);
}
