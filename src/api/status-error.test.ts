// StatusError: the apiserver's Status body, the client's reading of it, and the isNotFound-style predicates.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError, alreadyExists, asStatusError, conflict, gone, isAlreadyExists, isConflict, isGone, isInvalid, isNotFound, notFound } from './status-error.ts';

test('toStatus writes the apiserver body, field for field', () => {
  const e = notFound('services', 'x');
  assert.equal(e.name, 'StatusError');
  assert.equal(
    JSON.stringify(e.toStatus()),
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"services.serving.knative.dev \\"x\\" not found","reason":"NotFound","code":404}',
  );
  const d = new StatusError(409, 'AlreadyExists', 'taken', { details: { name: 'x', kind: 'services' } });
  assert.deepEqual(d.toStatus().details, { name: 'x', kind: 'services' });
});

test('fromStatus rebuilds the error; the HTTP code stands in for a missing one', () => {
  const back = StatusError.fromStatus(conflict('routes', 'r', 'the object has been modified').toStatus(), 409);
  assert.ok(isConflict(back));
  assert.equal(back.message, 'Operation cannot be fulfilled on routes.serving.knative.dev "r": the object has been modified');
  const bare = StatusError.fromStatus({}, 503);
  assert.equal(bare.code, 503);
  assert.equal(bare.reason, '');
  assert.equal(bare.message, 'the server responded with HTTP status 503');
});

test('predicates: the reason decides, the code only when the reason is unknown', () => {
  assert.ok(isNotFound(notFound('services', 'a')));
  assert.ok(isNotFound(new StatusError(404, '', 'no reason given')));
  assert.ok(!isNotFound(new StatusError(404, 'Gone', 'a known other reason')));
  assert.ok(isAlreadyExists(alreadyExists('services', 'a')));
  assert.ok(!isConflict(alreadyExists('services', 'a')), 'AlreadyExists is not a Conflict');
  assert.ok(isConflict(new StatusError(409, '', 'unknown reason')));
  assert.ok(isGone(gone('too old')));
  assert.ok(!isInvalid(gone('too old')));
  assert.ok(!isNotFound(new Error('not a StatusError')));
});

test('asStatusError wraps anything else as a 500 InternalError with its cause', () => {
  const cause = new Error('disk on fire');
  const e = asStatusError(cause);
  assert.equal(e.code, 500);
  assert.equal(e.reason, 'InternalError');
  assert.equal(e.message, 'Internal error occurred: disk on fire');
  assert.equal(e.cause, cause);
  const same = notFound('revisions', 'r');
  assert.equal(asStatusError(same), same);
});
