// The API's certificates: a CA generated into DATA_DIR/pki on first start and a serving certificate it
// signs for the API's addresses, reissued before expiry or when the addresses change (kubeadm's
// `certs` phase does the same for a cluster: cmd/kubeadm/app/phases/certs in kubernetes/kubernetes).

import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';

const DAY_MS = 86_400_000;
/** kubeadm's CA lives 10 years and its serving certificates 1 year; both are renewed 30 days early. */
const CA_DAYS = 3650;
const SERVING_DAYS = 365;
const RENEW_BEFORE_DAYS = 30;

/** The PEM files the API serves with, and where the CA is for clients. */
export interface ApiPki {
  caPem: string;
  /** The CA's key: knit also signs the gateway's route certificates with it (config-network external-domain-tls). */
  caKeyPem: string;
  certPem: string;
  keyPem: string;
  caFile: string;
}

export interface Pair {
  certPem: string;
  keyPem: string;
}

function readPair(dir: string, name: string): Pair | undefined {
  try {
    const pair = { certPem: fs.readFileSync(path.join(dir, `${name}.crt`), 'utf8'), keyPem: fs.readFileSync(path.join(dir, `${name}.key`), 'utf8') };
    const cert = new X509Certificate(pair.certPem);
    return cert.checkPrivateKey(createPrivateKey(pair.keyPem)) ? pair : undefined;
  } catch {
    return undefined; // missing or unreadable: issue a new one
  }
}

function writePair(dir: string, name: string, pair: Pair): void {
  fs.writeFileSync(path.join(dir, `${name}.key`), pair.keyPem, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, `${name}.crt`), pair.certPem, { mode: 0o644 });
}

function fresh(certPem: string, now: Date): boolean {
  const c = new X509Certificate(certPem);
  return new Date(c.validFrom).getTime() <= now.getTime() && new Date(c.validTo).getTime() - now.getTime() > RENEW_BEFORE_DAYS * DAY_MS;
}

/** RSA keys from Node's own generator (fast, native); forge only assembles and signs the certificate. */
function newKeys(): { keyPem: string; forgeKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    keyPem,
    forgeKey: forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  };
}

function baseCert(publicKey: forge.pki.rsa.PublicKey, now: Date, days: number, cap?: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // a positive INTEGER
  cert.serialNumber = serial.toString('hex');
  cert.publicKey = publicKey;
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  const until = now.getTime() + days * DAY_MS;
  cert.validity.notAfter = new Date(cap ? Math.min(until, cap.getTime()) : until);
  return cert;
}

function issueCa(now: Date): Pair {
  const keys = newKeys();
  const cert = baseCert(keys.publicKey, now, CA_DAYS);
  const name = [{ name: 'commonName', value: 'knit-ca' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.forgeKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** A serving certificate for `hosts` signed by `ca`, valid `days` (never past the CA's own expiry). */
export function issueServing(ca: Pair, hosts: readonly string[], now: Date, days = SERVING_DAYS, commonName = 'knit-apiserver'): Pair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(createPrivateKey(ca.keyPem).export({ type: 'pkcs1', format: 'pem' }).toString());
  const keys = newKeys();
  const cert = baseCert(keys.publicKey, now, days, caCert.validity.notAfter);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: hosts.map((h) => (net.isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** True when `certPem` is signed by `caPem` and names every host (checked with Node's own X.509 code). */
export function covers(certPem: string, caPem: string, hosts: readonly string[]): boolean {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
  return hosts.every((h) => (net.isIP(h) ? cert.checkIP(h) : cert.checkHost(h, { wildcards: false })) !== undefined);
}

/**
 * The names the serving certificate carries for an API bound to `bindHost`: loopback always, the bound
 * address, and for a wildcard bind the machine's name and every interface address.
 */
export function apiHosts(bindHost: string): string[] {
  const hosts = new Set(['localhost', '127.0.0.1', '::1']);
  if (bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '') {
    hosts.add(os.hostname());
    for (const addrs of Object.values(os.networkInterfaces())) for (const a of addrs ?? []) hosts.add(a.address.replace(/%.*$/, ''));
  } else {
    hosts.add(bindHost);
  }
  return [...hosts];
}

/**
 * Loads DATA_DIR/pki, issuing the CA on first start and a serving certificate whenever the current one is
 * missing, near expiry, issued by another CA or lacks one of `hosts`.
 */
export function ensureApiPki(dataDir: string, hosts: readonly string[], now = new Date()): ApiPki {
  const dir = path.join(dataDir, 'pki');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let ca = readPair(dir, 'ca');
  if (!ca || !fresh(ca.certPem, now)) {
    ca = issueCa(now);
    writePair(dir, 'ca', ca);
  }
  let serving = readPair(dir, 'apiserver');
  if (!serving || !fresh(serving.certPem, now) || !covers(serving.certPem, ca.certPem, hosts)) {
    serving = issueServing(ca, hosts, now);
    writePair(dir, 'apiserver', serving);
  }
  return { caPem: ca.certPem, caKeyPem: ca.keyPem, certPem: serving.certPem, keyPem: serving.keyPem, caFile: path.join(dir, 'ca.crt') };
}
