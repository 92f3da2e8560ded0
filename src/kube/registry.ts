// The registry of kinds knit serves: one entry per kind drives discovery, OpenAPI, Table output and (once wired) REST routing.
//
// Exported entry points:
//   - `KINDS`: every entry (Knative's serving.knative.dev/v1 kinds from their CRDs in ./schemas/, and
//     Kubernetes' core/v1, apps/v1, events.k8s.io/v1 and authorization.k8s.io/v1 kinds).
//   - `registry` (a `KindRegistry` over `KINDS`): `lookup(group, version, name)` finds a kind by
//     resource, singular, short name or kind (as kubectl's RESTMapper does, case-insensitive);
//     `byResource`, `byKind`, `groupVersions()`, `forGroupVersion()`.
// The API server routes `/api/v1/…` and `/apis/GROUP/VERSION/…` through `registry.byResource(…)`; an
// entry's `storage` says whether the store holds it (`stored`) or knit computes it from its own state
// (`projected`: read-only views with verbs get, list, watch, and the access reviews, answered on
// create and never kept). `verbs` is what discovery advertises and what the router should allow.
// Adding a kind is one entry here (plus its reconciler or projection).

import { createHash } from 'node:crypto';
import { CORE_DEFINITIONS, TOP_LEVEL_DOCS, type Schema } from './core-schemas.ts';
import { knativeCrd } from './crds.ts';
import { CORE_PRINTERS, crdPrinter, type Printer } from './printers.ts';

/** A subresource as discovery lists it (`pods/log`, `deployments/scale`). */
export interface Subresource {
  name: string;
  kind: string;
  verbs: readonly string[];
  /** Set when the subresource's kind lives in another group-version (autoscaling/v1 Scale). */
  group?: string;
  version?: string;
}

/** One kind knit serves. */
export interface KindInfo {
  group: string;
  version: string;
  /** `v1` for the core group, else `group/version`. */
  groupVersion: string;
  /** The plural resource name used in URLs. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: readonly string[];
  categories: readonly string[];
  namespaced: boolean;
  verbs: readonly string[];
  subresources: readonly Subresource[];
  /** `stored`: kept in the store; `projected`: computed from knit's state, never stored. */
  storage: 'stored' | 'projected';
  printer: Printer;
  /** The OpenAPI definition name of the kind (`io.k8s.api.core.v1.Pod`, `dev.knative.serving.v1.Service`). */
  definition: string;
  /** The kind's OpenAPI v3 schema (references are bare definition names, see core-schemas.ts). */
  schema: Schema;
  /** Discovery's storageVersionHash, for stored kinds. */
  storageVersionHash?: string;
  /**
   * The store's resource key: the plural for Knative's kinds (`services`), `GROUP.PLURAL` for the rest
   * (`core.pods`, `apps.deployments`); both Event kinds share `core.events`, as both read one etcd prefix.
   */
  storageKey: string;
  /** The resource as the apiserver names it in messages: `pods`, `deployments.apps`, `services.serving.knative.dev`. */
  qualifiedResource: string;
  /** For Knative's kinds, the CRD file under ./schemas/ they come from (custom resources: no strategic merge). */
  crd?: string;
  /** True for the kinds a Knative admission webhook defaults and validates (serving, eventing, messaging, flows, sources). */
  webhook?: boolean;
}

/** The groups whose kinds Knative's webhooks (serving's and eventing's) default and validate. */
const WEBHOOK_GROUPS = new Set(['serving.knative.dev', 'eventing.knative.dev', 'messaging.knative.dev', 'flows.knative.dev', 'sources.knative.dev']);

