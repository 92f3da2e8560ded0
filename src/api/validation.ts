// Knative's validating webhook (spec §2) over raw JSON: type checks, field masks and Knative's rules, as FieldErrors.

import { CURRENT_FIELD, FieldError, rejects } from './field-error.ts';
import {
  parseGoDuration, parseGoFloat, parseGoInt, parseQuantity, QUANTITY_ERROR,
} from './go-values.ts';
import type { FeaturesConfig, ServingConfig } from './config.ts';
import { ANNOTATION, API_VERSION, LABEL } from './types.ts';
import type { Configuration, Kind, Revision, Route, Service } from './types.ts';

export { rejects };

/** What validation needs to know about the request. `old` is the stored object on update. */
export interface ValidationContext<T> {
  config: ServingConfig;
  op: 'create' | 'update';
  old?: T;
  /** A status-subresource update: Service/Configuration metadata and spec are not re-validated. */
  statusUpdate?: boolean;
}

type Obj = Record<string, unknown>;
type Errs = (FieldError | null | undefined)[];

const combine = (errs: Errs): FieldError | null => FieldError.combine(...errs);
const via = (err: FieldError | null | undefined, ...fields: string[]): FieldError | null => err ? err.viaField(...fields) : null;
const viaIdx = (err: FieldError | null | undefined, field: string, i: number): FieldError | null =>
  err ? err.viaFieldIndex(field, i) : null;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const INT32_MAX = 2147483647;

// ---------------------------------------------------------------------------
// Kubernetes name validation (k8s.io/apimachinery/pkg/util/validation), with its exact messages.

const DNS1035_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const maxLenError = (n: number): string => `must be no more than ${n} characters`;
const full = (fmt: string): RegExp => new RegExp(`^(?:${fmt})$`);
const DNS1035_RE = full(DNS1035_FMT);
const DNS1123_LABEL_RE = full(DNS1123_LABEL_FMT);
const DNS1123_SUBDOMAIN_RE = full(DNS1123_SUBDOMAIN_FMT);
const QUALIFIED_NAME_RE = full(QUALIFIED_NAME_FMT);

/** validation.IsDNS1035Label: error strings, empty when valid. */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!DNS1035_RE.test(value)) {
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", DNS1035_FMT, 'my-name', 'abc-123'));
  }
  return errs;
}

/** validation.IsDNS1123Label. */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!DNS1123_LABEL_RE.test(value)) {
    errs.push(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  }
  return errs;
}

/** validation.IsDNS1123Subdomain. */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) {
    errs.push(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN_FMT, 'example.com'));
  }
  return errs;
}

