// Tests for FieldError: constructors, path nesting, merging and rendering as knative.dev/pkg/apis does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CURRENT_FIELD, FieldError, rejects } from './field-error.ts';

const rows: { name: string; err: () => FieldError | null; want: string | null }[] = [
  { name: 'missing', err: () => FieldError.missing('foo'), want: 'missing field(s): foo' },
  { name: 'missing, several paths', err: () => FieldError.missing('foo', 'bar'), want: 'missing field(s): bar, foo' },
  { name: 'disallowed', err: () => FieldError.disallowed('spec.nodeName'), want: 'must not set the field(s): spec.nodeName' },
  { name: 'invalid value (string)', err: () => FieldError.invalidValue('bad', 'foo'), want: 'invalid value: bad: foo' },
  { name: 'invalid value (number)', err: () => FieldError.invalidValue(-1, 'foo'), want: 'invalid value: -1: foo' },
  { name: 'invalid value (float)', err: () => FieldError.invalidValue(0.5, 'foo'), want: 'invalid value: 0.5: foo' },
  { name: 'invalid value (large float like Go %v)', err: () => FieldError.invalidValue(1234567.5, 'foo'), want: 'invalid value: 1.2345675e+06: foo' },
  { name: 'invalid value (object)', err: () => FieldError.invalidValue({ a: 1 }, 'foo'), want: 'invalid value: {"a":1}: foo' },
  { name: 'invalid value with details', err: () => FieldError.invalidValue('x', 'foo', 'first', 'second'), want: 'invalid value: x: foo\nfirst, second' },
  { name: 'invalid array value', err: () => FieldError.invalidArrayValue('x', 'tag', 2), want: 'invalid value: x: tag[2]' },
  { name: 'one of, neither', err: () => FieldError.oneOfNone('b', 'a'), want: 'expected exactly one, got neither: a, b' },
  { name: 'one of, both', err: () => FieldError.oneOfBoth('b', 'a'), want: 'expected exactly one, got both: a, b' },
  { name: 'mutually exclusive', err: () => FieldError.mutuallyExclusive('x', 'y'), want: 'expected exactly one, got both: x, y' },
  { name: 'invalid key', err: () => FieldError.invalidKey('a"b', 'metadata.labels', 'why'), want: 'invalid key name "a\\"b": metadata.labels\nwhy' },
  { name: 'out of bounds', err: () => FieldError.outOfBounds(70000, 0, 65535, 'containerPort'), want: 'expected 0 <= 70000 <= 65535: containerPort' },
  { name: 'out of bounds with strings', err: () => FieldError.outOfBounds('5s', '6s', '1h0m0s', 'window'), want: 'expected 6s <= 5s <= 1h0m0s: window' },
  { name: 'generic', err: () => FieldError.generic('oops', 'a'), want: 'oops: a' },
  { name: 'no paths renders a bare colon', err: () => new FieldError('multi-container is off, but found 2 containers'), want: 'multi-container is off, but found 2 containers: ' },
  { name: 'manual construction with details', err: () => new FieldError('msg', ['b', 'a'], 'details'), want: 'msg: a, b\ndetails' },
  // Path nesting, straight from the flatten() examples in field_error.go.
  { name: 'index then fields', err: () => FieldError.missing('[0]').viaField('bar').viaField('foo'), want: 'missing field(s): foo.bar[0]' },
  { name: 'viaIndex then viaField', err: () => FieldError.missing('bar').viaIndex(0).viaField('foo'), want: 'missing field(s): foo[0].bar' },
  { name: 'viaField then viaIndex', err: () => FieldError.missing('bar').viaField('foo').viaIndex(0), want: 'missing field(s): [0].foo.bar' },
  { name: 'two indexes', err: () => FieldError.missing('bar').viaIndex(0).viaIndex(1).viaField('foo'), want: 'missing field(s): foo[1][0].bar' },
  { name: 'viaFieldIndex', err: () => FieldError.missing('image').viaFieldIndex('containers', 3).viaField('spec'), want: 'missing field(s): spec.containers[3].image' },
  { name: 'viaField with several names', err: () => FieldError.missing('x').viaField('spec', 'template'), want: 'missing field(s): spec.template.x' },
  { name: 'viaField with a dotted name', err: () => FieldError.missing('x').viaField('metadata.annotations'), want: 'missing field(s): metadata.annotations.x' },
  { name: 'current field takes the parent path', err: () => FieldError.missing(CURRENT_FIELD).viaFieldIndex('containers', 0), want: 'missing field(s): containers[0]' },
  { name: 'viaKey', err: () => FieldError.missing('x').viaKey('k').viaField('bag'), want: 'missing field(s): bag[k].x' },
  { name: 'viaFieldKey', err: () => FieldError.missing('x').viaFieldKey('bag', 'k'), want: 'missing field(s): bag[k].x' },
  // Knative splits on "." before folding indexes, so a dotted key is not folded.
  { name: 'viaKey with a dotted key', err: () => FieldError.invalidValue(1, CURRENT_FIELD).viaKey('a.b/c').viaField('annotations'), want: 'invalid value: 1: annotations.[a.b/c]' },
  { name: 'pathless error stays pathless', err: () => new FieldError('m').viaField('spec'), want: 'm: ' },
  // also(): merging and ordering.
  {
    name: 'also merges identical message and details',
    err: () => FieldError.missing('a').also(FieldError.missing('b'), FieldError.missing('a')),
    want: 'missing field(s): a, b',
  },
  {
    name: 'also keeps different details apart',
    err: () => FieldError.invalidValue('x', 'a', 'd1').also(FieldError.invalidValue('x', 'b', 'd2')),
    want: 'invalid value: x: a\nd1\ninvalid value: x: b\nd2',
  },
  {
    name: 'errors sorted by message',
    err: () => FieldError.missing('z').also(FieldError.disallowed('y'), FieldError.invalidValue('v', 'x')),
    want: 'invalid value: v: x\nmissing field(s): z\nmust not set the field(s): y',
  },
  {
    name: 'also ignores null and undefined',
    err: () => FieldError.missing('a').also(null, undefined),
    want: 'missing field(s): a',
  },
  {
    name: 'nested also then viaField',
    err: () => FieldError.missing('a').also(FieldError.missing('b').also(FieldError.disallowed('c'))).viaField('spec'),
    want: 'missing field(s): spec.a, spec.b\nmust not set the field(s): spec.c',
  },
  {
    name: 'same message at different levels is not merged',
    err: () => FieldError.missing('a').also(FieldError.missing('b').at('Warning')),
    want: 'missing field(s): a\nmissing field(s): b',
  },
  { name: 'combine of nothing', err: () => FieldError.combine(null, undefined), want: null },
  { name: 'combine', err: () => FieldError.combine(null, FieldError.missing('b'), FieldError.missing('a')), want: 'missing field(s): a, b' },
  { name: 'filter Error', err: () => FieldError.missing('a').also(FieldError.disallowed('b').at('Warning')).filter('Error'), want: 'missing field(s): a' },
  { name: 'filter Warning', err: () => FieldError.missing('a').also(FieldError.disallowed('b').at('Warning')).filter('Warning'), want: 'must not set the field(s): b' },
  { name: 'filter with no match', err: () => FieldError.missing('a').filter('Warning'), want: null },
];

