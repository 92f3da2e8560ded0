// external-domain-tls end to end: `knit serve --https` with config-network external-domain-tls Enabled and http-protocol
// Redirected; a new service's URL and its tag URL are https and answer over TLS with certificates from knit's CA
// (DATA_DIR/pki/ca.crt), and plain HTTP for them answers 301 to the https URL.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eventually, KnitServer } from './harness.ts';

/** curl comes from scripts/test-deps.sh; without it this file skips. */
const skip = !(process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, 'curl')));
if (skip) console.log('# e2e-external-tls: skipped, curl missing (scripts/test-deps.sh installs it)');

let knit: KnitServer;
let httpsPort: number;

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

function tlsGet(host: string, pathname = '/', ...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return curl(['--cacert', path.join(knit.dataDir, 'pki', 'ca.crt'), '--resolve', `${host}:${httpsPort}:127.0.0.1`, '-w', '\n%{http_version}', ...extra, `https://${host}:${httpsPort}${pathname}`]);
}

interface Status { url?: string; traffic?: { tag?: string; url?: string }[]; conditions?: { type: string; status: string; reason?: string; message?: string }[] }

before(async () => {
  if (skip) return;
  knit = await new KnitServer(['--https', '127.0.0.1:0'], undefined, 'network:\n  external-domain-tls: Enabled\n  http-protocol: Redirected\n  autocreate-cluster-domain-claims: "true"\n').start();
  const endpoints = JSON.parse(fs.readFileSync(path.join(knit.dataDir, 'endpoints.json'), 'utf8')) as { https?: string };
  httpsPort = Number(new URL(endpoints.https ?? 'https://127.0.0.1:0').port);
  assert.ok(httpsPort > 0, 'knit serves https');
});

after(async () => {
  await knit?.cleanup();
});

test('a new service gets an https URL, CertificateProvisioned True, and answers over TLS with a certificate from knit\'s CA', { skip }, async () => {
  const r = await knit.knit(['service', 'create', 'hello', '--image', './examples/helloworld', '--env', 'TARGET=tls', '--tag', '@latest=v1']);
  assert.equal(r.code, 0, r.stderr);
  const svc = await eventually('the service ready', async () => {
    const s = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/hello')).json as { status?: Status };
    return s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? s : undefined;
  }, 30_000);
  assert.equal(svc.status?.url, 'https://hello.default.example.com');
  assert.deepEqual(svc.status?.traffic?.filter((t) => t.tag).map((t) => t.url), ['https://v1-hello.default.example.com']);
  const rt = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/routes/hello')).json as { status?: Status };
  const cert = rt.status?.conditions?.find((c) => c.type === 'CertificateProvisioned');
  assert.deepEqual([cert?.status, cert?.reason], ['True', undefined]);

  for (const host of ['hello.default.example.com', 'v1-hello.default.example.com']) {
    for (const version of ['--http2', '--http1.1']) {
      const got = await tlsGet(host, '/', version);
      assert.equal(got.code, 0, `${host} ${version}: ${got.stderr}`);
      assert.equal(got.stdout, `Hello tls!\n\n${version === '--http2' ? '2' : '1.1'}`);
    }
  }
  // The certificate is knit's: its issuer is the CA in DATA_DIR/pki, and it names the host.
  const verbose = await tlsGet('hello.default.example.com', '/', '-v');
  assert.match(verbose.stderr, /issuer: CN=knit-ca/);
  assert.match(verbose.stderr, /subject: CN=hello\.default\.example\.com/);
  assert.equal(fs.statSync(path.join(knit.dataDir, 'pki', 'routes')).mode & 0o077, 0, 'route keys are private to knit');
});

test('http-protocol Redirected: plain HTTP for the service\'s hosts answers 301 to the https URL, path and query kept', { skip }, async () => {
  const plain = await eventually('a redirect', async () => {
    const res = await knit.request('hello.default.example.com', '/some/path?q=1');
    return res.status === 301 ? res : undefined;
  });
  assert.equal(plain.headers.location, `https://hello.default.example.com:${httpsPort}/some/path?q=1`);
  const tag = await knit.request('v1-hello.default.example.com', '/');
  assert.equal(tag.status, 301);
  assert.equal(tag.headers.location, `https://v1-hello.default.example.com:${httpsPort}/`);
  // curl follows the redirect to the TLS listener.
  const u = new URL(knit.endpoints.http);
  const followed = await curl(['-L', '--cacert', path.join(knit.dataDir, 'pki', 'ca.crt'),
    '--resolve', `hello.default.example.com:${u.port}:127.0.0.1`, '--resolve', `hello.default.example.com:${httpsPort}:127.0.0.1`,
    `http://hello.default.example.com:${u.port}/`]);
  assert.equal(followed.code, 0, followed.stderr);
  assert.equal(followed.stdout, 'Hello tls!\n');
  // The cluster-local listener is not redirected.
  const local = await knit.request('hello.default.svc.cluster.local', '/', 'localHttp');
  assert.equal(local.status, 200);
});

test('a DomainMapping without spec.tls gets a certificate of knit\'s own: https URL, CertificateProvisioned True, TLS answers', { skip }, async () => {
  const r = await knit.knit(['domain', 'create', 'api.example.org', '--ref', 'hello']);
  assert.equal(r.code, 0, r.stderr);
  const dm = await eventually('the mapping ready', async () => {
    const d = (await knit.api('GET', '/apis/serving.knative.dev/v1beta1/namespaces/default/domainmappings/api.example.org')).json as { status?: Status };
    return d.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? d : undefined;
  }, 20_000);
  assert.equal(dm.status?.url, 'https://api.example.org');
  const cert = dm.status?.conditions?.find((c) => c.type === 'CertificateProvisioned');
  assert.deepEqual([cert?.status, cert?.reason], ['True', undefined]);
  const got = await tlsGet('api.example.org', '/', '--http2');
  assert.equal(got.code, 0, got.stderr);
  assert.equal(got.stdout, 'Hello tls!\n\n2');
  // Deleting the mapping drops its certificate: the handshake for the name fails.
  const del = await knit.knit(['domain', 'delete', 'api.example.org']);
  assert.equal(del.code, 0, del.stderr);
  await eventually('the certificate gone', async () => ((await tlsGet('api.example.org')).code !== 0 ? true : undefined), 20_000);
});

test('a cluster-local service keeps its http URL with TLS not enabled for cluster-local', { skip }, async () => {
  const r = await knit.knit(['service', 'create', 'inside', '--image', './examples/helloworld', '--cluster-local']);
  assert.equal(r.code, 0, r.stderr);
  const rt = await eventually('the route ready', async () => {
    const s = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/routes/inside')).json as { status?: Status };
    return s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? s : undefined;
  }, 30_000);
  assert.equal(rt.status?.url, 'http://inside.default.svc.cluster.local');
  const cert = rt.status?.conditions?.find((c) => c.type === 'CertificateProvisioned');
  assert.deepEqual([cert?.status, cert?.reason, cert?.message], ['True', 'TLSNotEnabled', 'TLS is not enabled for cluster-local']);
});
