// Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) decoded into the JSON object the
// apiserver's JSON decoder would have produced, for the built-in kinds knit stores or answers.
//
// The wire format is k8s.io/apimachinery `pkg/runtime/serializer/protobuf/protobuf.go` (Serializer.Decode): the
// magic `k8s\0`, then a `runtime.Unknown` (`pkg/runtime/generated.proto`) whose typeMeta names the kind and whose
// raw bytes are the object, encoded after the field numbers of k8s.io/api `core/v1/generated.proto`,
// `authorization/v1/generated.proto`, `autoscaling/v1/generated.proto`, `events/v1/generated.proto` and
// apimachinery `pkg/apis/meta/v1/generated.proto`. The tables below are written from those files. The JSON
// follows the Go types' `json` tags as encoding/json prints them: a zero scalar with `omitempty` is left out,
// a pointer field is printed when it was sent, a struct field always is (a zero metav1.Time as `null`).

import { StatusError, badRequest, unsupportedMediaType } from './status.ts';
import { parseJSON, summarizeBody, type JSONValue } from './json-safety.ts';
import type { KindInfo } from './registry.ts';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** The magic every protobuf-encoded object starts with (protobuf.go protoEncodingPrefix). */
const PREFIX = [0x6b, 0x38, 0x73, 0x00];

type Scalar = 'string' | 'bool' | 'int32' | 'int64' | 'bytes';
type FieldType =
  | Scalar
  | 'time' // metav1.Time: seconds precision, RFC 3339
  | 'microtime' // metav1.MicroTime: microseconds, RFC 3339
  | 'fieldsV1' // metav1.FieldsV1: raw JSON bytes, printed as the JSON they hold
  | { map: 'string' | 'bytes' }
  | { msg: Message };

interface Field {
  no: number;
  /** The JSON name. */
  name: string;
  type: FieldType;
  repeated?: boolean;
  /** A Go pointer: printed whenever it was sent, even when zero. */
  ptr?: boolean;
  /** A `json` tag without omitempty: printed even when zero (an empty slice as null). */
  always?: boolean;
}

interface Message {
  /** The Go type's name, as gogo's generated Unmarshal names it in errors. */
  name: string;
  /** In the Go struct's order, which is the JSON's. */
  fields: Field[];
}

const msg = (name: string, fields: Field[]): Message => ({ name, fields });
const f = (no: number, name: string, type: FieldType, opts: Omit<Field, 'no' | 'name' | 'type'> = {}): Field => ({ no, name, type, ...opts });
const str = (no: number, name: string, opts?: Omit<Field, 'no' | 'name' | 'type'>): Field => f(no, name, 'string', opts);
const strings = (no: number, name: string, opts?: Omit<Field, 'no' | 'name' | 'type' | 'repeated'>): Field => f(no, name, 'string', { ...opts, repeated: true });

// --- meta/v1 (apimachinery pkg/apis/meta/v1/generated.proto, types.go) ---

const OWNER_REFERENCE = msg('OwnerReference', [
  str(5, 'apiVersion', { always: true }),
  str(1, 'kind', { always: true }),
  str(3, 'name', { always: true }),
  str(4, 'uid', { always: true }),
  f(6, 'controller', 'bool', { ptr: true }),
  f(7, 'blockOwnerDeletion', 'bool', { ptr: true }),
]);

const MANAGED_FIELDS_ENTRY = msg('ManagedFieldsEntry', [
  str(1, 'manager'),
  str(2, 'operation'),
  str(3, 'apiVersion'),
  f(4, 'time', 'time', { ptr: true }),
  str(6, 'fieldsType'),
  f(7, 'fieldsV1', 'fieldsV1', { ptr: true }),
  str(8, 'subresource'),
]);

const OBJECT_META = msg('ObjectMeta', [
  str(1, 'name'),
  str(2, 'generateName'),
  str(3, 'namespace'),
  str(4, 'selfLink'),
  str(5, 'uid'),
  str(6, 'resourceVersion'),
  f(7, 'generation', 'int64'),
  f(8, 'creationTimestamp', 'time'),
  f(9, 'deletionTimestamp', 'time', { ptr: true }),
  f(10, 'deletionGracePeriodSeconds', 'int64', { ptr: true }),
  f(11, 'labels', { map: 'string' }),
  f(12, 'annotations', { map: 'string' }),
  f(13, 'ownerReferences', { msg: OWNER_REFERENCE }, { repeated: true }),
  strings(14, 'finalizers'),
  f(17, 'managedFields', { msg: MANAGED_FIELDS_ENTRY }, { repeated: true }),
]);

