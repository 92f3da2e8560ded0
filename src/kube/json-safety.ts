// Request bodies and URL paths read as the apiserver reads them: Go's JSON syntax checks and 10000-level depth limit
// with its messages, no stack overflow at any depth, `__proto__` kept as ordinary data, and path decoding that never throws.

import { badRequest, StatusError } from './errors.ts';
import { goQuoteChar } from './gotext.ts';

/** encoding/json's maxNestingDepth (also sigs.k8s.io/json's): 10000 nested arrays/objects parse, 10001 do not. */
export const KUBE_MAX_JSON_DEPTH = 10000;

/** The apiserver's default MaxRequestBodyBytes (apiserver pkg/server/config.go): 3 MiB. */
export const KUBE_MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/** limitedReadBody's refusal once a body passes the limit: 413 `Request entity too large: limit is 3145728`. */
export const requestEntityTooLarge = (limit = KUBE_MAX_REQUEST_BODY_BYTES): StatusError =>
  new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);

/** A JSON syntax error with encoding/json's message (SyntaxError.Error()) and byte offset. */
export class GoJSONSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'GoJSONSyntaxError';
    this.offset = offset;
  }
}

type Container = 'object' | 'array';

/**
 * checkValid from encoding/json's scanner: the first syntax problem in byte order, with Go's text
 * ("invalid character 'x' looking for beginning of value", "unexpected end of JSON input", "exceeded max depth").
 * Iterative, so any depth is safe to check.
 */
export function checkJSONSyntax(data: Uint8Array, maxDepth = KUBE_MAX_JSON_DEPTH): void {
  const stack: Container[] = [];
  let i = 0;
  const n = data.length;
  const fail = (context: string): never => {
    throw new GoJSONSyntaxError(`invalid character ${goQuoteChar(data[i])} ${context}`, i + 1);
  };
  const eof = (): never => {
    throw new GoJSONSyntaxError('unexpected end of JSON input', n);
  };
  // At the end of input Go's scanner steps once more with a space: a half-read number, literal or escape
  // reports that space rather than the end of input.
  const endInside = (context: string): never => {
    throw new GoJSONSyntaxError(`invalid character ' ' ${context}`, n);
  };
  const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  const skipSpace = (): void => {
    while (i < n && isSpace(data[i])) i++;
  };
  const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
  const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

  const scanString = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= n) eof();
      const c = data[i];
      if (c === 0x22) {
        i++;
        return;
      }
      if (c === 0x5c) {
        i++;
        if (i >= n) endInside('in string escape code');
        const e = data[i];
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= n) endInside('in \\u hexadecimal character escape');
            if (!isHex(data[i])) fail('in \\u hexadecimal character escape');
          }
          i++;
          continue;
        }
        if (!'bfnrt\\/"'.includes(String.fromCharCode(e))) fail('in string escape code');
        i++;
        continue;
      }
      if (c < 0x20) fail('in string literal');
      i++;
    }
  };

  // A number ends at the first byte that cannot continue it; that byte is judged by the state that follows.
  const scanNumber = (): void => {
    if (data[i] === 0x2d) {
      i++;
      if (i >= n) endInside('in numeric literal');
      if (!isDigit(data[i])) fail('in numeric literal');
    }
    if (data[i] === 0x30) i++;
    else while (i < n && isDigit(data[i])) i++;
    if (i < n && data[i] === 0x2e) {
      i++;
      if (i >= n) endInside('after decimal point in numeric literal');
      if (!isDigit(data[i])) fail('after decimal point in numeric literal');
      while (i < n && isDigit(data[i])) i++;
    }
    if (i < n && (data[i] === 0x65 || data[i] === 0x45)) {
      i++;
      if (i < n && (data[i] === 0x2b || data[i] === 0x2d)) i++;
      if (i >= n) endInside('in exponent of numeric literal');
      if (!isDigit(data[i])) fail('in exponent of numeric literal');
      while (i < n && isDigit(data[i])) i++;
    }
  };

  const scanLiteral = (word: string): void => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (i >= n) endInside(`in literal ${word} (expecting '${word[k]}')`);
      if (data[i] !== word.charCodeAt(k)) fail(`in literal ${word} (expecting '${word[k]}')`);
    }
    i++;
  };

  const push = (c: Container): void => {
    stack.push(c);
    if (stack.length > maxDepth) throw new GoJSONSyntaxError('exceeded max depth', i + 1);
  };

  // States: expecting a value, or having just finished one.
  let wantValue = true;
  let afterTop = false;
  const endValue = (): void => {
    wantValue = false;
    afterTop = stack.length === 0;
  };
  const close = (): void => {
    i++;
    stack.pop();
    endValue();
  };
  // An object key and its colon, from the key's opening quote; a value follows.
  const scanKey = (): void => {
    skipSpace();
    if (i >= n) eof();
    if (data[i] !== 0x22) fail('looking for beginning of object key string');
    scanString();
    skipSpace();
    if (i >= n) eof();
    if (data[i] !== 0x3a) fail('after object key');
    i++;
    wantValue = true;
  };
  for (;;) {
    skipSpace();
    if (wantValue) {
      if (i >= n) eof();
      const c = data[i];
      if (c === 0x7b || c === 0x5b) {
        const object = c === 0x7b;
        push(object ? 'object' : 'array');
        i++;
        skipSpace();
        if (i >= n) eof();
        if (data[i] === (object ? 0x7d : 0x5d)) close();
        else if (object) scanKey();
        continue;
      }
      if (c === 0x22) scanString();
      else if (c === 0x2d || isDigit(c)) scanNumber();
      else if (c === 0x74) scanLiteral('true');
      else if (c === 0x66) scanLiteral('false');
      else if (c === 0x6e) scanLiteral('null');
      else fail('looking for beginning of value');
      endValue();
      continue;
    }
    if (afterTop) {
      if (i < n) fail('after top-level value');
      return;
    }
    if (i >= n) eof();
    const object = stack[stack.length - 1] === 'object';
    const c = data[i];
    if (c === 0x2c) {
      i++;
      if (object) scanKey();
      else wantValue = true;
    } else if (c === (object ? 0x7d : 0x5d)) {
      close();
    } else {
      fail(object ? 'after object key:value pair' : 'after array element');
    }
  }
}

