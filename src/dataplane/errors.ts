// The data plane's closed set of errors: a stable KNIT_ERR_* code, the HTTP status and the one body text of each answer knit writes itself.

import type { TimeoutKind } from './timeouts.ts';

/** Seconds a client is asked to wait (Retry-After) when a queue is full. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * Every answer the gateway gives on its own, by code. The texts without a `knit:` prefix are
 * Knative's: the activator writes Go's error text with 503 for a full breaker queue or an expired
 * wait (knative/serving pkg/activator/handler/handler.go ServeHTTP, pkg/queue/breaker.go
 * ErrRequestQueueFull), and the timeout handler answers 504 "request timeout"
 * (knative/serving pkg/http/handler/timeout.go, as pkg/queue/sharedmain/handlers.go installs it).
 */
export const DATA_PLANE_ERRORS = {
  /** No route programs the Host (the ingress answers 404). */
  KNIT_ERR_NO_ROUTE: { status: 404 },
  /** Tag-header routing is on and the `Knative-Serving-Tag` names no tag of the host. */
  KNIT_ERR_NO_TAG: { status: 404 },
  /** The host's picked revision has no dispatcher (not yet, or no longer, run by this knit). */
  KNIT_ERR_UNAVAILABLE: { status: 503 },
  /** The revision's queue (or knit's bound over all queues) is full: retry after a moment. */
  KNIT_ERR_QUEUE_FULL: { status: 503 },
  /** A request waited for an instance longer than it may. */
  KNIT_ERR_QUEUE_TIMEOUT: { status: 503 },
  /** The revision was removed (or knit stopped) while the request waited. */
  KNIT_ERR_REVISION_GONE: { status: 503 },
  /** The request is malformed in a way Node's parser lets through but HTTP/1.1 forbids (RFC 9112 §3.2: Host). */
  KNIT_ERR_BAD_REQUEST: { status: 400 },
  /** A request body in a transfer coding other than chunked, which knit cannot pass on (RFC 9112 §6.1). */
  KNIT_ERR_UNSUPPORTED_TRANSFER_CODING: { status: 501 },
  /** The instance could not be reached, or failed before a response started. */
  KNIT_ERR_UPSTREAM: { status: 502 },
  /** The revision's timeoutSeconds passed before the response started. */
  KNIT_ERR_TIMEOUT: { status: 504 },
  /** responseStartTimeoutSeconds passed with no response byte. */
  KNIT_ERR_RESPONSE_START_TIMEOUT: { status: 504 },
  /** idleTimeoutSeconds passed without a byte (before the response started). */
  KNIT_ERR_IDLE_TIMEOUT: { status: 504 },
} as const satisfies Record<string, { status: number }>;

export type DataPlaneErrorCode = keyof typeof DATA_PLANE_ERRORS;

/** One answer of the closed set; `body` is what the client reads, `headers` what goes with it. */
export class DataPlaneError extends Error {
  override readonly name = 'DataPlaneError';
  readonly code: DataPlaneErrorCode;
  readonly status: number;
  /** Seconds for the Retry-After header (only the queue-full answer has one). */
  readonly retryAfter: number | undefined;

  private constructor(code: DataPlaneErrorCode, message: string, options?: { cause?: unknown; retryAfter?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = DATA_PLANE_ERRORS[code].status;
    this.retryAfter = options?.retryAfter;
  }

  /** The response body (text/plain): the message and a newline. */
  get body(): string {
    return `${this.message}\n`;
  }

  /** Extra response headers (Retry-After on overload). */
  get headers(): Record<string, string> {
    return this.retryAfter === undefined ? {} : { 'retry-after': String(this.retryAfter) };
  }

  static noRoute(host: string): DataPlaneError {
    return new DataPlaneError('KNIT_ERR_NO_ROUTE', `knit: no service is routed for host "${host}"`);
  }

  static noTag(tag: string, host: string): DataPlaneError {
    return new DataPlaneError('KNIT_ERR_NO_TAG', `knit: no tag "${tag}" on host "${host}"`);
  }

  static unavailable(revision: string | undefined, host: string): DataPlaneError {
    return new DataPlaneError('KNIT_ERR_UNAVAILABLE', `knit: revision ${revision ?? '(none)'} of host "${host}" is not available`);
  }

  static queueFull(): DataPlaneError {
    return new DataPlaneError('KNIT_ERR_QUEUE_FULL', 'pending request queue full', { retryAfter: RETRY_AFTER_SECONDS });
  }

  static queueTimeout(): DataPlaneError {
    return new DataPlaneError('KNIT_ERR_QUEUE_TIMEOUT', 'context deadline exceeded');
  }

  static revisionGone(revision: string): DataPlaneError {
    return new DataPlaneError('KNIT_ERR_REVISION_GONE', `revision ${revision} is gone`);
  }

  /** `reason` in Go's words for the same refusal (net/http server.go readRequest: "too many Host headers"). */
  static badRequest(reason: string): DataPlaneError {
    return new DataPlaneError('KNIT_ERR_BAD_REQUEST', `400 Bad Request: ${reason}`);
  }

  /** Go's answer to the same request (net/http server.go, unsupportedTEError). */
  static unsupportedTransferCoding(): DataPlaneError {
    return new DataPlaneError('KNIT_ERR_UNSUPPORTED_TRANSFER_CODING', 'Unsupported transfer encoding');
  }

  /** The instance of `revision` failed with `cause` (a socket or parse error). */
  static upstream(revision: string, cause: Error): DataPlaneError {
    return new DataPlaneError('KNIT_ERR_UPSTREAM', `knit: error reaching revision ${revision}: ${cause.message}`, { cause });
  }

  static timeout(kind: TimeoutKind): DataPlaneError {
    switch (kind) {
      case 'total':
        return new DataPlaneError('KNIT_ERR_TIMEOUT', 'request timeout');
      case 'responseStart':
        return new DataPlaneError('KNIT_ERR_RESPONSE_START_TIMEOUT', 'request timeout: no response started');
      case 'idle':
        return new DataPlaneError('KNIT_ERR_IDLE_TIMEOUT', 'request timeout: response idle');
    }
  }
}

/** Tries per request, the first included. */
export const MAX_ATTEMPTS = 3;

/**
 * The data plane's one retry rule: a request goes to an instance again only after a connection error
 * (`retriable`), when it has no body (nothing of it can be lost or sent twice), before any response
 * byte came back, and at most MAX_ATTEMPTS times in all.
 */
export function mayRetry(err: NodeJS.ErrnoException, attempts: number, hasBody: boolean, responseStarted: boolean): boolean {
  return retriable(err) && !hasBody && !responseStarted && attempts < MAX_ATTEMPTS;
}

/** Connection errors after which a request that sent no body may go to another instance. */
export function retriable(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' || err.code === 'EPIPE';
}
