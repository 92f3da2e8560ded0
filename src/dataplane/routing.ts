// The routing table: host name → weighted revision targets, per listener (external, cluster-local).

import { isDeepStrictEqual } from 'node:util';

/** One weighted target of a host: a revision key (`namespace/name`) and its percent. */
export interface HostTarget {
  revision: string;
  percent: number;
}

/** What a Route programs for one host. */
export interface HostRule {
  host: string;
  /** External rules are served by the external listener; every rule by the local one. */
  visibility: 'external' | 'cluster-local';
  targets: HostTarget[];
  /** Tag-header routing (off by default): `Knative-Serving-Tag: T` selects T's targets. */
  tagTargets?: Record<string, HostTarget[]>;
  /** config-network http-protocol Redirected: plain HTTP for this (external, certified) host answers 301 to https. */
  httpsRedirect?: boolean;
}

/** The `kubernetes.io/tls` Secret a mapped host presents on the HTTPS listener. */
export interface MappedTLS {
  namespace: string;
  secretName: string;
}

/** A compiled host entry: cumulative weights for a fast weighted pick. */
export class HostEntry {
  readonly route: string;
  readonly revisions: string[];
  /** Entries selected by the Knative-Serving-Tag header, when tag-header routing is on. */
  readonly byTag: Map<string, HostEntry> | undefined;
  private readonly cumulative: number[];
  private readonly total: number;

  constructor(route: string, targets: HostTarget[], tagTargets?: Record<string, HostTarget[]>) {
    this.route = route;
    this.byTag = tagTargets ? new Map(Object.entries(tagTargets).map(([t, ts]) => [t, new HostEntry(route, ts)])) : undefined;
    const live = targets.filter((t) => t.percent > 0);
    this.revisions = live.map((t) => t.revision);
    this.cumulative = [];
    let sum = 0;
    for (const t of live) {
      sum += t.percent;
      this.cumulative.push(sum);
    }
    this.total = sum;
  }

  /** Weighted random choice of a revision key. */
  pick(): string | undefined {
    const n = this.revisions.length;
    if (n <= 1) return this.revisions[0];
    const r = Math.random() * this.total;
    for (let i = 0; i < n; i++) if (r < this.cumulative[i]) return this.revisions[i];
    return this.revisions[n - 1];
  }
}

/** A whole routing table as plain data: what the main thread posts to the gateway threads on every change. */
export interface RoutingSnapshot {
  routes: [string, HostRule[]][];
  mappings: { owner: string; host: string; target: string; tls?: MappedTLS }[];
}

/** Host → entry maps for both listeners; routes replace their hosts atomically. */
export class RoutingTable {
  /** Called after every change (thread mode posts a new snapshot). */
  onChange: (() => void) | undefined;
  /** Bumped by every change: the fast path keeps a connection's last route while it stays the same. */
  version = 0;
  private readonly external = new Map<string, HostEntry>();
  private readonly local = new Map<string, HostEntry>();
  private readonly hostsByRoute = new Map<string, HostRule[]>();
  /** External hosts whose plain-HTTP requests are redirected to https, with their route. */
  private readonly redirected = new Map<string, string>();
  /** DomainMapping hosts → the owning mapping's key and the target's cluster-local host (Knative's rewriteHost). */
  private readonly mapped = new Map<string, { owner: string; target: string; tls?: MappedTLS }>();
  private readonly mappedByOwner = new Map<string, string>();

  /** Replaces every host rule of one route (key `namespace/name`); the same rules again change nothing (no onChange). */
  setRoute(route: string, rules: HostRule[]): void {
    const old = this.hostsByRoute.get(route);
    if (old && isDeepStrictEqual(old, rules)) return;
    this.version++;
    this.deleteRoute(route);
    this.hostsByRoute.set(route, rules);
    for (const rule of rules) {
      const entry = new HostEntry(route, rule.targets, rule.tagTargets);
      this.local.set(rule.host, entry);
      if (rule.visibility === 'external') this.external.set(rule.host, entry);
      if (rule.visibility === 'external' && rule.httpsRedirect) this.redirected.set(rule.host, route);
    }
    this.onChange?.();
  }

