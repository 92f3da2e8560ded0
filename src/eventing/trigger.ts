// Triggers on knit's brokers: Knative's trigger conditions and messages (knative/eventing
// pkg/apis/eventing/v1/trigger_lifecycle.go, pkg/reconciler/broker/trigger/trigger.go ReconcileKind). The
// subscription to the broker's "trigger channel" is knit's durable queue: SubscriptionReady is True once the
// subscriber resolves, since from then on the delivery engine fans matching events out to it.

import { ConditionSet, getCondition, Lifecycle } from '../api/conditions.ts';
import { reconcileKey, type Reconciler } from '../controllers/kit.ts';
import { brokerClass, brokerDelivery, MT_BROKER_CLASS } from './broker.ts';
import type { ControllerFactory, EventingContext } from './manager.ts';
import { referencedObject, resolveDestination, SinkError } from './sink.ts';
import { RESOURCE, type Broker, type Trigger } from './types.ts';

export const TRIGGER_BROKER = 'BrokerReady';
export const TRIGGER_SUBSCRIBED = 'SubscriptionReady';
export const TRIGGER_DEPENDENCY = 'DependencyReady';
export const TRIGGER_SUBSCRIBER_RESOLVED = 'SubscriberResolved';
export const TRIGGER_DEAD_LETTER_SINK_RESOLVED = 'DeadLetterSinkResolved';
export const TRIGGER_OIDC_IDENTITY_CREATED = 'OIDCIdentityCreated';
/** knative.dev/dependency: a source the trigger waits for (trigger.go checkDependencyAnnotation). */
export const DEPENDENCY_ANNOTATION = 'knative.dev/dependency';

export const TriggerConditions = new ConditionSet([TRIGGER_BROKER, TRIGGER_SUBSCRIBED, TRIGGER_DEPENDENCY, TRIGGER_SUBSCRIBER_RESOLVED, TRIGGER_DEAD_LETTER_SINK_RESOLVED, TRIGGER_OIDC_IDENTITY_CREATED]);

/** TriggerStatus' markers. */
export class TriggerLifecycle extends Lifecycle {
  constructor(status: NonNullable<Trigger['status']>, now: () => Date) {
    super(TriggerConditions, status, now);
  }
  private get st(): NonNullable<Trigger['status']> {
    return this.status as NonNullable<Trigger['status']>;
  }
  /** InitializeConditions also marks OIDC as not supported. */
  override initialize(): void {
    super.initialize();
    this.m.markTrueWithReason(TRIGGER_OIDC_IDENTITY_CREATED, 'authentication-oidc feature not yet supported for this Broker class', '');
  }
  /** PropagateBrokerCondition of the broker's Ready. */
  propagateBroker(b: Broker): void {
    const c = getCondition(b.status, 'Ready');
    if (!c) this.m.markUnknown(TRIGGER_BROKER, 'BrokerNotConfigured', 'Broker has not yet been reconciled.');
    else this.propagate(TRIGGER_BROKER, b.status);
  }
  markBrokerFailed(reason: string, message: string): void {
    this.m.markFalse(TRIGGER_BROKER, reason, message);
  }
  markSubscriberResolvedSucceeded(uri: string): void {
    this.st.subscriberUri = uri;
    this.m.markTrue(TRIGGER_SUBSCRIBER_RESOLVED);
  }
  markSubscriberResolvedFailed(reason: string, message: string): void {
    delete this.st.subscriberUri;
    this.m.markFalse(TRIGGER_SUBSCRIBER_RESOLVED, reason, message);
  }
  markSubscribed(): void {
    this.m.markTrue(TRIGGER_SUBSCRIBED);
  }
  markNotSubscribed(reason: string, message: string): void {
    this.m.markFalse(TRIGGER_SUBSCRIBED, reason, message);
  }
  markDeadLetterSinkResolvedSucceeded(uri: string): void {
    this.st.deadLetterSinkUri = uri;
    this.m.markTrue(TRIGGER_DEAD_LETTER_SINK_RESOLVED);
  }
  markDeadLetterSinkNotConfigured(): void {
    delete this.st.deadLetterSinkUri;
    this.m.markTrueWithReason(TRIGGER_DEAD_LETTER_SINK_RESOLVED, 'DeadLetterSinkNotConfigured', 'No dead letter sink is configured.');
  }
  markDeadLetterSinkResolvedFailed(reason: string, message: string): void {
    delete this.st.deadLetterSinkUri;
    this.m.markFalse(TRIGGER_DEAD_LETTER_SINK_RESOLVED, reason, message);
  }
  markDependencySucceeded(): void {
    this.m.markTrue(TRIGGER_DEPENDENCY);
  }
  markDependencyFailed(reason: string, message: string): void {
    this.m.markFalse(TRIGGER_DEPENDENCY, reason, message);
  }
  markDependencyUnknown(reason: string, message: string): void {
    this.m.markUnknown(TRIGGER_DEPENDENCY, reason, message);
  }
  /** PropagateDependencyStatus of the dependency's Ready. */
  propagateDependency(status: Trigger['status']): void {
    if (!getCondition(status, 'Ready')) this.m.markUnknown(TRIGGER_DEPENDENCY, 'DependencyNotConfigured', 'Dependency has not yet been reconciled.');
    else this.propagate(TRIGGER_DEPENDENCY, status);
  }
}

