// The SinkBinding reconciler (knative/eventing pkg/reconciler/sinkbinding sinkbinding.go and
// knative.dev/pkg webhook/psbinding reconciler.go, with pkg/apis/sources/v1 sinkbinding_lifecycle.go
// Do/Undo): the subject's pod template gets K_SINK and K_CE_OVERRIDES in every container's env, and
// loses them when the binding is deleted. For a Knative Service or Configuration subject the patched
// template is a new Revision, as Knative's webhook patch of a PodSpecable is.

import { isDeepStrictEqual } from 'node:util';
import { reconcileKey, type Reconciler } from '../../controllers/kit.ts';
import { objectKey } from '../../controllers/names.ts';
import { registry, type KindInfo } from '../../kube/registry.ts';
import { labelSelectorString } from '../../kube/printers.ts';
import { parseLabelSelector } from '../../kube/selectors.ts';
import type { StoredObject } from '../../store/store.ts';
import type { Container, EnvVar } from '../../api/types.ts';
import type { ControllerFactory, EventingContext } from '../manager.ts';
import { RESOURCE, type SinkBinding } from '../types.ts';
import { SinkBindingLifecycle } from './lifecycle.ts';
import { SINK_WATCHES, ceOverridesEnv, resolveSink } from './common.ts';
import { sinkRelayOf } from './sink-relay.ts';

/** The env names a SinkBinding owns (sinkbinding_lifecycle.go Undo). */
const BOUND_ENV = new Set(['K_SINK', 'K_CE_OVERRIDES', 'K_CA_CERTS']);

interface PodSpecable extends StoredObject {
  spec?: { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } };
}

type Subjects = { kind: KindInfo; objects: PodSpecable[] } | { unavailable: 'SubjectMissing' | 'SubjectUnavailable'; message: string };

/** The subject's kind and the objects it names (by name, or by label selector in the binding's namespace). */
export function subjectsOf(ctx: Pick<EventingContext, 'store'>, sb: SinkBinding): Subjects {
  const subject = sb.spec.subject ?? { apiVersion: '', kind: '' };
  const av = subject.apiVersion ?? '';
  const i = av.indexOf('/');
  const kind = registry.byKind(i < 0 ? '' : av.slice(0, i), i < 0 ? av : av.slice(i + 1), subject.kind ?? '');
  if (!kind) return { unavailable: 'SubjectUnavailable', message: `no kind "${subject.kind}" is registered for version "${av}"` };
  if (kind.storage !== 'stored') {
    return { unavailable: 'SubjectUnavailable', message: `knit computes ${kind.qualifiedResource} from its own state and cannot patch them; bind a Knative Service or Configuration` };
  }
  const ns = subject.namespace || sb.metadata.namespace || 'default';
  if (subject.name) {
    const o = ctx.store.get<PodSpecable>(kind.storageKey, ns, subject.name);
    if (!o) return { unavailable: 'SubjectMissing', message: `${kind.qualifiedResource} "${subject.name}" not found` };
    return { kind, objects: [o] };
  }
  const selector = parseLabelSelector(labelSelectorString(subject.selector ?? {}));
  return { kind, objects: ctx.store.list<PodSpecable>(kind.storageKey).filter((o) => (o.metadata.namespace ?? '') === ns && selector.matches(o.metadata.labels ?? {})) };
}

/** Do (with `env`) or Undo (without) on every container and init container of `obj`'s pod template; true if it changed. */
function patchTemplate(obj: PodSpecable, env: EnvVar[] | undefined): boolean {
  const ps = obj.spec?.template?.spec;
  if (!ps) throw new Error(`${obj.kind} "${obj.metadata.name}" has no spec.template.spec to bind`);
  const before = structuredClone(ps);
  for (const list of [ps.initContainers, ps.containers]) {
    for (const c of list ?? []) {
      const kept = (c.env ?? []).filter((e) => !BOUND_ENV.has(e.name));
      if (env) c.env = [...kept, ...env];
      else if (kept.length > 0) c.env = kept;
      else delete c.env;
    }
  }
  return !isDeepStrictEqual(before, ps);
}

