// Cluster-wide settings (Knative's config-defaults, -features, -autoscaler, -gc, -network, -deployment) and their parsing.

import { executeGoTemplate, GoStruct, parseGoTemplate } from '../gotemplate/template.ts';
import {
  formatGoDuration, parseGoBool, parseGoDuration, parseGoFloat, parseGoInt, parseQuantity, QUANTITY_ERROR,
} from './go-values.ts';

/** A config-features flag value. */
export type FeatureFlag = 'Enabled' | 'Disabled' | 'Allowed';

/** secure-pod-defaults: Disabled (warn only), AllowRootBounded or Enabled (apply secure defaults). */
export type SecurePodDefaults = 'Disabled' | 'AllowRootBounded' | 'Enabled';

/** config-defaults (knative/serving pkg/apis/config/defaults.go). Resource defaults are Kubernetes quantities, null when not configured. */
export interface DefaultsConfig {
  revisionTimeoutSeconds: number;
  maxRevisionTimeoutSeconds: number;
  revisionResponseStartTimeoutSeconds: number;
  revisionIdleTimeoutSeconds: number;
  containerNameTemplate: string;
  initContainerNameTemplate: string;
  containerConcurrency: number;
  containerConcurrencyMaxLimit: number;
  allowContainerConcurrencyZero: boolean;
  /** null = leave PodSpec.enableServiceLinks unset ("default"). */
  enableServiceLinks: boolean | null;
  revisionCpuRequest: string | null;
  revisionMemoryRequest: string | null;
  revisionEphemeralStorageRequest: string | null;
  revisionCpuLimit: string | null;
  revisionMemoryLimit: string | null;
  revisionEphemeralStorageLimit: string | null;
}

/** config-features (knative/serving pkg/apis/config/features.go): which PodSpec extensions are accepted. */
export interface FeaturesConfig {
  multiContainer: FeatureFlag;
  multiContainerProbing: FeatureFlag;
  podSpecAffinity: FeatureFlag;
  podSpecTopologySpreadConstraints: FeatureFlag;
  podSpecHostAliases: FeatureFlag;
  podSpecFieldRef: FeatureFlag;
  podSpecNodeSelector: FeatureFlag;
  podSpecRuntimeClassName: FeatureFlag;
  podSpecSecurityContext: FeatureFlag;
  podSpecShareProcessNamespace: FeatureFlag;
  podSpecPriorityClassName: FeatureFlag;
  podSpecSchedulerName: FeatureFlag;
  podSpecTolerations: FeatureFlag;
  podSpecInitContainers: FeatureFlag;
  podSpecDNSPolicy: FeatureFlag;
  podSpecDNSConfig: FeatureFlag;
  podSpecHostIPC: FeatureFlag;
  podSpecHostPID: FeatureFlag;
  podSpecHostNetwork: FeatureFlag;
  podSpecVolumesEmptyDir: FeatureFlag;
  podSpecVolumesHostPath: FeatureFlag;
  podSpecVolumesCSI: FeatureFlag;
  podSpecVolumesImage: FeatureFlag;
  podSpecVolumesEphemeral: FeatureFlag;
  podSpecVolumesMountPropagation: FeatureFlag;
  podSpecPersistentVolumeClaim: FeatureFlag;
  podSpecPersistentVolumeWrite: FeatureFlag;
  containerSpecAddCapabilities: FeatureFlag;
  securePodDefaults: SecurePodDefaults;
}

/** config-autoscaler (knative/serving pkg/autoscaler/config/config.go). Durations are in seconds. */
export interface AutoscalerConfig {
  podAutoscalerClass: string;
  enableScaleToZero: boolean;
  /** container-concurrency-target-percentage stored as a fraction (70 → 0.7). */
  containerConcurrencyTargetFraction: number;
  containerConcurrencyTargetDefault: number;
  rpsTargetDefault: number;
  targetBurstCapacity: number;
  stableWindowSeconds: number;
  panicWindowPercentage: number;
  panicThresholdPercentage: number;
  maxScaleUpRate: number;
  maxScaleDownRate: number;
  scaleToZeroGracePeriodSeconds: number;
  scaleToZeroPodRetentionPeriodSeconds: number;
  scaleDownDelaySeconds: number;
  activatorCapacity: number;
  initialScale: number;
  allowZeroInitialScale: boolean;
  minScale: number;
  maxScale: number;
  maxScaleLimit: number;
}

/** config-gc (knative/serving pkg/gc/config.go). -1 means "disabled". Durations are in seconds. */
export interface GCConfig {
  retainSinceCreateTimeSeconds: number;
  retainSinceLastActiveTimeSeconds: number;
  minNonActiveRevisions: number;
  maxNonActiveRevisions: number;
}

