// What the API answers for writes to the projected workload objects: the autoscaling/v1 Scale of a
// Deployment or ReplicaSet, and the refusals of `kubectl scale` and of other writes.

import { methodNotAllowed, type StatusError } from '../../api/status-error.ts';
import { LABEL } from '../../api/types.ts';
import type { StoredObject } from '../../store/store.ts';

/** Knative's scale bounds (knative/serving pkg/apis/autoscaling register.go MinScaleAnnotationKey, MaxScaleAnnotationKey). */
const MIN_SCALE = 'autoscaling.knative.dev/min-scale';
const MAX_SCALE = 'autoscaling.knative.dev/max-scale';

/**
 * The `scale` subresource of a projected Deployment or ReplicaSet, as kube-apiserver's
 * pkg/registry/apps/deployment/storage scaleFromDeployment builds it: spec and status replicas and the
 * selector in its string form.
 */
export function scaleOf(obj: StoredObject): StoredObject & { spec: { replicas: number }; status: { replicas: number; selector: string } } {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = (obj.status ?? {}) as { replicas?: number };
  const md = obj.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: md.name, namespace: md.namespace, uid: md.uid, resourceVersion: md.resourceVersion, creationTimestamp: md.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: {
      replicas: status.replicas ?? 0,
      selector: Object.entries(spec.selector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  };
}

/** Where to change the scale instead: the Knative Service (or Configuration) the object comes from. */
function owningKnativeObject(obj: StoredObject): string {
  const l = obj.metadata.labels ?? {};
  if (l[LABEL.service]) return `knit service update ${l[LABEL.service]} --scale-min N --scale-max M`;
  return `the revision template of configuration ${l[LABEL.configuration] ?? '…'}`;
}

/**
 * The refusal of `kubectl scale deployment X --replicas N` (a write to the scale subresource or to
 * spec.replicas): 405 MethodNotAllowed, because Knative's autoscaler owns the replicas; the message names
 * the annotations that bound it and the CLI command that sets them.
 * `qualifiedResource` is `deployments.apps` or `replicasets.apps`.
 */
export function scaleRefusal(qualifiedResource: string, obj: StoredObject): StatusError {
  const name = obj.metadata.name ?? '';
  return methodNotAllowed(
    `${qualifiedResource} "${name}" is scaled by Knative's autoscaler, which owns its replicas: ` +
      `set the ${MIN_SCALE} and ${MAX_SCALE} annotations on the revision template instead (${owningKnativeObject(obj)})`,
  );
}

/**
 * The refusal of any other write (create, update, patch, delete) to a projected Deployment, ReplicaSet
 * or Service: knit derives them from the Knative objects, so they change through those.
 */
export function readOnlyRefusal(qualifiedResource: string, name: string): StatusError {
  return methodNotAllowed(`${qualifiedResource} "${name}" is derived by knit from the Knative objects and is read-only; change the Knative Service, Configuration or Route instead`);
}
