// CloudEvents over HTTP (the CloudEvents HTTP protocol binding: binary, structured and batched modes).
// Events are kept as knit received them: context attributes (extensions included) as strings, the data
// as its exact bytes. The `cloudevents` SDK validates them (required attributes, specversion, types);
// knit does not let it add attributes (the SDK stamps `time` on events that had none, which a broker
// must not do: it forwards events unchanged).

import { CloudEvent, ValidationError } from 'cloudevents';

/** A CloudEvent as knit stores and forwards it. */
export interface EventRecord {
  /** Context attributes and extensions by lower-case name; `datacontenttype` included when set. */
  attributes: Record<string, string>;
  /** The data's bytes, base64; absent when the event has no data. */
  data?: string;
}

/** A request that does not carry a valid CloudEvent (answered 400, as the data-plane spec says). */
export class InvalidEventError extends Error {}

/** Header names as Node's http module gives them. */
export type HeaderBag = Record<string, string | string[] | undefined>;

const STRUCTURED = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** True for the JSON media types whose structured-mode `data` is a JSON value (the JSON event format §3.1). */
function isJsonType(contentType: string | undefined): boolean {
  const t = mediaType(contentType);
  return t === '' || t === 'application/json' || t === 'text/json' || t.endsWith('+json');
}

/** Validates with the SDK (strict: required attributes, attribute names and types). */
function validate(attributes: Record<string, string>, data: Buffer | undefined): void {
  const sv = attributes.specversion;
  if (sv !== undefined && sv !== '1.0' && sv !== '0.3') throw new InvalidEventError(`invalid CloudEvent: unsupported specversion ${JSON.stringify(sv)}`);
  try {
    const props: Record<string, unknown> = { ...attributes };
    if (data !== undefined) props.data = data;
    // The strict constructor validates (required attributes, names, types); a second validate() would redo it.
    new CloudEvent(props, true);
  } catch (err) {
    if (err instanceof ValidationError) {
      const why = Array.isArray(err.errors)
        ? err.errors.map((e) => (typeof e === 'string' ? e : ((e as { message?: string; params?: Record<string, unknown> }).params?.missingProperty ? `missing required attribute ${(e as { params: Record<string, unknown> }).params.missingProperty as string}` : ((e as { message?: string }).message ?? JSON.stringify(e))))).join('; ')
        : '';
      throw new InvalidEventError(`invalid CloudEvent: ${why || err.message}`);
    }
    throw new InvalidEventError(`invalid CloudEvent: ${(err as Error).message}`);
  }
}

/** One event from its structured-mode JSON object. */
function fromStructured(obj: unknown): EventRecord {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new InvalidEventError('invalid CloudEvent: a structured event must be a JSON object');
  const attributes: Record<string, string> = {};
  let data: Buffer | undefined;
  const o = obj as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'data' || k === 'data_base64' || v === null || v === undefined) continue;
    attributes[k.toLowerCase()] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  if (typeof o.data_base64 === 'string') {
    if (o.data !== undefined) throw new InvalidEventError('invalid CloudEvent: data and data_base64 are both set');
    data = Buffer.from(o.data_base64, 'base64');
  } else if (o.data !== undefined && o.data !== null) {
    data = typeof o.data === 'string' && !isJsonType(attributes.datacontenttype) ? Buffer.from(o.data) : Buffer.from(JSON.stringify(o.data));
  }
  validate(attributes, data);
  return data === undefined ? { attributes } : { attributes, data: data.toString('base64') };
}

/** The binding's percent-decoding of ce- header values (HTTP protocol binding §3.1.3.2). */
function decodeHeaderValue(v: string): string {
  try {
    return decodeURIComponent(v.replace(/\+/g, '%2B'));
  } catch {
    return v;
  }
}

/** True when the request carries a CloudEvent in any mode (HTTP.isEvent's test). */
export function looksLikeEvent(headers: HeaderBag): boolean {
  const t = mediaType(header(headers, 'content-type'));
  return header(headers, 'ce-specversion') !== undefined || t === STRUCTURED || t === BATCH;
}

/**
 * The events of an HTTP request: one in binary and structured mode, any number (possibly zero) in a batch.
 * Throws InvalidEventError with the reason.
 */
export function parseEvents(headers: HeaderBag, body: Buffer): EventRecord[] {
  const contentType = header(headers, 'content-type');
  const t = mediaType(contentType);
  if (t === STRUCTURED || t === BATCH) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new InvalidEventError(`invalid CloudEvent: the body is not JSON: ${(err as Error).message}`);
    }
    if (t === BATCH) {
      if (!Array.isArray(parsed)) throw new InvalidEventError('invalid CloudEvent: a batch must be a JSON array');
      return parsed.map(fromStructured);
    }
    return [fromStructured(parsed)];
  }
  if (header(headers, 'ce-specversion') === undefined) throw new InvalidEventError('request is not a CloudEvent: no ce-specversion header and no CloudEvents content type');
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    if (!name.startsWith('ce-') || v === undefined) continue;
    attributes[name.slice(3)] = decodeHeaderValue(Array.isArray(v) ? v.join(', ') : v);
  }
  if (contentType !== undefined && contentType !== '') attributes.datacontenttype = contentType;
  const data = body.length > 0 ? body : undefined;
  validate(attributes, data);
  return data === undefined ? [{ attributes }] : [{ attributes, data: data.toString('base64') }];
}

/** Percent-encodes what the binding says header values must not carry (§3.1.3.2). */
function encodeHeaderValue(v: string): string {
  let out = '';
  for (const ch of v) {
    const c = ch.codePointAt(0) ?? 0;
    out += c < 0x20 || c > 0x7e || ch === '"' || ch === '%' ? encodeURIComponent(ch).replace(/[!'()*]/g, (x) => `%${x.charCodeAt(0).toString(16).toUpperCase()}`) : ch;
  }
  return out;
}

/** The binary-mode HTTP message of `event` (ce-* headers, Content-Type from datacontenttype, data as the body). */
export function binaryMessage(event: EventRecord): { headers: Record<string, string>; body: Buffer } {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.attributes)) {
    if (k === 'datacontenttype') headers['content-type'] = v;
    else headers[`ce-${k}`] = encodeHeaderValue(v);
  }
  return { headers, body: event.data === undefined ? Buffer.alloc(0) : Buffer.from(event.data, 'base64') };
}

/** The structured-mode JSON object of `event` (data as a JSON value for JSON types, else a string or data_base64). */
export function structuredObject(event: EventRecord): Record<string, unknown> {
  const o: Record<string, unknown> = { ...event.attributes };
  if (event.data !== undefined) {
    const bytes = Buffer.from(event.data, 'base64');
    const text = bytes.toString('utf8');
    if (isJsonType(event.attributes.datacontenttype)) {
      try {
        o.data = JSON.parse(text);
        return o;
      } catch {
        // not JSON after all: carried as base64
      }
    } else if (Buffer.from(text, 'utf8').equals(bytes) && mediaType(event.attributes.datacontenttype).startsWith('text/')) {
      o.data = text;
      return o;
    }
    o.data_base64 = event.data;
  }
  return o;
}
