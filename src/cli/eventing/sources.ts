// `knit source list|list-types` and `knit source ping|apiserver|container|binding …`
// (knative/client pkg/commands/source and its ping, apiserver, container and binding packages).

import type { EnvVar } from '../../api/types.ts';
import type { ApiServerSource, ContainerSource, Destination, PingSource, SinkBinding } from '../../eventing/types.ts';
import type { ObjectList, ServingClient } from '../client.ts';
import type { CommandContext } from '../command.ts';
import { connect, listNamespaceOf, namespaceOf, nowOf } from '../context.ts';
import { tableAge } from '../duration.ts';
import { CliError } from '../errors.ts';
import { printDocument, printerOf, sortKeysDeep } from '../output.ts';
import type { PrefixWriter } from '../printers.ts';
import { conditionsValue, nonReadyReason, readyValue, table } from '../printers.ts';
import type { AnyObject, KindInfo, Layout, ListTable } from './common.ts';
import {
  APISERVER_SOURCE,
  applyCeOverrides,
  CONTAINER_SOURCE,
  deleteNamedCommand,
  describeLayout,
  describeObject,
  forPrinter,
  keyValueUpdates,
  listObjects,
  pathOf,
  PING_SOURCE,
  renderTable,
  requireFlags,
  resolveSink,
  sinkMappingsOf,
  resolveSinkFlag,
  SINK_BINDING,
  singleName,
  sinkToString,
  updateOnce,
  updateWithRetry,
  writeCeOverrides,
  writeSink,
} from './common.ts';
import { invalidCrd, listTypes } from './types-list.ts';

type Ctx = CommandContext;

function conditionCells(o: AnyObject, now: number): string[] {
  const c = o.status?.conditions;
  return [tableAge(o.metadata.creationTimestamp, now), conditionsValue(c), readyValue(c), nonReadyReason(c).trim()];
}

function ceOverridesBlock(ext: Record<string, string> | undefined, blankAfter: boolean): (w: PrefixWriter) => void {
  return (w) => {
    if (!ext) return;
    writeCeOverrides(w, ext);
    if (blankAfter) w.writeLine();
  };
}

async function requiredSink(ctx: Ctx, namespace: string): Promise<Destination> {
  return resolveSink(connect(ctx), ctx.flags.string('sink'), namespace, sinkMappingsOf(ctx));
}

/** --sink and --ce-override of a source update, each when given. */
async function updateSinkAndOverrides(ctx: Ctx, client: ServingClient, namespace: string, spec: { sink?: Destination; ceOverrides?: { extensions?: Record<string, string> } }): Promise<void> {
  if (ctx.flags.changed('sink')) spec.sink = await resolveSink(client, ctx.flags.string('sink'), namespace, sinkMappingsOf(ctx));
  if (ctx.flags.changed('ce-override')) applyCeOverrides(spec, ctx.flags.list('ce-override'));
}

// ---------------------------------------------------------------------------------------------
// ping

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** ping/flags.go getDataFields: --encoding text|base64, or guessed (data that decodes as base64 is base64). */
export function pingDataFields(data: string, encoding: string): { data: string; dataBase64: string } {
  switch (encoding) {
    case '':
      return BASE64.test(data.replace(/[\r\n]/g, '')) ? { data: '', dataBase64: data } : { data, dataBase64: '' };
    case 'base64':
      return { data: '', dataBase64: data };
    case 'text':
      return { data, dataBase64: '' };
    default:
      throw new CliError(`invalid value: ${encoding}. Accepted values are: text|base64`);
  }
}

function setPingData(spec: PingSource['spec'], fields: { data: string; dataBase64: string }): void {
  if (fields.data) spec.data = fields.data;
  else delete spec.data;
  if (fields.dataBase64) spec.dataBase64 = fields.dataBase64;
  else delete spec.dataBase64;
}

