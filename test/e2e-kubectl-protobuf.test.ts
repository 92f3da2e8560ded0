// kubectl's typed-client commands send Kubernetes protobuf bodies: against `knit serve` they work as against a
// cluster (create secret / configmap / namespace, auth can-i), the store then holds the objects they encode,
// other clients' protobuf updates and DeleteOptions are decoded too, and bodies knit cannot decode are refused
// with the apiserver's texts.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { KnitServer } from './harness.ts';
import { entry, envelope, len } from './kube/protobuf-encoder.ts';

let knit: KnitServer;
let files: string;

before(async () => {
  knit = await new KnitServer().start();
  files = fs.mkdtempSync(path.join(knit.dataDir, 'files-'));
});

after(async () => {
  await knit?.cleanup();
});

async function ok(args: string[]): Promise<string> {
  const r = await knit.kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A stored object as the API serves it. */
async function stored(pathname: string): Promise<Record<string, unknown>> {
  const r = await knit.api('GET', pathname);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json as Record<string, unknown>;
}

const SECRET_VALUE = 'hunter2-do-not-print';

test('kubectl create secret generic: created, and the store holds the values base64-encoded', async () => {
  assert.equal(await ok(['create', 'secret', 'generic', 's1', `--from-literal=password=${SECRET_VALUE}`, '--from-literal=user=admin']), 'secret/s1 created\n');
  const secret = await stored('/api/v1/namespaces/default/secrets/s1');
  assert.deepEqual(secret.data, { password: Buffer.from(SECRET_VALUE).toString('base64'), user: Buffer.from('admin').toString('base64') });
  assert.equal(secret.type, 'Opaque');
  const md = secret.metadata as { name: string; namespace: string; uid: string; managedFields: { manager: string; operation: string }[] };
  assert.equal(md.namespace, 'default');
  assert.match(md.uid, /^[0-9a-f-]{36}$/);
  assert.deepEqual(md.managedFields.map((m) => [m.manager, m.operation]), [['kubectl-create', 'Update']]);
  const table = await ok(['get', 'secret', 's1']);
  assert.match(table, /^NAME\s+TYPE\s+DATA\s+AGE\ns1\s+Opaque\s+2\s+/);
  const again = await knit.kubectl(['create', 'secret', 'generic', 's1', '--from-literal=a=b']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /secrets "s1" already exists/);
});

test('kubectl create secret docker-registry and --dry-run=server: the type is kept; a dry run stores nothing', async () => {
  assert.equal(await ok(['create', 'secret', 'docker-registry', 'reg', '--docker-server=registry.local', '--docker-username=u', `--docker-password=${SECRET_VALUE}`]), 'secret/reg created\n');
  assert.equal((await stored('/api/v1/namespaces/default/secrets/reg')).type, 'kubernetes.io/dockerconfigjson');
  assert.equal(await ok(['create', 'secret', 'generic', 'dry', '--from-literal=a=b', '--dry-run=server']), 'secret/dry created (server dry run)\n');
  assert.equal((await knit.api('GET', '/api/v1/namespaces/default/secrets/dry')).status, 404);
});

test('kubectl create configmap --from-file: text files in data, binary files in binaryData', async () => {
  fs.writeFileSync(path.join(files, 'app.conf'), 'port=8080\n');
  fs.writeFileSync(path.join(files, 'logo.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]));
  assert.equal(await ok(['create', 'configmap', 'c1', `--from-file=${path.join(files, 'app.conf')}`, `--from-file=${path.join(files, 'logo.bin')}`]), 'configmap/c1 created\n');
  const cm = await stored('/api/v1/namespaces/default/configmaps/c1');
  assert.deepEqual(cm.data, { 'app.conf': 'port=8080\n' });
  assert.deepEqual(cm.binaryData, { 'logo.bin': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]).toString('base64') });
  assert.equal(await ok(['get', 'configmap', 'c1', '-o', 'jsonpath={.data.app\\.conf}']), 'port=8080\n');
});

test('kubectl create namespace, then kubectl get ns lists it Active; objects can be created in it', async () => {
  assert.equal(await ok(['create', 'namespace', 'team-a']), 'namespace/team-a created\n');
  const ns = await stored('/api/v1/namespaces/team-a');
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(ns.status, { phase: 'Active' });
  const list = await ok(['get', 'ns']);
  assert.match(list, /^NAME\s+STATUS\s+AGE\n/);
  assert.match(list, /\nteam-a\s+Active\s+\d+s\n/);
  assert.equal(await ok(['create', 'configmap', 'in-team', '-n', 'team-a', '--from-literal=k=v']), 'configmap/in-team created\n');
  assert.deepEqual((await stored('/api/v1/namespaces/team-a/configmaps/in-team')).data, { k: 'v' });
  const missing = await knit.kubectl(['create', 'secret', 'generic', 'x', '-n', 'nowhere', '--from-literal=a=b']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /namespaces "nowhere" not found/);
});

test('kubectl auth can-i create ksvc answers yes; --list prints the rules', async () => {
  assert.equal(await ok(['auth', 'can-i', 'create', 'ksvc']), 'yes\n');
  assert.equal(await ok(['auth', 'can-i', 'delete', 'secrets', '-n', 'team-a']), 'yes\n');
  assert.equal(await ok(['auth', 'can-i', 'get', '/healthz']), 'yes\n');
  const rules = (await ok(['auth', 'can-i', '--list'])).split('\n').map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rules.slice(0, 3), [
    ['Resources', 'Non-Resource', 'URLs', 'Resource', 'Names', 'Verbs'],
    ['*.*', '[]', '[]', '[*]'],
    ['[*]', '[]', '[*]'],
  ]);
});

