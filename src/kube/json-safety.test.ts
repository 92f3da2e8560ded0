// Table tests for body and path decoding: Go's JSON syntax messages, the 10000-level limit, __proto__ kept as data.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refusal } from '../../test/kube/helpers.ts';
import {
  checkJSONSyntax, cloneJSON, decodeObjectBody, decodePatchBody, decodeRequestPath, GoJSONSyntaxError, jsonDepth,
  KUBE_MAX_JSON_DEPTH, mergePatch, parseJSON, requestEntityTooLarge, stringifyJSON,
} from './json-safety.ts';
import type { JSONValue } from './json-safety.ts';

const nested = (depth: number, inner = ''): string => '['.repeat(depth) + inner + ']'.repeat(depth);

const syntax: { input: string | Uint8Array; message: string }[] = [
  { input: '', message: 'unexpected end of JSON input' },
  { input: '{', message: 'unexpected end of JSON input' },
  { input: '{"a"', message: 'unexpected end of JSON input' },
  { input: '"abc', message: 'unexpected end of JSON input' },
  { input: '{"a":}', message: "invalid character '}' looking for beginning of value" },
  { input: '{"a" 1}', message: "invalid character '1' after object key" },
  { input: '{"a":1 "b":2}', message: "invalid character '\"' after object key:value pair" },
  { input: '{,}', message: "invalid character ',' looking for beginning of object key string" },
  { input: '{"a":1,}', message: "invalid character '}' looking for beginning of object key string" },
  { input: '[1,]', message: "invalid character ']' looking for beginning of value" },
  { input: '[1 2]', message: "invalid character '2' after array element" },
  { input: '[01]', message: "invalid character '1' after array element" },
  { input: '{}x', message: "invalid character 'x' after top-level value" },
  { input: 'nul', message: "invalid character ' ' in literal null (expecting 'l')" },
  { input: 'tx', message: "invalid character 'x' in literal true (expecting 'r')" },
  { input: '-', message: "invalid character ' ' in numeric literal" },
  { input: '[-a]', message: "invalid character 'a' in numeric literal" },
  { input: '1.', message: "invalid character ' ' after decimal point in numeric literal" },
  { input: '1.x', message: "invalid character 'x' after decimal point in numeric literal" },
  { input: '1e+', message: "invalid character ' ' in exponent of numeric literal" },
  { input: '"\u0001"', message: "invalid character '\\x01' in string literal" },
  { input: '"\\q"', message: "invalid character 'q' in string escape code" },
  { input: '"\\u12x4"', message: "invalid character 'x' in \\u hexadecimal character escape" },
  { input: "'a'", message: "invalid character '\\'' looking for beginning of value" },
  { input: '\ufeff{}', message: "invalid character 'ï' looking for beginning of value" },
  { input: nested(KUBE_MAX_JSON_DEPTH + 1), message: 'exceeded max depth' },
  { input: `{"a":${nested(KUBE_MAX_JSON_DEPTH)}}`, message: 'exceeded max depth' },
  // The first problem in byte order wins, as Go's scanner stops there.
  { input: `[x${nested(KUBE_MAX_JSON_DEPTH + 1)}`, message: "invalid character 'x' looking for beginning of value" },
  { input: nested(1_000_000), message: 'exceeded max depth' },
];

for (const row of syntax) {
  const label = typeof row.input === 'string' && row.input.length < 40 ? JSON.stringify(row.input) : `${row.input.length} bytes`;
  test(`Go's JSON scanner refuses ${label}: ${row.message}`, () => {
    assert.throws(() => parseJSON(row.input), (err: unknown) => {
      assert.ok(err instanceof GoJSONSyntaxError, String(err));
      assert.equal(err.message, row.message);
      return true;
    });
  });
}

test('valid JSON parses, including 10000 levels of nesting', () => {
  for (const text of ['{}', '[]', '0', '-0.5e-3', '"a\\u00e9\\n"', ' {"a": [1, true, false, null, {"b": "c"}]} ', '1E+2']) {
    assert.deepEqual(parseJSON(text), JSON.parse(text));
  }
  const deep = parseJSON(nested(KUBE_MAX_JSON_DEPTH));
  assert.equal(jsonDepth(deep), KUBE_MAX_JSON_DEPTH);
  assert.doesNotThrow(() => checkJSONSyntax(Buffer.from(nested(KUBE_MAX_JSON_DEPTH))));
});

