// The API's PKI: a CA and a serving certificate that a TLS client trusting only the CA accepts for each
// address, kept across restarts and reissued when near expiry or when the addresses change.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { apiHosts, ensureApiPki } from './pki.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-pki-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function get(port: number, host: string, ca: string, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host, port, ca, servername, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

test('a client that trusts only the CA reaches the API by localhost, 127.0.0.1 and ::1', async (t) => {
  const dir = tempDir(t);
  const pki = ensureApiPki(dir, apiHosts('127.0.0.1'));
  const server = https.createServer({ cert: pki.certPem, key: pki.keyPem }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '::', r));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  assert.equal(await get(port, '127.0.0.1', pki.caPem), 'ok');
  assert.equal(await get(port, '::1', pki.caPem), 'ok');
  assert.equal(await get(port, '127.0.0.1', pki.caPem, 'localhost'), 'ok');
  await assert.rejects(get(port, '127.0.0.1', pki.caPem, 'other.example'), /altnames|Hostname/);
  // A client that trusts the system roots only refuses knit's certificate.
  await assert.rejects(get(port, '127.0.0.1', ''), /self[- ]signed|unable to get|certificate/i);
});

test('keys are 0600, the CA is kept across restarts and the serving certificate reused while it fits', async (t) => {
  const dir = tempDir(t);
  const a = ensureApiPki(dir, apiHosts('127.0.0.1'));
  for (const f of ['ca.key', 'apiserver.key']) assert.equal(fs.statSync(path.join(dir, 'pki', f)).mode & 0o777, 0o600, f);
  const b = ensureApiPki(dir, apiHosts('127.0.0.1'));
  assert.equal(b.caPem, a.caPem);
  assert.equal(b.certPem, a.certPem);
  assert.equal(a.caFile, path.join(dir, 'pki', 'ca.crt'));
  const ca = new X509Certificate(a.caPem);
  assert.equal(ca.ca, true);
  assert.ok(new X509Certificate(a.certPem).checkIssued(ca));
});

test('a new address or a certificate near expiry gets a new serving certificate from the same CA', async (t) => {
  const dir = tempDir(t);
  const now = new Date();
  const a = ensureApiPki(dir, apiHosts('127.0.0.1'), now);
  const moved = ensureApiPki(dir, apiHosts('10.11.12.13'), now);
  assert.equal(moved.caPem, a.caPem);
  assert.notEqual(moved.certPem, a.certPem);
  assert.equal(new X509Certificate(moved.certPem).checkIP('10.11.12.13'), '10.11.12.13');
  const later = new Date(now.getTime() + 340 * 86_400_000); // within 30 days of the 1-year expiry
  const renewed = ensureApiPki(dir, apiHosts('10.11.12.13'), later);
  assert.equal(renewed.caPem, a.caPem);
  assert.notEqual(renewed.certPem, moved.certPem);
  assert.ok(new Date(new X509Certificate(renewed.certPem).validTo).getTime() > later.getTime() + 300 * 86_400_000);
});

test('a corrupt key or certificate is replaced, not fatal', async (t) => {
  const dir = tempDir(t);
  const a = ensureApiPki(dir, apiHosts('127.0.0.1'));
  fs.writeFileSync(path.join(dir, 'pki', 'apiserver.key'), 'garbage');
  const b = ensureApiPki(dir, apiHosts('127.0.0.1'));
  assert.equal(b.caPem, a.caPem);
  assert.notEqual(b.keyPem, a.keyPem);
});
