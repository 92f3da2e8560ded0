// The channels' fan-out on the core's delivery engine (src/eventing/delivery.ts): one durable row per (event,
// subscriber) in DATA_DIR/channels.db, sent to the subscriberUri, a reply event then sent to the replyUri, and
// a failure after the subscriber's retries sent to its dead-letter sink — knative/eventing
// pkg/channel/fanout/fanout_event_handler.go and pkg/kncloudevents/event_dispatcher.go's
// subscriber → reply → dead letter order.
//
// Rows reuse the broker queue's columns: `broker` is the channel's `namespace/name`, `triggerUid` its uid (a
// channel re-created under the name does not inherit them), `trigger` the subscriber's uid (subscriberId).

import path from 'node:path';
import type { StoredObject } from '../store/store.ts';
import { splitKey } from '../controllers/names.ts';
import { IMC_RESOURCE, type ChannelSubscriber, type InMemoryChannel } from './channel.ts';
import type { ChannelFanout } from './channel-dispatcher.ts';
import type { EventRecord } from './cloudevents.ts';
import { BrokerDelivery, type DeliveryRoute } from './delivery.ts';
import type { EventingContext } from './manager.ts';
import { PHASE_DEAD_LETTER, PHASE_SUBSCRIBER, type Delivery, type NewDelivery } from './queue.ts';
import type { DeliverySpec } from './types.ts';

/** The channels' own phase: the subscriber's reply on its way to the replyUri. */
export const PHASE_REPLY = 2;

/** A subscriber's identity in the queue: its uid, or for a hand-written entry without one, its URIs. */
function subscriberId(s: ChannelSubscriber): string {
  return s.uid ? s.uid : `uri:${s.subscriberUri ?? ''} ${s.replyUri ?? ''}`;
}

/** The channel fan-out of one knit process. */
export class ChannelDeliveries implements ChannelFanout, DeliveryRoute {
  private readonly ctx: Pick<EventingContext, 'store'>;
  readonly engine: BrokerDelivery;
  private readonly now: () => number;

  constructor(ctx: Pick<EventingContext, 'store'>, makeEngine: (route: DeliveryRoute) => BrokerDelivery, now: () => number = Date.now) {
    this.ctx = ctx;
    this.engine = makeEngine(this);
    this.now = now;
  }

  /** The fan-out sending through the cluster-local gateway, its queue in DATA_DIR/channels.db. */
  static forContext(ctx: EventingContext): ChannelDeliveries {
    return new ChannelDeliveries(ctx, (route) => BrokerDelivery.forContext(ctx, path.join(ctx.dataDir, 'channels.db'), route));
  }

  start(): void {
    // Channels deleted while knit was down: their queued events go.
    for (const d of this.engine.queue.all()) {
      const [ns, name] = splitKey(d.broker);
      if (this.ctx.store.peek<InMemoryChannel & StoredObject>(IMC_RESOURCE, ns, name)?.metadata.uid !== d.triggerUid) this.engine.queue.dropBroker(d.broker);
    }
    this.engine.start();
  }

  stop(): void {
    this.engine.stop();
  }

  accept(channel: { key: string; uid: string }, subscribers: readonly ChannelSubscriber[], events: readonly EventRecord[], done: (err?: Error) => void): void {
    const rows: NewDelivery[] = [];
    const now = this.now();
    for (const ev of events) {
      for (const s of subscribers) {
        // A subscriber without a subscriberUri forwards straight to its reply (fanout's Subscriber-less case).
        const phase = s.subscriberUri ? PHASE_SUBSCRIBER : s.replyUri ? PHASE_REPLY : undefined;
        if (phase === undefined) continue;
        rows.push({ broker: channel.key, trigger: subscriberId(s), triggerUid: channel.uid, event: ev, ttl: 0, nextAt: now, phase });
      }
    }
    this.engine.enqueue(rows, done);
  }

  dropChannel(key: string): void {
    this.engine.dropBroker(key);
  }

  /** The row's channel and subscriber, read without copying (never mutated; the hot path of every attempt). */
  private lookup(d: Delivery): { imc: Readonly<InMemoryChannel>; sub: Readonly<ChannelSubscriber> } | undefined {
    const [ns, name] = splitKey(d.broker);
    const imc = this.ctx.store.peek<InMemoryChannel & StoredObject>(IMC_RESOURCE, ns, name);
    if (!imc || imc.metadata.uid !== d.triggerUid) return undefined;
    const sub = imc.spec.subscribers?.find((s) => subscriberId(s) === d.trigger);
    return sub ? { imc, sub } : undefined;
  }

  resolve(d: Delivery): { spec: DeliverySpec | undefined; target: string | undefined } | undefined {
    const found = this.lookup(d);
    // The channel or the subscriber is gone: nothing to deliver to.
    if (!found) return undefined;
    const { imc, sub } = found;
    const spec = sub.delivery ?? imc.spec.delivery;
    if (d.phase === PHASE_SUBSCRIBER) return { spec, target: sub.subscriberUri };
    if (d.phase === PHASE_REPLY) return { spec, target: sub.replyUri };
    if (d.phase === PHASE_DEAD_LETTER) return { spec, target: sub.delivery?.deadLetterSink?.uri ?? imc.status?.deadLetterSinkUri };
    return undefined;
  }

  replied(d: Delivery, events: EventRecord[]): void {
    const found = this.lookup(d);
    // No reply configured: the subscriber's answer is dropped, as Knative's dispatcher does.
    if (!found?.sub.replyUri) return;
    const now = this.now();
    this.engine.enqueue(
      events.map((event) => ({ broker: d.broker, trigger: d.trigger, triggerUid: d.triggerUid, event, ttl: 0, nextAt: now, phase: PHASE_REPLY })),
      () => {},
    );
  }
}
