// Merge schemas: the list, map and struct facts server-side apply and strategic merge patch need per kind.
//
// Which objects are structs or maps, which lists are atomic, sets or maps keyed by fields, and the
// patch strategies of the built-in kinds.
//
// The built-in kinds follow the Kubernetes API's markers (`+listType`, `+listMapKey`, `+structType`,
// `patchStrategy`/`patchMergeKey` in k8s.io/api core/v1 and apps/v1 types.go), which
// k8s.io/kube-openapi `pkg/schemaconv` turns into structured-merge-diff schemas: a list with a
// patch merge key and no list type is a map list on that key, a primitive list with patch strategy
// `merge` is a set, every other list is atomic. CRD schemas are read from `openAPIV3Schema`
// (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`,
// `x-kubernetes-preserve-unknown-fields`); there, a list without a list type is atomic.

import type { Json } from './fieldpath.ts';

/**
 * One node of a merge schema.
 * - `struct`: an object with named fields; `otherFields` types the fields not listed (still struct fields),
 *   `values` types unknown keys that are kept as map entries (preserve-unknown-fields).
 * - `map`: an object whose keys are entries (labels, data), all of type `values`.
 * - `list`: `listType` atomic, set (primitive items) or map (items keyed by `keys`).
 * - `scalar`: a leaf.
 * - `untyped`: deduced from the value: objects are maps, lists are atomic (structured-merge-diff's
 *   `__untyped_deduced_`).
 * - `open`: deduced from the value like `untyped`, but objects are structs whose fields are all `open`;
 *   used for the parts of built-in kinds that need no list or map facts.
 */
export interface SchemaNode {
  readonly type: 'struct' | 'map' | 'list' | 'scalar' | 'untyped' | 'open';
  readonly fields?: Readonly<Record<string, SchemaNode>>;
  readonly otherFields?: SchemaNode;
  readonly values?: SchemaNode;
  /** For struct and map: the whole object is one field (`x-kubernetes-map-type: atomic`, `+structType=atomic`). */
  readonly atomic?: boolean;
  readonly items?: SchemaNode;
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly keys?: readonly string[];
  /** Defaults of key fields, used when an item omits them (e.g. `protocol: TCP` of container ports). */
  readonly keyDefaults?: Readonly<Record<string, Json>>;
  /** Strategic merge patch: `merge`, `replace`, `retainKeys` or `merge,retainKeys` (built-in kinds only). */
  readonly patchStrategy?: string;
  /** Strategic merge patch: the key that identifies list items. */
  readonly patchMergeKey?: string;
  /**
   * Root only: the object a create is compared against. For built-in kinds it is the Go zero value as
   * JSON (non-pointer structs are `{}`, nil slices `null`), which decides where `.` entries appear.
   */
  readonly zero?: Json;
}

export const UNTYPED: SchemaNode = { type: 'untyped' };
export const OPEN: SchemaNode = { type: 'open' };
export const SCALAR: SchemaNode = { type: 'scalar' };

function struct(fields: Record<string, SchemaNode>, extra: Partial<SchemaNode> = {}): SchemaNode {
  return { type: 'struct', fields, otherFields: OPEN, ...extra };
}
const stringMap: SchemaNode = { type: 'map', values: SCALAR };
const atomicStruct: SchemaNode = { type: 'struct', fields: {}, otherFields: OPEN, atomic: true };
const atomicList = (items: SchemaNode = OPEN): SchemaNode => ({ type: 'list', listType: 'atomic', items });
const setList: SchemaNode = { type: 'list', listType: 'set', items: SCALAR, patchStrategy: 'merge' };
/** A list of objects merged by `keys`; the first key is the strategic merge patch key when `patchKey` is set. */
function mapList(items: SchemaNode, keys: string[], opts: { patchKey?: string; keyDefaults?: Record<string, Json> } = {}): SchemaNode {
  return {
    type: 'list',
    listType: 'map',
    items,
    keys,
    ...(opts.keyDefaults ? { keyDefaults: opts.keyDefaults } : {}),
    ...(opts.patchKey ? { patchStrategy: 'merge', patchMergeKey: opts.patchKey } : {}),
  };
}

