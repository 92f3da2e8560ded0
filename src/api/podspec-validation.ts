// PodSpec and container rules (knative/serving pkg/apis/serving/k8s_validation.go ValidatePodSpec,
// ValidateContainer, ...): the field masks, probes, env, ports and security contexts. Volumes: volume-validation.ts.

import { CURRENT_FIELD, FieldError } from './field-error.ts';
import type { FeaturesConfig, ServingConfig } from './config.ts';
import { isDNS1123Subdomain } from './name-validation.ts';
import {
  checkShape, combine, INT32_MAX, isObj, KIND_DETAILS, num, objectsOf, OneOf, str, via, viaIdx,
  type Checked, type Errs, type FieldKind, type Obj, type Shape,
} from './shape-check.ts';
import { FIELD_SELECTOR, RESOURCE_FIELD_SELECTOR, validateVolumeMounts, validateVolumes } from './volume-validation.ts';

/** The PodSpec field mask (knative/serving pkg/apis/serving/fieldmask.go PodSpecMask), with its feature-gated fields. */
function podSpecShape(f: FeaturesConfig, inline: Readonly<Record<string, FieldKind>>): Shape {
  const allowed: Record<string, FieldKind> = {
    serviceAccountName: 'string', containers: 'array', volumes: 'array', imagePullSecrets: 'array',
    enableServiceLinks: 'bool', automountServiceAccountToken: 'bool', ...inline,
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

const IMAGE_PULL_SECRET: Shape = { allowed: { name: 'string' } };

const RESERVED_PORTS = new Set([8012, 8013, 8022, 9090, 9091, 8008]);
const RESERVED_ENV = new Set(['PORT', 'K_SERVICE', 'K_CONFIGURATION', 'K_REVISION']);
const RESERVED_SIDECAR_ENV = new Set(['K_SERVICE', 'K_CONFIGURATION', 'K_REVISION']);
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

/**
 * knative/serving pkg/apis/serving/k8s_validation.go ValidatePodSpec, on a PodSpec whose JSON also
 * carries `inline` fields (type-checked here, validated by the caller). Returns the well-typed fields.
 */
export function validatePodSpec(raw: unknown, config: ServingConfig, inline: Readonly<Record<string, FieldKind>>): Checked {
  const f = config.features;
  const s = checkShape(raw, podSpecShape(f, inline));
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
  for (const [field, list] of [['initContainers', inits.items], ['containers', containers.items]] as const) {
    for (const [i, c] of list) {
      const name = (c as Obj).name;
      if (typeof name !== 'string' || name === '') continue;
      if (names.has(name)) errs.push(viaIdx(new FieldError(`duplicate container name ${JSON.stringify(name)}`, ['name']), field, i));
      names.add(name);
    }
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
  return { errs: combine(errs), v: ps };
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
  if (isObj(c.resources)) errs.push(via(validateGpuQuantity(c.resources), 'resources'));
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
  const handlers = new OneOf(p, errs);
  const checkPort = (handler: string, value: unknown): void => {
    if (isUser) {
      if (port && typeof value === 'string' && value !== '' && value !== port.name) {
        errs.push(FieldError.invalidValue(value, `${handler}.port`, 'Probe port must match container port'));
      }
    } else if (value === undefined || value === 0 || value === '') {
      errs.push(FieldError.invalidValue(value ?? 0, `${handler}.port`, 'Probe port must be specified'));
    }
  };
  const httpGet = handlers.member('httpGet', HTTP_GET);
  if (httpGet) {
    const headers = objectsOf(httpGet.httpHeaders, 'httpHeaders');
    errs.push(via(headers.errs, 'httpGet'));
    for (const [i, hd] of headers.items) errs.push(via(viaIdx(checkShape(hd, HTTP_HEADER).errs, 'httpHeaders', i), 'httpGet'));
    checkPort('httpGet', httpGet.port);
  }
  const tcpSocket = handlers.member('tcpSocket', TCP_SOCKET);
  if (tcpSocket) checkPort('tcpSocket', tcpSocket.port);
  handlers.member('exec', EXEC);
  const grpc = handlers.member('grpc', GRPC);
  if (grpc && !isUser && num(grpc.port) === 0) errs.push(FieldError.invalidValue(0, 'grpc.port', 'Probe port must be specified'));
  if (handlers.set.length === 0) errs.push(FieldError.oneOfNone(...PROBE_HANDLERS));
  else if (handlers.set.length > 1) errs.push(FieldError.oneOfBoth(...handlers.set));
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

/**
 * Whole GPUs only: the apiserver refuses a fractional extended resource, and a request that differs
 * from its limit (kubernetes pkg/apis/core/validation/validation.go validateContainerResourceName /
 * ValidateResourceRequirements), which would fail the revision's Deployment on a cluster. knit
 * checks `nvidia.com/gpu`, the one extended resource it schedules.
 */
function validateGpuQuantity(resources: Record<string, unknown>): FieldError | null {
  const errs: FieldError[] = [];
  const gpu = 'nvidia.com/gpu';
  const lim = isObj(resources.limits) ? resources.limits[gpu] : undefined;
  const req = isObj(resources.requests) ? resources.requests[gpu] : undefined;
  for (const [where, q] of [['limits', lim], ['requests', req]] as const) {
    if (typeof q !== 'string' && typeof q !== 'number') continue;
    if (!/^\d+$/.test(String(q))) errs.push(FieldError.invalidValue(q, `${where}.${gpu}`, 'must be an integer'));
  }
  if (req !== undefined && (lim === undefined || String(lim) !== String(req))) {
    errs.push(FieldError.invalidValue(req, `requests.${gpu}`, `must be equal to ${gpu} limit of ${lim === undefined ? 0 : String(lim)}`));
  }
  return FieldError.combine(...errs);
}
