// The one error type for a refused API request: a Kubernetes `Status` (reason, HTTP code, message), shared by the store, the API server, admission and the CLI.

/** The wire form of a failed request, as the Kubernetes apiserver writes it (k8s.io/apimachinery pkg/apis/meta/v1 types.go `Status`). */
export interface Status {
  kind?: string;
  apiVersion?: string;
  metadata?: Record<string, unknown>;
  status?: string;
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code?: number;
}

/** `Status.details` (k8s.io/apimachinery pkg/apis/meta/v1 types.go `StatusDetails`). */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
  retryAfterSeconds?: number;
}

export interface StatusErrorOptions {
  details?: StatusDetails;
  /** `metadata.continue` of the Status (a 410 for a compacted continue token carries a fresh one). */
  continueToken?: string;
  /** The error this one reports (kept for logs; never sent to the client). */
  cause?: unknown;
}

/**
 * A request refused with a Kubernetes Status. The server renders it with `toStatus()`; the client
 * rebuilds it with `fromStatus()`, so both sides test errors with the same helpers
 * (`isNotFound`, `isConflict`, ...), as k8s.io/apimachinery pkg/api/errors errors.go does with `StatusError`.
 */
export class StatusError extends Error {
  override readonly name = 'StatusError';
  readonly code: number;
  /** A Kubernetes StatusReason (`NotFound`, `Conflict`, ...); empty when the server gave none. */
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  readonly continueToken: string | undefined;

  constructor(code: number, reason: string, message: string, options: StatusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = reason;
    this.details = options.details;
    this.continueToken = options.continueToken;
  }

  /** The response body the apiserver writes for this error (field order as in its JSON). */
  toStatus(): Status & { kind: 'Status'; apiVersion: 'v1'; status: 'Failure'; message: string; code: number } {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: this.continueToken === undefined ? {} : { continue: this.continueToken },
      status: 'Failure',
      message: this.message,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }

  /** The error a client reads from a Status body; `httpCode` stands in for a missing `code`. */
  static fromStatus(status: Status, httpCode: number): StatusError {
    const details = status.details && typeof status.details === 'object' ? status.details : undefined;
    return new StatusError(
      typeof status.code === 'number' ? status.code : httpCode,
      typeof status.reason === 'string' ? status.reason : '',
      typeof status.message === 'string' ? status.message : `the server responded with HTTP status ${httpCode}`,
      { details },
    );
  }
}

/** `services.serving.knative.dev` style qualified resource names, as in `"x" not found` messages. */
export function qualifiedResource(resource: string): string {
  // Store keys (kube/registry.ts storageKeyOf): Knative's plurals, else GROUP.PLURAL with `core` for the core group.
  const dot = resource.lastIndexOf('.');
  if (dot < 0) return `${resource}.serving.knative.dev`;
  const group = resource.slice(0, dot);
  const plural = resource.slice(dot + 1);
  return group === 'core' ? plural : `${plural}.${group}`;
}

// Constructors with the apiserver's texts (k8s.io/apimachinery pkg/api/errors errors.go NewNotFound, NewAlreadyExists, ...).

/** 404 NotFound: `services.serving.knative.dev "x" not found`. */
export function notFound(resource: string, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedResource(resource)} "${name}" not found`);
}

/** 409 AlreadyExists: `services.serving.knative.dev "x" already exists`. */
export function alreadyExists(resource: string, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualifiedResource(resource)} "${name}" already exists`);
}

/** 409 Conflict: `Operation cannot be fulfilled on services.serving.knative.dev "x": WHY`. */
export function conflict(resource: string, name: string, why: string): StatusError {
  return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(resource)} "${name}": ${why}`);
}

/** 422 Invalid with the whole message given (admission writes Knative's webhook text). */
export function invalid(message: string): StatusError {
  return new StatusError(422, 'Invalid', message);
}

/** 400 BadRequest. */
export function badRequest(message: string, cause?: unknown): StatusError {
  return new StatusError(400, 'BadRequest', message, { cause });
}

/** 410 Gone (a watch asked for a resourceVersion older than the kept history). */
export function gone(message: string): StatusError {
  return new StatusError(410, 'Gone', message);
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(message: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', message);
}

/** 500 InternalError wrapping an unexpected failure: `Internal error occurred: MESSAGE`. */
export function internalError(err: unknown): StatusError {
  const message = err instanceof Error ? err.message : String(err);
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { cause: err });
}

/** `err` as a StatusError: itself when it is one, else a 500 InternalError that wraps it. */
export function asStatusError(err: unknown): StatusError {
  return err instanceof StatusError ? err : internalError(err);
}

// Predicates in the style of k8s.io/apimachinery pkg/api/errors errors.go (IsNotFound, IsConflict, ...): a
// matching reason, or the matching HTTP code when the reason is not one of the known ones (knownReasons).

const KNOWN_REASONS = new Set([
  'Unauthorized', 'Forbidden', 'NotFound', 'AlreadyExists', 'Conflict', 'Gone', 'Invalid', 'ServerTimeout',
  'StoreReadError', 'Timeout', 'TooManyRequests', 'BadRequest', 'MethodNotAllowed', 'NotAcceptable',
  'RequestEntityTooLarge', 'UnsupportedMediaType', 'InternalError', 'Expired', 'ServiceUnavailable',
]);

function is(err: unknown, reason: string, code: number): boolean {
  if (!(err instanceof StatusError)) return false;
  return err.reason === reason || (!KNOWN_REASONS.has(err.reason) && err.code === code);
}

/** True for 404 NotFound. */
export function isNotFound(err: unknown): boolean {
  return is(err, 'NotFound', 404);
}

/** True for 409 Conflict (a stale resourceVersion or a failed precondition), not AlreadyExists. */
export function isConflict(err: unknown): boolean {
  return is(err, 'Conflict', 409);
}

/** True for 409 AlreadyExists. */
export function isAlreadyExists(err: unknown): boolean {
  return is(err, 'AlreadyExists', 409);
}

/** True for 410 Gone (a watch must start over from a fresh list). */
export function isGone(err: unknown): boolean {
  return is(err, 'Gone', 410);
}

/** True for 422 Invalid. */
export function isInvalid(err: unknown): boolean {
  return is(err, 'Invalid', 422);
}
