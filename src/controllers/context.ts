// What every reconciler is handed: the store, the clock, the data plane and the runtime.

import type { ObjectMeta, OwnerReference } from '../api/types.ts';
import { API_VERSION } from '../api/types.ts';
import type { Store } from '../store/store.ts';
import type { RoutingTable } from '../dataplane/routing.ts';
import type { InstanceManager } from '../runtime/instances.ts';
import type { Autoscaler } from '../autoscaler/kpa.ts';

/** Cluster-wide settings the reconcilers read (a subset of Knative's ConfigMaps). */
export interface ControllerSettings {
  /** Domain of external URLs (config-domain). */
  domain: string;
  /** config-network domain-template and tag-template (Go templates). */
  domainTemplate: string;
  tagTemplate: string;
  /** Cluster-local domain suffix (`cluster.local`). */
  clusterDomain: string;
  /** config-deployment progress-deadline, seconds. */
  progressDeadlineSeconds: number;
  /** config-autoscaler initial-scale. */
  initialScale: number;
  /** config-network rollout-duration, seconds (0 = instant). */
  rolloutDurationSeconds: number;
  /** config-features tag-header-based-routing (off by default). */
  tagHeaderBasedRouting: boolean;
}

export interface ControllerContext {
  store: Store;
  now: () => Date;
  table: RoutingTable;
  instances: InstanceManager;
  autoscaler: Autoscaler;
  settings: ControllerSettings;
}


/** The controller owner reference to put on a child. */
export function controllerRef(kind: string, meta: ObjectMeta): OwnerReference {
  return { apiVersion: API_VERSION, kind, name: meta.name ?? '', uid: meta.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** True if `meta` is controlled by the object with `uid`. */
export function isControlledBy(meta: ObjectMeta, uid: string | undefined): boolean {
  return !!meta.ownerReferences?.some((o) => o.controller && o.uid === uid);
}

/** The controlling owner reference, if any. */
export function controllerOf(meta: ObjectMeta): OwnerReference | undefined {
  return meta.ownerReferences?.find((o) => o.controller);
}
