// Route certificates (external-domain-tls): issued by knit's CA, kept with a 0600 key, reused across restarts, rotated at two thirds of their lifetime.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { certificateName, ROUTE_CERT_DAYS, RouteCertificates } from './certificates.ts';
import { ensureApiPki } from '../kube/pki.ts';

const DAY = 86_400_000;

test('route certificates: signed by the CA, key 0600, reused after a restart, renewed after 2/3 of their lifetime, released', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-certs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const start = new Date('2026-01-01T00:00:00Z');
  const pki = ensureApiPki(dir, ['127.0.0.1'], start);
  let now = start;
  const ca = { certPem: pki.caPem, keyPem: pki.caKeyPem };
  const routes = path.join(dir, 'pki', 'routes');
  const certs = new RouteCertificates(routes, ca, () => now);

  assert.equal(certs.forHost('hello.default.example.com'), undefined, 'nothing before ensure');
  assert.equal(certs.ensure('default/hello', 'route-u1', 'hello.default.example.com'), undefined);
  const first = certs.forHost('hello.default.example.com');
  assert.ok(first);
  const x = new X509Certificate(first.cert);
  const caCert = new X509Certificate(pki.caPem);
  assert.ok(x.checkIssued(caCert) && x.verify(caCert.publicKey), 'signed by knit CA');
  assert.equal(x.checkHost('hello.default.example.com'), 'hello.default.example.com');
  assert.equal(x.checkHost('other.default.example.com'), undefined);
  assert.equal(Math.round((new Date(x.validTo).getTime() - start.getTime()) / DAY), ROUTE_CERT_DAYS);
  assert.equal(fs.statSync(path.join(routes, 'default_route-u1.key')).mode & 0o777, 0o600);

  // A restarted knit reuses the files.
  const again = new RouteCertificates(routes, ca, () => now);
  assert.equal(again.ensure('default/hello', 'route-u1', 'hello.default.example.com'), undefined);
  assert.equal(again.forHost('hello.default.example.com')?.version, first.version);

  // Before two thirds of 90 days: the same certificate; after: a new one, served on the next handshake.
  now = new Date(start.getTime() + 59 * DAY);
  assert.equal(certs.forHost('hello.default.example.com')?.version, first.version);
  now = new Date(start.getTime() + 61 * DAY);
  const renewed = certs.forHost('hello.default.example.com');
  assert.ok(renewed);
  assert.notEqual(renewed.version, first.version);
  assert.ok(new Date(new X509Certificate(renewed.cert).validTo).getTime() > new Date(x.validTo).getTime());
  assert.equal(fs.readFileSync(path.join(routes, 'default_route-u1.crt'), 'utf8'), renewed.cert, 'the renewed certificate is on disk');

  // Released certificates are gone from memory and disk; kept ones stay.
  assert.equal(certs.ensure('default/hello', 'route-u1-7', 'v1-hello.default.example.com'), undefined);
  certs.release('default/hello', new Set(['route-u1']));
  assert.equal(certs.forHost('v1-hello.default.example.com'), undefined);
  assert.ok(certs.forHost('hello.default.example.com'));
  assert.equal(fs.existsSync(path.join(routes, 'default_route-u1-7.key')), false);
  // The same certificate for another host (a changed domain template) stops serving the old one.
  assert.equal(certs.ensure('default/hello', 'route-u1', 'hello.default.knit.test'), undefined);
  assert.equal(certs.forHost('hello.default.example.com'), undefined);
  assert.ok(certs.forHost('hello.default.knit.test'));
  certs.release('default/hello');
  assert.equal(certs.forHost('hello.default.knit.test'), undefined);
  assert.deepEqual(fs.readdirSync(routes), []);
});

test('certificate names follow Knative: route-<uid>, and -<adler32(tag)> for a tag', () => {
  assert.equal(certificateName('abc', ''), 'route-abc');
  // adler32("Wikipedia") is 0x11E60398 (RFC 1950's checksum, the usual worked example).
  assert.equal(certificateName('abc', 'Wikipedia'), `route-abc-${0x11e60398}`);
});
