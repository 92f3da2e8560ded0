// Revision conditions and their typed markers (knative/serving pkg/apis/serving/v1/revision_lifecycle.go,
// and the PodAutoscaler reasons of pkg/apis/autoscaling/v1alpha1/pa_lifecycle.go that become Active).

import { ConditionSet, Lifecycle } from './conditions.ts';
import type { RevisionStatus } from './types.ts';

export const REVISION_RESOURCES_AVAILABLE = 'ResourcesAvailable';
export const REVISION_CONTAINER_HEALTHY = 'ContainerHealthy';
/** Active is not a dependent: a revision scaled to zero stays Ready. */
export const REVISION_ACTIVE = 'Active';

/** revisionCondSet: Ready summarises ResourcesAvailable and ContainerHealthy. */
export const RevisionConditions = new ConditionSet([REVISION_RESOURCES_AVAILABLE, REVISION_CONTAINER_HEALTHY]);

/** Why a revision's autoscaler reports it inactive (PodAutoscaler MarkInactive reasons). */
export type InactiveReason = 'NoTraffic' | 'TimedOut';

const INACTIVE_MESSAGE: Record<InactiveReason, string> = {
  NoTraffic: 'The target is not receiving traffic.',
  TimedOut: 'The target could not be activated.',
};

/** The markers the Revision reconciler sets, with Knative's reasons and messages. */
export class RevisionLifecycle extends Lifecycle {
  declare protected readonly status: RevisionStatus;

  constructor(status: RevisionStatus, now: () => Date) {
    super(RevisionConditions, status, now);
  }

  /** ReasonResolvingDigests: the image digest is being resolved. */
  markResolvingDigests(): void {
    this.m.markUnknown(REVISION_RESOURCES_AVAILABLE, 'ResolvingDigests', '');
  }

  /** ReasonContainerMissing: the image cannot be fetched (the message says why). */
  markContainerMissing(message: string): void {
    this.m.markFalse(REVISION_CONTAINER_HEALTHY, 'ContainerMissing', message);
  }

  /** MarkContainerHealthyTrue. */
  markContainerHealthy(): void {
    this.m.markTrue(REVISION_CONTAINER_HEALTHY);
  }

  /** MarkContainerHealthyFalse: an instance exited before it was ready (ExitCodeN and its output). */
  markContainerUnhealthy(reason: string, message: string): void {
    this.m.markFalse(REVISION_CONTAINER_HEALTHY, reason, message);
  }

  /** MarkContainerHealthyUnknown(ReasonDeploying). */
  markContainerDeploying(): void {
    this.m.markUnknown(REVISION_CONTAINER_HEALTHY, 'Deploying', '');
  }

  /** MarkResourcesAvailableTrue. */
  markResourcesAvailable(): void {
    this.m.markTrue(REVISION_RESOURCES_AVAILABLE);
  }

  /** MarkResourcesAvailableUnknown(ReasonDeploying). */
  markResourcesDeploying(): void {
    this.m.markUnknown(REVISION_RESOURCES_AVAILABLE, 'Deploying', '');
  }

  /** MarkResourcesAvailableFalse: a pod's container waits with `reason` (reconcile_resources.go reconcileDeployment). */
  markResourcesUnavailable(reason: string, message: string): void {
    this.m.markFalse(REVISION_RESOURCES_AVAILABLE, reason, message);
  }

  /** PropagateAutoscalerStatus: initial scale not reached within the progress deadline. */
  markProgressDeadlineExceeded(): void {
    this.m.markFalse(REVISION_RESOURCES_AVAILABLE, 'ProgressDeadlineExceeded', 'Initial scale was never achieved');
  }

  /** MarkActiveTrue. */
  markActive(): void {
    this.m.markTrue(REVISION_ACTIVE);
  }

  /** MarkActiveFalse with the PodAutoscaler's MarkInactive reason. */
  markInactive(reason: InactiveReason): void {
    this.m.markFalse(REVISION_ACTIVE, reason, INACTIVE_MESSAGE[reason]);
  }

  /** MarkActiveUnknown with the PodAutoscaler's MarkActivating reason. */
  markActivating(): void {
    this.m.markUnknown(REVISION_ACTIVE, 'Queued', 'Requests to the target are being buffered as resources are provisioned.');
  }
}
