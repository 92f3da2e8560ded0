// Minimal HTTP/1.1 scanners for the gateway's fast path: request and response heads (only the
// headers that routing, rewriting and framing need) and chunked bodies, straight from Buffers.

/** Heads larger than this are left to Node's parser (which answers 431). */
export const MAX_HEAD = 64 * 1024;

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;

/** RFC 9110 tchar. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1;

/** Bytes allowed in a header value besides SP and HTAB: VCHAR and obs-text. */
const VALUE = new Uint8Array(256);
for (let b = 0x21; b < 256; b++) VALUE[b] = b === 0x7f ? 0 : 1;
VALUE[SP] = 1;
VALUE[HT] = 1;

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Index just past the blank line ending a head in buf (searching from `from`), or -1. */
export function findHeadEnd(buf: Buffer, from: number): number {
  const i = buf.indexOf(CRLFCRLF, from);
  return i < 0 ? -1 : i + 4;
}

/** Case-insensitive comparison of buf[start, start+name.length) with a lower-case ASCII name. */
function nameIs(buf: Buffer, start: number, len: number, name: string): boolean {
  if (len !== name.length) return false;
  // Names are validated tokens, so `| 0x20` only folds letters (no token byte maps onto '-' or a digit).
  for (let i = 0; i < len; i++) if ((buf[start + i] | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

/** Header kinds the fast path cares about; everything else is forwarded untouched. */
export const Hdr = {
  Other: 0,
  Host: 1,
  ContentLength: 2,
  TransferEncoding: 3,
  Connection: 4,
  Upgrade: 5,
  Expect: 6,
  Te: 7,
  XForwardedFor: 8,
  XForwardedProto: 9,
  Forwarded: 10,
  Tag: 11,
  KeepAlive: 12,
  Date: 14,
  XForwardedHost: 15,
  /** Hop-by-hop headers that are dropped without looking at the value (trailer, proxy-connection, http2-settings). */
  Drop: 13,
} as const;
export type Hdr = (typeof Hdr)[keyof typeof Hdr];

/** The names classify recognises, by length (the name's length picks the few candidates to compare). */
const NAMED: Array<Array<{ name: string; kind: Hdr; first: number }>> = [];
for (const [name, kind] of [
  ['te', Hdr.Te],
  ['host', Hdr.Host],
  ['date', Hdr.Date],
  ['expect', Hdr.Expect],
  ['upgrade', Hdr.Upgrade],
  ['trailer', Hdr.Drop],
  ['forwarded', Hdr.Forwarded],
  ['connection', Hdr.Connection],
  ['keep-alive', Hdr.KeepAlive],
  ['content-length', Hdr.ContentLength],
  ['http2-settings', Hdr.Drop],
  ['x-forwarded-for', Hdr.XForwardedFor],
  ['proxy-connection', Hdr.Drop],
  ['transfer-encoding', Hdr.TransferEncoding],
  ['x-forwarded-proto', Hdr.XForwardedProto],
  ['x-forwarded-host', Hdr.XForwardedHost],
  ['knative-serving-tag', Hdr.Tag],
] as const) (NAMED[name.length] ??= []).push({ name, kind, first: name.charCodeAt(0) });

function classify(buf: Buffer, s: number, len: number): Hdr {
  const candidates = NAMED[len];
  if (candidates === undefined) return Hdr.Other;
  // The first letter rules out most candidates before a whole comparison.
  const first = buf[s] | 0x20;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (c.first === first && nameIs(buf, s, len, c.name)) return c.kind;
  }
  return Hdr.Other;
}

/**
 * Header lines of a head: for each line its start, name end, value start, value end (trimmed)
 * and line end (after CRLF), plus its kind. Reused across messages of one connection.
 */
export class HeaderLines {
  /** 5 offsets per line: start, nameEnd, valueStart, valueEnd, next line start. */
  readonly offsets: number[] = [];
  readonly kinds: Hdr[] = [];
  count = 0;
  /** Index of the first header line (just past the start line's CRLF). */
  firstLine = 0;
  /** Index of the blank line's CR (headers end there). */
  blankLine = 0;

  /**
   * Splits buf[firstLine, end) into header lines; `end` is just past the blank line.
   * Returns false on anything Node's strict parser would reject (obs-fold, bare CR/LF, bad bytes).
   */
  scan(buf: Buffer, firstLine: number, end: number): boolean {
    this.count = 0;
    this.firstLine = firstLine;
    const offs = this.offsets;
    const kinds = this.kinds;
    let p = firstLine;
    for (;;) {
      if (p >= end) return false;
      if (buf[p] === CR) {
        if (buf[p + 1] !== LF || p + 2 !== end) return false;
        this.blankLine = p;
        return true;
      }
      let i = p;
      while (TOKEN[buf[i]] === 1) i++;
      if (i === p || buf[i] !== COLON) return false;
      const nameEnd = i;
      i++;
      while (buf[i] === SP || buf[i] === HT) i++;
      const valueStart = i;
      while (VALUE[buf[i]] === 1) i++;
      if (buf[i] !== CR || buf[i + 1] !== LF) return false;
      let valueEnd = i;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HT)) valueEnd--;
      const n = this.count++;
      const o = n * 5;
      offs[o] = p;
      offs[o + 1] = nameEnd;
      offs[o + 2] = valueStart;
      offs[o + 3] = valueEnd;
      offs[o + 4] = i + 2;
      kinds[n] = classify(buf, p, nameEnd - p);
      p = i + 2;
    }
  }

  value(buf: Buffer, n: number): string {
    return buf.toString('latin1', this.offsets[n * 5 + 2], this.offsets[n * 5 + 3]);
  }

  /** Line n's value after `prev` in a comma-separated list (repeated fields combine so, RFC 9110 §5.3), or alone. */
  joined(buf: Buffer, n: number, prev: string | undefined): string {
    return prev === undefined ? this.value(buf, n) : `${prev}, ${this.value(buf, n)}`;
  }

  /** True if line n's value is `lower` (a lower-case ASCII string), ignoring case. */
  valueIs(buf: Buffer, n: number, lower: string): boolean {
    const o = n * 5;
    const s = this.offsets[o + 2];
    const len = lower.length;
    if (this.offsets[o + 3] - s !== len) return false;
    for (let i = 0; i < len; i++) {
      let c = buf[s + i];
      if (c >= 65 && c <= 90) c |= 0x20;
      if (c !== lower.charCodeAt(i)) return false;
    }
    return true;
  }

  /** True if line n's name (case-insensitive) is in `names` (lower-case). */
  nameIn(buf: Buffer, n: number, names: Set<string>): boolean {
    const o = n * 5;
    return names.has(buf.toString('latin1', this.offsets[o], this.offsets[o + 1]).toLowerCase());
  }
}

