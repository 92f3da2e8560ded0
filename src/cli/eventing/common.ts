// What the Eventing commands share: each kind's REST coordinates, kn's --sink parsing and resolution
// (knative/client pkg/flags/sink/sink.go Parse, Reference.Resolve, GuessFromDestination), the sink's text in
// tables and describe, CloudEvent overrides, and the list / describe / update / delete skeletons.

import { isConflict } from '../../api/status-error.ts';
import type { Condition, ObjectMeta } from '../../api/types.ts';
import type { Destination, KReference } from '../../eventing/types.ts';
import type { ObjectList, ServingClient } from '../client.ts';
import type { CommandContext } from '../command.ts';
import { connect, listNamespaceOf, namespaceOf, nowOf } from '../context.ts';
import { CliError } from '../errors.ts';
import type { Printer } from '../output.ts';
import { printDocument, printerOf, sortKeysDeep, toJson } from '../output.ts';
import { PrefixWriter, table, writeConditions, writeMetadata } from '../printers.ts';
import { DESCRIBE_TABWRITER, TabWriter } from '../tabwriter.ts';
import { mapFromArray } from '../podspec-flags.ts';
import { loadKnConfig, type KnConfig } from '../kn-config.ts';

/** A kind's REST coordinates. */
export interface KindInfo {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export const BROKER: KindInfo = { group: 'eventing.knative.dev', version: 'v1', plural: 'brokers', kind: 'Broker' };
export const TRIGGER: KindInfo = { group: 'eventing.knative.dev', version: 'v1', plural: 'triggers', kind: 'Trigger' };
export const CHANNEL: KindInfo = { group: 'messaging.knative.dev', version: 'v1', plural: 'channels', kind: 'Channel' };
export const SUBSCRIPTION: KindInfo = { group: 'messaging.knative.dev', version: 'v1', plural: 'subscriptions', kind: 'Subscription' };
export const PING_SOURCE: KindInfo = { group: 'sources.knative.dev', version: 'v1', plural: 'pingsources', kind: 'PingSource' };
export const APISERVER_SOURCE: KindInfo = { group: 'sources.knative.dev', version: 'v1', plural: 'apiserversources', kind: 'ApiServerSource' };
export const CONTAINER_SOURCE: KindInfo = { group: 'sources.knative.dev', version: 'v1', plural: 'containersources', kind: 'ContainerSource' };
export const SINK_BINDING: KindInfo = { group: 'sources.knative.dev', version: 'v1', plural: 'sinkbindings', kind: 'SinkBinding' };

export function apiVersionOf(info: { group: string; version: string }): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

/** The collection path (namespace undefined: all namespaces) or one object's path. */
export function pathOf(info: { group: string; version: string; plural: string }, namespace: string | undefined, name?: string): string {
  let p = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  if (namespace !== undefined) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${info.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  return p;
}

/** Any Eventing object as the commands read it. */
export interface AnyObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: { conditions?: Condition[] };
}

// ---------------------------------------------------------------------------------------------
// --sink (knative/client pkg/flags/sink)

/** A group, version and resource. */
export interface Gvr {
  group: string;
  version: string;
  plural: string;
}

const KSVC: Gvr = { group: 'serving.knative.dev', version: 'v1', plural: 'services' };
const K8S_SERVICE: Gvr = { group: '', version: 'v1', plural: 'services' };
const BROKER_GVR: Gvr = { group: 'eventing.knative.dev', version: 'v1', plural: 'brokers' };
const CHANNEL_GVR: Gvr = { group: 'messaging.knative.dev', version: 'v1', plural: 'channels' };

/** sink.DefaultMappings with its aliases (ksvc, svc). */
const SINK_MAPPINGS: Record<string, Gvr> = { kservice: KSVC, ksvc: KSVC, broker: BROKER_GVR, channel: CHANNEL_GVR, service: K8S_SERVICE, svc: K8S_SERVICE };
/** The names GvrAsText prefers, aliases first (GvrAsText). */
const SINK_TEXT: [string, Gvr][] = [['ksvc', KSVC], ['svc', K8S_SERVICE], ['broker', BROKER_GVR], ['channel', CHANNEL_GVR]];

/** sink.Usage: the help text of a sink-like flag. */
export function sinkUsage(fname: string): string {
  const flag = `--${fname}`;
  return (
    'Addressable sink for events. You can specify a broker, channel, Knative service, Kubernetes service or URI. '
    + `Examples: '${flag} broker:nest' for a broker 'nest', '${flag} channel:pipe' for a channel 'pipe', `
    + `'${flag} ksvc:mysvc:mynamespace' for a Knative service 'mysvc' in another namespace 'mynamespace', `
    + `'${flag} https://event.receiver.uri' for an HTTP URI, '${flag} ksvc:receiver' or simply '${flag} receiver' for a Knative service 'receiver' in the current namespace, `
    + `'${flag} svc:receiver:mynamespace' for a Kubernetes service 'receiver' in the 'mynamespace' namespace, `
    + `'${flag} special.eventing.dev/v1alpha1/channels:pipe' for GroupVersionResource of v1alpha1 'pipe'. `
    + 'If a prefix is not provided, it is considered as a Knative service in the current namespace.'
  );
}

/** A parsed --sink: a URI, or an object to look up. */
export type SinkReference = { uri: string } | { gvr: Gvr; name: string; namespace: string };

/** schema.ParseGroupVersion. */
function parseGroupVersion(gv: string): { group: string; version: string } {
  if (gv === '' || gv === '/') return { group: '', version: '' };
  const parts = gv.split('/');
  if (parts.length === 1) return { group: '', version: parts[0] };
  if (parts.length === 2) return { group: parts[0], version: parts[1] };
  throw new CliError(`unexpected GroupVersion string: ${gv}`);
}

const configs = new WeakMap<CommandContext, KnConfig>();

/** kn's configuration file of this invocation (--config), read once. */
export function knConfigOf(ctx: CommandContext): KnConfig {
  let c = configs.get(ctx);
  if (!c) {
    c = loadKnConfig({ configFlag: ctx.flags.string('config') || undefined, env: ctx.env, warn: (t) => ctx.err.write(t) });
    configs.set(ctx, c);
  }
  return c;
}

/** The config file's `eventing.sink-mappings` (they override the defaults, as ComputeWithDefaultMappings does). */
export function sinkMappingsOf(ctx: CommandContext): Record<string, Gvr> {
  const out: Record<string, Gvr> = {};
  for (const m of knConfigOf(ctx).sinkMappings) out[m.prefix] = { group: m.group, version: m.version, plural: m.resource };
  return out;
}

/** sink.Parse: `NAME` (a Knative service), `PREFIX:NAME[:NAMESPACE]`, `http(s)://…`, `group/version/resource:NAME`. */
export function parseSink(repr: string, namespace: string, mappings: Record<string, Gvr> = {}): SinkReference {
  const parts = repr.split(':');
  let prefix: string;
  let name: string;
  let ns = '';
  if (parts.length === 1) [prefix, name] = ['ksvc', parts[0]];
  else if (parts[0] === 'http' || parts[0] === 'https') [prefix, name] = ['', repr];
  else if (parts.length >= 3) [prefix, name, ns] = [parts[0], parts[1], parts.slice(2).join(':')];
  else [prefix, name] = [parts[0], parts[1]];
  // apis.ParseURL (url.Parse) refuses next to nothing; the API server validates the URI.
  if (prefix === '') return { uri: name };
  let gvr = mappings[prefix] ?? SINK_MAPPINGS[prefix];
  if (!gvr) {
    const idx = prefix.lastIndexOf('/');
    let groupVersion = '';
    let kind = prefix;
    if (idx !== -1 && idx < prefix.length - 1) [groupVersion, kind] = [prefix.slice(0, idx), prefix.slice(idx + 1)];
    const gv = parseGroupVersion(groupVersion);
    if (!kind.endsWith('s')) kind += 's';
    gvr = { group: gv.group, version: gv.version, plural: kind.toLowerCase() };
  }
  return { gvr, name, namespace: ns || namespace };
}

/** Reference.Resolve: a URI as is; an object must exist and is referenced by its kind and apiVersion. */
export async function resolveSink(client: ServingClient, repr: string, namespace: string, mappings: Record<string, Gvr> = {}): Promise<Destination> {
  const ref = parseSink(repr, namespace, mappings);
  if ('uri' in ref) return { uri: ref.uri };
  const obj = await client.call<AnyObject>('GET', pathOf(ref.gvr, ref.namespace, ref.name));
  return { ref: { kind: obj.kind ?? '', apiVersion: obj.apiVersion ?? '', name: obj.metadata.name ?? ref.name, namespace: ref.namespace } };
}

/** The sink flag's value resolved, or undefined when it was not given (SinkFlags.ResolveSink). */
export async function resolveSinkFlag(ctx: CommandContext, client: ServingClient, flag: string, namespace: string): Promise<Destination | undefined> {
  const repr = ctx.flags.string(flag);
  if (repr === '') return undefined;
  return resolveSink(client, repr, namespace, sinkMappingsOf(ctx));
}

/** meta.UnsafeGuessKindToResource's plural. */
function guessPlural(kind: string): string {
  const k = kind.toLowerCase();
  if (k === '') return k;
  if (k.endsWith('s')) return k + 'es';
  if (k.endsWith('y')) return k.slice(0, -1) + 'ies';
  return k + 's';
}

function gvrOfRef(ref: KReference): Gvr {
  const gv = parseGroupVersionLoose(ref.apiVersion ?? '');
  return { group: gv.group, version: gv.version, plural: guessPlural(ref.kind ?? '') };
}

function parseGroupVersionLoose(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** flags.SinkToString: `ksvc:NAME`, `broker:NAME`, `resource.group/version:NAME`, or the URI. */
export function sinkToString(dest: Destination | undefined): string {
  if (!dest) return '';
  if (dest.uri) return dest.uri;
  if (!dest.ref) return '';
  const gvr = gvrOfRef(dest.ref);
  const known = SINK_TEXT.find(([, g]) => g.group === gvr.group && g.version === gvr.version && g.plural === gvr.plural);
  const text = known ? known[0] : `${gvr.plural}.${gvr.group}/${gvr.version}`;
  return `${text}:${dest.ref.name ?? ''}`;
}

/** describe.Sink: the section of a destination. */
export function writeSink(dw: PrefixWriter, attribute: string, namespace: string | undefined, sink: Destination | undefined): void {
  if (!sink) return;
  const sub = dw.writeAttribute(attribute, '');
  if (sink.ref) {
    sub.writeAttribute('Name', sink.ref.name ?? '');
    if (sink.ref.namespace && sink.ref.namespace !== namespace) sub.writeAttribute('Namespace', sink.ref.namespace);
    sub.writeAttribute('Resource', `${sink.ref.kind ?? ''} (${sink.ref.apiVersion ?? ''})`);
  }
  if (sink.uri) sub.writeAttribute('URI', sink.uri);
}

// ---------------------------------------------------------------------------------------------
// key=value flags

/** util.MapFromArrayAllowingSingles + ParseMinusSuffix: what to set and what to remove. */
export function keyValueUpdates(values: readonly string[]): { set: Map<string, string>; remove: string[] } {
  const set = mapFromArray(values, true);
  const remove: string[] = [];
  for (const key of [...set.keys()]) {
    if (key.endsWith('-')) {
      remove.push(key.slice(0, -1));
      set.delete(key);
    }
  }
  return { set, remove };
}

/** The builders' CloudEventOverrides(map, remove): merges into the existing extensions. */
export function applyCeOverrides(spec: { ceOverrides?: { extensions?: Record<string, string> } }, values: readonly string[]): void {
  const { set, remove } = keyValueUpdates(values);
  const ext: Record<string, string> = { ...(spec.ceOverrides?.extensions ?? {}) };
  for (const [k, v] of set) ext[k] = v;
  for (const k of remove) delete ext[k];
  if (Object.keys(ext).length === 0) {
    if (spec.ceOverrides) delete spec.ceOverrides.extensions;
    if (spec.ceOverrides && Object.keys(spec.ceOverrides).length === 0) delete spec.ceOverrides;
    return;
  }
  spec.ceOverrides = { ...(spec.ceOverrides ?? {}), extensions: ext };
}

/** The sources' writeCeOverrides section, keys sorted. */
export function writeCeOverrides(dw: PrefixWriter, ext: Record<string, string>): void {
  const sub = dw.writeAttribute('CloudEvent Overrides', '');
  for (const k of Object.keys(ext).sort()) sub.writeAttribute(k, ext[k]);
}

export const CE_OVERRIDE_USAGE =
  "Cloud Event overrides to apply before sending event to sink. Example: '--ce-override key=value' You may be provide this flag multiple times. To unset, append \"-\" to the key (e.g. --ce-override key-).";

// ---------------------------------------------------------------------------------------------
// Command skeletons

/** cobra's check of MarkFlagRequired flags (sorted, all missing ones named). */
export function requireFlags(ctx: CommandContext, names: readonly string[]): void {
  const missing = [...names].sort().filter((n) => !ctx.flags.changed(n));
  if (missing.length > 0) throw new CliError(`required flag(s) ${missing.map((n) => JSON.stringify(n)).join(', ')} not set`);
}

/** Exactly one argument, else `message`. */
export function singleName(ctx: CommandContext, message: string): string {
  if (ctx.args.length !== 1) throw new CliError(message);
  return ctx.args[0];
}

/** The -o printer of a describe command; `url` is left to the caller (withUrl). */
async function describePrinter(ctx: CommandContext, withUrl: boolean): Promise<Printer | 'url' | undefined> {
  if (withUrl && ctx.flags.changed('output') && ctx.flags.string('output').toLowerCase() === 'url') return 'url';
  return printerOf(ctx.flags, ctx.cwd);
}

function withType<T extends AnyObject>(obj: T, info: KindInfo): T {
  return { ...obj, apiVersion: obj.apiVersion || apiVersionOf(info), kind: obj.kind || info.kind };
}

/** kubectl's OmitManagedFieldsPrinter: -o json|yaml leave metadata.managedFields out unless --show-managed-fields. */
export function forPrinter<T extends AnyObject>(ctx: CommandContext, printer: Printer, obj: T): T {
  const meta = obj.metadata as ObjectMeta & { managedFields?: unknown };
  if ((printer.format !== 'json' && printer.format !== 'yaml') || ctx.flags.bool('show-managed-fields') || meta?.managedFields === undefined) return obj;
  const metadata = { ...meta };
  delete metadata.managedFields;
  return { ...obj, metadata };
}

function nameLine(info: KindInfo, name: string | undefined): string {
  return `${info.kind.toLowerCase()}.${info.group}/${name ?? ''}\n`;
}

/** A kind's describe layout on a PrefixWriter. */
export type Layout<T> = (obj: T, dw: PrefixWriter, verbose: boolean, now: number) => void;

/** The human describe output of `obj`. */
export function renderDescribe<T>(obj: T, layout: Layout<T>, verbose: boolean, now: number): string {
  const tw = new TabWriter(DESCRIBE_TABWRITER);
  const dw = new PrefixWriter(tw);
  layout(obj, dw, verbose, now);
  dw.flush();
  return tw.take();
}

/** A describe command: GET, then -o (printer or url) or the human layout. */
export async function describeObject<T extends AnyObject>(ctx: CommandContext, info: KindInfo, name: string, layout: Layout<T>, url?: (obj: T) => string): Promise<void> {
  const printer = await describePrinter(ctx, url !== undefined);
  const obj = await connect(ctx).call<T>('GET', pathOf(info, namespaceOf(ctx), name));
  if (printer === 'url') {
    ctx.out.write(`${url!(obj)}\n`);
    return;
  }
  if (printer) {
    ctx.out.write(printer.format === 'name' ? nameLine(info, obj.metadata.name) : await printDocument(forPrinter(ctx, printer, withType(obj, info)), printer));
    return;
  }
  ctx.out.write(renderDescribe(obj, layout, ctx.flags.bool('verbose'), nowOf(ctx)));
}

/** kn's describe: metadata, the kind's attributes, then conditions (each block separated by a blank line). */
export function describeLayout(obj: AnyObject, dw: PrefixWriter, verbose: boolean, now: number, ...blocks: ((dw: PrefixWriter) => void)[]): void {
  writeMetadata(dw, obj.metadata, verbose, now);
  for (const block of blocks) block(dw);
  writeConditions(dw, obj.status?.conditions, verbose, now);
}

/** One table of a list command. */
export interface ListTable<T> {
  header: string[];
  row: (obj: T, now: number) => string[];
  /** When kn's printer sorts by name: only without -A (most), always (source list) or never (brokers, triggers, bindings). */
  byName?: 'single' | 'always' | 'never';
  /** kn's printXListWithNamespace with -A: `default` first, then by namespace (default true). */
  defaultFirst?: boolean;
}

function compareBy(key: (o: AnyObject) => string): (a: AnyObject, b: AnyObject) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

/** Sorts rows as the kind's kn list printer does. */
function ordered<T extends AnyObject>(items: readonly T[], allNamespaces: boolean, spec: ListTable<T>): T[] {
  const list = [...items];
  const byName = spec.byName ?? 'single';
  if (byName === 'always' || (byName === 'single' && !allNamespaces)) list.sort(compareBy((o) => o.metadata.name ?? ''));
  if (allNamespaces && (spec.defaultFirst ?? true)) {
    const others = list.filter((i) => i.metadata.namespace !== 'default').sort(compareBy((o) => o.metadata.namespace ?? ''));
    return [...list.filter((i) => i.metadata.namespace === 'default'), ...others];
  }
  return list;
}

/** Renders the table of a list (NAMESPACE first with -A). */
export function renderTable<T extends AnyObject>(items: readonly T[], spec: ListTable<T>, opts: { allNamespaces: boolean; noHeaders: boolean; now: number }): string {
  const header = opts.allNamespaces ? ['NAMESPACE', ...spec.header] : spec.header;
  const rows = ordered(items, opts.allNamespaces, spec).map((i) => (opts.allNamespaces ? [i.metadata.namespace ?? '', ...spec.row(i, opts.now)] : spec.row(i, opts.now)));
  return table(header, rows, opts.noHeaders);
}

/** Renders a list in an -o format, as kn's ListPrintFlags.Print (maps sorted all the way down). */
export async function printListDocument(items: readonly AnyObject[], info: KindInfo, printer: Printer, resourceVersion: string | undefined): Promise<string> {
  const typed = items.map((i) => withType(i, info));
  if (printer.format === 'name') return typed.map((i) => nameLine(info, i.metadata.name)).join('');
  const list = { apiVersion: apiVersionOf(info), kind: `${info.kind}List`, metadata: { resourceVersion: resourceVersion ?? '' }, items: typed };
  if (printer.format === 'json') return JSON.stringify(sortKeysDeep(list), null, 4) + '\n';
  return printDocument(list, printer);
}

/** A list command: -o output, kn's `No … found.` for an empty table, else the table. */
export async function listObjects<T extends AnyObject>(ctx: CommandContext, info: KindInfo, none: string, spec: ListTable<T>): Promise<void> {
  const printer = await printerOf(ctx.flags, ctx.cwd);
  const ns = listNamespaceOf(ctx);
  const list = await connect(ctx).call<ObjectList<T>>('GET', pathOf(info, ns));
  const items = Array.isArray(list.items) ? list.items : [];
  if (printer) {
    ctx.out.write(await printListDocument(items.map((i) => forPrinter(ctx, printer, i)), info, printer, list.metadata?.resourceVersion));
    return;
  }
  if (items.length === 0) {
    ctx.out.write(`${none}\n`);
    return;
  }
  ctx.out.write(renderTable(items, spec, { allNamespaces: ns === undefined, noHeaders: ctx.flags.bool('no-headers'), now: nowOf(ctx) }));
}

/** The Update…WithRetry loop of kn's clients: GET, change, PUT, again on a conflict (config.DefaultRetry: 5 steps). */
export async function updateWithRetry<T extends AnyObject>(client: ServingClient, info: KindInfo, namespace: string, name: string, change: (obj: T) => void | Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const current = await client.call<T>('GET', pathOf(info, namespace, name));
    if (current.metadata.deletionTimestamp) throw new CliError(`can't update ${info.kind.toLowerCase()} ${name} because it has been marked for deletion`);
    await change(current);
    try {
      await client.call('PUT', pathOf(info, namespace, name), current);
      return;
    } catch (err) {
      if (attempt >= 4 || !isConflict(err)) throw err;
    }
  }
}

/** DELETE with a propagation policy (kn deletes in the background unless it waits). */
export async function deleteNamed(client: ServingClient, info: KindInfo, namespace: string, name: string, propagationPolicy: 'Background' | 'Foreground' = 'Background'): Promise<void> {
  await client.call('DELETE', pathOf(info, namespace, name), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy });
}

