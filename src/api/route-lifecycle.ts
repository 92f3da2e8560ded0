// Route conditions and their typed markers (knative/serving pkg/apis/serving/v1/route_lifecycle.go).

import { ConditionSet, Lifecycle } from './conditions.ts';
import type { RouteStatus } from './types.ts';

export const ROUTE_ALL_TRAFFIC_ASSIGNED = 'AllTrafficAssigned';
export const ROUTE_INGRESS_READY = 'IngressReady';
export const ROUTE_CERTIFICATE_PROVISIONED = 'CertificateProvisioned';

/** routeCondSet: Ready summarises AllTrafficAssigned, IngressReady and CertificateProvisioned. */
export const RouteConditions = new ConditionSet([ROUTE_ALL_TRAFFIC_ASSIGNED, ROUTE_INGRESS_READY, ROUTE_CERTIFICATE_PROVISIONED]);

/** v1.ExternalDomainTLSNotEnabledMessage. */
export const EXTERNAL_DOMAIN_TLS_NOT_ENABLED = 'external-domain-tls is not enabled';
/** v1.TLSNotEnabledForClusterLocalMessage. */
export const TLS_NOT_ENABLED_FOR_CLUSTER_LOCAL = 'TLS is not enabled for cluster-local';

/** The markers the Route reconciler sets, with Knative's reasons and messages. */
export class RouteLifecycle extends Lifecycle {
  declare protected readonly status: RouteStatus;

  constructor(status: RouteStatus, now: () => Date) {
    super(RouteConditions, status, now);
  }

  /** MarkIngressNotConfigured. */
  markIngressNotConfigured(): void {
    this.m.markUnknown(ROUTE_INGRESS_READY, 'IngressNotConfigured', 'Ingress has not yet been reconciled.');
  }

  /** MarkIngressRolloutInProgress. */
  markIngressRolloutInProgress(): void {
    this.m.markUnknown(ROUTE_INGRESS_READY, 'RolloutInProgress', 'A gradual rollout of the latest revision(s) is in progress.');
  }

  /** PropagateIngressStatus of a ready ingress (knit's routing table is programmed at once). */
  markIngressReady(): void {
    this.m.markTrue(ROUTE_INGRESS_READY);
  }

  /** MarkTrafficAssigned. */
  markTrafficAssigned(): void {
    this.m.markTrue(ROUTE_ALL_TRAFFIC_ASSIGNED);
  }

  /**
   * MarkRevisionTargetTrafficError(errorConfigMsg, ...) for a host name that is not a valid DNS
   * name (knative/serving pkg/reconciler/route/route.go reconcileTraffic).
   */
  markInvalidDomain(host: string): void {
    this.m.markFalse(ROUTE_ALL_TRAFFIC_ASSIGNED, 'ErrorConfig', `Invalid domain name "${host}": a DNS label must be no more than 63 characters`);
  }

  /** MarkConfigurationNotReady. */
  markConfigurationNotReady(name: string): void {
    this.m.markUnknown(ROUTE_ALL_TRAFFIC_ASSIGNED, 'RevisionMissing', `Configuration "${name}" is waiting for a Revision to become ready.`);
  }

  /** MarkConfigurationFailed. */
  markConfigurationFailed(name: string): void {
    this.m.markFalse(ROUTE_ALL_TRAFFIC_ASSIGNED, 'RevisionMissing', `Configuration "${name}" does not have any ready Revision.`);
  }

  /** MarkRevisionNotReady. */
  markRevisionNotReady(name: string): void {
    this.m.markUnknown(ROUTE_ALL_TRAFFIC_ASSIGNED, 'RevisionMissing', `Revision "${name}" is not yet ready.`);
  }

  /** MarkRevisionFailed. */
  markRevisionFailed(name: string): void {
    this.m.markFalse(ROUTE_ALL_TRAFFIC_ASSIGNED, 'RevisionMissing', `Revision "${name}" failed to become ready.`);
  }

  /** MarkRevisionNotOwned: a revision target of a Service's route belongs to another Service. */
  markRevisionNotOwned(revision: string, expectedService: string, actualService: string): void {
    const message = actualService
      ? `Revision "${revision}" belongs to Service "${actualService}", not Service "${expectedService}".`
      : `Revision "${revision}" does not belong to Service "${expectedService}".`;
    this.m.markFalse(ROUTE_ALL_TRAFFIC_ASSIGNED, 'RevisionNotOwned', message);
  }

  /** MarkMissingTrafficTarget: `kind` is Revision or Configuration. */
  markMissingTrafficTarget(kind: 'Revision' | 'Configuration', name: string): void {
    this.m.markFalse(ROUTE_ALL_TRAFFIC_ASSIGNED, `${kind}Missing`, `${kind} "${name}" referenced in traffic not found.`);
  }

  /** MarkCertificateReady. */
  markCertificateReady(): void {
    this.m.markTrue(ROUTE_CERTIFICATE_PROVISIONED);
  }

  /** MarkCertificateProvisionFailed. */
  markCertificateProvisionFailed(name: string): void {
    this.m.markFalse(ROUTE_CERTIFICATE_PROVISIONED, 'CertificateProvisionFailed', `Certificate ${name} fails to be provisioned.`);
  }

  /** MarkTLSNotEnabled: knit serves plain HTTP (no certificates). */
  markTLSNotEnabled(clusterLocal: boolean): void {
    this.m.markTrueWithReason(ROUTE_CERTIFICATE_PROVISIONED, 'TLSNotEnabled', clusterLocal ? TLS_NOT_ENABLED_FOR_CLUSTER_LOCAL : EXTERNAL_DOMAIN_TLS_NOT_ENABLED);
  }
}
