// A refused API request: a Kubernetes Status reason and HTTP code with its message.

/** Thrown by the API server and admission; rendered as a Kubernetes `Status` object. */
export class StatusError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}
