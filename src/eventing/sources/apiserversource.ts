// The ApiServerSource reconciler and adapter (knative/eventing pkg/reconciler/apiserversource
// apiserversource.go ReconcileKind, pkg/adapter/apiserver adapter.go, filter.go and events/events.go):
// knit's own store watch stands in for the adapter's informers. Every matching object is announced
// with an add when the source starts watching (an informer's initial list), then each add, update and
// delete of a matching object in the selected namespaces is sent to the sink, in order.

import { reconcileKey, type Reconciler } from '../../controllers/kit.ts';
import { controllerOf } from '../../controllers/context.ts';
import { guessResource } from '../../kube/names.ts';
import { registry } from '../../kube/registry.ts';
import { labelSelectorString } from '../../kube/printers.ts';
import { parseLabelSelector, type LabelSelector } from '../../kube/selectors.ts';
import type { StoredObject, WatchEvent } from '../../store/store.ts';
import type { ControllerFactory, EventingContext } from '../manager.ts';
import { RESOURCE, type ApiServerSource } from '../types.ts';
import type { EventRecord } from '../cloudevents.ts';
import { ApiServerSourceLifecycle } from './lifecycle.ts';
import { SINK_WATCHES, deliver, newEvent, resolveSink, sinkNotFound } from './common.ts';

/** knative/eventing pkg/apis/sources register.go: the event types by mode and verb. */
export const APISERVER_EVENT_TYPES = {
  Resource: { add: 'dev.knative.apiserver.resource.add', update: 'dev.knative.apiserver.resource.update', delete: 'dev.knative.apiserver.resource.delete' },
  Reference: { add: 'dev.knative.apiserver.ref.add', update: 'dev.knative.apiserver.ref.update', delete: 'dev.knative.apiserver.ref.delete' },
} as const;

type Verb = 'add' | 'update' | 'delete';

/** events.go createSelfLink: `/apis/APIVERSION/namespaces/NS/PLURAL/NAME` (a group without version gets `/versionUnknown`). */
export function selfLink(apiVersion: string, kind: string, namespace: string, name: string): string {
  const v = apiVersion.includes('.') && !apiVersion.includes('/') ? `${apiVersion}/versionUnknown` : apiVersion;
  return `/apis/${v}/namespaces/${namespace}/${guessResource(kind)}/${name}`;
}

/** events.go makeEvent: subject, the kind/apiversion/name/namespace extensions, the object or its reference as JSON data. */
export function apiServerEvent(ctx: Pick<EventingContext, 'now'>, source: string, mode: 'Reference' | 'Resource', verb: Verb, obj: StoredObject, overrides: ApiServerSource['spec']['ceOverrides']): EventRecord {
  const md = obj.metadata;
  const ns = md.namespace ?? '';
  const name = md.name ?? '';
  const attributes = newEvent(ctx, APISERVER_EVENT_TYPES[mode][verb], source, overrides, {
    subject: selfLink(obj.apiVersion, obj.kind, ns, name),
    kind: obj.kind,
    apiversion: obj.apiVersion,
    name,
    namespace: ns,
    datacontenttype: 'application/json',
  });
  // corev1.ObjectReference's JSON field order: kind, namespace, name, apiVersion (empty ones omitted).
  const ref = { kind: obj.kind, ...(ns ? { namespace: ns } : {}), ...(name ? { name } : {}), apiVersion: obj.apiVersion };
  const data = mode === 'Reference' ? ref : obj;
  return { attributes, data: Buffer.from(JSON.stringify(data)).toString('base64') };
}

interface ResourceFilter {
  storageKey: string;
  kind: string;
  apiVersion: string;
  selector: LabelSelector;
}

/** One running adapter: what it watches and where it sends. */
interface Watching {
  fingerprint: string;
  namespaces: Set<string> | 'all';
  filters: ResourceFilter[];
  owner: ApiServerSource['spec']['owner'];
  mode: 'Reference' | 'Resource';
  sinkUri: string;
  source: string;
  overrides: ApiServerSource['spec']['ceOverrides'];
  /** Sends in order: each event after the previous one's delivery. */
  chain: Promise<unknown>;
}

function matches(w: Watching, resource: string, obj: StoredObject): boolean {
  const ns = obj.metadata.namespace ?? '';
  if (w.namespaces !== 'all' && !w.namespaces.has(ns)) return false;
  const f = w.filters.some((f) => f.storageKey === resource && f.kind === obj.kind && f.selector.matches(obj.metadata.labels ?? {}));
  if (!f) return false;
  if (w.owner && (w.owner.apiVersion || w.owner.kind)) {
    // filter.go controllerFilter: only objects whose controller has that apiVersion and/or kind.
    const c = controllerOf(obj.metadata);
    if (!c || (w.owner.apiVersion && w.owner.apiVersion !== c.apiVersion) || (w.owner.kind && w.owner.kind !== c.kind)) return false;
  }
  return true;
}

