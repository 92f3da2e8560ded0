// Revision and RevisionSpec defaults (knative/serving pkg/apis/serving/v1/revision_defaults.go): timeouts,
// container concurrency, container names, resources, probes, read-only mounts and secure-pod-defaults.

import { childName } from './child-name.ts';
import { renderContainerNameTemplate } from './config.ts';
import type { ServingConfig } from './config.ts';
import type { DefaultingContext } from './defaults.ts';
import { objAt, unset } from './metadata-defaults.ts';
import { isObj, type Obj } from './shape-check.ts';
import type { ObjectMeta, Probe, Revision, RevisionSpec } from './types.ts';

/** SetDefaults for a Revision: spec defaults on create only (the spec is immutable). Mutates and returns `rev`. */
export function defaultRevision(rev: Revision, ctx: DefaultingContext<Revision>): Revision {
  if (!isObj(rev) || ctx.op === 'update') return rev;
  const spec = objAt(rev as unknown as Obj, 'spec');
  if (spec) defaultRevisionSpec(spec as unknown as RevisionSpec, ctx.config, ctx.op);
  return rev;
}

/**
 * RevisionSpec.SetDefaults: timeouts, containerConcurrency, container names, resources, the serving
 * container's readiness probe, enableServiceLinks (create only), read-only mounts and secure-pod-defaults.
 * `parent` is the owning Service/Configuration metadata the container-name template may refer to.
 */
export function defaultRevisionSpec(
  rs: RevisionSpec, config: ServingConfig, op: 'create' | 'update', parent: ObjectMeta = {},
): RevisionSpec {
  if (!isObj(rs)) return rs;
  const d = config.defaults;
  const raw = rs as unknown as Obj;

  if (unset(raw.timeoutSeconds) || raw.timeoutSeconds === 0) rs.timeoutSeconds = d.revisionTimeoutSeconds;
  const timeout = typeof rs.timeoutSeconds === 'number' ? rs.timeoutSeconds : d.revisionTimeoutSeconds;
  if (unset(raw.responseStartTimeoutSeconds) && d.revisionResponseStartTimeoutSeconds !== 0
    && d.revisionResponseStartTimeoutSeconds < timeout) {
    rs.responseStartTimeoutSeconds = d.revisionResponseStartTimeoutSeconds;
  }
  if (unset(raw.idleTimeoutSeconds) && d.revisionIdleTimeoutSeconds !== 0 && d.revisionIdleTimeoutSeconds < timeout) {
    rs.idleTimeoutSeconds = d.revisionIdleTimeoutSeconds;
  }
  if (unset(raw.containerConcurrency)) rs.containerConcurrency = d.containerConcurrency;

  const containers = objectsIn(raw.containers);
  const initContainers = objectsIn(raw.initContainers);
  const taken = new Set<string>();
  for (const c of [...containers, ...initContainers]) if (typeof c.name === 'string') taken.add(c.name);
  const tplValues = {
    Name: parent.name ?? '', Namespace: parent.namespace ?? '', GenerateName: parent.generateName ?? '',
    Labels: parent.labels ?? {}, Annotations: parent.annotations ?? {},
  };
  applyDefaultContainerNames(containers, taken, templateOr('container-name-template', d.containerNameTemplate, tplValues, 'user-container'));
  applyDefaultContainerNames(initContainers, taken, templateOr('init-container-name-template', d.initContainerNameTemplate, tplValues, 'init-container'));

  const writable = new Set<string>();
  for (const v of objectsIn(raw.volumes)) {
    if (typeof v.name === 'string' && (isObj(v.emptyDir) || isObj(v.persistentVolumeClaim) || isObj(v.ephemeral))) writable.add(v.name);
  }
  for (const c of containers) {
    applyResourceDefaults(c, config);
    // The default probe goes to the serving container: the only one, or the one declaring a port; a
    // sidecar's own readiness probe gets the same defaults (revision_defaults.go applyReadinessProbeDefaults).
    if (containers.length === 1 || (Array.isArray(c.ports) && c.ports.length > 0)) applyProbeDefaults(c);
    else if (isObj(c.readinessProbe)) applyProbeDefaults(c, false);
  }
  for (const c of [...containers, ...initContainers]) {
    for (const m of objectsIn(c.volumeMounts)) {
      if (typeof m.name === 'string' && !writable.has(m.name)) m.readOnly = true;
    }
  }
  if (unset(raw.enableServiceLinks) && op === 'create' && d.enableServiceLinks !== null) {
    rs.enableServiceLinks = d.enableServiceLinks;
  }
  if (config.features.securePodDefaults !== 'Disabled') {
    const psc = isObj(raw.securityContext) ? raw.securityContext : {};
    for (const c of [...containers, ...initContainers]) applySecureDefaults(c, psc, config.features.securePodDefaults === 'Enabled');
  }
  return rs;
}

