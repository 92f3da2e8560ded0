// OpenAPI schemas of the Kubernetes types knit serves (meta/v1, core/v1, apps/v1, events.k8s.io/v1, authorization.k8s.io/v1), named as Kubernetes names them.
//
// Each schema is an OpenAPI v3 structural schema whose references are bare definition names
// (`{ $ref: 'io.k8s.api.core.v1.PodSpec' }`); openapi.ts turns them into `#/definitions/…` (v2) or
// `#/components/schemas/…` (v3). The field sets follow Kubernetes' Go types (k8s.io/api
// core/v1/types.go, apps/v1/types.go, events/v1/types.go, authorization/v1/types.go and
// k8s.io/apimachinery pkg/apis/meta/v1/types.go): enough of each kind for `kubectl apply/create/edit`
// of the objects knit serves and for `kubectl explain`. Container and Volume are taken from Knative's
// Revision CRD (src/kube/schemas/revision.yaml), which carries Kubernetes' own field documentation.

import { knativeCrd } from './crds.ts';

/** An OpenAPI v3 schema object, as JSON. */
export type Schema = Record<string, unknown>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const CORE = 'io.k8s.api.core.v1';
const APPS = 'io.k8s.api.apps.v1';
const EVENTS = 'io.k8s.api.events.v1';
const AUTHZ = 'io.k8s.api.authorization.v1';

/** The documentation Kubernetes gives ObjectMeta's fields (also used for Table column descriptions). */
export const OBJECT_META_DOCS = {
  name: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  creationTimestamp:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
};

/** Descriptions Kubernetes gives apiVersion, kind and metadata on every top-level kind. */
export const TOP_LEVEL_DOCS = {
  apiVersion:
    'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
  kind: 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
  metadata: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  listMetadata: "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
};

const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const int32 = (description: string): Schema => ({ type: 'integer', format: 'int32', description });
const int64 = (description: string): Schema => ({ type: 'integer', format: 'int64', description });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const ref = (name: string, description?: string, extra: Schema = {}): Schema => (description ? { $ref: name, description, ...extra } : { $ref: name, ...extra });
const strMap = (description: string): Schema => ({ type: 'object', description, additionalProperties: { type: 'string' } });
const strList = (description: string, extra: Schema = {}): Schema => ({ type: 'array', description, items: { type: 'string' }, ...extra });
const listOf = (name: string, description: string, extra: Schema = {}): Schema => ({ type: 'array', description, items: ref(name), ...extra });
/** A field whose contents knit passes through without checking them (Kubernetes has a deep type there). */
const opaque = (description: string): Schema => ({ type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true });
const opaqueList = (description: string): Schema => ({ type: 'array', description, items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } });

function obj(description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema {
  return { description, type: 'object', properties, ...extra };
}

/** A top-level kind: apiVersion, kind, metadata, then its own fields, with its group-version-kind. */
function kind(gvk: { group: string; version: string; kind: string }, description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema {
  return {
    description,
    type: 'object',
    properties: {
      apiVersion: str(TOP_LEVEL_DOCS.apiVersion),
      kind: str(TOP_LEVEL_DOCS.kind),
      metadata: ref(`${META}.ObjectMeta`, TOP_LEVEL_DOCS.metadata, { default: {} }),
      ...properties,
    },
    ...extra,
    'x-kubernetes-group-version-kind': [gvk],
  };
}

/** The `…List` kind of `item`. */
export function listKind(gvk: { group: string; version: string; kind: string }, itemDefinition: string, description: string): Schema {
  return {
    description,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: str(TOP_LEVEL_DOCS.apiVersion),
      items: listOf(itemDefinition, `List of ${gvk.kind.replace(/List$/, '').toLowerCase()}s.`),
      kind: str(TOP_LEVEL_DOCS.kind),
      metadata: ref(`${META}.ListMeta`, TOP_LEVEL_DOCS.listMetadata, { default: {} }),
    },
    'x-kubernetes-group-version-kind': [gvk],
  };
}

const revisionSpec = ((knativeCrd('revision.yaml').spec.versions[0].schema.openAPIV3Schema.properties as Record<string, Schema>).spec.properties ?? {}) as Record<string, Schema>;
const containerFromKnative = structuredClone((revisionSpec.containers as { items: Schema }).items);

/**
 * Kubernetes' names for the types of Container's fields, so the inline schemas of the CRD become
 * named definitions as in kube-apiserver's OpenAPI (`kubectl explain` prints `<[]ContainerPort>`).
 */
const CONTAINER_FIELD_TYPES: Record<string, string> = {
  env: 'EnvVar',
  envFrom: 'EnvFromSource',
  livenessProbe: 'Probe',
  ports: 'ContainerPort',
  readinessProbe: 'Probe',
  resources: 'ResourceRequirements',
  securityContext: 'SecurityContext',
  startupProbe: 'Probe',
  volumeMounts: 'VolumeMount',
};

/** Moves Container's field types into `defs` under their Kubernetes names, leaving references. */
function nameContainerFieldTypes(container: Schema, defs: Record<string, Schema>): Schema {
  const props = { ...(container.properties as Record<string, Schema>) };
  for (const [field, typeName] of Object.entries(CONTAINER_FIELD_TYPES)) {
    const f = props[field];
    if (!f) continue;
    const name = `io.k8s.api.core.v1.${typeName}`;
    if (f.type === 'array' && f.items) {
      const { items, ...rest } = f;
      defs[name] ??= items as Schema;
      props[field] = { ...rest, items: { $ref: name } };
    } else {
      const { description, ...type } = f;
      defs[name] ??= type;
      props[field] = description === undefined ? { $ref: name } : { $ref: name, description };
    }
  }
  return { ...container, properties: props };
}

const containerFieldTypes: Record<string, Schema> = {};
const container = nameContainerFieldTypes(containerFromKnative, containerFieldTypes);
const volumeFromKnative = structuredClone((revisionSpec.volumes as { items: Schema }).items);

const meta: Record<string, Schema> = {
  [`${META}.Time`]: { description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.', type: 'string', format: 'date-time' },
  [`${META}.MicroTime`]: { description: 'MicroTime is version of Time with microsecond level precision.', type: 'string', format: 'date-time' },
  [`${META}.FieldsV1`]: { description: 'FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.', type: 'object' },
  [`${META}.OwnerReference`]: obj(
    'OwnerReference contains enough information to let you identify an owning object. An owning object must be in the same namespace as the dependent, or be cluster-scoped, so there is no namespace field.',
    {
      apiVersion: str('API version of the referent.', { default: '' }),
      blockOwnerDeletion: bool('If true, AND if the owner has the "foregroundDeletion" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed.'),
      controller: bool('If true, this reference points to the managing controller.'),
      kind: str('Kind of the referent. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds', { default: '' }),
      name: str('Name of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names', { default: '' }),
      uid: str('UID of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids', { default: '' }),
    },
    { required: ['apiVersion', 'kind', 'name', 'uid'], 'x-kubernetes-map-type': 'atomic' },
  ),
  [`${META}.ManagedFieldsEntry`]: obj(
    'ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.',
    {
      apiVersion: str('APIVersion defines the version of this resource that this field set applies to.'),
      fieldsType: str('FieldsType is the discriminator for the different fields format and version. There is currently only one possible value: "FieldsV1"'),
      fieldsV1: ref(`${META}.FieldsV1`, 'FieldsV1 holds the first JSON version format as described in the "FieldsV1" type.'),
      manager: str('Manager is an identifier of the workflow managing these fields.'),
      operation: str("Operation is the type of operation which lead to this ManagedFieldsEntry being created. The only valid values for this field are 'Apply' and 'Update'."),
      subresource: str('Subresource is the name of the subresource used to update that object, or empty string if the object was updated through the main resource.'),
      time: ref(`${META}.Time`, 'Time is the timestamp of when the ManagedFields entry was added.'),
    },
  ),
  [`${META}.ObjectMeta`]: obj('ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.', {
    annotations: strMap('Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata. They are not queryable and should be preserved when modifying objects. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations'),
    creationTimestamp: ref(`${META}.Time`, OBJECT_META_DOCS.creationTimestamp),
    deletionGracePeriodSeconds: int64('Number of seconds allowed for this object to gracefully terminate before it will be removed from the system. Only set when deletionTimestamp is also set. May only be shortened. Read-only.'),
    deletionTimestamp: ref(`${META}.Time`, 'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted. This field is set by the server when a graceful deletion is requested by the user, and is not directly settable by a client.\n\nPopulated by the system when a graceful deletion is requested. Read-only.'),
    finalizers: strList('Must be empty before the object is deleted from the registry. Each entry is an identifier for the responsible component that will remove the entry from the list.', { 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' }),
    generateName: str('GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided. If this field is used, the name returned to the client will be different than the name passed. The provided value has the same validation rules as the Name field, and may be truncated by the length of the suffix required to make the value unique on the server.'),
    generation: int64('A sequence number representing a specific generation of the desired state. Populated by the system. Read-only.'),
    labels: strMap('Map of string keys and values that can be used to organize and categorize (scope and select) objects. May match selectors of replication controllers and services. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels'),
    managedFields: listOf(`${META}.ManagedFieldsEntry`, "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow. This is mostly for internal housekeeping, and users typically shouldn't need to set or understand this field."),
    name: str(OBJECT_META_DOCS.name),
    namespace: str('Namespace defines the space within which each name must be unique. An empty namespace is equivalent to the "default" namespace, but "default" is the canonical representation. Not all objects are required to be scoped to a namespace - the value of this field for those objects will be empty.\n\nMust be a DNS_LABEL. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces'),
    ownerReferences: listOf(`${META}.OwnerReference`, 'List of objects depended by this object. If ALL objects in the list have been deleted, this object will be garbage collected.', {
      'x-kubernetes-list-map-keys': ['uid'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'uid',
      'x-kubernetes-patch-strategy': 'merge',
    }),
    resourceVersion: str('An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed. May be used for optimistic concurrency, change detection, and the watch operation on a resource or set of resources. Clients must treat these values as opaque and passed unmodified back to the server.\n\nPopulated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency'),
    selfLink: str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
    uid: str('UID is the unique in time and space value for this object. It is typically generated by the server on successful creation of a resource and is not allowed to change on PUT operations.\n\nPopulated by the system. Read-only. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids'),
  }),
  [`${META}.ListMeta`]: obj('ListMeta describes metadata that synthetic resources must have, including lists and various status objects. A resource may have only one of {ObjectMeta, ListMeta}.', {
    continue: str('continue may be set if the user set a limit on the number of items returned, and indicates that the server has more data available.'),
    remainingItemCount: int64('remainingItemCount is the number of subsequent items in the list which are not included in this list response.'),
    resourceVersion: str("String that identifies the server's internal version of this object that can be used by clients to determine when objects have changed. Value must be treated as opaque by clients and passed unmodified back to the server. Populated by the system. Read-only."),
    selfLink: str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
  }),
  [`${META}.LabelSelectorRequirement`]: obj(
    'A label selector requirement is a selector that contains values, a key, and an operator that relates the key and values.',
    {
      key: str('key is the label key that the selector applies to.', { default: '' }),
      operator: str("operator represents a key's relationship to a set of values. Valid operators are In, NotIn, Exists and DoesNotExist.", { default: '' }),
      values: strList('values is an array of string values. If the operator is In or NotIn, the values array must be non-empty. If the operator is Exists or DoesNotExist, the values array must be empty.', { 'x-kubernetes-list-type': 'atomic' }),
    },
    { required: ['key', 'operator'] },
  ),
  [`${META}.LabelSelector`]: obj(
    'A label selector is a label query over a set of resources. The result of matchLabels and matchExpressions are ANDed. An empty label selector matches all objects. A null label selector matches no objects.',
    {
      matchExpressions: listOf(`${META}.LabelSelectorRequirement`, 'matchExpressions is a list of label selector requirements. The requirements are ANDed.', { 'x-kubernetes-list-type': 'atomic' }),
      matchLabels: strMap('matchLabels is a map of {key,value} pairs. A single {key,value} in the matchLabels map is equivalent to an element of matchExpressions, whose key field is "key", the operator is "In", and the values array contains only "value". The requirements are ANDed.'),
    },
    { 'x-kubernetes-map-type': 'atomic' },
  ),
  [`${META}.StatusCause`]: obj('StatusCause provides more information about an api.Status failure, including cases when multiple errors are encountered.', {
    field: str('The field of the resource that has caused this error, as named by its JSON serialization.'),
    message: str('A human-readable description of the cause of the error.  This field may be presented as-is to a reader.'),
    reason: str('A machine-readable description of the cause of the error. If this value is empty there is no information available.'),
  }),
  [`${META}.StatusDetails`]: obj('StatusDetails is a set of additional properties that MAY be set by the server to provide additional information about a response.', {
    causes: listOf(`${META}.StatusCause`, 'The Causes array includes more details associated with the StatusReason failure.', { 'x-kubernetes-list-type': 'atomic' }),
    group: str('The group attribute of the resource associated with the status StatusReason.'),
    kind: str('The kind attribute of the resource associated with the status StatusReason.'),
    name: str('The name attribute of the resource associated with the status StatusReason (when there is a single name which can be described).'),
    retryAfterSeconds: int32('If specified, the time in seconds before the operation should be retried.'),
    uid: str('UID of the resource. (when there is a single resource which can be described).'),
  }),
  [`${META}.Status`]: {
    ...obj('Status is a return value for calls that don\'t return other objects.', {
      apiVersion: str(TOP_LEVEL_DOCS.apiVersion),
      code: int32('Suggested HTTP return code for this status, 0 if not set.'),
      details: ref(`${META}.StatusDetails`, 'Extended data associated with the reason.', { 'x-kubernetes-list-type': 'atomic' }),
      kind: str(TOP_LEVEL_DOCS.kind),
      message: str('A human-readable description of the status of this operation.'),
      metadata: ref(`${META}.ListMeta`, TOP_LEVEL_DOCS.listMetadata, { default: {} }),
      reason: str('A machine-readable description of why this operation is in the "Failure" status.'),
      status: str('Status of the operation. One of: "Success" or "Failure".'),
    }),
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
  },
};

const objectReference = obj(
  'ObjectReference contains enough information to let you inspect or modify the referred object.',
  {
    apiVersion: str('API version of the referent.'),
    fieldPath: str('If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].'),
    kind: str('Kind of the referent. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds'),
    name: str('Name of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names'),
    namespace: str('Namespace of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/'),
    resourceVersion: str('Specific resourceVersion to which this reference is made, if any.'),
    uid: str('UID of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#uids'),
  },
  { 'x-kubernetes-map-type': 'atomic' },
);

const containerStateDocs = {
  running: obj('ContainerStateRunning is a running state of a container.', { startedAt: ref(`${META}.Time`, 'Time at which the container was last (re-)started') }),
  terminated: obj(
    'ContainerStateTerminated is a terminated state of a container.',
    {
      containerID: str("Container's ID in the format '<type>://<container_id>'"),
      exitCode: int32('Exit status from the last termination of the container'),
      finishedAt: ref(`${META}.Time`, 'Time at which the container last terminated'),
      message: str('Message regarding the last termination of the container'),
      reason: str('(brief) reason from the last termination of the container'),
      signal: int32('Signal from the last termination of the container'),
      startedAt: ref(`${META}.Time`, 'Time at which previous execution of the container started'),
    },
    { required: ['exitCode'] },
  ),
  waiting: obj('ContainerStateWaiting is a waiting state of a container.', {
    message: str('Message regarding why the container is not yet running.'),
    reason: str('(brief) reason the container is not yet running.'),
  }),
};

const core: Record<string, Schema> = {
  [`${CORE}.ObjectReference`]: objectReference,
  [`${CORE}.Container`]: container,
  ...containerFieldTypes,
  [`${CORE}.Volume`]: volumeFromKnative,
  [`${CORE}.PodSpec`]: obj(
    'PodSpec is a description of a pod.',
    {
      activeDeadlineSeconds: int64('Optional duration in seconds the pod may be active on the node relative to StartTime before the system will actively try to mark it failed and kill associated containers. Value must be a positive integer.'),
      affinity: opaque("If specified, the pod's scheduling constraints"),
      automountServiceAccountToken: bool('AutomountServiceAccountToken indicates whether a service account token should be automatically mounted.'),
      containers: listOf(`${CORE}.Container`, 'List of containers belonging to the pod. Containers cannot currently be added or removed. There must be at least one container in a Pod. Cannot be updated.', {
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
      }),
      dnsConfig: opaque('Specifies the DNS parameters of a pod. Parameters specified here will be merged to the generated DNS configuration based on DNSPolicy.'),
      dnsPolicy: str("Set DNS policy for the pod. Defaults to \"ClusterFirst\". Valid values are 'ClusterFirstWithHostNet', 'ClusterFirst', 'Default' or 'None'."),
      enableServiceLinks: bool("EnableServiceLinks indicates whether information about services should be injected into pod's environment variables, matching the syntax of Docker links. Optional: Defaults to true."),
      hostAliases: opaqueList("HostAliases is an optional list of hosts and IPs that will be injected into the pod's hosts file if specified."),
      hostIPC: bool("Use the host's ipc namespace. Optional: Default to false."),
      hostNetwork: bool('Host networking requested for this pod. Use the host\'s network namespace. Default to false.'),
      hostPID: bool("Use the host's pid namespace. Optional: Default to false."),
      hostname: str("Specifies the hostname of the Pod If not specified, the pod's hostname will be set to a system-defined value."),
      imagePullSecrets: opaqueList('ImagePullSecrets is an optional list of references to secrets in the same namespace to use for pulling any of the images used by this PodSpec.'),
      initContainers: listOf(`${CORE}.Container`, 'List of initialization containers belonging to the pod. Init containers are executed in order prior to containers being started.', {
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
      }),
      nodeName: str('NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.'),
      nodeSelector: { ...strMap("NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"), 'x-kubernetes-map-type': 'atomic' },
      priorityClassName: str('If specified, indicates the pod\'s priority.'),
      readinessGates: {
        type: 'array',
        description: 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates',
        items: obj('PodReadinessGate contains the reference to a pod condition', { conditionType: str('ConditionType refers to a condition in the pod\'s condition list with matching type.', { default: '' }) }, { required: ['conditionType'] }),
        'x-kubernetes-list-type': 'atomic',
      },
      restartPolicy: str('Restart policy for all containers within the pod. One of Always, OnFailure, Never. In some contexts, only a subset of those values may be permitted. Default to Always. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#restart-policy'),
      runtimeClassName: str('RuntimeClassName refers to a RuntimeClass object in the node.k8s.io group, which should be used to run this pod.'),
      schedulerName: str('If specified, the pod will be dispatched by specified scheduler. If not specified, the pod will be dispatched by default scheduler.'),
      securityContext: opaque('SecurityContext holds pod-level security attributes and common container settings. Optional: Defaults to empty.  See type description for default values of each field.'),
      serviceAccountName: str('ServiceAccountName is the name of the ServiceAccount to use to run this pod. More info: https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/'),
      shareProcessNamespace: bool('Share a single process namespace between all of the containers in a pod. Optional: Default to false.'),
      subdomain: str('If specified, the fully qualified Pod hostname will be "<hostname>.<subdomain>.<pod namespace>.svc.<cluster domain>". If not specified, the pod will not have a domainname at all.'),
      terminationGracePeriodSeconds: int64('Optional duration in seconds the pod needs to terminate gracefully. May be decreased in delete request. Value must be non-negative integer. Defaults to 30 seconds.'),
      tolerations: opaqueList("If specified, the pod's tolerations."),
      topologySpreadConstraints: opaqueList('TopologySpreadConstraints describes how a group of pods ought to spread across topology domains.'),
      volumes: listOf(`${CORE}.Volume`, 'List of volumes that can be mounted by containers belonging to the pod. More info: https://kubernetes.io/docs/concepts/storage/volumes', {
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge,retainKeys',
      }),
    },
    { required: ['containers'] },
  ),
  [`${CORE}.ContainerStatus`]: obj(
    'ContainerStatus contains details for the current status of this container.',
    {
      containerID: str("ContainerID is the ID of the container in the format '<type>://<container_id>'."),
      image: str('Image is the name of container image that the container is running.', { default: '' }),
      imageID: str("ImageID is the image ID of the container's image.", { default: '' }),
      lastState: obj("ContainerState holds a possible state of container. Only one of its members may be specified. If none of them is specified, the default one is ContainerStateWaiting.", containerStateDocs),
      name: str('Name is a DNS_LABEL representing the unique name of the container. Each container in a pod must have a unique name across all container types. Cannot be updated.', { default: '' }),
      ready: bool('Ready specifies whether the container is currently passing its readiness check. The value will change as readiness probes keep executing.'),
      restartCount: int32('RestartCount holds the number of times the container has been restarted.'),
      started: bool('Started indicates whether the container has finished its postStart lifecycle hook and passed its startup probe.'),
      state: obj("ContainerState holds a possible state of container. Only one of its members may be specified. If none of them is specified, the default one is ContainerStateWaiting.", containerStateDocs),
    },
    { required: ['name', 'ready', 'restartCount', 'image', 'imageID'] },
  ),
  [`${CORE}.PodCondition`]: obj(
    'PodCondition contains details for the current condition of this pod.',
    {
      lastProbeTime: ref(`${META}.Time`, 'Last time we probed the condition.'),
      lastTransitionTime: ref(`${META}.Time`, 'Last time the condition transitioned from one status to another.'),
      message: str('Human-readable message indicating details about last transition.'),
      reason: str("Unique, one-word, CamelCase reason for the condition's last transition."),
      status: str('Status is the status of the condition. Can be True, False, Unknown. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-conditions', { default: '' }),
      type: str('Type is the type of the condition. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-conditions', { default: '' }),
    },
    { required: ['type', 'status'] },
  ),
  [`${CORE}.PodStatus`]: obj('PodStatus represents information about the status of a pod. Status may trail the actual state of a system, especially if the node that hosts the pod cannot contact the control plane.', {
    conditions: listOf(`${CORE}.PodCondition`, 'Current service state of pod. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-conditions', { 'x-kubernetes-list-map-keys': ['type'], 'x-kubernetes-list-type': 'map' }),
    containerStatuses: listOf(`${CORE}.ContainerStatus`, 'Statuses of containers in this pod. Each container in the pod should have at most one status in this list, and all statuses should be for containers in the pod. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-and-container-status', { 'x-kubernetes-list-type': 'atomic' }),
    hostIP: str('hostIP holds the IP address of the host to which the pod is assigned. Empty if the pod has not started yet.'),
    initContainerStatuses: listOf(`${CORE}.ContainerStatus`, 'Statuses of init containers in this pod. The most recent successful non-restartable init container will have ready = true, the most recently started container will have startTime set.', { 'x-kubernetes-list-type': 'atomic' }),
    message: str('A human readable message indicating details about why the pod is in this condition.'),
    nominatedNodeName: str('nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.'),
    phase: str("The phase of a Pod is a simple, high-level summary of where the Pod is in its lifecycle. One of Pending, Running, Succeeded, Failed, Unknown. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-phase"),
    podIP: str('podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.'),
    podIPs: {
      type: 'array',
      description: 'podIPs holds the IP addresses allocated to the pod. If this field is specified, the 0th entry must match the podIP field.',
      items: obj('PodIP represents a single IP address allocated to the pod.', { ip: str('IP is the IP address assigned to the pod', { default: '' }) }, { required: ['ip'] }),
      'x-kubernetes-list-map-keys': ['ip'],
      'x-kubernetes-list-type': 'map',
    },
    qosClass: str('The Quality of Service (QOS) classification assigned to the pod based on resource requirements.'),
    reason: str("A brief CamelCase message indicating details about why the pod is in this state. e.g. 'Evicted'"),
    startTime: ref(`${META}.Time`, 'RFC 3339 date and time at which the object was acknowledged by the Kubelet. This is before the Kubelet pulled the container image(s) for the pod.'),
  }),
  [`${CORE}.Pod`]: kind({ group: '', version: 'v1', kind: 'Pod' }, 'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.', {
    spec: ref(`${CORE}.PodSpec`, 'Specification of the desired behavior of the pod. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status', { default: {} }),
    status: ref(`${CORE}.PodStatus`, 'Most recently observed status of the pod. This data may not be up to date. Populated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status', { default: {} }),
  }),
  [`${CORE}.PodTemplateSpec`]: obj('PodTemplateSpec describes the data a pod should have when created from a template', {
    metadata: ref(`${META}.ObjectMeta`, TOP_LEVEL_DOCS.metadata, { default: {} }),
    spec: ref(`${CORE}.PodSpec`, 'Specification of the desired behavior of the pod. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status', { default: {} }),
  }),
  [`${CORE}.NamespaceSpec`]: obj('NamespaceSpec describes the attributes on a Namespace.', {
    finalizers: strList('Finalizers is an opaque list of values that must be empty to permanently remove object from storage. More info: https://kubernetes.io/docs/tasks/administer-cluster/namespaces/', { 'x-kubernetes-list-type': 'atomic' }),
  }),
  [`${CORE}.NamespaceStatus`]: obj('NamespaceStatus is information about the current status of a Namespace.', {
    conditions: opaqueList("Represents the latest available observations of a namespace's current state."),
    phase: str('Phase is the current lifecycle phase of the namespace. More info: https://kubernetes.io/docs/tasks/administer-cluster/namespaces/'),
  }),
  [`${CORE}.Namespace`]: kind({ group: '', version: 'v1', kind: 'Namespace' }, 'Namespace provides a scope for Names. Use of multiple namespaces is optional.', {
    spec: ref(`${CORE}.NamespaceSpec`, 'Spec defines the behavior of the Namespace. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status', { default: {} }),
    status: ref(`${CORE}.NamespaceStatus`, 'Status describes the current status of a Namespace. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status', { default: {} }),
  }),
  [`${CORE}.ServicePort`]: obj(
    "ServicePort contains information on service's port.",
    {
      appProtocol: str('The application protocol for this port. This is used as a hint for implementations to offer richer behavior for protocols that they understand.'),
      name: str('The name of this port within the service. This must be a DNS_LABEL. All ports within a ServiceSpec must have unique names.'),
      nodePort: int32('The port on each node on which this service is exposed when type is NodePort or LoadBalancer.'),
      port: int32('The port that will be exposed by this service.'),
      protocol: str('The IP protocol for this port. Supports "TCP", "UDP", and "SCTP". Default is TCP.'),
      targetPort: { 'x-kubernetes-int-or-string': true, description: "Number or name of the port to access on the pods targeted by the service. Number must be in the range 1 to 65535. Name must be an IANA_SVC_NAME. If this is a string, it will be looked up as a named port in the target Pod's container ports.", anyOf: [{ type: 'integer' }, { type: 'string' }] },
    },
    { required: ['port'] },
  ),
  [`${CORE}.ServiceSpec`]: obj('ServiceSpec describes the attributes that a user creates on a service.', {
    clusterIP: str('clusterIP is the IP address of the service and is usually assigned randomly.'),
    clusterIPs: strList('ClusterIPs is a list of IP addresses assigned to this service, and are usually assigned randomly.', { 'x-kubernetes-list-type': 'atomic' }),
    externalIPs: strList('externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.', { 'x-kubernetes-list-type': 'atomic' }),
    externalName: str('externalName is the external reference that discovery mechanisms will return as an alias for this service (e.g. a DNS CNAME record). Requires `type` to be "ExternalName".'),
    ports: listOf(`${CORE}.ServicePort`, 'The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies', {
      'x-kubernetes-list-map-keys': ['port', 'protocol'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'port',
      'x-kubernetes-patch-strategy': 'merge',
    }),
    selector: { ...strMap('Route service traffic to pods with label keys and values matching this selector. More info: https://kubernetes.io/docs/concepts/services-networking/service/'), 'x-kubernetes-map-type': 'atomic' },
    sessionAffinity: str('Supports "ClientIP" and "None". Used to maintain session affinity. Defaults to None.'),
    type: str('type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types'),
  }),
  [`${CORE}.ServiceStatus`]: obj('ServiceStatus represents the current status of a service.', {
    conditions: opaqueList('Current service state'),
    loadBalancer: obj('LoadBalancerStatus represents the status of a load-balancer.', {
      ingress: { type: 'array', description: 'Ingress is a list containing ingress points for the load-balancer.', items: obj('LoadBalancerIngress represents the status of a load-balancer ingress point.', { hostname: str('Hostname is set for load-balancer ingress points that are DNS based.'), ip: str('IP is set for load-balancer ingress points that are IP based.') }), 'x-kubernetes-list-type': 'atomic' },
    }),
  }),
  [`${CORE}.Service`]: kind({ group: '', version: 'v1', kind: 'Service' }, 'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.', {
    spec: ref(`${CORE}.ServiceSpec`, 'Spec defines the behavior of a service. https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status', { default: {} }),
    status: ref(`${CORE}.ServiceStatus`, 'Most recently observed status of the service. Populated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status', { default: {} }),
  }),
  [`${CORE}.Secret`]: kind({ group: '', version: 'v1', kind: 'Secret' }, 'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.', {
    data: { type: 'object', description: "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4", additionalProperties: { type: 'string', format: 'byte' } },
    immutable: bool('Immutable, if set to true, ensures that data stored in the Secret cannot be updated (only object metadata can be modified). If not set to true, the field can be modified at any time. Defaulted to nil.'),
    stringData: strMap('stringData allows specifying non-binary secret data in string form. It is provided as a write-only input field for convenience. All keys and values are merged into the data field on write, overwriting any existing values. The stringData field is never output when reading from the API.'),
    type: str('Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'),
  }),
  [`${CORE}.ConfigMap`]: kind({ group: '', version: 'v1', kind: 'ConfigMap' }, 'ConfigMap holds configuration data for pods to consume.', {
    binaryData: { type: 'object', description: "BinaryData contains the binary data. Each key must consist of alphanumeric characters, '-', '_' or '.'. BinaryData can contain byte sequences that are not in the UTF-8 range.", additionalProperties: { type: 'string', format: 'byte' } },
    data: strMap("Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field."),
    immutable: bool('Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated (only object metadata can be modified). If not set to true, the field can be modified at any time. Defaulted to nil.'),
  }),
  [`${CORE}.EventSource`]: obj('EventSource contains information for an event.', {
    component: str('Component from which the event is generated.'),
    host: str('Node name on which the event is generated.'),
  }),
  [`${CORE}.EventSeries`]: obj('EventSeries contain information on series of events, i.e. thing that was/is happening continuously for some time.', {
    count: int32('Number of occurrences in this series up to the last heartbeat time'),
    lastObservedTime: ref(`${META}.MicroTime`, 'Time of the last occurrence observed'),
  }),
  [`${CORE}.Event`]: kind(
    { group: '', version: 'v1', kind: 'Event' },
    'Event is a report of an event somewhere in the cluster.  Events have a limited retention time and triggers and messages may evolve with time.  Event consumers should not rely on the timing of an event with a given Reason reflecting a consistent underlying trigger, or the continued existence of events with that Reason.  Events should be treated as informative, best-effort, supplemental data.',
    {
      action: str('What action was taken/failed regarding to the Regarding object.'),
      count: int32('The number of times this event has occurred.'),
      eventTime: ref(`${META}.MicroTime`, 'Time when this Event was first observed.'),
      firstTimestamp: ref(`${META}.Time`, 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)'),
      involvedObject: ref(`${CORE}.ObjectReference`, 'The object that this event is about.', { default: {} }),
      lastTimestamp: ref(`${META}.Time`, 'The time at which the most recent occurrence of this event was recorded.'),
      message: str('A human-readable description of the status of this operation.'),
      reason: str("This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
      related: ref(`${CORE}.ObjectReference`, 'Optional secondary object for more complex actions.'),
      reportingComponent: str('Name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`.', { default: '' }),
      reportingInstance: str('ID of the controller instance, e.g. `kubelet-xyzf`.', { default: '' }),
      series: ref(`${CORE}.EventSeries`, 'Data about the Event series this event represents or nil if it\'s a singleton Event.'),
      source: ref(`${CORE}.EventSource`, 'The component reporting this event. Should be a short machine understandable string.', { default: {} }),
      type: str('Type of this event (Normal, Warning), new types could be added in the future'),
    },
    { required: ['metadata', 'involvedObject'] },
  ),
};

const apps: Record<string, Schema> = {
  [`${APPS}.DeploymentSpec`]: obj(
    'DeploymentSpec is the specification of the desired behavior of the Deployment.',
    {
      minReadySeconds: int32('Minimum number of seconds for which a newly created pod should be ready without any of its container crashing, for it to be considered available. Defaults to 0 (pod will be considered available as soon as it is ready)'),
      paused: bool('Indicates that the deployment is paused.'),
      progressDeadlineSeconds: int32('The maximum time in seconds for a deployment to make progress before it is considered to be failed. Defaults to 600s.'),
      replicas: int32('Number of desired pods. This is a pointer to distinguish between explicit zero and not specified. Defaults to 1.'),
      revisionHistoryLimit: int32('The number of old ReplicaSets to retain to allow rollback. Defaults to 10.'),
      selector: ref(`${META}.LabelSelector`, "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels."),
      strategy: opaque('The deployment strategy to use to replace existing pods with new ones.'),
      template: ref(`${CORE}.PodTemplateSpec`, 'Template describes the pods that will be created. The only allowed template.spec.restartPolicy value is "Always".', { default: {} }),
    },
    { required: ['selector', 'template'] },
  ),
  [`${APPS}.DeploymentCondition`]: obj(
    'DeploymentCondition describes the state of a deployment at a certain point.',
    {
      lastTransitionTime: ref(`${META}.Time`, 'Last time the condition transitioned from one status to another.'),
      lastUpdateTime: ref(`${META}.Time`, 'The last time this condition was updated.'),
      message: str('A human readable message indicating details about the transition.'),
      reason: str("The reason for the condition's last transition."),
      status: str('Status of the condition, one of True, False, Unknown.', { default: '' }),
      type: str('Type of deployment condition.', { default: '' }),
    },
    { required: ['type', 'status'] },
  ),
  [`${APPS}.DeploymentStatus`]: obj('DeploymentStatus is the most recently observed status of the Deployment.', {
    availableReplicas: int32('Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.'),
    conditions: listOf(`${APPS}.DeploymentCondition`, "Represents the latest available observations of a deployment's current state.", { 'x-kubernetes-list-map-keys': ['type'], 'x-kubernetes-list-type': 'map' }),
    observedGeneration: int64('The generation observed by the deployment controller.'),
    readyReplicas: int32('Total number of non-terminating pods targeted by this Deployment with a Ready Condition.'),
    replicas: int32('Total number of non-terminating pods targeted by this deployment (their labels match the selector).'),
    unavailableReplicas: int32('Total number of unavailable pods targeted by this deployment.'),
    updatedReplicas: int32('Total number of non-terminating pods targeted by this deployment that have the desired template spec.'),
  }),
  [`${APPS}.Deployment`]: kind({ group: 'apps', version: 'v1', kind: 'Deployment' }, 'Deployment enables declarative updates for Pods and ReplicaSets.', {
    spec: ref(`${APPS}.DeploymentSpec`, 'Specification of the desired behavior of the Deployment.', { default: {} }),
    status: ref(`${APPS}.DeploymentStatus`, 'Most recently observed status of the Deployment.', { default: {} }),
  }),
  [`${APPS}.ReplicaSetSpec`]: obj(
    'ReplicaSetSpec is the specification of a ReplicaSet.',
    {
      minReadySeconds: int32('Minimum number of seconds for which a newly created pod should be ready without any of its container crashing, for it to be considered available. Defaults to 0 (pod will be considered available as soon as it is ready)'),
      replicas: int32('Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works'),
      selector: ref(`${META}.LabelSelector`, 'Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template\'s labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors'),
      template: ref(`${CORE}.PodTemplateSpec`, 'Template is the object that describes the pod that will be created if insufficient replicas are detected. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#pod-template', { default: {} }),
    },
    { required: ['selector'] },
  ),
  [`${APPS}.ReplicaSetStatus`]: obj('ReplicaSetStatus represents the current status of a ReplicaSet.', {
    availableReplicas: int32('The number of available non-terminating pods (ready for at least minReadySeconds) for this replica set.'),
    conditions: opaqueList("Represents the latest available observations of a replica set's current state."),
    fullyLabeledReplicas: int32('The number of non-terminating pods that have labels matching the labels of the pod template of the replicaset.'),
    observedGeneration: int64('ObservedGeneration reflects the generation of the most recently observed ReplicaSet.'),
    readyReplicas: int32('The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.'),
    replicas: int32('Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset'),
  }, { required: ['replicas'] }),
  [`${APPS}.ReplicaSet`]: kind({ group: 'apps', version: 'v1', kind: 'ReplicaSet' }, 'ReplicaSet ensures that a specified number of pod replicas are running at any given time.', {
    spec: ref(`${APPS}.ReplicaSetSpec`, 'Spec defines the specification of the desired behavior of the ReplicaSet. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status', { default: {} }),
    status: ref(`${APPS}.ReplicaSetStatus`, 'Status is the most recently observed status of the ReplicaSet. This data may be out of date by some window of time. Populated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status', { default: {} }),
  }),
};

const events: Record<string, Schema> = {
  [`${EVENTS}.EventSeries`]: obj(
    'EventSeries contain information on series of events, i.e. thing that was/is happening continuously for some time. How often to update the EventSeries is up to the event reporters.',
    {
      count: int32('count is the number of occurrences in this series up to the last heartbeat time.'),
      lastObservedTime: ref(`${META}.MicroTime`, 'lastObservedTime is the time when last Event from the series was seen before last heartbeat.'),
    },
    { required: ['count', 'lastObservedTime'] },
  ),
  [`${EVENTS}.Event`]: kind(
    { group: 'events.k8s.io', version: 'v1', kind: 'Event' },
    'Event is a report of an event somewhere in the cluster. It generally denotes some state change in the system. Events have a limited retention time and triggers and messages may evolve with time.  Event consumers should not rely on the timing of an event with a given Reason reflecting a consistent underlying trigger, or the continued existence of events with that Reason.  Events should be treated as informative, best-effort, supplemental data.',
    {
      action: str('action is what action was taken/failed regarding to the regarding object. It is machine-readable. This field cannot be empty for new Events and it can have at most 128 characters.'),
      deprecatedCount: int32('deprecatedCount is the deprecated field assuring backward compatibility with core.v1 Event type.'),
      deprecatedFirstTimestamp: ref(`${META}.Time`, 'deprecatedFirstTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.'),
      deprecatedLastTimestamp: ref(`${META}.Time`, 'deprecatedLastTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.'),
      deprecatedSource: ref(`${CORE}.EventSource`, 'deprecatedSource is the deprecated field assuring backward compatibility with core.v1 Event type.', { default: {} }),
      eventTime: ref(`${META}.MicroTime`, 'eventTime is the time when this Event was first observed. It is required.'),
      note: str('note is a human-readable description of the status of this operation. Maximal length of the note is 1kB, but libraries should be prepared to handle values up to 64kB.'),
      reason: str('reason is why the action was taken. It is human-readable. This field cannot be empty for new Events and it can have at most 128 characters.'),
      regarding: ref(`${CORE}.ObjectReference`, "regarding contains the object this Event is about. In most cases it's an Object reporting controller implements, e.g. ReplicaSetController implements ReplicaSets and this event is emitted because it acts on some changes in a ReplicaSet object.", { default: {} }),
      related: ref(`${CORE}.ObjectReference`, 'related is the optional secondary object for more complex actions. E.g. when regarding object triggers a creation or deletion of related object.'),
      reportingController: str('reportingController is the name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`. This field cannot be empty for new Events.'),
      reportingInstance: str('reportingInstance is the ID of the controller instance, e.g. `kubelet-xyzf`. This field cannot be empty for new Events and it can have at most 128 characters.'),
      series: ref(`${EVENTS}.EventSeries`, "series is data about the Event series this event represents or nil if it's a singleton Event."),
      type: str('type is the type of this event (Normal, Warning), new types could be added in the future. It is machine-readable. This field cannot be empty for new Events.'),
    },
    { required: ['eventTime'] },
  ),
};

const resourceAttributes = obj('ResourceAttributes includes the authorization attributes available for resource requests to the Authorizer interface', {
  group: str('Group is the API Group of the Resource.  "*" means all.'),
  name: str('Name is the name of the resource being requested for a "get" or deleted for a "delete". "" (empty) means all.'),
  namespace: str('Namespace is the namespace of the action being requested.  Currently, there is no distinction between no namespace and all namespaces "" (empty) is defaulted for LocalSubjectAccessReviews "" (empty) is empty for cluster-scoped resources "" (empty) means "all" for namespace scoped resources from a SubjectAccessReview or SelfSubjectAccessReview'),
  resource: str('Resource is one of the existing resource types.  "*" means all.'),
  subresource: str('Subresource is one of the existing resource types.  "" means none.'),
  verb: str('Verb is a kubernetes resource API verb, like: get, list, watch, create, update, delete, proxy.  "*" means all.'),
  version: str('Version is the API Version of the Resource.  "*" means all.'),
});

const authorization: Record<string, Schema> = {
  [`${AUTHZ}.ResourceAttributes`]: resourceAttributes,
  [`${AUTHZ}.NonResourceAttributes`]: obj('NonResourceAttributes includes the authorization attributes available for non-resource requests to the Authorizer interface', {
    path: str('Path is the URL path of the request'),
    verb: str('Verb is the standard HTTP verb'),
  }),
  [`${AUTHZ}.SelfSubjectAccessReviewSpec`]: obj('SelfSubjectAccessReviewSpec is a description of the access request.  Exactly one of ResourceAuthorizationAttributes and NonResourceAuthorizationAttributes must be set', {
    nonResourceAttributes: ref(`${AUTHZ}.NonResourceAttributes`, 'NonResourceAttributes describes information for a non-resource access request'),
    resourceAttributes: ref(`${AUTHZ}.ResourceAttributes`, 'ResourceAuthorizationAttributes describes information for a resource access request'),
  }),
  [`${AUTHZ}.SubjectAccessReviewStatus`]: obj(
    'SubjectAccessReviewStatus',
    {
      allowed: bool('Allowed is required. True if the action would be allowed, false otherwise.'),
      denied: bool('Denied is optional. True if the action would be denied, otherwise false. If both allowed is false and denied is false, then the authorizer has no opinion on whether to authorize the action. Denied may not be true if Allowed is true.'),
      evaluationError: str('EvaluationError is an indication that some error occurred during the authorization check. It is entirely possible to get an error and be able to continue determine authorization status in spite of it.'),
      reason: str('Reason is optional.  It indicates why a request was allowed or denied.'),
    },
    { required: ['allowed'] },
  ),
  [`${AUTHZ}.SelfSubjectAccessReview`]: kind(
    { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview' },
    'SelfSubjectAccessReview checks whether or the current user can perform an action.  Not filling in a spec.namespace means "in all namespaces".  Self is a special case, because users should always be able to check whether they can perform an action',
    {
      spec: ref(`${AUTHZ}.SelfSubjectAccessReviewSpec`, 'Spec holds information about the request being evaluated.  user and groups must be empty', { default: {} }),
      status: ref(`${AUTHZ}.SubjectAccessReviewStatus`, 'Status is filled in by the server and indicates whether the request is allowed or not', { default: {} }),
    },
    { required: ['spec'] },
  ),
  [`${AUTHZ}.SelfSubjectRulesReviewSpec`]: obj('SelfSubjectRulesReviewSpec defines the specification for SelfSubjectRulesReview.', {
    namespace: str('Namespace to evaluate rules for. Required.'),
  }),
  [`${AUTHZ}.ResourceRule`]: obj(
    'ResourceRule is the list of actions the subject is allowed to perform on resources. The list ordering isn\'t significant, may contain duplicates, and possibly be incomplete.',
    {
      apiGroups: strList('APIGroups is the name of the APIGroup that contains the resources.  If multiple API groups are specified, any action requested against one of the enumerated resources in any API group will be allowed.  "*" means all.', { 'x-kubernetes-list-type': 'atomic' }),
      resourceNames: strList('ResourceNames is an optional white list of names that the rule applies to.  An empty set means that everything is allowed.  "*" means all.', { 'x-kubernetes-list-type': 'atomic' }),
      resources: strList('Resources is a list of resources this rule applies to.  "*" means all in the specified apiGroups.', { 'x-kubernetes-list-type': 'atomic' }),
      verbs: strList('Verb is a list of kubernetes resource API verbs, like: get, list, watch, create, update, delete, proxy.  "*" means all.', { 'x-kubernetes-list-type': 'atomic' }),
    },
    { required: ['verbs'] },
  ),
  [`${AUTHZ}.NonResourceRule`]: obj(
    'NonResourceRule holds information that describes a rule for the non-resource',
    {
      nonResourceURLs: strList('NonResourceURLs is a set of partial urls that a user should have access to.  *s are allowed, but only as the full, final step in the path.  "*" means all.', { 'x-kubernetes-list-type': 'atomic' }),
      verbs: strList('Verb is a list of kubernetes non-resource API verbs, like: get, post, put, delete, patch, head, options.  "*" means all.', { 'x-kubernetes-list-type': 'atomic' }),
    },
    { required: ['verbs'] },
  ),
  [`${AUTHZ}.SubjectRulesReviewStatus`]: obj(
    "SubjectRulesReviewStatus contains the result of a rules check. This check can be incomplete depending on the set of authorizers the server is configured with and any errors experienced during evaluation.",
    {
      evaluationError: str("EvaluationError can appear in combination with Rules. It indicates an error occurred during rule evaluation, such as an authorizer that doesn't support rule evaluation, and that ResourceRules and/or NonResourceRules may be incomplete."),
      incomplete: bool("Incomplete is true when the rules returned by this call are incomplete. This is most commonly encountered when an authorizer, such as an external authorizer, doesn't support rules evaluation."),
      nonResourceRules: listOf(`${AUTHZ}.NonResourceRule`, "NonResourceRules is the list of actions the subject is allowed to perform on non-resources. The list ordering isn't significant, may contain duplicates, and possibly be incomplete.", { 'x-kubernetes-list-type': 'atomic' }),
      resourceRules: listOf(`${AUTHZ}.ResourceRule`, "ResourceRules is the list of actions the subject is allowed to perform on resources. The list ordering isn't significant, may contain duplicates, and possibly be incomplete.", { 'x-kubernetes-list-type': 'atomic' }),
    },
    { required: ['resourceRules', 'nonResourceRules', 'incomplete'] },
  ),
  [`${AUTHZ}.SelfSubjectRulesReview`]: kind(
    { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectRulesReview' },
    "SelfSubjectRulesReview enumerates the set of actions the current user can perform within a namespace. The returned list of actions may be incomplete depending on the server's authorization mode, and any errors experienced during the evaluation.",
    {
      spec: ref(`${AUTHZ}.SelfSubjectRulesReviewSpec`, 'Spec holds information about the request being evaluated.', { default: {} }),
      status: ref(`${AUTHZ}.SubjectRulesReviewStatus`, 'Status is filled in by the server and indicates the set of actions a user can perform.', { default: {} }),
    },
    { required: ['spec'] },
  ),
};

/** Every Kubernetes definition knit serves, by the name Kubernetes gives it. */
export const CORE_DEFINITIONS: Readonly<Record<string, Schema>> = { ...meta, ...core, ...apps, ...events, ...authorization };
