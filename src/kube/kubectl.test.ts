// End-to-end test with the real kubectl: server-side apply by two field managers against patch.ts behind a small HTTP endpoint.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { patchObject } from './patch.ts';
import { builtinSchema, type SchemaNode } from './merge-schema.ts';
import { StatusError } from './status.ts';
import { managerFromUserAgent, recordUpdate, resetFieldsFor, type KubeObject } from './managed-fields.ts';

const KUBECTL = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
const schema = builtinSchema('apps/v1', 'Deployment') as SchemaNode;
const store = new Map<string, KubeObject>();
let server: http.Server;
let dir: string;
let base: string;

function send(res: http.ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

// Just enough of the discovery API for kubectl to find deployments.apps/v1; PATCH goes through patchObject.
function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
  if (url.pathname === '/api/v1') return send(res, 200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [] });
  if (url.pathname === '/apis') {
    return send(res, 200, {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }],
    });
  }
  if (url.pathname === '/apis/apps/v1') {
    return send(res, 200, {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'apps/v1',
      resources: [{ name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: ['get', 'patch', 'list'], shortNames: ['deploy'] }],
    });
  }
  const coll = url.pathname.match(/^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments$/);
  if (coll && req.method === 'POST') {
    // Create, as client-side `kubectl apply` does for a new object.
    const obj = JSON.parse(body) as KubeObject;
    const name = (obj.metadata as { name: string }).name;
    const created = recordUpdate(undefined, obj, {
      manager: url.searchParams.get('fieldManager') || managerFromUserAgent(req.headers['user-agent']),
      apiVersion: 'apps/v1',
      now: new Date('2026-12-01T12:00:00Z'),
      schema,
      ignoredFields: resetFieldsFor(undefined, true),
    });
    created.metadata = { ...(created.metadata as object), namespace: coll[1], uid: 'uid-2', resourceVersion: '1' };
    store.set(`${coll[1]}/${name}`, created);
    return send(res, 201, created);
  }
  const m = url.pathname.match(/^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/);
  if (!m) return send(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 });
  const key = `${m[1]}/${m[2]}`;
  if (req.method === 'GET') {
    const o = store.get(key);
    return o ? send(res, 200, o) : send(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `deployments.apps "${m[2]}" not found`, reason: 'NotFound', code: 404 });
  }
  if (req.method === 'POST' || req.method === 'PUT') {
    return send(res, 405, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'not served', reason: 'MethodNotAllowed', code: 405 });
  }
  try {
    const live = store.get(key);
    const r = patchObject({
      contentType: req.headers['content-type'],
      body,
      live,
      target: { apiVersion: 'apps/v1', kind: 'Deployment', group: 'apps', resource: 'deployments', name: m[2], namespace: m[1], schema, strategic: true, hasStatusSubresource: true },
      fieldManager: url.searchParams.get('fieldManager') ?? undefined,
      force: url.searchParams.get('force') ?? undefined,
      dryRun: url.searchParams.getAll('dryRun'),
      userAgent: req.headers['user-agent'],
      now: new Date('2026-12-01T12:00:00Z'),
    });
    if (r.created) r.object.metadata = { ...(r.object.metadata as object), uid: 'uid-1', resourceVersion: '1' };
    if (!r.dryRun) store.set(key, r.object);
    send(res, r.created ? 201 : 200, r.object);
  } catch (e) {
    if (e instanceof StatusError) return send(res, e.code, e.toStatus());
    throw e;
  }
}

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL as string,
      [`--kubeconfig=${join(dir, 'config')}`, `--server=${base}`, `--cache-dir=${join(dir, 'cache')}`, ...args],
      { timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

const manifest = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'knit-kubectl-'));
  writeFileSync(join(dir, 'config'), 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

test('kubectl apply --server-side by two managers: conflict, --force-conflicts, managedFields of both', { skip: KUBECTL ? false : 'kubectl is not installed' }, async () => {
  const first = await kubectl(['apply', '--server-side', '--validate=false', '-f', '-'], manifest(1));
  assert.equal(first.stdout.trim(), 'deployment.apps/web serverside-applied', first.stderr);

  const conflict = await kubectl(['apply', '--server-side', '--validate=false', '--field-manager', 'other', '-f', '-'], manifest(3));
  assert.notEqual(conflict.code, 0);
  assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.spec\.replicas/);
  assert.match(conflict.stderr, /--force-conflicts/);

  const forced = await kubectl(['apply', '--server-side', '--validate=false', '--field-manager', 'other', '--force-conflicts', '-f', '-'], manifest(3));
  assert.equal(forced.stdout.trim(), 'deployment.apps/web serverside-applied', forced.stderr);

  const got = await kubectl(['get', 'deployment', 'web', '-n', 'default', '-o', 'json', '--show-managed-fields']);
  assert.equal(got.code, 0, got.stderr);
  const obj = JSON.parse(got.stdout) as { spec: { replicas: number }; metadata: { managedFields: Array<{ manager: string; fieldsV1: { 'f:spec': Record<string, unknown> } }> } };
  assert.equal(obj.spec.replicas, 3);
  const managers = obj.metadata.managedFields.map((e) => [e.manager, 'f:replicas' in e.fieldsV1['f:spec']]);
  assert.deepEqual(managers, [['kubectl', false], ['other', true]]);

  const dry = await kubectl(['apply', '--server-side', '--validate=false', '--dry-run=server', '--field-manager', 'other', '-f', '-'], manifest(7));
  assert.match(dry.stdout, /serverside-applied \(server dry run\)/);
  assert.equal((store.get('default/web')?.spec as { replicas: number }).replicas, 3);
});

