// Brokers of class MTChannelBasedBroker, knit's way: the ingress is a handler on the cluster-local gateway
// (broker-ingress.knative-eventing.svc.cluster.local/NS/NAME), the "trigger channel" is knit's durable queue
// (queue.ts) and the filter is its delivery engine (delivery.ts). The reconciler sets Knative's broker
// conditions (knative/eventing pkg/apis/eventing/v1/broker_lifecycle.go, pkg/reconciler/broker/broker.go
// ReconcileKind).

import path from 'node:path';
import type http from 'node:http';
import type http2 from 'node:http2';
import { parse as parseYaml } from 'yaml';
import type { StoredObject } from '../store/store.ts';
import { ConditionSet, Lifecycle } from '../api/conditions.ts';
import { reconcileKey, type Reconciler } from '../controllers/kit.ts';
import { InvalidEventError, parseEvents, type EventRecord } from './cloudevents.ts';
import { BrokerDelivery, DEFAULT_TTL, TTL_ATTRIBUTE } from './delivery.ts';
import type { ControllerFactory, EventingContext } from './manager.ts';
import { resolveDestination, SinkError } from './sink.ts';
import { RESOURCE, type Broker } from './types.ts';

/** eventing.knative.dev/broker.class and Knative's default class (config-br-defaults). */
export const BROKER_CLASS_ANNOTATION = 'eventing.knative.dev/broker.class';
export const MT_BROKER_CLASS = 'MTChannelBasedBroker';
/** The ingress' service host (knative/eventing: network.GetServiceHostname("broker-ingress", system.Namespace())). */
export const INGRESS_SERVICE = 'broker-ingress.knative-eventing';

export const BROKER_INGRESS = 'IngressReady';
export const BROKER_TRIGGER_CHANNEL = 'TriggerChannelReady';
export const BROKER_FILTER = 'FilterReady';
export const BROKER_ADDRESSABLE = 'Addressable';
export const BROKER_DEAD_LETTER_SINK_RESOLVED = 'DeadLetterSinkResolved';
export const BROKER_EVENT_POLICIES_READY = 'EventPoliciesReady';

/** brokerCondSet. */
export const BrokerConditions = new ConditionSet([BROKER_INGRESS, BROKER_TRIGGER_CHANNEL, BROKER_FILTER, BROKER_ADDRESSABLE, BROKER_DEAD_LETTER_SINK_RESOLVED, BROKER_EVENT_POLICIES_READY]);

/** BrokerStatus' markers. */
export class BrokerLifecycle extends Lifecycle {
  constructor(status: NonNullable<Broker['status']>, now: () => Date) {
    super(BrokerConditions, status, now);
  }
  private get st(): NonNullable<Broker['status']> {
    return this.status as NonNullable<Broker['status']>;
  }
  /** PropagateIngressAvailability with endpoints: knit's ingress is a handler in the gateway, up while knit is. */
  markIngressReady(): void {
    this.m.markTrue(BROKER_INGRESS);
  }
  /** PropagateTriggerChannelReadiness: knit's durable queue stands in for the trigger channel. */
  markTriggerChannelReady(): void {
    this.m.markTrueWithReason(BROKER_TRIGGER_CHANNEL, 'DurableQueue', 'Events are kept in knit\'s durable queue (eventing.db) instead of a channel.');
  }
  /** MarkTriggerChannelFailed. */
  markTriggerChannelFailed(reason: string, message: string): void {
    this.m.markFalse(BROKER_TRIGGER_CHANNEL, reason, message);
  }
  markFilterReady(): void {
    this.m.markTrue(BROKER_FILTER);
  }
  /** SetAddress: the address is named by its scheme. */
  setAddress(url: string): void {
    const name = new URL(url).protocol.replace(':', '');
    this.st.address = { name, url };
    this.st.addresses = [{ name, url }];
    this.m.markTrue(BROKER_ADDRESSABLE);
  }
  markDeadLetterSinkResolvedSucceeded(uri: string): void {
    this.st.deadLetterSinkUri = uri;
    this.m.markTrue(BROKER_DEAD_LETTER_SINK_RESOLVED);
  }
  markDeadLetterSinkNotConfigured(): void {
    delete this.st.deadLetterSinkUri;
    this.m.markTrueWithReason(BROKER_DEAD_LETTER_SINK_RESOLVED, 'DeadLetterSinkNotConfigured', 'No dead letter sink is configured.');
  }
  markDeadLetterSinkResolvedFailed(reason: string, message: string): void {
    delete this.st.deadLetterSinkUri;
    this.m.markFalse(BROKER_DEAD_LETTER_SINK_RESOLVED, reason, message);
  }
  /** knit has no OIDC: the reconciler's MarkEventPoliciesTrueWithReason for the feature being off. */
  markEventPoliciesOidcDisabled(): void {
    this.m.markTrueWithReason(BROKER_EVENT_POLICIES_READY, 'OIDCDisabled', 'Feature "authentication-oidc" must be enabled to support Authorization');
  }
}

