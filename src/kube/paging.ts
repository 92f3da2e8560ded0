// limit/continue paging and resourceVersion/resourceVersionMatch semantics of list and watch, as the apiserver's
// storage has them (apiserver pkg/storage/continue.go, interfaces.go ValidateListOptions, etcd3/store.go GetList,
// etcd3/errors.go, cacher/watch_cache.go): pure functions over plain objects and the store's revisions.

import { badRequest, fieldInvalid, aggregateMessage, StatusError, resourceExpired } from './errors.ts';
import { GoNumError, parseGoUint64 } from './gotext.ts';
import { checkJSONSyntax } from './json-safety.ts';

/** The only continue-token version the apiserver writes and reads. */
const TOKEN_VERSION = 'meta.k8s.io/v1';

// ---------------------------------------------------------------------------------------------------------------
// Continue tokens

/** EncodeContinue: base64url (no padding) of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key after the last item>"}`. */
export function encodeContinue(startKey: string, resourceVersion: number): string {
  // json.Marshal escapes <, > and & (and U+2028/9); JSON.stringify already escapes control characters as Go does.
  const start = JSON.stringify(startKey).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const json = `{"v":"${TOKEN_VERSION}","rv":${resourceVersion},"start":${start}}`;
  return Buffer.from(json, 'utf8').toString('base64url');
}

const B64URL = /^[A-Za-z0-9_-]$/;

/** base64.RawURLEncoding.DecodeString: newlines ignored, anything else outside the alphabet (even '=') is corrupt. */
function decodeRawURLBase64(s: string): Buffer {
  let clean = '';
  let quantumStart = 0;
  let inQuantum = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\r' || c === '\n') continue;
    if (!B64URL.test(c)) throw new Error(`illegal base64 data at input byte ${i}`);
    if (inQuantum === 0) quantumStart = i;
    inQuantum = (inQuantum + 1) % 4;
    clean += c;
  }
  if (inQuantum === 1) throw new Error(`illegal base64 data at input byte ${quantumStart}`);
  return Buffer.from(clean, 'base64url');
}

/** path.Clean for a rooted path. */
function cleanRooted(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

const jsonKind = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;

/** json.Unmarshal into continueToken: keys match case-insensitively, wrong types give UnmarshalTypeError's text. */
function unmarshalToken(text: string): { v: string; rv: number; start: string } {
  const raw: unknown = JSON.parse(text);
  if (raw === null) return { v: '', rv: 0, start: '' };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`json: cannot unmarshal ${jsonKind(raw)} into Go value of type storage.continueToken`);
  const token = { v: '', rv: 0, start: '' };
  let typeError: string | undefined;
  const fieldOf = (key: string): 'v' | 'rv' | 'start' | undefined => {
    const lower = key.toLowerCase();
    return lower === 'v' || lower === 'rv' || lower === 'start' ? lower : undefined;
  };
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const field = fieldOf(key);
    if (field === undefined || value === null) continue;
    if (field === 'rv') {
      if (typeof value !== 'number') typeError ??= `json: cannot unmarshal ${jsonKind(value)} into Go struct field continueToken.rv of type int64`;
      else if (!Number.isSafeInteger(value)) typeError ??= `json: cannot unmarshal number ${String(value)} into Go struct field continueToken.rv of type int64`;
      else token.rv = value;
    } else if (typeof value !== 'string') {
      typeError ??= `json: cannot unmarshal ${jsonKind(value)} into Go struct field continueToken.${field} of type string`;
    } else {
      token[field] = value;
    }
  }
  if (typeError !== undefined) throw new Error(typeError);
  return token;
}

/** A decoded continue token: where the next page starts (relative to the list's scope) and at which revision. */
export interface ContinuePoint {
  startKey: string;
  /** The revision of the first page; -1 means "continue at the latest revision". */
  resourceVersion: number;
}