/** `knit source ping create NAME --sink SINK [--schedule S] [--data D] [--encoding E] [--ce-override k=v]…`. */
export async function pingCreateCommand(ctx: Ctx): Promise<void> {
  requireFlags(ctx, ['sink']);
  const name = singleName(ctx, 'requires the name of the Ping source to create as single argument');
  const namespace = namespaceOf(ctx);
  const sink = await requiredSink(ctx, namespace);
  let fields;
  try {
    fields = pingDataFields(ctx.flags.string('data'), ctx.flags.string('encoding'));
  } catch (e) {
    throw new CliError(`cannot create PingSource ${JSON.stringify(name)} in namespace ${JSON.stringify(namespace)} because: ${(e as Error).message}`);
  }
  const source: PingSource = { apiVersion: 'sources.knative.dev/v1', kind: 'PingSource', metadata: { name, namespace }, spec: { sink } };
  if (ctx.flags.string('schedule') !== '') source.spec.schedule = ctx.flags.string('schedule');
  setPingData(source.spec, fields);
  applyCeOverrides(source.spec, ctx.flags.list('ce-override'));
  await connect(ctx).call('POST', pathOf(PING_SOURCE, namespace), source);
  ctx.out.write(`Ping source '${name}' created in namespace '${namespace}'.\n`);
}

/** `knit source ping update NAME …`: the changed flags only. */
export async function pingUpdateCommand(ctx: Ctx): Promise<void> {
  const name = singleName(ctx, 'name of Ping source required');
  const namespace = namespaceOf(ctx);
  const client = connect(ctx);
  await updateWithRetry<PingSource>(client, PING_SOURCE, namespace, name, async (source) => {
    if (ctx.flags.changed('schedule')) source.spec.schedule = ctx.flags.string('schedule');
    let fields;
    try {
      fields = pingDataFields(ctx.flags.string('data'), ctx.flags.string('encoding'));
    } catch (e) {
      throw new CliError(`cannot update PingSource ${JSON.stringify(name)} in namespace ${JSON.stringify(namespace)} because: ${(e as Error).message}`);
    }
    if (ctx.flags.changed('data')) setPingData(source.spec, fields);
    await updateSinkAndOverrides(ctx, client, namespace, source.spec);
  });
  ctx.out.write(`Ping source '${name}' updated in namespace '${namespace}'.\n`);
}

export async function pingDeleteCommand(ctx: Ctx): Promise<void> {
  await deleteNamedCommand(ctx, PING_SOURCE, "'requires the name of the Ping source to delete as single argument", 'Ping source');
}

/** kn's ping source describe layout. */
export const pingLayout: Layout<PingSource> = (s, dw, verbose, now) =>
  describeLayout(
    s,
    dw,
    verbose,
    now,
    (w) => {
      w.writeAttribute('Schedule', s.spec.schedule ?? '');
      if (s.spec.dataBase64) w.writeAttribute('DataBase64', s.spec.dataBase64);
      else w.writeAttribute('Data', s.spec.data ?? '');
      w.writeLine();
      writeSink(w, 'Sink', s.metadata.namespace, s.spec.sink);
      w.writeLine();
    },
    ceOverridesBlock(s.spec.ceOverrides?.extensions, true),
  );

export async function pingDescribeCommand(ctx: Ctx): Promise<void> {
  const name = singleName(ctx, "'knit source ping describe' requires name of the source as single argument");
  await describeObject<PingSource>(ctx, PING_SOURCE, name, pingLayout);
}

/** ping/flags.go printSource's SINK: `ksvc:NAME` for a Service, else `Kind:NAME`; nothing for a URI. */
function pingSinkText(sink: Destination | undefined): string {
  const ref = sink?.ref;
  if (!ref) return '';
  return ref.kind === 'Service' ? `ksvc:${ref.name ?? ''}` : `${ref.kind ?? ''}:${ref.name ?? ''}`;
}

/** kn's ping source list columns. */
export const PING_TABLE: ListTable<PingSource> = {
  header: ['NAME', 'SCHEDULE', 'SINK', 'AGE', 'CONDITIONS', 'READY', 'REASON'],
  row: (s, now) => {
    const c = s.status?.conditions;
    return [s.metadata.name ?? '', s.spec.schedule ?? '', pingSinkText(s.spec.sink), tableAge(s.metadata.creationTimestamp, now), conditionsValue(c), readyValue(c), nonReadyReason(c)];
  },
};

export async function pingListCommand(ctx: Ctx): Promise<void> {
  await listObjects<PingSource>(ctx, PING_SOURCE, 'No Ping source found.', PING_TABLE);
}

// ---------------------------------------------------------------------------------------------
// apiserver

type ApiResource = ApiServerSource['spec']['resources'][number];

const RESOURCE_FORMAT = '(expected: <kind:apiVersion[:label1=val1,label2=val2,..]>';