const metadata = f(1, 'metadata', { msg: OBJECT_META });

const PRECONDITIONS = msg('Preconditions', [str(1, 'uid', { ptr: true }), str(2, 'resourceVersion', { ptr: true })]);

const DELETE_OPTIONS = msg('DeleteOptions', [
  f(1, 'gracePeriodSeconds', 'int64', { ptr: true }),
  f(2, 'preconditions', { msg: PRECONDITIONS }, { ptr: true }),
  f(3, 'orphanDependents', 'bool', { ptr: true }),
  str(4, 'propagationPolicy', { ptr: true }),
  strings(5, 'dryRun'),
  f(6, 'ignoreStoreReadErrorWithClusterBreakingPotential', 'bool', { ptr: true }),
]);

const LABEL_SELECTOR_REQUIREMENT = msg('LabelSelectorRequirement', [str(1, 'key', { always: true }), str(2, 'operator', { always: true }), strings(3, 'values')]);

// --- core/v1 (k8s.io/api core/v1/generated.proto, types.go) ---

const OBJECT_REFERENCE = msg('ObjectReference', [
  str(1, 'kind'),
  str(2, 'namespace'),
  str(3, 'name'),
  str(4, 'uid'),
  str(5, 'apiVersion'),
  str(6, 'resourceVersion'),
  str(7, 'fieldPath'),
]);

const NAMESPACE = msg('Namespace', [
  metadata,
  f(2, 'spec', { msg: msg('NamespaceSpec', [strings(1, 'finalizers')]) }),
  f(3, 'status', { msg: msg('NamespaceStatus', [
    str(1, 'phase'),
    f(2, 'conditions', { msg: msg('NamespaceCondition', [
      str(1, 'type', { always: true }),
      str(2, 'status', { always: true }),
      f(4, 'lastTransitionTime', 'time'),
      str(5, 'reason'),
      str(6, 'message'),
    ]) }, { repeated: true }),
  ]) }),
]);

const SECRET = msg('Secret', [
  metadata,
  f(5, 'immutable', 'bool', { ptr: true }),
  f(2, 'data', { map: 'bytes' }),
  f(4, 'stringData', { map: 'string' }),
  str(3, 'type'),
]);

const CONFIG_MAP = msg('ConfigMap', [
  metadata,
  f(4, 'immutable', 'bool', { ptr: true }),
  f(2, 'data', { map: 'string' }),
  f(3, 'binaryData', { map: 'bytes' }),
]);

const EVENT_SOURCE = msg('EventSource', [str(1, 'component'), str(2, 'host')]);

const CORE_EVENT = msg('Event', [
  metadata,
  f(2, 'involvedObject', { msg: OBJECT_REFERENCE }),
  str(3, 'reason'),
  str(4, 'message'),
  f(5, 'source', { msg: EVENT_SOURCE }),
  f(6, 'firstTimestamp', 'time'),
  f(7, 'lastTimestamp', 'time'),
  f(8, 'count', 'int32'),
  str(9, 'type'),
  f(10, 'eventTime', 'microtime'),
  f(11, 'series', { msg: msg('EventSeries', [f(1, 'count', 'int32'), f(2, 'lastObservedTime', 'microtime')]) }, { ptr: true }),
  str(12, 'action'),
  f(13, 'related', { msg: OBJECT_REFERENCE }, { ptr: true }),
  str(14, 'reportingComponent', { always: true }),
  str(15, 'reportingInstance', { always: true }),
]);

// --- events.k8s.io/v1 (k8s.io/api events/v1/generated.proto) ---