test('__proto__ is kept as an ordinary key by parse, clone and merge patch', () => {
  const obj = parseJSON('{"metadata":{"labels":{"__proto__":"x","a":"b"}}}') as { metadata: { labels: Record<string, string> } };
  assert.deepEqual(Object.keys(obj.metadata.labels), ['__proto__', 'a']);
  assert.equal(Object.getPrototypeOf(obj.metadata.labels), Object.prototype);
  const copy = cloneJSON(obj as unknown as JSONValue) as typeof obj;
  assert.deepEqual(Object.keys(copy.metadata.labels), ['__proto__', 'a']);
  const patched = mergePatch(obj as unknown as JSONValue, parseJSON('{"metadata":{"labels":{"__proto__":"y","a":null,"constructor":"c"}}}')) as typeof obj;
  assert.deepEqual(Object.entries(patched.metadata.labels), [['__proto__', 'y'], ['constructor', 'c']]);
  assert.equal(Object.getPrototypeOf(patched.metadata.labels), Object.prototype);
  assert.equal(({} as Record<string, unknown>).y, undefined);
  // The input was not modified.
  assert.deepEqual(Object.entries(obj.metadata.labels), [['__proto__', 'x'], ['a', 'b']]);
});

test('merge patch follows RFC 7386', () => {
  const rows: [string, string, string][] = [
    ['{"a":"b"}', '{"a":"c"}', '{"a":"c"}'],
    ['{"a":"b"}', '{"b":"c"}', '{"a":"b","b":"c"}'],
    ['{"a":"b"}', '{"a":null}', '{}'],
    ['{"a":"b","b":"c"}', '{"a":null}', '{"b":"c"}'],
    ['{"a":["b"]}', '{"a":"c"}', '{"a":"c"}'],
    ['{"a":"c"}', '{"a":["b"]}', '{"a":["b"]}'],
    ['{"a":{"b":"c"}}', '{"a":{"b":"d","c":null}}', '{"a":{"b":"d"}}'],
    ['{"a":[{"b":"c"}]}', '{"a":[1]}', '{"a":[1]}'],
    ['["a","b"]', '["c","d"]', '["c","d"]'],
    ['{"a":"b"}', '["c"]', '["c"]'],
    ['{"e":null}', '{"a":1}', '{"e":null,"a":1}'],
    ['[1,2]', '{"a":"b","c":null}', '{"a":"b"}'],
    ['{}', '{"a":{"bb":{"ccc":null}}}', '{"a":{"bb":{}}}'],
  ];
  for (const [target, patch, want] of rows) {
    assert.equal(JSON.stringify(mergePatch(JSON.parse(target), JSON.parse(patch))), want, `${target} + ${patch}`);
  }
});

test('depth-safe helpers work where JSON.stringify and recursion overflow', () => {
  const deep = parseJSON(`{"a":${nested(KUBE_MAX_JSON_DEPTH - 1)}}`);
  assert.throws(() => JSON.stringify(deep), RangeError); // why stringifyJSON exists
  const text = stringifyJSON(deep);
  assert.equal(text, `{"a":${nested(KUBE_MAX_JSON_DEPTH - 1)}}`);
  assert.equal(stringifyJSON(cloneJSON(deep)), text);
  assert.equal(stringifyJSON(mergePatch({}, deep)), text);
  const sample = { b: [1, 'x', null, { c: true }], a: { '': -0.5, 'q"': 'é\n' } };
  assert.equal(stringifyJSON(sample), JSON.stringify(sample));
});

const STRUCT = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

