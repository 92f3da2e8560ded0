// Knative Eventing's object shapes (knative/eventing pkg/apis/{eventing,messaging,flows,sources}/v1 and
// knative.dev/pkg apis/duck/v1), as knit stores them. Each kind's store key is `GROUP.PLURAL`
// (src/kube/registry.ts storageKeyOf); RESOURCE below names them once.

import type { ObjectMeta, Status, Addressable, Container, EnvVar } from '../api/types.ts';
import type { KReference } from '../api/domainmapping-lifecycle.ts';

export type { KReference };

/** The store keys of Eventing's kinds. */
export const RESOURCE = {
  brokers: 'eventing.knative.dev.brokers',
  triggers: 'eventing.knative.dev.triggers',
  channels: 'messaging.knative.dev.channels',
  subscriptions: 'messaging.knative.dev.subscriptions',
  sequences: 'flows.knative.dev.sequences',
  parallels: 'flows.knative.dev.parallels',
  pingsources: 'sources.knative.dev.pingsources',
  apiserversources: 'sources.knative.dev.apiserversources',
  containersources: 'sources.knative.dev.containersources',
  sinkbindings: 'sources.knative.dev.sinkbindings',
} as const;

/** duckv1.Destination: a reference, a URI, or a URI relative to the reference's address. */
export interface Destination {
  ref?: KReference;
  uri?: string;
  CACerts?: string;
  audience?: string;
}

/** eventingduckv1.DeliverySpec. */
export interface DeliverySpec {
  deadLetterSink?: Destination;
  retry?: number;
  timeout?: string;
  backoffPolicy?: 'linear' | 'exponential';
  backoffDelay?: string;
  retryAfterMax?: string;
}

/** eventingduckv1.DeliveryStatus (deadLetterSinkUri), on Brokers, Triggers, Channels and Subscriptions. */
export interface DeliveryStatus {
  deadLetterSinkUri?: string;
  deadLetterSinkCACerts?: string;
}

export interface AddressStatus extends Status {
  address?: Addressable & { name?: string };
  addresses?: (Addressable & { name?: string })[];
}

export interface EventingObject<K extends string, S, St extends Status = Status> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  status?: St;
}

export interface BrokerSpec {
  config?: KReference;
  delivery?: DeliverySpec;
}
export type Broker = EventingObject<'Broker', BrokerSpec, AddressStatus & DeliveryStatus>;

/** A leaf of Trigger spec.filters (the new filters dialect, knative/eventing pkg/apis/eventing/v1 trigger_types.go SubscriptionsAPIFilter). */
export interface SubscriptionsAPIFilter {
  all?: SubscriptionsAPIFilter[];
  any?: SubscriptionsAPIFilter[];
  not?: SubscriptionsAPIFilter;
  exact?: Record<string, string>;
  prefix?: Record<string, string>;
  suffix?: Record<string, string>;
  cesql?: string;
}

export interface TriggerSpec {
  broker: string;
  filter?: { attributes?: Record<string, string> };
  filters?: SubscriptionsAPIFilter[];
  subscriber: Destination;
  delivery?: DeliverySpec;
}
export interface TriggerStatus extends Status, DeliveryStatus {
  subscriberUri?: string;
  subscriberCACerts?: string;
}
export type Trigger = EventingObject<'Trigger', TriggerSpec, TriggerStatus>;

export interface ChannelTemplateSpec {
  apiVersion: string;
  kind: string;
  spec?: Record<string, unknown>;
}
export interface SubscriberSpec {
  uid?: string;
  generation?: number;
  subscriberUri?: string;
  replyUri?: string;
  delivery?: DeliverySpec;
}
export interface ChannelSpec {
  channelTemplate?: ChannelTemplateSpec;
  subscribers?: SubscriberSpec[];
  delivery?: DeliverySpec;
}
export type Channel = EventingObject<'Channel', ChannelSpec, AddressStatus & DeliveryStatus & { channel?: KReference; subscribers?: { uid?: string; observedGeneration?: number; ready?: string; message?: string }[] }>;

export interface SubscriptionSpec {
  channel: KReference;
  subscriber?: Destination;
  reply?: Destination;
  delivery?: DeliverySpec;
}
export type Subscription = EventingObject<'Subscription', SubscriptionSpec, Status & { physicalSubscription?: { subscriberUri?: string; replyUri?: string; deadLetterSinkUri?: string } }>;

/** duckv1.SourceSpec: every source's sink and CloudEvent overrides. */
export interface SourceSpec {
  sink: Destination;
  ceOverrides?: { extensions?: Record<string, string> };
}
export interface SourceStatus extends Status {
  sinkUri?: string;
  sinkCACerts?: string;
  ceAttributes?: { type: string; source: string }[];
}

export type PingSource = EventingObject<'PingSource', SourceSpec & { schedule?: string; timezone?: string; contentType?: string; data?: string; dataBase64?: string }, SourceStatus>;
export type ApiServerSource = EventingObject<
  'ApiServerSource',
  SourceSpec & {
    resources: { apiVersion?: string; kind?: string; selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } }[];
    owner?: { apiVersion?: string; kind?: string };
    mode?: 'Reference' | 'Resource';
    serviceAccountName?: string;
    namespaceSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  },
  SourceStatus & { namespaces?: string[] }
>;
export type ContainerSource = EventingObject<'ContainerSource', SourceSpec & { template: { metadata?: Partial<ObjectMeta>; spec: { containers: Container[] } } }, SourceStatus>;
export type SinkBinding = EventingObject<
  'SinkBinding',
  SourceSpec & { subject: { apiVersion: string; kind: string; namespace?: string; name?: string; selector?: { matchLabels?: Record<string, string> } } },
  SourceStatus & { oidcTokenSecretName?: string }
>;

export type { EnvVar };
