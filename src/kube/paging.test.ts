// Table tests for continue tokens, list revision planning, pages and watch starts, with the apiserver's texts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refusal } from '../../test/kube/helpers.ts';
import { decodeContinue, encodeContinue, INCONSISTENT_CONTINUE, listKey, planList, planWatch, takePage } from './paging.ts';
import type { ListPagingRequest } from './paging.ts';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');

test('a continue token is unpadded base64url of the apiserver\'s JSON', () => {
  const token = encodeContinue('default/hello\u0000', 42);
  assert.equal(token, b64('{"v":"meta.k8s.io/v1","rv":42,"start":"default/hello\\u0000"}'));
  assert.ok(!token.includes('='));
  assert.deepEqual(decodeContinue(token), { startKey: 'default/hello\u0000', resourceVersion: 42 });
  // encoding/json matches field names case-insensitively.
  assert.deepEqual(decodeContinue(b64('{"V":"meta.k8s.io/v1","RV":3,"Start":"a"}')), { startKey: 'a', resourceVersion: 3 });
  assert.deepEqual(decodeContinue(encodeContinue('x', -1)), { startKey: 'x', resourceVersion: -1 });
});

const badTokens: { name: string; token: string; message: string }[] = [
  { name: 'padding is not part of raw base64', token: 'abc=', message: 'illegal base64 data at input byte 3' },
  { name: 'a lone trailing character', token: 'abcde', message: 'illegal base64 data at input byte 4' },
  { name: 'a character outside the alphabet', token: 'ab+c', message: 'illegal base64 data at input byte 2' },
  { name: 'not JSON', token: b64('not json'), message: "invalid character 'o' in literal null (expecting 'u')" },
  { name: 'not an object', token: b64('[1]'), message: 'json: cannot unmarshal array into Go value of type storage.continueToken' },
  { name: 'rv as a string', token: b64('{"v":"meta.k8s.io/v1","rv":"5","start":"a"}'), message: 'json: cannot unmarshal string into Go struct field continueToken.rv of type int64' },
  { name: 'an unknown version', token: b64('{"v":"x","rv":1,"start":"a"}'), message: 'server does not recognize this encoded version x' },
  { name: 'rv 0', token: b64('{"v":"meta.k8s.io/v1","rv":0,"start":"a"}'), message: 'incorrect encoded start resourceVersion (version meta.k8s.io/v1)' },
  { name: 'no start key', token: b64('{"v":"meta.k8s.io/v1","rv":4}'), message: 'encoded start key empty (version meta.k8s.io/v1)' },
  { name: 'path traversal', token: b64('{"v":"meta.k8s.io/v1","rv":4,"start":"../secrets/x"}'), message: '../secrets/x' },
];

for (const row of badTokens) {
  test(`continue token refused with 400: ${row.name}`, () => {
    const err = refusal(() => decodeContinue(row.token));
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    assert.equal(err.message, `invalid continue token: continue key is not valid: ${row.message}`);
  });
}

const req = (r: Partial<ListPagingRequest>): ListPagingRequest => ({ resourceVersion: '', resourceVersionMatch: '', limit: 0, continue: '', ...r });
const revs = { current: 10, oldest: 5 };

