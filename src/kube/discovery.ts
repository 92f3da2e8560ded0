// Kubernetes discovery documents (/api, /api/v1, /apis, /apis/GROUP, /apis/GROUP/VERSION, aggregated discovery) and /version, generated from the kind registry.
//
// Exported entry points:
//   - `discoveryResponse(path, accept?, opts?)` (opts: `serverAddress` for /api's
//     serverAddressByClientCIDRs, `registry`): the whole answer for a GET of a discovery path or
//     `/version` — `{ status, contentType, body }` — or undefined when `path` is not one. It
//     negotiates aggregated discovery (`application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`,
//     which kubectl and client-go ≥ 1.30 ask for first) and falls back to the legacy documents.
//     The API server answers with it before its REST routing: `const d = discoveryResponse(url.pathname,
//     req.headers.accept); if (d) { res.writeHead(d.status, { 'content-type': d.contentType }); res.end(d.body); }`
//   - `discoveryDocument(path, opts?)`: the legacy JSON document at `path` (for tests and callers that want the object).
//   - `versionInfo()`: the /version document (every field of k8s.io/apimachinery pkg/version Info).
// Shapes follow k8s.io/apimachinery pkg/apis/meta/v1 types.go (APIVersions, APIGroupList, APIGroup,
// APIResourceList, APIResource) and k8s.io/api apidiscovery/v2 types.go (APIGroupDiscoveryList).

import { registry as defaultRegistry, type KindInfo, type KindRegistry } from './registry.ts';

/** The Kubernetes version knit's API behaves as. */
export const KUBE_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0-knit' } as const;