/** Parses a decimal Content-Length value; -1 if it is not one. */
export function parseLength(buf: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Lower-cased comma-separated tokens of a header value (Connection, Transfer-Encoding). */
export function tokens(value: string): string[] {
  const out: string[] = [];
  for (const t of value.split(',')) {
    const s = t.trim().toLowerCase();
    if (s) out.push(s);
  }
  return out;
}

/** The methods the fast path proxies, by length. */
const METHODS: string[][] = [];
for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) (METHODS[m.length] ??= []).push(m);
const HTTP11 = Buffer.from(' HTTP/1.1\r\n');

/** True if buf[0, len) is one of METHODS (compared byte by byte: no string per request). */
function knownMethod(buf: Buffer, len: number): boolean {
  const candidates = METHODS[len];
  if (candidates === undefined) return false;
  next: for (const m of candidates) {
    for (let i = 0; i < len; i++) if (buf[i] !== m.charCodeAt(i)) continue next;
    return true;
  }
  return false;
}

/**
 * Checks `METHOD SP target SP HTTP/1.1 CRLF` for a method the fast path handles; returns the
 * index just past the line, or -1 (other methods, HTTP/1.0, targets not in origin-form: the general path decides).
 */
export function parseRequestLine(buf: Buffer, end: number): number {
  let i = 0;
  while (i < 8 && buf[i] >= 65 && buf[i] <= 90) i++;
  if (buf[i] !== SP || !knownMethod(buf, i)) return -1;
  i++;
  const target = i;
  // Origin-form only: absolute-form (routed by its authority, RFC 9112 §3.2.2) and asterisk-form go to the general path.
  if (buf[i] !== 47 /* / */) return -1;
  // Request targets: visible ASCII only (Node rejects the rest).
  while (i < end && buf[i] > SP && buf[i] < 0x7f) i++;
  if (i === target) return -1;
  if (i + HTTP11.length > end) return -1;
  for (let k = 0; k < HTTP11.length; k++) if (buf[i + k] !== HTTP11[k]) return -1;
  return i + HTTP11.length;
}