test('a compacted continue token answers 410 Expired with a token to continue at the latest revision', () => {
  const err = refusal(() => planList(req({ continue: encodeContinue('b\u0000', 4), limit: 2 }), revs));
  assert.equal(err.code, 410);
  assert.equal(err.reason, 'Expired');
  assert.equal(err.message, 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
  assert.equal(err.message, INCONSISTENT_CONTINUE);
  assert.deepEqual(decodeContinue(err.continueToken ?? ''), { startKey: 'b\u0000', resourceVersion: -1 });
  // That token is accepted and reads at the latest revision.
  assert.deepEqual(planList(req({ continue: err.continueToken ?? '', limit: 2 }), revs), { readAt: 10, startKey: 'b\u0000', limit: 2 });
});

const plans: { name: string; r: Partial<ListPagingRequest>; want?: { readAt: number; startKey: string }; code?: number; reason?: string; message?: string }[] = [
  { name: 'no resourceVersion reads the latest', r: {}, want: { readAt: 10, startKey: '' } },
  { name: 'a live continue token reads at its revision', r: { continue: encodeContinue('a\u0000', 7) }, want: { readAt: 7, startKey: 'a\u0000' } },
  { name: 'continue with resourceVersion 0 is allowed', r: { continue: encodeContinue('a\u0000', 7), resourceVersion: '0' }, want: { readAt: 7, startKey: 'a\u0000' } },
  { name: 'continue with a resourceVersion', r: { continue: encodeContinue('a\u0000', 7), resourceVersion: '7' }, code: 400, reason: 'BadRequest', message: 'specifying resource version is not allowed when using continue' },
  { name: 'a resourceVersion that is not a number', r: { resourceVersion: 'abc' }, code: 400, reason: 'BadRequest', message: 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax' },
  { name: 'a negative resourceVersion', r: { resourceVersion: '-1' }, code: 400, reason: 'BadRequest', message: 'invalid resource version: resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax' },
  { name: 'Exact at a live revision', r: { resourceVersion: '6', resourceVersionMatch: 'Exact' }, want: { readAt: 6, startKey: '' } },
  { name: 'Exact at a compacted revision', r: { resourceVersion: '3', resourceVersionMatch: 'Exact' }, code: 410, reason: 'Expired', message: 'The resourceVersion for the provided list is too old.' },
  { name: 'Exact in the future', r: { resourceVersion: '12', resourceVersionMatch: 'Exact' }, code: 504, reason: 'Timeout', message: 'Timeout: Too large resource version: 12, current: 10' },
  { name: 'NotOlderThan reads the latest', r: { resourceVersion: '3', resourceVersionMatch: 'NotOlderThan' }, want: { readAt: 10, startKey: '' } },
  { name: 'NotOlderThan in the future', r: { resourceVersion: '11', resourceVersionMatch: 'NotOlderThan' }, code: 504, reason: 'Timeout', message: 'Timeout: Too large resource version: 11, current: 10' },
  { name: 'legacy: a limit with a resourceVersion reads exactly there', r: { resourceVersion: '7', limit: 2 }, want: { readAt: 7, startKey: '' } },
  { name: 'legacy: no limit reads the latest', r: { resourceVersion: '7' }, want: { readAt: 10, startKey: '' } },
  { name: 'legacy: resourceVersion 0 with a limit reads the latest', r: { resourceVersion: '0', limit: 2 }, want: { readAt: 10, startKey: '' } },
];

for (const row of plans) {
  test(`planList: ${row.name}`, () => {
    if (row.want) {
      const plan = planList(req(row.r), revs);
      assert.deepEqual({ readAt: plan.readAt, startKey: plan.startKey }, row.want);
      return;
    }
    const err = refusal(() => planList(req(row.r), revs));
    assert.deepEqual({ code: err.code, reason: err.reason, message: err.message }, { code: row.code, reason: row.reason, message: row.message });
    if (row.code === 504) assert.deepEqual(err.details?.causes, [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version', field: '' }]);
  });
}

const svc = (namespace: string, name: string, labels: Record<string, string> = {}) => ({ metadata: { namespace, name, labels } });

test('pages follow etcd key order, carry remainingItemCount and chain through continue tokens', () => {
  // Bytewise key order puts "a-b/..." before "a/..." ('-' < '/'), unlike sorting by (namespace, name).
  const items = [svc('a', 'z'), svc('b', 'a'), svc('a-b', 'x'), svc('a', 'y'), svc('c', 'c')];
  assert.deepEqual(items.map((o) => listKey(o, undefined)), ['a/z', 'b/a', 'a-b/x', 'a/y', 'c/c']);
  const seen: string[] = [];
  let token = '';
  const remaining: (number | undefined)[] = [];
  for (let guard = 0; guard < 10; guard++) {
    const plan = planList(req({ limit: 2, continue: token }), { current: 20, oldest: 20 });
    const page = takePage(items, plan);
    assert.equal(page.resourceVersion, '20');
    seen.push(...page.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
    remaining.push(page.remainingItemCount);
    if (page.continue === undefined) break;
    token = page.continue;
  }
  assert.deepEqual(seen, ['a-b/x', 'a/y', 'a/z', 'b/a', 'c/c']);
  assert.deepEqual(remaining, [3, 1, undefined]);
});

test('a write after the first page (no history kept) makes the token 410', () => {
  const first = takePage([svc('a', 'x'), svc('a', 'y')], planList(req({ limit: 1 }), { current: 20, oldest: 20 }));
  assert.ok(first.continue);
  const err = refusal(() => planList(req({ limit: 1, continue: first.continue }), { current: 21, oldest: 21 }));
  assert.equal(err.code, 410);
  assert.deepEqual(decodeContinue(err.continueToken ?? ''), { startKey: 'a/x\u0000', resourceVersion: -1 });
});

test('with a selector: no remainingItemCount, and a token whenever keys remain', () => {
  const items = [svc('d', 'a', { app: 'x' }), svc('d', 'b', { app: 'y' }), svc('d', 'c', { app: 'x' }), svc('d', 'e', { app: 'y' })];
  const matches = (o: ReturnType<typeof svc>): boolean => o.metadata.labels.app === 'x';
  const page = takePage(items, planList(req({ limit: 2 }), revs), { listNamespace: 'd', matches });
  assert.deepEqual(page.items.map((o) => o.metadata.name), ['a', 'c']);
  assert.equal(page.remainingItemCount, undefined);
  assert.deepEqual(decodeContinue(page.continue ?? ''), { startKey: 'c\u0000', resourceVersion: 10 });
  const next = takePage(items, planList(req({ limit: 2, continue: page.continue }), revs), { listNamespace: 'd', matches });
  assert.deepEqual(next.items, []);
  assert.equal(next.continue, undefined);
});

test('without a limit everything is returned and no token', () => {
  const page = takePage([svc('n', 'b'), svc('n', 'a')], planList(req({}), revs), { listNamespace: 'n' });
  assert.deepEqual(page.items.map((o) => o.metadata.name), ['a', 'b']);
  assert.equal(page.continue, undefined);
  assert.equal(page.remainingItemCount, undefined);
});

test('watch starts: initial events, too old (410) and too new (504)', () => {
  const w = { current: 10, oldestEvent: 5 };
  assert.deepEqual(planWatch('', w), { from: 10, initialEvents: true });
  assert.deepEqual(planWatch('0', w, false), { from: 10, initialEvents: false });
  assert.deepEqual(planWatch('4', w), { from: 4, initialEvents: false });
  assert.deepEqual(planWatch('3', w, true), { from: 10, initialEvents: true });
  const old = refusal(() => planWatch('3', w));
  assert.deepEqual({ code: old.code, reason: old.reason, message: old.message }, { code: 410, reason: 'Expired', message: 'too old resource version: 3 (4)' });
  const future = refusal(() => planWatch('11', w));
  assert.equal(future.code, 504);
  assert.equal(future.details?.retryAfterSeconds, 1);
});
