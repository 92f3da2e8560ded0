// The one builder of the forwarding headers (Forwarded, X-Forwarded-For/-Proto/-Host) the gateway sends to
// instances, and the list of trusted proxies whose own forwarding headers are kept (docs/configuration.md).

import net from 'node:net';

/** Proxies (addresses or CIDR ranges) in front of knit whose forwarding headers are believed. Empty by default. */
export class TrustedProxies {
  private readonly list = new net.BlockList();
  readonly entries: readonly string[];

  /** Throws on an entry that is neither an IP address nor a CIDR range. */
  constructor(entries: readonly string[] = []) {
    this.entries = entries;
    for (const raw of entries) {
      const e = raw.trim();
      const slash = e.indexOf('/');
      const addr = slash < 0 ? e : e.slice(0, slash);
      const family = net.isIPv4(addr) ? 'ipv4' : net.isIPv6(addr) ? 'ipv6' : undefined;
      if (family === undefined) throw new Error(`invalid trusted proxy "${raw}": want an IP address or a CIDR range such as 10.0.0.0/8`);
      if (slash < 0) {
        this.list.addAddress(addr, family);
        continue;
      }
      const bits = e.slice(slash + 1);
      const prefix = Number(bits);
      if (!/^\d{1,3}$/.test(bits) || prefix > (family === 'ipv4' ? 32 : 128)) throw new Error(`invalid trusted proxy "${raw}": bad prefix length "${bits}"`);
      this.list.addSubnet(addr, prefix, family);
    }
  }

  /** Parses the `--trusted-proxies` value: comma-separated addresses and CIDR ranges. */
  static parse(value: string | undefined): TrustedProxies {
    const entries = (value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return new TrustedProxies(entries);
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** True if the connection's peer address is one of the trusted proxies. */
  trusts(peer: string | undefined): boolean {
    if (this.entries.length === 0 || !peer) return false;
    // IPv4 clients of a dual-stack listener show up as IPv4-mapped IPv6 addresses.
    const v4 = peer.startsWith('::ffff:') && net.isIPv4(peer.slice(7)) ? peer.slice(7) : undefined;
    if (v4 !== undefined) return this.list.check(v4, 'ipv4') || this.list.check(peer, 'ipv6');
    return this.list.check(peer, net.isIPv6(peer) ? 'ipv6' : 'ipv4');
  }
}

/** The forwarding headers a client sent (list headers comma-joined), kept only when its peer is trusted. */
export interface ClientForwarding {
  xff?: string | undefined;
  xfp?: string | undefined;
  xfh?: string | undefined;
  forwarded?: string | undefined;
}

/** What the instance receives. */
export interface ForwardingFields {
  'x-forwarded-for': string;
  'x-forwarded-proto': string;
  'x-forwarded-host': string;
  forwarded: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A Forwarded parameter value: a token as is, anything else a quoted-string (RFC 7239 §4). */
function fwdValue(v: string): string {
  return TOKEN.test(v) ? v : `"${v.replace(/["\\]/g, '\\$&')}"`;
}

/** A node for `for=`: IPv6 addresses in brackets and quoted (RFC 7239 §6). */
function fwdNode(addr: string): string {
  if (addr === '') return 'unknown';
  return addr.includes(':') ? `"[${addr}]"` : fwdValue(addr);
}

/** The first element of a comma-separated list, trimmed. */
function first(list: string): string {
  const i = list.indexOf(',');
  return (i < 0 ? list : list.slice(0, i)).trim();
}

/**
 * Forwarded elements for the hops a trusted proxy reported only in X-Forwarded-*: one `for=` per
 * X-Forwarded-For node, the first with host and proto, as knative/serving pkg/queue/forwarded_shim.go
 * generateForwarded builds them.
 */
function elementsFromXff(xff: string | undefined, xfp: string | undefined, xfh: string | undefined): string {
  const nodes = (xff ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out: string[] = [];
  nodes.forEach((n, i) => {
    let e = `for=${fwdNode(n)}`;
    if (i === 0) {
      if (xfh) e += `;host=${fwdValue(xfh)}`;
      if (xfp) e += `;proto=${fwdValue(xfp)}`;
    }
    out.push(e);
  });
  if (out.length === 0 && (xfh || xfp)) {
    const parts: string[] = [];
    if (xfh) parts.push(`host=${fwdValue(xfh)}`);
    if (xfp) parts.push(`proto=${fwdValue(first(xfp))}`);
    out.push(parts.join(';'));
  }
  return out.join(', ');
}

/**
 * The forwarding headers for one request: knit's own hop is always built from the connection
 * (`peer` = the client's address, `authority` = the Host as received, `proto` = the listener's
 * scheme). What the client sent is kept in front of it only when `client` is given, which the
 * gateway does for trusted proxies alone; otherwise it is dropped.
 */
export function forwardingFields(peer: string, authority: string, proto: 'http' | 'https', client: ClientForwarding | undefined): ForwardingFields {
  const own = `for=${fwdNode(peer)};host=${fwdValue(authority || 'unknown')};proto=${proto}`;
  if (client === undefined || (client.xff === undefined && client.xfp === undefined && client.xfh === undefined && client.forwarded === undefined)) {
    return { 'x-forwarded-for': peer, 'x-forwarded-proto': proto, 'x-forwarded-host': authority, forwarded: own };
  }
  // A trusted proxy speaks for the original client: its scheme and host are the request's.
  const xfpFirst = client.xfp === undefined ? '' : first(client.xfp).toLowerCase();
  const origProto = xfpFirst === 'http' || xfpFirst === 'https' ? xfpFirst : proto;
  const origHost = client.xfh ? first(client.xfh) : authority;
  const before = client.forwarded ?? elementsFromXff(client.xff, client.xfp === undefined ? undefined : origProto, client.xfh === undefined ? undefined : origHost);
  return {
    'x-forwarded-for': client.xff ? `${client.xff}, ${peer}` : peer,
    'x-forwarded-proto': origProto,
    'x-forwarded-host': origHost,
    forwarded: before ? `${before}, ${own}` : own,
  };
}

/** The same fields as header lines (`name: value\r\n`) for the fast path's raw heads. */
export function forwardingLines(f: ForwardingFields): string {
  return `x-forwarded-for: ${f['x-forwarded-for']}\r\nx-forwarded-proto: ${f['x-forwarded-proto']}\r\nx-forwarded-host: ${f['x-forwarded-host']}\r\nforwarded: ${f.forwarded}\r\n`;
}