/** The broker's class: the annotation, or Knative's default when unset. */
export function brokerClass(b: Pick<Broker, 'metadata'>): string {
  return b.metadata.annotations?.[BROKER_CLASS_ANNOTATION] ?? MT_BROKER_CLASS;
}

/** status.address.url of broker `ns/name`. */
export function brokerUrl(ns: string, name: string, clusterDomain: string): string {
  return `http://${INGRESS_SERVICE}.svc.${clusterDomain}/${ns}/${name}`;
}

/** The brokers' shared parts (the engine), one per knit process. */
const engines = new WeakMap<EventingContext, BrokerDelivery>();

/** The delivery engine of `ctx`'s knit process (created on first use; its queue is DATA_DIR/eventing.db). */
export function brokerDelivery(ctx: EventingContext): BrokerDelivery {
  let e = engines.get(ctx);
  if (!e) {
    e = BrokerDelivery.forContext(ctx, path.join(ctx.dataDir, 'eventing.db'));
    engines.set(ctx, e);
  }
  return e;
}

/** The broker-ingress handler (knative/eventing pkg/broker/ingress/ingress_handler.go ServeHTTP). */
export function ingressHandler(ctx: EventingContext, engine: BrokerDelivery): (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse) => void {
  return (req, res) => {
    const answer = (status: number, body = ''): void => {
      if (res.headersSent) return;
      res.writeHead(status, { allow: 'POST, OPTIONS', 'content-length': Buffer.byteLength(body), ...(body ? { 'content-type': 'text/plain; charset=utf-8' } : {}) });
      res.end(body);
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { allow: 'POST, OPTIONS', 'webhook-allowed-origin': '*', 'webhook-allowed-rate': '*', 'content-length': 0 });
      res.end();
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      answer(405);
      return;
    }
    const url = req.url ?? '/';
    const parts = url.split('?')[0].replace(/\/$/, '').split('/');
    if (url === '/' || parts.length !== 3) {
      req.resume();
      answer(url === '/' ? 404 : 400);
      return;
    }
    const [, ns, name] = parts;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => answer(400));
    req.on('end', () => {
      const t0 = performance.now();
      let events: EventRecord[];
      try {
        events = parseEvents(req.headers, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      } catch (err) {
        if (err instanceof InvalidEventError) {
          answer(400, `${err.message}\n`);
          return;
        }
        answer(500);
        return;
      }
      const broker = ctx.store.peek<Broker>(RESOURCE.brokers, ns, name);
      const report = (status: number): void => {
        if (ctx.metrics === undefined) return;
        const ms = performance.now() - t0;
        for (const ev of events) ctx.metrics.ingress(ns, name, ev.attributes.type ?? '', status, ms);
      };
      if (!broker || broker.metadata.deletionTimestamp || brokerClass(broker) !== MT_BROKER_CLASS) {
        report(404);
        answer(404);
        return;
      }
      // TTLDefaulter: absent → the default; present → one less; at 0 the event is dropped with a 400.
      let ttl: number | undefined;
      for (const ev of events) {
        const raw = ev.attributes[TTL_ATTRIBUTE];
        const n = raw === undefined ? DEFAULT_TTL : Number.isInteger(Number(raw)) ? Math.max(0, Number(raw) - 1) : DEFAULT_TTL;
        if (n <= 0) {
          report(400);
          answer(400, 'event dropped: knativebrokerttl is 0\n');
          return;
        }
        ttl = ttl === undefined ? n : Math.min(ttl, n);
        delete ev.attributes[TTL_ATTRIBUTE];
      }
      engine.accept(`${ns}/${name}`, events, ttl, (status) => {
        report(status);
        answer(status);
      });
    });
  };
}

/** config-br-defaults' cluster default config, which a Knative installation creates; knit has it built in. */
export const DEFAULT_BROKER_CONFIG = { namespace: 'knative-eventing', name: 'config-br-default-channel' };

/**
 * broker.go getChannelTemplate: spec.config must be a ConfigMap (name and namespace set) whose
 * `channel-template-spec` names the trigger channel's kind. knit's trigger channel is its durable queue, which is
 * what an InMemoryChannel template asks for (minus the loss on restart); other channel kinds are refused, not
 * ignored. Without such a ConfigMap in the store, Knative's default one is taken as installed.
 */
