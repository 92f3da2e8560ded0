// The Kubernetes `Status` objects the write verbs answer with, and an Error that carries one.
//
// Shapes and texts follow k8s.io/apimachinery `pkg/api/errors` (NewBadRequest, NewInvalid,
// NewNotFound, NewApplyConflict, NewGenericServerResponse) and k8s.io/apiserver
// `pkg/endpoints/handlers/negotiation` (errUnsupportedMediaType).

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

/** A `meta/v1` Status with status Failure, as written on the wire. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  /** Omitted (Go's omitempty) for errors that are not API status errors. */
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An error the API server should answer with `status` (HTTP code `status.code`). */
export class KubeStatusError extends Error {
  readonly status: KubeStatus;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'KubeStatusError';
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      ...(reason ? { reason } : {}),
      ...(details ? { details } : {}),
      code,
    };
  }
}

export function badRequest(message: string): KubeStatusError {
  return new KubeStatusError(400, 'BadRequest', message);
}

/** 415 as the apiserver's content negotiation answers it. */
export function unsupportedMediaType(accepted: readonly string[]): KubeStatusError {
  return new KubeStatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 422 from NewGenericServerResponse: the apiserver's text for a JSON patch that cannot be applied. */
export function unprocessablePatch(): KubeStatusError {
  return new KubeStatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

export function notFound(group: string, resource: string, name: string): KubeStatusError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new KubeStatusError(404, 'NotFound', `${qualified} "${name}" not found`, {
    name,
    ...(group ? { group } : {}),
    kind: resource,
  });
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
export function invalidOptions(kind: string, errors: FieldError[]): KubeStatusError {
  const list = errors.map((e) => `${e.field}: ${e.body}`);
  const aggregate = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new KubeStatusError(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${aggregate}`, {
    group: 'meta.k8s.io',
    kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.body, field: e.field })),
  });
}