/** True if the request line starts with `HEAD `. */
export function isHeadMethod(buf: Buffer): boolean {
  return buf[0] === 72 && buf[1] === 69 && buf[2] === 65 && buf[3] === 68 && buf[4] === SP;
}

/**
 * Parses a response status line `HTTP/1.x SSS reason CRLF`; returns the status code and sets
 * `out.next`/`out.minor`, or returns -1 when malformed.
 */
export function parseStatusLine(buf: Buffer, end: number, out: { next: number; minor: number }): number {
  // "HTTP/1.x SSS"
  if (end < 14) return -1;
  if (buf[0] !== 72 || buf[1] !== 84 || buf[2] !== 84 || buf[3] !== 80 || buf[4] !== 47 || buf[5] !== 49 || buf[6] !== 46) return -1;
  const minor = buf[7] - 48;
  if ((minor !== 0 && minor !== 1) || buf[8] !== SP) return -1;
  const a = buf[9] - 48;
  const b = buf[10] - 48;
  const c = buf[11] - 48;
  if (a < 1 || a > 9 || b < 0 || b > 9 || c < 0 || c > 9) return -1;
  if (buf[12] !== SP && buf[12] !== CR) return -1;
  let i = 12;
  while (i < end && buf[i] !== CR && buf[i] !== LF) i++;
  if (buf[i] !== CR || buf[i + 1] !== LF) return -1;
  out.next = i + 2;
  out.minor = minor;
  return a * 100 + b * 10 + c;
}

// Chunked-body scanner states.
const Size = 0;
const ExtStart = 1; // just after ';'
const SizeLf = 2;
const Data = 3;
const DataCr = 4;
const DataLf = 5;
const TrailerStart = 6;
const TrailerName = 7;
const TrailerLf = 8;
const LastLf = 9;
const Done = 10;
const ExtName = 11;
const ExtValueStart = 12;
const ExtToken = 13;
const ExtQuoted = 14;
const ExtEscape = 15;
const ExtQuoteEnd = 16;
const TrailerValue = 17;

/** The states that expect one byte: that byte and the state after it. */
const ONE_BYTE: Record<number, readonly [byte: number, next: number]> = {
  [DataCr]: [CR, DataLf],
  [DataLf]: [LF, Size],
  [TrailerLf]: [LF, TrailerStart],
  [LastLf]: [LF, Done],
};

/** qdtext and quoted-pair bytes (RFC 9110 §5.6.4): HTAB, SP, VCHAR except `"` and `\`, obs-text. */
const QDTEXT = new Uint8Array(256);
for (let b = 0x20; b < 256; b++) QDTEXT[b] = b === 0x7f || b === 0x22 || b === 0x5c ? 0 : 1;
QDTEXT[HT] = 1;

/** Largest chunk size accepted (sizes past 2^53 cannot be counted exactly; llhttp stops at 2^64). */
const MAX_CHUNK = Number.MAX_SAFE_INTEGER;

/**
 * Finds the end of a chunked body fed in pieces (the bytes themselves are passed on untouched),
 * as strictly as Node's parser (llhttp without lenient flags) reads one: hex sizes with no
 * whitespace after them, extensions `;name[=token|quoted-string]` (RFC 9112 §7.1.1), trailer
 * lines that are header fields (`token ":" value`, no obs-fold), CRLF everywhere.
 */
