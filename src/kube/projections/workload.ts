// A revision's Deployment and ReplicaSet as Knative and the deployment controller make them: labels,
// annotations, the pod template, and replica counts and conditions from knit's autoscaler and instances.

import { ANNOTATION, LABEL, type ObjectMeta, type OwnerReference, type Revision } from '../../api/types.ts';
import { containerPort, servingContainer } from '../../controllers/revision.ts';
import type { StoredObject } from '../../store/store.ts';
import { deploymentName, podTemplateHash, replicaSetName } from './names.ts';

/** A Kubernetes condition with the timestamps the deployment controller and kubelet keep. */
export interface KubeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime?: string | null;
  lastUpdateTime?: string;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

export type JsonObject = Record<string, unknown>;

/** A projected object: Kubernetes JSON with a spec and status. */
export interface Projected extends StoredObject {
  spec: JsonObject;
  status: JsonObject;
}

/** knative/serving pkg/reconciler/revision/resources/meta.go excludeLabels and excludeAnnotations. */
const EXCLUDED_LABELS = new Set<string>([LABEL.route, LABEL.routingState]);
const EXCLUDED_ANNOTATIONS = new Set<string>([
  'serving.knative.dev/lastPinned',
  'serving.knative.dev/preserved',
  ANNOTATION.routingStateModified,
  ANNOTATION.routes,
]);
/** kubectl's annotation naming a pod's default container (meta.go DefaultContainerAnnotationName). */
const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';
const POD_TEMPLATE_HASH = 'pod-template-hash';
/** Knative's queue-proxy ports: the public and private services target them (pkg/networking/constants.go). */
export const QUEUE_PORTS = { http: 8012, h2c: 8013, https: 8112, autoscalingMetrics: 9090, userMetrics: 9091 } as const;

function filter(map: Record<string, string> | undefined, drop: (key: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) if (!drop(k)) out[k] = v;
  return out;
}

/** meta.go makeLabels: the revision's labels (less route and routingState), its name and uid, and `app`. */
export function revisionLabels(rev: Revision): Record<string, string> {
  const labels = filter(rev.metadata.labels, (k) => EXCLUDED_LABELS.has(k));
  labels[LABEL.revision] = rev.metadata.name ?? '';
  labels[LABEL.revisionUID] = rev.metadata.uid ?? '';
  labels.app ??= rev.metadata.name ?? '';
  return labels;
}

/** meta.go deploymentAnnotations: the revision's annotations less Knative's bookkeeping and autoscaling ones. */
export function deploymentAnnotations(rev: Revision): Record<string, string> {
  return filter(rev.metadata.annotations, (k) => EXCLUDED_ANNOTATIONS.has(k) || k.startsWith('autoscaling.knative.dev/'));
}

/** meta.go podAutoscalerAnnotations: what the PodAutoscaler, and from it the revision's services, carry. */
export function podAutoscalerAnnotations(rev: Revision): Record<string, string> {
  return filter(rev.metadata.annotations, (k) => EXCLUDED_ANNOTATIONS.has(k));
}