/** apiserver/flags.go getValidAPIVersionKindSelector: `Kind:APIVersion[:k=v,…]`. */
export function parseApiResource(resource: string): ApiResource {
  const parts = resource.split(':');
  const slices = parts.length > 3 ? [parts[0], parts[1], parts.slice(2).join(':')] : parts;
  if (slices[0] === '') throw new CliError(`cannot find 'kind' part in resource specification ${resource} ${RESOURCE_FORMAT}`);
  if (slices.length < 2 || slices[1] === '') throw new CliError(`cannot find 'APIVersion' part in resource specification ${resource} ${RESOURCE_FORMAT}`);
  const out: ApiResource = { kind: slices[0], apiVersion: slices[1] };
  if (slices.length >= 3 && slices[2] !== '') {
    const labels: Record<string, string> = {};
    for (const kv of slices[2].split(',')) {
      const i = kv.indexOf('=');
      if (i < 0) throw new CliError(`invalid label selector in resource specification ${slices.join(':')} ${RESOURCE_FORMAT}`);
      labels[kv.slice(0, i)] = kv.slice(i + 1);
    }
    out.selector = { matchLabels: labels };
  }
  return out;
}

function labelsText(r: ApiResource): string {
  const m = r.selector?.matchLabels;
  if (m && Object.keys(m).length > 0) return Object.keys(m).sort().map((k) => `${k}=${m[k]}`).join(',');
  if (r.selector?.matchExpressions?.length) return '[match expressions]';
  return '';
}

function apiResourceText(r: ApiResource): string {
  const l = labelsText(r);
  return `${r.kind ?? ''}:${r.apiVersion ?? ''}${l ? ':' + l : ''}`;
}

function sameResource(a: ApiResource, b: ApiResource): boolean {
  return JSON.stringify(sortKeysDeep(a)) === JSON.stringify(sortKeysDeep(b));
}

/** updateExistingAPIVersionKindSelectorArray: `R` adds, `R-` removes an existing resource. */
function updateApiResources(existing: ApiResource[], values: readonly string[]): ApiResource[] {
  const added = values.filter((v) => !v.endsWith('-')).map(parseApiResource);
  const removed = values.filter((v) => v.endsWith('-')).map((v) => parseApiResource(v.slice(0, -1)));
  const updated: ApiResource[] = [];
  for (const ref of [...existing, ...added]) {
    const i = removed.findIndex((r) => sameResource(r, ref));
    if (i >= 0) removed.splice(i, 1);
    else updated.push(ref);
  }
  if (removed.length > 0) throw new CliError(`cannot find resources to remove: ${removed.map(apiResourceText).join(', ')}`);
  return updated;
}

function checkMode(mode: string): ApiServerSource['spec']['mode'] {
  return mode as ApiServerSource['spec']['mode'];
}

export async function apiserverCreateCommand(ctx: Ctx): Promise<void> {
  requireFlags(ctx, ['resource', 'sink']);
  const name = singleName(ctx, 'requires the name of the source to create as single argument');
  const namespace = namespaceOf(ctx);
  let sink;
  try {
    sink = await requiredSink(ctx, namespace);
  } catch (e) {
    throw new CliError(`cannot create ApiServerSource '${name}' in namespace '${namespace}' because: ${(e as Error).message}`);
  }
  const source: ApiServerSource = {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'ApiServerSource',
    metadata: { name, namespace },
    spec: { sink, resources: ctx.flags.list('resource').map(parseApiResource), mode: checkMode(ctx.flags.string('mode')) },
  };
  if (ctx.flags.string('service-account') !== '') source.spec.serviceAccountName = ctx.flags.string('service-account');
  applyCeOverrides(source.spec, ctx.flags.list('ce-override'));
  await connect(ctx).call('POST', pathOf(APISERVER_SOURCE, namespace), source);
  ctx.out.write(`ApiServer source '${name}' created in namespace '${namespace}'.\n`);
}

export async function apiserverUpdateCommand(ctx: Ctx): Promise<void> {
  const name = singleName(ctx, 'requires the name of the source as single argument');
  const namespace = namespaceOf(ctx);
  const client = connect(ctx);
  await updateOnce<ApiServerSource>(client, APISERVER_SOURCE, namespace, name, 'apiserver source', async (source) => {
    if (ctx.flags.changed('service-account')) source.spec.serviceAccountName = ctx.flags.string('service-account');
    if (ctx.flags.changed('mode')) source.spec.mode = checkMode(ctx.flags.string('mode'));
    if (ctx.flags.changed('resource')) source.spec.resources = updateApiResources(source.spec.resources ?? [], ctx.flags.list('resource'));
    await updateSinkAndOverrides(ctx, client, namespace, source.spec);
  });
  ctx.out.write(`ApiServer source '${name}' updated in namespace '${namespace}'.\n`);
}

