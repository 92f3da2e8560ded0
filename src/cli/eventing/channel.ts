// `knit channel create|delete|describe|list|list-types` and `knit subscription create|delete|describe|list|update`
// (knative/client pkg/commands/channel and pkg/commands/subscription, pkg/flags/channel_types.go).

import type { Channel, DeliverySpec, KReference, Subscription } from '../../eventing/types.ts';
import type { CommandContext } from '../command.ts';
import { connect, namespaceOf } from '../context.ts';
import { tableAge } from '../duration.ts';
import { CliError } from '../errors.ts';
import { printerOf } from '../output.ts';
import { nonReadyReason, readyValue, table } from '../printers.ts';
import type { Layout, ListTable } from './common.ts';
import { CHANNEL, deleteNamedCommand, knConfigOf, describeLayout, describeObject, listObjects, pathOf, resolveSinkFlag, singleName, sinkToString, SUBSCRIPTION, updateWithRetry, writeSink } from './common.ts';
import { invalidCrd, listTypes } from './types-list.ts';

/** ctypeMappings: kn's built-in channel type alias. */
const CHANNEL_TYPES: Record<string, { group: string; version: string; kind: string }> = {
  imc: { group: 'messaging.knative.dev', version: 'v1', kind: 'InMemoryChannel' },
};

type ChannelTypes = Record<string, { group: string; version: string; kind: string }>;

/** The built-in `imc` and the config file's `eventing.channel-type-mappings` (which may override it). */
function channelTypesOf(ctx: CommandContext): ChannelTypes {
  const out: ChannelTypes = { ...CHANNEL_TYPES };
  for (const m of knConfigOf(ctx).channelTypeMappings) out[m.alias] = { group: m.group, version: m.version, kind: m.kind };
  return out;
}

/** ChannelTypeFlags.Parse: an alias or `Group:Version:Kind`. */
export function parseChannelType(ctype: string, types: ChannelTypes = CHANNEL_TYPES): { apiVersion: string; kind: string } {
  const parts = ctype.split(':');
  const bad = `Error: incorrect value '${ctype}' for '--type', must be in the format 'Group:Version:Kind' or configure an alias in kn config`;
  if (parts.length === 1) {
    const t = types[ctype];
    if (!t) throw new CliError(`Error: unknown channel type alias: '${ctype}'`);
    return { apiVersion: `${t.group}/${t.version}`, kind: t.kind };
  }
  if (parts.length !== 3 || parts.some((p) => p === '')) throw new CliError(bad);
  return { apiVersion: `${parts[0]}/${parts[1]}`, kind: parts[2] };
}

/** ChannelRef.Parse: `NAME` (a Channel), `ALIAS:NAME` or `Group:Version:Kind:Name`. */
export function parseChannelRef(cref: string, types: ChannelTypes = CHANNEL_TYPES): KReference {
  const parts = cref.split(':');
  const bad = `Error: incorrect value '${cref}' for '--channel', must be in the format 'Group:Version:Kind:Name' or configure an alias in kn config and refer as: '--channel ALIAS:NAME'`;
  if (parts.length === 1) return { kind: 'Channel', apiVersion: 'messaging.knative.dev/v1', name: parts[0] };
  if (parts.length === 2) {
    const t = types[parts[0]];
    if (!t) throw new CliError(`Error: unknown alias '${parts[0]}' for '--channel', please configure the alias in kn config or specify in the format '--channel Group:Version:Kind:Name'`);
    return { kind: t.kind, apiVersion: `${t.group}/${t.version}`, name: parts[1] };
  }
  if (parts.length === 4 && parts.every((p) => p !== '')) return { kind: parts[2], apiVersion: `${parts[0]}/${parts[1]}`, name: parts[3] };
  throw new CliError(bad);
}

// ---------------------------------------------------------------------------------------------
// channel