/** A JSON value as JSON.parse returns it. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

const toBytes = (body: Uint8Array | string): Uint8Array => (typeof body === 'string' ? Buffer.from(body, 'utf8') : body);

/**
 * Parses JSON after Go's syntax check. Keys such as `__proto__` stay own data properties (JSON.parse defines them);
 * invalid UTF-8 becomes U+FFFD as Go decodes it. Throws GoJSONSyntaxError, never RangeError.
 */
export function parseJSON(body: Uint8Array | string, maxDepth = KUBE_MAX_JSON_DEPTH): JSONValue {
  const bytes = toBytes(body);
  checkJSONSyntax(bytes, maxDepth);
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as JSONValue;
}

/** handlers summarizeData: the body's first 30 bytes, as text when it starts with '{', else as hex. */
export function summarizeBody(data: Uint8Array, maxLength = 30): string {
  if (data.length === 0) return '<empty>';
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.length, maxLength));
  const text = data[0] === 0x7b ? head.toString('utf8') : head.toString('hex');
  return data.length > maxLength ? `${text} ...` : text;
}

const FIND_KIND_TYPE = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

const jsonKind = (v: JSONValue): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;

/**
 * A create/update body decoded as the apiserver's JSON serializer does (SimpleMetaFactory.Interpret, then
 * transformDecodeError): any failure is 400 `the object provided is unrecognized (must be of type Service): ...`.
 * `kind` is the Kind the endpoint serves.
 */
