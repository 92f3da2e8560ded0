// Protobuf encoding of an OpenAPI v2 document as gnostic's openapi_v2.Document, the form kubectl and client-go ask /openapi/v2 for.
//
// Field numbers are those of google/gnostic openapiv2/OpenAPIv2.proto (Document, Info, Paths,
// PathItem, Operation, Parameter, Responses, Definitions, Schema, NamedAny/Any…); client-go
// discovery OpenAPISchema() requests `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`
// and unmarshals the body as that message. Vendor extensions are carried as YAML text in Any.yaml
// (JSON is YAML), as gnostic writes them.

type Json = Record<string, unknown>;

/** A minimal protobuf writer: length-delimited submessages are built bottom-up. */
class Writer {
  private chunks: Buffer[] = [];

  private varint(n: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(n));
    const bytes: number[] = [];
    while (v >= 0x80n) {
      bytes.push(Number((v & 0x7fn) | 0x80n));
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.chunks.push(Buffer.from(bytes));
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  string(field: number, s: unknown): void {
    if (typeof s !== 'string' || s === '') return;
    this.bytes(field, Buffer.from(s, 'utf8'));
  }

  strings(field: number, list: unknown): void {
    if (!Array.isArray(list)) return;
    for (const s of list) if (typeof s === 'string') this.bytes(field, Buffer.from(s, 'utf8'), true);
  }

  bytes(field: number, b: Buffer, keepEmpty = false): void {
    if (b.length === 0 && !keepEmpty) return;
    this.tag(field, 2);
    this.varint(b.length);
    this.chunks.push(b);
  }

  bool(field: number, b: unknown): void {
    if (b !== true) return;
    this.tag(field, 0);
    this.varint(1);
  }

  int64(field: number, n: unknown): void {
    if (typeof n !== 'number' || n === 0) return;
    this.tag(field, 0);
    this.varint(BigInt(Math.trunc(n)));
  }

  double(field: number, n: unknown): void {
    if (typeof n !== 'number' || n === 0) return;
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(n);
    this.chunks.push(b);
  }

  /** A submessage, written even when empty (presence matters for oneofs and message fields). */
  message(field: number, build: (w: Writer) => void): void {
    const w = new Writer();
    build(w);
    this.bytes(field, w.finish(), true);
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** openapi_v2.Any: the value as YAML text. */
function any(w: Writer, value: unknown): void {
  w.string(2, JSON.stringify(value));
}

/** gnostic's Named* messages (NamedAny, NamedSchema, NamedPathItem, NamedResponse…): the name at 1, the value at 2. */
function named(w: Writer, field: number, name: string, value: (w: Writer) => void): void {
  w.message(field, (n) => {
    n.string(1, name);
    n.message(2, value);
  });
}

/** A map as repeated Named* messages at `field`, for its entries whose values are objects. */
function namedObjects(w: Writer, field: number, map: Json, value: (w: Writer, v: Json) => void): void {
  for (const [name, v] of Object.entries(map)) if (isObj(v)) named(w, field, name, (x) => value(x, v));
}

function vendorExtensions(w: Writer, field: number, o: Json): void {
  for (const [k, v] of Object.entries(o)) if (k.startsWith('x-')) named(w, field, k, (a) => any(a, v));
}

/** openapi_v2.Schema. */
function schema(w: Writer, s: Json): void {
  w.string(1, s.$ref);
  w.string(2, s.format);
  w.string(3, s.title);
  w.string(4, s.description);
  if (s.default !== undefined) w.message(5, (a) => any(a, s.default));
  w.double(6, s.multipleOf);
  w.double(7, s.maximum);
  w.bool(8, s.exclusiveMaximum);
  w.double(9, s.minimum);
  w.bool(10, s.exclusiveMinimum);
  w.int64(11, s.maxLength);
  w.int64(12, s.minLength);
  w.string(13, s.pattern);
  w.int64(14, s.maxItems);
  w.int64(15, s.minItems);
  w.bool(16, s.uniqueItems);
  w.int64(17, s.maxProperties);
  w.int64(18, s.minProperties);
  w.strings(19, s.required);
  if (Array.isArray(s.enum)) for (const e of s.enum) w.message(20, (a) => any(a, e));
  if (s.additionalProperties !== undefined) {
    const ap = s.additionalProperties;
    w.message(21, (a) => {
      if (isObj(ap)) a.message(1, (x) => schema(x, ap));
      else a.bool(2, ap === true);
    });
  }
  if (typeof s.type === 'string') w.message(22, (t) => t.strings(1, [s.type]));
  if (isObj(s.items)) {
    const items = s.items;
    w.message(23, (i) => i.message(1, (x) => schema(x, items)));
  }
  if (Array.isArray(s.allOf)) for (const a of s.allOf) if (isObj(a)) w.message(24, (x) => schema(x, a));
  if (isObj(s.properties)) {
    const props = s.properties;
    w.message(25, (p) => namedObjects(p, 1, props, schema));
  }
  w.bool(27, s.readOnly);
  if (s.example !== undefined) w.message(30, (a) => any(a, s.example));
  vendorExtensions(w, 31, s);
}

/** openapi_v2.ParametersItem for one parameter object (or a `$ref`). */
function parameter(w: Writer, p: Json): void {
  if (typeof p.$ref === 'string') {
    w.message(2, (r) => r.string(1, p.$ref));
    return;
  }
  w.message(1, (param) => {
    if (p.in === 'body') {
      param.message(1, (b) => {
        b.string(1, p.description);
        b.string(2, p.name);
        b.string(3, p.in);
        b.bool(4, p.required);
        if (isObj(p.schema)) {
          const s = p.schema;
          b.message(5, (x) => schema(x, s));
        }
        vendorExtensions(b, 6, p);
      });
      return;
    }
    param.message(2, (nb) => {
      const field = p.in === 'path' ? 4 : p.in === 'header' ? 1 : p.in === 'formData' ? 2 : 3;
      nb.message(field, (q) => {
        q.bool(1, p.required);
        q.string(2, p.in);
        q.string(3, p.description);
        q.string(4, p.name);
        // Query and form-data sub-schemas have allow_empty_value at 5, shifting type and unique_items by one.
        const shift = field === 3 || field === 2 ? 1 : 0;
        if (shift) q.bool(5, p.allowEmptyValue);
        q.string(5 + shift, p.type);
        q.string(6 + shift, p.format);
        q.bool(19 + shift, p.uniqueItems);
      });
    });
  });
}

/** openapi_v2.Operation. */
function operation(w: Writer, op: Json): void {
  w.strings(1, op.tags);
  w.string(2, op.summary);
  w.string(3, op.description);
  w.string(5, op.operationId);
  w.strings(6, op.produces);
  w.strings(7, op.consumes);
  if (Array.isArray(op.parameters)) for (const p of op.parameters) if (isObj(p)) w.message(8, (x) => parameter(x, p));
  if (isObj(op.responses)) {
    const responses = op.responses;
    w.message(9, (rs) =>
      namedObjects(rs, 1, responses, (rv, r) =>
        rv.message(1, (resp) => {
          resp.string(1, r.description);
          if (isObj(r.schema)) {
            const s = r.schema;
            resp.message(2, (si) => si.message(1, (x) => schema(x, s)));
          }
        }),
      ),
    );
  }
  w.strings(10, op.schemes);
  w.bool(11, op.deprecated);
  vendorExtensions(w, 13, op);
}

const PATH_ITEM_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

/** Encodes a Swagger 2.0 document (as JSON) as a gnostic openapi_v2.Document. */
export function encodeOpenAPIV2(doc: Json): Buffer {
  const w = new Writer();
  w.string(1, doc.swagger);
  if (isObj(doc.info)) {
    const info = doc.info;
    w.message(2, (i) => {
      i.string(1, info.title);
      i.string(2, info.version);
      i.string(3, info.description);
    });
  }
  w.string(3, doc.host);
  w.string(4, doc.basePath);
  w.strings(5, doc.schemes);
  w.strings(6, doc.consumes);
  w.strings(7, doc.produces);
  if (isObj(doc.paths)) {
    const paths = doc.paths;
    w.message(8, (ps) =>
      namedObjects(ps, 2, paths, (pi, item) => {
        for (const [method, field] of Object.entries(PATH_ITEM_FIELDS)) {
          const op = item[method];
          if (isObj(op)) pi.message(field, (x) => operation(x, op));
        }
        if (Array.isArray(item.parameters)) for (const p of item.parameters) if (isObj(p)) pi.message(9, (x) => parameter(x, p));
      }),
    );
  }
  if (isObj(doc.definitions)) {
    const defs = doc.definitions;
    w.message(9, (d) => namedObjects(d, 1, defs, schema));
  }
  vendorExtensions(w, 16, doc);
  return w.finish();
}
