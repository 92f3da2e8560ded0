// Tests for field sets: FieldsV1 encoding and order, set algebra, path texts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, comparePathElements, keyElement, pathToString, serializePathElement, type PathElement } from './fieldpath.ts';

const f = (field: string): PathElement => ({ field });

test('FieldsV1 keys are written as the apiserver writes them', () => {
  const rows: Array<[PathElement, string]> = [
    [f('image'), 'f:image'],
    [keyElement([['protocol', 'TCP'], ['containerPort', 80]]), 'k:{"containerPort":80,"protocol":"TCP"}'],
    [{ value: 'kubernetes' }, 'v:"kubernetes"'],
    [{ value: 'a<b&c>' }, 'v:"a\\u003cb\\u0026c\\u003e"'],
    [{ index: 3 }, 'i:3'],
  ];
  for (const [pe, want] of rows) assert.equal(serializePathElement(pe), want);
});

test('FieldsV1 orders fields, then keys, then values, and writes "." first for a member with children', () => {
  const s = FieldSet.of(
    [f('spec'), f('containers'), keyElement([['name', 'b']])],
    [f('spec'), f('containers'), keyElement([['name', 'b']]), f('image')],
    [f('spec'), f('containers'), keyElement([['name', 'a']])],
    [f('metadata'), f('finalizers'), { value: 'z' }],
    [f('metadata'), f('finalizers'), { value: 'a' }],
    [f('metadata'), f('labels'), f('app')],
  );
  const json = JSON.stringify(s.toFieldsV1());
  assert.equal(
    json,
    '{"f:metadata":{"f:finalizers":{"v:\\"a\\"":{},"v:\\"z\\"":{}},"f:labels":{"f:app":{}}},' +
      '"f:spec":{"f:containers":{"k:{\\"name\\":\\"a\\"}":{},"k:{\\"name\\":\\"b\\"}":{".":{},"f:image":{}}}}}',
  );
  const back = FieldSet.fromFieldsV1(JSON.parse(json));
  assert.equal(JSON.stringify(back.toFieldsV1()), json);
  assert.ok(back.has([f('spec'), f('containers'), keyElement([['name', 'b']])]));
  assert.ok(!back.has([f('spec'), f('containers')]));
  assert.ok(comparePathElements(f('z'), keyElement([['a', 1]])) < 0);
  assert.ok(comparePathElements({ value: 2 }, { value: 'a' }) < 0);
});

test('difference keeps deeper paths of a removed member; recursiveDifference drops them', () => {
  const a = FieldSet.of([f('spec')], [f('spec'), f('replicas')]);
  const b = FieldSet.of([f('spec')]);
  assert.deepEqual(a.difference(b).paths().map(pathToString), ['.spec.replicas']);
  assert.deepEqual(a.recursiveDifference(b).paths().map(pathToString), []);
  const c = FieldSet.of([f('spec'), f('replicas')], [f('spec'), f('paused')]);
  assert.deepEqual(c.intersection(a).paths().map(pathToString), ['.spec.replicas']);
  assert.deepEqual(c.union(b).paths().map(pathToString), ['.spec', '.spec.paused', '.spec.replicas']);
  assert.deepEqual(c.withNamedFieldsAsMembers().paths().map(pathToString), ['.spec', '.spec.paused', '.spec.replicas']);
  assert.ok(new FieldSet().empty());
});

test('paths print as fieldpath.Path.String does', () => {
  assert.equal(
    pathToString([f('spec'), f('ports'), keyElement([['protocol', 'TCP'], ['port', 80]]), f('name')]),
    '.spec.ports[port=80,protocol="TCP"].name',
  );
  assert.equal(pathToString([f('metadata'), f('finalizers'), { value: 'x' }]), '.metadata.finalizers[="x"]');
  assert.equal(pathToString([f('args'), { index: 0 }]), '.args[0]');
});

test('FieldsV1 entries with unknown prefixes are skipped and bad ones refused', () => {
  const s = FieldSet.fromFieldsV1({ 'f:a': {}, 'x:b': {} });
  assert.deepEqual(s.paths().map(pathToString), ['.a']);
  assert.throws(() => FieldSet.fromFieldsV1({ bad: {} }));
  assert.throws(() => FieldSet.fromFieldsV1([]));
});