export function decodeObjectBody(body: Uint8Array | string, kind: string): Record<string, JSONValue> {
  const bytes = toBytes(body);
  const refuse = (why: string, cause?: unknown): StatusError =>
    badRequest(`the object provided is unrecognized (must be of type ${kind}): ${why} (${summarizeBody(bytes)})`, cause);
  let value: JSONValue;
  try {
    value = parseJSON(bytes);
  } catch (err) {
    if (err instanceof GoJSONSyntaxError) throw refuse(`couldn't get version/kind; json parse error: ${err.message}`, err);
    throw err;
  }
  if (value === null) return {}; // Go unmarshals null into a struct as a no-op; the decoder then finds no kind
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw refuse(`couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonKind(value)} into Go value of type ${FIND_KIND_TYPE}`);
  }
  for (const field of ['apiVersion', 'kind']) {
    const v = Object.hasOwn(value, field) ? value[field] : undefined;
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw refuse(`couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonKind(v)} into Go struct field .${field} of type string`);
    }
  }
  const apiVersion = typeof value.apiVersion === 'string' ? value.apiVersion : '';
  if (apiVersion.split('/').length > 2) throw refuse(`unexpected GroupVersion string: ${apiVersion}`);
  return value;
}

/**
 * A merge patch or JSON patch body as the patch handler decodes it: 400 `error decoding patch: ...` on bad JSON;
 * a merge patch must be a JSON object (it is unmarshalled into map[string]interface{}).
 */