const EVENTS_EVENT = msg('Event', [
  metadata,
  f(2, 'eventTime', 'microtime', { always: true }),
  f(3, 'series', { msg: msg('EventSeries', [f(1, 'count', 'int32', { always: true }), f(2, 'lastObservedTime', 'microtime', { always: true })]) }, { ptr: true }),
  str(4, 'reportingController'),
  str(5, 'reportingInstance'),
  str(6, 'action'),
  str(7, 'reason'),
  f(8, 'regarding', { msg: OBJECT_REFERENCE }),
  f(9, 'related', { msg: OBJECT_REFERENCE }, { ptr: true }),
  str(10, 'note'),
  str(11, 'type'),
  f(12, 'deprecatedSource', { msg: EVENT_SOURCE }),
  f(13, 'deprecatedFirstTimestamp', 'time'),
  f(14, 'deprecatedLastTimestamp', 'time'),
  f(15, 'deprecatedCount', 'int32'),
]);

// --- authorization.k8s.io/v1 (k8s.io/api authorization/v1/generated.proto) ---

const RESOURCE_ATTRIBUTES = msg('ResourceAttributes', [
  str(1, 'namespace'),
  str(2, 'verb'),
  str(3, 'group'),
  str(4, 'version'),
  str(5, 'resource'),
  str(6, 'subresource'),
  str(7, 'name'),
  f(8, 'fieldSelector', { msg: msg('FieldSelectorAttributes', [
    str(1, 'rawSelector'),
    f(2, 'requirements', { msg: msg('FieldSelectorRequirement', [str(1, 'key', { always: true }), str(2, 'operator', { always: true }), strings(3, 'values')]) }, { repeated: true }),
  ]) }, { ptr: true }),
  f(9, 'labelSelector', { msg: msg('LabelSelectorAttributes', [
    str(1, 'rawSelector'),
    f(2, 'requirements', { msg: LABEL_SELECTOR_REQUIREMENT }, { repeated: true }),
  ]) }, { ptr: true }),
]);

const SELF_SUBJECT_ACCESS_REVIEW = msg('SelfSubjectAccessReview', [
  metadata,
  f(2, 'spec', { msg: msg('SelfSubjectAccessReviewSpec', [
    f(1, 'resourceAttributes', { msg: RESOURCE_ATTRIBUTES }, { ptr: true }),
    f(2, 'nonResourceAttributes', { msg: msg('NonResourceAttributes', [str(1, 'path'), str(2, 'verb')]) }, { ptr: true }),
  ]) }),
  f(3, 'status', { msg: msg('SubjectAccessReviewStatus', [
    f(1, 'allowed', 'bool', { always: true }),
    f(4, 'denied', 'bool'),
    str(2, 'reason'),
    str(3, 'evaluationError'),
  ]) }),
]);

const SELF_SUBJECT_RULES_REVIEW = msg('SelfSubjectRulesReview', [
  metadata,
  f(2, 'spec', { msg: msg('SelfSubjectRulesReviewSpec', [str(1, 'namespace')]) }),
  f(3, 'status', { msg: msg('SubjectRulesReviewStatus', [
    f(1, 'resourceRules', { msg: msg('ResourceRule', [strings(1, 'verbs', { always: true }), strings(2, 'apiGroups'), strings(3, 'resources'), strings(4, 'resourceNames')]) }, { repeated: true, always: true }),
    f(2, 'nonResourceRules', { msg: msg('NonResourceRule', [strings(1, 'verbs', { always: true }), strings(2, 'nonResourceURLs')]) }, { repeated: true, always: true }),
    f(3, 'incomplete', 'bool', { always: true }),
    str(4, 'evaluationError'),
  ]) }),
]);

// --- autoscaling/v1 (k8s.io/api autoscaling/v1/generated.proto) ---

const SCALE = msg('Scale', [
  metadata,
  f(2, 'spec', { msg: msg('ScaleSpec', [f(1, 'replicas', 'int32')]) }),
  f(3, 'status', { msg: msg('ScaleStatus', [f(1, 'replicas', 'int32', { always: true }), str(2, 'selector')]) }),
]);

/** The kinds decoded, by `apiVersion/kind` as the envelope names them. */
const KINDS: ReadonlyMap<string, Message> = new Map([
  ['v1/Namespace', NAMESPACE],
  ['v1/Secret', SECRET],
  ['v1/ConfigMap', CONFIG_MAP],
  ['v1/Event', CORE_EVENT],
  ['events.k8s.io/v1/Event', EVENTS_EVENT],
  ['authorization.k8s.io/v1/SelfSubjectAccessReview', SELF_SUBJECT_ACCESS_REVIEW],
  ['authorization.k8s.io/v1/SelfSubjectRulesReview', SELF_SUBJECT_RULES_REVIEW],
  ['autoscaling/v1/Scale', SCALE],
]);