/** validation.IsQualifiedName (optional DNS-subdomain prefix and '/'). */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [`a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!QUALIFIED_NAME_RE.test(name)) {
    errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

/** apimachinery NameIsDNS1035Label: in prefix mode (generateName) one trailing '-' is allowed. */
export function nameIsDNS1035Label(name: string, prefix: boolean): string[] {
  const masked = prefix && name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
  return isDNS1035Label(masked);
}

/** fmt.Sprint of a []string: "[a b]". */
const goList = (msgs: string[]): string => `[${msgs.join(' ')}]`;

// ---------------------------------------------------------------------------
// Structural checks on raw JSON: every field must be known, allowed and of the right type.

type FieldKind =
  | 'string' | 'bool' | 'int64' | 'int32' | 'number' | 'object' | 'array'
  | 'stringArray' | 'stringMap' | 'intOrString' | 'quantity' | 'quantityMap';

const KIND_DETAILS: Record<FieldKind, string> = {
  string: 'must be a string',
  bool: 'must be a boolean',
  int64: 'must be an integer',
  int32: 'must be a 32-bit integer',
  number: 'must be a number',
  object: 'must be an object',
  array: 'must be a list',
  stringArray: 'must be a list of strings',
  stringMap: 'must be a map of strings to strings',
  intOrString: 'must be an integer or a string',
  quantity: QUANTITY_ERROR,
  quantityMap: 'must be a map of resource names to quantities',
};

interface Shape {
  /** Fields that may be set, with their JSON types. */
  allowed: Record<string, FieldKind>;
  /** Known fields that are refused, but whose Go zero value (false, "", 0) means "not set". */
  zeroOk?: readonly string[];
}

interface Checked {
  errs: FieldError | null;
  /** Only the allowed, well-typed, non-null fields. */
  v: Obj;
}

const isQuantity = (v: unknown): boolean =>
  (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) && parseQuantity(v) !== null;

/** Checks one value; returns an error (path relative to the value) and the cleaned value to keep. */
function checkValue(val: unknown, kind: FieldKind): { err: FieldError | null; keep?: unknown } {
  const bad = (): { err: FieldError } => ({ err: FieldError.invalidValue(val, CURRENT_FIELD, KIND_DETAILS[kind]) });
  switch (kind) {
    case 'string': return typeof val === 'string' ? { err: null, keep: val } : bad();
    case 'bool': return typeof val === 'boolean' ? { err: null, keep: val } : bad();
    case 'int64': return Number.isSafeInteger(val) ? { err: null, keep: val } : bad();
    case 'int32': return Number.isInteger(val) && (val as number) >= -INT32_MAX - 1 && (val as number) <= INT32_MAX
      ? { err: null, keep: val } : bad();
    case 'number': return typeof val === 'number' && Number.isFinite(val) ? { err: null, keep: val } : bad();
    case 'object': return isObj(val) ? { err: null, keep: val } : bad();
    case 'array': return Array.isArray(val) ? { err: null, keep: val } : bad();
    case 'intOrString': return Number.isInteger(val) || typeof val === 'string' ? { err: null, keep: val } : bad();
    case 'quantity': return isQuantity(val) ? { err: null, keep: val } : bad();
    case 'stringArray': {
      if (!Array.isArray(val)) return bad();
      const errs = val.map((e, i) => typeof e === 'string' ? null
        : FieldError.invalidValue(e, CURRENT_FIELD, KIND_DETAILS.string).viaIndex(i));
      return { err: combine(errs), keep: val.filter((e) => typeof e === 'string') };
    }
    case 'stringMap':
    case 'quantityMap': {
      if (!isObj(val)) return bad();
      const errs: Errs = [];
      const keep: Obj = {};
      for (const [k, e] of Object.entries(val)) {
        const ok = kind === 'stringMap' ? typeof e === 'string' : isQuantity(e);
        if (ok) keep[k] = e;
        else errs.push(FieldError.invalidValue(e, k, kind === 'stringMap' ? KIND_DETAILS.string : QUANTITY_ERROR));
      }
      return { err: combine(errs), keep };
    }
  }
}

const isGoZero = (v: unknown): boolean => v === false || v === '' || v === 0;

/** Type-checks an object against a shape; unknown or refused fields are reported as disallowed. */
function checkShape(raw: unknown, shape: Shape): Checked {
  if (raw === undefined || raw === null) return { errs: null, v: {} };
  if (!isObj(raw)) return { errs: FieldError.invalidValue(raw, CURRENT_FIELD, KIND_DETAILS.object), v: {} };
  const errs: Errs = [];
  const disallowed: string[] = [];
  const v: Obj = {};
  for (const [k, val] of Object.entries(raw)) {
    if (val === undefined || val === null) continue;
    const kind = Object.hasOwn(shape.allowed, k) ? shape.allowed[k] : undefined;
    if (kind) {
      const r = checkValue(val, kind);
      errs.push(via(r.err, k));
      if (r.err === null || kind === 'stringArray' || kind === 'stringMap' || kind === 'quantityMap') {
        if (r.keep !== undefined) v[k] = r.keep;
      }
    } else if (!(shape.zeroOk?.includes(k) && isGoZero(val))) {
      disallowed.push(k);
    }
  }
  if (disallowed.length > 0) errs.push(FieldError.disallowed(...disallowed));
  return { errs: combine(errs), v };
}

/** Object elements of a list with their indexes; non-objects are reported at `[i]`. */
function objectsOf(list: unknown, field: string): { errs: FieldError | null; items: [number, unknown][] } {
  if (!Array.isArray(list)) return { errs: null, items: [] };
  const errs: Errs = [];
  const items: [number, unknown][] = [];
  list.forEach((e, i) => {
    if (isObj(e)) items.push([i, e]);
    else errs.push(viaIdx(FieldError.invalidValue(e, CURRENT_FIELD, KIND_DETAILS.object), field, i));
  });
  return { errs: combine(errs), items };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const strMap = (v: unknown): Record<string, string> => (isObj(v) ? (v as Record<string, string>) : {});

// ---------------------------------------------------------------------------
// Shapes (mirroring Knative's field masks and the CRD schemas).

const OBJECT_META: Shape = {
  allowed: {
    name: 'string', generateName: 'string', namespace: 'string', selfLink: 'string', uid: 'string',
    resourceVersion: 'string', generation: 'int64', creationTimestamp: 'string', deletionTimestamp: 'string',
    deletionGracePeriodSeconds: 'int64', labels: 'stringMap', annotations: 'stringMap', ownerReferences: 'array',
    finalizers: 'stringArray', managedFields: 'array',
  },
};

const OWNER_REFERENCE: Shape = {
  allowed: { apiVersion: 'string', kind: 'string', name: 'string', uid: 'string', controller: 'bool', blockOwnerDeletion: 'bool' },
};

const TRAFFIC_TARGET: Shape = {
  allowed: {
    tag: 'string', revisionName: 'string', configurationName: 'string', latestRevision: 'bool', percent: 'int64', url: 'string',
  },
};

const REVISION_TEMPLATE: Shape = { allowed: { metadata: 'object', spec: 'object' } };

function podSpecShape(f: FeaturesConfig): Shape {
  const allowed: Record<string, FieldKind> = {
    serviceAccountName: 'string', containers: 'array', volumes: 'array', imagePullSecrets: 'array',
    enableServiceLinks: 'bool', automountServiceAccountToken: 'bool',
    // RevisionSpec's own fields, inlined next to the PodSpec.
    containerConcurrency: 'int64', timeoutSeconds: 'int64', responseStartTimeoutSeconds: 'int64', idleTimeoutSeconds: 'int64',
  };
  const gated: [keyof FeaturesConfig, string, FieldKind][] = [
    ['podSpecAffinity', 'affinity', 'object'],
    ['podSpecTopologySpreadConstraints', 'topologySpreadConstraints', 'array'],
    ['podSpecHostAliases', 'hostAliases', 'array'],
    ['podSpecNodeSelector', 'nodeSelector', 'stringMap'],
    ['podSpecRuntimeClassName', 'runtimeClassName', 'string'],
    ['podSpecTolerations', 'tolerations', 'array'],
    ['podSpecSecurityContext', 'securityContext', 'object'],
    ['podSpecShareProcessNamespace', 'shareProcessNamespace', 'bool'],
    ['podSpecPriorityClassName', 'priorityClassName', 'string'],
    ['podSpecSchedulerName', 'schedulerName', 'string'],
    ['podSpecInitContainers', 'initContainers', 'array'],
    ['podSpecDNSPolicy', 'dnsPolicy', 'string'],
    ['podSpecDNSConfig', 'dnsConfig', 'object'],
    ['podSpecHostIPC', 'hostIPC', 'bool'],
    ['podSpecHostPID', 'hostPID', 'bool'],
    ['podSpecHostNetwork', 'hostNetwork', 'bool'],
  ];
  for (const [flag, field, kind] of gated) if (f[flag] !== 'Disabled') allowed[field] = kind;
  return {
    allowed,
    zeroOk: [
      'restartPolicy', 'nodeName', 'hostname', 'subdomain', 'serviceAccount', 'dnsPolicy', 'hostIPC', 'hostPID',
      'hostNetwork', 'priorityClassName', 'schedulerName',
    ],
  };
}

const CONTAINER: Shape = {
  allowed: {
    name: 'string', args: 'stringArray', command: 'stringArray', env: 'array', workingDir: 'string', envFrom: 'array',
    image: 'string', imagePullPolicy: 'string', livenessProbe: 'object', readinessProbe: 'object', startupProbe: 'object',
    ports: 'array', resources: 'object', securityContext: 'object', terminationMessagePath: 'string',
    terminationMessagePolicy: 'string', volumeMounts: 'array',
  },
  zeroOk: ['stdin', 'stdinOnce', 'tty'],
};

const CONTAINER_PORT: Shape = {
  allowed: { name: 'string', containerPort: 'int32', protocol: 'string' },
  zeroOk: ['hostPort', 'hostIP'],
};

const ENV_VAR: Shape = { allowed: { name: 'string', value: 'string', valueFrom: 'object' } };
const KEY_SELECTOR: Shape = { allowed: { name: 'string', key: 'string', optional: 'bool' } };
const FIELD_SELECTOR: Shape = { allowed: { fieldPath: 'string', apiVersion: 'string' } };
const RESOURCE_FIELD_SELECTOR: Shape = { allowed: { resource: 'string', containerName: 'string', divisor: 'quantity' } };
const ENV_FROM: Shape = { allowed: { prefix: 'string', configMapRef: 'object', secretRef: 'object' } };
const LOCAL_REF: Shape = { allowed: { name: 'string', optional: 'bool' } };
const RESOURCES: Shape = { allowed: { limits: 'quantityMap', requests: 'quantityMap' } };

const PROBE: Shape = {
  allowed: {
    httpGet: 'object', tcpSocket: 'object', exec: 'object', grpc: 'object',
    initialDelaySeconds: 'int32', timeoutSeconds: 'int32', periodSeconds: 'int32', successThreshold: 'int32', failureThreshold: 'int32',
  },
};
const HTTP_GET: Shape = { allowed: { host: 'string', path: 'string', scheme: 'string', httpHeaders: 'array', port: 'intOrString' } };
const HTTP_HEADER: Shape = { allowed: { name: 'string', value: 'string' } };
const TCP_SOCKET: Shape = { allowed: { host: 'string', port: 'intOrString' } };
const EXEC: Shape = { allowed: { command: 'stringArray' } };
const GRPC: Shape = { allowed: { port: 'int32', service: 'string' } };
const PROBE_HANDLERS = ['httpGet', 'tcpSocket', 'exec', 'grpc'] as const;

const SECURITY_CONTEXT: Shape = {
  allowed: {
    capabilities: 'object', readOnlyRootFilesystem: 'bool', runAsUser: 'int64', runAsGroup: 'int64', runAsNonRoot: 'bool',
    allowPrivilegeEscalation: 'bool', seccompProfile: 'object', privileged: 'bool',
  },
};
const CAPABILITIES: Shape = { allowed: { add: 'stringArray', drop: 'stringArray' } };
const SECCOMP_PROFILE: Shape = { allowed: { type: 'string', localhostProfile: 'string' } };
const POD_SECURITY_CONTEXT: Shape = {
  allowed: {
    runAsUser: 'int64', runAsGroup: 'int64', runAsNonRoot: 'bool', fsGroup: 'int64', supplementalGroups: 'array',
    seccompProfile: 'object',
  },
};

const VOLUME_MOUNT: Shape = {
  allowed: { name: 'string', mountPath: 'string', subPath: 'string', readOnly: 'bool', mountPropagation: 'string' },
  zeroOk: ['subPathExpr'],
};

function volumeShape(f: FeaturesConfig): Shape {
  const allowed: Record<string, FieldKind> = { name: 'string', secret: 'object', configMap: 'object', projected: 'object' };
  const gated: [keyof FeaturesConfig, string][] = [
    ['podSpecVolumesEmptyDir', 'emptyDir'],
    ['podSpecPersistentVolumeClaim', 'persistentVolumeClaim'],
    ['podSpecVolumesHostPath', 'hostPath'],
    ['podSpecVolumesCSI', 'csi'],
    ['podSpecVolumesImage', 'image'],
    ['podSpecVolumesEphemeral', 'ephemeral'],
  ];
  for (const [flag, field] of gated) if (f[flag] !== 'Disabled') allowed[field] = 'object';
  return { allowed };
}
const SECRET_VOLUME: Shape = { allowed: { secretName: 'string', items: 'array', defaultMode: 'int32', optional: 'bool' } };
const CONFIGMAP_VOLUME: Shape = { allowed: { name: 'string', items: 'array', defaultMode: 'int32', optional: 'bool' } };
const PROJECTED_VOLUME: Shape = { allowed: { sources: 'array', defaultMode: 'int32' } };
const PROJECTION: Shape = { allowed: { secret: 'object', configMap: 'object', serviceAccountToken: 'object', downwardAPI: 'object' } };
const OBJECT_PROJECTION: Shape = { allowed: { name: 'string', items: 'array', optional: 'bool' } };
const SA_TOKEN_PROJECTION: Shape = { allowed: { audience: 'string', expirationSeconds: 'int64', path: 'string' } };
const DOWNWARD_API_PROJECTION: Shape = { allowed: { items: 'array' } };
const DOWNWARD_API_FILE: Shape = { allowed: { path: 'string', fieldRef: 'object', resourceFieldRef: 'object', mode: 'int32' } };
const KEY_TO_PATH: Shape = { allowed: { key: 'string', path: 'string', mode: 'int32' } };
const EMPTY_DIR: Shape = { allowed: { medium: 'string', sizeLimit: 'quantity' } };
const PVC_SOURCE: Shape = { allowed: { claimName: 'string', readOnly: 'bool' } };
const IMAGE_PULL_SECRET: Shape = { allowed: { name: 'string' } };

// ---------------------------------------------------------------------------
// Top level: apiVersion, kind, metadata.

function checkTypeMeta(obj: unknown, kind: Kind): { errs: FieldError | null; top: Obj | null } {
  if (!isObj(obj)) return { errs: FieldError.invalidValue(obj, CURRENT_FIELD, `expected a ${kind} object`), top: null };
  const errs: Errs = [];
  const { apiVersion, kind: k } = obj;
  if (apiVersion === undefined || apiVersion === null || apiVersion === '') errs.push(FieldError.missing('apiVersion'));
  else if (apiVersion !== API_VERSION) errs.push(FieldError.invalidValue(apiVersion, 'apiVersion', `expected "${API_VERSION}"`));
  if (k === undefined || k === null || k === '') errs.push(FieldError.missing('kind'));
  else if (k !== kind) errs.push(FieldError.invalidValue(k, 'kind', `expected "${kind}"`));
  const unknown = Object.keys(obj).filter((key) =>
    !['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(key) && obj[key] !== undefined && obj[key] !== null);
  if (unknown.length > 0) errs.push(FieldError.disallowed(...unknown));
  if (obj.status !== undefined && obj.status !== null && !isObj(obj.status)) {
    errs.push(FieldError.invalidValue(obj.status, 'status', KIND_DETAILS.object));
  }
  return { errs: combine(errs), top: obj };
}

interface Meta {
  name: string;
  generateName: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: Obj[];
}

/** Type-checks ObjectMeta (paths relative to metadata) and returns the values validation reads. */
function checkMeta(raw: unknown): { errs: FieldError | null; meta: Meta } {
  const c = checkShape(raw, OBJECT_META);
  const errs: Errs = [c.errs];
  const owners = objectsOf(c.v.ownerReferences, 'ownerReferences');
  errs.push(owners.errs);
  const ownerReferences: Obj[] = [];
  for (const [i, o] of owners.items) {
    const oc = checkShape(o, OWNER_REFERENCE);
    errs.push(viaIdx(oc.errs, 'ownerReferences', i));
    ownerReferences.push(oc.v);
  }
  return {
    errs: combine(errs),
    meta: {
      name: str(c.v.name), generateName: str(c.v.generateName),
      labels: strMap(c.v.labels), annotations: strMap(c.v.annotations), ownerReferences,
    },
  };
}

/** apis.ValidateObjectMetadata: DNS-1035 name/generateName, one of them required. */
function validateNames(meta: Meta): FieldError | null {
  if (meta.generateName !== '') {
    const msgs = nameIsDNS1035Label(meta.generateName, true);
    if (msgs.length > 0) return new FieldError(`not a DNS 1035 label prefix: ${goList(msgs)}`, ['generateName']);
  }
  if (meta.name !== '') {
    const msgs = nameIsDNS1035Label(meta.name, false);
    if (msgs.length > 0) return new FieldError(`not a DNS 1035 label: ${goList(msgs)}`, ['name']);
  }
  if (meta.generateName === '' && meta.name === '') return new FieldError('name or generateName is required', ['name']);
  return null;
}

/** Service, Configuration and Route may not carry autoscaling annotations (they belong on the template). */
function validateNoAutoscalingAnnotations(annotations: Record<string, string>): FieldError | null {
  return combine(Object.keys(annotations).filter((k) => k.startsWith('autoscaling.knative.dev')).map((k) =>
    FieldError.invalidKey(k, CURRENT_FIELD, 'autoscaling annotations must be put under "spec.template.metadata.annotations" to work')));
}

/** A label naming an owner must match an ownerReference of that kind. */
function verifyLabelOwnerRef(value: string, label: string, kind: string, owners: Obj[]): FieldError | null {
  return owners.some((o) => o.kind === kind && o.name === value) ? null : FieldError.missing(label);
}

function validateVisibilityLabel(labels: Record<string, string>): FieldError | null {
  const v = labels[LABEL.visibility];
  return v === undefined || v === 'cluster-local' ? null : FieldError.invalidValue(v, LABEL.visibility);
}

/** Duration annotations: Go duration, whole seconds, not negative (rollout-duration, progress-deadline). */
function validateSecondsAnnotation(annotations: Record<string, string>, keys: readonly string[], label: string): FieldError | null {
  const found = getAnnotation(annotations, keys);
  if (!found || found.value === '') return null;
  const ns = parseGoDuration(found.value);
  if (ns === null) return FieldError.invalidValue(found.value, found.key);
  if (ns % 1_000_000_000n !== 0n) return new FieldError(`${label}=${found.value} is not at second precision`, [found.key]);
  if (ns < 0n) return new FieldError(`${label}=${found.value} must be positive`, [found.key]);
  return null;
}

function validateRolloutDuration(annotations: Record<string, string>): FieldError | null {
  return validateSecondsAnnotation(annotations, [ANNOTATION.rolloutDuration, ANNOTATION.rolloutDurationAlias], 'rollout-duration');
}

// ---------------------------------------------------------------------------
// Autoscaling annotations (spec §2.6).

const AS = 'autoscaling.knative.dev/';

/** Annotation keys in priority order (canonical first, then the camelCase alias). */
export const AUTOSCALING_ANNOTATIONS = {
  class: [`${AS}class`],
  metric: [`${AS}metric`],
  target: [`${AS}target`],
  targetUtilizationPercentage: [`${AS}target-utilization-percentage`, `${AS}targetUtilizationPercentage`],
  targetBurstCapacity: [`${AS}target-burst-capacity`, `${AS}targetBurstCapacity`],
  minScale: [`${AS}min-scale`, `${AS}minScale`],
  maxScale: [`${AS}max-scale`, `${AS}maxScale`],
  initialScale: [`${AS}initial-scale`, `${AS}initialScale`],
  activationScale: [`${AS}activation-scale`],
  window: [`${AS}window`],
  panicWindowPercentage: [`${AS}panic-window-percentage`, `${AS}panicWindowPercentage`],
  panicThresholdPercentage: [`${AS}panic-threshold-percentage`, `${AS}panicThresholdPercentage`],
  scaleDownDelay: [`${AS}scale-down-delay`, `${AS}scaleDownDelay`],
  scaleToZeroPodRetentionPeriod: [`${AS}scale-to-zero-pod-retention-period`, `${AS}scaleToZeroPodRetentionPeriod`],
  metricAggregationAlgorithm: [`${AS}metric-aggregation-algorithm`, `${AS}metricAggregationAlgorithm`],
} as const;

const KPA = 'kpa.autoscaling.knative.dev';
const HPA = 'hpa.autoscaling.knative.dev';

/** kmap.KeyPriority.Get: the first of `keys` present in the map. */
export function getAnnotation(annotations: Record<string, string> | undefined, keys: readonly string[]): { key: string; value: string } | undefined {
  if (!annotations) return undefined;
  for (const key of keys) if (Object.hasOwn(annotations, key)) return { key, value: annotations[key] };
  return undefined;
}

function getIntGE0(m: Record<string, string>, keys: readonly string[]): { value: number; err: FieldError | null; present: boolean } {
  const found = getAnnotation(m, keys);
  if (!found) return { value: 0, err: null, present: false };
  const i = parseGoInt(found.value, 32);
  if (i === 'range' || (typeof i === 'number' && i < 0)) {
    return { value: 0, err: FieldError.outOfBounds(found.value, 0, INT32_MAX, found.key), present: true };
  }
  if (i === null) return { value: 0, err: FieldError.invalidValue(found.value, found.key), present: true };
  return { value: i, err: null, present: true };
}

/**
 * autoscaling.ValidateAnnotations: every `autoscaling.knative.dev/*` key Knative knows, with aliases.
 * Paths are the annotation keys; callers attach them under `...metadata.annotations`.
 */
export function validateAutoscalingAnnotations(
  annotations: Record<string, string>, config: ServingConfig, op: 'create' | 'update',
): FieldError | null {
  const m = annotations;
  const A = AUTOSCALING_ANNOTATIONS;
  const errs: Errs = [];
  const cls = getAnnotation(m, A.class);

  if (cls && cls.value.endsWith('.knative.dev') && cls.value !== KPA && cls.value !== HPA) {
    errs.push(FieldError.invalidValue(cls.value, cls.key));
  }

  // min/max/activation scale
  const min = getIntGE0(m, A.minScale);
  const max = getIntGE0(m, A.maxScale);
  errs.push(min.err, max.err);
  if (max.value !== 0 && max.value < min.value) {
    errs.push(new FieldError(`max-scale=${max.value} is less than min-scale=${min.value}`, [A.maxScale[0], A.minScale[0]]));
  }
  const limit = config.autoscaler.maxScaleLimit;
  if (op === 'create' && limit > 0 && (max.present || config.autoscaler.maxScale <= 0)) {
    if (max.value > limit) errs.push(FieldError.outOfBounds(max.value, 1, limit, A.maxScale[0]));
    if (max.value === 0 && !max.err) errs.push(new FieldError(`max-scale=0 (unlimited), must be less than ${limit}`, [A.maxScale[0]]));
  }
  const act = getAnnotation(m, A.activationScale);
  if (act) {
    const v = parseGoInt(act.value, 32);
    if (typeof v !== 'number') errs.push(FieldError.invalidValue(act.value, act.key));
    else if (v < 2) errs.push(FieldError.outOfBounds(act.value, 2, INT32_MAX, act.key));
    else if (v < min.value) errs.push(new FieldError(`activation-scale=${v} is less than min-scale=${min.value}`, [act.key, A.minScale[0]]));
    else if (max.value !== 0 && v > max.value) errs.push(new FieldError(`max-scale=${max.value} is less than activation-scale=${v}`, [A.maxScale[0], act.key]));
  }

  // floats
  const floatIn = (keys: readonly string[], lo: number, hi: number): void => {
    const f = getAnnotation(m, keys);
    if (!f) return;
    const v = parseGoFloat(f.value);
    if (v === null) errs.push(FieldError.invalidValue(f.value, f.key));
    else if (!(v >= lo && v <= hi)) errs.push(FieldError.outOfBounds(f.value, lo, hi, f.key));
  };
  floatIn(A.panicWindowPercentage, 1, 100);
  floatIn(A.panicThresholdPercentage, 110, 1000);
  floatIn(A.targetUtilizationPercentage, 1, 100);
  const target = getAnnotation(m, A.target);
  if (target) {
    const v = parseGoFloat(target.value);
    if (v === null || !(v >= 0.01)) errs.push(FieldError.generic(`target ${target.value} should be at least 0.01`, target.key));
  }
  const tbc = getAnnotation(m, A.targetBurstCapacity);
  if (tbc) {
    const v = parseGoFloat(tbc.value);
    if (v === null || Number.isNaN(v) || (v < 0 && v !== -1)) errs.push(FieldError.invalidValue(tbc.value, tbc.key));
  }

  // durations
  const metric = getAnnotation(m, A.metric);
  const window = getAnnotation(m, A.window);
  if (window) {
    if (cls?.value === HPA && metric?.value === 'cpu') {
      errs.push(FieldError.invalidKey(window.key, CURRENT_FIELD, `${HPA} for ${A.metric[0]} cpu`));
    } else {
      const ns = parseGoDuration(window.value);
      if (ns === null) errs.push(FieldError.invalidValue(window.value, window.key));
      else if (ns < 6_000_000_000n || ns > 3_600_000_000_000n) errs.push(FieldError.outOfBounds(window.value, '6s', '1h0m0s', window.key));
      else if (ns % 1_000_000_000n !== 0n) errs.push(FieldError.generic('must be specified with at most second precision', window.key));
    }
  }
  const retention = getAnnotation(m, A.scaleToZeroPodRetentionPeriod);
  if (retention) {
    const ns = parseGoDuration(retention.value);
    if (ns === null) errs.push(FieldError.invalidValue(retention.value, retention.key));
    else if (ns < 0n || ns > 3_600_000_000_000n) errs.push(FieldError.outOfBounds(retention.value, '0s', '1h0m0s', retention.key));
  }
  const delay = getAnnotation(m, A.scaleDownDelay);
  if (delay) {
    const ns = parseGoDuration(delay.value);
    if (ns === null) errs.push(FieldError.invalidValue(delay.value, delay.key));
    else if (ns < 0n || ns > 3_600_000_000_000n) errs.push(FieldError.outOfBounds(delay.value, '0s', '1h0m0s', delay.key));
    else if (ns % 1_000_000_000n !== 0n) errs.push(FieldError.generic('must be specified with at most second precision', delay.key));
  }

  // metric, aggregation algorithm, initial scale
  if (metric) {
    const classValue = cls?.value ?? config.autoscaler.podAutoscalerClass;
    const ok = classValue === KPA ? metric.value === 'concurrency' || metric.value === 'rps'
      : classValue === HPA ? metric.value !== '' : true;
    if (!ok) errs.push(FieldError.invalidValue(metric.value, metric.key));
  }
  const algo = getAnnotation(m, A.metricAggregationAlgorithm);
  if (algo && algo.value !== '' && cls?.value === KPA && !['linear', 'weighted-exponential', 'weightedExponential'].includes(algo.value)) {
    errs.push(FieldError.invalidValue(algo.value, algo.key));
  }
  const initial = getAnnotation(m, A.initialScale);
  if (initial) {
    const v = parseGoInt(initial.value);
    if (typeof v !== 'number' || v < 0 || (v === 0 && !config.autoscaler.allowZeroInitialScale)) {
      errs.push(FieldError.invalidValue(initial.value, initial.key));
    }
  }
  return combine(errs);
}

// ---------------------------------------------------------------------------
// Revision template metadata (spec §2.2).

const ALLOWED_NETWORKING_ANNOTATIONS = new Set([
  'ingress.class', 'ingress-class', 'certificate.class', 'certificate-class', 'disableAutoTLS', 'disable-auto-tls',
  'disable-external-domain-tls', 'httpOption', 'http-protocol',
].map((k) => `networking.knative.dev/${k}`));

const QUEUE_SIDECAR = 'queue.sidecar.serving.knative.dev/';
const QUEUE_RESOURCE_ANNOTATIONS = ['cpu', 'memory', 'ephemeral-storage']
  .flatMap((r) => [`${QUEUE_SIDECAR}${r}-resource-request`, `${QUEUE_SIDECAR}${r}-resource-limit`]);
const QUEUE_PERCENTAGE = [`${QUEUE_SIDECAR}resource-percentage`, `${QUEUE_SIDECAR}resourcePercentage`];

/** Non-autoscaling annotation rules on a revision template; paths relative to the annotations map. */
function validateTemplateAnnotations(annotations: Record<string, string>): FieldError | null {
  const errs: Errs = [];
  for (const key of Object.keys(annotations)) {
    if (key.startsWith('networking.knative.dev/') && !ALLOWED_NETWORKING_ANNOTATIONS.has(key)) {
      errs.push(FieldError.invalidKey(key, CURRENT_FIELD));
    }
  }
  errs.push(validateSecondsAnnotation(annotations, [ANNOTATION.progressDeadline], 'progress-deadline'));
  for (const key of QUEUE_RESOURCE_ANNOTATIONS) {
    const v = annotations[key];
    if (v !== undefined && parseQuantity(v) === null) errs.push(FieldError.invalidValue(v, key, QUANTITY_ERROR));
  }
  const pct = getAnnotation(annotations, QUEUE_PERCENTAGE);
  if (pct) {
    errs.push(new FieldError(
      `${pct.key} is deprecated, use the ${QUEUE_SIDECAR}<resource>-resource-{request,limit} annotations instead`,
      [pct.key], '', 'Warning'));
    const v = parseGoFloat(pct.value);
    if (v === null) errs.push(FieldError.invalidValue(pct.value, CURRENT_FIELD).viaKey(pct.key));
    else if (!(v >= 0.1 && v <= 100)) errs.push(FieldError.outOfBounds(v, 0.1, 100, CURRENT_FIELD).viaKey(pct.key));
  }
  return combine(errs);
}

/** validateRevisionName: template name/generateName, BYO name must be prefixed by the parent's name. */
function validateRevisionName(name: string, generateName: string, parent: Meta): FieldError | null {
  if (generateName !== '') {
    const msgs = nameIsDNS1035Label(generateName, true);
    if (msgs.length > 0) return FieldError.invalidValue(`not a DNS 1035 label prefix: ${goList(msgs)}`, 'metadata.generateName');
  }
  if (name !== '') {
    const msgs = nameIsDNS1035Label(name, false);
    if (msgs.length > 0) return FieldError.invalidValue(`not a DNS 1035 label: ${goList(msgs)}`, 'metadata.name');
    // Bringing your own name is refused while the parent itself still relies on generateName.
    if (parent.name === '' && parent.generateName !== '') return FieldError.disallowed('metadata.name');
    const prefix = `${parent.name}-`;
    if (!name.startsWith(prefix)) return FieldError.invalidValue(`${JSON.stringify(name)} must have prefix ${JSON.stringify(prefix)}`, 'metadata.name');
  }
  return null;
}

/** RevisionTemplateSpec.Validate; paths relative to the template. */
function validateRevisionTemplate(raw: unknown, ctx: ValidationContext<unknown>, parent: Meta): FieldError | null {
  const t = checkShape(raw, REVISION_TEMPLATE);
  const m = checkMeta(t.v.metadata);
  return combine([
    t.errs,
    via(m.errs, 'metadata'),
    via(validateRevisionSpec(t.v.spec, ctx), 'spec'),
    via(validateAutoscalingAnnotations(m.meta.annotations, ctx.config, ctx.op), 'metadata.annotations'),
    validateRevisionName(m.meta.name, m.meta.generateName, parent),
    via(validateTemplateAnnotations(m.meta.annotations), 'metadata.annotations'),
  ]);
}

/** VerifyNameChange: with an unchanged BYO name, nothing else in the template may change. */
function verifyNameChange(next: unknown, prev: unknown): FieldError | null {
  const nextName = isObj(next) && isObj(next.metadata) ? next.metadata.name : undefined;
  const prevName = isObj(prev) && isObj(prev.metadata) ? prev.metadata.name : undefined;
  if (typeof nextName !== 'string' || nextName === '' || nextName !== prevName) return null;
  const diff = shortDiff(prev, next);
  return diff === '' ? null : new FieldError('Saw the following changes without a name change (-old +new)', ['metadata.name'], diff);
}

/** apis.ValidateCreatorAndModifier. */
function validateCreatorAndModifier(oldSpec: unknown, newSpec: unknown, oldAnn: Record<string, string>, newAnn: Record<string, string>): FieldError | null {
  const errs: Errs = [];
  if ((oldAnn[ANNOTATION.creator] ?? '') !== (newAnn[ANNOTATION.creator] ?? '')) {
    errs.push(new FieldError('annotation value is immutable', [ANNOTATION.creator]));
  }
  if (semanticEqual(oldSpec, newSpec) && (oldAnn[ANNOTATION.lastModifier] ?? '') !== (newAnn[ANNOTATION.lastModifier] ?? '')) {
    errs.push(FieldError.invalidValue(newAnn[ANNOTATION.lastModifier] ?? '', ANNOTATION.lastModifier));
  }
  return combine(errs);
}

// ---------------------------------------------------------------------------
// Traffic (spec §2.3).

interface TrafficOpts {
  /** Inside a Service the configuration is implied and configurationName is refused. */
  defaultConfigurationName: boolean;
}

function validateTrafficTarget(t: Obj, opts: TrafficOpts): FieldError | null {
  const errs: Errs = [];
  const revisionName = str(t.revisionName);
  const configurationName = str(t.configurationName);
  if (typeof t.latestRevision === 'boolean' && (revisionName !== '') === t.latestRevision) {
    errs.push(FieldError.generic(`may not set revisionName ${JSON.stringify(revisionName)} when latestRevision is ${t.latestRevision}`, 'latestRevision'));
  }
  if (opts.defaultConfigurationName && configurationName !== '') {
    errs.push(FieldError.disallowed('configurationName'));
  } else if (revisionName !== '' && configurationName !== '') {
    errs.push(FieldError.oneOfBoth('revisionName', 'configurationName'));
  } else if (revisionName !== '') {
    const el = isQualifiedName(revisionName);
    if (el.length > 0) errs.push(FieldError.invalidKey(revisionName, 'revisionName', ...el));
  } else if (configurationName !== '') {
    const el = isQualifiedName(configurationName);
    if (el.length > 0) errs.push(FieldError.invalidKey(configurationName, 'configurationName', ...el));
  } else if (!opts.defaultConfigurationName) {
    errs.push(FieldError.oneOfNone('revisionName', 'configurationName'));
  }
  if (typeof t.percent === 'number' && (t.percent < 0 || t.percent > 100)) {
    errs.push(FieldError.outOfBounds(t.percent, 0, 100, 'percent'));
  }
  if (str(t.url) !== '') errs.push(FieldError.disallowed('url'));
  return combine(errs);
}

/** validateTrafficList; paths relative to `traffic`. */
function validateTrafficList(raw: unknown, opts: TrafficOpts): FieldError | null {
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) return FieldError.invalidValue(raw, CURRENT_FIELD, KIND_DETAILS.array);
  const list = Array.isArray(raw) ? raw : [];
  const errs: Errs = [];
  const tags = new Map<string, number>();
  let sum = 0;
  list.forEach((entry, i) => {
    const c = checkShape(entry, TRAFFIC_TARGET);
    errs.push(c.errs?.viaIndex(i), validateTrafficTarget(c.v, opts)?.viaIndex(i));
    sum += num(c.v.percent);
    const tag = str(c.v.tag);
    if (tag === '') return;
    const msgs = isDNS1035Label(tag);
    if (msgs.length > 0) errs.push(FieldError.invalidArrayValue(`not a DNS 1035 label: ${goList(msgs)}`, 'tag', i));
    const seen = tags.get(tag);
    if (seen !== undefined) errs.push(new FieldError(`Multiple definitions for ${JSON.stringify(tag)}`, [`[${i}].tag`, `[${seen}].tag`]));
    else tags.set(tag, i);
  });
  if (sum !== 100) errs.push(new FieldError(`Traffic targets sum to ${sum}, want 100`, [CURRENT_FIELD]));
  return combine(errs);
}