/** config-network / config-domain subset (knative/networking pkg/config/config.go, knative/serving pkg/reconciler/route/config/domain.go). */
export interface NetworkConfig {
  domain: string;
  domainTemplate: string;
  tagTemplate: string;
  clusterDomain: string;
  defaultExternalScheme: string;
  rolloutDurationSeconds: number;
  tagHeaderBasedRouting: boolean;
  /** autocreate-cluster-domain-claims: DomainMappings create (and delete) their ClusterDomainClaims. */
  autocreateClusterDomainClaims: boolean;
  /** external-domain-tls: knit issues certificates for routes' external hosts (needs `knit serve --https`). */
  externalDomainTLS: boolean;
  /** http-protocol: `Enabled` serves plain HTTP too, `Redirected` answers it with 301 to https (hosts with a certificate). */
  httpProtocol: 'Enabled' | 'Redirected';
  /** Not a config-network key: `knit serve --https` runs the gateway's TLS listener (DomainMapping spec.tls). */
  gatewayHttps: boolean;
}

/** config-deployment subset. */
export interface DeploymentConfig {
  /** progress-deadline: how long a revision may take to become ready initially. */
  progressDeadlineSeconds: number;
}

/** Everything the webhook, controllers and data plane read from cluster configuration. */
export interface ServingConfig {
  defaults: DefaultsConfig;
  features: FeaturesConfig;
  autoscaler: AutoscalerConfig;
  gc: GCConfig;
  network: NetworkConfig;
  deployment: DeploymentConfig;
}

/** GC value meaning "this rule is off". */
export const GC_DISABLED = -1;

/** Knative's shipped defaults, except domain example.com (knit serves external URLs by default). */
export function defaultServingConfig(): ServingConfig {
  return {
    defaults: {
      revisionTimeoutSeconds: 300,
      maxRevisionTimeoutSeconds: 600,
      revisionResponseStartTimeoutSeconds: 300,
      revisionIdleTimeoutSeconds: 0,
      containerNameTemplate: 'user-container',
      initContainerNameTemplate: 'init-container',
      containerConcurrency: 0,
      containerConcurrencyMaxLimit: 1000,
      allowContainerConcurrencyZero: true,
      enableServiceLinks: false,
      revisionCpuRequest: null,
      revisionMemoryRequest: null,
      revisionEphemeralStorageRequest: null,
      revisionCpuLimit: null,
      revisionMemoryLimit: null,
      revisionEphemeralStorageLimit: null,
    },
    features: {
      multiContainer: 'Enabled',
      multiContainerProbing: 'Disabled',
      podSpecAffinity: 'Disabled',
      podSpecTopologySpreadConstraints: 'Disabled',
      podSpecHostAliases: 'Disabled',
      podSpecFieldRef: 'Disabled',
      podSpecNodeSelector: 'Disabled',
      podSpecRuntimeClassName: 'Disabled',
      podSpecSecurityContext: 'Disabled',
      podSpecShareProcessNamespace: 'Disabled',
      podSpecPriorityClassName: 'Disabled',
      podSpecSchedulerName: 'Disabled',
      podSpecTolerations: 'Disabled',
      podSpecInitContainers: 'Disabled',
      podSpecDNSPolicy: 'Disabled',
      podSpecDNSConfig: 'Disabled',
      podSpecHostIPC: 'Disabled',
      podSpecHostPID: 'Disabled',
      podSpecHostNetwork: 'Disabled',
      podSpecVolumesEmptyDir: 'Enabled',
      podSpecVolumesHostPath: 'Disabled',
      podSpecVolumesCSI: 'Disabled',
      podSpecVolumesImage: 'Disabled',
      podSpecVolumesEphemeral: 'Disabled',
      podSpecVolumesMountPropagation: 'Disabled',
      podSpecPersistentVolumeClaim: 'Disabled',
      podSpecPersistentVolumeWrite: 'Disabled',
      containerSpecAddCapabilities: 'Disabled',
      securePodDefaults: 'Disabled',
    },
    autoscaler: {
      podAutoscalerClass: 'kpa.autoscaling.knative.dev',
      enableScaleToZero: true,
      containerConcurrencyTargetFraction: 0.7,
      containerConcurrencyTargetDefault: 100,
      rpsTargetDefault: 200,
      targetBurstCapacity: 211,
      stableWindowSeconds: 60,
      panicWindowPercentage: 10,
      panicThresholdPercentage: 200,
      maxScaleUpRate: 1000,
      maxScaleDownRate: 2,
      scaleToZeroGracePeriodSeconds: 30,
      scaleToZeroPodRetentionPeriodSeconds: 0,
      scaleDownDelaySeconds: 0,
      activatorCapacity: 100,
      initialScale: 1,
      allowZeroInitialScale: false,
      minScale: 0,
      maxScale: 0,
      maxScaleLimit: 0,
    },
    gc: {
      retainSinceCreateTimeSeconds: 48 * 3600,
      retainSinceLastActiveTimeSeconds: 15 * 3600,
      minNonActiveRevisions: 20,
      maxNonActiveRevisions: 1000,
    },
    network: {
      domain: 'example.com',
      domainTemplate: '{{.Name}}.{{.Namespace}}.{{.Domain}}',
      tagTemplate: '{{.Tag}}-{{.Name}}',
      clusterDomain: 'cluster.local',
      defaultExternalScheme: 'http',
      rolloutDurationSeconds: 0,
      tagHeaderBasedRouting: false,
      autocreateClusterDomainClaims: false,
      externalDomainTLS: false,
      httpProtocol: 'Enabled',
      gatewayHttps: false,
    },
    deployment: {
      progressDeadlineSeconds: 600,
    },
  };
}

