// Object builders for the reconciler tables: Services, Configurations, Revisions and Routes in
// namespace `default`, with the labels and owner references their parents give them.

import { API_VERSION, LABEL, type Condition, type TrafficTarget } from '../../src/api/types.ts';
import type { Obj } from './table.ts';

export const NS = 'default';
export const SPEC = { containers: [{ image: 'ko://app' }] };

/** An owner reference with `controller: true` (the uid is a row uid). */
export function ownedBy(kind: string, name: string, uid: string): { apiVersion: string; kind: string; name: string; uid: string; controller: boolean; blockOwnerDeletion: boolean } {
  return { apiVersion: API_VERSION, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

interface Meta {
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: ReturnType<typeof ownedBy>[];
}

function meta(name: string, m: Meta): Obj['metadata'] {
  const out: Obj['metadata'] = { name, namespace: NS };
  if (m.uid) out.uid = m.uid;
  if (m.generation) out.generation = m.generation;
  if (m.labels) out.labels = m.labels;
  if (m.annotations) out.annotations = m.annotations;
  if (m.ownerReferences) out.ownerReferences = m.ownerReferences;
  return out;
}

export interface StatusOf {
  observedGeneration?: number;
  conditions?: Condition[];
  [k: string]: unknown;
}

export function service(name: string, o: Meta & { templateName?: string; spec?: unknown; traffic?: TrafficTarget[]; status?: StatusOf } = {}): Obj {
  const template: Record<string, unknown> = { spec: o.spec ?? SPEC };
  if (o.templateName) template.metadata = { name: o.templateName };
  return {
    apiVersion: API_VERSION,
    kind: 'Service',
    metadata: meta(name, { uid: `uid-svc-${name}`, ...o }),
    spec: { template, traffic: o.traffic ?? [{ latestRevision: true, percent: 100 }] },
    ...(o.status ? { status: o.status } : {}),
  };
}

export function configuration(name: string, o: Meta & { templateName?: string; spec?: unknown; status?: StatusOf } = {}): Obj {
  const template: Record<string, unknown> = { spec: o.spec ?? SPEC };
  if (o.templateName) template.metadata = { name: o.templateName };
  return {
    apiVersion: API_VERSION,
    kind: 'Configuration',
    metadata: meta(name, { uid: `uid-cfg-${name}`, ...o }),
    spec: { template },
    ...(o.status ? { status: o.status } : {}),
  };
}

/** The Configuration `name` a Service `name` owns, in sync with `service(name, ...)`. */
export function ownedConfiguration(name: string, o: Meta & { templateName?: string; spec?: unknown; status?: StatusOf } = {}): Obj {
  return configuration(name, {
    labels: { [LABEL.service]: name, [LABEL.serviceUID]: `uid-svc-${name}` },
    annotations: { 'serving.knative.dev/routes': name },
    ownerReferences: [ownedBy('Service', name, `uid-svc-${name}`)],
    ...o,
  });
}

/** Revision `config-0000<gen>` (or `name`) of a configuration. */
export function revision(config: string, gen: number, o: Meta & { name?: string; service?: string; spec?: unknown; status?: StatusOf; routingState?: string } = {}): Obj {
  const name = o.name ?? `${config}-${String(gen).padStart(5, '0')}`;
  const labels: Record<string, string> = {
    [LABEL.configuration]: config,
    [LABEL.configurationGeneration]: String(gen),
    [LABEL.service]: o.service ?? '',
    [LABEL.routingState]: o.routingState ?? 'active',
    ...o.labels,
  };
  return {
    apiVersion: API_VERSION,
    kind: 'Revision',
    metadata: meta(name, { uid: `uid-rev-${name}`, ownerReferences: [ownedBy('Configuration', config, `uid-cfg-${config}`)], ...o, labels }),
    spec: o.spec ?? SPEC,
    ...(o.status ? { status: o.status } : {}),
  };
}

export function route(name: string, o: Meta & { traffic?: TrafficTarget[]; status?: StatusOf } = {}): Obj {
  return {
    apiVersion: API_VERSION,
    kind: 'Route',
    metadata: meta(name, { uid: `uid-route-${name}`, ...o }),
    spec: { traffic: o.traffic ?? [{ configurationName: name, latestRevision: true, percent: 100 }] },
    ...(o.status ? { status: o.status } : {}),
  };
}

/** The Route `name` a Service `name` owns, in sync with `service(name)`'s default traffic. */
export function ownedRoute(name: string, o: Meta & { traffic?: TrafficTarget[]; status?: StatusOf } = {}): Obj {
  return route(name, {
    labels: { [LABEL.service]: name },
    ownerReferences: [ownedBy('Service', name, `uid-svc-${name}`)],
    traffic: [{ latestRevision: true, percent: 100, configurationName: name }],
    ...o,
  });
}
