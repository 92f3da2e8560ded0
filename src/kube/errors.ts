// Kubernetes field errors (k8s.io/apimachinery/pkg/util/validation/field) and the request errors the apiserver answers with.

import { goJSON, goQuote } from './gotext.ts';
import { StatusError, badRequest, type StatusDetails } from '../api/status-error.ts';

export { StatusError, badRequest };
/** One entry of a Status's `details.causes`. */
export type StatusCause = NonNullable<StatusDetails['causes']>[number];

/** field.ErrorType: the value that lands in `details.causes[].reason`. */
export type FieldErrorType =
  | 'FieldValueNotFound' | 'FieldValueRequired' | 'FieldValueDuplicate' | 'FieldValueInvalid'
  | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany'
  | 'InternalError' | 'FieldValueTypeInvalid';

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/** A bad value already rendered the way Go prints it (for Go structs, whose JSON keeps field order). */
export class GoRendered {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** One field.Error: a type, the field path as a string, the offending value and a detail. */
export interface FieldProblem {
  type: FieldErrorType;
  field: string;
  badValue?: unknown;
  detail: string;
}

export const fieldInvalid = (field: string, badValue: unknown, detail: string): FieldProblem =>
  ({ type: 'FieldValueInvalid', field, badValue, detail });
export const fieldRequired = (field: string, detail: string): FieldProblem =>
  ({ type: 'FieldValueRequired', field, detail });
export const fieldForbidden = (field: string, detail: string): FieldProblem =>
  ({ type: 'FieldValueForbidden', field, detail });
/** field.TooLong: "may not be more than N bytes" (Kubernetes 1.32 and later). */
export const fieldTooLong = (field: string, maxLength: number): FieldProblem =>
  ({ type: 'FieldValueTooLong', field, detail: `may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}` });
/** field.NotSupported: the valid values quoted and comma-separated. */
export function fieldNotSupported(field: string, badValue: unknown, valid: readonly string[]): FieldProblem {
  const detail = valid.length > 0 ? `supported values: ${valid.map(goQuote).join(', ')}` : '';
  return { type: 'FieldValueNotSupported', field, badValue, detail };
}

/** Error.ErrorBody: "Invalid value: \"x\": detail"; strings as %q, numbers and booleans bare, the rest as JSON. */
export function errorBody(e: FieldProblem): string {
  let s = TYPE_TEXT[e.type];
  switch (e.type) {
    case 'FieldValueRequired': case 'FieldValueForbidden': case 'FieldValueTooLong': case 'InternalError':
      break;
    default: {
      const v = e.badValue;
      if (v instanceof GoRendered) s += `: ${v.text}`;
      else if (typeof v === 'string') s += `: ${goQuote(v)}`;
      else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') s += `: ${String(v)}`;
      else s += `: ${goJSON(v ?? null)}`;
    }
  }
  return e.detail.length > 0 ? `${s}: ${e.detail}` : s;
}

/** Error.Error: "field: body". */
export const fieldErrorString = (e: FieldProblem): string => `${e.field}: ${errorBody(e)}`;

/** ErrorList.ToAggregate().Error(): duplicates dropped, one error bare, several as "[a, b]". */
export function aggregateMessage(errs: readonly FieldProblem[]): string {
  const seen = new Set<string>();
  for (const e of errs) seen.add(fieldErrorString(e));
  const msgs = [...seen];
  return msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
}

/** errors.NewResourceExpired (410, reason Expired). */
export const resourceExpired = (message: string, continueToken?: string): StatusError =>
  new StatusError(410, 'Expired', message, { continueToken });

/** A group and kind as GroupKind.String() prints them: "Service.serving.knative.dev", or "Namespace" for the core group. */
export interface GroupKind {
  group: string;
  kind: string;
}

export const groupKindString = (gk: GroupKind): string => gk.group === '' ? gk.kind : `${gk.kind}.${gk.group}`;

/** The causes list of errors.NewInvalid: reason = field error type, message = ErrorBody, field = path. */
export const statusCauses = (errs: readonly FieldProblem[]): StatusCause[] =>
  errs.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field }));

/** The message of errors.NewInvalid: `Kind.group "name" is invalid: <aggregate>`. */
export function invalidMessage(gk: GroupKind, name: string, errs: readonly FieldProblem[]): string {
  const head = `${groupKindString(gk)} ${goQuote(name)} is invalid`;
  return errs.length === 0 ? head : `${head}: ${aggregateMessage(errs)}`;
}

/** errors.NewInvalid: 422 Invalid with the causes in `details`. */
export function invalid(gk: GroupKind, name: string, errs: readonly FieldProblem[]): StatusError {
  return new StatusError(422, 'Invalid', invalidMessage(gk, name, errs), {
    // Go omits empty strings from StatusDetails.
    details: { ...(name === '' ? {} : { name }), ...(gk.group === '' ? {} : { group: gk.group }), kind: gk.kind, causes: statusCauses(errs) },
  });
}