/** ObjectMeta (k8s.io/apimachinery pkg/apis/meta/v1 types.go). */
export const OBJECT_META: SchemaNode = struct({
  labels: stringMap,
  annotations: stringMap,
  finalizers: setList,
  ownerReferences: mapList(struct({}), ['uid'], { patchKey: 'uid' }),
  managedFields: atomicList(),
});

const labelSelector = atomicStruct;

const containerPort = mapList(struct({}), ['containerPort', 'protocol'], {
  patchKey: 'containerPort',
  keyDefaults: { protocol: 'TCP' },
});

const container = struct({
  ports: containerPort,
  env: mapList(struct({ valueFrom: struct({}) }), ['name'], { patchKey: 'name' }),
  envFrom: atomicList(),
  volumeMounts: mapList(struct({}), ['mountPath'], { patchKey: 'mountPath' }),
  volumeDevices: mapList(struct({}), ['devicePath'], { patchKey: 'devicePath' }),
  resizePolicy: atomicList(),
  command: atomicList(SCALAR),
  args: atomicList(SCALAR),
  resources: struct({ limits: stringMap, requests: stringMap, claims: mapList(struct({}), ['name']) }),
});

const affinityTerm = struct({ labelSelector, namespaceSelector: labelSelector });
const podSpec = struct({
  volumes: mapList(struct({}, { patchStrategy: 'retainKeys' }), ['name'], { patchKey: 'name' }),
  initContainers: mapList(container, ['name'], { patchKey: 'name' }),
  containers: mapList(container, ['name'], { patchKey: 'name' }),
  ephemeralContainers: mapList(container, ['name'], { patchKey: 'name' }),
  imagePullSecrets: mapList(struct({}), ['name'], { patchKey: 'name' }),
  hostAliases: mapList(struct({ hostnames: atomicList(SCALAR) }), ['ip'], { patchKey: 'ip' }),
  tolerations: atomicList(),
  readinessGates: atomicList(),
  nodeSelector: stringMap,
  overhead: stringMap,
  topologySpreadConstraints: mapList(struct({ labelSelector }), ['topologyKey', 'whenUnsatisfiable'], {
    patchKey: 'topologyKey',
  }),
  schedulingGates: mapList(struct({}), ['name'], { patchKey: 'name' }),
  resourceClaims: mapList(struct({}), ['name'], { patchKey: 'name' }),
  affinity: struct({
    podAffinity: struct({ requiredDuringSchedulingIgnoredDuringExecution: atomicList(affinityTerm) }),
    podAntiAffinity: struct({ requiredDuringSchedulingIgnoredDuringExecution: atomicList(affinityTerm) }),
  }),
});

const conditions = (key = 'type'): SchemaNode => mapList(struct({}), [key], { patchKey: key });

const podTemplateSpec = struct({ metadata: OBJECT_META, spec: podSpec });

function kindRoot(fields: Record<string, SchemaNode>, zero: Record<string, Json> = {}): SchemaNode {
  return struct(
    { apiVersion: SCALAR, kind: SCALAR, metadata: OBJECT_META, ...fields },
    { zero: { metadata: { creationTimestamp: null }, ...zero } },
  );
}
const zeroTemplate = { metadata: { creationTimestamp: null }, spec: { containers: null } };