// ---------------------------------------------------------------------------
// Knative's configured Go templates, executed by the one text/template engine (src/gotemplate/).

function executeTemplate(name: string, tpl: string, data: GoStruct): string {
  return executeGoTemplate(parseGoTemplate(tpl, name), data);
}

/**
 * config-network domain-template on knative/networking pkg/config DomainTemplateValues
 * (Name, Namespace, Domain, Annotations, Labels). Throws GoTemplateError.
 */
export function renderDomainTemplate(tpl: string, values: {
  Name: string; Namespace: string; Domain: string; Annotations: Record<string, string>; Labels: Record<string, string>;
}): string {
  return executeTemplate('domain-template', tpl, new GoStruct('config.DomainTemplateValues', values));
}

/** config-network tag-template on knative/networking pkg/config TagTemplateValues (Name, Tag). */
export function renderTagTemplate(tpl: string, values: { Name: string; Tag: string }): string {
  return executeTemplate('tag-template', tpl, new GoStruct('config.TagTemplateValues', values));
}

/**
 * config-defaults container-name-template / init-container-name-template on the parent's ObjectMeta
 * (knative/serving pkg/apis/config/defaults.go UserContainerName). Throws GoTemplateError.
 */
export function renderContainerNameTemplate(key: 'container-name-template' | 'init-container-name-template', tpl: string, meta: {
  Name: string; Namespace: string; GenerateName: string; Labels: Record<string, string>; Annotations: Record<string, string>;
}): string {
  return executeTemplate(key, tpl, new GoStruct('v1.ObjectMeta', meta));
}

// ---------------------------------------------------------------------------
// Merging a user override (YAML: sections → ConfigMap-style kebab-case keys).

type Setter<T> = (c: T, raw: string) => void;

class ConfigValueError extends Error {}

function fail(message: string): never {
  throw new ConfigValueError(message);
}

function asBool(raw: string): boolean {
  return parseGoBool(raw) ?? fail(`invalid boolean ${JSON.stringify(raw)}`);
}

function asInt(raw: string, bits = 64): number {
  const v = parseGoInt(raw, bits);
  if (v === null) fail(`invalid integer ${JSON.stringify(raw)}`);
  if (v === 'range') fail(`integer ${raw} out of range`);
  return v;
}

function asFloat(raw: string): number {
  const v = parseGoFloat(raw);
  if (v === null || Number.isNaN(v)) fail(`invalid number ${JSON.stringify(raw)}`);
  return v;
}

function asDuration(raw: string): number {
  const ns = parseGoDuration(raw);
  if (ns === null) fail(`invalid duration ${JSON.stringify(raw)} (want a Go duration such as "60s" or "1h")`);
  return Number(ns) / 1e9;
}

function asQuantity(raw: string): string {
  if (parseQuantity(raw) === null) fail(`invalid quantity ${JSON.stringify(raw)}: ${QUANTITY_ERROR}`);
  return raw;
}

function asFlag(raw: string): FeatureFlag {
  switch (raw.toLowerCase()) {
    case 'enabled': return 'Enabled';
    case 'disabled': return 'Disabled';
    case 'allowed': return 'Allowed';
    default: return fail(`invalid feature flag ${JSON.stringify(raw)} (want Enabled, Disabled or Allowed)`);
  }
}