/** DeleteOptions is registered in every group-version (metav1.AddToGroupVersion), so any apiVersion names it. */
function messageFor(apiVersion: string, kind: string): Message | undefined {
  if (kind === 'DeleteOptions') return DELETE_OPTIONS;
  return KINDS.get(`${apiVersion}/${kind}`);
}

// --- the wire format ---

/** A decoding failure, with the text gogo's generated Unmarshal gives it. */
class WireError extends Error {}

const UNEXPECTED_EOF = 'unexpected EOF';

class Reader {
  pos: number;
  readonly end: number;
  readonly buf: Uint8Array;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (shift >= 64n) throw new WireError('proto: integer overflow');
      if (this.pos >= this.end) throw new WireError(UNEXPECTED_EOF);
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
  }

  /** A length-delimited field's bounds. */
  span(): [number, number] {
    const len = BigInt.asIntN(64, this.varint());
    if (len < 0n) throw new WireError('proto: negative length found during unmarshaling');
    const stop = BigInt(this.pos) + len;
    if (stop > BigInt(this.end)) throw new WireError(UNEXPECTED_EOF);
    const start = this.pos;
    this.pos = Number(stop);
    return [start, this.pos];
  }

  skip(n: number): void {
    if (this.pos + n > this.end) throw new WireError(UNEXPECTED_EOF);
    this.pos += n;
  }

  /** Skips an unknown field's value (gogo skipGenerated), groups included. */
  skipValue(wire: number): void {
    let depth = 0;
    for (;;) {
      switch (wire) {
        case 0:
          this.varint();
          break;
        case 1:
          this.skip(8);
          break;
        case 2:
          this.span();
          break;
        case 3:
          depth++;
          break;
        case 4:
          if (depth === 0) throw new WireError('proto: unexpected end of group');
          depth--;
          break;
        case 5:
          this.skip(4);
          break;
        default:
          throw new WireError(`proto: illegal wireType ${wire}`);
      }
      if (depth === 0) return;
      const key = this.varint();
      wire = Number(key & 7n);
    }
  }
}

/** A field's key; `name` is the Go type for gogo's errors. */
function readKey(r: Reader, name: string): { no: number; wire: number } {
  const key = r.varint();
  const no = Number(key >> 3n);
  const wire = Number(key & 7n);
  if (wire === 4) throw new WireError(`proto: ${name}: wiretype end group for non-group`);
  if (no <= 0) throw new WireError(`proto: ${name}: illegal tag ${no} (wire type ${wire})`);
  return { no, wire };
}

/** The Go field name gogo prints in `wrong wireType` errors. */
const goName = (json: string): string => json === 'uid' ? 'UID' : json.charAt(0).toUpperCase() + json.slice(1);

/** What one message's bytes set: scalars by number (last wins), repeated values and map entries appended. */
type Decoded = Map<number, unknown>;

const wireOf = (t: FieldType, repeated: boolean): number[] => {
  if (typeof t === 'object' || t === 'string' || t === 'bytes' || t === 'time' || t === 'microtime' || t === 'fieldsV1') return [2];
  // A repeated varint may also come packed (length-delimited); none of the tables have one.
  return repeated ? [0, 2] : [0];
};

