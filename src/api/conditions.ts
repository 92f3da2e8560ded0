// Knative's living condition sets (knative.dev/pkg/apis/condition_set.go): Ready plus dependents.

import { rfc3339 } from './time.ts';
import type { Condition, ConditionStatus, Status } from './types.ts';

export const READY = 'Ready';

/** A condition set: the happy condition `Ready` and the dependents it summarises. */
export class ConditionSet {
  readonly dependents: readonly string[];
  constructor(dependents: readonly string[]) {
    this.dependents = dependents;
  }

  /** Binds the set to a status object; `now` supplies lastTransitionTime. */
  manage(status: Status, now: () => Date = () => new Date()): ConditionManager {
    return new ConditionManager(this, status, now);
  }
}

/**
 * Mutates `status.conditions` as knative.dev/pkg apis/condition_set.go's conditionsImpl does
 * (SetCondition, MarkTrue, MarkUnknown, MarkFalse, InitializeConditions).
 */
export class ConditionManager {
  private readonly set: ConditionSet;
  private readonly status: Status;
  private readonly now: () => Date;

  constructor(set: ConditionSet, status: Status, now: () => Date) {
    this.set = set;
    this.status = status;
    this.now = now;
  }

  get(type: string): Condition | undefined {
    return this.status.conditions?.find((c) => c.type === type);
  }

  private isDependent(type: string): boolean {
    return this.set.dependents.includes(type);
  }

  /** Sets a condition, keeping lastTransitionTime when nothing else changed; sorted by type. */
  setCondition(cond: Condition): void {
    const conditions = this.status.conditions ?? [];
    const existing = conditions.find((c) => c.type === cond.type);
    const severity = cond.severity ?? (this.isDependent(cond.type) || cond.type === READY ? '' : 'Info');
    const next: Condition = { type: cond.type, status: cond.status };
    if (severity) next.severity = severity;
    if (cond.reason) next.reason = cond.reason;
    if (cond.message) next.message = cond.message;
    if (
      existing &&
      existing.status === next.status &&
      (existing.reason ?? '') === (next.reason ?? '') &&
      (existing.message ?? '') === (next.message ?? '') &&
      (existing.severity ?? '') === (next.severity ?? '')
    ) {
      return;
    }
    next.lastTransitionTime = rfc3339(this.now());
    const others = conditions.filter((c) => c.type !== cond.type);
    others.push(next);
    others.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    this.status.conditions = others;
  }

  /** Creates Ready (Unknown) and missing dependents (True if Ready is True, else Unknown). */
  initialize(): void {
    let ready = this.get(READY);
    if (!ready) {
      this.setCondition({ type: READY, status: 'Unknown' });
      ready = this.get(READY);
    }
    const status: ConditionStatus = ready?.status === 'True' ? 'True' : 'Unknown';
    for (const dep of this.set.dependents) {
      if (!this.get(dep)) this.setCondition({ type: dep, status });
    }
  }

  private findUnhappyDependent(): Condition | undefined {
    let worst: Condition | undefined;
    for (const dep of this.set.dependents) {
      const c = this.get(dep) ?? { type: dep, status: 'Unknown' as const };
      if (c.status === 'True') continue;
      if (!worst) { worst = c; continue; }
      if (c.status === 'False' && worst.status !== 'False') { worst = c; continue; }
      if (c.status === worst.status && (c.lastTransitionTime ?? '') > (worst.lastTransitionTime ?? '')) worst = c;
    }
    return worst;
  }

  private recomputeHappiness(): void {
    const unhappy = this.findUnhappyDependent();
    if (unhappy) {
      this.setCondition({ type: READY, status: unhappy.status, reason: unhappy.reason, message: unhappy.message });
    } else {
      this.setCondition({ type: READY, status: 'True' });
    }
  }

  markTrue(type: string): void {
    this.setCondition({ type, status: 'True' });
    if (type !== READY) this.recomputeHappiness();
  }

  markTrueWithReason(type: string, reason: string, message: string): void {
    this.setCondition({ type, status: 'True', reason, message });
    if (type !== READY) this.recomputeHappiness();
  }

  markUnknown(type: string, reason: string, message: string): void {
    this.setCondition({ type, status: 'Unknown', reason, message });
    if (type === READY) return;
    for (const dep of this.set.dependents) {
      if (this.get(dep)?.status === 'False') {
        // A failing dependent keeps Ready False; only its reason may be refreshed.
        if (this.get(READY)?.status !== 'False') {
          this.setCondition({ type: READY, status: 'False', reason, message });
        }
        return;
      }
    }
    if (this.isDependent(type)) this.setCondition({ type: READY, status: 'Unknown', reason, message });
  }

  markFalse(type: string, reason: string, message: string): void {
    this.setCondition({ type, status: 'False', reason, message });
    if (this.isDependent(type)) this.setCondition({ type: READY, status: 'False', reason, message });
  }
}

/** Ready at the current generation (knative/serving pkg/apis/serving/v1/service_lifecycle.go IsReady). */
export function isReady(obj: { metadata: { generation?: number }; status?: Status }): boolean {
  const st = obj.status;
  if (!st || st.observedGeneration !== obj.metadata.generation) return false;
  return st.conditions?.find((c) => c.type === READY)?.status === 'True';
}

/** Failed at the current generation (knative/serving pkg/apis/serving/v1/service_lifecycle.go IsFailed). */
export function isFailed(obj: { metadata: { generation?: number }; status?: Status }): boolean {
  const st = obj.status;
  if (!st || st.observedGeneration !== obj.metadata.generation) return false;
  return st.conditions?.find((c) => c.type === READY)?.status === 'False';
}

export function getCondition(status: Status | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * The base of each kind's lifecycle (knative/serving pkg/apis/serving/v1/*_lifecycle.go): typed
 * markers over one condition set, bound to one status. Reconcilers call markers, never raw
 * condition types, reasons or messages.
 */
export class Lifecycle {
  protected readonly m: ConditionManager;
  protected readonly status: Status;

  constructor(set: ConditionSet, status: Status, now: () => Date) {
    this.status = status;
    this.m = set.manage(status, now);
  }

  /** InitializeConditions: Ready and missing dependents. */
  initialize(): void {
    this.m.initialize();
  }

  /**
   * knative.dev/pkg reconciler/reconcile_common.go PreProcessReconcile: a generation not yet
   * observed makes Ready Unknown until this reconcile says otherwise.
   */
  markNewGeneration(): void {
    this.m.markUnknown(READY, 'NewObservedGenFailure', 'unsuccessfully observed a new generation');
  }

  condition(type: string): Condition | undefined {
    return this.m.get(type);
  }

  /** Copies another object's Ready condition onto `type` (the Propagate*Status helpers). */
  protected propagate(type: string, from: Status | undefined): void {
    const c = getCondition(from, READY);
    if (c?.status === 'True') this.m.markTrue(type);
    else if (c?.status === 'False') this.m.markFalse(type, c.reason ?? '', c.message ?? '');
    else if (c) this.m.markUnknown(type, c.reason ?? '', c.message ?? '');
  }
}
