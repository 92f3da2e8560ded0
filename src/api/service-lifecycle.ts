// Service conditions and their typed markers (knative/serving pkg/apis/serving/v1/service_lifecycle.go).

import { ConditionSet, Lifecycle, getCondition } from './conditions.ts';
import type { ConfigurationStatus, RouteStatus, ServiceStatus } from './types.ts';

export const SERVICE_CONFIGURATIONS_READY = 'ConfigurationsReady';
export const SERVICE_ROUTES_READY = 'RoutesReady';

/** serviceCondSet: Ready summarises ConfigurationsReady and RoutesReady. */
export const ServiceConditions = new ConditionSet([SERVICE_CONFIGURATIONS_READY, SERVICE_ROUTES_READY]);

/** The markers the Service reconciler sets, with Knative's reasons and messages. */
export class ServiceLifecycle extends Lifecycle {
  declare protected readonly status: ServiceStatus;

  constructor(status: ServiceStatus, now: () => Date) {
    super(ServiceConditions, status, now);
  }

  /** MarkConfigurationNotOwned. */
  markConfigurationNotOwned(name: string): void {
    this.m.markFalse(SERVICE_CONFIGURATIONS_READY, 'NotOwned', `There is an existing Configuration "${name}" that we do not own.`);
  }

  /** MarkRouteNotOwned. */
  markRouteNotOwned(name: string): void {
    this.m.markFalse(SERVICE_ROUTES_READY, 'NotOwned', `There is an existing Route "${name}" that we do not own.`);
  }

  /** MarkConfigurationNotReconciled: the Configuration has not observed its generation yet. */
  markConfigurationNotReconciled(): void {
    this.m.markUnknown(SERVICE_CONFIGURATIONS_READY, 'OutOfDate', 'The Configuration is still working to reflect the latest desired specification.');
  }

  /** PropagateConfigurationStatus: latest revision names and the Configuration's Ready. */
  propagateConfigurationStatus(cs: ConfigurationStatus | undefined): void {
    this.status.latestCreatedRevisionName = cs?.latestCreatedRevisionName;
    this.status.latestReadyRevisionName = cs?.latestReadyRevisionName;
    if (!this.status.latestCreatedRevisionName) delete this.status.latestCreatedRevisionName;
    if (!this.status.latestReadyRevisionName) delete this.status.latestReadyRevisionName;
    this.propagate(SERVICE_CONFIGURATIONS_READY, cs);
  }

  /** MarkRevisionNameTaken: a BYO revision name belongs to a conflicting Revision. */
  markRevisionNameTaken(name: string): void {
    this.m.markFalse(SERVICE_ROUTES_READY, 'RevisionNameTaken', `The revision name "${name}" is taken by a conflicting Revision, so traffic will not be migrated`);
  }

  /** MarkRouteNotYetReady: the Route has not moved traffic to the latest ready revision. */
  markRouteNotYetReady(): void {
    this.m.markUnknown(SERVICE_ROUTES_READY, 'TrafficNotMigrated', 'Traffic is not yet migrated to the latest revision.');
  }

  /** MarkRouteNotReconciled: the Route has not observed its generation yet. */
  markRouteNotReconciled(): void {
    this.m.markUnknown(SERVICE_ROUTES_READY, 'OutOfDate', 'The Route is still working to reflect the latest desired specification.');
  }

  /** PropagateRouteStatus: url, address, traffic and the Route's Ready. */
  propagateRouteStatus(r: RouteStatus | undefined): void {
    if (r?.url) this.status.url = r.url;
    else delete this.status.url;
    if (r?.address) this.status.address = r.address;
    else delete this.status.address;
    if (r?.traffic) this.status.traffic = r.traffic;
    else delete this.status.traffic;
    this.propagate(SERVICE_ROUTES_READY, r);
  }

  routesReady(): boolean {
    return getCondition(this.status, SERVICE_ROUTES_READY)?.status === 'True';
  }
}
