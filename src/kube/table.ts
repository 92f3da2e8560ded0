// Server-side Table output (meta.k8s.io/v1 Table) of one object or a list, from the kind registry's printer columns.
//
// Exported entry points:
//   - `tableRequested(accept)`: whether the Accept header asks for a Table
//     (`application/json;as=Table;g=meta.k8s.io;v=v1`, also v1beta1, as kubectl get sends it) and
//     which version to answer with.
//   - `toTable(kind, objectOrList, opts)`: the Table for one object, or for a list's `items` (a List
//     object's `metadata.resourceVersion`/`continue`/`remainingItemCount` carry over).
//   - `tableOptions(searchParams)`: `includeObject` and `noHeaders` from a request's query (TableOptions).
// The API server, on a GET whose Accept asks for a Table, answers
// `toTable(kind, listOrObject, { ...tableOptions(url.searchParams), version })` as
// `application/json;as=Table;g=meta.k8s.io;v=v1` instead of the object.
// Semantics follow kubernetes/kubernetes staging/src/k8s.io/apiserver pkg/endpoints/handlers
// response.go (asTable: rows carry PartialObjectMetadata by default, the full object with
// includeObject=Object, nothing with None) and pkg/registry/rest/table.go.

import type { Cell, ColumnDefinition, KubeObject } from './printers.ts';
import type { KindInfo } from './registry.ts';

/** meta.k8s.io TableRow. */
export interface TableRow {
  cells: Cell[];
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  object?: KubeObject;
}

/** meta.k8s.io Table. */
export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: ColumnDefinition[];
  rows: TableRow[];
}

/** What the object in each row holds (metav1.IncludeObjectPolicy). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Options of a Table conversion. */
export interface TableOptions {
  includeObject?: IncludeObject;
  noHeaders?: boolean;
  /** meta.k8s.io version of the answer (v1 unless the client only accepts v1beta1). */
  version?: 'v1' | 'v1beta1';
  /** Clock for ages, in ms since the epoch (default: Date.now()). */
  now?: number;
}

/** The Table version `accept` asks for, or undefined when it asks for no Table. */
export function tableRequested(accept: string | undefined): 'v1' | 'v1beta1' | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    if (type !== 'application/json' && type !== 'application/yaml' && type !== '*/*') continue;
    const p = Object.fromEntries(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (p.as === 'Table' && p.g === 'meta.k8s.io' && (p.v === 'v1' || p.v === 'v1beta1')) return p.v;
    if (!p.as) return undefined; // the client prefers the plain object
  }
  return undefined;
}

/** An includeObject kube-apiserver does not know; answer 400 BadRequest with its message (metav1 validation ValidateTableOptions). */
export class TableOptionsError extends Error {}

/** TableOptions from a request's query: `includeObject` (None, Metadata, Object) and `noHeaders`. */
export function tableOptions(query: URLSearchParams): Pick<TableOptions, 'includeObject' | 'noHeaders'> {
  const inc = query.get('includeObject');
  if (inc !== null && inc !== '' && inc !== 'None' && inc !== 'Metadata' && inc !== 'Object') {
    throw new TableOptionsError(`includeObject: Unsupported value: "${inc}": supported values: "Metadata", "None", "Object"`);
  }
  return { includeObject: (inc || undefined) as IncludeObject | undefined, noHeaders: query.get('noHeaders') === 'true' };
}

function isList(o: KubeObject): boolean {
  return Array.isArray(o.items);
}

/** A row's object: PartialObjectMetadata (the default), the object itself, or nothing. */
function rowObject(obj: KubeObject, include: IncludeObject, kind: KindInfo, version: string): KubeObject | undefined {
  switch (include) {
    case 'None':
      return undefined;
    case 'Object':
      return { apiVersion: kind.groupVersion, kind: kind.kind, ...obj };
    case 'Metadata':
      return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: (obj.metadata as KubeObject | undefined) ?? {} };
  }
}

/** The Table of `input`: one object, or a list (an object with `items`) of `kind`. */
export function toTable(kind: KindInfo, input: KubeObject | KubeObject[], opts: TableOptions = {}): Table {
  const version = opts.version ?? 'v1';
  const include = opts.includeObject ?? 'Metadata';
  const now = opts.now ?? Date.now();
  const items = Array.isArray(input) ? input : isList(input) ? (input.items as KubeObject[]) : [input];
  const metadata: Table['metadata'] = {};
  if (!Array.isArray(input)) {
    const m = (input.metadata ?? {}) as Record<string, unknown>;
    if (typeof m.resourceVersion === 'string') metadata.resourceVersion = m.resourceVersion;
    if (isList(input)) {
      if (typeof m.continue === 'string' && m.continue) metadata.continue = m.continue;
      if (typeof m.remainingItemCount === 'number') metadata.remainingItemCount = m.remainingItemCount;
    }
  }
  const rows = items.map((obj): TableRow => {
    const row: TableRow = { cells: kind.printer.cells(obj, now) };
    const conditions = kind.printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    const o = rowObject(obj, include, kind, version);
    if (o) row.object = o;
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata,
    columnDefinitions: opts.noHeaders ? [] : kind.printer.columns.map((c) => ({ ...c })),
    rows,
  };
}

/** The Content-Type of a Table answer. */
export function tableContentType(version: 'v1' | 'v1beta1' = 'v1'): string {
  return `application/json;as=Table;v=${version};g=meta.k8s.io`;
}
