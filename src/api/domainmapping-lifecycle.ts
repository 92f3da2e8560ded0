// DomainMapping conditions and their typed markers (knative/serving pkg/apis/serving/v1beta1/domainmapping_lifecycle.go).

import { ConditionSet, Lifecycle } from './conditions.ts';
import type { Addressable, ObjectMeta, Status } from './types.ts';

export const DOMAIN_MAPPING_API_VERSION = 'serving.knative.dev/v1beta1';
export const DM_DOMAIN_CLAIMED = 'DomainClaimed';
export const DM_REFERENCE_RESOLVED = 'ReferenceResolved';
export const DM_INGRESS_READY = 'IngressReady';
export const DM_CERTIFICATE_PROVISIONED = 'CertificateProvisioned';

/** domainMappingCondSet: Ready summarises DomainClaimed, ReferenceResolved, IngressReady and CertificateProvisioned. */
export const DomainMappingConditions = new ConditionSet([DM_DOMAIN_CLAIMED, DM_REFERENCE_RESOLVED, DM_INGRESS_READY, DM_CERTIFICATE_PROVISIONED]);

/** v1beta1.TLSCertificateProvidedExternally. */
export const TLS_CERTIFICATE_PROVIDED_EXTERNALLY = 'TLS certificate was provided externally';

/** v1.ExternalDomainTLSNotEnabledMessage, the message DomainMapping's reconciler passes to MarkTLSNotEnabled. */
export const EXTERNAL_DOMAIN_TLS_NOT_ENABLED = 'external-domain-tls is not enabled';

/** duckv1.KReference as DomainMapping's spec.ref holds it. */
export interface KReference {
  kind: string;
  namespace?: string;
  name: string;
  apiVersion?: string;
  group?: string;
  address?: string;
}

export interface DomainMappingSpec {
  ref: KReference;
  tls?: { secretName: string };
}

export interface DomainMappingStatus extends Status {
  url?: string;
  address?: Addressable;
}

export interface DomainMapping {
  apiVersion: string;
  kind: 'DomainMapping';
  metadata: ObjectMeta;
  spec: DomainMappingSpec;
  status?: DomainMappingStatus;
}

/** networking.internal.knative.dev/v1alpha1 ClusterDomainClaim: which namespace may map a domain name. */
export interface ClusterDomainClaim {
  apiVersion: string;
  kind: 'ClusterDomainClaim';
  metadata: ObjectMeta;
  spec: { namespace: string };
}

export const CLUSTER_DOMAIN_CLAIM_API_VERSION = 'networking.internal.knative.dev/v1alpha1';
/** The store's key for ClusterDomainClaims (src/kube/registry.ts storageKeyOf). */
export const CLUSTER_DOMAIN_CLAIMS = 'networking.internal.knative.dev.clusterdomainclaims';

/** The markers the DomainMapping reconciler sets, with Knative's reasons and messages. */
export class DomainMappingLifecycle extends Lifecycle {
  declare protected readonly status: DomainMappingStatus;

  constructor(status: DomainMappingStatus, now: () => Date) {
    super(DomainMappingConditions, status, now);
  }

  /** MarkTLSNotEnabled. */
  markTLSNotEnabled(message: string): void {
    this.m.markTrueWithReason(DM_CERTIFICATE_PROVISIONED, 'TLSNotEnabled', message);
  }

  /** MarkCertificateNotRequired (a Secret named by spec.tls). */
  markCertificateNotRequired(message: string): void {
    this.m.markTrueWithReason(DM_CERTIFICATE_PROVISIONED, 'CertificateExternallyProvided', message);
  }

  /** MarkCertificateReady. */
  markCertificateReady(): void {
    this.m.markTrue(DM_CERTIFICATE_PROVISIONED);
  }

  /** MarkCertificateProvisionFailed. */
  markCertificateProvisionFailed(name: string): void {
    this.m.markFalse(DM_CERTIFICATE_PROVISIONED, 'CertificateProvisionFailed', `Certificate ${name} failed to be provisioned.`);
  }

  /** MarkIngressNotConfigured. */
  markIngressNotConfigured(): void {
    this.m.markUnknown(DM_INGRESS_READY, 'IngressNotConfigured', 'Ingress has not yet been reconciled.');
  }

  /** PropagateIngressStatus of a ready ingress (knit's routing table is programmed at once). */
  markIngressReady(): void {
    this.m.markTrue(DM_INGRESS_READY);
  }

  /** MarkDomainClaimed. */
  markDomainClaimed(): void {
    this.m.markTrue(DM_DOMAIN_CLAIMED);
  }

  /** MarkDomainClaimNotOwned. */
  markDomainClaimNotOwned(): void {
    this.m.markFalse(DM_DOMAIN_CLAIMED, 'DomainAlreadyClaimed', 'The domain name is already in use by another DomainMapping');
  }

  /** MarkDomainClaimFailed. */
  markDomainClaimFailed(reason: string): void {
    this.m.markFalse(DM_DOMAIN_CLAIMED, 'DomainClaimFailed', reason);
  }

  /** MarkReferenceResolved. */
  markReferenceResolved(): void {
    this.m.markTrue(DM_REFERENCE_RESOLVED);
  }

  /** MarkReferenceNotResolved. */
  markReferenceNotResolved(reason: string): void {
    this.m.markFalse(DM_REFERENCE_RESOLVED, 'ResolveFailed', reason);
  }
}