// ---------------------------------------------------------------------------
// RevisionSpec = restricted PodSpec + Knative's knobs (spec §2.4, §2.5).

const RESERVED_PORTS = new Set([8012, 8013, 8022, 9090, 9091, 8008]);
const RESERVED_ENV = new Set(['PORT', 'K_SERVICE', 'K_CONFIGURATION', 'K_REVISION']);
const RESERVED_SIDECAR_ENV = new Set(['K_SERVICE', 'K_CONFIGURATION', 'K_REVISION']);
const RESERVED_MOUNT_PATHS = new Set(['/', '/dev', '/dev/log']);
const VALID_PORT_NAMES = new Set(['', 'h2c', 'http1']);
const INSECURE_DEFAULT = 'Kubernetes default value is insecure, Knative may default this to secure in a future release';

type ContainerRole = 'user' | 'sidecar' | 'init';

interface ServingPort {
  name: string;
  containerPort: number;
}

interface PodCtx {
  config: ServingConfig;
  /** Volumes by name (only well-formed entries). */
  volumes: Map<string, Obj>;
  podSecurityContext: Obj | null;
}

/** RevisionSpec.Validate; paths relative to the RevisionSpec. */
function validateRevisionSpec(raw: unknown, ctx: ValidationContext<unknown>): FieldError | null {
  const { config } = ctx;
  const f = config.features;
  const s = checkShape(raw, podSpecShape(f));
  const errs: Errs = [s.errs];
  const ps = s.v;

  if (ps.automountServiceAccountToken === true) errs.push(FieldError.disallowed('automountServiceAccountToken'));

  let podSecurityContext: Obj | null = null;
  if (isObj(ps.securityContext)) {
    const psc = validatePodSecurityContext(ps.securityContext);
    errs.push(via(psc.errs, 'securityContext'));
    podSecurityContext = psc.v;
  }

  const containers = objectsOf(ps.containers, 'containers');
  const inits = objectsOf(ps.initContainers, 'initContainers');
  errs.push(containers.errs, inits.errs);

  // Volumes, and which of them some container mounts.
  const mounted = new Set<string>();
  for (const [, c] of [...containers.items, ...inits.items]) {
    const mounts = (c as Obj).volumeMounts;
    if (Array.isArray(mounts)) for (const m of mounts) if (isObj(m) && typeof m.name === 'string') mounted.add(m.name);
  }
  const vols = validateVolumes(ps.volumes, mounted, f);
  errs.push(via(vols.errs, 'volumes'));
  const pod: PodCtx = { config, volumes: vols.byName, podSecurityContext };

  // Container names are unique across init and regular containers.
  const names = new Set<string>();
  for (const [i, c] of inits.items) {
    const name = (c as Obj).name;
    if (typeof name !== 'string' || name === '') continue;
    if (names.has(name)) errs.push(viaIdx(new FieldError(`duplicate container name ${JSON.stringify(name)}`, ['name']), 'initContainers', i));
    names.add(name);
  }
  for (const [i, c] of containers.items) {
    const name = (c as Obj).name;
    if (typeof name !== 'string' || name === '') continue;
    if (names.has(name)) errs.push(viaIdx(new FieldError(`duplicate container name ${JSON.stringify(name)}`, ['name']), 'containers', i));
    names.add(name);
  }

  for (const [i, c] of inits.items) errs.push(viaIdx(validateContainer(c, 'init', pod, null), 'initContainers', i));

  const count = Array.isArray(ps.containers) ? ps.containers.length : 0;
  const ports = servingPort(containers.items.map(([, c]) => c as Obj), count);
  errs.push(via(ports.errs, 'containers[*]'));
  if (count === 0) {
    errs.push(FieldError.missing('containers'));
  } else if (count === 1) {
    for (const [i, c] of containers.items) errs.push(viaIdx(validateContainer(c, 'user', pod, ports.port), 'containers', i));
  } else if (f.multiContainer !== 'Enabled') {
    errs.push(new FieldError(`multi-container is off, but found ${count} containers`));
  } else {
    for (const [i, c] of containers.items) {
      const hasPorts = Array.isArray((c as Obj).ports) && ((c as Obj).ports as unknown[]).length > 0;
      errs.push(viaIdx(validateContainer(c, hasPorts ? 'user' : 'sidecar', pod, ports.port), 'containers', i));
    }
  }

  if (typeof ps.serviceAccountName === 'string' && ps.serviceAccountName !== '') {
    const msgs = isDNS1123Subdomain(ps.serviceAccountName);
    if (msgs.length > 0) errs.push(FieldError.invalidValue(ps.serviceAccountName, 'serviceAccountName', msgs.join('\n')));
  }
  const secrets = objectsOf(ps.imagePullSecrets, 'imagePullSecrets');
  errs.push(secrets.errs);
  for (const [i, e] of secrets.items) errs.push(viaIdx(checkShape(e, IMAGE_PULL_SECRET).errs, 'imagePullSecrets', i));

  if (typeof ps.timeoutSeconds === 'number' && ps.timeoutSeconds !== 0) {
    const max = config.defaults.maxRevisionTimeoutSeconds;
    if (ps.timeoutSeconds < 0 || ps.timeoutSeconds > max) errs.push(FieldError.outOfBounds(ps.timeoutSeconds, 0, max, 'timeoutSeconds'));
  }
  if (typeof ps.containerConcurrency === 'number') {
    const lo = config.defaults.allowContainerConcurrencyZero ? 0 : 1;
    const hi = config.defaults.containerConcurrencyMaxLimit;
    if (ps.containerConcurrency < lo || ps.containerConcurrency > hi) {
      errs.push(FieldError.outOfBounds(ps.containerConcurrency, lo, hi, CURRENT_FIELD).viaField('containerConcurrency'));
    }
  }
  return combine(errs);
}

