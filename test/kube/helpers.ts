// Helpers shared by the src/kube tests: the StatusError a call throws, and the fieldsV1 of their nginx container.

import assert from 'node:assert/strict';
import { StatusError } from '../../src/kube/errors.ts';

/** The StatusError `fn` throws; the test fails when it returns or throws anything else. */
export function refusal(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StatusError, String(err));
    return err;
  }
  assert.fail('expected a StatusError');
}

/** The `f:containers` set of a pod template whose one container `nginx` has an image and the given ports set. */
export function nginxContainerFields(ports: Record<string, unknown>): Record<string, unknown> {
  return { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': ports } };
}