const bodies: { name: string; body: string; message: string }[] = [
  {
    name: 'nesting past 10000 levels', body: `{"spec":{"x":${nested(KUBE_MAX_JSON_DEPTH)}}}`,
    message: `the object provided is unrecognized (must be of type Service): couldn't get version/kind; json parse error: exceeded max depth ({"spec":{"x":${'['.repeat(30 - 13)} ...)`,
  },
  {
    name: 'a syntax error', body: '{"a":',
    message: 'the object provided is unrecognized (must be of type Service): couldn\'t get version/kind; json parse error: unexpected end of JSON input ({"a":)',
  },
  {
    name: 'not an object', body: '[1]',
    message: `the object provided is unrecognized (must be of type Service): couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type ${STRUCT} (5b315d)`,
  },
  {
    name: 'apiVersion not a string', body: '{"apiVersion":1}',
    message: 'the object provided is unrecognized (must be of type Service): couldn\'t get version/kind; json parse error: json: cannot unmarshal number into Go struct field .apiVersion of type string ({"apiVersion":1})',
  },
  {
    name: 'apiVersion with two slashes', body: '{"apiVersion":"a/b/c"}',
    message: 'the object provided is unrecognized (must be of type Service): unexpected GroupVersion string: a/b/c ({"apiVersion":"a/b/c"})',
  },
  {
    name: 'the empty body', body: '',
    message: "the object provided is unrecognized (must be of type Service): couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)",
  },
];

for (const row of bodies) {
  test(`create/update body refused with 400: ${row.name}`, () => {
    const err = refusal(() => decodeObjectBody(row.body, 'Service'));
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    assert.equal(err.message, row.message);
  });
}

test('a good body decodes with __proto__ kept', () => {
  const obj = decodeObjectBody(Buffer.from('{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"labels":{"__proto__":"x"}}}'), 'Service');
  assert.equal(obj.kind, 'Service');
  assert.deepEqual(Object.keys((obj.metadata as { labels: object }).labels), ['__proto__']);
});

test('patch bodies: "error decoding patch: ..." as the patch handler answers', () => {
  assert.equal(refusal(() => decodePatchBody(nested(KUBE_MAX_JSON_DEPTH + 1), 'merge')).message, 'error decoding patch: exceeded max depth');
  assert.equal(refusal(() => decodePatchBody('{"a":', 'merge')).message, 'error decoding patch: unexpected end of JSON input');
  assert.equal(refusal(() => decodePatchBody('[1]', 'merge')).message, 'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}');
  assert.equal(refusal(() => decodePatchBody('{}', 'json')).message, 'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
  assert.deepEqual(decodePatchBody('{"metadata":{"labels":{"__proto__":"x"}}}', 'merge'), JSON.parse('{"metadata":{"labels":{"__proto__":"x"}}}'));
});

const paths: { raw: string; want: string[] | 'bad' }[] = [
  { raw: '/api/v1/namespaces/default/pods', want: ['api', 'v1', 'namespaces', 'default', 'pods'] },
  { raw: '/apis/serving.knative.dev/v1/namespaces/default/services/a%zz', want: 'bad' },
  { raw: '/api/v1/namespaces/%', want: 'bad' },
  { raw: '/api/v1/namespaces/a%2', want: 'bad' },
  // URI-malformed for decodeURIComponent, but fine for Go: invalid UTF-8 is just an unknown name.
  { raw: '/api/v1/namespaces/%C3%28', want: ['api', 'v1', 'namespaces', '\ufffd('] },
  { raw: '/api/v1/namespaces/a%2Fb', want: ['api', 'v1', 'namespaces', 'a', 'b'] },
  { raw: '/api/v1/namespaces/d%C3%A9f', want: ['api', 'v1', 'namespaces', 'déf'] },
  { raw: '//', want: [] },
];

for (const row of paths) {
  test(`request path ${row.raw}`, () => {
    const got = decodeRequestPath(row.raw);
    if (row.want === 'bad') assert.deepEqual(got, { ok: false, status: 400, body: '400 Bad Request' });
    else {
      assert.ok(got.ok);
      assert.deepEqual(got.segments, row.want);
    }
  });
}

test('an oversized body is the apiserver\'s 413', () => {
  const err = requestEntityTooLarge();
  assert.deepEqual({ code: err.code, reason: err.reason, message: err.message }, { code: 413, reason: 'RequestEntityTooLarge', message: 'Request entity too large: limit is 3145728' });
});