/** validateContainersPorts: one port across all containers; with several containers one must declare it. */
function servingPort(containers: Obj[], count: number): { port: ServingPort; errs: FieldError | null } {
  let total = 0;
  let first: Obj = {};
  for (const c of containers) {
    if (Array.isArray(c.ports) && c.ports.length > 0) {
      total += c.ports.length;
      if (isObj(c.ports[0])) first = c.ports[0];
    }
  }
  // An unnamed serving port is "http" as far as probe port names are concerned.
  const port: ServingPort = {
    name: typeof first.name === 'string' && first.name !== '' ? first.name : 'http',
    containerPort: typeof first.containerPort === 'number' && first.containerPort !== 0 ? first.containerPort : 8080,
  };
  if (total === 0 && count > 1) return { port, errs: FieldError.missing('ports') };
  if (total > 1) {
    return { port, errs: new FieldError('more than one container port is set', ['ports'], 'Only a single port is allowed across all containers') };
  }
  return { port, errs: null };
}

function validatePodSecurityContext(raw: Obj): { errs: FieldError | null; v: Obj } {
  const s = checkShape(raw, POD_SECURITY_CONTEXT);
  const errs: Errs = [s.errs];
  for (const k of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
    const v = s.v[k];
    if (typeof v === 'number' && (v < 0 || v > INT32_MAX)) errs.push(FieldError.outOfBounds(v, 0, INT32_MAX, k));
  }
  if (Array.isArray(s.v.supplementalGroups)) {
    s.v.supplementalGroups.forEach((g, i) => {
      if (!Number.isSafeInteger(g)) errs.push(FieldError.invalidValue(g, CURRENT_FIELD, KIND_DETAILS.int64).viaFieldIndex('supplementalGroups', i));
      else if ((g as number) < 0 || (g as number) > INT32_MAX) errs.push(FieldError.outOfBounds(g, 0, INT32_MAX, CURRENT_FIELD).viaFieldIndex('supplementalGroups', i));
    });
  }
  if (isObj(s.v.seccompProfile)) errs.push(via(checkShape(s.v.seccompProfile, SECCOMP_PROFILE).errs, 'seccompProfile'));
  return { errs: combine(errs), v: s.v };
}

