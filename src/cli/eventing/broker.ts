// `knit broker create|delete|describe|list|update` (knative/client pkg/commands/broker).

import { isNotFound } from '../../api/status-error.ts';
import type { Broker, DeliverySpec, KReference } from '../../eventing/types.ts';
import type { ServingClient } from '../client.ts';
import type { CommandContext } from '../command.ts';
import { connect, namespaceOf } from '../context.ts';
import { CliError } from '../errors.ts';
import { conditionsValue, nonReadyReason, readyValue } from '../printers.ts';
import { tableAge } from '../duration.ts';
import type { Layout, ListTable } from './common.ts';
import { BROKER, createExplained, deleteNamed, describeLayout, describeObject, listObjects, pathOf, resolveSinkFlag, singleName, updateWithRetry } from './common.ts';

/** eventingv1.BrokerClassAnnotationKey. */
const BROKER_CLASS_ANNOTATION = 'eventing.knative.dev/broker.class';

/** broker/config_flags.go ConfigTypeMapping / KReferenceMapping. */
const CONFIG_KINDS: Record<string, { kind: string; apiVersion: string }> = {
  cm: { kind: 'ConfigMap', apiVersion: 'v1' },
  configmap: { kind: 'ConfigMap', apiVersion: 'v1' },
  sc: { kind: 'Secret', apiVersion: 'v1' },
  secret: { kind: 'Secret', apiVersion: 'v1' },
  rabbitmqcluster: { kind: 'RabbitmqCluster', apiVersion: 'rabbitmq.com/v1beta1' },
  rabbitmq: { kind: 'RabbitmqCluster', apiVersion: 'rabbitmq.com/v1beta1' },
  rmq: { kind: 'RabbitmqCluster', apiVersion: 'rabbitmq.com/v1beta1' },
};

/** ConfigFlags.GetBrokerConfigReference: `NAME`, `KIND:NAME`, `KIND:NAME:NS` or `APIVERSION:KIND:NAME`, `APIVERSION:KIND:NAME:NS`. */
export function brokerConfigReference(config: string): KReference {
  const parts = config.split(':');
  const slices = parts.length > 4 ? [...parts.slice(0, 3), parts.slice(3).join(':')] : parts;
  const known = (kind: string) => CONFIG_KINDS[kind.toLowerCase()];
  if (slices.length === 1) return { kind: 'ConfigMap', name: slices[0], apiVersion: 'v1' };
  if (slices.length === 2) {
    const k = known(slices[0]);
    if (!k) throw new CliError(`APIVersion could not be determined for kind ${JSON.stringify(slices[0])}. Provide config in format: "<apiVersion>:<kind>:<name>:<namespace>"`);
    return { ...k, name: slices[1] };
  }
  if (slices.length === 3) {
    const k = known(slices[0]);
    if (!k) return { kind: slices[1], name: slices[2], apiVersion: slices[0] };
    return { ...k, name: slices[1], namespace: slices[2] };
  }
  return { apiVersion: slices[0], kind: slices[1], name: slices[2], namespace: slices[3] };
}

function setDelivery(broker: Broker, key: keyof DeliverySpec, value: DeliverySpec[keyof DeliverySpec]): void {
  broker.spec = broker.spec ?? {};
  broker.spec.delivery = { ...(broker.spec.delivery ?? {}), [key]: value };
}

/** The builder's delivery setters: an empty value (or retry 0) leaves the field alone. */
async function applyDelivery(ctx: CommandContext, client: ServingClient, namespace: string, broker: Broker, onlyChanged: boolean): Promise<void> {
  const f = ctx.flags;
  const use = (name: string) => !onlyChanged || f.changed(name);
  if (use('dl-sink')) {
    const dest = await resolveSinkFlag(ctx, client, 'dl-sink', namespace);
    if (dest) setDelivery(broker, 'deadLetterSink', dest);
  }
  if (use('retry') && f.int('retry') !== 0) {
    const retry = f.int('retry');
    if (retry > 2147483647 || retry < -2147483648) throw new CliError(`invalid argument "${retry}" for "--retry" flag: strconv.ParseInt: parsing "${retry}": value out of range`);
    setDelivery(broker, 'retry', retry);
  }
  if (use('timeout') && f.string('timeout') !== '') setDelivery(broker, 'timeout', f.string('timeout'));
  if (use('backoff-policy') && f.string('backoff-policy') !== '') setDelivery(broker, 'backoffPolicy', f.string('backoff-policy') as DeliverySpec['backoffPolicy']);
  if (use('backoff-delay') && f.string('backoff-delay') !== '') setDelivery(broker, 'backoffDelay', f.string('backoff-delay'));
  if (use('retry-after-max') && f.string('retry-after-max') !== '') setDelivery(broker, 'retryAfterMax', f.string('retry-after-max'));
}