function decodeMessage(m: Message, buf: Uint8Array, start: number, end: number, into: Decoded = new Map()): Decoded {
  const r = new Reader(buf, start, end);
  while (!r.done) {
    const { no, wire } = readKey(r, m.name);
    const field = m.fields.find((x) => x.no === no);
    if (!field) {
      r.skipValue(wire);
      continue;
    }
    if (!wireOf(field.type, field.repeated === true).includes(wire)) {
      throw new WireError(`proto: wrong wireType = ${wire} for field ${goName(field.name)}`);
    }
    const t = field.type;
    if (typeof t === 'object' && 'map' in t) {
      const [s, e] = r.span();
      const entries = (into.get(no) as Map<string, unknown> | undefined) ?? new Map<string, unknown>();
      const [k, v] = decodeMapEntry(buf, s, e, t.map);
      entries.set(k, v);
      into.set(no, entries);
    } else if (typeof t === 'object') {
      const [s, e] = r.span();
      if (field.repeated) {
        const list = (into.get(no) as Decoded[] | undefined) ?? [];
        list.push(decodeMessage(t.msg, buf, s, e));
        into.set(no, list);
      } else {
        // A repeated occurrence of an embedded message merges into it (proto semantics, as gogo's Unmarshal does).
        into.set(no, decodeMessage(t.msg, buf, s, e, (into.get(no) as Decoded | undefined) ?? new Map()));
      }
    } else {
      const value = readScalar(r, t, m.name);
      if (field.repeated) {
        const list = (into.get(no) as unknown[] | undefined) ?? [];
        list.push(value);
        into.set(no, list);
      } else {
        into.set(no, value);
      }
    }
  }
  return into;
}

/** A map entry (key = 1, value = 2); a missing key or value is the zero value. */
function decodeMapEntry(buf: Uint8Array, start: number, end: number, valueType: 'string' | 'bytes'): [string, string | Uint8Array] {
  const r = new Reader(buf, start, end);
  let key = '';
  let value: string | Uint8Array = valueType === 'string' ? '' : new Uint8Array(0);
  while (!r.done) {
    const k = r.varint();
    const no = Number(k >> 3n);
    const wire = Number(k & 7n);
    if (no === 1 && wire === 2) {
      const [s, e] = r.span();
      key = utf8(buf, s, e);
    } else if (no === 2 && wire === 2) {
      const [s, e] = r.span();
      value = valueType === 'string' ? utf8(buf, s, e) : buf.slice(s, e);
    } else {
      r.skipValue(wire);
    }
  }
  return [key, value];
}

type ScalarValue = string | boolean | number | Uint8Array | { time: string | null } | { fields: JSONValue | undefined };

function readScalar(r: Reader, t: Exclude<FieldType, object>, owner: string): ScalarValue {
  switch (t) {
    case 'string': {
      const [s, e] = r.span();
      return utf8(r.buf, s, e);
    }
    case 'bytes': {
      const [s, e] = r.span();
      return r.buf.slice(s, e);
    }
    case 'bool':
      return r.varint() !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, r.varint()));
    case 'int64':
      return Number(BigInt.asIntN(64, r.varint()));
    case 'time':
    case 'microtime': {
      const [s, e] = r.span();
      return { time: decodeTime(r.buf, s, e, t === 'microtime', owner) };
    }
    case 'fieldsV1': {
      const [s, e] = r.span();
      return { fields: decodeFieldsV1(r.buf, s, e) };
    }
  }
}

/**
 * metav1.Time / MicroTime: a Timestamp {seconds = 1, nanos = 2}; no bytes is Go's zero time, which JSON prints as
 * null (apimachinery pkg/apis/meta/v1 time_proto.go Time.Unmarshal, time.go Time.MarshalJSON).
 */
function decodeTime(buf: Uint8Array, start: number, end: number, micro: boolean, owner: string): string | null {
  if (start === end) return null;
  const r = new Reader(buf, start, end);
  let seconds = 0n;
  let nanos = 0;
  while (!r.done) {
    const { no, wire } = readKey(r, 'Timestamp');
    if (no === 1 && wire === 0) seconds = BigInt.asIntN(64, r.varint());
    else if (no === 2 && wire === 0) nanos = Number(BigInt.asIntN(32, r.varint()));
    else if (no === 1 || no === 2) throw new WireError(`proto: wrong wireType = ${wire} for field ${no === 1 ? 'Seconds' : 'Nanos'}`);
    else r.skipValue(wire);
  }
  // time.Unix(seconds, nanos) normalizes nanos outside [0, 1e9).
  const total = seconds * 1_000_000_000n + BigInt(nanos);
  let secs = total / 1_000_000_000n;
  let frac = total % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    secs -= 1n;
  }
  const date = new Date(Number(secs) * 1000);
  if (Number.isNaN(date.getTime())) throw new WireError(`proto: ${owner}: timestamp out of range`);
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  const base = iso.slice(0, iso.indexOf('.'));
  // Time prints RFC 3339 in seconds; MicroTime with six fractional digits (time.go, micro_time.go MarshalJSON).
  return micro ? `${base}.${String(frac / 1000n).padStart(6, '0')}Z` : `${base}Z`;
}