/** Container validation shared by serving, sidecar and init containers (plus their role-specific rules). */
function validateContainer(raw: unknown, role: ContainerRole, pod: PodCtx, port: ServingPort | null): FieldError | null {
  if (isObj(raw) && Object.values(raw).every((v) => v === undefined || v === null)) return FieldError.missing(CURRENT_FIELD);
  const { config } = pod;
  const f = config.features;
  const s = checkShape(raw, CONTAINER);
  const c = s.v;
  const errs: Errs = [s.errs];

  if (c.name === 'queue-proxy') errs.push(new FieldError('"queue-proxy" is a reserved container name', ['name']));

  // Probes
  if (role === 'user') {
    errs.push(via(validateProbe(c.livenessProbe, port, true), 'livenessProbe'));
    errs.push(via(validateReadinessProbe(c.readinessProbe, port, true), 'readinessProbe'));
    errs.push(via(validateProbe(c.startupProbe, null, true), 'startupProbe'));
  } else if (role === 'sidecar') {
    if (f.multiContainerProbing === 'Enabled') {
      errs.push(via(validateProbe(c.livenessProbe, null, false), 'livenessProbe'));
      errs.push(via(validateReadinessProbe(c.readinessProbe, null, false), 'readinessProbe'));
      errs.push(via(validateProbe(c.startupProbe, null, false), 'startupProbe'));
    } else {
      for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) errs.push(via(probeSetFields(c[p]), p));
    }
  } else {
    for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (c[p] !== undefined) errs.push(new FieldError('field not allowed in an init container', [p]));
    }
  }

  // Env
  const env = objectsOf(c.env, 'env');
  errs.push(env.errs);
  const reserved = role === 'user' ? RESERVED_ENV : RESERVED_SIDECAR_ENV;
  for (const [i, e] of env.items) errs.push(viaIdx(validateEnvVar(e, reserved, f), 'env', i));
  errs.push(via(validateEnvFrom(c.envFrom), 'envFrom'));

  // Image
  if (str(c.image) === '') errs.push(FieldError.missing('image'));
  else if (!isImageReference(str(c.image))) {
    errs.push(new FieldError('Failed to parse image reference', ['image'],
      `image: ${JSON.stringify(c.image)}, error: could not parse reference: ${c.image as string}`));
  }

  errs.push(via(validateContainerPorts(c.ports), 'ports'));
  if (isObj(c.resources)) errs.push(via(checkShape(c.resources, RESOURCES).errs, 'resources'));
  if (isObj(c.securityContext)) errs.push(via(validateSecurityContext(c.securityContext, config), 'securityContext'));
  if (config.features.securePodDefaults === 'Disabled') errs.push(warnInsecureDefaults(c.securityContext, pod.podSecurityContext));

  const tmp = str(c.terminationMessagePolicy);
  if (tmp !== '' && tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    errs.push(FieldError.invalidValue(tmp, 'terminationMessagePolicy'));
  }
  errs.push(via(validateVolumeMounts(c.volumeMounts, pod.volumes, f), 'volumeMounts'));
  return combine(errs);
}