/** The ApiServerSource controller. */
export const apiServerSourceController: ControllerFactory = (ctx) => {
  const watching = new Map<string, Watching>();
  let unwatch: (() => void) | undefined;

  const send = (w: Watching, verb: Verb, obj: StoredObject): void => {
    const event = apiServerEvent(ctx, w.source, w.mode, verb, obj, w.overrides);
    w.chain = w.chain.then(() => deliver(ctx, w.sinkUri, event));
  };

  const onEvent = (ev: WatchEvent): void => {
    const verb: Verb = ev.type === 'ADDED' ? 'add' : ev.type === 'MODIFIED' ? 'update' : 'delete';
    for (const w of watching.values()) if (matches(w, ev.resource, ev.object)) send(w, verb, ev.object);
  };

  const reconciler: Reconciler<ApiServerSource, ApiServerSourceLifecycle> = {
    resource: RESOURCE.apiserversources,
    lifecycle: ApiServerSourceLifecycle,
    finalize: (_c, key) => void watching.delete(key),
    reconcile(_c, { key, namespace, object: src, status, lifecycle }) {
      lifecycle.markOIDCDisabled();
      const sink = resolveSink(ctx, src.spec.sink, namespace);
      if ('error' in sink) {
        lifecycle.markNoSink();
        watching.delete(key);
        sinkNotFound(ctx, src, src.spec.sink, namespace);
        return;
      }
      lifecycle.markSink(sink.uri);
      // namespacesFromSelector: the source's namespace, or every namespace the selector matches (sorted).
      const sel = src.spec.namespaceSelector;
      let namespaces: string[];
      if (!sel) {
        namespaces = [namespace];
      } else {
        const s = parseLabelSelector(labelSelectorString(sel));
        namespaces = ctx.store.list('core.namespaces').filter((n) => s.matches(n.metadata.labels ?? {})).map((n) => n.metadata.name ?? '').sort();
      }
      status.namespaces = namespaces;
      lifecycle.markSufficientPermissions();
      const filters: ResourceFilter[] = [];
      for (const r of src.spec.resources ?? []) {
        const av = r.apiVersion ?? '';
        const i = av.indexOf('/');
        const kind = registry.byKind(i < 0 ? '' : av.slice(0, i), i < 0 ? av : av.slice(i + 1), r.kind ?? '');
        if (!kind || kind.storage !== 'stored') {
          watching.delete(key);
          return lifecycle.markResourceNotWatchable(
            kind ? `knit computes ${kind.qualifiedResource} from its own state; they have no watch events to send` : `no kind "${r.kind ?? ''}" is registered for version "${av}"`,
          );
        }
        filters.push({ storageKey: kind.storageKey, kind: kind.kind, apiVersion: av, selector: parseLabelSelector(labelSelectorString(r.selector ?? {})) });
      }
      const apiServer = ctx.apiServer?.();
      if (apiServer === undefined) return 200; // the API is not listening yet: its URL is the events' source
      const mode = src.spec.mode === 'Resource' ? 'Resource' : 'Reference';
      // An empty selector selects every namespace (apiserversource.go isEmptySelector).
      const all = sel !== undefined && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
      const fingerprint = JSON.stringify([src.spec, namespaces, sink.uri, all]);
      if (watching.get(key)?.fingerprint !== fingerprint) {
        const w: Watching = { fingerprint, namespaces: all ? 'all' : new Set(namespaces), filters, owner: src.spec.owner, mode, sinkUri: sink.uri, source: apiServer, overrides: src.spec.ceOverrides, chain: watching.get(key)?.chain ?? Promise.resolve() };
        watching.set(key, w);
        // The informers' initial list: an add for every matching object.
        for (const f of filters) for (const o of ctx.store.list(f.storageKey)) if (matches(w, f.storageKey, o)) send(w, 'add', o);
      }
      lifecycle.markDeployed();
      status.ceAttributes = (['add', 'update', 'delete'] as const).map((v) => ({ type: APISERVER_EVENT_TYPES[mode][v], source: apiServer }));
    },
  };

  return {
    resource: RESOURCE.apiserversources,
    watches: [...SINK_WATCHES, 'core.namespaces'],
    reconcile: (key) => reconcileKey(ctx, reconciler, key),
    start() {
      unwatch = ctx.store.watch(undefined, onEvent);
    },
    async stop() {
      unwatch?.();
      const chains = [...watching.values()].map((w) => w.chain);
      watching.clear();
      await Promise.allSettled(chains);
    },
  };
};
