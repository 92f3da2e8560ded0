// The serving.knative.dev/v1 resource model (Service, Configuration, Revision, Route) as plain JSON types.

export const GROUP = 'serving.knative.dev';
export const VERSION = 'v1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export type ConditionStatus = 'True' | 'False' | 'Unknown';
export type Severity = '' | 'Error' | 'Warning' | 'Info';

/** One entry of status.conditions, as knative.dev/pkg/apis.Condition. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  severity?: Severity;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string; apiVersion?: string };
    resourceFieldRef?: { resource: string; containerName?: string; divisor?: string };
  };
}

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  protocol?: string;
  hostPort?: number;
  hostIP?: string;
}

export type IntOrString = number | string;

export interface HTTPGetAction {
  path?: string;
  port?: IntOrString;
  host?: string;
  scheme?: string;
  httpHeaders?: { name: string; value: string }[];
}

export interface Probe {
  httpGet?: HTTPGetAction;
  tcpSocket?: { port?: IntOrString; host?: string };
  exec?: { command?: string[] };
  grpc?: { port: number; service?: string };
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

export interface ResourceRequirements {
  limits?: Record<string, string>;
  requests?: Record<string, string>;
}

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: string; localhostProfile?: string };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  mountPropagation?: string;
}

export interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  ports?: ContainerPort[];
  resources?: ResourceRequirements;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: SecurityContext;
  volumeMounts?: VolumeMount[];
  imagePullPolicy?: string;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
}

export interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  secret?: { secretName?: string; items?: { key: string; path: string; mode?: number }[]; defaultMode?: number; optional?: boolean };
  configMap?: { name?: string; items?: { key: string; path: string; mode?: number }[]; defaultMode?: number; optional?: boolean };
  projected?: { sources?: unknown[]; defaultMode?: number };
}

/** RevisionSpec: the restricted PodSpec plus Knative's request-handling knobs. */
export interface RevisionSpec {
  containers: Container[];
  volumes?: Volume[];
  serviceAccountName?: string;
  imagePullSecrets?: { name: string }[];
  enableServiceLinks?: boolean;
  automountServiceAccountToken?: boolean;
  containerConcurrency?: number;
  timeoutSeconds?: number;
  responseStartTimeoutSeconds?: number;
  idleTimeoutSeconds?: number;
}

export interface RevisionTemplateSpec {
  metadata?: ObjectMeta;
  spec: RevisionSpec;
}

export interface TrafficTarget {
  tag?: string;
  revisionName?: string;
  configurationName?: string;
  latestRevision?: boolean;
  percent?: number;
  url?: string;
}

export interface Addressable {
  url?: string;
}

export interface ContainerStatus {
  name: string;
  imageDigest?: string;
}

export interface Status {
  observedGeneration?: number;
  conditions?: Condition[];
  annotations?: Record<string, string>;
}

export interface RevisionStatus extends Status {
  logUrl?: string;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  actualReplicas?: number;
  desiredReplicas?: number;
}

export interface ConfigurationStatus extends Status {
  latestCreatedRevisionName?: string;
  latestReadyRevisionName?: string;
}

export interface RouteStatus extends Status {
  url?: string;
  address?: Addressable;
  traffic?: TrafficTarget[];
}

export interface ServiceStatus extends ConfigurationStatus, RouteStatus {}

interface Object<K extends string, S, St> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  status?: St;
}

export type Revision = Object<'Revision', RevisionSpec, RevisionStatus>;
export type Configuration = Object<'Configuration', { template: RevisionTemplateSpec }, ConfigurationStatus>;
export type Route = Object<'Route', { traffic?: TrafficTarget[] }, RouteStatus>;
export type Service = Object<'Service', { template: RevisionTemplateSpec; traffic?: TrafficTarget[] }, ServiceStatus>;

export type ServingObject = Service | Configuration | Revision | Route;
export type Kind = ServingObject['kind'];

/** REST resource (plural) names and their kinds. */
export const RESOURCES = {
  services: 'Service',
  configurations: 'Configuration',
  revisions: 'Revision',
  routes: 'Route',
} as const satisfies Record<string, Kind>;
export type Resource = keyof typeof RESOURCES;

/** Labels and annotations the system sets (knative/serving pkg/apis/serving/register.go). */
export const LABEL = {
  service: 'serving.knative.dev/service',
  serviceUID: 'serving.knative.dev/serviceUID',
  configuration: 'serving.knative.dev/configuration',
  configurationUID: 'serving.knative.dev/configurationUID',
  configurationGeneration: 'serving.knative.dev/configurationGeneration',
  revision: 'serving.knative.dev/revision',
  revisionUID: 'serving.knative.dev/revisionUID',
  route: 'serving.knative.dev/route',
  routingState: 'serving.knative.dev/routingState',
  visibility: 'networking.knative.dev/visibility',
} as const;

export const ANNOTATION = {
  creator: 'serving.knative.dev/creator',
  lastModifier: 'serving.knative.dev/lastModifier',
  routes: 'serving.knative.dev/routes',
  routingStateModified: 'serving.knative.dev/routingStateModified',
  rolloutDuration: 'serving.knative.dev/rollout-duration',
  rolloutDurationAlias: 'serving.knative.dev/rolloutDuration',
  lastApplied: 'kubectl.kubernetes.io/last-applied-configuration',
  noGC: 'serving.knative.dev/no-gc',
  progressDeadline: 'serving.knative.dev/progress-deadline',
  userImage: 'client.knative.dev/user-image',
  updateTimestamp: 'client.knative.dev/updateTimestamp',
} as const;