function validateContainerPorts(raw: unknown): FieldError | null {
  if (!Array.isArray(raw) || raw.length === 0) return null;
  const errs: Errs = [];
  // Knative validates the first port only (more than one is refused above); type-check the rest too.
  for (let i = 1; i < raw.length; i++) errs.push(checkShape(raw[i], CONTAINER_PORT).errs?.viaIndex(i));
  const s = checkShape(raw[0], CONTAINER_PORT);
  errs.push(s.errs);
  const p = s.v;
  const protocol = str(p.protocol);
  if (protocol !== '' && protocol !== 'TCP') errs.push(FieldError.invalidValue(protocol, 'protocol'));
  const cp = num(p.containerPort);
  if (RESERVED_PORTS.has(cp)) {
    errs.push(FieldError.invalidValue(`${cp} is a reserved port`, 'containerPort', `${cp} is a reserved port, please use a different value`));
  }
  if (cp < 0 || cp > 65535) errs.push(FieldError.outOfBounds(cp, 0, 65535, 'containerPort'));
  const name = str(p.name);
  if (!VALID_PORT_NAMES.has(name)) {
    errs.push(new FieldError(`Port name ${name} is not allowed`, [CURRENT_FIELD], "Name must be empty, or one of: 'h2c', 'http1'"));
  }
  return combine(errs);
}

function validateEnvVar(raw: unknown, reserved: Set<string>, f: FeaturesConfig): FieldError | null {
  const s = checkShape(raw, ENV_VAR);
  const errs: Errs = [s.errs];
  const name = str(s.v.name);
  if (name === '') errs.push(FieldError.missing('name'));
  else if (reserved.has(name)) errs.push(new FieldError(`${JSON.stringify(name)} is a reserved environment variable`, ['name']));
  if (isObj(s.v.valueFrom)) {
    const allowed: Record<string, FieldKind> = { configMapKeyRef: 'object', secretKeyRef: 'object' };
    if (f.podSpecFieldRef !== 'Disabled') Object.assign(allowed, { fieldRef: 'object', resourceFieldRef: 'object' });
    const src = checkShape(s.v.valueFrom, { allowed });
    const vErrs: Errs = [src.errs];
    for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) if (src.v[k]) vErrs.push(via(checkShape(src.v[k], KEY_SELECTOR).errs, k));
    if (src.v.fieldRef) vErrs.push(via(checkShape(src.v.fieldRef, FIELD_SELECTOR).errs, 'fieldRef'));
    if (src.v.resourceFieldRef) vErrs.push(via(checkShape(src.v.resourceFieldRef, RESOURCE_FIELD_SELECTOR).errs, 'resourceFieldRef'));
    errs.push(via(combine(vErrs), 'valueFrom'));
  }
  return combine(errs);
}

function validateEnvFrom(raw: unknown): FieldError | null {
  const list = objectsOf(raw, CURRENT_FIELD);
  const errs: Errs = [list.errs];
  for (const [i, e] of list.items) {
    const s = checkShape(e, ENV_FROM);
    errs.push(s.errs?.viaIndex(i));
    const cm = isObj(s.v.configMapRef);
    const sec = isObj(s.v.secretRef);
    if (cm) errs.push(checkShape(s.v.configMapRef, LOCAL_REF).errs?.viaIndex(i).viaField('configMapRef'));
    if (sec) errs.push(checkShape(s.v.secretRef, LOCAL_REF).errs?.viaIndex(i).viaField('secretRef'));
    // Knative reports the one-of errors without the index.
    if (cm && sec) errs.push(FieldError.oneOfBoth('configMapRef', 'secretRef'));
    else if (!cm && !sec) errs.push(FieldError.oneOfNone('configMapRef', 'secretRef'));
  }
  return combine(errs);
}

/** Probe handler and field checks; on the serving container a named port must be the serving port's name. */
function validateProbe(raw: unknown, port: ServingPort | null, isUser: boolean): FieldError | null {
  if (raw === undefined || raw === null) return null;
  const s = checkShape(raw, PROBE);
  const p = s.v;
  const errs: Errs = [s.errs];
  const handlers: string[] = [];
  const checkPort = (handler: string, value: unknown): void => {
    if (isUser) {
      if (port && typeof value === 'string' && value !== '' && value !== port.name) {
        errs.push(FieldError.invalidValue(value, `${handler}.port`, 'Probe port must match container port'));
      }
    } else if (value === undefined || value === 0 || value === '') {
      errs.push(FieldError.invalidValue(value ?? 0, `${handler}.port`, 'Probe port must be specified'));
    }
  };
  if (isObj(p.httpGet)) {
    handlers.push('httpGet');
    const h = checkShape(p.httpGet, HTTP_GET);
    errs.push(via(h.errs, 'httpGet'));
    const headers = objectsOf(h.v.httpHeaders, 'httpHeaders');
    errs.push(via(headers.errs, 'httpGet'));
    for (const [i, hd] of headers.items) errs.push(via(viaIdx(checkShape(hd, HTTP_HEADER).errs, 'httpHeaders', i), 'httpGet'));
    checkPort('httpGet', h.v.port);
  }
  if (isObj(p.tcpSocket)) {
    handlers.push('tcpSocket');
    const h = checkShape(p.tcpSocket, TCP_SOCKET);
    errs.push(via(h.errs, 'tcpSocket'));
    checkPort('tcpSocket', h.v.port);
  }
  if (isObj(p.exec)) {
    handlers.push('exec');
    errs.push(via(checkShape(p.exec, EXEC).errs, 'exec'));
  }
  if (isObj(p.grpc)) {
    handlers.push('grpc');
    const g = checkShape(p.grpc, GRPC);
    errs.push(via(g.errs, 'grpc'));
    if (!isUser && num(g.v.port) === 0) errs.push(FieldError.invalidValue(0, 'grpc.port', 'Probe port must be specified'));
  }
  if (handlers.length === 0) errs.push(FieldError.oneOfNone(...PROBE_HANDLERS));
  else if (handlers.length > 1) errs.push(FieldError.oneOfBoth(...handlers));
  return combine(errs);
}

/** Readiness probes: periodSeconds 0 selects Knative's aggressive probing, which takes no timeout/failureThreshold. */
function validateReadinessProbe(raw: unknown, port: ServingPort | null, isUser: boolean): FieldError | null {
  if (raw === undefined || raw === null) return null;
  const errs: Errs = [validateProbe(raw, port, isUser)];
  const p = checkShape(raw, PROBE).v;
  const period = num(p.periodSeconds);
  const initial = num(p.initialDelaySeconds);
  const success = num(p.successThreshold);
  const failure = num(p.failureThreshold);
  const timeout = num(p.timeoutSeconds);
  if (period < 0) errs.push(FieldError.outOfBounds(period, 0, INT32_MAX, 'periodSeconds'));
  if (initial < 0) errs.push(FieldError.outOfBounds(initial, 0, INT32_MAX, 'initialDelaySeconds'));
  if (success < 1) errs.push(FieldError.outOfBounds(success, 1, INT32_MAX, 'successThreshold'));
  if (period === 0) {
    if (failure !== 0) errs.push(new FieldError('failureThreshold is disallowed when periodSeconds is zero', ['failureThreshold']));
    if (timeout !== 0) errs.push(new FieldError('timeoutSeconds is disallowed when periodSeconds is zero', ['timeoutSeconds']));
  } else {
    if (timeout < 1) errs.push(FieldError.outOfBounds(timeout, 1, INT32_MAX, 'timeoutSeconds'));
    if (failure < 1) errs.push(FieldError.outOfBounds(failure, 1, INT32_MAX, 'failureThreshold'));
  }
  return combine(errs);
}

/** Sidecar probes without multi-container-probing: every set field is refused (the handler at the probe itself). */
function probeSetFields(raw: unknown): FieldError | null {
  if (raw === undefined || raw === null) return null;
  if (!isObj(raw)) return FieldError.disallowed(CURRENT_FIELD);
  const paths = new Set<string>();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || v === null || v === 0) continue;
    paths.add((PROBE_HANDLERS as readonly string[]).includes(k) ? CURRENT_FIELD : k);
  }
  return paths.size > 0 ? FieldError.disallowed(...paths) : null;
}

function validateSecurityContext(raw: Obj, config: ServingConfig): FieldError | null {
  const f = config.features;
  const s = checkShape(raw, SECURITY_CONTEXT);
  const sc = s.v;
  const errs: Errs = [s.errs];
  if (sc.privileged === true) errs.push(FieldError.disallowed('privileged'));
  if (isObj(sc.capabilities)) {
    const caps = checkShape(sc.capabilities, CAPABILITIES);
    errs.push(via(caps.errs, 'capabilities'));
    if (Array.isArray(caps.v.add) && f.containerSpecAddCapabilities === 'Disabled') {
      const add = caps.v.add as string[];
      const netBindOnly = f.securePodDefaults !== 'Disabled' && add.length === 1 && add[0] === 'NET_BIND_SERVICE';
      if (!netBindOnly) errs.push(FieldError.disallowed('capabilities.add'));
    }
  }
  if (isObj(sc.seccompProfile)) errs.push(via(checkShape(sc.seccompProfile, SECCOMP_PROFILE).errs, 'seccompProfile'));
  for (const k of ['runAsUser', 'runAsGroup'] as const) {
    const v = sc[k];
    if (typeof v === 'number' && (v < 0 || v > INT32_MAX)) errs.push(FieldError.outOfBounds(v, 0, INT32_MAX, k));
  }
  return combine(errs);
}