export async function apiserverDeleteCommand(ctx: Ctx): Promise<void> {
  await deleteNamedCommand(ctx, APISERVER_SOURCE, 'requires the name of the source as single argument', 'ApiServer source');
}

/** kn's apiserver source describe layout. */
export const apiserverLayout: Layout<ApiServerSource> = (s, dw, verbose, now) =>
  describeLayout(s, dw, verbose, now, (w) => {
    w.writeAttribute('ServiceAccountName', s.spec.serviceAccountName ?? '');
    w.writeAttribute('EventMode', s.spec.mode ?? '');
    w.writeLine();
    writeSink(w, 'Sink', s.metadata.namespace, s.spec.sink);
    w.writeLine();
    ceOverridesBlock(s.spec.ceOverrides?.extensions, false)(w);
    const res = w.writeAttribute('Resources', '');
    for (const r of s.spec.resources ?? []) {
      res.writeAttribute('Kind', `${r.kind ?? ''} (${r.apiVersion ?? ''})`);
      if (r.selector) res.writeAttribute('Selector', labelsText(r));
    }
    w.writeLine();
  });

export async function apiserverDescribeCommand(ctx: Ctx): Promise<void> {
  const name = singleName(ctx, "'knit source apiserver describe' requires name of the source as single argument");
  await describeObject<ApiServerSource>(ctx, APISERVER_SOURCE, name, apiserverLayout);
}

/** kn's apiserver source list columns. */
export const APISERVER_TABLE: ListTable<ApiServerSource> = {
  header: ['NAME', 'RESOURCES', 'SINK', 'AGE', 'CONDITIONS', 'READY', 'REASON'],
  row: (s, now) => [s.metadata.name ?? '', (s.spec.resources ?? []).map(apiResourceText).join(','), sinkToString(s.spec.sink), ...conditionCells(s, now)],
};

export async function apiserverListCommand(ctx: Ctx): Promise<void> {
  await listObjects<ApiServerSource>(ctx, APISERVER_SOURCE, 'No ApiServer source found.', APISERVER_TABLE);
}

// ---------------------------------------------------------------------------------------------
// container

type SourceContainer = ContainerSource['spec']['template']['spec']['containers'][number];

/** The subset of kn's PodSpecFlags knit's container source takes: --image, --cmd, --arg, --env (NAME=value, NAME-). */
function applyContainerFlags(ctx: Ctx, c: SourceContainer): void {
  const f = ctx.flags;
  if (f.changed('image')) c.image = f.string('image');
  if (f.changed('cmd')) c.command = f.list('cmd');
  if (f.changed('arg')) c.args = f.list('arg');
  if (f.changed('env')) {
    let updates: ReturnType<typeof keyValueUpdates>;
    try {
      updates = keyValueUpdates(f.list('env'));
    } catch (e) {
      throw new CliError(`Invalid --env: ${(e as Error).message}`);
    }
    const env: EnvVar[] = (c.env ?? []).filter((e) => !updates.remove.includes(e.name) && !updates.set.has(e.name));
    for (const [name, value] of updates.set) env.push({ name, value });
    if (env.length > 0) c.env = env;
    else delete c.env;
  }
}

export async function containerCreateCommand(ctx: Ctx): Promise<void> {
  requireFlags(ctx, ['image', 'sink']);
  const name = singleName(ctx, 'requires the name of the source to create as single argument');
  const namespace = namespaceOf(ctx);
  let sink;
  try {
    sink = await requiredSink(ctx, namespace);
  } catch (e) {
    throw new CliError(`cannot create ContainerSource '${name}' in namespace '${namespace}' because: ${(e as Error).message}`);
  }
  const container: SourceContainer = {};
  applyContainerFlags(ctx, container);
  const source: ContainerSource = { apiVersion: 'sources.knative.dev/v1', kind: 'ContainerSource', metadata: { name, namespace }, spec: { sink, template: { spec: { containers: [container] } } } };
  await connect(ctx).call('POST', pathOf(CONTAINER_SOURCE, namespace), source);
  ctx.out.write(`ContainerSource '${name}' created in namespace '${namespace}'.\n`);
}

