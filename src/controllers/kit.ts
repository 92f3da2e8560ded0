// The reconciler kit: the steps every reconciler shares — get, deletion, status copy, condition
// init, observed generation, diff-and-write of status — as knative.dev/pkg's generated
// reconciler (injection/reconciler reconciler.go Reconcile, reconciler/reconcile_common.go).

import { isDeepStrictEqual } from 'node:util';
import type { Lifecycle } from '../api/conditions.ts';
import type { ObjectMeta, Status } from '../api/types.ts';
import type { ControllerContext } from './context.ts';
import { splitKey } from './names.ts';

/** Any stored object with a status. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  status?: Status;
}

/** What a reconciler is given: the observed object, its status (to mutate) and its markers. */
export interface Observed<T extends KObject, L extends Lifecycle> {
  key: string;
  namespace: string;
  name: string;
  /** A copy of the stored object; `object.status` is `status`. */
  object: T;
  status: NonNullable<T['status']>;
  lifecycle: L;
  /** True when the object's generation had not been observed yet. */
  newGeneration: boolean;
  /** Runs `fn` after the status is written (work that must see the written status first). */
  afterStatusWrite(fn: () => void): void;
}

/** One kind's reconciler: a function from the observed object to its children and status. */
export interface Reconciler<T extends KObject, L extends Lifecycle> {
  /** Store resource (`services`). */
  readonly resource: string;
  readonly lifecycle: new (status: NonNullable<T['status']>, now: () => Date) => L;
  /**
   * Brings children to what the object wants and sets its status through `lifecycle`.
   * A returned number asks for another look after that many milliseconds.
   */
  reconcile(ctx: ControllerContext, o: Observed<T, L>): number | undefined | void;
  /** The object is gone: releases what is not a stored child (instances, routing entries). */
  finalize?(ctx: ControllerContext, key: string): void;
}

/** Reconciles one key (`namespace/name`) with `r`; returns when to look again, if ever. */
export function reconcileKey<T extends KObject, L extends Lifecycle>(ctx: ControllerContext, r: Reconciler<T, L>, key: string): number | undefined {
  const [namespace, name] = splitKey(key);
  const object = ctx.store.get<T>(r.resource, namespace, name);
  if (!object || object.metadata.deletionTimestamp) {
    r.finalize?.(ctx, key);
    return undefined;
  }
  const before = structuredClone(object.status ?? {});
  const status = (object.status ?? {}) as NonNullable<T['status']>;
  object.status = status;
  const lifecycle = new r.lifecycle(status, ctx.now);
  lifecycle.initialize();
  const generation = object.metadata.generation ?? 0;
  const newGeneration = status.observedGeneration !== generation;
  if (newGeneration) lifecycle.markNewGeneration();
  const after: (() => void)[] = [];
  let again: number | undefined | void;
  try {
    again = r.reconcile(ctx, { key, namespace, name, object, status, lifecycle, newGeneration, afterStatusWrite: (fn) => after.push(fn) });
  } catch (err) {
    // The generated reconciler reports a failed ReconcileKind as a Warning InternalError event.
    ctx.events.event(object, 'Warning', 'InternalError', (err as Error).message);
    throw err;
  }
  status.observedGeneration = generation;
  if (!isDeepStrictEqual(before, status)) ctx.store.update(r.resource, object, { subresource: 'status' });
  for (const fn of after) fn();
  return again ?? undefined;
}