/** FieldsV1 {Raw = 1}: JSON bytes, printed as that JSON (fields_proto.go); unparseable bytes print nothing. */
function decodeFieldsV1(buf: Uint8Array, start: number, end: number): JSONValue | undefined {
  const r = new Reader(buf, start, end);
  let raw: Uint8Array | undefined;
  while (!r.done) {
    const { no, wire } = readKey(r, 'FieldsV1');
    if (no === 1 && wire === 2) {
      const [s, e] = r.span();
      raw = buf.subarray(s, e);
    } else if (no === 1) {
      throw new WireError(`proto: wrong wireType = ${wire} for field Raw`);
    } else {
      r.skipValue(wire);
    }
  }
  if (raw === undefined || raw.length === 0) return undefined;
  try {
    return parseJSON(raw);
  } catch {
    return undefined;
  }
}

const utf8 = (buf: Uint8Array, start: number, end: number): string =>
  Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8');

const base64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

// --- rendering the JSON ---

function isZero(v: unknown): boolean {
  return v === '' || v === false || v === 0 || (v instanceof Uint8Array && v.length === 0);
}

function zeroOf(t: Scalar): string | boolean | number {
  return t === 'string' || t === 'bytes' ? '' : t === 'bool' ? false : 0;
}

function renderScalar(t: Exclude<FieldType, object>, v: unknown): JSONValue {
  if (t === 'time' || t === 'microtime') return (v as { time: string | null }).time;
  if (t === 'fieldsV1') return (v as { fields: JSONValue }).fields;
  if (v instanceof Uint8Array) return base64(v);
  return v as JSONValue;
}

function render(m: Message, d: Decoded): Record<string, JSONValue> {
  const out: Record<string, JSONValue> = {};
  for (const field of m.fields) {
    const v = d.get(field.no);
    const t = field.type;
    if (typeof t === 'object' && 'map' in t) {
      const entries = v as Map<string, string | Uint8Array> | undefined;
      if (!entries || entries.size === 0) continue;
      const obj: Record<string, JSONValue> = {};
      // defineProperty: a key such as `__proto__` stays an own property, as JSON.parse would leave it.
      for (const [k, val] of entries) Object.defineProperty(obj, k, { value: typeof val === 'string' ? val : base64(val), enumerable: true, writable: true, configurable: true });
      out[field.name] = obj;
    } else if (field.repeated) {
      const list = v as unknown[] | undefined;
      if (!list || list.length === 0) {
        if (field.always) out[field.name] = null;
        continue;
      }
      out[field.name] = typeof t === 'object' ? list.map((x) => render(t.msg, x as Decoded)) : list.map((x) => renderScalar(t, x));
    } else if (typeof t === 'object') {
      if (v === undefined && field.ptr) continue;
      out[field.name] = render(t.msg, (v as Decoded | undefined) ?? new Map());
    } else if (t === 'time' || t === 'microtime' || t === 'fieldsV1') {
      if (v === undefined) {
        if (!field.ptr && t !== 'fieldsV1') out[field.name] = null;
        continue;
      }
      const value = renderScalar(t, v);
      if (value !== undefined) out[field.name] = value;
    } else {
      if (v === undefined) {
        if (field.always) out[field.name] = zeroOf(t);
        continue;
      }
      if (!field.ptr && !field.always && isZero(v)) continue;
      out[field.name] = renderScalar(t, v);
    }
  }
  return out;
}

// --- the envelope ---

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