/** `knit broker create NAME`. */
export async function createCommand(ctx: CommandContext): Promise<void> {
  const name = singleName(ctx, "'broker create' requires the broker name given as single argument");
  const namespace = namespaceOf(ctx);
  const client = connect(ctx);
  const broker: Broker = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name, namespace }, spec: {} };
  await applyDelivery(ctx, client, namespace, broker, false);
  const className = ctx.flags.string('class');
  if (className !== '') broker.metadata.annotations = { [BROKER_CLASS_ANNOTATION]: className };
  if (ctx.flags.changed('broker-config')) {
    if (!ctx.flags.changed('class')) throw new CliError('cannot set broker-config without setting class');
    broker.spec.config = brokerConfigReference(ctx.flags.string('broker-config'));
  }
  await createExplained(client, BROKER, namespace, name, broker);
  ctx.out.write(`Broker '${name}' successfully created in namespace '${namespace}'.\n`);
}

/** `knit broker update NAME`: the changed delivery flags only. */
export async function updateCommand(ctx: CommandContext): Promise<void> {
  // update.go preCheck: cobra's NFlag counts every flag given, -n included.
  if (ctx.flags.count() === 0) throw new CliError('flag(s) not set\nUsage: update NAME');
  const name = singleName(ctx, "'broker update' requires the broker name given as single argument");
  const namespace = namespaceOf(ctx);
  const client = connect(ctx);
  await updateWithRetry<Broker>(client, BROKER, namespace, name, (b) => applyDelivery(ctx, client, namespace, b, true));
  ctx.out.write(`Broker '${name}' updated in namespace '${namespace}'.\n`);
}

/** `knit broker delete NAME [--wait]` (knEventingClient.DeleteBroker). */
export async function deleteCommand(ctx: CommandContext): Promise<void> {
  const name = singleName(ctx, "'broker delete' requires the broker name given as single argument");
  const namespace = namespaceOf(ctx);
  const client = connect(ctx);
  try {
    const broker = await client.call<Broker>('GET', pathOf(BROKER, namespace, name));
    if (broker.metadata.deletionTimestamp) throw new CliError(`can't delete broker '${name}' because it has been already marked for deletion`);
    if (ctx.flags.bool('wait')) {
      await deleteNamed(client, BROKER, namespace, name, 'Foreground');
      await waitGone(client, pathOf(BROKER, namespace, name), ctx.flags.int('wait-timeout'));
    } else {
      await deleteNamed(client, BROKER, namespace, name);
    }
  } catch (e) {
    throw new CliError(`cannot delete broker '${name}' in namespace '${namespace}' because: ${(e as Error).message}`);
  }
  ctx.out.write(`Broker '${name}' successfully deleted in namespace '${namespace}'.\n`);
}

/** Waits until GET answers 404, checking every 200ms, for at most `timeoutSeconds`. */
async function waitGone(client: ServingClient, path: string, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    try {
      await client.call('GET', path);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (Date.now() >= deadline) throw new CliError(`timeout: broker '${path.split('/').pop()}' not deleted within ${timeoutSeconds}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function brokerURL(b: Broker): string {
  return b.status?.address?.url ?? '';
}

/** kn's describeBroker: metadata, Address URL, conditions. */
export const brokerLayout: Layout<Broker> = (b, dw, verbose, now) =>
  describeLayout(b, dw, verbose, now, (w) => {
    w.writeLine();
    w.writeAttribute('Address', '').writeAttribute('URL', brokerURL(b));
    w.writeLine();
  });

/** kn's broker ListHandlers: `[NAMESPACE] NAME URL AGE CONDITIONS READY REASON`, in the server's order. */
export const BROKER_TABLE: ListTable<Broker> = {
  header: ['NAME', 'URL', 'AGE', 'CONDITIONS', 'READY', 'REASON'],
  byName: 'never',
  defaultFirst: false,
  row: (b, now) => [b.metadata.name ?? '', brokerURL(b), tableAge(b.metadata.creationTimestamp, now), conditionsValue(b.status?.conditions), readyValue(b.status?.conditions), nonReadyReason(b.status?.conditions)],
};

/** `knit broker describe NAME`. */
export async function describeCommand(ctx: CommandContext): Promise<void> {
  const name = singleName(ctx, "'broker describe' requires the broker name given as single argument");
  await describeObject<Broker>(ctx, BROKER, name, brokerLayout, brokerURL);
}

/** `knit broker list`. */
export async function listCommand(ctx: CommandContext): Promise<void> {
  await listObjects<Broker>(ctx, BROKER, 'No brokers found.', BROKER_TABLE);
}