export class ChunkedScanner {
  private state = Size;
  private size = 0;
  private digits = 0;
  /** Bytes of the current size line, or of the trailer section. */
  private lineBytes = 0;

  reset(): void {
    this.state = Size;
    this.size = 0;
    this.digits = 0;
    this.lineBytes = 0;
  }

  /** True between chunks: the next byte would start a chunk-size line (the body can be ended cleanly here). */
  get atChunkBoundary(): boolean {
    return this.state === Size && this.digits === 0;
  }

  /** Scans buf[from, to): index just past the body's last byte, -1 if it goes on, -2 if malformed. */
  scan(buf: Buffer, from: number, to: number): number {
    let i = from;
    while (i < to) {
      const b = buf[i];
      switch (this.state) {
        case Size: {
          const d = b >= 48 && b <= 57 ? b - 48 : (b | 0x20) >= 97 && (b | 0x20) <= 102 ? (b | 0x20) - 87 : -1;
          if (d >= 0) {
            this.digits++;
            this.size = this.size * 16 + d;
            if (this.size > MAX_CHUNK) return -2;
          } else if (this.digits === 0) return -2;
          else if (b === CR) this.state = SizeLf;
          else if (b === 59 /* ; */) this.state = ExtStart;
          else return -2;
          i++;
          break;
        }
        case ExtStart:
          if (TOKEN[b] === 1) this.state = ExtName;
          else if (b !== 59) return -2;
          i++;
          break;
        case ExtName:
        case ExtToken:
          if (TOKEN[b] === 1) {
            // stays
          } else if (b === 59) this.state = ExtStart;
          else if (b === CR) this.state = SizeLf;
          else if (b === 61 /* = */ && this.state === ExtName) this.state = ExtValueStart;
          else return -2;
          i++;
          break;
        case ExtValueStart:
          if (b === 34 /* " */) this.state = ExtQuoted;
          else if (TOKEN[b] === 1) this.state = ExtToken;
          else if (b === 59) this.state = ExtStart;
          else if (b === CR) this.state = SizeLf;
          else return -2;
          i++;
          break;
        case ExtQuoted:
          if (b === 34) this.state = ExtQuoteEnd;
          else if (b === 92 /* \ */) this.state = ExtEscape;
          else if (QDTEXT[b] !== 1) return -2;
          i++;
          break;
        case ExtEscape:
          if (QDTEXT[b] !== 1 && b !== 34 && b !== 92) return -2;
          this.state = ExtQuoted;
          i++;
          break;
        case ExtQuoteEnd:
          if (b === 59) this.state = ExtStart;
          else if (b === CR) this.state = SizeLf;
          else return -2;
          i++;
          break;
        case SizeLf:
          if (b !== LF) return -2;
          i++;
          this.digits = 0;
          // Size lines are bounded one by one, the trailer section as a whole.
          this.lineBytes = 0;
          this.state = this.size === 0 ? TrailerStart : Data;
          break;
        case Data: {
          const n = Math.min(this.size, to - i);
          this.size -= n;
          i += n;
          if (this.size === 0) this.state = DataCr;
          break;
        }
        case DataCr:
        case DataLf:
        case TrailerLf:
        case LastLf: {
          const [byte, next] = ONE_BYTE[this.state];
          if (b !== byte) return -2;
          i++;
          this.state = next;
          if (next === Done) return i;
          break;
        }
        case TrailerStart:
          // A blank line ends the trailers; anything else must start a field name (no obs-fold).
          if (b === CR) this.state = LastLf;
          else if (TOKEN[b] === 1) this.state = TrailerName;
          else return -2;
          i++;
          break;
        case TrailerName:
          if (b === COLON) this.state = TrailerValue;
          else if (TOKEN[b] !== 1) return -2;
          i++;
          break;
        case TrailerValue:
          if (b === CR) this.state = TrailerLf;
          else if (VALUE[b] !== 1) return -2;
          i++;
          break;
        case Done:
          return i;
      }
      if (this.state !== Data && ++this.lineBytes > MAX_HEAD) return -2;
    }
    return -1;
  }
}
