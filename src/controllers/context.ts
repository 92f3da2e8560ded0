// What every reconciler is handed: the store, the clock, events, settings and the ports to the
// data plane, the instance manager and the autoscaler (interfaces the real classes satisfy).

import type { ObjectMeta, OwnerReference } from '../api/types.ts';
import { API_VERSION } from '../api/types.ts';
import type { Store } from '../store/store.ts';
import type { HostRule, MappedTLS } from '../dataplane/routing.ts';
import type { Workload, WorkloadStatus } from '../runtime/instances.ts';
import type { AutoscalerState, RevisionScaling } from '../autoscaler/kpa.ts';
import type { EventRecorder } from './events.ts';
import type { GCConfig } from '../api/config.ts';
import type { CertificateIssuer } from './certificates.ts';

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
  /** config-network autocreate-cluster-domain-claims (off by default, as in Knative). */
  autocreateClusterDomainClaims?: boolean;
  /** `knit serve --https`: the gateway serves DomainMappings' spec.tls certificates. */
  httpsGateway?: boolean;
  /** config-network external-domain-tls (takes effect only with httpsGateway and a certificate issuer). */
  externalDomainTLS?: boolean;
  /** config-network http-protocol; `Enabled` when omitted. */
  httpProtocol?: 'Enabled' | 'Redirected';
  /** config-gc; Knative's defaults when omitted. */
  gc?: GCConfig;
}

/** What the Revision reconciler needs from the instance manager (the Deployment role). */
export interface Instances {
  has(key: string): boolean;
  ensure(workload: Workload): void;
  /** Sets a workload's replica count (the autoscaler's output; Eventing's ContainerSource asks for one). */
  setScale?(key: string, n: number): void;
  /** Whether a route may send the revision traffic (routingState not `reserve`): only then is a replica prepared at zero. */
  setReachable?(key: string, reachable: boolean): void;
  status(key: string): WorkloadStatus | undefined;
  remove(key: string): Promise<void>;
  runtimeFor(image: string): { resolveDigest(image: string, pullPolicy?: string, auth?: string): Promise<string | undefined> };
  /** A Secret or ConfigMap the revision's env reads changed: a start waiting on it retries now. */
  retryStart?(key: string): void;
  /** Called when a revision's instances change (ready, failed, gone). */
  onChange: (key: string) => void;
  /** Called when a request arrives for a revision. */
  onActivate: (key: string) => void;
}

/** What the reconcilers need from the autoscaler (the PodAutoscaler role). */
export interface Scaler {
  start(): void;
  stop(): void;
  ensure(key: string, input: RevisionScaling): void;
  remove(key: string): void;
  state(key: string): AutoscalerState | undefined;
  poke(key: string): void;
  readyChanged(key: string): void;
  /** Called when a revision's scaling state changes. */
  onChange: (key: string) => void;
}

/** What the Route reconciler programs (the KIngress role). */
export interface Routing {
  setRoute(route: string, rules: HostRule[]): void;
  deleteRoute(route: string): void;
  /** A DomainMapping (key `namespace/name`) maps `host` to the route host `targetHost`, over TLS with `tls`'s Secret. */
  setDomainMapping(owner: string, host: string, targetHost: string, tls?: MappedTLS): void;
  deleteDomainMapping(owner: string): void;
}

export interface ControllerContext {
  store: Store;
  /** Issues routes' certificates when external-domain-tls is on (`knit serve --https`). */
  certificates?: CertificateIssuer;
  now: () => Date;
  table: Routing;
  instances: Instances;
  autoscaler: Scaler;
  settings: ControllerSettings;
  /** Where reconcilers record events. */
  events: EventRecorder;
  /** DATA_DIR/logs, where instances write their logs; revision GC removes a collected revision's. */
  logDir?: string;
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