for (const row of rows) {
  test(`FieldError: ${row.name}`, () => {
    const err = row.err();
    assert.equal(err === null ? null : err.error, row.want);
  });
}

test('FieldError: combinators do not mutate their receiver', () => {
  const base = FieldError.missing('a');
  base.viaField('spec');
  base.also(FieldError.missing('b'));
  base.at('Warning');
  assert.equal(base.error, 'missing field(s): a');
  assert.equal(base.level, 'Error');
  assert.deepEqual(base.paths, ['a']);
});

test('FieldError: the first diagnostic is exposed as fields; toString renders', () => {
  const err = FieldError.invalidValue('x', 'foo', 'why').also(FieldError.missing('bar'));
  assert.equal(err.message, 'invalid value: x');
  assert.deepEqual(err.paths, ['foo']);
  assert.equal(err.details, 'why');
  assert.equal(err.level, 'Error');
  assert.equal(String(err), err.error);
  assert.equal(err.normalized().length, 2);
});

test('FieldError: merged() gives the structured, sorted list', () => {
  const err = FieldError.missing('b').also(FieldError.missing('a'), FieldError.disallowed('c').at('Warning'));
  assert.deepEqual(err.merged(), [
    { message: 'missing field(s)', paths: ['a', 'b'], details: '', level: 'Error' },
    { message: 'must not set the field(s)', paths: ['c'], details: '', level: 'Warning' },
  ]);
});

test('rejects: only Error-level diagnostics reject', () => {
  assert.equal(rejects(null), false);
  assert.equal(rejects(undefined), false);
  assert.equal(rejects(FieldError.missing('a').at('Warning')), false);
  assert.equal(rejects(FieldError.missing('a')), true);
  assert.equal(rejects(FieldError.missing('a').at('Warning').also(FieldError.missing('b'))), true);
});
