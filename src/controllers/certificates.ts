// Certificates knit issues itself for routes' external hosts (config-network external-domain-tls): signed by the API's CA in DATA_DIR/pki, kept in DATA_DIR/pki/routes (keys 0600), renewed at two thirds of their lifetime.

import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ServingCertificate } from '../dataplane/https.ts';
import { covers, issueServing, type Pair } from '../kube/pki.ts';

/** Route certificates live 90 days and are renewed once two thirds of that has passed (as ACME clients do). */
export const ROUTE_CERT_DAYS = 90;
const RENEW_FRACTION = 2 / 3;

/** What the Route reconciler needs: a current certificate per external host, and releasing a route's certificates. */
export interface CertificateIssuer {
  /** Ensures certificate `name` (owned by the route `owner`) for `host`; the error text when it cannot be issued. */
  ensure(owner: string, name: string, host: string): string | undefined;
  /** Drops the certificates of `owner` not named in `keep` (all of them without). */
  release(owner: string, keep?: ReadonlySet<string>): void;
}

interface Held {
  owner: string;
  name: string;
  host: string;
  pair: Pair;
  renewAtMs: number;
  serial: string;
}

/** The issuer `knit serve --https` uses when external-domain-tls is enabled; also the HTTPS listener's source for route hosts. */
export class RouteCertificates implements CertificateIssuer {
  private readonly byHost = new Map<string, Held>();
  private readonly dir: string;
  private readonly ca: Pair;
  private readonly now: () => Date;

  constructor(dir: string, ca: Pair, now: () => Date = () => new Date()) {
    this.dir = dir;
    this.ca = ca;
    this.now = now;
  }

  private files(owner: string, name: string): { crt: string; key: string } {
    const base = path.join(this.dir, `${owner.split('/')[0]}_${name}`);
    return { crt: `${base}.crt`, key: `${base}.key` };
  }

  private held(owner: string, name: string, host: string, pair: Pair): Held {
    const c = new X509Certificate(pair.certPem);
    const from = new Date(c.validFrom).getTime();
    const to = new Date(c.validTo).getTime();
    return { owner, name, host, pair, renewAtMs: from + (to - from) * RENEW_FRACTION, serial: c.serialNumber };
  }

  /** A certificate on disk is reused when it is ours, names the host and is not yet due for renewal. */
  private load(owner: string, name: string, host: string): Held | undefined {
    const f = this.files(owner, name);
    try {
      const pair = { certPem: fs.readFileSync(f.crt, 'utf8'), keyPem: fs.readFileSync(f.key, 'utf8') };
      if (!covers(pair.certPem, this.ca.certPem, [host])) return undefined;
      const h = this.held(owner, name, host, pair);
      return this.now().getTime() < h.renewAtMs ? h : undefined;
    } catch {
      return undefined; // missing or unreadable: issue a new one
    }
  }

  private issue(owner: string, name: string, host: string): Held {
    const pair = issueServing(this.ca, [host], this.now(), ROUTE_CERT_DAYS, host);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const f = this.files(owner, name);
    fs.writeFileSync(f.key, pair.keyPem, { mode: 0o600 });
    fs.writeFileSync(f.crt, pair.certPem, { mode: 0o644 });
    return this.held(owner, name, host, pair);
  }

  ensure(owner: string, name: string, host: string): string | undefined {
    try {
      this.current(owner, name, host);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  private current(owner: string, name: string, host: string): Held {
    const have = this.byHost.get(host);
    if (have && have.owner === owner && have.name === name && this.now().getTime() < have.renewAtMs) return have;
    const h = this.load(owner, name, host) ?? this.issue(owner, name, host);
    // A certificate whose host changed (a new domain template) no longer serves the old host.
    for (const [other, o] of this.byHost) if (other !== host && o.owner === owner && o.name === name) this.byHost.delete(other);
    this.byHost.set(host, h);
    return h;
  }

  release(owner: string, keep: ReadonlySet<string> = new Set()): void {
    for (const [host, h] of this.byHost) {
      if (h.owner !== owner || keep.has(h.name)) continue;
      this.byHost.delete(host);
      const f = this.files(owner, h.name);
      fs.rmSync(f.crt, { force: true });
      fs.rmSync(f.key, { force: true });
    }
  }

  /** The certificate SNI asks for, renewed first when it is due (so rotation needs no reconcile). */
  forHost(servername: string): ServingCertificate | undefined {
    const have = this.byHost.get(servername);
    if (!have) return undefined;
    const h = this.now().getTime() < have.renewAtMs ? have : this.current(have.owner, have.name, have.host);
    return { cert: h.pair.certPem, key: h.pair.keyPem, version: h.serial };
  }
}

/** hash/adler32 Checksum of a string's UTF-8 bytes (RFC 1950 §8). */
function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(s, 'utf8')) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * The certificate name of a route host: `route-<uid>`, with `-<adler32(tag)>` for a tag's host
 * (knative/serving pkg/reconciler/route/resources/certificate.go MakeCertificates, names.Certificate).
 */
export function certificateName(uid: string, tag: string): string {
  return tag ? `route-${uid}-${adler32(tag)}` : `route-${uid}`;
}