  deleteRoute(route: string): void {
    this.version++;
    const old = this.hostsByRoute.get(route);
    if (!old) return;
    for (const rule of old) {
      if (this.local.get(rule.host)?.route === route) this.local.delete(rule.host);
      if (this.external.get(rule.host)?.route === route) this.external.delete(rule.host);
      if (this.redirected.get(rule.host) === route) this.redirected.delete(rule.host);
    }
    this.hostsByRoute.delete(route);
    this.onChange?.();
  }

  /**
   * Maps `host` to whatever `targetHost` routes to on the cluster-local listener, so the target's traffic split and
   * tags apply (knative/serving pkg/reconciler/domainmapping/resources/ingress.go MakeIngress: one rule for the
   * mapped host, rewritten to the target's host). `owner` is the DomainMapping's key (`namespace/name`).
   */
  setDomainMapping(owner: string, host: string, targetHost: string, tls?: MappedTLS): void {
    this.version++;
    this.deleteDomainMapping(owner);
    this.mapped.set(host, { owner, target: targetHost, ...(tls ? { tls } : {}) });
    this.mappedByOwner.set(owner, host);
    this.onChange?.();
  }

  deleteDomainMapping(owner: string): void {
    this.version++;
    const host = this.mappedByOwner.get(owner);
    if (host === undefined) return;
    if (this.mapped.get(host)?.owner === owner) this.mapped.delete(host);
    this.mappedByOwner.delete(owner);
    this.onChange?.();
  }

  /** Every route's rules and every domain mapping, as plain data. */
  snapshot(): RoutingSnapshot {
    return { routes: [...this.hostsByRoute], mappings: [...this.mapped].map(([host, m]) => ({ host, ...m })) };
  }

  /** Replaces the whole table with a snapshot (a gateway thread's copy). */
  restore(s: RoutingSnapshot): void {
    for (const route of [...this.hostsByRoute.keys()]) this.deleteRoute(route);
    for (const owner of [...this.mappedByOwner.keys()]) this.deleteDomainMapping(owner);
    for (const [route, rules] of s.routes) this.setRoute(route, rules);
    for (const m of s.mappings) this.setDomainMapping(m.owner, m.host, m.target, m.tls);
  }

  /** The Secret a mapped host's TLS handshake presents (SNI), if its DomainMapping names one. */
  tlsFor(host: string): MappedTLS | undefined {
    return this.mapped.get(host)?.tls;
  }

  /** True when plain HTTP for `host` (lower-case, no port) is answered with a redirect to https. */
  redirectsToHttps(host: string): boolean {
    return this.redirected.has(host);
  }

  lookup(listener: 'external' | 'cluster-local', host: string): HostEntry | undefined {
    const direct = (listener === 'external' ? this.external : this.local).get(host);
    if (direct) return direct;
    const m = this.mapped.get(host);
    return m ? this.local.get(m.target) : undefined;
  }
}

/** The host part of a Host header, lower-cased and without a port. */
export function hostOnly(header: string | undefined): string {
  if (!header) return '';
  let h = header;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return h.slice(0, end + 1).toLowerCase();
  }
  const colon = h.indexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.toLowerCase();
}

/** A Host value: an IP literal or reg-name with an optional port (RFC 9110 §7.2, RFC 3986 §3.2.2); empty is allowed (no route). */
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::\d*)?$/;

/** True if `v` is a well-formed Host field value (RFC 9112 §3.2: anything else is a 400). */
export function validHost(v: string): boolean {
  return HOST_VALUE.test(v);
}

const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)$/;

/**
 * An absolute-form request target (`http://authority/path`, RFC 9112 §3.2.2) split into the
 * authority that replaces Host and the origin-form path sent on; undefined for origin- and
 * asterisk-form targets, 'invalid' for targets a server must refuse (other schemes, userinfo
 * (RFC 9110 §4.2.4), an empty or malformed host (§4.2.1)).
 */
export function absoluteTarget(target: string): { authority: string; path: string } | 'invalid' | undefined {
  if (target.startsWith('/') || target === '*') return undefined;
  const m = ABSOLUTE.exec(target);
  if (!m) return 'invalid';
  const scheme = m[1].toLowerCase();
  const authority = m[2];
  if ((scheme !== 'http' && scheme !== 'https') || authority === '' || authority.includes('@') || !validHost(authority) || authority.startsWith(':')) return 'invalid';
  const rest = m[3];
  return { authority, path: rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest };
}