test('kubectl patch --type strategic|merge|json as the apiserver answers them', { skip: KUBECTL ? false : 'kubectl is not installed' }, async () => {
  await kubectl(['apply', '--server-side', '--validate=false', '-f', '-'], manifest(1));
  const smp = await kubectl(['patch', 'deployment', 'web', '-n', 'default', '--type', 'strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}']);
  assert.equal(smp.stdout.trim(), 'deployment.apps/web patched', smp.stderr);
  const d = store.get('default/web') as { spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } }; metadata: { managedFields: Array<{ manager: string; operation: string }> } };
  assert.deepEqual(d.spec.template.spec.containers, [{ name: 'nginx', image: 'nginx:1.28' }]);
  assert.ok(d.metadata.managedFields.some((e) => e.manager === 'kubectl-patch' && e.operation === 'Update'));

  const failedTest = await kubectl(['patch', 'deployment', 'web', '-n', 'default', '--type', 'json', '-p', '[{"op":"test","path":"/spec/replicas","value":9}]']);
  assert.notEqual(failedTest.code, 0);
  assert.match(failedTest.stderr, /the server rejected our request due to an error in our request/);

  const merge = await kubectl(['patch', 'deployment', 'web', '-n', 'default', '--type', 'merge', '-p', '{"metadata":{"labels":{"__proto__":"kept"}}}']);
  assert.equal(merge.code, 0, merge.stderr);
  assert.equal(JSON.stringify((store.get('default/web')?.metadata as { labels: unknown }).labels), '{"__proto__":"kept"}');
});

test('client-side kubectl apply: create, then a strategic merge patch with $setElementOrder', { skip: KUBECTL ? false : 'kubectl is not installed' }, async () => {
  const csa = (env: string[], image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: csa
  namespace: default
spec:
  selector:
    matchLabels: {app: csa}
  template:
    metadata:
      labels: {app: csa}
    spec:
      containers:
      - name: app
        image: ${image}
        env:
${env.map((n) => `        - {name: ${n}, value: "1"}`).join('\n')}
`;
  const first = await kubectl(['apply', '--validate=false', '-f', '-'], csa(['A', 'B'], 'app:1'));
  assert.equal(first.stdout.trim(), 'deployment.apps/csa created', first.stderr);
  const second = await kubectl(['apply', '--validate=false', '-f', '-'], csa(['C', 'A'], 'app:2'));
  assert.equal(second.stdout.trim(), 'deployment.apps/csa configured', second.stderr);
  const d = store.get('default/csa') as { spec: { template: { spec: { containers: Array<{ image: string; env: Array<{ name: string }> }> } } }; metadata: { managedFields: Array<{ manager: string }> } };
  assert.equal(d.spec.template.spec.containers[0].image, 'app:2');
  assert.deepEqual(d.spec.template.spec.containers[0].env.map((e) => e.name), ['C', 'A']);
  assert.deepEqual(d.metadata.managedFields.map((e) => e.manager), ['kubectl-client-side-apply']);
});