/** The SinkBinding controller. */
export const sinkBindingController: ControllerFactory = (ctx, enqueue) => {
  const relay = sinkRelayOf(ctx);
  relay.onFailure(() => {
    for (const o of ctx.store.list(RESOURCE.sinkbindings)) enqueue(RESOURCE.sinkbindings, objectKey(o.metadata.namespace, o.metadata.name));
  });
  let unwatch: (() => void) | undefined;

  const write = (kind: KindInfo, obj: PodSpecable, env: EnvVar[] | undefined): void => {
    const copy = structuredClone(obj);
    if (patchTemplate(copy, env)) ctx.store.update(kind.storageKey, copy);
  };

  /** Undo on the subjects of a deleted binding (psbinding's finalizer). */
  const unbind = (sb: SinkBinding): void => {
    const s = subjectsOf(ctx, sb);
    if (!('kind' in s)) return;
    for (const o of s.objects) {
      try {
        write(s.kind, o, undefined);
      } catch (err) {
        console.error(`knit: unbinding SinkBinding ${sb.metadata.namespace}/${sb.metadata.name}: ${(err as Error).message}`);
      }
    }
  };

  const reconciler: Reconciler<SinkBinding, SinkBindingLifecycle> = {
    resource: RESOURCE.sinkbindings,
    lifecycle: SinkBindingLifecycle,
    reconcile(_c, { namespace, object: sb, status, lifecycle }) {
      lifecycle.markTrustBundlePropagated();
      const sink = resolveSink(ctx, sb.spec.sink, namespace);
      if ('error' in sink) {
        lifecycle.markSinkFailed(sink.error);
        return;
      }
      lifecycle.markSink(sink.uri);
      lifecycle.markOIDCDisabled();
      delete status.oidcTokenSecretName;
      const subjects = subjectsOf(ctx, sb);
      if (!('kind' in subjects)) return lifecycle.markBindingUnavailable(subjects.unavailable, subjects.message);
      let kSink: string;
      try {
        kSink = relay.workloadUrl(sink.uri);
      } catch (err) {
        return lifecycle.markBindingUnavailable('BindingFailed', (err as Error).message);
      }
      if (kSink !== sink.uri) {
        const podman = subjects.objects.find((o) => [...(o.spec?.template?.spec?.containers ?? []), ...(o.spec?.template?.spec?.initContainers ?? [])].some((c) => !(c.image ?? '').startsWith('file://')));
        if (podman) {
          return lifecycle.markBindingUnavailable('BindingFailed', `the sink ${sink.uri} is cluster-local: knit relays it on a loopback address, which only file:// images (on the host network) reach, and ${podman.kind} "${podman.metadata.name}" runs a container image`);
        }
      }
      const env: EnvVar[] = [{ name: 'K_SINK', value: kSink }, { name: 'K_CE_OVERRIDES', value: ceOverridesEnv(sb.spec.ceOverrides) }];
      try {
        for (const o of subjects.objects) write(subjects.kind, o, env);
      } catch (err) {
        return lifecycle.markBindingUnavailable('BindingFailed', (err as Error).message);
      }
      lifecycle.markBindingAvailable();
    },
  };

  return {
    resource: RESOURCE.sinkbindings,
    watches: [...SINK_WATCHES, 'configurations'],
    reconcile: (key) => reconcileKey(ctx, reconciler, key),
    start() {
      unwatch = ctx.store.watch(RESOURCE.sinkbindings, (ev) => {
        if (ev.type === 'DELETED') unbind(ev.object as unknown as SinkBinding);
      });
    },
    async stop() {
      unwatch?.();
      await relay.close();
    },
  };
};