/** Warnings for security settings left at Kubernetes' insecure defaults (secure-pod-defaults disabled). */
function warnInsecureDefaults(rawSc: unknown, psc: Obj | null): FieldError | null {
  const sc = isObj(rawSc) ? rawSc : null;
  const paths: string[] = [];
  const errs: Errs = [];
  if (sc?.allowPrivilegeEscalation === undefined || sc.allowPrivilegeEscalation === null) paths.push('securityContext.allowPrivilegeEscalation');
  const caps = sc && isObj(sc.capabilities) ? sc.capabilities : null;
  if (!caps) {
    paths.push('securityContext.capabilities');
  } else if (caps.drop === undefined || caps.drop === null) {
    paths.push('securityContext.capabilities.drop');
  } else if (Array.isArray(caps.drop) && !caps.drop.includes('ALL')) {
    const misspelled = caps.drop.find((d) => typeof d === 'string' && d.toUpperCase() === 'ALL');
    if (typeof misspelled === 'string') {
      errs.push(FieldError.invalidValue(misspelled, 'securityContext.capabilities.drop', "Must be spelled as 'ALL'").at('Warning'));
    }
  }
  const unset = (o: Obj | null, k: string): boolean => !o || o[k] === undefined || o[k] === null;
  if (unset(psc, 'runAsNonRoot') && unset(sc, 'runAsNonRoot')) paths.push('securityContext.runAsNonRoot');
  const scSeccomp = sc && isObj(sc.seccompProfile) ? sc.seccompProfile : null;
  const podSeccomp = psc && isObj(psc.seccompProfile) ? psc.seccompProfile : null;
  if (!scSeccomp && !podSeccomp) paths.push('securityContext.seccompProfile');
  else if (str((scSeccomp ?? podSeccomp)?.type) === '') paths.push('securityContext.seccompProfile.type');
  if (paths.length > 0) errs.push(new FieldError(INSECURE_DEFAULT, paths, '', 'Warning'));
  return combine(errs);
}

/** filepath.Clean for absolute and relative POSIX paths. */
function cleanPath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else {
      out.push(part);
    }
  }
  const joined = out.join('/');
  return abs ? `/${joined}` : joined === '' ? '.' : joined;
}

function validateVolumeMounts(raw: unknown, volumes: Map<string, Obj>, f: FeaturesConfig): FieldError | null {
  const list = objectsOf(raw, CURRENT_FIELD);
  const errs: Errs = [list.errs];
  const seen = new Set<string>();
  const shape: Shape = f.podSpecVolumesMountPropagation !== 'Disabled' ? VOLUME_MOUNT : {
    allowed: Object.fromEntries(Object.entries(VOLUME_MOUNT.allowed).filter(([k]) => k !== 'mountPropagation')),
    zeroOk: VOLUME_MOUNT.zeroOk,
  };
  for (const [i, m] of list.items) {
    const s = checkShape(m, shape);
    const vm = s.v;
    const e: Errs = [s.errs];
    const name = str(vm.name);
    const volume = volumes.get(name);
    if (!volume) e.push(new FieldError('volumeMount has no matching volume', ['name']));
    const readOnly = vm.readOnly === true;
    const writableSource = volume && (isObj(volume.emptyDir) || isObj(volume.persistentVolumeClaim) || isObj(volume.ephemeral));
    if (!writableSource && !readOnly) e.push(new FieldError('volume mount should be readOnly for this type of volume', ['readOnly']));
    if (volume && isObj(volume.persistentVolumeClaim) && volume.persistentVolumeClaim.readOnly === true && !readOnly) {
      e.push(new FieldError('volume is readOnly but volume mount is not', ['readOnly']));
    }
    const mountPath = str(vm.mountPath);
    if (mountPath === '') {
      e.push(FieldError.missing('mountPath'));
    } else if (RESERVED_MOUNT_PATHS.has(cleanPath(mountPath))) {
      e.push(new FieldError(`mountPath ${JSON.stringify(cleanPath(mountPath))} is a reserved path`, ['mountPath']));
    } else if (!mountPath.startsWith('/')) {
      e.push(FieldError.invalidValue(mountPath, 'mountPath'));
    } else if (seen.has(cleanPath(mountPath))) {
      e.push(FieldError.invalidValue(`${JSON.stringify(mountPath)} must be unique`, 'mountPath'));
    }
    seen.add(cleanPath(mountPath));
    if (typeof vm.mountPropagation === 'string' && vm.mountPropagation !== 'None' && vm.mountPropagation !== 'HostToContainer') {
      e.push(FieldError.invalidValue(vm.mountPropagation, 'mountPropagation'));
    }
    errs.push(combine(e)?.viaIndex(i));
  }
  return combine(errs);
}

function validateVolumes(raw: unknown, mounted: Set<string>, f: FeaturesConfig): { errs: FieldError | null; byName: Map<string, Obj> } {
  const list = objectsOf(raw, CURRENT_FIELD);
  const errs: Errs = [list.errs];
  const byName = new Map<string, Obj>();
  const shape = volumeShape(f);
  for (const [i, v] of list.items) {
    const s = checkShape(v, shape);
    const vol = s.v;
    const name = str(vol.name);
    const e: Errs = [s.errs];
    if (byName.has(name)) e.push(new FieldError(`duplicate volume name ${JSON.stringify(name)}`, ['name']));
    if (!mounted.has(name)) e.push(new FieldError(`volume with name ${JSON.stringify(name)} not mounted`, ['name']));
    if (name === '') e.push(FieldError.missing('name'));
    else if (isDNS1123Label(name).length > 0) e.push(FieldError.invalidValue(name, 'name'));
    e.push(validateVolumeSource(vol, f, (v as Obj)));
    errs.push(combine(e)?.viaIndex(i));
    if (!byName.has(name)) byName.set(name, vol);
  }
  return { errs: combine(errs), byName };
}

function validateVolumeSource(vol: Obj, f: FeaturesConfig, raw: Obj): FieldError | null {
  const errs: Errs = [];
  const specified: string[] = [];
  const items = (list: unknown): FieldError | null => {
    const l = objectsOf(list, 'items');
    const e: Errs = [l.errs];
    for (const [i, k2p] of l.items) e.push(viaIdx(validateKeyToPath(k2p), 'items', i));
    return combine(e);
  };
  if (isObj(vol.secret)) {
    specified.push('secret');
    const s = checkShape(vol.secret, SECRET_VOLUME);
    errs.push(via(s.errs, 'secret'), items(s.v.items));
  }
  if (isObj(vol.configMap)) {
    specified.push('configMap');
    const s = checkShape(vol.configMap, CONFIGMAP_VOLUME);
    errs.push(via(s.errs, 'configMap'), items(s.v.items));
  }
  if (isObj(vol.projected)) {
    specified.push('projected');
    const s = checkShape(vol.projected, PROJECTED_VOLUME);
    errs.push(via(s.errs, 'projected'));
    const sources = objectsOf(s.v.sources, 'sources');
    errs.push(via(sources.errs, 'projected'));
    // Knative reports projections at projected[i], without "sources".
    for (const [i, src] of sources.items) errs.push(viaIdx(validateProjection(src), 'projected', i));
  }
  if (isObj(vol.emptyDir)) {
    specified.push('emptyDir');
    const s = checkShape(vol.emptyDir, EMPTY_DIR);
    const e: Errs = [s.errs];
    const medium = str(s.v.medium);
    if (medium !== '' && medium !== 'Memory') e.push(FieldError.invalidValue(medium, 'medium'));
    if (s.v.sizeLimit !== undefined && (parseQuantity(s.v.sizeLimit as string | number) ?? 0) < 0) {
      e.push(FieldError.invalidValue(s.v.sizeLimit, 'sizeLimit'));
    }
    errs.push(via(combine(e), 'emptyDir'));
  }
  if (isObj(vol.persistentVolumeClaim)) {
    specified.push('persistentVolumeClaim');
    const s = checkShape(vol.persistentVolumeClaim, PVC_SOURCE);
    errs.push(via(s.errs, 'persistentVolumeClaim'));
    if (s.v.readOnly !== true && f.podSpecPersistentVolumeWrite === 'Disabled') {
      errs.push(new FieldError(`Persistent volume write support is disabled, but found persistent volume claim ${str(s.v.claimName)} that is not read-only`));
    }
  } else if (isObj(raw.persistentVolumeClaim) && f.podSpecPersistentVolumeClaim === 'Disabled') {
    const claim = str(raw.persistentVolumeClaim.claimName);
    errs.push(new FieldError(`Persistent volume claim support is disabled, but found persistent volume claim ${claim}`));
    if (raw.persistentVolumeClaim.readOnly !== true && f.podSpecPersistentVolumeWrite === 'Disabled') {
      errs.push(new FieldError(`Persistent volume write support is disabled, but found persistent volume claim ${claim} that is not read-only`));
    }
  }
  for (const gated of ['hostPath', 'csi', 'image', 'ephemeral']) if (isObj(vol[gated])) specified.push(gated);

  if (specified.length === 0) {
    const paths = ['secret', 'configMap', 'projected'];
    if (f.podSpecVolumesEmptyDir === 'Enabled') paths.push('emptyDir');
    if (f.podSpecPersistentVolumeClaim === 'Enabled') paths.push('persistentVolumeClaim');
    // A refused source was already reported as disallowed; don't also call it missing.
    const refused = Object.keys(raw).some((k) => k !== 'name' && raw[k] !== null && raw[k] !== undefined);
    if (!refused) errs.push(FieldError.oneOfNone(...paths));
  } else if (specified.length > 1) {
    errs.push(FieldError.oneOfBoth(...specified));
  }
  return combine(errs);
}

function validateKeyToPath(raw: unknown): FieldError | null {
  const s = checkShape(raw, KEY_TO_PATH);
  const errs: Errs = [s.errs];
  if (str(s.v.key) === '') errs.push(FieldError.missing('key'));
  if (str(s.v.path) === '') errs.push(FieldError.missing('path'));
  return combine(errs);
}