export async function containerUpdateCommand(ctx: Ctx): Promise<void> {
  const name = singleName(ctx, 'requires the name of the source as single argument');
  const namespace = namespaceOf(ctx);
  const client = connect(ctx);
  await updateWithRetry<ContainerSource>(client, CONTAINER_SOURCE, namespace, name, async (source) => {
    const spec = (source.spec.template = source.spec.template ?? { spec: { containers: [] } }).spec;
    if (!spec.containers || spec.containers.length === 0) spec.containers = [{}];
    applyContainerFlags(ctx, spec.containers[0]);
    if (ctx.flags.changed('sink')) {
      try {
        source.spec.sink = await resolveSink(client, ctx.flags.string('sink'), namespace, sinkMappingsOf(ctx));
      } catch (e) {
        throw new CliError(`cannot update ContainerSource '${name}' in namespace '${namespace}' because: ${(e as Error).message}`);
      }
    }
  });
  ctx.out.write(`Container source '${name}' updated in namespace '${namespace}'.\n`);
}

export async function containerDeleteCommand(ctx: Ctx): Promise<void> {
  // kn prints "ContainerSourcd" here (knative/client pkg/commands/source/container/delete.go); knit spells it right.
  await deleteNamedCommand(ctx, CONTAINER_SOURCE, 'requires the name of the source as single argument', 'ContainerSource');
}

/** kn's container source describe layout. */
export const containerLayout: Layout<ContainerSource> = (s, dw, verbose, now) =>
  describeLayout(s, dw, verbose, now, (w) => {
    const c = s.spec.template?.spec?.containers?.[0] ?? {};
    const sub = w.writeAttribute('Container', '');
    sub.writeAttribute('Image', c.image ?? '');
    if (c.env && c.env.length > 0) {
      const envW = sub.writeAttribute('Env', '');
      for (const e of c.env) envW.writeAttribute(e.name, e.valueFrom ? '[ref]' : e.value ?? '');
    }
    if (c.args && c.args.length > 0) {
      const argW = sub.writeAttribute('Args', '');
      for (const a of c.args) argW.writeAttribute(a, '');
    }
    w.writeLine();
    writeSink(w, 'Sink', s.metadata.namespace, s.spec.sink);
    w.writeLine();
    ceOverridesBlock(s.spec.ceOverrides?.extensions, false)(w);
    w.writeLine();
  });

export async function containerDescribeCommand(ctx: Ctx): Promise<void> {
  const name = singleName(ctx, "'knit source container describe' requires name of the source as single argument");
  await describeObject<ContainerSource>(ctx, CONTAINER_SOURCE, name, containerLayout);
}

/** kn's container source list columns. */
export const CONTAINER_TABLE: ListTable<ContainerSource> = {
  header: ['NAME', 'IMAGE', 'SINK', 'AGE', 'CONDITIONS', 'READY', 'REASON'],
  row: (s, now) => [s.metadata.name ?? '', s.spec.template?.spec?.containers?.[0]?.image ?? '', sinkToString(s.spec.sink), ...conditionCells(s, now)],
};

export async function containerListCommand(ctx: Ctx): Promise<void> {
  await listObjects<ContainerSource>(ctx, CONTAINER_SOURCE, 'No Container source found.', CONTAINER_TABLE);
}

// ---------------------------------------------------------------------------------------------
// binding

type Subject = SinkBinding['spec']['subject'];

/** util.ToTrackerReference: `kind:apiVersion:name` or `kind:apiVersion:k1=v1,k2=v2`. */
export function parseSubject(subject: string, namespace: string): Subject {
  const parts = subject.split(':');
  const slices = parts.length > 3 ? [parts[0], parts[1], parts.slice(2).join(':')] : parts;
  if (slices.length < 3) throw new CliError(`invalid subject argument '${subject}': not in format kind:api/version:nameOrSelector`);
  const gv = slices[1].split('/');
  if (gv.length > 2) throw new CliError(`unexpected GroupVersion string: ${slices[1]}`);
  const ref: Subject = { apiVersion: slices[1], kind: slices[0], namespace };
  if (!slices[2].includes('=')) {
    ref.name = slices[2];
    return ref;
  }
  const labels: Record<string, string> = {};
  for (const kv of slices[2].split(',')) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new CliError(`invalid label selector ${JSON.stringify(slices[2])}: expected key=value pairs separated by ','`);
    labels[kv.slice(0, i)] = kv.slice(i + 1);
  }
  ref.selector = { matchLabels: labels };
  return ref;
}

