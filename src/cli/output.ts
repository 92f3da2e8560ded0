// Machine-readable output of objects and lists, as kubectl's printers render them: -o json|yaml|name and the
// template printers -o jsonpath=…|jsonpath-as-json=…|jsonpath-file=…|go-template=…|go-template-file=…
// (also spelled template / templatefile), with --template and --allow-missing-template-keys.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { API_VERSION, GROUP } from '../api/types.ts';
import type { Writer } from './command.ts';
import { CliError } from './errors.ts';
import type { ParsedFlags } from './flags.ts';
import type { GoTemplate } from '../gotemplate/template.ts';
import type { JsonPath } from './jsonpath.ts';

/** Plain formats of `-o` (describe of a service additionally accepts `url`, handled by the caller). */
export const OUTPUT_FORMATS = ['json', 'name', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const JSONPATH_FORMATS = ['jsonpath', 'jsonpath-as-json', 'jsonpath-file'];
const GO_TEMPLATE_FORMATS = ['go-template', 'go-template-file', 'template', 'templatefile'];

/** Every `-o` format of kubectl's PrintFlags, in kn's help order. */
export const ALL_OUTPUT_FORMATS: readonly string[] = ['json', 'yaml', 'name', ...GO_TEMPLATE_FORMATS, ...JSONPATH_FORMATS];

/** The formats `service export` accepts (an Export has no name to print). */
export const EXPORT_OUTPUT_FORMATS: readonly string[] = ALL_OUTPUT_FORMATS.filter((f) => f !== 'name');

/** How to print: a plain format or a parsed template. */
export type Printer =
  | { format: OutputFormat }
  | { format: 'jsonpath'; template: JsonPath; raw: string; asJson: boolean; allowMissingKeys: boolean }
  | { format: 'go-template'; template: GoTemplate; raw: string; allowMissingKeys: boolean };

/**
 * The printer selected by -o / --template (kubectl's PrintFlags.ToPrinter), or undefined for the human-readable
 * output. `-o FORMAT=TEMPLATE` and `-o FORMAT --template TEMPLATE` both work; --template alone means go-template.
 * Template files are read relative to `cwd`. Unknown formats, missing or unreadable templates and parse errors
 * are CliErrors with kubectl's wording. The template engines are loaded only when a template format is chosen.
 */
export async function printerOf(flags: ParsedFlags, cwd: string, allowed: readonly string[] = ALL_OUTPUT_FORMATS): Promise<Printer | undefined> {
  const templateArg = flags.specs.has('template') ? flags.string('template') : '';
  let output: string;
  if (flags.changed('output')) output = flags.string('output');
  else if (templateArg !== '') output = 'go-template';
  else return undefined;

  let format = output;
  let template = templateArg;
  if (template === '') {
    for (const f of [...JSONPATH_FORMATS, ...GO_TEMPLATE_FORMATS]) {
      if (output.startsWith(`${f}=`)) {
        format = f;
        template = output.slice(f.length + 1);
        break;
      }
    }
  }
  const plain = format.toLowerCase();
  if ((OUTPUT_FORMATS as readonly string[]).includes(plain) && allowed.includes(plain)) return { format: plain as OutputFormat };
  if (!allowed.includes(format) || (OUTPUT_FORMATS as readonly string[]).includes(plain)) {
    throw new CliError(`unable to match a printer suitable for the output format ${JSON.stringify(output)}, allowed formats are: ${[...allowed].sort().join(',')}`);
  }
  if (template === '') throw new CliError('template format specified but no template given');
  if (format.endsWith('-file') || format === 'templatefile') {
    try {
      template = readFileSync(resolve(cwd, template), 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'ENOENT' ? 'no such file or directory' : err.message;
      throw new CliError(`error reading --template ${template}, open ${template}: ${why}`);
    }
  }
  const allowMissingKeys = flags.specs.has('allow-missing-template-keys') ? flags.bool('allow-missing-template-keys') : true;
  if (JSONPATH_FORMATS.includes(format)) {
    const { parseJsonPath } = await import('./jsonpath.ts');
    try {
      return { format: 'jsonpath', template: parseJsonPath(template), raw: template, asJson: format === 'jsonpath-as-json', allowMissingKeys };
    } catch (e) {
      throw new CliError(`error parsing jsonpath ${template}, ${(e as Error).message}`);
    }
  }
  const { parseGoTemplate } = await import('../gotemplate/template.ts');
  try {
    return { format: 'go-template', template: parseGoTemplate(template), raw: template, allowMissingKeys };
  } catch (e) {
    throw new CliError(`error parsing template ${template}, ${(e as Error).message}`);
  }
}

/** Runs a template printer on a document (which is plain JSON data). */
async function renderTemplate(doc: object, printer: Extract<Printer, { raw: string }>): Promise<string> {
  const data: unknown = JSON.parse(JSON.stringify(doc));
  if (printer.format === 'jsonpath') {
    const { executeJsonPath } = await import('./jsonpath.ts');
    try {
      return executeJsonPath(printer.template, data, { allowMissingKeys: printer.allowMissingKeys, asJson: printer.asJson });
    } catch (e) {
      throw new CliError(`error executing jsonpath ${JSON.stringify(printer.raw)}: ${(e as Error).message}`);
    }
  }
  const { executeGoTemplate } = await import('../gotemplate/template.ts');
  try {
    return executeGoTemplate(printer.template, data, { missingKeyError: !printer.allowMissingKeys });
  } catch (e) {
    throw new CliError(`error executing template ${JSON.stringify(printer.raw)}: ${(e as Error).message}`);
  }
}

/** Renders a document that is neither a single API object nor a list of them (e.g. an Export). */
export async function printDocument(doc: object, printer: Printer): Promise<string> {
  switch (printer.format) {
    case 'json':
      return toJson(doc);
    case 'yaml':
      return toYaml(doc);
    case 'name':
      throw new CliError('the name printer needs an object with a name');
    default:
      return renderTemplate(doc, printer);
  }
}

const TOP_LEVEL_ORDER = ['kind', 'apiVersion', 'metadata', 'spec', 'items', 'status'];

/** Go's encoding order for the top level of Kubernetes objects: kind, apiVersion, metadata, spec/items, status. */
function topLevelOrdered(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of TOP_LEVEL_ORDER) if (k in obj) out[k] = obj[k];
  for (const k of Object.keys(obj)) if (!(k in out)) out[k] = obj[k];
  return out;
}

/** Every mapping's keys sorted, as Go encodes a map. */
export function sortKeysDeep(v: unknown): unknown {
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

/** Renders one object with the printer. */
export async function printObject(obj: { kind?: string; metadata?: { name?: string } }, kind: string, printer: Printer): Promise<string> {
  const full = { ...obj, apiVersion: (obj as { apiVersion?: string }).apiVersion || API_VERSION, kind: obj.kind || kind };
  if (printer.format === 'name') return toName(kind, obj.metadata?.name ?? '');
  return printDocument(full, printer);
}

/** Renders a list (`ServiceList` etc.) with the printer; items get apiVersion and kind. */
export async function printList(items: readonly object[], kind: string, printer: Printer, resourceVersion?: string): Promise<string> {
  const typed = items.map((i) => topLevelOrdered({ ...(i as Record<string, unknown>), apiVersion: (i as { apiVersion?: string }).apiVersion || API_VERSION, kind: (i as { kind?: string }).kind || kind }));
  if (printer.format === 'name') return typed.map((i) => toName(kind, (i as { metadata?: { name?: string } }).metadata?.name ?? '')).join('');
  const list = { kind: `${kind}List`, apiVersion: API_VERSION, metadata: { resourceVersion: resourceVersion ?? '' }, items: typed };
  // kn prints a list through util.ToUnstructuredList (knative/client pkg/commands/flags/listprint.go Print): maps
  // all the way down, so JSON keys come out sorted at every level.
  if (printer.format === 'json') return JSON.stringify(sortKeysDeep(list), null, 4) + '\n';
  return printDocument(list, printer);
}

/**
 * What a list command prints instead of its table: the list in the -o format, or kn's `No <kind>s found.`
 * when there is nothing to list. Returns false when the caller is to print its table.
 */
export async function wroteListOrNone(out: Writer, items: readonly object[], kind: string, printer: Printer | undefined, resourceVersion?: string): Promise<boolean> {
  if (printer) {
    out.write(await printList(items, kind, printer, resourceVersion));
    return true;
  }
  if (items.length === 0) {
    out.write(`No ${kind.toLowerCase()}s found.\n`);
    return true;
  }
  return false;
}
