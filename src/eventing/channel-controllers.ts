// The messaging and flows controllers, in start order: Channel, InMemoryChannel (with the channel dispatcher
// and its durable fan-out), Subscription, Sequence, Parallel; importing it registers knit's admission layer.

import { channelController, inMemoryChannelController } from './channel.ts';
import './channel-admission.ts';
import { ChannelDispatcher } from './channel-dispatcher.ts';
import { ChannelDeliveries } from './channel-fanout.ts';
import { parallelController } from './flows/parallel.ts';
import { sequenceController } from './flows/sequence.ts';
import type { ControllerFactory } from './manager.ts';
import { subscriptionController } from './subscription.ts';

export const CHANNEL_CONTROLLERS: ControllerFactory[] = [
  channelController,
  inMemoryChannelController((ctx) => new ChannelDispatcher(ctx, ChannelDeliveries.forContext(ctx))),
  subscriptionController,
  sequenceController,
  parallelController,
];
