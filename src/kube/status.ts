// The Kubernetes `Status` objects the write verbs answer with, and an Error that carries one.
//
// Shapes and texts follow k8s.io/apimachinery `pkg/api/errors` (NewBadRequest, NewInvalid,
// NewNotFound, NewApplyConflict, NewGenericServerResponse) and k8s.io/apiserver
// `pkg/endpoints/handlers/negotiation` (errUnsupportedMediaType).

import { StatusError, type StatusDetails } from '../api/status-error.ts';

export { StatusError };

export { badRequest } from '../api/status-error.ts';

/** 415 as the apiserver's content negotiation answers it. */
export function unsupportedMediaType(accepted: readonly string[]): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 422 from NewGenericServerResponse: the apiserver's text for a JSON patch that cannot be applied. */
export function unprocessablePatch(): StatusError {
  return new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', { details: {} });
}

export function notFound(group: string, resource: string, name: string): StatusError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new StatusError(404, 'NotFound', `${qualified} "${name}" not found`, { details: {
    name,
    ...(group ? { group } : {}),
    kind: resource,
  } });
}

/** One field error as k8s.io/apimachinery `pkg/util/validation/field` prints it. */
export interface FieldError {
  field: string;
  /** e.g. FieldValueRequired, FieldValueForbidden, FieldValueNotSupported */
  reason: string;
  /** e.g. `Required value: is required for apply patch` */
  body: string;
}

/** NewInvalid for an options kind such as PatchOptions.meta.k8s.io. */
export function invalidOptions(kind: string, errors: FieldError[]): StatusError {
  const list = errors.map((e) => `${e.field}: ${e.body}`);
  const aggregate = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new StatusError(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${aggregate}`, { details: {
    group: 'meta.k8s.io',
    kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.body, field: e.field })),
  } });
}
