// Namespaces as the apiserver and the namespace controller treat them: the system namespaces exist from the
// start, a namespaced object can only be created in a namespace that exists and is not being deleted
// (k8s.io/apiserver plugin/pkg/admission/namespace/lifecycle), and deleting a namespace deletes
// everything in it (k8s.io/kubernetes pkg/controller/namespace/deletion).

import { StatusError, notFound } from '../api/status-error.ts';
import { registry } from '../kube/registry.ts';
import type { Store, StoredObject } from '../store/store.ts';
import { rfc3339 } from '../api/time.ts';

const KEY = 'core.namespaces';

/** The namespaces a cluster running Knative with Kourier or Istio has, and `default`. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'knative-serving', 'kourier-system', 'istio-system'];

function namespaceObject(name: string): StoredObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, namespace: '', labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

/** The namespace checks and cascade of one store. */
export class Namespaces {
  private readonly store: Store;
  private readonly now: () => Date;

  constructor(store: Store, now: () => Date = () => new Date()) {
    this.store = store;
    this.now = now;
  }

  /**
   * Creates the system namespaces and every namespace that already holds objects (stores written before
   * knit served Namespaces), so what exists stays reachable.
   */
  ensureInitial(): void {
    const wanted = new Set(SYSTEM_NAMESPACES);
    for (const kind of registry.kinds) {
      if (!kind.namespaced) continue;
      this.store.scan(kind.storageKey, undefined, (o) => {
        if (o.metadata.namespace) wanted.add(o.metadata.namespace);
      });
    }
    for (const name of wanted) if (!this.store.get(KEY, '', name)) this.store.create(KEY, namespaceObject(name));
  }

  /** Throws the apiserver's refusal when objects cannot be created in `namespace`. */
  mustAccept(namespace: string): void {
    const ns = this.store.get(KEY, '', namespace);
    if (!ns) throw notFound(KEY, namespace);
    if ((ns.status as { phase?: string } | undefined)?.phase === 'Terminating') {
      throw new StatusError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`, {
        details: { name: namespace, kind: 'namespaces' },
      });
    }
  }

  /**
   * Deletes a namespace and everything in it; answers with the namespace as the apiserver does while the
   * namespace controller works (phase Terminating, deletionTimestamp set).
   */
  delete(name: string): StoredObject {
    const ns = this.store.get(KEY, '', name);
    if (!ns) throw notFound(KEY, name);
    const terminating = this.store.update(KEY, { ...ns, status: { phase: 'Terminating' } }, { subresource: 'status' });
    for (const kind of registry.kinds) {
      if (!kind.namespaced || kind.storage !== 'stored') continue;
      for (const obj of this.store.list(kind.storageKey, { namespace: name })) {
        try {
          this.store.delete(kind.storageKey, name, obj.metadata.name ?? '');
        } catch {
          // gone already (a cascade got there first)
        }
      }
    }
    this.store.delete(KEY, '', name);
    return { ...terminating, metadata: { ...terminating.metadata, deletionTimestamp: rfc3339(this.now()) } };
  }
}