/** `knit channel create NAME [--type T]`. */
export async function channelCreateCommand(ctx: CommandContext): Promise<void> {
  const name = singleName(ctx, "'knit channel create' requires the channel name given as single argument");
  const namespace = namespaceOf(ctx);
  const channel: Channel = { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', metadata: { name, namespace }, spec: {} };
  if (ctx.flags.changed('type')) channel.spec.channelTemplate = parseChannelType(ctx.flags.string('type'), channelTypesOf(ctx));
  await connect(ctx).call('POST', pathOf(CHANNEL, namespace), channel);
  ctx.out.write(`Channel '${name}' created in namespace '${namespace}'.\n`);
}

/** `knit channel delete NAME`. */
export async function channelDeleteCommand(ctx: CommandContext): Promise<void> {
  await deleteNamedCommand(ctx, CHANNEL, "'knit channel delete' requires the channel name as single argument", 'Channel');
}

function channelURL(c: Channel): string {
  return c.status?.address?.url ?? '';
}

/** kn's channel describe: metadata, Type, URL (once addressable), conditions. */
export const channelLayout: Layout<Channel> = (c, dw, verbose, now) =>
  describeLayout(c, dw, verbose, now, (w) => {
    w.writeAttribute('Type', `${c.spec.channelTemplate?.kind ?? ''} (${c.spec.channelTemplate?.apiVersion ?? ''})`);
    if (c.status?.address) w.writeAttribute('URL', channelURL(c));
    w.writeLine();
  });

/** kn's channel ListHandlers: `[NAMESPACE] NAME TYPE URL AGE READY REASON`. */
export const CHANNEL_TABLE: ListTable<Channel> = {
  header: ['NAME', 'TYPE', 'URL', 'AGE', 'READY', 'REASON'],
  row: (c, now) => [c.metadata.name ?? '', c.spec.channelTemplate?.kind ?? '', channelURL(c), tableAge(c.metadata.creationTimestamp, now), readyValue(c.status?.conditions), nonReadyReason(c.status?.conditions)],
};

/** `knit channel describe NAME`. */
export async function channelDescribeCommand(ctx: CommandContext): Promise<void> {
  const name = singleName(ctx, "'knit channel describe' requires the channel name given as single argument");
  await describeObject<Channel>(ctx, CHANNEL, name, channelLayout, channelURL);
}

/** `knit channel list`. */
export async function channelListCommand(ctx: CommandContext): Promise<void> {
  await listObjects<Channel>(ctx, CHANNEL, 'No channels found.', CHANNEL_TABLE);
}

/** channel/flags.go channelTypeDescription. */
const CHANNEL_TYPE_DESCRIPTION: Record<string, string> = {
  InMemoryChannel: 'The events are stored in memory',
  KafkaChannel: 'The events are stored in a Kafka cluster (must be installed separately)',
};

/** `knit channel list-types`: `TYPE NAME DESCRIPTION` of the channel CRDs knit serves. */
export async function channelListTypesCommand(ctx: CommandContext): Promise<void> {
  const printer = await printerOf(ctx.flags, ctx.cwd);
  const crds = await listTypes(connect(ctx), 'channels');
  if (printer) {
    ctx.out.write(await crds.print(printer));
    return;
  }
  if (crds.items.length === 0) throw invalidCrd('Channels');
  const rows = crds.items.map((c) => [c.spec.names.kind, c.metadata.name, CHANNEL_TYPE_DESCRIPTION[c.spec.names.kind] ?? '']);
  ctx.out.write(table(['TYPE', 'NAME', 'DESCRIPTION'], rows, ctx.flags.bool('no-headers')));
}

// ---------------------------------------------------------------------------------------------
// subscription

/** The builder's Subscriber/Reply/DeadLetterSink setters: a flag not given leaves the field as it is. */
async function applySubscriptionSinks(ctx: CommandContext, sub: Subscription, namespace: string): Promise<void> {
  const client = connect(ctx);
  const subscriber = await resolveSinkFlag(ctx, client, 'sink', namespace);
  if (subscriber) sub.spec.subscriber = subscriber;
  const reply = await resolveSinkFlag(ctx, client, 'sink-reply', namespace);
  if (reply) sub.spec.reply = reply;
  const dls = await resolveSinkFlag(ctx, client, 'sink-dead-letter', namespace);
  if (dls) sub.spec.delivery = { ...(sub.spec.delivery ?? {}), deadLetterSink: dls } as DeliverySpec;
}

/** `knit subscription create NAME --channel C [--sink S] [--sink-reply R] [--sink-dead-letter D]`. */
export async function subscriptionCreateCommand(ctx: CommandContext): Promise<void> {
  const name = singleName(ctx, "'knit subscription create' requires the subscription name given as single argument");
  if (ctx.flags.string('channel') === '') throw new CliError("'knit subscription create' requires the channel reference provided with --channel flag");
  const namespace = namespaceOf(ctx);
  const sub: Subscription = { apiVersion: 'messaging.knative.dev/v1', kind: 'Subscription', metadata: { name, namespace }, spec: { channel: parseChannelRef(ctx.flags.string('channel'), channelTypesOf(ctx)) } };
  await applySubscriptionSinks(ctx, sub, namespace);
  await connect(ctx).call('POST', pathOf(SUBSCRIPTION, namespace), sub);
  ctx.out.write(`Subscription '${name}' created in namespace '${namespace}'.\n`);
}

/** `knit subscription update NAME [--sink S] [--sink-reply R] [--sink-dead-letter D]`. */
export async function subscriptionUpdateCommand(ctx: CommandContext): Promise<void> {
  const name = singleName(ctx, "'knit subscription update' requires the subscription name given as single argument");
  const namespace = namespaceOf(ctx);
  await updateWithRetry<Subscription>(connect(ctx), SUBSCRIPTION, namespace, name, (sub) => applySubscriptionSinks(ctx, sub, namespace));
  ctx.out.write(`Subscription '${name}' updated in namespace '${namespace}'.\n`);
}

/** `knit subscription delete NAME`. */
export async function subscriptionDeleteCommand(ctx: CommandContext): Promise<void> {
  await deleteNamedCommand(ctx, SUBSCRIPTION, "'knit subscription delete' requires the subscription name as single argument", 'Subscription');
}

/** kn's subscription describe: metadata, Channel, Subscriber, Reply, DeadLetterSink, conditions. */
export const subscriptionLayout: Layout<Subscription> = (s, dw, verbose, now) =>
  describeLayout(s, dw, verbose, now, (w) => {
    const ch = s.spec.channel;
    w.writeAttribute('Channel', `${ch?.kind ?? ''}:${ch?.name ?? ''} (${ch?.apiVersion ?? ''})`);
    writeSink(w, 'Subscriber', s.metadata.namespace, s.spec.subscriber);
    writeSink(w, 'Reply', s.metadata.namespace, s.spec.reply);
    if (s.spec.delivery) writeSink(w, 'DeadLetterSink', s.metadata.namespace, s.spec.delivery.deadLetterSink);
    w.writeLine();
  });

/** kn's subscription ListHandlers: `[NAMESPACE] NAME CHANNEL SUBSCRIBER REPLY DEAD LETTER SINK READY REASON`. */
export const SUBSCRIPTION_TABLE: ListTable<Subscription> = {
  header: ['NAME', 'CHANNEL', 'SUBSCRIBER', 'REPLY', 'DEAD LETTER SINK', 'READY', 'REASON'],
  row: (s) => [
    s.metadata.name ?? '',
    `${s.spec.channel?.kind ?? ''}:${s.spec.channel?.name ?? ''}`,
    sinkToString(s.spec.subscriber),
    sinkToString(s.spec.reply),
    sinkToString(s.spec.delivery?.deadLetterSink),
    readyValue(s.status?.conditions),
    nonReadyReason(s.status?.conditions),
  ],
};

/** `knit subscription describe NAME`. */
export async function subscriptionDescribeCommand(ctx: CommandContext): Promise<void> {
  const name = singleName(ctx, "'knit subscription describe' requires the subscription name given as single argument");
  await describeObject<Subscription>(ctx, SUBSCRIPTION, name, subscriptionLayout);
}

/** `knit subscription list`. */
export async function subscriptionListCommand(ctx: CommandContext): Promise<void> {
  await listObjects<Subscription>(ctx, SUBSCRIPTION, 'No subscriptions found.', SUBSCRIPTION_TABLE);
}
