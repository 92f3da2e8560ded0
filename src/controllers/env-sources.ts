// A container's environment as the kubelet builds it when it starts the container: envFrom, then env
// (literal values, Secret and ConfigMap keys, downward-API fields), in null-prototype objects so that
// any name (`__proto__` too) reaches the instance.

import type { Container } from '../api/types.ts';

/** The data of the Secrets and ConfigMaps of one namespace, decoded (a Secret's `data` is base64). */
export interface EnvSourceLookup {
  secret(name: string): Record<string, string> | undefined;
  configMap(name: string): Record<string, string> | undefined;
}

/** A downward-API field's value, or an Error the kubelet would report (`unsupported fieldPath: …`). */
export type FieldValue = (fieldPath: string) => string | Error;

/** The resolved environment, or why the container cannot be created (the pod's waiting state). */
export type EnvResolution =
  | { ok: true; env: Record<string, string>; warnings: string[] }
  | { ok: false; reason: 'CreateContainerConfigError'; message: string };

/** A null-prototype string map: assigning `__proto__` defines a variable instead of a prototype. */
export function envObject(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** k8s.io/apimachinery pkg/util/validation validation.go IsEnvVarName (envVarNameFmt). */
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** True if `name` is an environment variable name the kubelet takes from envFrom. */
export function isEnvVarName(name: string): boolean {
  return ENV_VAR_NAME.test(name);
}

/** A Secret's `data` decoded as the kubelet reads it (`string(secret.Data[k])`); `stringData` is merged into data on write. */
export function decodeSecretData(data: Record<string, unknown> | undefined): Record<string, string> {
  const out = envObject();
  for (const [k, v] of Object.entries(data ?? {})) if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

/** A ConfigMap's `data` (the kubelet reads `data` only, never `binaryData`, for env). */
export function configMapData(data: Record<string, unknown> | undefined): Record<string, string> {
  const out = envObject();
  for (const [k, v] of Object.entries(data ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

function has(o: Record<string, string>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/**
 * kubernetes pkg/kubelet/kubelet_pods.go makeEnvironmentVariables for one container: every envFrom
 * source first (prefix, invalid names skipped with the kubelet's InvalidEnvironmentVariableNames
 * message), then `env` in order, which wins. A missing object or key that is not optional fails
 * with the kubelet's message; an optional one leaves the variable unset. Values are never part of a
 * message. (knit does not expand `$(VAR)` references in values.)
 */
export function resolveContainerEnv(c: Container, namespace: string, lookup: EnvSourceLookup, field: FieldValue): EnvResolution {
  const env = envObject();
  const warnings: string[] = [];
  const secrets = new Map<string, Record<string, string> | undefined>();
  const configMaps = new Map<string, Record<string, string> | undefined>();
  const secret = (name: string): Record<string, string> | undefined => {
    if (!secrets.has(name)) secrets.set(name, lookup.secret(name));
    return secrets.get(name);
  };
  const configMap = (name: string): Record<string, string> | undefined => {
    if (!configMaps.has(name)) configMaps.set(name, lookup.configMap(name));
    return configMaps.get(name);
  };
  const fail = (message: string): EnvResolution => ({ ok: false, reason: 'CreateContainerConfigError', message });

  for (const from of c.envFrom ?? []) {
    const isSecret = !!from.secretRef;
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const name = ref.name ?? '';
    const data = isSecret ? secret(name) : configMap(name);
    if (!data) {
      if (ref.optional) continue;
      // The kubelet's watch-based managers report apierrors.NewNotFound({Resource: "secret"|"configmap"}, name).
      return fail(`${isSecret ? 'secret' : 'configmap'} "${name}" not found`);
    }
    const invalid: string[] = [];
    for (const [k, v] of Object.entries(data)) {
      const key = (from.prefix ?? '') + k;
      if (!isEnvVarName(key)) invalid.push(key);
      else env[key] = v;
    }
    if (invalid.length > 0) {
      invalid.sort();
      warnings.push(`Keys [${invalid.join(', ')}] from the EnvFrom ${isSecret ? 'secret' : 'configMap'} ${namespace}/${name} were skipped since they are considered invalid environment variable names.`);
    }
  }

  for (const e of c.env ?? []) {
    let value = e.value ?? '';
    if (value === '' && e.valueFrom) {
      const vf = e.valueFrom;
      if (vf.fieldRef) {
        const v = field(vf.fieldRef.fieldPath ?? '');
        if (v instanceof Error) return fail(v.message);
        value = v;
      } else if (vf.secretKeyRef || vf.configMapKeyRef) {
        const isSecret = !!vf.secretKeyRef;
        const ref = (vf.secretKeyRef ?? vf.configMapKeyRef)!;
        const data = isSecret ? secret(ref.name ?? '') : configMap(ref.name ?? '');
        if (!data) {
          if (ref.optional) continue;
          return fail(`${isSecret ? 'secret' : 'configmap'} "${ref.name ?? ''}" not found`);
        }
        if (!has(data, ref.key ?? '')) {
          if (ref.optional) continue;
          return fail(`couldn't find key ${ref.key ?? ''} in ${isSecret ? 'Secret' : 'ConfigMap'} ${namespace}/${ref.name ?? ''}`);
        }
        value = data[ref.key ?? ''];
      } else if (vf.resourceFieldRef) {
        // knit does not project container resources into env yet: the variable stays unset.
        continue;
      }
    }
    env[e.name] = value;
  }
  return { ok: true, env, warnings };
}

/** The pod a downward-API fieldRef reads (knit's projected pod, see fieldValues). */
export interface PodFields {
  name: string;
  namespace: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeName: string;
  serviceAccountName: string;
  hostIP: string;
  podIP: string;
}

/** k8s.io/kubernetes pkg/fieldpath fieldpath.go FormatMap: `k="v"` lines, sorted by key. */
function formatMap(m: Record<string, string>): string {
  return Object.keys(m).sort().map((k) => `${k}=${JSON.stringify(m[k])}`).join('\n');
}

/**
 * kubelet_pods.go podFieldSelectorRuntimeValue and pkg/fieldpath ExtractFieldPathAsString over `pod`:
 * the downward-API fields env may read.
 */
export function fieldValues(pod: PodFields): FieldValue {
  return (path) => {
    const sub = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
    if (sub) {
      const m = sub[1] === 'labels' ? pod.labels : pod.annotations;
      return has(m, sub[2]) ? m[sub[2]] : '';
    }
    switch (path) {
      case 'metadata.name': return pod.name;
      case 'metadata.namespace': return pod.namespace;
      case 'metadata.uid': return pod.uid;
      case 'metadata.labels': return formatMap(pod.labels);
      case 'metadata.annotations': return formatMap(pod.annotations);
      case 'spec.nodeName': return pod.nodeName;
      case 'spec.serviceAccountName': return pod.serviceAccountName;
      case 'status.hostIP': case 'status.hostIPs': return pod.hostIP;
      case 'status.podIP': case 'status.podIPs': return pod.podIP;
      default: return new Error(`unsupported fieldPath: ${path}`);
    }
  };
}