function durationOrDisabled(raw: string): number {
  return raw.toLowerCase() === 'disabled' ? GC_DISABLED : asDuration(raw);
}

const DEFAULTS_KEYS: Record<string, Setter<DefaultsConfig>> = {
  'revision-timeout-seconds': (c, v) => { c.revisionTimeoutSeconds = asInt(v); },
  'max-revision-timeout-seconds': (c, v) => { c.maxRevisionTimeoutSeconds = asInt(v); },
  'revision-response-start-timeout-seconds': (c, v) => { c.revisionResponseStartTimeoutSeconds = asInt(v); },
  'revision-idle-timeout-seconds': (c, v) => { c.revisionIdleTimeoutSeconds = asInt(v); },
  'container-name-template': (c, v) => { c.containerNameTemplate = v; },
  'init-container-name-template': (c, v) => { c.initContainerNameTemplate = v; },
  'container-concurrency': (c, v) => { c.containerConcurrency = asInt(v); },
  'container-concurrency-max-limit': (c, v) => { c.containerConcurrencyMaxLimit = asInt(v); },
  'allow-container-concurrency-zero': (c, v) => { c.allowContainerConcurrencyZero = asBool(v); },
  'enable-service-links': (c, v) => { c.enableServiceLinks = v.toLowerCase() === 'default' ? null : asBool(v); },
  'revision-cpu-request': (c, v) => { c.revisionCpuRequest = asQuantity(v); },
  'revision-memory-request': (c, v) => { c.revisionMemoryRequest = asQuantity(v); },
  'revision-ephemeral-storage-request': (c, v) => { c.revisionEphemeralStorageRequest = asQuantity(v); },
  'revision-cpu-limit': (c, v) => { c.revisionCpuLimit = asQuantity(v); },
  'revision-memory-limit': (c, v) => { c.revisionMemoryLimit = asQuantity(v); },
  'revision-ephemeral-storage-limit': (c, v) => { c.revisionEphemeralStorageLimit = asQuantity(v); },
};

const FEATURE_KEYS: Record<string, keyof Omit<FeaturesConfig, 'securePodDefaults'>> = {
  'multi-container': 'multiContainer',
  'multi-container-probing': 'multiContainerProbing',
  'kubernetes.podspec-affinity': 'podSpecAffinity',
  'kubernetes.podspec-topologyspreadconstraints': 'podSpecTopologySpreadConstraints',
  'kubernetes.podspec-hostaliases': 'podSpecHostAliases',
  'kubernetes.podspec-fieldref': 'podSpecFieldRef',
  'kubernetes.podspec-nodeselector': 'podSpecNodeSelector',
  'kubernetes.podspec-runtimeclassname': 'podSpecRuntimeClassName',
  'kubernetes.podspec-securitycontext': 'podSpecSecurityContext',
  'kubernetes.podspec-shareprocessnamespace': 'podSpecShareProcessNamespace',
  'kubernetes.podspec-priorityclassname': 'podSpecPriorityClassName',
  'kubernetes.podspec-schedulername': 'podSpecSchedulerName',
  'kubernetes.podspec-tolerations': 'podSpecTolerations',
  'kubernetes.podspec-init-containers': 'podSpecInitContainers',
  'kubernetes.podspec-dnspolicy': 'podSpecDNSPolicy',
  'kubernetes.podspec-dnsconfig': 'podSpecDNSConfig',
  'kubernetes.podspec-hostipc': 'podSpecHostIPC',
  'kubernetes.podspec-hostpid': 'podSpecHostPID',
  'kubernetes.podspec-hostnetwork': 'podSpecHostNetwork',
  'kubernetes.podspec-volumes-emptydir': 'podSpecVolumesEmptyDir',
  'kubernetes.podspec-volumes-hostpath': 'podSpecVolumesHostPath',
  'kubernetes.podspec-volumes-csi': 'podSpecVolumesCSI',
  'kubernetes.podspec-volumes-image': 'podSpecVolumesImage',
  'kubernetes.podspec-volumes-ephemeral': 'podSpecVolumesEphemeral',
  'kubernetes.podspec-volumes-mount-propagation': 'podSpecVolumesMountPropagation',
  'kubernetes.podspec-persistent-volume-claim': 'podSpecPersistentVolumeClaim',
  'kubernetes.podspec-persistent-volume-write': 'podSpecPersistentVolumeWrite',
  'kubernetes.containerspec-addcapabilities': 'containerSpecAddCapabilities',
};