/** The controller reference a child puts on its owner (knative.dev/pkg kmeta.NewControllerRef). */
export function ownerRef(apiVersion: string, kind: string, meta: ObjectMeta): OwnerReference {
  return { apiVersion, kind, name: meta.name ?? '', uid: meta.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** The user container's name (Knative defaults it to `user-container`). */
export function userContainerName(rev: Revision): string {
  return servingContainer(rev).name || 'user-container';
}

/** The image the pods run: the digest the revision resolved, else the image as written (deploy.go BuildUserContainers). */
export function podImage(rev: Revision): string {
  const c = servingContainer(rev);
  const i = rev.spec.containers.indexOf(c);
  return rev.status?.containerStatuses?.[i]?.imageDigest || c.image || '';
}

/**
 * deploy.go makePodSpec for knit's one serving container (knit runs no queue-proxy sidecar), with the
 * apiserver's defaults filled in as `kubectl get -o yaml` shows them.
 */
export function podSpec(rev: Revision): JsonObject {
  const c = servingContainer(rev);
  const port = containerPort(c);
  const { ports: _ports, env, name: _name, readinessProbe, ...rest } = c;
  // deploy.go makeContainer: HTTP, TCP and gRPC readiness probes move to the queue-proxy (knit's gateway
  // probes them); only an exec probe stays on the user container.
  if (readinessProbe && !readinessProbe.httpGet && !readinessProbe.tcpSocket && !readinessProbe.grpc) (rest as JsonObject).readinessProbe = readinessProbe;
  const container: JsonObject = {
    ...rest,
    name: userContainerName(rev),
    image: podImage(rev),
    ports: [{ name: 'user-port', containerPort: port, protocol: 'TCP' }],
    env: [
      ...(env ?? []),
      { name: 'PORT', value: String(port) },
      { name: 'K_REVISION', value: rev.metadata.name ?? '' },
      { name: 'K_CONFIGURATION', value: rev.metadata.labels?.[LABEL.configuration] ?? '' },
      { name: 'K_SERVICE', value: rev.metadata.labels?.[LABEL.service] ?? '' },
    ],
    resources: c.resources ?? {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'FallbackToLogsOnError',
    imagePullPolicy: 'IfNotPresent',
  };
  // deploy.go makeContainer: every sidecar gets the K_* variables (PORT is the serving container's alone).
  const sidecars = rev.spec.containers.filter((x) => x !== c).map((x): JsonObject => ({
    ...x,
    env: [
      ...(x.env ?? []),
      { name: 'K_REVISION', value: rev.metadata.name ?? '' },
      { name: 'K_CONFIGURATION', value: rev.metadata.labels?.[LABEL.configuration] ?? '' },
      { name: 'K_SERVICE', value: rev.metadata.labels?.[LABEL.service] ?? '' },
    ],
    resources: x.resources ?? {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'FallbackToLogsOnError',
    imagePullPolicy: 'IfNotPresent',
  }));
  const order = rev.spec.containers.indexOf(c);
  const containers = [...sidecars];
  containers.splice(order < 0 ? 0 : order, 0, container);
  const spec: JsonObject = {
    containers,
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: rev.spec.timeoutSeconds ?? 300,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: rev.spec.serviceAccountName || 'default',
    serviceAccount: rev.spec.serviceAccountName || 'default',
    securityContext: {},
    schedulerName: 'default-scheduler',
    enableServiceLinks: rev.spec.enableServiceLinks ?? false,
  };
  if (rev.spec.imagePullSecrets) spec.imagePullSecrets = rev.spec.imagePullSecrets;
  if (rev.spec.automountServiceAccountToken !== undefined) spec.automountServiceAccountToken = rev.spec.automountServiceAccountToken;
  return spec;
}

/** The pod template's metadata: Knative's labels plus the hash, and meta.go podAnnotations. */
export function podTemplateMeta(rev: Revision): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: { ...revisionLabels(rev), [POD_TEMPLATE_HASH]: podTemplateHash(rev.metadata.uid ?? '') },
    annotations: { ...deploymentAnnotations(rev), [DEFAULT_CONTAINER_ANNOTATION]: userContainerName(rev) },
  };
}

/** The replica counts the deployment and replica set controllers report. */
export interface ReplicaCounts {
  /** The autoscaler's desired scale (spec.replicas). */
  desired: number;
  /** Pods not being deleted. */
  current: number;
  ready: number;
  /** No instance became ready within the progress deadline. */
  deadlineExceeded: boolean;
}

/**
 * A condition whose timestamps move only when it changes (kubernetes pkg/controller/deployment/util
 * deployment_util.go SetDeploymentCondition keeps lastTransitionTime while the status is unchanged).
 */
export function condition(
  prev: readonly KubeCondition[] | undefined,
  now: string,
  c: { type: string; status: 'True' | 'False'; reason: string; message: string },
  withUpdateTime: boolean,
): KubeCondition {
  const old = prev?.find((p) => p.type === c.type);
  const same = old?.status === c.status;
  const unchanged = same && old?.reason === c.reason && old?.message === c.message;
  const lastTransitionTime = same && old ? old.lastTransitionTime : now;
  const lastUpdateTime = unchanged && old?.lastUpdateTime ? old.lastUpdateTime : now;
  return withUpdateTime
    ? { type: c.type, status: c.status, lastUpdateTime, lastTransitionTime, reason: c.reason, message: c.message }
    : { type: c.type, status: c.status, lastTransitionTime, reason: c.reason, message: c.message };
}

/**
 * deploy.go MakeDeployment, with the status the deployment controller writes
 * (pkg/controller/deployment/sync.go syncRolloutStatus and util/deployment_util.go's reasons and messages).
 * `status.observedGeneration` is left to the writer, which knows the stored generation.
 */
export function buildDeployment(rev: Revision, counts: ReplicaCounts, prevConditions: readonly KubeCondition[] | undefined, now: string, progressDeadlineSeconds: number): Projected {
  const name = rev.metadata.name ?? '';
  const rsName = replicaSetName(name, podTemplateHash(rev.metadata.uid ?? ''));
  const tmpl = podTemplateMeta(rev);
  const labels = revisionLabels(rev);
  const available = counts.ready >= counts.desired;
  const complete = available && counts.current === counts.desired;
  const progressing = counts.deadlineExceeded && counts.ready === 0 && counts.desired > 0
    ? { status: 'False' as const, reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }
    : complete
      ? { status: 'True' as const, reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }
      : { status: 'True' as const, reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` };
  const status: JsonObject = {};
  if (counts.current > 0) status.replicas = counts.current;
  if (counts.current > 0) status.updatedReplicas = counts.current;
  if (counts.ready > 0) status.readyReplicas = counts.ready;
  if (counts.ready > 0) status.availableReplicas = counts.ready;
  const unavailable = Math.max(0, counts.desired - counts.ready);
  if (unavailable > 0) status.unavailableReplicas = unavailable;
  status.conditions = [
    condition(prevConditions, now, available
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, true),
    condition(prevConditions, now, { type: 'Progressing', ...progressing }, true),
  ];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: deploymentName(name),
      namespace: rev.metadata.namespace,
      labels,
      annotations: { 'deployment.kubernetes.io/revision': '1', ...deploymentAnnotations(rev) },
      ownerReferences: [ownerRef(rev.apiVersion, 'Revision', rev.metadata)],
    },
    spec: {
      replicas: counts.desired,
      selector: { matchLabels: { [LABEL.revisionUID]: rev.metadata.uid ?? '' } },
      template: { metadata: { labels: revisionLabels(rev), annotations: tmpl.annotations }, spec: podSpec(rev) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      revisionHistoryLimit: 0,
      progressDeadlineSeconds,
    },
    status,
  };
}

/**
 * The ReplicaSet the deployment controller creates for the template (pkg/controller/deployment/sync.go
 * getNewReplicaSet: the deployment's annotations plus desired-replicas, max-replicas and revision).
 */
export function buildReplicaSet(rev: Revision, deployment: ObjectMeta, counts: ReplicaCounts): Projected {
  const name = rev.metadata.name ?? '';
  const hash = podTemplateHash(rev.metadata.uid ?? '');
  const tmpl = podTemplateMeta(rev);
  // maxSurge 25% of the desired replicas, rounded up (util/deployment_util.go MaxSurge).
  const maxReplicas = counts.desired + Math.ceil(counts.desired * 0.25);
  const status: JsonObject = { replicas: counts.current };
  if (counts.current > 0) status.fullyLabeledReplicas = counts.current;
  if (counts.ready > 0) status.readyReplicas = counts.ready;
  if (counts.ready > 0) status.availableReplicas = counts.ready;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: replicaSetName(name, hash),
      namespace: rev.metadata.namespace,
      labels: tmpl.labels,
      annotations: {
        ...deploymentAnnotations(rev),
        'deployment.kubernetes.io/desired-replicas': String(counts.desired),
        'deployment.kubernetes.io/max-replicas': String(maxReplicas),
        'deployment.kubernetes.io/revision': '1',
      },
      ownerReferences: [ownerRef('apps/v1', 'Deployment', deployment)],
    },
    spec: {
      replicas: counts.desired,
      selector: { matchLabels: { [LABEL.revisionUID]: rev.metadata.uid ?? '', [POD_TEMPLATE_HASH]: hash } },
      template: { metadata: tmpl, spec: podSpec(rev) },
    },
    status,
  };
}