test('kubectl replace of a manifest with creationTimestamp: null keeps the stored timestamp, as on a cluster', async () => {
  assert.equal(await ok(['create', 'configmap', 'r1', '--from-literal=k=v1']), 'configmap/r1 created\n');
  const created = (await stored('/api/v1/namespaces/default/configmaps/r1')).metadata as { creationTimestamp: string };
  // What `kubectl create configmap r1 --from-literal=k=v2 --dry-run=client -o yaml` prints, for `kubectl replace -f`.
  const manifest = path.join(files, 'r1.yaml');
  fs.writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: r1\n  creationTimestamp: null\ndata:\n  k: v2\n');
  assert.equal(await ok(['replace', '-f', manifest]), 'configmap/r1 replaced\n');
  const replaced = await stored('/api/v1/namespaces/default/configmaps/r1');
  assert.deepEqual(replaced.data, { k: 'v2' });
  assert.equal((replaced.metadata as { creationTimestamp: string }).creationTimestamp, created.creationTimestamp);
});

// --- other protobuf clients (client-go with the protobuf content type), by hand-encoded bodies ---


function send(method: string, pathname: string, contentType: string, body: Buffer): Promise<{ status: number; json: Record<string, unknown> }> {
  const u = new URL(knit.endpoints.api);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: u.hostname, port: Number(u.port), method, path: pathname, ca: knit.caPem(), agent: false,
      headers: { authorization: `Bearer ${knit.token}`, 'content-type': contentType, accept: 'application/json', 'content-length': body.length },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const PB = 'application/vnd.kubernetes.protobuf';

test('a protobuf PUT updates a ConfigMap; protobuf DeleteOptions preconditions are honoured', async () => {
  const current = await stored('/api/v1/namespaces/default/configmaps/c1');
  const md = current.metadata as { resourceVersion: string; uid: string };
  const put = await send('PUT', '/api/v1/namespaces/default/configmaps/c1', PB,
    envelope('v1', 'ConfigMap', Buffer.concat([len(1, Buffer.concat([len(1, 'c1'), len(6, md.resourceVersion), entry(11, 'app', 'web')])), entry(2, 'mode', 'prod')])));
  assert.equal(put.status, 200, JSON.stringify(put.json));
  const after = await stored('/api/v1/namespaces/default/configmaps/c1');
  assert.deepEqual(after.data, { mode: 'prod' });
  assert.equal(after.binaryData, undefined);
  assert.deepEqual((after.metadata as { labels: unknown }).labels, { app: 'web' });

  const wrongUid = await send('DELETE', '/api/v1/namespaces/default/configmaps/c1', PB, envelope('v1', 'DeleteOptions', len(2, len(1, 'not-the-uid'))));
  assert.equal(wrongUid.status, 409);
  assert.equal(wrongUid.json.message, `Operation cannot be fulfilled on configmaps "c1": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${md.uid}`);
  const del = await send('DELETE', '/api/v1/namespaces/default/configmaps/c1', PB, envelope('v1', 'DeleteOptions', len(2, len(1, md.uid))));
  assert.equal(del.status, 200, JSON.stringify(del.json));
  assert.equal((await knit.api('GET', '/api/v1/namespaces/default/configmaps/c1')).status, 404);
});

test('protobuf bodies knit cannot decode, and other media types, get the apiserver\'s refusals', async () => {
  const garbage = await send('POST', '/api/v1/namespaces/default/secrets', PB, Buffer.from('not protobuf'));
  assert.equal(garbage.status, 400);
  assert.equal(garbage.json.message, `the object provided is unrecognized (must be of type Secret): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (${Buffer.from('not protobuf').toString('hex')})`);
  const broken = await send('POST', '/api/v1/namespaces/default/secrets', PB, envelope('v1', 'Secret', Buffer.from([0x0a, 0x05, 0x0a])));
  assert.equal(broken.status, 400);
  assert.equal(broken.json.message, 'Secret in version "v1" cannot be handled as a Secret: unexpected EOF');
  const deployment = await send('POST', '/apis/apps/v1/namespaces/default/deployments', PB, envelope('apps/v1', 'Deployment', len(1, len(1, 'd'))));
  assert.equal(deployment.status, 415);
  assert.equal(deployment.json.message, 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
  const ksvc = await send('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', PB, envelope('serving.knative.dev/v1', 'Service', len(1, len(1, 'k'))));
  assert.equal(ksvc.status, 415);
  assert.equal(ksvc.json.message, 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
  const text = await send('POST', '/api/v1/namespaces/default/secrets', 'text/plain', Buffer.from('x'));
  assert.equal(text.status, 415);
  assert.equal(text.json.message, 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf');
});

test('the Secret\'s value never appears in knit\'s output', () => {
  const log = knit.log;
  assert.ok(log.includes('API:'), 'the server log was captured');
  assert.ok(!log.includes(SECRET_VALUE));
  assert.ok(!log.includes(Buffer.from(SECRET_VALUE).toString('base64')));
});