const FEATURES_KEYS: Record<string, Setter<FeaturesConfig>> = {
  ...Object.fromEntries(Object.entries(FEATURE_KEYS).map(([k, prop]) =>
    [k, (c: FeaturesConfig, v: string) => { c[prop] = asFlag(v); }])),
  'secure-pod-defaults': (c, v) => {
    switch (v.toLowerCase()) {
      case 'enabled': c.securePodDefaults = 'Enabled'; break;
      case 'disabled': c.securePodDefaults = 'Disabled'; break;
      case 'allowrootbounded': c.securePodDefaults = 'AllowRootBounded'; break;
      default: fail(`invalid value ${JSON.stringify(v)} (want Enabled, Disabled or AllowRootBounded)`);
    }
  },
};

const AUTOSCALER_KEYS: Record<string, Setter<AutoscalerConfig>> = {
  'pod-autoscaler-class': (c, v) => { c.podAutoscalerClass = v; },
  'enable-scale-to-zero': (c, v) => { c.enableScaleToZero = asBool(v); },
  'container-concurrency-target-percentage': (c, v) => {
    const f = asFloat(v);
    // Values in (0, 1] are legacy fractions; anything larger is a percentage.
    c.containerConcurrencyTargetFraction = f > 1 ? f / 100 : f;
  },
  'container-concurrency-target-default': (c, v) => { c.containerConcurrencyTargetDefault = asFloat(v); },
  'requests-per-second-target-default': (c, v) => { c.rpsTargetDefault = asFloat(v); },
  'target-burst-capacity': (c, v) => { c.targetBurstCapacity = asFloat(v); },
  'stable-window': (c, v) => { c.stableWindowSeconds = asDuration(v); },
  'panic-window-percentage': (c, v) => { c.panicWindowPercentage = asFloat(v); },
  'panic-threshold-percentage': (c, v) => { c.panicThresholdPercentage = asFloat(v); },
  'max-scale-up-rate': (c, v) => { c.maxScaleUpRate = asFloat(v); },
  'max-scale-down-rate': (c, v) => { c.maxScaleDownRate = asFloat(v); },
  'scale-to-zero-grace-period': (c, v) => { c.scaleToZeroGracePeriodSeconds = asDuration(v); },
  'scale-to-zero-pod-retention-period': (c, v) => { c.scaleToZeroPodRetentionPeriodSeconds = asDuration(v); },
  'scale-down-delay': (c, v) => { c.scaleDownDelaySeconds = asDuration(v); },
  'activator-capacity': (c, v) => { c.activatorCapacity = asFloat(v); },
  'initial-scale': (c, v) => { c.initialScale = asInt(v, 32); },
  'allow-zero-initial-scale': (c, v) => { c.allowZeroInitialScale = asBool(v); },
  'min-scale': (c, v) => { c.minScale = asInt(v, 32); },
  'max-scale': (c, v) => { c.maxScale = asInt(v, 32); },
  'max-scale-limit': (c, v) => { c.maxScaleLimit = asInt(v, 32); },
};

const GC_KEYS: Record<string, Setter<GCConfig>> = {
  'retain-since-create-time': (c, v) => { c.retainSinceCreateTimeSeconds = durationOrDisabled(v); },
  'retain-since-last-active-time': (c, v) => { c.retainSinceLastActiveTimeSeconds = durationOrDisabled(v); },
  'min-non-active-revisions': (c, v) => { c.minNonActiveRevisions = asInt(v); },
  'max-non-active-revisions': (c, v) => {
    c.maxNonActiveRevisions = v.toLowerCase() === 'disabled' ? GC_DISABLED : asInt(v);
  },
};

const NETWORK_KEYS: Record<string, Setter<NetworkConfig>> = {
  'domain': (c, v) => { c.domain = v; },
  'domain-template': (c, v) => { c.domainTemplate = v; },
  'tag-template': (c, v) => { c.tagTemplate = v; },
  'cluster-domain': (c, v) => { c.clusterDomain = v; },
  'default-external-scheme': (c, v) => { c.defaultExternalScheme = v; },
  'rollout-duration': (c, v) => {
    // config-network stores whole seconds; a Go duration is accepted too.
    const n = parseGoInt(v);
    c.rolloutDurationSeconds = typeof n === 'number' ? n : asDuration(v);
  },
  'autocreate-cluster-domain-claims': (c, v) => { c.autocreateClusterDomainClaims = asBool(v); },
  // knative/networking pkg/config: external-domain-tls is Enabled/Disabled (case-insensitive).
  'external-domain-tls': (c, v) => {
    const s = v.toLowerCase();
    if (s !== 'enabled' && s !== 'disabled') fail(`external-domain-tls must be "Enabled" or "Disabled", was: ${JSON.stringify(v)}`);
    c.externalDomainTLS = s === 'enabled';
  },
  // knative/networking pkg/config HTTPProtocol: Enabled or Redirected (knit has no plain-HTTP-off mode).
  'http-protocol': (c, v) => {
    const s = v.toLowerCase();
    if (s === 'enabled') c.httpProtocol = 'Enabled';
    else if (s === 'redirected') c.httpProtocol = 'Redirected';
    else fail(`httpProtocol ${v} in config-network ConfigMap is not supported`);
  },
  'tag-header-based-routing': (c, v) => {
    const s = v.toLowerCase();
    c.tagHeaderBasedRouting = s === 'enabled' ? true : s === 'disabled' ? false : asBool(v);
  },
};