function channelTemplateError(store: EventingContext['store'], b: Broker): string | undefined {
  const cfg = b.spec.config;
  if (!cfg) return 'failed to find channelTemplate';
  if (cfg.kind !== 'ConfigMap') return 'Broker.Spec.Config configuration not supported, only [kind: ConfigMap, apiVersion: v1]';
  if (!cfg.namespace || !cfg.name) return 'Broker.Spec.Config name and namespace are required';
  const cm = store.get<StoredObject & { data?: Record<string, string> }>('core.configmaps', cfg.namespace, cfg.name);
  if (!cm) {
    if (cfg.namespace === DEFAULT_BROKER_CONFIG.namespace && cfg.name === DEFAULT_BROKER_CONFIG.name) return undefined;
    return `configmap "${cfg.name}" not found`;
  }
  const spec = cm.data?.['channel-template-spec'];
  if (spec === undefined) return 'failed to find channelTemplate';
  let template: { apiVersion?: unknown; kind?: unknown };
  try {
    template = (parseYaml(spec) ?? {}) as { apiVersion?: unknown; kind?: unknown };
  } catch (err) {
    return `ConfigMap's value could not be converted to channel template: ${(err as Error).message}`;
  }
  if (template.apiVersion !== 'messaging.knative.dev/v1' || template.kind !== 'InMemoryChannel') {
    return `knit backs brokers with its durable queue, which stands in for messaging.knative.dev/v1 InMemoryChannel only, not ${String(template.apiVersion ?? '')} ${String(template.kind ?? '')}`;
  }
  return undefined;
}

/** BrokerStatus for an MT broker, as broker.go ReconcileKind leaves it. */
const brokerReconciler: Reconciler<Broker, BrokerLifecycle> = {
  resource: RESOURCE.brokers,
  lifecycle: BrokerLifecycle,
  reconcile(ctx, o) {
    const ectx = ctx as EventingContext;
    const l = o.lifecycle;
    const templateError = channelTemplateError(ctx.store, o.object);
    if (templateError !== undefined) {
      // broker.go ReconcileKind: getChannelTemplate failed, nothing else is reconciled.
      l.markTriggerChannelFailed('ChannelTemplateFailed', `Error on setting up the ChannelTemplate: ${templateError}`);
      // A ConfigMap in another namespace is not watched for this broker: look again (as the lister would see it).
      return 10_000;
    }
    l.markTriggerChannelReady();
    l.markFilterReady();
    l.markIngressReady();
    const dls = o.object.spec.delivery?.deadLetterSink;
    if (dls) {
      try {
        l.markDeadLetterSinkResolvedSucceeded(resolveDestination(ctx.store, dls, o.namespace, ectx.settings.clusterDomain));
      } catch (err) {
        if (!(err instanceof SinkError)) throw err;
        l.markDeadLetterSinkResolvedFailed("Unable to get the dead letter sink's URI", err.message);
      }
    } else {
      l.markDeadLetterSinkNotConfigured();
    }
    l.markEventPoliciesOidcDisabled();
    l.setAddress(brokerUrl(o.namespace, o.name, ectx.settings.clusterDomain));
  },
};

/** The Broker controller: status, and the ingress served on the cluster-local gateway. */
export const brokerController: ControllerFactory = (ctx) => {
  const engine = brokerDelivery(ctx);
  const removers: (() => void)[] = [];
  return {
    resource: RESOURCE.brokers,
    watches: ['services', 'core.services', 'core.configmaps', RESOURCE.channels],
    start() {
      engine.start();
      const handler = ingressHandler(ctx, engine);
      const cd = ctx.settings.clusterDomain;
      for (const host of [`${INGRESS_SERVICE}.svc.${cd}`, `${INGRESS_SERVICE}.svc`, INGRESS_SERVICE]) removers.push(ctx.serveLocal(host, handler));
      // Brokers deleted while knit was down: their queued events go.
      for (const d of engine.queue.all()) {
        const [ns, name] = d.broker.split('/');
        if (!ctx.store.get(RESOURCE.brokers, ns, name)) engine.dropBroker(d.broker);
      }
    },
    stop() {
      for (const r of removers) r();
      engine.stop();
    },
    reconcile(key) {
      const [ns, name] = key.split('/');
      const b = ctx.store.get<Broker>(RESOURCE.brokers, ns, name);
      if (!b || b.metadata.deletionTimestamp) {
        engine.dropBroker(key);
        return undefined;
      }
      // Brokers of other classes are another implementation's (as Knative's class-filtered informers).
      if (brokerClass(b) !== MT_BROKER_CLASS) return undefined;
      return reconcileKey(ctx, brokerReconciler, key);
    },
  };
};