/** DecodeContinue, with the apiserver's 400 `invalid continue token: continue key is not valid...` on any problem. */
export function decodeContinue(token: string): ContinuePoint {
  const invalidToken = (detail: string, cause?: unknown): StatusError => badRequest(`invalid continue token: ${detail}`, cause);
  let text: string;
  try {
    text = decodeRawURLBase64(token).toString('utf8');
  } catch (err) {
    throw invalidToken(`continue key is not valid: ${(err as Error).message}`, err);
  }
  let t: { v: string; rv: number; start: string };
  try {
    checkJSONSyntax(Buffer.from(text, 'utf8'));
    t = unmarshalToken(text);
  } catch (err) {
    if (err instanceof Error) throw invalidToken(`continue key is not valid: ${err.message}`, err);
    throw err;
  }
  if (t.v !== TOKEN_VERSION) throw invalidToken(`continue key is not valid: server does not recognize this encoded version ${t.v}`);
  if (t.rv === 0) throw invalidToken('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (t.start.length === 0) throw invalidToken('continue key is not valid: encoded start key empty (version meta.k8s.io/v1)');
  // Path traversal defence: the start key must already be a clean path below the list's prefix.
  const key = t.start.startsWith('/') ? t.start : `/${t.start}`;
  if (cleanRooted(key) !== key) throw invalidToken(`continue key is not valid: ${t.start}`);
  return { startKey: key.slice(1), resourceVersion: t.rv };
}

// ---------------------------------------------------------------------------------------------------------------
// Planning a list

/** The paging part of a list request (see query.ts ListOptions). */
export interface ListPagingRequest {
  resourceVersion: string;
  resourceVersionMatch: '' | 'NotOlderThan' | 'Exact';
  limit: number;
  continue: string;
}

/**
 * What the store can serve: its latest revision and the oldest revision it can still list at (the compaction point).
 * A store that keeps no history passes `oldest = current`: continue tokens then stay valid until the next write.
 */
export interface StoreRevisions {
  current: number;
  oldest: number;
}

/** How to read the list: at which revision, from which key, how many items. */
export interface ListPlan {
  /** The revision to list at; also the list's `metadata.resourceVersion`. */
  readAt: number;
  /** First key to include (keys are compared bytewise, '' is the beginning). */
  startKey: string;
  /** 0 or less: everything. */
  limit: number;
}

const EXPIRED_LIST = 'The resourceVersion for the provided list is too old.';
/** etcd3/errors.go inconsistentContinue: the 410 for a continue token whose revision was compacted. */
export const INCONSISTENT_CONTINUE = 'The provided continue parameter is too old to display a consistent list result. '
  + 'You can start a new list without the continue parameter, or use the continue token in this response to retrieve '
  + 'the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that '
  + 'were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** storage.NewTooLargeResourceVersionError: 504 Timeout with a ResourceVersionTooLarge cause. */
export function tooLargeResourceVersion(minimum: number, current: number, retryAfterSeconds = 0): StatusError {
  return new StatusError(504, 'Timeout', `Timeout: Too large resource version: ${minimum}, current: ${current}`, {
    details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version', field: '' }], retryAfterSeconds },
  });
}

function parseResourceVersion(rv: string): number {
  if (rv === '' || rv === '0') return 0;
  try {
    return Number(parseGoUint64(rv));
  } catch (err) {
    if (!(err instanceof GoNumError)) throw err;
    // APIObjectVersioner.ParseResourceVersion wraps the strconv error in a field error list.
    throw badRequest(`invalid resource version: ${aggregateMessage([fieldInvalid('resourceVersion', rv, err.message)])}`, err);
  }
}

/**
 * storage.ValidateListOptions and GetList's revision checks: continue tokens (400 if bad, 410 with a fresh token if
 * compacted), resourceVersion parsing (400), Exact and legacy limit reads at a revision (410 if compacted), and
 * "Too large resource version" (504) when asking for a revision the store has not reached.
 */
export function planList(req: ListPagingRequest, revs: StoreRevisions): ListPlan {
  if (req.continue.length > 0) {
    const point = decodeContinue(req.continue);
    if (req.resourceVersion.length > 0 && req.resourceVersion !== '0') {
      throw badRequest('specifying resource version is not allowed when using continue');
    }
    if (point.resourceVersion < 0) return { readAt: revs.current, startKey: point.startKey, limit: req.limit };
    if (point.resourceVersion < revs.oldest) throw resourceExpired(INCONSISTENT_CONTINUE, encodeContinue(point.startKey, -1));
    if (point.resourceVersion > revs.current) throw tooLargeResourceVersion(point.resourceVersion, revs.current);
    return { readAt: point.resourceVersion, startKey: point.startKey, limit: req.limit };
  }
  if (req.resourceVersion.length === 0) return { readAt: revs.current, startKey: '', limit: req.limit };
  const rv = parseResourceVersion(req.resourceVersion);
  const exact = req.resourceVersionMatch === 'Exact' || (req.resourceVersionMatch === '' && req.limit > 0 && rv > 0);
  if (exact) {
    if (rv > revs.current) throw tooLargeResourceVersion(rv, revs.current);
    if (rv < revs.oldest) throw resourceExpired(EXPIRED_LIST);
    return { readAt: rv, startKey: '', limit: req.limit };
  }
  // NotOlderThan (or legacy without a limit): the latest revision, which must have reached rv.
  if (rv > revs.current) throw tooLargeResourceVersion(rv, revs.current);
  return { readAt: revs.current, startKey: '', limit: req.limit };
}

// ---------------------------------------------------------------------------------------------------------------
// Taking a page

/** The slice of a Kubernetes object paging needs. */
export interface ObjectWithMeta {
  metadata?: { name?: unknown; namespace?: unknown } | null;
}

/**
 * The storage key of an object below the list's prefix: its name when the list is in one namespace (or the kind is
 * cluster-scoped), `namespace/name` for a list across all namespaces. Items sort bytewise by this key.
 */
export function listKey(obj: ObjectWithMeta, listNamespace: string | undefined): string {
  const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : '';
  const ns = typeof obj.metadata?.namespace === 'string' ? obj.metadata.namespace : '';
  return listNamespace !== undefined || ns === '' ? name : `${ns}/${name}`;
}

const byteCompare = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** One page of a list plus its ListMeta fields. */
export interface ListPage<T> {
  items: T[];
  /** `metadata.resourceVersion` of the list. */
  resourceVersion: string;
  /** `metadata.continue`, when more keys follow. */
  continue?: string;
  /** `metadata.remainingItemCount`: only without a label or field selector, as etcd's count includes non-matches. */
  remainingItemCount?: number;
}

/**
 * GetList's page: the items at `plan.readAt` (the caller's snapshot, any order), from `plan.startKey`, filtered,
 * up to `plan.limit`. A continue token is returned whenever keys remain after the last item taken, even if none of
 * them would match, exactly as etcd paging does.
 */
export function takePage<T extends ObjectWithMeta>(
  items: readonly T[], plan: ListPlan, opts: { listNamespace?: string; matches?: (obj: T) => boolean } = {},
): ListPage<T> {
  const keyed = items.map((obj) => ({ key: listKey(obj, opts.listNamespace), obj }))
    .filter((e) => byteCompare(e.key, plan.startKey) >= 0)
    .sort((a, b) => byteCompare(a.key, b.key));
  const page: T[] = [];
  const paging = plan.limit > 0;
  let lastIndex = -1;
  for (let i = 0; i < keyed.length; i++) {
    if (paging && page.length >= plan.limit) break;
    lastIndex = i;
    if (opts.matches === undefined || opts.matches(keyed[i].obj)) page.push(keyed[i].obj);
  }
  const result: ListPage<T> = { items: page, resourceVersion: String(plan.readAt) };
  const hasMore = paging && lastIndex + 1 < keyed.length;
  if (hasMore) {
    result.continue = encodeContinue(`${keyed[lastIndex].key}\u0000`, plan.readAt);
    if (opts.matches === undefined) result.remainingItemCount = keyed.length - plan.limit;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Watches

/** Where a watch starts: after `from` (send changes with a greater revision), with or without the initial state. */
export interface WatchStart {
  from: number;
  initialEvents: boolean;
}

/** What a watch can be served from: the latest revision and the oldest event revision still held. */
export interface WatchRevisions {
  current: number;
  /** Revision of the oldest change event kept; a watch from `oldestEvent - 1` or later can be served. */
  oldestEvent: number;
}

/**
 * The watch cache's start rules (cacher/watch_cache.go): "" and "0" start at the latest revision with the current
 * objects as ADDED events (so does any watch with sendInitialEvents); a revision whose following events are gone
 * answers 410 Expired `too old resource version: N (oldestEvent-1)` (sent as the watch's ERROR event); one the store
 * has not reached answers "Too large resource version" with a 1 s retry.
 */
export function planWatch(resourceVersion: string, revs: WatchRevisions, sendInitialEvents?: boolean): WatchStart {
  const rv = parseResourceVersion(resourceVersion);
  if (rv === 0) return { from: revs.current, initialEvents: sendInitialEvents ?? true };
  if (rv > revs.current) throw tooLargeResourceVersion(rv, revs.current, 1);
  if (sendInitialEvents === true) return { from: revs.current, initialEvents: true };
  if (rv < revs.oldestEvent - 1) throw resourceExpired(`too old resource version: ${rv} (${revs.oldestEvent - 1})`);
  return { from: rv, initialEvents: false };
}