const DEPLOYMENT_KEYS: Record<string, Setter<DeploymentConfig>> = {
  'progress-deadline': (c, v) => { c.progressDeadlineSeconds = asDuration(v); },
};

/** Section name → its key table; also the list of allowed top-level keys. */
const SECTIONS = {
  defaults: DEFAULTS_KEYS,
  features: FEATURES_KEYS,
  autoscaler: AUTOSCALER_KEYS,
  gc: GC_KEYS,
  network: NETWORK_KEYS,
  deployment: DEPLOYMENT_KEYS,
} as const;

/** The ConfigMap-style keys accepted in each section of a config override. */
export const CONFIG_KEYS: Readonly<Record<keyof ServingConfig, readonly string[]>> = {
  defaults: Object.keys(DEFAULTS_KEYS),
  features: Object.keys(FEATURES_KEYS),
  autoscaler: Object.keys(AUTOSCALER_KEYS),
  gc: Object.keys(GC_KEYS),
  network: Object.keys(NETWORK_KEYS),
  deployment: Object.keys(DEPLOYMENT_KEYS),
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalarToString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return null;
}

/**
 * Applies a user override (parsed YAML/JSON: `{defaults: {...}, autoscaler: {"stable-window": "60s"}, ...}`)
 * on top of `base` and returns a new config. Throws an Error listing every bad key or value.
 */
export function mergeServingConfig(base: ServingConfig, partial: unknown): ServingConfig {
  const cfg = structuredClone(base);
  if (partial === null || partial === undefined) return cfg;
  if (!isPlainObject(partial)) throw new Error(`config: expected a mapping with sections ${Object.keys(SECTIONS).join(', ')}`);
  const problems: string[] = [];
  let responseStartSet = false;
  for (const [section, body] of Object.entries(partial)) {
    if (!Object.hasOwn(SECTIONS, section)) {
      problems.push(`unknown section ${JSON.stringify(section)} (want one of ${Object.keys(SECTIONS).join(', ')})`);
      continue;
    }
    if (body === null || body === undefined) continue;
    if (!isPlainObject(body)) {
      problems.push(`${section}: expected a mapping of keys to values`);
      continue;
    }
    const table = SECTIONS[section as keyof typeof SECTIONS] as Record<string, Setter<unknown>>;
    const target = cfg[section as keyof ServingConfig];
    for (const [key, value] of Object.entries(body)) {
      if (!Object.hasOwn(table, key)) {
        problems.push(`${section}: unknown key ${JSON.stringify(key)}`);
        continue;
      }
      const raw = scalarToString(value);
      if (raw === null) {
        problems.push(`${section}.${key}: expected a string, number or boolean`);
        continue;
      }
      try {
        table[key](target, raw.trim());
        if (section === 'defaults' && key === 'revision-response-start-timeout-seconds') responseStartSet = true;
      } catch (e) {
        if (!(e instanceof ConfigValueError)) throw e;
        problems.push(`${section}.${key}: ${e.message}`);
      }
    }
  }
  // Knative defaults the response-start timeout to the revision timeout.
  if (!responseStartSet && isPlainObject(partial.defaults) && 'revision-timeout-seconds' in partial.defaults) {
    cfg.defaults.revisionResponseStartTimeoutSeconds = cfg.defaults.revisionTimeoutSeconds;
  }
  if (problems.length === 0) problems.push(...validateServingConfig(cfg));
  if (problems.length > 0) throw new Error(`config: ${problems.join('; ')}`);
  return cfg;
}

const fmtSecs = (s: number): string => formatGoDuration(BigInt(Math.round(s * 1e9)));

