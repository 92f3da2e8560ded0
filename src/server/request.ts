// A REST request as the apiserver's RequestInfoFactory reads it (k8s.io/apiserver pkg/endpoints/request
// requestinfo.go NewRequestInfo): group, version, namespace, resource, name and subresource, resolved
// against knit's kind registry.

import { registry, type KindInfo } from '../kube/registry.ts';
import { StatusError } from '../api/status-error.ts';

/** One resource request: its kind, scope and the object it names. */
export interface ResourceRequest {
  kind: KindInfo;
  /** The namespace of a namespaced request (undefined: across all namespaces, or a cluster-scoped kind). */
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

/** The apiserver's 404 for a path no route serves. */
export function noRoute(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', { details: {} });
}

/**
 * Resolves decoded path segments (`['apis', GROUP, VERSION, ...]` or `['api', 'v1', ...]`) to a kind and object.
 * Returns undefined for a path that is not a resource path; throws the apiserver's 404 for one it does not serve.
 */
export function resolveResourcePath(segments: readonly string[]): ResourceRequest | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 2) {
    group = '';
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 3) {
    group = segments[1];
    version = segments[2];
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  if (rest.length === 0) return undefined; // a discovery path
  let namespace: string | undefined;
  // namespaces/NS/RESOURCE/...; but namespaces, namespaces/NAME and namespaces/NAME/SUBRESOURCE name Namespaces.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const nsKind = registry.byResource(group, version, 'namespaces');
    const isNamespaceSub = nsKind !== undefined && rest.length === 3 && nsKind.subresources.some((s) => s.name === rest[2]) && !registry.byResource(group, version, rest[2]);
    if (!isNamespaceSub) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const [resource, name, subresource, ...extra] = rest;
  const kind = registry.byResource(group, version, resource);
  if (!kind || extra.length > 0) throw noRoute();
  if (kind.namespaced && name !== undefined && namespace === undefined) throw noRoute();
  if (!kind.namespaced && namespace !== undefined) throw noRoute();
  if (subresource !== undefined && !kind.subresources.some((s) => s.name === subresource)) throw noRoute();
  if (name === '') throw noRoute();
  return { kind, namespace, name, subresource };
}