/** k8s.io/apimachinery pkg/version Info, complete (python's kubernetes VersionApi().get_code() requires every field). */
export function versionInfo(): Record<string, string> {
  return {
    major: KUBE_VERSION.major,
    minor: KUBE_VERSION.minor,
    emulationMajor: KUBE_VERSION.major,
    emulationMinor: KUBE_VERSION.minor,
    minCompatibilityMajor: KUBE_VERSION.major,
    minCompatibilityMinor: String(Number(KUBE_VERSION.minor) - 1),
    gitVersion: KUBE_VERSION.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-04-23T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'node',
    platform: `${process.platform === 'win32' ? 'windows' : process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

/** One metav1.APIResource (the kind itself, or one of its subresources). */
function apiResources(k: KindInfo): Record<string, unknown>[] {
  const main: Record<string, unknown> = { name: k.resource, singularName: k.singular, namespaced: k.namespaced, kind: k.kind, verbs: [...k.verbs] };
  if (k.shortNames.length) main.shortNames = [...k.shortNames];
  if (k.categories.length) main.categories = [...k.categories];
  if (k.storageVersionHash) main.storageVersionHash = k.storageVersionHash;
  const subs = k.subresources.map((s) => {
    const r: Record<string, unknown> = { name: `${k.resource}/${s.name}`, singularName: '', namespaced: k.namespaced };
    if (s.group !== undefined) r.group = s.group;
    if (s.version !== undefined) r.version = s.version;
    r.kind = s.kind;
    r.verbs = [...s.verbs];
    return r;
  });
  return [main, ...subs];
}

function resourceList(reg: KindRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const gv = reg.forGroupVersion(group, version);
  if (!gv) return undefined;
  const resources = gv.kinds.flatMap(apiResources).sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : 1));
  // The core group's list has no apiVersion (kube-apiserver writes it so); the others do.
  return group === '' ? { kind: 'APIResourceList', groupVersion: gv.groupVersion, resources } : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv.groupVersion, resources };
}

function apiGroup(reg: KindRegistry, group: string): Record<string, unknown> | undefined {
  const versions = reg.groupVersions().filter((g) => g.group === group);
  if (!versions.length) return undefined;
  const vs = versions.map((g) => ({ groupVersion: g.groupVersion, version: g.version }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

function groupNames(reg: KindRegistry): string[] {
  return [...new Set(reg.groupVersions().map((g) => g.group))].filter((g) => g !== '');
}

/** Options of the discovery documents. */
export interface DiscoveryOptions {
  /** host:port clients reach the API at, listed in /api's serverAddressByClientCIDRs. */
  serverAddress?: string;
  registry?: KindRegistry;
}

/** The legacy discovery document at `path`, or undefined when `path` is not a discovery path. */
export function discoveryDocument(path: string, opts: DiscoveryOptions = {}): Record<string, unknown> | undefined {
  const reg = opts.registry ?? defaultRegistry;
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/version') return versionInfo();
  if (p === '/api') return { kind: 'APIVersions', versions: reg.groupVersions().filter((g) => g.group === '').map((g) => g.version), serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: opts.serverAddress ?? '' }] };
  if (p === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupNames(reg).map((g) => apiGroup(reg, g)) };
  let m = /^\/api\/([^/]+)$/.exec(p);
  if (m) return resourceList(reg, '', m[1]);
  m = /^\/apis\/([^/]+)$/.exec(p);
  if (m) {
    const g = apiGroup(reg, m[1]);
    return g && { kind: 'APIGroup', apiVersion: 'v1', ...g };
  }
  m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
  if (m) return resourceList(reg, m[1], m[2]);
  return undefined;
}

/** apidiscovery.k8s.io/v2 APIResourceDiscovery of one kind. */
function resourceDiscovery(k: KindInfo): Record<string, unknown> {
  const r: Record<string, unknown> = {
    resource: k.resource,
    responseKind: { group: k.group, version: k.version, kind: k.kind },
    scope: k.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: k.singular,
    verbs: [...k.verbs],
  };
  if (k.shortNames.length) r.shortNames = [...k.shortNames];
  if (k.categories.length) r.categories = [...k.categories];
  if (k.subresources.length) {
    r.subresources = k.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group ?? k.group, version: s.version ?? k.version, kind: s.kind },
      verbs: [...s.verbs],
    }));
  }
  return r;
}

/** The aggregated discovery document for `/api` (core) or `/apis` (every other group). */
export function aggregatedDiscovery(path: '/api' | '/apis', reg: KindRegistry = defaultRegistry, version: 'v2' | 'v2beta1' = 'v2'): Record<string, unknown> {
  const groups = path === '/api' ? [''] : groupNames(reg);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g, creationTimestamp: null },
      versions: reg
        .groupVersions()
        .filter((gv) => gv.group === g)
        .map((gv) => ({ version: gv.version, resources: [...gv.kinds].sort((a, b) => (a.resource < b.resource ? -1 : 1)).map(resourceDiscovery), freshness: 'Current' })),
    })),
  };
}

/** An answer to a discovery request. */
export interface DiscoveryResponse {
  status: number;
  contentType: string;
  body: string;
}

/** The aggregated-discovery version the Accept header asks for first, if any (client-go discovery AcceptV2/AcceptV2Beta1). */
function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    if (type !== 'application/json') continue;
    const p = Object.fromEntries(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (p.g === 'apidiscovery.k8s.io' && p.as === 'APIGroupDiscoveryList' && (p.v === 'v2' || p.v === 'v2beta1')) return p.v;
    if (!p.g) return undefined; // plain JSON preferred before any aggregated type
  }
  return undefined;
}

/**
 * The response to a GET of `path` with `accept`, or undefined when `path` is not a discovery path
 * (nor /version). Aggregated discovery is answered for /api and /apis when asked for.
 */
export function discoveryResponse(path: string, accept?: string, opts: DiscoveryOptions = {}): DiscoveryResponse | undefined {
  const reg = opts.registry ?? defaultRegistry;
  const p = path.replace(/\/+$/, '') || '/';
  const agg = wantsAggregated(accept);
  if (agg && (p === '/api' || p === '/apis')) {
    return { status: 200, contentType: `application/json;g=apidiscovery.k8s.io;v=${agg};as=APIGroupDiscoveryList`, body: JSON.stringify(aggregatedDiscovery(p, reg, agg)) };
  }
  const doc = discoveryDocument(p, opts);
  if (doc === undefined) return undefined;
  return { status: 200, contentType: 'application/json', body: JSON.stringify(doc) };
}