/** POST a new object; a failure reads as kn's `cannot create <kind> 'NAME' in namespace 'NS' because: …`. */
export async function createExplained(client: ServingClient, info: KindInfo, namespace: string, name: string, obj: AnyObject): Promise<void> {
  try {
    await client.call('POST', pathOf(info, namespace), obj);
  } catch (e) {
    throw new CliError(`cannot create ${info.kind.toLowerCase()} '${name}' in namespace '${namespace}' because: ${(e as Error).message}`);
  }
}

/** One GET, change, PUT without kn's conflict retry (the update commands of kn that call Update directly);
 *  `what` names the kind in the marked-for-deletion error. */
export async function updateOnce<T extends AnyObject>(client: ServingClient, info: KindInfo, namespace: string, name: string, what: string, change: (obj: T) => void | Promise<void>): Promise<void> {
  const current = await client.call<T>('GET', pathOf(info, namespace, name));
  if (current.metadata.deletionTimestamp) throw new CliError(`can't update ${what} ${name} because it has been marked for deletion`);
  await change(current);
  await client.call('PUT', pathOf(info, namespace, name), current);
}

/** The plain `… delete NAME` command: one name argument (`nameMessage` when it is missing), a background DELETE,
 *  then `<label> 'NAME' deleted in namespace 'NS'.`. */
export async function deleteNamedCommand(ctx: CommandContext, info: KindInfo, nameMessage: string, label: string): Promise<void> {
  const name = singleName(ctx, nameMessage);
  const namespace = namespaceOf(ctx);
  await deleteNamed(connect(ctx), info, namespace, name);
  ctx.out.write(`${label} '${name}' deleted in namespace '${namespace}'.\n`);
}

export { toJson };