export function decodePatchBody(body: Uint8Array | string, patchType: 'merge' | 'json'): JSONValue {
  let value: JSONValue;
  try {
    value = parseJSON(body);
  } catch (err) {
    if (err instanceof GoJSONSyntaxError) throw badRequest(`error decoding patch: ${err.message}`, err);
    throw err;
  }
  if (patchType === 'merge' && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
    throw badRequest(`error decoding patch: json: cannot unmarshal ${jsonKind(value)} into Go value of type map[string]interface {}`);
  }
  if (patchType === 'json' && value !== null && !Array.isArray(value)) {
    throw badRequest(`error decoding patch: json: cannot unmarshal ${jsonKind(value)} into Go value of type []handlers.jsonPatchOp`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Depth-safe helpers: iterative, and `__proto__` is only ever an own data property.

const isRecord = (v: unknown): v is Record<string, JSONValue> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Sets an own data property, so `__proto__` is data and not the prototype setter. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** RFC 7386 JSON merge patch (what the apiserver applies for application/merge-patch+json), without recursion. */
export function mergePatch(target: JSONValue, patch: JSONValue): JSONValue {
  if (!isRecord(patch)) return cloneJSON(patch);
  const root: Record<string, JSONValue> = isRecord(target) ? cloneJSON(target) as Record<string, JSONValue> : {};
  const work: [Record<string, JSONValue>, Record<string, JSONValue>][] = [[root, patch]];
  while (work.length > 0) {
    const [into, from] = work.pop()!;
    for (const key of Object.keys(from)) {
      const pv = from[key];
      if (pv === null) {
        delete into[key];
      } else if (isRecord(pv)) {
        const existing = Object.hasOwn(into, key) ? into[key] : undefined;
        const child: Record<string, JSONValue> = isRecord(existing) ? existing : {};
        setOwn(into, key, child);
        work.push([child, pv]);
      } else {
        setOwn(into, key, cloneJSON(pv));
      }
    }
  }
  return root;
}

/** A deep copy of a JSON value at any depth, own `__proto__` keys included. */
export function cloneJSON(value: JSONValue): JSONValue {
  if (value === null || typeof value !== 'object') return value;
  const root: JSONValue = Array.isArray(value) ? [] : {};
  const work: [JSONValue, JSONValue][] = [[value, root]];
  while (work.length > 0) {
    const [from, to] = work.pop()!;
    if (Array.isArray(from)) {
      const arr = to as JSONValue[];
      for (const v of from) {
        if (v !== null && typeof v === 'object') {
          const c: JSONValue = Array.isArray(v) ? [] : {};
          arr.push(c);
          work.push([v, c]);
        } else {
          arr.push(v);
        }
      }
    } else {
      const obj = from as Record<string, JSONValue>;
      for (const k of Object.keys(obj)) {
        const v = obj[k];
        if (v !== null && typeof v === 'object') {
          const c: JSONValue = Array.isArray(v) ? [] : {};
          setOwn(to as Record<string, unknown>, k, c);
          work.push([v, c]);
        } else {
          setOwn(to as Record<string, unknown>, k, v);
        }
      }
    }
  }
  return root;
}

/** Nesting depth of a JSON value (a scalar is 0, `[]` is 1), without recursion. */
export function jsonDepth(value: JSONValue): number {
  let max = 0;
  const work: [JSONValue, number][] = [[value, 0]];
  while (work.length > 0) {
    const [v, d] = work.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d + 1);
    for (const child of Array.isArray(v) ? v : Object.values(v)) work.push([child, d + 1]);
  }
  return max;
}

/** JSON.stringify's compact output for a JSON value, at any depth (JSON.stringify overflows the stack near 4500 levels). */
export function stringifyJSON(value: JSONValue): string {
  const out: string[] = [];
  type Frame = { kind: 'array'; items: JSONValue[]; i: number } | { kind: 'object'; obj: Record<string, JSONValue>; keys: string[]; i: number };
  const stack: Frame[] = [];
  const emit = (v: JSONValue): void => {
    if (v === null || typeof v !== 'object') {
      out.push(JSON.stringify(v) ?? 'null');
    } else if (Array.isArray(v)) {
      out.push('[');
      stack.push({ kind: 'array', items: v, i: 0 });
    } else {
      out.push('{');
      stack.push({ kind: 'object', obj: v, keys: Object.keys(v).filter((k) => v[k] !== undefined), i: 0 });
    }
  };
  emit(value);
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    if (f.kind === 'array') {
      if (f.i >= f.items.length) {
        out.push(']');
        stack.pop();
        continue;
      }
      if (f.i > 0) out.push(',');
      emit(f.items[f.i++] ?? null);
    } else {
      if (f.i >= f.keys.length) {
        out.push('}');
        stack.pop();
        continue;
      }
      if (f.i > 0) out.push(',');
      const k = f.keys[f.i++];
      out.push(JSON.stringify(k), ':');
      emit(f.obj[k]);
    }
  }
  return out.join('');
}

// ---------------------------------------------------------------------------------------------------------------
// URL paths

/** What Go's HTTP server writes when the request URI does not parse (url.ParseRequestURI fails). */
export const GO_BAD_REQUEST = {
  status: 400,
  headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' },
  body: '400 Bad Request',
} as const;

/** A decoded request path: the unescaped path and its segments as the apiserver's RequestInfoFactory splits them. */
export type DecodedPath =
  | { ok: true; path: string; segments: string[] }
  | { ok: false; status: 400; body: '400 Bad Request' };

/**
 * Unescapes a raw request path as Go's url package does (a '%' not followed by two hex digits fails the whole
 * request with Go's plain "400 Bad Request"), then splits it on '/' after unescaping, as the apiserver does, so
 * `%2F` separates segments too. Invalid UTF-8 becomes U+FFFD (such a name then simply is not found). Never throws.
 */
export function decodeRequestPath(rawPath: string): DecodedPath {
  const bytes: number[] = [];
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath.charCodeAt(i);
    if (c === 0x25) {
      const h = rawPath.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return { ok: false, status: 400, body: '400 Bad Request' };
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (c < 0x20 || c === 0x7f) {
      return { ok: false, status: 400, body: '400 Bad Request' }; // net/url: invalid control character in URL
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      const cp = rawPath.codePointAt(i) ?? c;
      bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      if (cp > 0xffff) i++;
    }
  }
  const path = Buffer.from(bytes).toString('utf8');
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return { ok: true, path, segments: trimmed === '' ? [] : trimmed.split('/') };
}
