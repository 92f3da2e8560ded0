// Machine-readable output (-o json|yaml|name) of objects and lists, as kubectl's printers render them.

import { API_VERSION, GROUP } from '../api/types.ts';
import { CliError } from './errors.ts';

/** Formats knit's `-o` accepts (describe of a service additionally accepts `url`, handled by the caller). */
export const OUTPUT_FORMATS = ['json', 'name', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Validates `-o`; kubectl's error names the allowed formats. */
export function checkOutputFormat(format: string, allowed: readonly string[] = OUTPUT_FORMATS): OutputFormat {
  const f = format.toLowerCase();
  if (!allowed.includes(f)) {
    throw new CliError(`unable to match a printer suitable for the output format ${JSON.stringify(format)}, allowed formats are: ${[...allowed].sort().join(',')}`);
  }
  return f as OutputFormat;
}

const TOP_LEVEL_ORDER = ['kind', 'apiVersion', 'metadata', 'spec', 'items', 'status'];

/** Go's encoding order for the top level of Kubernetes objects: kind, apiVersion, metadata, spec/items, status. */
function topLevelOrdered(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of TOP_LEVEL_ORDER) if (k in obj) out[k] = obj[k];
  for (const k of Object.keys(obj)) if (!(k in out)) out[k] = obj[k];
  return out;
}

function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeysDeep((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** kubectl's JSON printer: 4-space indentation and a trailing newline. */
export function toJson(obj: object): string {
  return JSON.stringify(topLevelOrdered(obj as Record<string, unknown>), null, 4) + '\n';
}

/** kubectl's YAML printer (sigs.k8s.io/yaml): keys sorted, sequences not indented. */
export async function toYaml(obj: object): Promise<string> {
  const YAML = await import('yaml');
  return YAML.stringify(sortKeysDeep(obj), { indentSeq: false, lineWidth: 0 });
}

/** `-o name`: `service.serving.knative.dev/NAME`. */
export function toName(kind: string, name: string): string {
  return `${kind.toLowerCase()}.${GROUP}/${name}\n`;
}

/** Renders one object in the requested format. */
export async function printObject(obj: { kind?: string; metadata?: { name?: string } }, kind: string, format: OutputFormat): Promise<string> {
  const full = { ...obj, apiVersion: (obj as { apiVersion?: string }).apiVersion || API_VERSION, kind: obj.kind || kind };
  switch (format) {
    case 'json':
      return toJson(full);
    case 'yaml':
      return toYaml(full);
    case 'name':
      return toName(kind, obj.metadata?.name ?? '');
  }
}

/** Renders a list (`ServiceList` etc.) in the requested format; items get apiVersion and kind. */
export async function printList(items: readonly object[], kind: string, format: OutputFormat, resourceVersion?: string): Promise<string> {
  const typed = items.map((i) => topLevelOrdered({ ...(i as Record<string, unknown>), apiVersion: (i as { apiVersion?: string }).apiVersion || API_VERSION, kind: (i as { kind?: string }).kind || kind }));
  if (format === 'name') return typed.map((i) => toName(kind, (i as { metadata?: { name?: string } }).metadata?.name ?? '')).join('');
  const list = { kind: `${kind}List`, apiVersion: API_VERSION, metadata: { resourceVersion: resourceVersion ?? '' }, items: typed };
  return format === 'json' ? toJson(list) : toYaml(list);
}