/** The store's key for a resource of `group` (see KindInfo.storageKey). */
export function storageKeyOf(group: string, resource: string): string {
  if (group === 'serving.knative.dev') return resource;
  if (group === 'events.k8s.io' && resource === 'events') return 'core.events';
  return `${group || 'core'}.${resource}`;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
/** The verbs, in the order, that kube-apiserver lists for a CRD (apiextensions-apiserver customresource_discovery_controller.go). */
const CRD_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'] as const;
const READ_VERBS = ['get', 'list', 'watch'] as const;
const STATUS_VERBS = ['get', 'patch', 'update'] as const;

/**
 * kubernetes/kubernetes staging/src/k8s.io/apiserver pkg/endpoints/discovery storageversionhash.go
 * StorageVersionHash: the first 8 bytes of sha256("group/version/kind"), base64.
 */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

/** The OpenAPI definition name Kubernetes gives a CRD kind: the group reversed (`dev.knative.serving.v1.Service`). */
export function crdDefinitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

/** The definition name of a built-in kind (`io.k8s.api.apps.v1.Deployment`). */
function builtinDefinitionName(group: string, version: string, kind: string): string {
  const pkg = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return `io.k8s.api.${pkg}.${version}.${kind}`;
}

/**
 * The schema the apiserver publishes for a CRD version (apiextensions-apiserver pkg/controller/openapi/builder
 * BuildOpenAPIV3): metadata refers to ObjectMeta, apiVersion/kind carry the standard docs, and the
 * kind's group-version-kind is attached.
 */
function publishedCrdSchema(schema: Schema, gvk: { group: string; version: string; kind: string }): Schema {
  const out = structuredClone(schema);
  const props = { ...((out.properties as Record<string, Schema>) ?? {}) };
  props.apiVersion = { type: 'string', description: TOP_LEVEL_DOCS.apiVersion };
  props.kind = { type: 'string', description: TOP_LEVEL_DOCS.kind };
  props.metadata = { $ref: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', description: TOP_LEVEL_DOCS.metadata };
  out.properties = props;
  out['x-kubernetes-group-version-kind'] = [gvk];
  return out;
}

/** Extra subresources knit serves beyond those a CRD declares (revision logs). */
const EXTRA_SUBRESOURCES: Record<string, Subresource[]> = {
  revisions: [{ name: 'log', kind: 'Revision', verbs: ['get'] }],
};

function knativeKind(file: string): KindInfo {
  const crd = knativeCrd(file);
  const { group, names, scope } = crd.spec;
  const v = crd.spec.versions.find((x) => x.served);
  if (!v) throw new Error(`${file}: no served version`);
  const gvk = { group, version: v.name, kind: names.kind };
  const subresources: Subresource[] = [];
  if (v.subresources?.status) subresources.push({ name: 'status', kind: names.kind, verbs: STATUS_VERBS });
  if (v.subresources?.scale) subresources.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS });
  subresources.push(...(EXTRA_SUBRESOURCES[names.plural] ?? []));
  return {
    group,
    version: v.name,
    groupVersion: `${group}/${v.name}`,
    resource: names.plural,
    singular: names.singular,
    kind: names.kind,
    listKind: names.listKind ?? `${names.kind}List`,
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    namespaced: scope === 'Namespaced',
    verbs: CRD_VERBS,
    subresources,
    storage: 'stored',
    printer: crdPrinter(v.additionalPrinterColumns ?? []),
    definition: crdDefinitionName(group, v.name, names.kind),
    schema: publishedCrdSchema(v.schema.openAPIV3Schema, gvk),
    storageVersionHash: storageVersionHash(group, v.name, names.kind),
    storageKey: storageKeyOf(group, names.plural),
    qualifiedResource: `${names.plural}.${group}`,
    crd: file,
    webhook: WEBHOOK_GROUPS.has(group),
  };
}

interface BuiltinSpec {
  group: string;
  version: string;
  resource: string;
  kind: string;
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  storage: 'stored' | 'projected';
  verbs?: readonly string[];
  subresources?: Subresource[];
}

function builtinKind(s: BuiltinSpec): KindInfo {
  const definition = builtinDefinitionName(s.group, s.version, s.kind);
  const schema = CORE_DEFINITIONS[definition];
  if (!schema) throw new Error(`no OpenAPI definition ${definition}`);
  const printer = CORE_PRINTERS[`${s.group}/${s.kind}`];
  return {
    group: s.group,
    version: s.version,
    groupVersion: s.group === '' ? s.version : `${s.group}/${s.version}`,
    resource: s.resource,
    singular: s.kind.toLowerCase(),
    kind: s.kind,
    listKind: `${s.kind}List`,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    namespaced: s.namespaced,
    verbs: s.verbs ?? (s.storage === 'projected' ? READ_VERBS : ALL_VERBS),
    subresources: s.subresources ?? [],
    storage: s.storage,
    printer: printer ?? crdPrinter([]),
    definition,
    schema,
    storageVersionHash: s.storage === 'stored' ? storageVersionHash(s.group, s.version, s.kind) : undefined,
    storageKey: storageKeyOf(s.group, s.resource),
    qualifiedResource: s.group ? `${s.resource}.${s.group}` : s.resource,
  };
}