/** runtime.Unknown {typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3, contentType = 4}. */
function decodeEnvelope(buf: Uint8Array): Envelope {
  const r = new Reader(buf);
  const env: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(0) };
  while (!r.done) {
    const { no, wire } = readKey(r, 'Unknown');
    if (no === 1) {
      if (wire !== 2) throw new WireError(`proto: wrong wireType = ${wire} for field TypeMeta`);
      const [s, e] = r.span();
      const t = new Reader(buf, s, e);
      while (!t.done) {
        const k = readKey(t, 'TypeMeta');
        if ((k.no === 1 || k.no === 2) && k.wire !== 2) throw new WireError(`proto: wrong wireType = ${k.wire} for field ${k.no === 1 ? 'APIVersion' : 'Kind'}`);
        if (k.no === 1) env.apiVersion = utf8(buf, ...t.span());
        else if (k.no === 2) env.kind = utf8(buf, ...t.span());
        else t.skipValue(k.wire);
      }
    } else if (no === 2) {
      if (wire !== 2) throw new WireError('proto: wrong wireType = ' + wire + ' for field Raw');
      const [s, e] = r.span();
      env.raw = buf.subarray(s, e);
    } else if (no === 3 || no === 4) {
      if (wire !== 2) throw new WireError(`proto: wrong wireType = ${wire} for field ${no === 3 ? 'ContentEncoding' : 'ContentType'}`);
      r.span();
    } else {
      r.skipValue(wire);
    }
  }
  return env;
}

/** The kind and group-version the request's endpoint serves: the defaults for an envelope that names none. */
export interface ProtobufTarget {
  /** `v1` for the core group, else `group/version`. */
  groupVersion: string;
  kind: string;
}

/** Whether knit decodes a protobuf body naming this kind. */
export function protobufKindSupported(apiVersion: string, kind: string): boolean {
  return messageFor(apiVersion, kind) !== undefined;
}

/**
 * A protobuf request body as the JSON object the apiserver would have decoded. Bodies it cannot read are the
 * apiserver's 400 (handlers/rest.go transformDecodeError); a kind knit has no table for is 415, as knit then
 * accepts only JSON for it.
 */
export function decodeProtobufObject(body: Uint8Array, target: ProtobufTarget): Record<string, JSONValue> {
  const unrecognized = (why: string): StatusError =>
    badRequest(`the object provided is unrecognized (must be of type ${target.kind}): ${why} (${summarizeBody(body)})`);
  if (body.length === 0) throw unrecognized('empty data');
  if (body.length < PREFIX.length || PREFIX.some((b, i) => body[i] !== b)) {
    throw unrecognized(`provided data does not appear to be a protobuf message, expected prefix [${PREFIX.join(' ')}]`);
  }
  if (body.length === PREFIX.length) throw unrecognized('empty body');
  let env: Envelope;
  try {
    env = decodeEnvelope(body.subarray(PREFIX.length));
  } catch (err) {
    if (err instanceof WireError) throw unrecognized(err.message);
    throw err;
  }
  // copyKindDefaults: the endpoint's kind and group-version fill what the envelope leaves empty.
  const kind = env.kind || target.kind;
  const apiVersion = env.apiVersion || target.groupVersion;
  const m = messageFor(apiVersion, kind);
  if (!m) throw unsupportedMediaType(['application/json', 'application/yaml']);
  let decoded: Decoded;
  try {
    decoded = decodeMessage(m, env.raw, 0, env.raw.length);
  } catch (err) {
    if (err instanceof WireError) {
      const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
      throw badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${target.kind}: ${err.message}`);
    }
    throw err;
  }
  return { kind, apiVersion, ...render(m, decoded) };
}

/** decodeProtobufObject as the JSON bytes the write verbs take. */
export function protobufBodyToJSON(body: Uint8Array, target: ProtobufTarget): Buffer {
  return Buffer.from(JSON.stringify(decodeProtobufObject(body, target)));
}

/**
 * What a request's body holds: DeleteOptions for DELETE, a subresource's own kind (autoscaling/v1 Scale) for
 * a subresource, else the resource's kind.
 */
export function protobufTarget(kind: Pick<KindInfo, 'groupVersion' | 'kind' | 'subresources'>, subresource: string | undefined, method: string): ProtobufTarget {
  if (method === 'DELETE') return { groupVersion: kind.groupVersion, kind: 'DeleteOptions' };
  const sub = subresource === undefined ? undefined : kind.subresources.find((s) => s.name === subresource);
  if (sub?.group !== undefined && sub.version !== undefined) return { groupVersion: sub.group === '' ? sub.version : `${sub.group}/${sub.version}`, kind: sub.kind };
  return { groupVersion: kind.groupVersion, kind: sub?.kind ?? kind.kind };
}
