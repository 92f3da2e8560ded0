// `knit trigger create|delete|describe|list|update` (knative/client pkg/commands/trigger).

import type { SubscriptionsAPIFilter, Trigger } from '../../eventing/types.ts';
import type { CommandContext } from '../command.ts';
import { connect, namespaceOf } from '../context.ts';
import { tableAge } from '../duration.ts';
import { CliError } from '../errors.ts';
import { mapFromArray } from '../podspec-flags.ts';
import type { PrefixWriter } from '../printers.ts';
import { conditionsValue, nonReadyReason, readyValue } from '../printers.ts';
import type { Layout, ListTable } from './common.ts';
import { createExplained, deleteNamedCommand, describeLayout, describeObject, keyValueUpdates, listObjects, requireFlags, resolveSink, singleName, sinkMappingsOf, sinkToString, TRIGGER, updateWithRetry, writeSink } from './common.ts';

/** TriggerBuilder.Filters: an empty filter without --filter, else exactly the given attributes. */
function withFilters(trigger: Trigger, filters: Map<string, string>): void {
  if (filters.size === 0) {
    trigger.spec.filter = {};
    return;
  }
  trigger.spec.filter = { ...(trigger.spec.filter ?? {}), attributes: Object.fromEntries(filters) };
}

/** `knit trigger create NAME --sink SINK [--broker B] [--filter k=v]…`. */
export async function createCommand(ctx: CommandContext): Promise<void> {
  requireFlags(ctx, ['sink']);
  const name = singleName(ctx, "'trigger create' requires the name of the trigger");
  const namespace = namespaceOf(ctx);
  const client = connect(ctx);
  let subscriber;
  try {
    subscriber = await resolveSink(client, ctx.flags.string('sink'), namespace, sinkMappingsOf(ctx));
  } catch (e) {
    throw new CliError(`cannot create trigger '${name}' in namespace '${namespace}' because: ${(e as Error).message}`);
  }
  let filters: Map<string, string>;
  try {
    filters = mapFromArray(ctx.flags.list('filter'), false);
  } catch (e) {
    throw new CliError(`cannot create trigger '${name}' because Invalid --filter: ${(e as Error).message}`);
  }
  const trigger: Trigger = { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name, namespace }, spec: { broker: ctx.flags.string('broker'), subscriber } };
  withFilters(trigger, filters);
  await createExplained(client, TRIGGER, namespace, name, trigger);
  ctx.out.write(`Trigger '${name}' successfully created in namespace '${namespace}'.\n`);
}

/** `knit trigger update NAME [--filter k=v|k-]… [--sink SINK]`. */
export async function updateCommand(ctx: CommandContext): Promise<void> {
  const name = singleName(ctx, 'name of trigger required');
  const namespace = namespaceOf(ctx);
  const client = connect(ctx);
  await updateWithRetry<Trigger>(client, TRIGGER, namespace, name, async (trigger) => {
    if (ctx.flags.changed('filter')) {
      let updates: ReturnType<typeof keyValueUpdates>;
      try {
        updates = keyValueUpdates(ctx.flags.list('filter'));
      } catch (e) {
        throw new CliError(`cannot update trigger '${name}' because Invalid --filter: ${(e as Error).message}`);
      }
      const merged = new Map(Object.entries(trigger.spec.filter?.attributes ?? {}));
      for (const [k, v] of updates.set) merged.set(k, v);
      for (const k of updates.remove) merged.delete(k);
      withFilters(trigger, merged);
    }
    if (ctx.flags.changed('sink')) {
      const dest = await resolveSink(client, ctx.flags.string('sink'), namespace, sinkMappingsOf(ctx));
      trigger.spec.subscriber = { ...(dest.ref ? { ref: dest.ref } : {}), ...(dest.uri ? { uri: dest.uri } : {}) };
    }
  });
  ctx.out.write(`Trigger '${name}' updated in namespace '${namespace}'.\n`);
}

/** `knit trigger delete NAME`. */
export async function deleteCommand(ctx: CommandContext): Promise<void> {
  await deleteNamedCommand(ctx, TRIGGER, "'trigger delete' requires the name of the trigger as single argument", 'Trigger');
}

function writeAttributes(dw: PrefixWriter, m: Record<string, string>): void {
  for (const k of Object.keys(m).sort()) dw.writeAttribute(k, m[k]);
}

/** describe.go writeNestedFilters. */
function writeNestedFilters(dw: PrefixWriter, filter: SubscriptionsAPIFilter): void {
  if (filter.all?.length) {
    const sub = dw.writeAttribute('all', '');
    for (const f of filter.all) writeNestedFilters(sub, f);
  }
  if (filter.any?.length) {
    const sub = dw.writeAttribute('any', '');
    for (const f of filter.any) writeNestedFilters(sub, f);
  }
  if (filter.not) writeNestedFilters(dw.writeAttribute('not', ''), filter.not);
  if (filter.exact && Object.keys(filter.exact).length > 0) writeAttributes(dw.writeAttribute('exact', ''), filter.exact);
  if (filter.prefix && Object.keys(filter.prefix).length > 0) writeAttributes(dw.writeAttribute('prefix', ''), filter.prefix);
  if (filter.suffix && Object.keys(filter.suffix).length > 0) writeAttributes(dw.writeAttribute('suffix', ''), filter.suffix);
  if (filter.cesql) dw.writeAttribute('cesql', filter.cesql);
}

/** kn's trigger describe: metadata, Broker, Filter, Filters, Sink, conditions. */
export const triggerLayout: Layout<Trigger> = (t, dw, verbose, now) =>
  describeLayout(t, dw, verbose, now, (w) => {
    w.writeAttribute('Broker', t.spec.broker ?? '');
    if (t.spec.filter?.attributes) writeAttributes(w.writeAttribute('Filter', ''), t.spec.filter.attributes);
    if (t.spec.filters && t.spec.filters.length > 0) {
      w.writeLine();
      const sub = w.writeAttribute('Filters (experimental)', '');
      for (const f of t.spec.filters) writeNestedFilters(sub, f);
    }
    w.writeLine();
    writeSink(w, 'Sink', t.metadata.namespace, t.spec.subscriber);
    w.writeLine();
  });

/** kn's TriggerListHandlers: `[NAMESPACE] NAME BROKER SINK AGE CONDITIONS READY REASON`. */
export const TRIGGER_TABLE: ListTable<Trigger> = {
  header: ['NAME', 'BROKER', 'SINK', 'AGE', 'CONDITIONS', 'READY', 'REASON'],
  byName: 'never',
  row: (t, now) => [
    t.metadata.name ?? '',
    t.spec.broker ?? '',
    sinkToString(t.spec.subscriber),
    tableAge(t.metadata.creationTimestamp, now),
    conditionsValue(t.status?.conditions),
    readyValue(t.status?.conditions),
    nonReadyReason(t.status?.conditions),
  ],
};

/** `knit trigger describe NAME`. */
export async function describeCommand(ctx: CommandContext): Promise<void> {
  const name = singleName(ctx, "'knit trigger describe' requires name of the trigger as single argument");
  await describeObject<Trigger>(ctx, TRIGGER, name, triggerLayout);
}

/** `knit trigger list`. */
export async function listCommand(ctx: CommandContext): Promise<void> {
  await listObjects<Trigger>(ctx, TRIGGER, 'No triggers found.', TRIGGER_TABLE);
}