function validateProjection(raw: unknown): FieldError | null {
  const s = checkShape(raw, PROJECTION);
  const p = s.v;
  const errs: Errs = [s.errs];
  const specified: string[] = [];
  for (const k of ['secret', 'configMap'] as const) {
    if (!isObj(p[k])) continue;
    specified.push(k);
    const o = checkShape(p[k], OBJECT_PROJECTION);
    const e: Errs = [o.errs];
    if (str(o.v.name) === '') e.push(FieldError.missing('name'));
    const items = objectsOf(o.v.items, 'items');
    e.push(items.errs);
    for (const [i, k2p] of items.items) e.push(viaIdx(validateKeyToPath(k2p), 'items', i));
    errs.push(via(combine(e), k));
  }
  if (isObj(p.serviceAccountToken)) {
    specified.push('serviceAccountToken');
    const t = checkShape(p.serviceAccountToken, SA_TOKEN_PROJECTION);
    errs.push(via(combine([t.errs, str(t.v.path) === '' ? FieldError.missing('path') : null]), 'serviceAccountToken'));
  }
  if (isObj(p.downwardAPI)) {
    specified.push('downwardAPI');
    const d = checkShape(p.downwardAPI, DOWNWARD_API_PROJECTION);
    const e: Errs = [d.errs];
    const items = objectsOf(d.v.items, 'items');
    e.push(items.errs);
    for (const [i, item] of items.items) {
      const it = checkShape(item, DOWNWARD_API_FILE);
      const ie: Errs = [it.errs];
      if (str(it.v.path) === '') ie.push(FieldError.missing('path'));
      if (isObj(it.v.fieldRef)) ie.push(via(checkShape(it.v.fieldRef, FIELD_SELECTOR).errs, 'fieldRef'));
      if (isObj(it.v.resourceFieldRef)) ie.push(via(checkShape(it.v.resourceFieldRef, RESOURCE_FIELD_SELECTOR).errs, 'resourceFieldRef'));
      const fr = isObj(it.v.fieldRef);
      const rfr = isObj(it.v.resourceFieldRef);
      if (fr && rfr) ie.push(FieldError.generic('Within a single item, cannot set both', 'fieldRef', 'resourceFieldRef'));
      else if (!fr && !rfr) ie.push(FieldError.oneOfNone('fieldRef', 'resourceFieldRef'));
      e.push(viaIdx(combine(ie), 'items', i));
    }
    errs.push(via(combine(e), 'downwardAPI'));
  }
  if (specified.length === 0) {
    if (Object.keys(raw as Obj).every((k) => (raw as Obj)[k] === null || (raw as Obj)[k] === undefined)) {
      errs.push(FieldError.oneOfNone('configMap', 'downwardAPI', 'secret', 'serviceAccountToken'));
    }
  } else if (specified.length > 1) {
    errs.push(FieldError.oneOfBoth(...specified));
  }
  return combine(errs);
}

// Docker-style references (go-containerregistry, weak validation), plus knit's local file:///abs/dir images.
const ALNUM = '[a-z0-9]+';
const PATH_COMPONENT = `${ALNUM}(?:(?:[._]|__|-+)${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
);

/** True for a parseable container image reference or a `file:///absolute/dir` image. */
export function isImageReference(image: string): boolean {
  if (image.startsWith('file://')) return /^file:\/\/\/\S*$/.test(image);
  return image.length <= 4096 && IMAGE_REFERENCE.test(image);
}

// ---------------------------------------------------------------------------
// The four kinds.

/** Validates a Service (create/update). Returns Error and Warning diagnostics, or null. */
export function validateService(obj: unknown, ctx: ValidationContext<Service>): FieldError | null {
  const { errs: typeErrs, top } = checkTypeMeta(obj, 'Service');
  if (!top) return typeErrs;
  const errs: Errs = [typeErrs];
  const m = checkMeta(top.metadata);
  if (!ctx.statusUpdate) {
    errs.push(via(combine([
      m.errs,
      validateNames(m.meta),
      via(validateNoAutoscalingAnnotations(m.meta.annotations), 'annotations'),
      via(validateVisibilityLabel(m.meta.labels), 'labels'),
      via(validateRolloutDuration(m.meta.annotations), 'annotations'),
    ]), 'metadata'));
    const spec = checkShape(top.spec, { allowed: { template: 'object', traffic: 'array' } });
    errs.push(via(combine([
      spec.errs,
      via(validateRevisionTemplate(spec.v.template, ctx, m.meta), 'template'),
      via(validateTrafficList(spec.v.traffic, { defaultConfigurationName: true }), 'traffic'),
    ]), 'spec'));
  }
  if (ctx.op === 'update' && ctx.old) {
    const newSpec = isObj(top.spec) ? top.spec : {};
    errs.push(via(validateCreatorAndModifier(ctx.old.spec, newSpec, ctx.old.metadata?.annotations ?? {}, m.meta.annotations), 'metadata.annotations'));
    errs.push(via(verifyNameChange(newSpec.template, ctx.old.spec?.template), 'spec.template'));
  }
  return combine(errs);
}

/** Validates a Configuration (create/update). */
export function validateConfiguration(obj: unknown, ctx: ValidationContext<Configuration>): FieldError | null {
  const { errs: typeErrs, top } = checkTypeMeta(obj, 'Configuration');
  if (!top) return typeErrs;
  const errs: Errs = [typeErrs];
  const m = checkMeta(top.metadata);
  if (!ctx.statusUpdate) {
    const service = m.meta.labels[LABEL.service];
    errs.push(via(combine([
      m.errs,
      validateNames(m.meta),
      via(service === undefined ? null : verifyLabelOwnerRef(service, LABEL.service, 'Service', m.meta.ownerReferences), 'labels'),
      via(validateNoAutoscalingAnnotations(m.meta.annotations), 'annotations'),
    ]), 'metadata'));
    const spec = checkShape(top.spec, { allowed: { template: 'object' } });
    errs.push(via(combine([spec.errs, via(validateRevisionTemplate(spec.v.template, ctx, m.meta), 'template')]), 'spec'));
  }
  if (ctx.op === 'update' && ctx.old) {
    const newSpec = isObj(top.spec) ? top.spec : {};
    if (m.meta.ownerReferences.length === 0) {
      errs.push(via(validateCreatorAndModifier(ctx.old.spec, newSpec, ctx.old.metadata?.annotations ?? {}, m.meta.annotations), 'metadata.annotations'));
    }
    errs.push(via(verifyNameChange(newSpec.template, ctx.old.spec?.template), 'spec.template'));
  }
  return combine(errs);
}

/** Validates a Revision; on update only the (immutable) spec is compared. */
export function validateRevision(obj: unknown, ctx: ValidationContext<Revision>): FieldError | null {
  const { errs: typeErrs, top } = checkTypeMeta(obj, 'Revision');
  if (!top) return typeErrs;
  const m = checkMeta(top.metadata);
  const configuration = m.meta.labels[LABEL.configuration];
  const errs: Errs = [typeErrs, via(combine([
    m.errs,
    validateNames(m.meta),
    via(validateAutoscalingAnnotations(m.meta.annotations, ctx.config, ctx.op), 'annotations'),
    via(configuration === undefined ? null : verifyLabelOwnerRef(configuration, LABEL.configuration, 'Configuration', m.meta.ownerReferences), 'labels'),
  ]), 'metadata')];
  if (ctx.op === 'update' && ctx.old) {
    const diff = shortDiff(ctx.old.spec, top.spec);
    if (diff !== '') return new FieldError('Immutable fields changed (-old +new)', ['spec'], diff);
  } else {
    errs.push(via(validateRevisionSpec(top.spec, ctx), 'spec'));
  }
  return combine(errs);
}

/** Validates a Route (create/update). */
export function validateRoute(obj: unknown, ctx: ValidationContext<Route>): FieldError | null {
  const { errs: typeErrs, top } = checkTypeMeta(obj, 'Route');
  if (!top) return typeErrs;
  const m = checkMeta(top.metadata);
  const service = m.meta.labels[LABEL.service];
  const errs: Errs = [typeErrs, via(combine([
    m.errs,
    validateNames(m.meta),
    via(validateNoAutoscalingAnnotations(m.meta.annotations), 'annotations'),
    via(combine([
      validateVisibilityLabel(m.meta.labels),
      service === undefined ? null : verifyLabelOwnerRef(service, LABEL.service, 'Service', m.meta.ownerReferences),
    ]), 'labels'),
    via(validateRolloutDuration(m.meta.annotations), 'annotations'),
  ]), 'metadata')];
  const spec = checkShape(top.spec, { allowed: { traffic: 'array' } });
  errs.push(via(combine([spec.errs, via(validateTrafficList(spec.v.traffic, { defaultConfigurationName: false }), 'traffic')]), 'spec'));
  if (ctx.op === 'update' && ctx.old && m.meta.ownerReferences.length === 0) {
    const newSpec = isObj(top.spec) ? top.spec : {};
    errs.push(via(validateCreatorAndModifier(ctx.old.spec, newSpec, ctx.old.metadata?.annotations ?? {}, m.meta.annotations), 'metadata.annotations'));
  }
  return combine(errs);
}

/** Dispatches on `kind`; an unknown kind is an error at `kind`. */
export function validateObject(obj: unknown, ctx: ValidationContext<Service | Configuration | Revision | Route>): FieldError | null {
  const kind = isObj(obj) ? obj.kind : undefined;
  switch (kind) {
    case 'Service': return validateService(obj, ctx as ValidationContext<Service>);
    case 'Configuration': return validateConfiguration(obj, ctx as ValidationContext<Configuration>);
    case 'Revision': return validateRevision(obj, ctx as ValidationContext<Revision>);
    case 'Route': return validateRoute(obj, ctx as ValidationContext<Route>);
    default:
      if (kind === undefined || kind === null || kind === '') return FieldError.missing('kind');
      return FieldError.invalidValue(kind, 'kind', 'expected one of Service, Configuration, Revision, Route');
  }
}

// ---------------------------------------------------------------------------
// Equality and diffs over JSON values.

const absent = (v: unknown): boolean => v === undefined || v === null || (Array.isArray(v) && v.length === 0);

/** equality.Semantic.DeepEqual over JSON: null, missing and empty lists are the same. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (absent(a) || absent(b)) return absent(a) && absent(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

const render = (v: unknown): string => (v === undefined || v === null ? '<nil>' : JSON.stringify(v));

/** A short "-old +new" listing of the differing leaves, like kmp.ShortDiff; '' when equal. */
export function shortDiff(prev: unknown, next: unknown): string {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (semanticEqual(a, b)) return;
    if (isObj(a) && isObj(b)) {
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        walk(a[k], b[k], /^[A-Za-z_][\w-]*$/.test(k) ? (path ? `${path}.${k}` : k) : `${path}[${JSON.stringify(k)}]`);
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i], `${path}[${i}]`));
      return;
    }
    out.push(`${path === '' ? '{}' : path}:\n\t-: ${render(a)}\n\t+: ${render(b)}\n`);
  };
  walk(prev, next, '');
  return out.join('');
}
