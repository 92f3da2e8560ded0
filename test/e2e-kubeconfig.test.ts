// The API over HTTPS: `knit serve` writes DATA_DIR/kubeconfig with its CA and token, kubectl authenticates
// with it, a client that does not trust the CA is refused, and plain HTTP gets Go's 400 answer.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import https from 'node:https';
import fs from 'node:fs';
import { parse } from 'yaml';
import { KnitServer } from './harness.ts';

let knit: KnitServer;

before(async () => {
  knit = await new KnitServer().start();
});

after(async () => {
  await knit?.cleanup();
});

test('the kubeconfig names knit\'s https API, its CA and the token, in context knit, namespace default', () => {
  const file = path.join(knit.dataDir, 'kubeconfig');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const doc = parse(fs.readFileSync(file, 'utf8'));
  assert.equal(doc['current-context'], 'knit');
  assert.equal(doc.clusters[0].cluster.server, knit.endpoints.api);
  assert.match(knit.endpoints.api, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), knit.caPem());
  assert.equal(doc.users[0].user.token, knit.token);
  assert.equal(doc.contexts[0].context.namespace, 'default');
});

test('kubectl authenticates with the kubeconfig over TLS and reads Knative Services', async () => {
  const created = await knit.knit(['service', 'create', 'tls-hello', '--image', path.join(import.meta.dirname, '..', 'examples', 'helloworld'), '--no-wait']);
  assert.equal(created.code, 0, created.stderr);
  const r = await knit.kubectl(['get', '--raw', '/apis/serving.knative.dev/v1/namespaces/default/services']);
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as { items: { metadata: { name: string } }[] };
  assert.deepEqual(list.items.map((i) => i.metadata.name), ['tls-hello']);
  const url = await knit.kubectl(['get', 'ksvc', 'tls-hello', '-o', 'jsonpath={.metadata.name}']);
  assert.equal(url.code, 0, url.stderr);
  assert.equal(url.stdout, 'tls-hello');
});

test('a client that does not trust knit\'s CA is refused; one that does, without the token, gets 401', async () => {
  const u = new URL(knit.endpoints.api);
  const get = (ca?: string): Promise<number> =>
    new Promise((resolve, reject) => {
      https.get({ host: u.hostname, port: u.port, path: '/apis/serving.knative.dev/v1/services', ca, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
  await assert.rejects(get(), /self[- ]signed|unable to (get|verify)/i);
  assert.equal(await get(knit.caPem()), 401);
});

test('plain HTTP on the API port gets Go\'s "Client sent an HTTP request to an HTTPS server."', async () => {
  const u = new URL(knit.endpoints.api);
  const answer = await new Promise<string>((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => s.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n'));
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => (text += c));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
  assert.equal(answer, 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
});

test('knit kubeconfig prints it; --merge adds knit to another kubeconfig that kubectl then uses', async () => {
  const printed = await knit.knit(['kubeconfig']);
  assert.equal(printed.code, 0, printed.stderr);
  assert.equal(printed.stdout, fs.readFileSync(path.join(knit.dataDir, 'kubeconfig'), 'utf8'));

  const target = path.join(knit.dataDir, 'home', '.kube', 'config');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, 'apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster: {server: "https://prod.invalid:6443"}\ncontexts:\n- name: prod\n  context: {cluster: prod}\ncurrent-context: prod\n');
  const merged = await knit.knit(['kubeconfig', '--merge'], { env: { KUBECONFIG: target } });
  assert.equal(merged.code, 0, merged.stderr);
  assert.equal(merged.stdout, `Merged cluster "knit", user "knit-admin" and context "knit" into ${target}; current context is now "knit".\n`);
  const doc = parse(fs.readFileSync(target, 'utf8'));
  assert.deepEqual(doc.contexts.map((c: { name: string }) => c.name), ['prod', 'knit']);
  const r = await knit.kubectl(['--kubeconfig', target, 'get', '--raw', '/apis/serving.knative.dev/v1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).groupVersion, 'serving.knative.dev/v1');

  const missing = await knit.knit(['kubeconfig', '--data-dir', path.join(knit.dataDir, 'nowhere')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error: no kubeconfig at .*nowhere\/kubeconfig: start the server first with: knit serve\n/);
});
