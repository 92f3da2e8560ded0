// Query parameters of list/watch/get/delete/create/update/patch decoded and validated as the apiserver does
// (apimachinery pkg/apis/meta/v1 url.Values conversions, internalversion/validation, meta/v1/validation; apiserver handlers).

import {
  badRequest, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, fieldTooLong, invalid,
} from './errors.ts';
import type { FieldProblem } from './errors.ts';
import { byteLength } from './names.ts';
import { goRuneU, isGoPrint, parseGoBool, parseGoInt64 } from './gotext.ts';
import { FieldSelector, LabelSelector, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.ts';
import type { FieldSelectableKind } from './selectors.ts';

/** Decoded query parameters: every value of every key, in order. */
export type QueryValues = ReadonlyMap<string, readonly string[]>;

function unescapeQueryComponent(s: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (c === '+') {
      bytes.push(0x20);
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * url.ParseQuery as req.URL.Query() uses it: pairs split on '&', '+' is a space, and a pair that holds a ';' or a
 * bad %-escape is dropped rather than failing the request.
 */
export function parseQueryString(raw: string): QueryValues {
  const out = new Map<string, string[]>();
  const q = raw.startsWith('?') ? raw.slice(1) : raw;
  for (const pair of q.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const k = unescapeQueryComponent(eq < 0 ? pair : pair.slice(0, eq));
    const v = unescapeQueryComponent(eq < 0 ? '' : pair.slice(eq + 1));
    if (k === undefined || v === undefined) continue;
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

/** What the parsers accept: a raw query string (with or without '?'), URLSearchParams, or already-parsed values. */
export type QueryInput = string | URLSearchParams | QueryValues;

function toValues(q: QueryInput): QueryValues {
  if (typeof q === 'string') return parseQueryString(q);
  if (q instanceof URLSearchParams) {
    const out = new Map<string, string[]>();
    for (const [k, v] of q) {
      const list = out.get(k);
      if (list) list.push(v);
      else out.set(k, [v]);
    }
    return out;
  }
  return q;
}

const first = (q: QueryValues, key: string): string | undefined => {
  const vs = q.get(key);
  return vs !== undefined && vs.length > 0 ? vs[0] : undefined;
};

/**
 * Convert_Slice_string_To_bool: absent is false; "0" and any case of "false" are false; anything else, even "" or
 * "True" or "yes", is true. The apiserver never refuses a boolean query parameter.
 */
export function queryBool(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !(value === '0' || value.toLowerCase() === 'false');
}

function queryInt(value: string, fn = 'ParseInt'): number {
  try {
    return Number(parseGoInt64(value, fn));
  } catch (err) {
    throw badRequest((err as Error).message, err);
  }
}

const optionalBool = (q: QueryValues, key: string): boolean | undefined => {
  const v = first(q, key);
  return v === undefined ? undefined : queryBool(v);
};

/** metav1.ResourceVersionMatch values. */
export type ResourceVersionMatch = 'NotOlderThan' | 'Exact';

/** metainternalversion.ListOptions after decoding, defaulting, validation and the kind's field conversion. */
export interface ListOptions {
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  watch: boolean;
  allowWatchBookmarks: boolean;
  resourceVersion: string;
  /** '' when not given; any other string is refused by validation. */
  resourceVersionMatch: '' | ResourceVersionMatch;
  timeoutSeconds?: number;
  /** 0 (or negative) means no limit, as the storage layer reads it. */
  limit: number;
  continue: string;
  sendInitialEvents?: boolean;
}

/** What the caller knows about the request beyond its query string. */
export interface ListRequestContext {
  /** The kind's field-label conversion; without it every field label is accepted as is. */
  fields?: FieldSelectableKind;
  /** The object name in the URL, for a watch of one object (GET .../services/NAME?watch=true). */
  name?: string;
  /** The WatchList feature gate (on by default since Kubernetes 1.34): watches from "" or "0" get initial events. */
  watchList?: boolean;
}

const LIST_OPTIONS = { group: 'meta.k8s.io', kind: 'ListOptions' };

/** internalversion/validation ValidateListOptions (and validateWatchOptions for watches). */
function validateListOptions(o: ListOptions, watchList: boolean): FieldProblem[] {
  const errs: FieldProblem[] = [];
  const match = o.resourceVersionMatch as string;
  if (o.watch) {
    if (o.sendInitialEvents !== undefined) {
      if (match !== 'NotOlderThan') errs.push(fieldForbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
      if (!watchList) errs.push(fieldForbidden('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'));
    }
    if (match.length > 0) {
      if (o.sendInitialEvents === undefined) errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      if (match !== 'NotOlderThan') errs.push(fieldNotSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (o.continue.length > 0) errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
    return errs;
  }
  if (match.length > 0) {
    if (o.resourceVersion.length === 0) errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (o.continue.length > 0) errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(fieldNotSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && o.resourceVersion === '0') errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (o.sendInitialEvents !== undefined) errs.push(fieldForbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return errs;
}

/**
 * The list/watch handler's listOpts: decode (400 on a bad number or selector), default (WatchList), validate
 * (422 `ListOptions.meta.k8s.io "" is invalid: ...`), convert field labels for the kind (400), and fold the URL's
 * object name into the field selector. Throws StatusError.
 */
export function parseListOptions(query: QueryInput, ctx: ListRequestContext = {}): ListOptions {
  const q = toValues(query);
  // The url.Values → v1.ListOptions conversion runs field by field in struct order; numbers are the only failures.
  const timeout = first(q, 'timeoutSeconds');
  const limit = first(q, 'limit');
  const opts: ListOptions = {
    labelSelector: new LabelSelector([]),
    fieldSelector: new FieldSelector([]),
    watch: queryBool(first(q, 'watch')),
    allowWatchBookmarks: queryBool(first(q, 'allowWatchBookmarks')),
    resourceVersion: first(q, 'resourceVersion') ?? '',
    resourceVersionMatch: (first(q, 'resourceVersionMatch') ?? '') as ListOptions['resourceVersionMatch'],
    limit: 0,
    continue: '',
  };
  if (timeout !== undefined) opts.timeoutSeconds = queryInt(timeout);
  if (limit !== undefined) opts.limit = queryInt(limit);
  opts.continue = first(q, 'continue') ?? '';
  const sendInitialEvents = optionalBool(q, 'sendInitialEvents');
  if (sendInitialEvents !== undefined) opts.sendInitialEvents = sendInitialEvents;
  // v1 → internal: the selectors are parsed here.
  try {
    opts.labelSelector = parseLabelSelector(first(q, 'labelSelector') ?? '');
    opts.fieldSelector = parseFieldSelector(first(q, 'fieldSelector') ?? '');
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message, err);
    throw err;
  }
  const watchList = ctx.watchList ?? true;
  // internalversion.SetListOptionsDefaults.
  if (watchList && opts.sendInitialEvents === undefined && opts.resourceVersionMatch === '' && opts.watch
    && (opts.resourceVersion === '' || opts.resourceVersion === '0')) {
    opts.sendInitialEvents = true;
    opts.resourceVersionMatch = 'NotOlderThan';
  }
  const errs = validateListOptions(opts, watchList);
  if (errs.length > 0) throw invalid(LIST_OPTIONS, '', errs);
  if (ctx.fields !== undefined) {
    const kind = ctx.fields;
    try {
      opts.fieldSelector = opts.fieldSelector.transform((l, v) => kind.convert(l, v));
    } catch (err) {
      if (err instanceof SelectorError) throw badRequest(err.message, err);
      throw err;
    }
  }
  if (ctx.name !== undefined) {
    if (!opts.fieldSelector.empty()) {
      if (opts.fieldSelector.requiresExactMatch('metadata.name') !== ctx.name) {
        throw badRequest("fieldSelector metadata.name doesn't match requested name");
      }
    } else {
      opts.fieldSelector = new FieldSelector([{ field: 'metadata.name', operator: '=', value: ctx.name }]);
    }
  }
  return opts;
}

/** GetOptions: only resourceVersion, which never fails to decode. */
export function parseGetOptions(query: QueryInput): { resourceVersion: string } {
  return { resourceVersion: first(toValues(query), 'resourceVersion') ?? '' };
}

/** DeleteOptions.propagationPolicy values. */
export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

/** metav1.DeleteOptions as the delete handler hands it to storage. */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
  propagationPolicy?: PropagationPolicy;
  dryRun?: string[];
}

/** metav1/validation ValidateDryRun: only "All" is a dry-run value. */
function validateDryRun(dryRun: readonly string[] | undefined): FieldProblem[] {
  if (dryRun === undefined || dryRun.every((v) => v === 'All')) return [];
  return [fieldNotSupported('dryRun', dryRun, ['All'])];
}

function validateFieldManager(fieldManager: string): FieldProblem[] {
  const errs: FieldProblem[] = [];
  if (byteLength(fieldManager) > 128) errs.push(fieldTooLong('fieldManager', 128));
  let pos = 0; // Go ranges over a string by byte offset
  for (const ch of fieldManager) {
    if (!isGoPrint(ch)) errs.push(fieldInvalid('fieldManager', fieldManager, `invalid character ${goRuneU(ch)} (at position ${pos})`));
    pos += byteLength(ch);
  }
  return errs;
}

/** metav1.FieldValidation values; "" means the handler's default, Warn. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

function validateFieldValidation(v: string): FieldProblem[] {
  if (v === '' || v === 'Ignore' || v === 'Warn' || v === 'Strict') return [];
  return [fieldNotSupported('fieldValidation', v, ['', 'Ignore', 'Strict', 'Warn'])];
}

const typeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v;

/** encoding/json's UnmarshalTypeError text for a DeleteOptions body field of the wrong JSON type. */
function bodyTypeError(field: string, value: unknown, goType: string): never {
  throw badRequest(`json: cannot unmarshal ${typeName(value)} into Go struct field DeleteOptions.${field} of type ${goType}`);
}

/**
 * The delete handler: a DeleteOptions body (already parsed JSON) wins over the query; otherwise the query is decoded
 * (400 on a bad gracePeriodSeconds). Then ValidateDeleteOptions (422 `DeleteOptions.meta.k8s.io "" is invalid: ...`).
 */
export function parseDeleteOptions(query: QueryInput, body?: Readonly<Record<string, unknown>>): DeleteOptions {
  const opts: DeleteOptions = {};
  let policy: string | undefined;
  if (body !== undefined) {
    const g = body.gracePeriodSeconds;
    if (g !== undefined && g !== null) {
      if (typeof g !== 'number' || !Number.isInteger(g)) bodyTypeError('gracePeriodSeconds', g, 'int64');
      opts.gracePeriodSeconds = g;
    }
    const pre = body.preconditions;
    if (pre !== undefined && pre !== null) {
      if (typeof pre !== 'object' || Array.isArray(pre)) bodyTypeError('preconditions', pre, 'v1.Preconditions');
      const p = pre as Record<string, unknown>;
      opts.preconditions = {};
      if (typeof p.uid === 'string') opts.preconditions.uid = p.uid;
      if (typeof p.resourceVersion === 'string') opts.preconditions.resourceVersion = p.resourceVersion;
    }
    const orphan = body.orphanDependents;
    if (orphan !== undefined && orphan !== null) {
      if (typeof orphan !== 'boolean') bodyTypeError('orphanDependents', orphan, 'bool');
      opts.orphanDependents = orphan;
    }
    const pp = body.propagationPolicy;
    if (pp !== undefined && pp !== null) {
      if (typeof pp !== 'string') bodyTypeError('propagationPolicy', pp, 'v1.DeletionPropagation');
      policy = pp;
    }
    const dr = body.dryRun;
    if (dr !== undefined && dr !== null) {
      if (!Array.isArray(dr) || !dr.every((x) => typeof x === 'string')) bodyTypeError('dryRun', dr, '[]string');
      opts.dryRun = dr as string[];
    }
  } else {
    const q = toValues(query);
    const g = first(q, 'gracePeriodSeconds');
    if (g !== undefined) opts.gracePeriodSeconds = queryInt(g);
    const orphan = optionalBool(q, 'orphanDependents');
    if (orphan !== undefined) opts.orphanDependents = orphan;
    policy = first(q, 'propagationPolicy');
    const dr = q.get('dryRun');
    if (dr !== undefined && dr.length > 0) opts.dryRun = [...dr];
  }
  const errs: FieldProblem[] = [];
  if (opts.orphanDependents !== undefined && policy !== undefined) {
    errs.push(fieldInvalid('propagationPolicy', policy, 'orphanDependents and deletionPropagation cannot be both set'));
  }
  if (policy !== undefined && policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
    errs.push(fieldNotSupported('propagationPolicy', policy, ['Foreground', 'Background', 'Orphan', 'nil']));
  }
  errs.push(...validateDryRun(opts.dryRun));
  if (errs.length > 0) throw invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', errs);
  if (policy !== undefined) opts.propagationPolicy = policy as PropagationPolicy;
  return opts;
}

/** CreateOptions / UpdateOptions / PatchOptions after validation; fieldValidation already defaulted to Warn. */
export interface WriteOptions {
  dryRun?: string[];
  fieldManager: string;
  fieldValidation: FieldValidation;
  /** PatchOptions only. */
  force?: boolean;
}

/** The Content-Type of a server-side apply patch. */
export const APPLY_PATCH_TYPES: readonly string[] = ['application/apply-patch+yaml', 'application/apply-patch+cbor'];

/**
 * Create, update and patch options: decode, then ValidateCreateOptions / ValidateUpdateOptions / ValidatePatchOptions
 * (422 `CreateOptions.meta.k8s.io "" is invalid: ...`). For patches pass the request's patch Content-Type.
 */
export function parseWriteOptions(query: QueryInput, verb: 'create' | 'update' | 'patch', patchType = ''): WriteOptions {
  const q = toValues(query);
  const dr = q.get('dryRun');
  const opts: WriteOptions = {
    fieldManager: first(q, 'fieldManager') ?? '',
    fieldValidation: 'Warn',
  };
  if (dr !== undefined && dr.length > 0) opts.dryRun = [...dr];
  const fieldValidation = first(q, 'fieldValidation') ?? '';
  const errs: FieldProblem[] = [];
  if (verb === 'patch') {
    const force = optionalBool(q, 'force');
    if (APPLY_PATCH_TYPES.includes(patchType)) {
      if (opts.fieldManager === '') errs.push(fieldRequired('fieldManager', 'is required for apply patch'));
      if (force !== undefined) opts.force = force;
    } else if (force !== undefined) {
      errs.push(fieldForbidden('force', 'may not be specified for non-apply patch'));
    }
  }
  errs.push(...validateFieldManager(opts.fieldManager), ...validateDryRun(opts.dryRun), ...validateFieldValidation(fieldValidation));
  const kind = verb === 'create' ? 'CreateOptions' : verb === 'update' ? 'UpdateOptions' : 'PatchOptions';
  if (errs.length > 0) throw invalid({ group: 'meta.k8s.io', kind }, '', errs);
  if (fieldValidation !== '') opts.fieldValidation = fieldValidation as FieldValidation;
  return opts;
}

/** True when the request asks for a dry run (the handlers test only for the parameter's presence). */
export const isDryRun = (query: QueryInput): boolean => (toValues(query).get('dryRun')?.length ?? 0) > 0;

/**
 * negotiation isPrettyPrint: `pretty` read with strconv.ParseBool (unparseable is false, never an error); without it,
 * curl, Wget and browsers get indented output.
 */
export function isPrettyPrint(query: QueryInput, userAgent = ''): boolean {
  const pp = first(toValues(query), 'pretty');
  if (pp !== undefined && pp.length > 0) return parseGoBool(pp) ?? false;
  return userAgent.startsWith('curl') || userAgent.startsWith('Wget') || userAgent.startsWith('Mozilla/5.0');
}
