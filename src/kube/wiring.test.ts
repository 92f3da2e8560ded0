// The kube modules wired the way the API server is meant to call them, exercised over a real HTTP server on port 0.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  decodeRequestPath, FIELD_SELECTABLE, GO_BAD_REQUEST, StatusError, parseListOptions, planList, stringifyJSON, takePage,
} from './index.ts';
import type { JSONValue } from './index.ts';

type Svc = { metadata: { name: string; namespace: string; labels: Record<string, string> } };
const svc = (namespace: string, name: string, app: string): Svc => ({ metadata: { name, namespace, labels: { app } } });
const STORE: Svc[] = [svc('default', 'a', 'web'), svc('default', 'b', 'api'), svc('default', 'c', 'web'), svc('other', 'd', 'web'), svc('default', 'e', 'web')];
const REVISIONS = { current: 12, oldest: 12 };
const KIND = FIELD_SELECTABLE.customResource(true);

function send(res: http.ServerResponse, code: number, body: JSONValue): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(stringifyJSON(body));
}

// A list endpoint for services.serving.knative.dev, as the API server would assemble it from the kube modules.
function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = decodeRequestPath(q < 0 ? url : url.slice(0, q));
  if (!path.ok) {
    res.writeHead(GO_BAD_REQUEST.status, GO_BAD_REQUEST.headers);
    res.end(GO_BAD_REQUEST.body);
    return;
  }
  const s = path.segments;
  const namespace = s.length === 6 && s[3] === 'namespaces' ? s[4] : undefined;
  try {
    const opts = parseListOptions(q < 0 ? '' : url.slice(q + 1), { fields: KIND });
    const plan = planList(opts, REVISIONS);
    const inScope = STORE.filter((o) => namespace === undefined || o.metadata.namespace === namespace);
    const matches = (o: Svc): boolean => opts.labelSelector.matches(o.metadata.labels) && opts.fieldSelector.matches(KIND.fields(o));
    const page = takePage(inScope, plan, { listNamespace: namespace, matches });
    const metadata: Record<string, JSONValue> = { resourceVersion: page.resourceVersion };
    if (page.continue !== undefined) metadata.continue = page.continue;
    if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
    send(res, 200, { apiVersion: 'serving.knative.dev/v1', kind: 'ServiceList', metadata, items: page.items as unknown as JSONValue[] });
  } catch (err) {
    if (!(err instanceof StatusError)) throw err;
    const status: Record<string, JSONValue> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: err.message, reason: err.reason, code: err.code };
    if (err.details) status.details = err.details as unknown as JSONValue;
    send(res, err.code, status);
  }
}

let server: http.Server;
let base = '';

before(async () => {
  server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

async function getJSON(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(base + path);
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

test('a namespaced list pages with limit/continue and filters with a label selector', async () => {
  const names: string[] = [];
  let token = '';
  for (let i = 0; i < 5; i++) {
    const { status, body } = await getJSON(`/apis/serving.knative.dev/v1/namespaces/default/services?labelSelector=app%3Dweb&limit=2${token && `&continue=${token}`}`);
    assert.equal(status, 200);
    const meta = body.metadata as { continue?: string; remainingItemCount?: number; resourceVersion: string };
    assert.equal(meta.resourceVersion, '12');
    assert.equal(meta.remainingItemCount, undefined);
    names.push(...(body.items as Svc[]).map((o) => o.metadata.name));
    if (!meta.continue) break;
    token = meta.continue;
  }
  assert.deepEqual(names, ['a', 'c', 'e']);
});

test('a bad label selector is a 400 Status with the apiserver\'s message', async () => {
  const { status, body } = await getJSON('/apis/serving.knative.dev/v1/services?labelSelector=a%20in%20(b');
  assert.equal(status, 400);
  assert.deepEqual(body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: "unable to parse requirement: found '', expected: ',' or ')'", reason: 'BadRequest', code: 400 });
});

test('an unsupported field label and a bad resourceVersionMatch are refused like the apiserver', async () => {
  const field = await getJSON('/apis/serving.knative.dev/v1/services?fieldSelector=spec.template%3Dx');
  assert.equal(field.status, 400);
  assert.equal(field.body.message, 'field label not supported: spec.template');
  const rvm = await getJSON('/apis/serving.knative.dev/v1/services?resourceVersionMatch=Exact');
  assert.equal(rvm.status, 422);
  assert.equal(rvm.body.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
  assert.deepEqual(rvm.body.details, { group: 'meta.k8s.io', kind: 'ListOptions', causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided', field: 'resourceVersionMatch' }] });
});

test('a malformed %-escape in the path gets Go\'s plain 400, and the server keeps serving', async () => {
  const res = await fetch(`${base}/apis/serving.knative.dev/v1/namespaces/default/services/a%zz`);
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(await res.text(), '400 Bad Request');
  const again = await getJSON('/apis/serving.knative.dev/v1/services');
  assert.equal(again.status, 200);
  assert.equal((again.body.items as unknown[]).length, 5);
});