/** Every kind knit serves, in discovery order. */
export const KINDS: readonly KindInfo[] = [
  builtinKind({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'], namespaced: true, storage: 'stored' }),
  builtinKind({ group: '', version: 'v1', resource: 'events', kind: 'Event', shortNames: ['ev'], namespaced: true, storage: 'stored' }),
  builtinKind({
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    shortNames: ['ns'],
    namespaced: false,
    storage: 'stored',
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [{ name: 'status', kind: 'Namespace', verbs: STATUS_VERBS }],
  }),
  builtinKind({
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    shortNames: ['po'],
    categories: ['all'],
    namespaced: true,
    storage: 'projected',
    // Deleting a pod stops its instance, which the revision replaces (as a ReplicaSet would).
    verbs: ['delete', 'get', 'list', 'watch'],
    subresources: [
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'status', kind: 'Pod', verbs: ['get'] },
    ],
  }),
  builtinKind({ group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, storage: 'stored' }),
  builtinKind({
    group: '',
    version: 'v1',
    resource: 'services',
    kind: 'Service',
    shortNames: ['svc'],
    categories: ['all'],
    namespaced: true,
    storage: 'projected',
    subresources: [{ name: 'status', kind: 'Service', verbs: ['get'] }],
  }),
  builtinKind({
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    shortNames: ['deploy'],
    categories: ['all'],
    namespaced: true,
    storage: 'projected',
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get'] },
      { name: 'status', kind: 'Deployment', verbs: ['get'] },
    ],
  }),
  builtinKind({
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    shortNames: ['rs'],
    categories: ['all'],
    namespaced: true,
    storage: 'projected',
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get'] },
      { name: 'status', kind: 'ReplicaSet', verbs: ['get'] },
    ],
  }),
  builtinKind({ group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', shortNames: ['ev'], namespaced: true, storage: 'stored' }),
  builtinKind({ group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, storage: 'projected', verbs: ['create'] }),
  builtinKind({ group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview', namespaced: false, storage: 'projected', verbs: ['create'] }),
  knativeKind('configuration.yaml'),
  knativeKind('revision.yaml'),
  knativeKind('route.yaml'),
  knativeKind('service.yaml'),
  // serving.knative.dev/v1beta1 DomainMapping and the cluster-wide claims on its names (docs/architecture.md "DomainMapping").
  knativeKind('domainmapping.yaml'),
  knativeKind('clusterdomainclaim.yaml'),
  // Knative Eventing's kinds (knative/eventing config/core/resources/, in ./schemas/eventing/; src/eventing/).
  knativeKind('eventing/broker.yaml'),
  knativeKind('eventing/trigger.yaml'),
  knativeKind('eventing/channel.yaml'),
  knativeKind('eventing/in-memory-channel.yaml'),
  knativeKind('eventing/subscription.yaml'),
  knativeKind('eventing/sequence.yaml'),
  knativeKind('eventing/parallel.yaml'),
  knativeKind('eventing/pingsource.yaml'),
  knativeKind('eventing/apiserversource.yaml'),
  knativeKind('eventing/containersource.yaml'),
  knativeKind('eventing/sinkbindings.yaml'),
];

/** A group-version and the kinds served in it. */
export interface GroupVersion {
  group: string;
  version: string;
  groupVersion: string;
  kinds: readonly KindInfo[];
}

/** Lookups over a list of kinds. */
export class KindRegistry {
  readonly kinds: readonly KindInfo[];
  private readonly gvs: GroupVersion[] = [];

  constructor(kinds: readonly KindInfo[]) {
    this.kinds = kinds;
    for (const k of kinds) {
      let gv = this.gvs.find((g) => g.group === k.group && g.version === k.version);
      if (!gv) {
        gv = { group: k.group, version: k.version, groupVersion: k.groupVersion, kinds: [] };
        this.gvs.push(gv);
      }
      (gv.kinds as KindInfo[]).push(k);
    }
  }

  /** Group-versions in the order discovery lists them: the core group first, then the rest as declared. */
  groupVersions(): readonly GroupVersion[] {
    return [...this.gvs].sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : 0));
  }

  /** The group-version `group`/`version`, if served. */
  forGroupVersion(group: string, version: string): GroupVersion | undefined {
    return this.gvs.find((g) => g.group === group && g.version === version);
  }

  /** The kind served at `/…/group/version/…/resource`. */
  byResource(group: string, version: string, resource: string): KindInfo | undefined {
    return this.kinds.find((k) => k.group === group && k.version === version && k.resource === resource);
  }

  /** The kind whose `kind` is `kind` in group-version. */
  byKind(group: string, version: string, kind: string): KindInfo | undefined {
    return this.kinds.find((k) => k.group === group && k.version === version && k.kind === kind);
  }

  /**
   * The kind that `name` means in group-version (or in any group-version when `group` is undefined):
   * a resource, singular name, short name or kind, case-insensitively (client-go restmapper's matching).
   */
  lookup(group: string | undefined, version: string | undefined, name: string): KindInfo | undefined {
    const n = name.toLowerCase();
    const candidates = this.kinds.filter((k) => (group === undefined || k.group === group) && (version === undefined || k.version === version));
    return (
      candidates.find((k) => k.resource === n) ??
      candidates.find((k) => k.singular === n) ??
      candidates.find((k) => k.shortNames.includes(n)) ??
      candidates.find((k) => k.kind.toLowerCase() === n)
    );
  }
}

/** The registry of every kind knit serves. */
export const registry = new KindRegistry(KINDS);