function objectsIn(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

function templateOr(
  key: Parameters<typeof renderContainerNameTemplate>[0], tpl: string, values: Parameters<typeof renderContainerNameTemplate>[2], fallback: string,
): string {
  try {
    return renderContainerNameTemplate(key, tpl, values);
  } catch {
    return fallback;
  }
}

/** Empty names get the template name; with several containers (or a clash) a -N suffix, skipping used names. */
function applyDefaultContainerNames(containers: Obj[], taken: Set<string>, base: string): void {
  let next = 0;
  for (const c of containers) {
    if (!unset(c.name) && c.name !== '') continue;
    let name = base;
    if (containers.length > 1 || taken.has(name)) {
      do {
        name = childName(base, `-${next}`);
        next++;
      } while (taken.has(name));
    }
    c.name = name;
    taken.add(name);
  }
}

function applyResourceDefaults(c: Obj, config: ServingConfig): void {
  const d = config.defaults;
  const wanted: [string, 'requests' | 'limits', string | null][] = [
    ['cpu', 'requests', d.revisionCpuRequest], ['cpu', 'limits', d.revisionCpuLimit],
    ['memory', 'requests', d.revisionMemoryRequest], ['memory', 'limits', d.revisionMemoryLimit],
    ['ephemeral-storage', 'requests', d.revisionEphemeralStorageRequest],
    ['ephemeral-storage', 'limits', d.revisionEphemeralStorageLimit],
  ];
  for (const [resource, kind, value] of wanted) {
    if (value === null) continue;
    const resources = objAt(c, 'resources');
    const list = resources && objAt(resources, kind);
    if (list && unset(list[resource])) list[resource] = value;
  }
}

function applyProbeDefaults(c: Obj, serving = true): void {
  const probe = objAt(c, 'readinessProbe') as Probe | null;
  if (!probe) return;
  if (serving && unset(probe.tcpSocket) && unset(probe.httpGet) && unset(probe.exec) && unset(probe.grpc)) probe.tcpSocket = { port: 0 }; // Go serialises the zero IntOrString as port: 0
  if (unset(probe.successThreshold) || probe.successThreshold === 0) probe.successThreshold = 1;
  // Kubernetes' defaults apply only to ordinary probes; periodSeconds 0 selects Knative's aggressive probing.
  if (!unset(probe.periodSeconds) && probe.periodSeconds !== 0) {
    if (unset(probe.failureThreshold) || probe.failureThreshold === 0) probe.failureThreshold = 3;
    if (unset(probe.timeoutSeconds) || probe.timeoutSeconds === 0) probe.timeoutSeconds = 1;
  }
  for (const p of [probe, c.livenessProbe, c.startupProbe]) {
    if (isObj(p) && isObj(p.grpc) && unset(p.grpc.service)) p.grpc.service = '';
  }
}

function applySecureDefaults(c: Obj, psc: Obj, runAsNonRoot: boolean): void {
  const sc = objAt(c, 'securityContext');
  if (!sc) return;
  if (unset(sc.allowPrivilegeEscalation)) sc.allowPrivilegeEscalation = false;
  const podSeccomp = isObj(psc.seccompProfile) ? psc.seccompProfile.type : undefined;
  if (unset(podSeccomp) || podSeccomp === '') {
    const sp = objAt(sc, 'seccompProfile');
    if (sp && (unset(sp.type) || sp.type === '')) sp.type = 'RuntimeDefault';
  }
  if (unset(sc.capabilities)) {
    const caps: Obj = { drop: ['ALL'] };
    const lowPort = objectsIn(c.ports).some((p) => typeof p.containerPort === 'number' && p.containerPort > 0 && p.containerPort < 1024);
    if (lowPort) caps.add = ['NET_BIND_SERVICE'];
    sc.capabilities = caps;
  }
  if (runAsNonRoot && unset(psc.runAsNonRoot) && unset(sc.runAsNonRoot)) sc.runAsNonRoot = true;
}