/** Cross-field checks Knative applies when loading each ConfigMap; returns the problems found. */
export function validateServingConfig(cfg: ServingConfig): string[] {
  const p: string[] = [];
  const d = cfg.defaults;
  if (d.revisionTimeoutSeconds > d.maxRevisionTimeoutSeconds) {
    p.push(`defaults: revision-timeout-seconds (${d.revisionTimeoutSeconds}) cannot be greater than max-revision-timeout-seconds (${d.maxRevisionTimeoutSeconds})`);
  }
  if (d.revisionResponseStartTimeoutSeconds > 0 && d.revisionResponseStartTimeoutSeconds > d.revisionTimeoutSeconds) {
    p.push(`defaults: revision-response-start-timeout-seconds (${d.revisionResponseStartTimeoutSeconds}) cannot be greater than revision-timeout-seconds (${d.revisionTimeoutSeconds})`);
  }
  if (d.revisionIdleTimeoutSeconds > 0 && d.revisionIdleTimeoutSeconds > d.revisionTimeoutSeconds) {
    p.push(`defaults: revision-idle-timeout-seconds (${d.revisionIdleTimeoutSeconds}) cannot be greater than revision-timeout-seconds (${d.revisionTimeoutSeconds})`);
  }
  if (d.containerConcurrencyMaxLimit < 1) {
    p.push(`defaults: container-concurrency-max-limit = ${d.containerConcurrencyMaxLimit}, must be at least 1`);
  }
  if (d.containerConcurrency < 0 || d.containerConcurrency > d.containerConcurrencyMaxLimit) {
    p.push(`defaults: container-concurrency = ${d.containerConcurrency}, must be in [0, ${d.containerConcurrencyMaxLimit}] (container-concurrency-max-limit)`);
  }
  for (const [key, tpl] of [['container-name-template', d.containerNameTemplate], ['init-container-name-template', d.initContainerNameTemplate]] as const) {
    try {
      renderContainerNameTemplate(key, tpl, { Name: 'foo', Namespace: 'bar', GenerateName: '', Labels: {}, Annotations: {} });
    } catch (e) {
      p.push(`defaults: ${key}: ${(e as Error).message}`);
    }
  }

  const a = cfg.autoscaler;
  if (a.scaleToZeroGracePeriodSeconds <= 0) p.push(`autoscaler: scale-to-zero-grace-period must be positive, was: ${fmtSecs(a.scaleToZeroGracePeriodSeconds)}`);
  if (a.scaleToZeroPodRetentionPeriodSeconds < 0) p.push(`autoscaler: scale-to-zero-pod-retention-period cannot be negative, was: ${fmtSecs(a.scaleToZeroPodRetentionPeriodSeconds)}`);
  if (a.scaleDownDelaySeconds < 0) p.push(`autoscaler: scale-down-delay cannot be negative, was: ${fmtSecs(a.scaleDownDelaySeconds)}`);
  if (!Number.isInteger(a.scaleDownDelaySeconds)) p.push(`autoscaler: scale-down-delay = ${fmtSecs(a.scaleDownDelaySeconds)}, must be specified with at most second precision`);
  if (a.targetBurstCapacity < 0 && a.targetBurstCapacity !== -1) p.push(`autoscaler: target-burst-capacity must be either non-negative or -1 (for unlimited), was: ${a.targetBurstCapacity}`);
  if (a.containerConcurrencyTargetFraction <= 0 || a.containerConcurrencyTargetFraction > 1) {
    p.push(`autoscaler: container-concurrency-target-percentage = ${a.containerConcurrencyTargetFraction * 100} is outside of valid range of (0, 100]`);
  } else if (a.containerConcurrencyTargetFraction * a.containerConcurrencyTargetDefault < 0.01) {
    p.push('autoscaler: container-concurrency-target-percentage and container-concurrency-target-default yield target concurrency below 0.01');
  }
  if (a.rpsTargetDefault < 0.01) p.push(`autoscaler: requests-per-second-target-default must be at least 0.01, was ${a.rpsTargetDefault}`);
  if (a.activatorCapacity < 1) p.push(`autoscaler: activator-capacity = ${a.activatorCapacity}, must be at least 1`);
  if (a.maxScaleUpRate <= 1) p.push(`autoscaler: max-scale-up-rate = ${a.maxScaleUpRate}, must be greater than 1.0`);
  if (a.maxScaleDownRate <= 1) p.push(`autoscaler: max-scale-down-rate = ${a.maxScaleDownRate}, must be greater than 1.0`);
  if (a.stableWindowSeconds < 6 || a.stableWindowSeconds > 3600) p.push(`autoscaler: stable-window = ${fmtSecs(a.stableWindowSeconds)}, must be in [6s; 1h0m0s] range`);
  else if (!Number.isInteger(a.stableWindowSeconds)) p.push(`autoscaler: stable-window = ${fmtSecs(a.stableWindowSeconds)}, must be specified with at most second precision`);
  // knative/serving pkg/autoscaler/config/config.go validate: the percentage alone, in [PanicWindowPercentageMin,
  // PanicWindowPercentageMax]; the panic window's length is kept at one bucket at least when it is built.
  if (!(a.panicWindowPercentage >= 1 && a.panicWindowPercentage <= 100)) {
    p.push(`autoscaler: panic-window-percentage = ${a.panicWindowPercentage}, must be in [1, 100] interval`);
  }
  if (a.initialScale < 0 || (a.initialScale === 0 && !a.allowZeroInitialScale)) {
    p.push(`autoscaler: initial-scale = ${a.initialScale}, must be at least 0 (or at least 1 when allow-zero-initial-scale is false)`);
  }
  if (a.maxScaleLimit < 0) p.push(`autoscaler: max-scale-limit = ${a.maxScaleLimit}, must be at least 0`);
  if (a.minScale < 0) p.push(`autoscaler: min-scale = ${a.minScale}, must be at least 0`);
  if (a.maxScale < 0 || (a.maxScaleLimit > 0 && (a.maxScale < 1 || a.maxScale > a.maxScaleLimit))) {
    p.push(`autoscaler: max-scale = ${a.maxScale}, must be in [${a.maxScaleLimit > 0 ? 1 : 0}, ${a.maxScaleLimit > 0 ? a.maxScaleLimit : 'max-scale-limit'}] range`);
  }
  if (a.maxScale > 0 && a.minScale > a.maxScale) p.push(`autoscaler: min-scale (${a.minScale}) must be less than max-scale (${a.maxScale})`);

  const g = cfg.gc;
  if (g.minNonActiveRevisions < 0) p.push(`gc: min-non-active-revisions must be non-negative, was: ${g.minNonActiveRevisions}`);
  if (g.maxNonActiveRevisions < GC_DISABLED) p.push(`gc: max-non-active-revisions must be non-negative or "disabled", was: ${g.maxNonActiveRevisions}`);
  if (g.maxNonActiveRevisions >= 0 && g.minNonActiveRevisions > g.maxNonActiveRevisions) {
    p.push(`gc: max-non-active-revisions(${g.maxNonActiveRevisions}) must be >= min-non-active-revisions(${g.minNonActiveRevisions})`);
  }
  for (const [key, v] of [['retain-since-create-time', g.retainSinceCreateTimeSeconds], ['retain-since-last-active-time', g.retainSinceLastActiveTimeSeconds]] as const) {
    if (v < 0 && v !== GC_DISABLED) p.push(`gc: ${key} must be non-negative or "disabled", was: ${fmtSecs(v)}`);
  }

  const n = cfg.network;
  if (n.rolloutDurationSeconds < 0) p.push(`network: rollout-duration must be non-negative, was: ${n.rolloutDurationSeconds}`);
  if (n.domain === '') p.push('network: domain must not be empty');
  if (n.clusterDomain === '') p.push('network: cluster-domain must not be empty');
  if (n.defaultExternalScheme !== 'http' && n.defaultExternalScheme !== 'https') {
    p.push(`network: default-external-scheme must be "http" or "https", was: ${JSON.stringify(n.defaultExternalScheme)}`);
  }
  try {
    // knative/networking pkg/config checkDomainTemplate: the result must be a host without a path.
    const host = renderDomainTemplate(n.domainTemplate, { Name: 'foo', Namespace: 'bar', Domain: 'baz.com', Annotations: {}, Labels: {} });
    const url = new URL(`https://${host}`);
    if (url.hostname === '') p.push('network: domain-template: empty hostname');
    else if (`${url.pathname}${url.search}` !== '/') p.push(`network: domain-template has url path: ${url.pathname}${url.search}`);
  } catch (e) {
    p.push(`network: domain-template: ${(e as Error).message}`);
  }
  try {
    renderTagTemplate(n.tagTemplate, { Name: 'foo', Tag: 'v2' });
  } catch (e) {
    p.push(`network: tag-template: ${(e as Error).message}`);
  }
  const dl = cfg.deployment.progressDeadlineSeconds;
  if (dl <= 0) p.push(`deployment: progress-deadline must be positive, was: ${fmtSecs(dl)}`);
  else if (!Number.isInteger(dl)) p.push(`deployment: progress-deadline = ${fmtSecs(dl)}, must be specified with at most second precision`);
  return p;
}
