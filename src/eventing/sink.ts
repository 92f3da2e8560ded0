// Resolving a duckv1.Destination to the URL events are sent to, as knative.dev/pkg resolver/addressable_resolver.go
// AddressableFromDestinationV1 does: a ref's status.address (or first status.addresses entry; `v1 Service`
// is special-cased to its cluster-local hostname), then `uri` resolved against it; a bare `uri` must be absolute.

import type { Store, StoredObject } from '../store/store.ts';
import { registry } from '../kube/registry.ts';
import type { Destination, KReference } from './types.ts';

/** A resolution failure; `message` is the resolver's error text, which reconcilers put in their conditions. */
export class SinkError extends Error {}

interface AddressHolder {
  status?: { address?: { url?: string; name?: string }; addresses?: { url?: string; name?: string }[] };
}

function splitApiVersion(apiVersion: string | undefined): { group: string; version: string } {
  const av = apiVersion ?? '';
  const i = av.indexOf('/');
  return i < 0 ? { group: '', version: av } : { group: av.slice(0, i), version: av.slice(i + 1) };
}

/** Go's %s of a *duckv1.KReference, as the resolver's messages print it. */
function refString(ref: KReference): string {
  return `&{Kind:${ref.kind} Namespace:${ref.namespace ?? ''} Name:${ref.name} APIVersion:${ref.apiVersion ?? ''} Group:${ref.group ?? ''} Address:${ref.address === undefined ? '<nil>' : ref.address}}`;
}

/** The store object `ref` names (namespace defaults to `namespace`), or undefined if knit serves no such kind. */
export function referencedObject(store: Store, ref: KReference, namespace: string): { resource: string; object: StoredObject | undefined } | undefined {
  const { group, version } = splitApiVersion(ref.apiVersion);
  const kind = registry.byKind(group, version, ref.kind);
  if (!kind) return undefined;
  return { resource: kind.storageKey, object: store.get(kind.storageKey, kind.namespaced ? (ref.namespace ?? namespace) : '', ref.name) };
}

/**
 * The URL of `dest`, seen from an object in `namespace` (a ref without a namespace means that one).
 * `clusterDomain` is config-network's cluster domain (`cluster.local`). Throws SinkError with Knative's messages.
 */
export function resolveDestination(store: Store, dest: Destination, namespace: string, clusterDomain = 'cluster.local'): string {
  if (dest.ref) {
    const ref = { ...dest.ref, namespace: dest.ref.namespace || namespace };
    const found = referencedObject(store, ref, namespace);
    const { group, version } = splitApiVersion(ref.apiVersion);
    const gvr = `${group}/${version}, Resource=${ref.kind.toLowerCase()}s`;
    if (!found) throw new SinkError(`failed to get lister for ${gvr}: no informer for that kind`);
    if (!found.object) {
      // apierrors.NewNotFound prints the group-qualified resource (`services.serving.knative.dev`; core kinds bare).
      const q = registry.byKind(group, version, ref.kind)?.qualifiedResource;
      throw new SinkError(`failed to get object ${ref.namespace}/${ref.name}: ${q ?? found.resource} "${ref.name}" not found`);
    }
    let base: string;
    if (ref.apiVersion === 'v1' && ref.kind === 'Service') {
      base = `http://${ref.name}.${ref.namespace}.svc.${clusterDomain}`;
    } else {
      const st = (found.object as AddressHolder).status;
      const addresses = st?.addresses ?? [];
      if (addresses.length === 0 && !st?.address) throw new SinkError(`address not set for ${refString(ref)}`);
      let addr: { url?: string } | undefined;
      if (ref.address) {
        addr = addresses.find((a) => a.name === ref.address);
        if (!addr) throw new SinkError(`address with name "${ref.address}" not found for ${refString(ref)}`);
      } else {
        addr = addresses[0] ?? st?.address;
      }
      if (!addr?.url) throw new SinkError(`URL missing in address of ${refString(ref)}`);
      let u: URL;
      try {
        u = new URL(addr.url);
      } catch {
        throw new SinkError(`hostname missing in address of ${refString(ref)}`);
      }
      if (!u.host) throw new SinkError(`hostname missing in address of ${refString(ref)}`);
      base = addr.url;
    }
    if (dest.uri) {
      if (isAbsolute(dest.uri)) throw new SinkError('absolute URI is not allowed when Ref or [apiVersion, kind, name] exists');
      return new URL(dest.uri, base.endsWith('/') || new URL(base).pathname !== '/' ? base : `${base}/`).toString();
    }
    return base;
  }
  if (dest.uri) {
    if (!isAbsolute(dest.uri)) throw new SinkError(`URI is not absolute (both scheme and host should be non-empty): ${JSON.stringify(dest.uri)}`);
    return dest.uri;
  }
  throw new SinkError('destination missing Ref and URI, expected at least one');
}

function isAbsolute(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol !== '' && u.host !== '';
  } catch {
    return false;
  }
}