/** trigger.go checkDependencyAnnotation. */
function checkDependency(ctx: EventingContext, t: Trigger, l: TriggerLifecycle): void {
  const raw = t.metadata.annotations?.[DEPENDENCY_ANNOTATION];
  if (raw === undefined) {
    l.markDependencySucceeded();
    return;
  }
  let ref: { kind?: string; name?: string; apiVersion?: string };
  try {
    ref = JSON.parse(raw) as typeof ref;
  } catch (err) {
    l.markDependencyFailed('ReferenceError', `Unable to unmarshal objectReference from dependency annotation of trigger: ${(err as Error).message}`);
    return;
  }
  const found = referencedObject(ctx.store, { kind: ref.kind ?? '', name: ref.name ?? '', apiVersion: ref.apiVersion }, t.metadata.namespace ?? '');
  if (!found) {
    l.markDependencyUnknown('ListerDoesNotExist', `Failed to retrieve lister: no informer for ${ref.apiVersion ?? ''} ${ref.kind ?? ''}`);
    return;
  }
  if (!found.object) {
    l.markDependencyFailed('DependencyDoesNotExist', `Dependency does not exist: ${ref.kind?.toLowerCase() ?? ''}s "${ref.name ?? ''}" not found`);
    return;
  }
  const dep = found.object as { metadata: { generation?: number }; status?: Trigger['status'] };
  if ((dep.metadata.generation ?? 0) !== (dep.status?.observedGeneration ?? 0)) {
    l.markDependencyUnknown('GenerationNotEqual', `The dependency's metadata.generation, "${dep.metadata.generation ?? 0}", is not equal to its status.observedGeneration, "${dep.status?.observedGeneration ?? 0}".`);
    return;
  }
  l.propagateDependency(dep.status);
}

const triggerReconciler: Reconciler<Trigger, TriggerLifecycle> = {
  resource: RESOURCE.triggers,
  lifecycle: TriggerLifecycle,
  reconcile(ctx, o) {
    const ectx = ctx as EventingContext;
    const t = o.object;
    const l = o.lifecycle;
    const cd = ectx.settings.clusterDomain;
    const b = ctx.store.get<Broker>(RESOURCE.brokers, o.namespace, t.spec.broker);
    if (!b) {
      l.markBrokerFailed('BrokerDoesNotExist', `Broker "${t.spec.broker}" does not exist`);
      delete o.status.subscriberUri;
      return;
    }
    l.propagateBroker(b);
    try {
      l.markSubscriberResolvedSucceeded(resolveDestination(ctx.store, t.spec.subscriber, o.namespace, cd));
    } catch (err) {
      if (!(err instanceof SinkError)) throw err;
      l.markSubscriberResolvedFailed("Unable to get the Subscriber's URI", err.message);
      l.markNotSubscribed('NotSubscribed', err.message);
      return;
    }
    l.markSubscribed();
    const dls = t.spec.delivery?.deadLetterSink;
    if (dls) {
      try {
        l.markDeadLetterSinkResolvedSucceeded(resolveDestination(ctx.store, dls, o.namespace, cd));
      } catch (err) {
        if (!(err instanceof SinkError)) throw err;
        l.markDeadLetterSinkResolvedFailed("Unable to get the dead letter sink's URI", err.message);
      }
    } else if (b.spec.delivery?.deadLetterSink) {
      if (b.status?.deadLetterSinkUri) l.markDeadLetterSinkResolvedSucceeded(b.status.deadLetterSinkUri);
      else l.markDeadLetterSinkResolvedFailed(`Broker ${b.metadata.name} didn't set status.deadLetterSinkURI`, '');
      delete o.status.deadLetterSinkUri;
      if (b.status?.deadLetterSinkUri) o.status.deadLetterSinkUri = b.status.deadLetterSinkUri;
    } else {
      l.markDeadLetterSinkNotConfigured();
    }
    checkDependency(ectx, t, l);
  },
};

/** The Trigger controller (triggers of MT brokers; a trigger of another class's broker is left alone). */
export const triggerController: ControllerFactory = (ctx) => {
  const engine = brokerDelivery(ctx);
  const uids = new Map<string, string>();
  return {
    resource: RESOURCE.triggers,
    watches: [RESOURCE.brokers, 'services', 'core.services', RESOURCE.channels, 'sources.knative.dev.pingsources', 'sources.knative.dev.apiserversources', 'sources.knative.dev.containersources', 'sources.knative.dev.sinkbindings'],
    reconcile(key) {
      const [ns, name] = key.split('/');
      const t = ctx.store.get<Trigger>(RESOURCE.triggers, ns, name);
      if (!t || t.metadata.deletionTimestamp) {
        uids.delete(key);
        engine.dropTrigger(key);
        return undefined;
      }
      const uid = t.metadata.uid ?? '';
      if (uids.get(key) !== uid) {
        // A trigger re-created under the same name does not inherit its predecessor's queued events.
        uids.set(key, uid);
        engine.dropTrigger(key, uid);
      }
      const b = ctx.store.get<Broker>(RESOURCE.brokers, ns, t.spec.broker);
      if (b && brokerClass(b) !== MT_BROKER_CLASS) return undefined;
      return reconcileKey(ctx, triggerReconciler, key);
    },
  };
};