/** binding.go subjectToString. */
function subjectText(s: Subject | undefined): string {
  if (!s) return '';
  const ret = `${s.kind}:${s.apiVersion}`;
  if (s.name) return `${ret}:${s.name}`;
  const m = s.selector?.matchLabels;
  if (s.selector) return `${ret}:${Object.keys(m ?? {}).sort().map((k) => `${k}=${m![k]}`).join(',')}`;
  return ret;
}

export async function bindingCreateCommand(ctx: Ctx): Promise<void> {
  requireFlags(ctx, ['sink', 'subject']);
  const name = singleName(ctx, 'requires the name of the sink binding to create as single argument');
  const namespace = namespaceOf(ctx);
  const sink = await requiredSink(ctx, namespace);
  const binding: SinkBinding = { apiVersion: 'sources.knative.dev/v1', kind: 'SinkBinding', metadata: { name, namespace }, spec: { sink, subject: parseSubject(ctx.flags.string('subject'), namespace) } };
  applyCeOverrides(binding.spec, ctx.flags.list('ce-override'));
  await connect(ctx).call('POST', pathOf(SINK_BINDING, namespace), binding);
  ctx.out.write(`Sink binding '${name}' created in namespace '${namespace}'.\n`);
}

export async function bindingUpdateCommand(ctx: Ctx): Promise<void> {
  const name = singleName(ctx, 'requires the name of the sink binding to update as single argument');
  const namespace = namespaceOf(ctx);
  const client = connect(ctx);
  await updateOnce<SinkBinding>(client, SINK_BINDING, namespace, name, 'binding', async (binding) => {
    const sink = await resolveSinkFlag(ctx, client, 'sink', namespace);
    if (ctx.flags.changed('sink') && sink) binding.spec.sink = sink;
    if (ctx.flags.changed('subject')) binding.spec.subject = parseSubject(ctx.flags.string('subject'), namespace);
    if (ctx.flags.changed('ce-override')) applyCeOverrides(binding.spec, ctx.flags.list('ce-override'));
  });
  ctx.out.write(`Sink binding '${name}' updated in namespace '${namespace}'.\n`);
}

export async function bindingDeleteCommand(ctx: Ctx): Promise<void> {
  await deleteNamedCommand(ctx, SINK_BINDING, 'requires the name of the sink binding to delete as single argument', 'Sink binding');
}

/** kn's binding source describe layout. */
export const bindingLayout: Layout<SinkBinding> = (b, dw, verbose, now) =>
  describeLayout(b, dw, verbose, now, (w) => {
    const s = b.spec.subject;
    const sw = w.writeAttribute('Subject', '');
    if (s?.namespace && s.namespace !== b.metadata.namespace) sw.writeAttribute('Namespace', s.namespace);
    if (s?.name) sw.writeAttribute('Name', s.name);
    sw.writeAttribute('Resource', `${s?.kind ?? ''} (${s?.apiVersion ?? ''})`);
    if (s?.selector) {
      const mw = sw.writeAttribute('Selector', '');
      const m = s.selector.matchLabels ?? {};
      for (const k of Object.keys(m).sort()) mw.writeAttribute(k, m[k]);
    }
    writeSink(w, 'Sink', b.metadata.namespace, b.spec.sink);
    ceOverridesBlock(b.spec.ceOverrides?.extensions, false)(w);
    w.writeLine();
  });

export async function bindingDescribeCommand(ctx: Ctx): Promise<void> {
  const name = singleName(ctx, "'knit source binding describe' requires name of the sink binding as single argument");
  await describeObject<SinkBinding>(ctx, SINK_BINDING, name, bindingLayout);
}

/** kn's binding source list columns. */
export const BINDING_TABLE: ListTable<SinkBinding> = {
  header: ['NAME', 'SUBJECT', 'SINK', 'AGE', 'CONDITIONS', 'READY', 'REASON'],
  byName: 'never',
  defaultFirst: false,
  row: (b, now) => {
    const c = b.status?.conditions;
    return [b.metadata.name ?? '', subjectText(b.spec.subject), sinkToString(b.spec.sink), tableAge(b.metadata.creationTimestamp, now), conditionsValue(c), readyValue(c), nonReadyReason(c)];
  },
};

