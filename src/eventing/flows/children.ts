// What Sequence and Parallel share: creating their channels from spec.channelTemplate and their Subscriptions,
// updating or re-creating a Subscription whose spec drifted, and deleting the children no longer wanted
// (knative/eventing pkg/reconciler/sequence/sequence.go reconcileChannel, reconcileSubscription,
// removeUnwantedChannels, removeUnwantedSubscriptions; the Parallel reconciler's are the same).

import { isDeepStrictEqual } from 'node:util';
import type { Condition, ObjectMeta } from '../../api/types.ts';
import type { ControllerContext } from '../../controllers/context.ts';
import type { StoredObject } from '../../store/store.ts';
import { IMC_RESOURCE, MESSAGING_V1, SUBSCRIBABLE_ANNOTATION, eventingControllerRef, type InMemoryChannel } from '../channel.ts';
import type { SubscriptionObject } from '../subscription.ts';
import { RESOURCE, type ChannelTemplateSpec } from '../types.ts';

export const FLOWS_V1 = 'flows.knative.dev/v1';

/** corev1.ObjectReference as flows' statuses print it. */
export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface FlowOwner {
  kind: 'Sequence' | 'Parallel';
  metadata: ObjectMeta;
}

function ownedBy(meta: ObjectMeta, owner: FlowOwner): boolean {
  return !!meta.ownerReferences?.some((o) => o.controller && o.uid === owner.metadata.uid);
}

/** The store key of a template's channel kind (knit serves InMemoryChannel). */
export function templateResource(t: ChannelTemplateSpec): string | undefined {
  return t.apiVersion === MESSAGING_V1 && t.kind === 'InMemoryChannel' ? IMC_RESOURCE : undefined;
}

/** The channel `name`, created from the template when missing (NewPhysicalChannel with the template's spec). */
export function ensureChannel(ctx: ControllerContext, owner: FlowOwner, t: ChannelTemplateSpec, name: string): InMemoryChannel & StoredObject {
  const resource = templateResource(t);
  if (!resource) throw new Error(`failed to get lister for channel ref {Kind:${t.kind} APIVersion:${t.apiVersion} Name:${name}}: knit serves messaging.knative.dev/v1 InMemoryChannel channels only`);
  const ns = owner.metadata.namespace ?? 'default';
  const existing = ctx.store.get<InMemoryChannel & StoredObject>(resource, ns, name);
  if (existing) return existing;
  return ctx.store.create<InMemoryChannel & StoredObject>(resource, {
    apiVersion: t.apiVersion,
    kind: 'InMemoryChannel',
    metadata: { name, namespace: ns, annotations: { [SUBSCRIBABLE_ANNOTATION]: 'v1' }, ownerReferences: [eventingControllerRef(FLOWS_V1, owner.kind, owner.metadata)] },
    spec: structuredClone((t.spec ?? {}) as InMemoryChannel['spec']),
  });
}

/** reconcileSubscription: create, re-create when spec.channel changed (immutable), or update the spec. */
export function ensureSubscription(ctx: ControllerContext, expected: SubscriptionObject): SubscriptionObject & StoredObject {
  const ns = expected.metadata.namespace ?? 'default';
  const name = expected.metadata.name ?? '';
  const cur = ctx.store.get<SubscriptionObject & StoredObject>(RESOURCE.subscriptions, ns, name);
  if (!cur) return ctx.store.create(RESOURCE.subscriptions, expected as SubscriptionObject & StoredObject);
  if (!isDeepStrictEqual(cur.spec.channel, expected.spec.channel)) {
    ctx.store.delete(RESOURCE.subscriptions, ns, name);
    return ctx.store.create(RESOURCE.subscriptions, expected as SubscriptionObject & StoredObject);
  }
  if (isDeepStrictEqual(JSON.parse(JSON.stringify(cur.spec)), JSON.parse(JSON.stringify(expected.spec)))) return cur;
  return ctx.store.update(RESOURCE.subscriptions, { ...cur, spec: expected.spec });
}

/** Deletes the owner's channels and Subscriptions whose names are not wanted. */
export function removeUnwanted(ctx: ControllerContext, owner: FlowOwner, t: ChannelTemplateSpec, channels: ReadonlySet<string>, subscriptions: ReadonlySet<string>): void {
  const ns = owner.metadata.namespace ?? 'default';
  const resource = templateResource(t);
  if (resource) {
    for (const c of ctx.store.list(resource, { namespace: ns })) {
      if (ownedBy(c.metadata, owner) && !channels.has(c.metadata.name ?? '')) ctx.store.delete(resource, ns, c.metadata.name ?? '');
    }
  }
  for (const s of ctx.store.list(RESOURCE.subscriptions, { namespace: ns })) {
    if (ownedBy(s.metadata, owner) && !subscriptions.has(s.metadata.name ?? '')) ctx.store.delete(RESOURCE.subscriptions, ns, s.metadata.name ?? '');
  }
}

/** A child's object reference in a flow's status. */
export function refOf(obj: { apiVersion: string; kind: string; metadata: ObjectMeta }): ObjectReference {
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace };
}

/** A child's Ready condition, as flows copy it. */
export function readyOf(status: { conditions?: Condition[] } | undefined): Condition | undefined {
  return status?.conditions?.find((c) => c.type === 'Ready');
}

/** A new Subscription owned by the flow. */
export function flowSubscription(owner: FlowOwner, name: string, spec: SubscriptionObject['spec']): SubscriptionObject {
  return {
    apiVersion: MESSAGING_V1,
    kind: 'Subscription',
    metadata: { name, namespace: owner.metadata.namespace, ownerReferences: [eventingControllerRef(FLOWS_V1, owner.kind, owner.metadata)] },
    spec: JSON.parse(JSON.stringify(spec)) as SubscriptionObject['spec'],
  };
}
