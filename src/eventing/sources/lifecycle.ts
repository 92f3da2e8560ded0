// The sources' condition sets and typed markers (knative/eventing pkg/apis/sources/v1 ping_lifecycle.go,
// apiserver_lifecycle.go, container_lifecycle.go, sinkbinding_lifecycle.go). knit has no OIDC, trust
// bundles or RBAC: those conditions are marked as Knative marks them with the features off.

import { ConditionSet, Lifecycle } from '../../api/conditions.ts';
import type { SourceStatus } from '../types.ts';

/** knative/eventing pkg/auth/serviceaccount.go SetupOIDCServiceAccount with authentication-oidc off. */
const OIDC_DISABLED = 'authentication-oidc feature disabled';

/**
 * The markers every source shares: the sink (SinkProvided) and OIDC (off). A sink that stops resolving
 * leaves `status.sinkUri` as it was, as Knative's MarkNoSink and MarkSinkFailed do.
 */
abstract class SourceLifecycle extends Lifecycle {
  protected abstract readonly sinkCondition: string;

  /** MarkSink: the resolved sink URI. */
  markSink(uri: string): void {
    (this.status as SourceStatus).sinkUri = uri;
    this.m.markTrue(this.sinkCondition);
  }

  markOIDCDisabled(): void {
    this.m.markTrueWithReason('OIDCIdentityCreated', OIDC_DISABLED, '');
  }
}

/** PingSource: SinkProvided, Deployed, OIDCIdentityCreated. */
export class PingSourceLifecycle extends SourceLifecycle {
  static readonly conditions = new ConditionSet(['SinkProvided', 'Deployed', 'OIDCIdentityCreated']);
  protected readonly sinkCondition = 'SinkProvided';
  constructor(status: SourceStatus, now: () => Date) {
    super(PingSourceLifecycle.conditions, status, now);
  }

  /** pingsource.go ReconcileKind: `MarkNoSink("NotFound", "")`. */
  markNoSink(): void {
    this.m.markFalse('SinkProvided', 'NotFound', '');
  }

  /** The schedule is armed in knit's in-process adapter (the mt-ping Deployment's Available). */
  markDeployed(): void {
    this.m.markTrue('Deployed');
  }

  /** The schedule cannot be armed (admission refuses bad schedules; this guards stored objects). */
  markScheduleInvalid(message: string): void {
    this.m.markFalse('Deployed', 'InvalidSchedule', message);
  }
}

/** ApiServerSource: SinkProvided, Deployed, SufficientPermissions, OIDCIdentityCreated. */
export class ApiServerSourceLifecycle extends SourceLifecycle {
  static readonly conditions = new ConditionSet(['SinkProvided', 'Deployed', 'SufficientPermissions', 'OIDCIdentityCreated']);
  protected readonly sinkCondition = 'SinkProvided';
  constructor(status: SourceStatus, now: () => Date) {
    super(ApiServerSourceLifecycle.conditions, status, now);
  }

  markNoSink(): void {
    this.m.markFalse('SinkProvided', 'NotFound', '');
  }

  /** knit has one administrator and no RBAC: the access check always passes. */
  markSufficientPermissions(): void {
    this.m.markTrue('SufficientPermissions');
  }

  markDeployed(): void {
    this.m.markTrue('Deployed');
  }

  /** A resource names a kind knit does not keep in its store (it cannot be watched). */
  markResourceNotWatchable(message: string): void {
    this.m.markFalse('Deployed', 'ResourceNotWatchable', message);
  }
}

/** ContainerSource: SinkBindingReady, ReceiveAdapterReady. */
export class ContainerSourceLifecycle extends Lifecycle {
  static readonly conditions = new ConditionSet(['SinkBindingReady', 'ReceiveAdapterReady']);
  constructor(status: SourceStatus, now: () => Date) {
    super(ContainerSourceLifecycle.conditions, status, now);
  }

  /** PropagateSinkBindingStatus of a ready binding: its sinkUri. */
  markSinkBound(uri: string): void {
    (this.status as SourceStatus).sinkUri = uri;
    this.m.markTrue('SinkBindingReady');
  }

  /** PropagateSinkBindingStatus of a binding whose sink does not resolve (SinkProvided False, NoAddressable). */
  markSinkUnbound(message: string): void {
    this.m.markFalse('SinkBindingReady', 'NoAddressable', `Addressable could not be extracted from destination: ${message}`);
  }

  /** PropagateReceiveAdapterStatus: the Deployment is Available. */
  markAdapterReady(): void {
    this.m.markTrue('ReceiveAdapterReady');
  }

  /** The Deployment has no available replica yet. */
  markAdapterUnavailable(deployment: string): void {
    this.m.markUnknown('ReceiveAdapterReady', 'DeploymentUnavailable', `The Deployment '${deployment}' is unavailable.`);
  }

  /** The Deployment's Available is False (its replica keeps failing). */
  markAdapterFailed(reason: string, message: string): void {
    this.m.markFalse('ReceiveAdapterReady', reason, message);
  }
}

/** SinkBinding: SinkBindingAvailable, SinkProvided, OIDCIdentityCreated, OIDCTokenSecretCreated, TrustBundlePropagated. */
export class SinkBindingLifecycle extends SourceLifecycle {
  static readonly conditions = new ConditionSet(['SinkBindingAvailable', 'SinkProvided', 'OIDCIdentityCreated', 'OIDCTokenSecretCreated', 'TrustBundlePropagated']);
  protected readonly sinkCondition = 'SinkProvided';
  constructor(status: SourceStatus, now: () => Date) {
    super(SinkBindingLifecycle.conditions, status, now);
  }

  /** sinkbinding.go Reconcile: `MarkSinkFailed("NoAddressable", …)`. */
  markSinkFailed(message: string): void {
    this.m.markFalse('SinkProvided', 'NoAddressable', `Addressable could not be extracted from destination: ${message}`);
  }

  override markOIDCDisabled(): void {
    super.markOIDCDisabled();
    this.m.markTrueWithReason('OIDCTokenSecretCreated', OIDC_DISABLED, '');
  }

  markTrustBundlePropagated(): void {
    this.m.markTrue('TrustBundlePropagated');
  }

  /** knative.dev/pkg webhook/psbinding reconciler.go: the subject was patched. */
  markBindingAvailable(): void {
    this.m.markTrue('SinkBindingAvailable');
  }

  /** psbinding: `SubjectMissing` (no such subject), `SubjectUnavailable` (its kind cannot be listed), `BindingFailed`. */
  markBindingUnavailable(reason: 'SubjectMissing' | 'SubjectUnavailable' | 'BindingFailed', message: string): void {
    this.m.markFalse('SinkBindingAvailable', reason, message);
  }
}
