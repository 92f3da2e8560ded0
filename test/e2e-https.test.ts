// The HTTPS gateway end to end: `knit serve --https`, a DomainMapping with a kubernetes.io/tls Secret, and curl
// reaching the mapped host over TLS (SNI, the Secret's certificate) with HTTP/2 and HTTP/1.1 through ALPN.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, KnitServer } from './harness.ts';

/** curl and openssl come from scripts/test-deps.sh; without them this file skips. */
const missing = ['curl', 'openssl'].filter((c) => !(process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, c))));
if (missing.length > 0) console.log(`# e2e-https: skipped, ${missing.join(' and ')} missing (scripts/test-deps.sh installs them)`);
const skip = missing.length > 0;

let knit: KnitServer;
let certs: string;
let httpsPort: number;

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: certs, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

async function openssl(...args: string[]): Promise<void> {
  const r = await run('openssl', args);
  assert.equal(r.code, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

before(async () => {
  if (skip) return;
  certs = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-https-certs-'));
  // A CA of the test's own and a certificate it signs for api.example.org.
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=knit-https-test-ca');
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=api.example.org');
  fs.writeFileSync(path.join(certs, 'san.ext'), 'subjectAltName=DNS:api.example.org,DNS:hdr.example.org\n');
  await openssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.crt', '-days', '1', '-extfile', 'san.ext');

  knit = await new KnitServer(['--https', '127.0.0.1:0'], undefined, 'network:\n  autocreate-cluster-domain-claims: "true"\n').start();
  const endpoints = JSON.parse(fs.readFileSync(path.join(knit.dataDir, 'endpoints.json'), 'utf8')) as { https?: string };
  assert.match(endpoints.https ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
  httpsPort = Number(new URL(endpoints.https!).port);
  const svc = await knit.knit(['service', 'create', 'hello', '--image', './examples/helloworld', '--env', 'TARGET=tls']);
  assert.equal(svc.code, 0, svc.stderr);
  const secret = await knit.api('POST', '/api/v1/namespaces/default/secrets', {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api-cert' }, type: 'kubernetes.io/tls',
    data: { 'tls.crt': fs.readFileSync(path.join(certs, 'tls.crt')).toString('base64'), 'tls.key': fs.readFileSync(path.join(certs, 'tls.key')).toString('base64') },
  });
  assert.equal(secret.status, 201, JSON.stringify(secret.json));
});

after(async () => {
  await knit?.cleanup();
  if (certs) fs.rmSync(certs, { recursive: true, force: true });
});

function curl(host: string, ...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('curl', ['-sS', '--max-time', '10', '--cacert', 'ca.crt', '--resolve', `${host}:${httpsPort}:127.0.0.1`, '-w', '\n%{http_version}', ...extra, `https://${host}:${httpsPort}/`]);
}

test('knit domain create --tls: https URL, CertificateExternallyProvided, curl answers over TLS with HTTP/2 and HTTP/1.1', { skip }, async () => {
  const r = await knit.knit(['domain', 'create', 'api.example.org', '--ref', 'hello', '--tls', 'api-cert']);
  assert.equal(r.code, 0, r.stderr);
  const dm = await eventually('the mapping ready', async () => {
    const d = (await knit.api('GET', '/apis/serving.knative.dev/v1beta1/namespaces/default/domainmappings/api.example.org')).json as { status?: { url?: string; address?: { url?: string }; conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
    return d.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? d : undefined;
  }, 20_000);
  assert.equal(dm.status?.url, 'https://api.example.org');
  assert.equal(dm.status?.address?.url, 'https://api.example.org');
  const cert = dm.status?.conditions?.find((c) => c.type === 'CertificateProvisioned');
  assert.deepEqual([cert?.status, cert?.reason, cert?.message], ['True', 'CertificateExternallyProvided', 'TLS certificate was provided externally']);

  const h2 = await eventually('an answer over TLS', async () => {
    const got = await curl('api.example.org', '--http2');
    return got.code === 0 && got.stdout.startsWith('Hello') ? got : undefined;
  });
  assert.equal(h2.stdout, 'Hello tls!\n\n2');
  const h1 = await curl('api.example.org', '--http1.1');
  assert.equal(h1.code, 0, h1.stderr);
  assert.equal(h1.stdout, 'Hello tls!\n\n1.1');
  // Plain HTTP still answers for the mapped host (config-network http-protocol Enabled).
  assert.equal((await knit.request('api.example.org')).body, 'Hello tls!\n');
});

test('a server name with no certificate fails the handshake; nothing else is served over TLS', { skip }, async () => {
  const other = await curl('hello.default.example.com');
  assert.notEqual(other.code, 0, other.stdout);
  assert.match(other.stderr, /SSL|TLS|alert/i);
  // The listener keeps serving the mapped host after a failed handshake.
  const again = await curl('api.example.org', '--http2');
  assert.equal(again.stdout, 'Hello tls!\n\n2');
});

test('a request over TLS reaches the app with X-Forwarded-Proto https and proto=https in knit\'s Forwarded element', { skip }, async () => {
  const svc = await knit.knit(['service', 'create', 'hdr', '--image', './test/fixtures/dataplane-app']);
  assert.equal(svc.code, 0, svc.stderr);
  const r = await knit.knit(['domain', 'create', 'hdr.example.org', '--ref', 'hdr', '--tls', 'api-cert']);
  assert.equal(r.code, 0, r.stderr);
  for (const version of ['--http2', '--http1.1']) {
    const got = await eventually(`headers over TLS (${version})`, async () => {
      const res = await run('curl', ['-sS', '--max-time', '10', '--cacert', 'ca.crt', '--resolve', `hdr.example.org:${httpsPort}:127.0.0.1`, version,
        '-H', 'X-Forwarded-Proto: http', `https://hdr.example.org:${httpsPort}/headers`]);
      return res.code === 0 && res.stdout.startsWith('{') ? JSON.parse(res.stdout) as { headers: Record<string, string> } : undefined;
    });
    assert.equal(got.headers['x-forwarded-proto'], 'https', version);
    assert.match(got.headers.forwarded, /;proto=https$/, version);
  }
});