const builtins: Record<string, SchemaNode> = {
  'v1/Namespace': kindRoot({
    spec: struct({ finalizers: atomicList(SCALAR) }),
    status: struct({ conditions: conditions() }),
  }, { spec: {}, status: {} }),
  'v1/Pod': kindRoot({
    spec: podSpec,
    status: struct({
      conditions: conditions(),
      podIPs: mapList(struct({}), ['ip'], { patchKey: 'ip' }),
      hostIPs: mapList(struct({}), ['ip'], { patchKey: 'ip' }),
      containerStatuses: atomicList(),
      initContainerStatuses: atomicList(),
      ephemeralContainerStatuses: atomicList(),
    }),
  }, { spec: { containers: null }, status: {} }),
  'v1/Service': kindRoot({
    spec: struct({
      ports: mapList(struct({}), ['port', 'protocol'], { patchKey: 'port', keyDefaults: { protocol: 'TCP' } }),
      selector: stringMap,
      clusterIPs: atomicList(SCALAR),
      externalIPs: atomicList(SCALAR),
      ipFamilies: atomicList(SCALAR),
      loadBalancerSourceRanges: atomicList(SCALAR),
    }),
    status: struct({ conditions: conditions(), loadBalancer: struct({ ingress: atomicList() }) }),
  }, { spec: {}, status: { loadBalancer: {} } }),
  'v1/Secret': kindRoot({ data: stringMap, stringData: stringMap }),
  'v1/ConfigMap': kindRoot({ data: stringMap, binaryData: stringMap }),
  'v1/Event': kindRoot({}, {
    involvedObject: {},
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
    eventTime: null,
    reportingComponent: '',
    reportingInstance: '',
  }),
  'apps/v1/Deployment': kindRoot({
    spec: struct({
      selector: labelSelector,
      template: podTemplateSpec,
      strategy: struct({}, { patchStrategy: 'retainKeys' }),
    }),
    status: struct({ conditions: conditions() }),
  }, { spec: { selector: null, template: zeroTemplate, strategy: {} }, status: {} }),
  'apps/v1/ReplicaSet': kindRoot({
    spec: struct({ selector: labelSelector, template: podTemplateSpec }),
    status: struct({ conditions: conditions() }),
  }, { spec: { selector: null, template: zeroTemplate }, status: { replicas: 0 } }),
};

/** The merge schema of a built-in kind knit serves, or undefined for any other kind. */
export function builtinSchema(apiVersion: string, kind: string): SchemaNode | undefined {
  return builtins[`${apiVersion}/${kind}`];
}

type OpenAPI = Record<string, unknown>;
const asObj = (v: unknown): OpenAPI | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as OpenAPI) : undefined;

/** Converts one OpenAPI v3 schema node of a CRD (structural schema) into a merge schema node. */
export function schemaFromOpenAPI(s: OpenAPI | undefined, isMetadata = false): SchemaNode {
  if (!s) return UNTYPED;
  if (isMetadata) return OBJECT_META;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const props = asObj(s.properties);
  const type = s.type;
  if (type === 'object' || props) {
    const atomic = s['x-kubernetes-map-type'] === 'atomic';
    const embedded = s['x-kubernetes-embedded-resource'] === true;
    if (props) {
      const fields: Record<string, SchemaNode> = {};
      for (const k of Object.keys(props)) {
        fields[k] = schemaFromOpenAPI(asObj(props[k]), embedded && k === 'metadata');
      }
      if (embedded && !fields.metadata) fields.metadata = OBJECT_META;
      const additional = asObj(s.additionalProperties);
      return {
        type: 'struct',
        fields,
        ...(additional ? { values: schemaFromOpenAPI(additional) } : preserve ? { values: UNTYPED } : {}),
        ...(atomic ? { atomic } : {}),
      };
    }
    const additional = asObj(s.additionalProperties);
    if (additional) return { type: 'map', values: schemaFromOpenAPI(additional), ...(atomic ? { atomic } : {}) };
    if (preserve) return { type: 'map', values: UNTYPED, ...(atomic ? { atomic } : {}) };
    return { type: 'struct', fields: {}, ...(atomic ? { atomic } : {}) };
  }
  if (type === 'array') {
    const items = asObj(s.items);
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'set') return { type: 'list', listType: 'set', items: schemaFromOpenAPI(items) };
    if (listType === 'map') {
      const keys = Array.isArray(s['x-kubernetes-list-map-keys']) ? (s['x-kubernetes-list-map-keys'] as string[]) : [];
      const itemProps = asObj(items?.properties) ?? {};
      const keyDefaults: Record<string, Json> = {};
      for (const k of keys) {
        const d = asObj(itemProps[k])?.default;
        if (d !== undefined) keyDefaults[k] = d as Json;
      }
      return {
        type: 'list',
        listType: 'map',
        items: schemaFromOpenAPI(items),
        keys,
        ...(Object.keys(keyDefaults).length > 0 ? { keyDefaults } : {}),
      };
    }
    return { type: 'list', listType: 'atomic', items: schemaFromOpenAPI(items) };
  }
  if (preserve) return UNTYPED;
  return SCALAR;
}

