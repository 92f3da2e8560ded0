// Table tests for query-parameter decoding: the apiserver's boolean rules, numbers, selectors and option validation texts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from './errors.ts';
import {
  isPrettyPrint, parseDeleteOptions, parseGetOptions, parseListOptions, parseQueryString, parseWriteOptions, queryBool,
} from './query.ts';
import { FIELD_SELECTABLE } from './selectors.ts';

function refusal(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StatusError, `expected a StatusError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to throw');
}

test('booleans: only "0" and any case of "false" are false; nothing is refused', () => {
  for (const v of ['true', 'True', 'TRUE', '1', 't', 'yes', '', 'anything']) assert.equal(queryBool(v), true, v);
  for (const v of ['false', 'False', 'FALSE', 'fAlSe', '0']) assert.equal(queryBool(v), false, v);
  assert.equal(queryBool(undefined), false);
});

test('the Python client\'s watch=True is a watch', () => {
  const o = parseListOptions('watch=True&allowWatchBookmarks=True');
  assert.equal(o.watch, true);
  assert.equal(o.allowWatchBookmarks, true);
});

test('a watch from "" or "0" is defaulted to sendInitialEvents as WatchList does; a list is not', () => {
  const w = parseListOptions('watch=1');
  assert.equal(w.sendInitialEvents, true);
  assert.equal(w.resourceVersionMatch, 'NotOlderThan');
  const w5 = parseListOptions('watch=1&resourceVersion=5');
  assert.equal(w5.sendInitialEvents, undefined);
  assert.equal(w5.resourceVersionMatch, '');
  const legacy = parseListOptions('watch=1', { watchList: false });
  assert.equal(legacy.sendInitialEvents, undefined);
  const list = parseListOptions('limit=2&continue=abc');
  assert.equal(list.limit, 2);
  assert.equal(list.continue, 'abc');
  assert.equal(list.sendInitialEvents, undefined);
});

test('selectors and timeouts are decoded', () => {
  const o = parseListOptions('labelSelector=app%3Dweb%2Ctier+in+(a)&fieldSelector=metadata.name%3Dx&timeoutSeconds=30', { fields: FIELD_SELECTABLE.customResource(true) });
  assert.deepEqual(o.labelSelector.requirements.map((r) => r.key), ['app', 'tier']);
  assert.deepEqual(o.fieldSelector.terms, [{ field: 'metadata.name', operator: '=', value: 'x' }]);
  assert.equal(o.timeoutSeconds, 30);
  assert.equal(o.limit, 0);
  // A negative limit is not refused: storage reads it as "no limit".
  assert.equal(parseListOptions('limit=-1').limit, -1);
});

const listRefusals: { name: string; query: string; code: number; reason: string; message: string; causes?: { reason: string; message: string; field: string }[] }[] = [
  { name: 'limit not a number', query: 'limit=abc', code: 400, reason: 'BadRequest', message: 'strconv.ParseInt: parsing "abc": invalid syntax' },
  { name: 'limit out of range', query: 'limit=99999999999999999999', code: 400, reason: 'BadRequest', message: 'strconv.ParseInt: parsing "99999999999999999999": value out of range' },
  { name: 'timeoutSeconds before limit', query: 'limit=x&timeoutSeconds=y', code: 400, reason: 'BadRequest', message: 'strconv.ParseInt: parsing "y": invalid syntax' },
  { name: 'bad label selector', query: 'labelSelector=a+in+(b', code: 400, reason: 'BadRequest', message: "unable to parse requirement: found '', expected: ',' or ')'" },
  { name: 'bad field selector', query: 'fieldSelector=a', code: 400, reason: 'BadRequest', message: "invalid selector: 'a'; can't understand 'a'" },
  {
    name: 'resourceVersionMatch without resourceVersion', query: 'resourceVersionMatch=NotOlderThan', code: 422, reason: 'Invalid',
    message: 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided', field: 'resourceVersionMatch' }],
  },
  {
    name: 'Exact with resourceVersion 0', query: 'resourceVersionMatch=Exact&resourceVersion=0', code: 422, reason: 'Invalid',
    message: 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
  },
  {
    name: 'unknown resourceVersionMatch and continue', query: 'resourceVersionMatch=Newest&resourceVersion=3&continue=x', code: 422, reason: 'Invalid',
    message: 'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided, resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""]',
  },
  {
    name: 'sendInitialEvents on a list', query: 'sendInitialEvents=true', code: 422, reason: 'Invalid',
    message: 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list',
  },
  {
    name: 'sendInitialEvents on a watch without NotOlderThan', query: 'watch=1&sendInitialEvents=true', code: 422, reason: 'Invalid',
    message: 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
  },
  {
    name: 'resourceVersionMatch on a watch without sendInitialEvents', query: 'watch=1&resourceVersion=4&resourceVersionMatch=Exact', code: 422, reason: 'Invalid',
    message: 'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided, resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]',
  },
];

for (const row of listRefusals) {
  test(`list options refused: ${row.name}`, () => {
    const err = refusal(() => parseListOptions(row.query));
    assert.equal(err.code, row.code);
    assert.equal(err.reason, row.reason);
    assert.equal(err.message, row.message);
    if (row.causes) assert.deepEqual(err.details?.causes, row.causes);
    if (row.code === 422) assert.deepEqual({ group: err.details?.group, kind: err.details?.kind, name: err.details?.name }, { group: 'meta.k8s.io', kind: 'ListOptions', name: undefined });
  });
}

test('sendInitialEvents on a watch is refused when the WatchList gate is off', () => {
  const err = refusal(() => parseListOptions('watch=1&sendInitialEvents=1&resourceVersionMatch=NotOlderThan', { watchList: false }));
  assert.equal(err.message, 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled');
});

test('field labels are converted for the kind after validation', () => {
  const err = refusal(() => parseListOptions('fieldSelector=spec.foo%3Db', { fields: FIELD_SELECTABLE.customResource(true) }));
  assert.equal(err.code, 400);
  assert.equal(err.message, 'field label not supported: spec.foo');
  const pods = parseListOptions('fieldSelector=spec.host%3Dn1', { fields: FIELD_SELECTABLE.pod });
  assert.deepEqual(pods.fieldSelector.terms, [{ field: 'spec.nodeName', operator: '=', value: 'n1' }]);
});

test('a watch of one named object selects it, and refuses a different metadata.name', () => {
  const o = parseListOptions('watch=true', { name: 'hello' });
  assert.deepEqual(o.fieldSelector.terms, [{ field: 'metadata.name', operator: '=', value: 'hello' }]);
  assert.deepEqual(parseListOptions('watch=true&fieldSelector=metadata.name%3Dhello', { name: 'hello' }).fieldSelector.terms.length, 1);
  const err = refusal(() => parseListOptions('watch=true&fieldSelector=metadata.name%3Dother', { name: 'hello' }));
  assert.equal(err.message, "fieldSelector metadata.name doesn't match requested name");
});

test('url.ParseQuery: "+" is a space, pairs with ";" or bad escapes are dropped, repeats kept', () => {
  const q = parseQueryString('?a=1+2&b=%zz&c=x;y&d=1&d=2&e');
  assert.deepEqual([...q.entries()], [['a', ['1 2']], ['d', ['1', '2']], ['e', ['']]]);
  assert.deepEqual(parseGetOptions('resourceVersion=7'), { resourceVersion: '7' });
  assert.deepEqual(parseGetOptions(new URLSearchParams('')), { resourceVersion: '' });
});

const deleteRows: { name: string; query?: string; body?: Record<string, unknown>; want?: object; code?: number; message?: string }[] = [
  { name: 'query parameters', query: 'gracePeriodSeconds=0&propagationPolicy=Foreground&dryRun=All', want: { gracePeriodSeconds: 0, propagationPolicy: 'Foreground', dryRun: ['All'] } },
  { name: 'a body wins over the query', query: 'propagationPolicy=Orphan', body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', preconditions: { uid: 'u' } }, want: { propagationPolicy: 'Background', preconditions: { uid: 'u' } } },
  { name: 'bad gracePeriodSeconds', query: 'gracePeriodSeconds=soon', code: 400, message: 'strconv.ParseInt: parsing "soon": invalid syntax' },
  { name: 'body field of the wrong type', body: { gracePeriodSeconds: '5' }, code: 400, message: 'json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64' },
  { name: 'unknown propagationPolicy', query: 'propagationPolicy=Later', code: 422, message: 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Later": supported values: "Foreground", "Background", "Orphan", "nil"' },
  { name: 'orphanDependents and propagationPolicy', query: 'orphanDependents=false&propagationPolicy=Orphan', code: 422, message: 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set' },
  { name: 'dryRun other than All', query: 'dryRun=true', code: 422, message: 'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["true"]: supported values: "All"' },
];

for (const row of deleteRows) {
  test(`delete options: ${row.name}`, () => {
    if (row.want) {
      assert.deepEqual(parseDeleteOptions(row.query ?? '', row.body), row.want);
      return;
    }
    const err = refusal(() => parseDeleteOptions(row.query ?? '', row.body));
    assert.equal(err.code, row.code);
    assert.equal(err.message, row.message);
  });
}

const writeRows: { name: string; query: string; verb: 'create' | 'update' | 'patch'; patchType?: string; want?: object; message?: string }[] = [
  { name: 'defaults', query: '', verb: 'create', want: { fieldManager: '', fieldValidation: 'Warn' } },
  { name: 'all set', query: 'dryRun=All&fieldManager=kubectl-client-side-apply&fieldValidation=Strict', verb: 'update', want: { dryRun: ['All'], fieldManager: 'kubectl-client-side-apply', fieldValidation: 'Strict' } },
  { name: 'apply with force', query: 'fieldManager=kubectl&force=true', verb: 'patch', patchType: 'application/apply-patch+yaml', want: { fieldManager: 'kubectl', fieldValidation: 'Warn', force: true } },
  { name: 'bad dryRun', query: 'dryRun=Server', verb: 'create', message: 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Server"]: supported values: "All"' },
  { name: 'bad fieldValidation', query: 'fieldValidation=strict', verb: 'update', message: 'UpdateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"' },
  { name: 'fieldManager too long', query: `fieldManager=${'m'.repeat(129)}`, verb: 'create', message: 'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes' },
  { name: 'fieldManager not printable', query: 'fieldManager=a%09b', verb: 'create', message: 'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\tb": invalid character U+0009 (at position 1)' },
  { name: 'force on a merge patch', query: 'force=true', verb: 'patch', patchType: 'application/merge-patch+json', message: 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch' },
  { name: 'apply without fieldManager', query: '', verb: 'patch', patchType: 'application/apply-patch+yaml', message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch' },
];

for (const row of writeRows) {
  test(`write options: ${row.name}`, () => {
    if (row.want) {
      assert.deepEqual(parseWriteOptions(row.query, row.verb, row.patchType), row.want);
      return;
    }
    const err = refusal(() => parseWriteOptions(row.query, row.verb, row.patchType));
    assert.equal(err.code, 422);
    assert.equal(err.reason, 'Invalid');
    assert.equal(err.message, row.message);
  });
}

test('pretty uses strconv.ParseBool and never refuses; curl gets it by default', () => {
  assert.equal(isPrettyPrint('pretty=true'), true);
  assert.equal(isPrettyPrint('pretty=T'), true);
  assert.equal(isPrettyPrint('pretty=yes'), false);
  assert.equal(isPrettyPrint('pretty=0', 'curl/8.0'), false);
  assert.equal(isPrettyPrint('', 'curl/8.0'), true);
  assert.equal(isPrettyPrint('pretty=', 'kubectl/v1.36'), false);
});