export async function bindingListCommand(ctx: Ctx): Promise<void> {
  await listObjects<SinkBinding>(ctx, SINK_BINDING, 'No sink binding found.', BINDING_TABLE);
}

// ---------------------------------------------------------------------------------------------
// source list, list-types

const SOURCE_KINDS: KindInfo[] = [APISERVER_SOURCE, CONTAINER_SOURCE, SINK_BINDING, PING_SOURCE];

/** kn's source ListHandlers: `[NAMESPACE] NAME TYPE RESOURCE SINK READY` of every source kind, by name. */
export const SOURCE_LIST_TABLE: ListTable<AnyObject> = {
  header: ['NAME', 'TYPE', 'RESOURCE', 'SINK', 'READY'],
  byName: 'always',
  defaultFirst: false,
  row: (i) => [i.metadata.name ?? '', i.kind ?? '', `${(i.kind ?? '').toLowerCase()}s.${(i.apiVersion ?? '').split('/')[0]}`, sinkToString((i.spec as { sink?: Destination } | undefined)?.sink), readyValue(i.status?.conditions)],
};

/** `knit source list [--type T]…`: every source kind's objects (ListSourcesUsingGVKs). */
export async function sourceListCommand(ctx: Ctx): Promise<void> {
  const printer = await printerOf(ctx.flags, ctx.cwd);
  const ns = listNamespaceOf(ctx);
  const filters = ctx.flags.list('type').map((t) => t.toLowerCase());
  const client = connect(ctx);
  const items: AnyObject[] = [];
  for (const info of SOURCE_KINDS) {
    if (filters.length > 0 && !filters.includes(info.kind.toLowerCase())) continue;
    const list = await client.call<ObjectList<AnyObject>>('GET', pathOf(info, ns));
    for (const i of list.items ?? []) items.push({ ...(printer ? forPrinter(ctx, printer, i) : i), apiVersion: i.apiVersion || `${info.group}/${info.version}`, kind: i.kind || info.kind });
  }
  if (printer) {
    if (printer.format === 'name') {
      ctx.out.write(items.map((i) => `${(i.kind ?? '').toLowerCase()}.${(i.apiVersion ?? '').split('/')[0]}/${i.metadata.name ?? ''}\n`).join(''));
      return;
    }
    const list = { apiVersion: 'client.knative.dev/v1alpha1', kind: 'SourceList', metadata: {}, items };
    ctx.out.write(printer.format === 'json' ? JSON.stringify(sortKeysDeep(list), null, 4) + '\n' : await printDocument(list, printer));
    return;
  }
  if (items.length === 0) {
    ctx.out.write('No sources found.\n');
    return;
  }
  ctx.out.write(
    renderTable(
      items,
      SOURCE_LIST_TABLE,
      { allNamespaces: ns === undefined, noHeaders: ctx.flags.bool('no-headers'), now: nowOf(ctx) },
    ),
  );
}

/** source/human_readable_flags.go sourceTypeDescription and sourceTypeSupported. */
const SOURCE_TYPE_DESCRIPTION: Record<string, string> = {
  ApiServerSource: 'Watch and send Kubernetes API events to addressable',
  SinkBinding: 'Binding for connecting a PodSpecable to addressable',
  PingSource: 'Send periodically ping events to addressable',
  ContainerSource: 'Generate events by Container image and send to addressable',
  KafkaSource: 'Route events from Apache Kafka Server to addressable',
};
const SOURCE_TYPE_SUPPORTED: Record<string, string> = { ApiServerSource: 'X', SinkBinding: 'X', PingSource: 'X', ContainerSource: 'X', KafkaSource: '' };

/** `knit source list-types`: `TYPE S NAME DESCRIPTION`. */
export async function sourceListTypesCommand(ctx: Ctx): Promise<void> {
  const printer = await printerOf(ctx.flags, ctx.cwd);
  const crds = await listTypes(connect(ctx), 'sources');
  if (printer) {
    ctx.out.write(await crds.print(printer));
    return;
  }
  if (crds.items.length === 0) throw invalidCrd('Sources');
  const rows = crds.items.map((c) => [c.spec.names.kind, SOURCE_TYPE_SUPPORTED[c.spec.names.kind] ?? '', c.metadata.name, SOURCE_TYPE_DESCRIPTION[c.spec.names.kind] ?? '']);
  ctx.out.write(table(['TYPE', 'S', 'NAME', 'DESCRIPTION'], rows, ctx.flags.bool('no-headers')));
}