/**
 * The merge schema of one version of a CRD, from the parsed CustomResourceDefinition object.
 * `metadata` is typed as ObjectMeta whatever the CRD says, as the apiserver does.
 */
export function schemaFromCRD(crd: unknown, version: string): SchemaNode {
  const spec = asObj(asObj(crd)?.spec);
  const versions = Array.isArray(spec?.versions) ? (spec.versions as unknown[]) : [];
  const v = versions.map(asObj).find((x) => x?.name === version);
  if (!v) throw new Error(`CRD has no version ${version}`);
  const root = asObj(asObj(v.schema)?.openAPIV3Schema) ?? asObj(asObj(spec?.validation)?.openAPIV3Schema);
  const node = schemaFromOpenAPI(root);
  const fields: Record<string, SchemaNode> = { ...(node.fields ?? {}) };
  fields.apiVersion = SCALAR;
  fields.kind = SCALAR;
  fields.metadata = OBJECT_META;
  return { ...node, type: 'struct', fields };
}

/** The schema node of a struct's or map's entry, and whether the entry is a named (struct) field. */
export function childOf(node: SchemaNode, key: string): { node: SchemaNode; named: boolean } {
  switch (node.type) {
    case 'struct': {
      const f = node.fields && Object.prototype.hasOwnProperty.call(node.fields, key) ? node.fields[key] : undefined;
      if (f) return { node: f, named: true };
      if (node.otherFields) return { node: node.otherFields, named: true };
      return { node: node.values ?? UNTYPED, named: false };
    }
    case 'map':
      return { node: node.values ?? UNTYPED, named: false };
    case 'open':
      return { node: OPEN, named: true };
    default:
      return { node: UNTYPED, named: false };
  }
}

/** What a node means for a given value: object (granular or atomic), list, or leaf. */
export type Resolved =
  | { kind: 'object'; node: SchemaNode; atomic: boolean }
  | { kind: 'list'; node: SchemaNode; listType: 'atomic' | 'set' | 'map' }
  | { kind: 'leaf' };

export function resolve(node: SchemaNode, value: unknown): Resolved {
  const isObj = typeof value === 'object' && value !== null && !Array.isArray(value);
  switch (node.type) {
    case 'struct':
    case 'map':
      return isObj ? { kind: 'object', node, atomic: node.atomic === true } : { kind: 'leaf' };
    case 'list':
      return Array.isArray(value) ? { kind: 'list', node, listType: node.listType ?? 'atomic' } : { kind: 'leaf' };
    case 'untyped':
      if (isObj) return { kind: 'object', node: { type: 'map', values: UNTYPED }, atomic: false };
      if (Array.isArray(value)) return { kind: 'list', node: atomicList(UNTYPED), listType: 'atomic' };
      return { kind: 'leaf' };
    case 'open':
      if (isObj) return { kind: 'object', node: OPEN, atomic: false };
      if (Array.isArray(value)) return { kind: 'list', node: atomicList(OPEN), listType: 'atomic' };
      return { kind: 'leaf' };
    default:
      return { kind: 'leaf' };
  }
}
