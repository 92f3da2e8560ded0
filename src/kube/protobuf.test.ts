// Tests for the protobuf body decoder: bodies captured from the real kubectl (which writes its JSON encoding of
// the same object into last-applied-configuration, so the two can be compared), and hand-encoded bodies for
// every ObjectMeta field, the Event, Scale and DeleteOptions tables, unknown fields and malformed bytes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { PROTOBUF_MEDIA_TYPE, decodeProtobufObject, protobufBodyToJSON, protobufKindSupported, protobufTarget } from './protobuf.ts';
import { StatusError } from './status.ts';
import { registry } from './registry.ts';
import { MAGIC, cat, entry, envelope, key, len, num, time, varint } from '../../test/kube/protobuf-encoder.ts';

// --- capturing what kubectl sends ---

interface Captured {
  method: string;
  url: string;
  contentType: string;
  body: Buffer;
}

let server: http.Server;
let dir: string;
let kubeconfig: string;
const captured: Captured[] = [];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-protobuf-'));
  // Every write is answered 403 (kubectl prints it and exits, no retry); everything else 404.
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const write = req.method === 'POST' || req.method === 'PUT';
      if (write) captured.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
      const code = write ? 403 : 404;
      const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: write ? 'captured' : 'not here', reason: write ? 'Forbidden' : 'NotFound', code };
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: t, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
    'users: [{name: t, user: {}}]',
    'contexts: [{name: t, context: {cluster: t, user: t, namespace: default}}]',
    'current-context: t',
    '',
  ].join('\n'));
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs kubectl against the capturing server; returns the one write it sent. */
async function capture(args: string[]): Promise<Captured> {
  const before = captured.length;
  await new Promise<void>((resolve) => {
    execFile('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir }, timeout: 30_000 }, () => resolve());
  });
  const sent = captured.slice(before);
  assert.equal(sent.length, 1, `kubectl ${args.join(' ')} sent ${sent.length} writes`);
  return sent[0];
}

const core = (kind: string) => ({ groupVersion: 'v1', kind });

/** The decoded object next to kubectl's own JSON of it (its last-applied-configuration annotation). */
function withoutLastApplied(obj: Record<string, unknown>): { decoded: string; kubectlJSON: string } {
  const md = obj.metadata as Record<string, unknown>;
  const annotations = md.annotations as Record<string, string>;
  const kubectlJSON = annotations['kubectl.kubernetes.io/last-applied-configuration'].trim();
  delete md.annotations;
  return { decoded: JSON.stringify(obj), kubectlJSON };
}

test('kubectl create secret generic: protobuf that decodes to exactly the JSON kubectl would send', async () => {
  const c = await capture(['create', 'secret', 'generic', 's1', '--from-literal=a=b', '--from-literal=empty=', '--save-config']);
  assert.equal(c.contentType, PROTOBUF_MEDIA_TYPE);
  assert.match(c.url, /^\/api\/v1\/namespaces\/default\/secrets\?/);
  assert.deepEqual([...c.body.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00]);
  const obj = decodeProtobufObject(c.body, core('Secret'));
  assert.deepEqual((obj.data as Record<string, string>), { a: 'Yg==', empty: '' });
  const { decoded, kubectlJSON } = withoutLastApplied(obj);
  assert.equal(decoded, kubectlJSON);
});

test('kubectl create secret docker-registry: type and .dockerconfigjson', async () => {
  const c = await capture(['create', 'secret', 'docker-registry', 'reg', '--docker-server=r.example', '--docker-username=u', '--docker-password=p', '--save-config']);
  const obj = decodeProtobufObject(c.body, core('Secret'));
  assert.equal(obj.type, 'kubernetes.io/dockerconfigjson');
  const auth = JSON.parse(Buffer.from((obj.data as Record<string, string>)['.dockerconfigjson'], 'base64').toString()) as { auths: Record<string, { username: string }> };
  assert.equal(auth.auths['r.example'].username, 'u');
  const { decoded, kubectlJSON } = withoutLastApplied(obj);
  assert.equal(decoded, kubectlJSON);
});

test('kubectl create configmap --from-file: text in data, other bytes in binaryData as base64', async () => {
  const text = path.join(dir, 'app.conf');
  const blob = path.join(dir, 'blob.bin');
  fs.writeFileSync(text, 'port=8080\n');
  fs.writeFileSync(blob, Buffer.from([0x00, 0xff, 0xfe, 0x10]));
  const c = await capture(['create', 'configmap', 'c1', `--from-file=${text}`, `--from-file=${blob}`, '--from-literal=k=v', '--save-config']);
  assert.equal(c.contentType, PROTOBUF_MEDIA_TYPE);
  const obj = decodeProtobufObject(c.body, core('ConfigMap'));
  assert.deepEqual(obj.data, { 'app.conf': 'port=8080\n', k: 'v' });
  assert.deepEqual(obj.binaryData, { 'blob.bin': Buffer.from([0x00, 0xff, 0xfe, 0x10]).toString('base64') });
  const { decoded, kubectlJSON } = withoutLastApplied(obj);
  assert.equal(decoded, kubectlJSON);
});

test('kubectl create namespace: spec and status print as {} like Go structs', async () => {
  const c = await capture(['create', 'namespace', 'team-a', '--save-config']);
  assert.match(c.url, /^\/api\/v1\/namespaces\?/);
  const obj = decodeProtobufObject(c.body, core('Namespace'));
  const { decoded, kubectlJSON } = withoutLastApplied(obj);
  assert.equal(decoded, kubectlJSON);
  assert.equal(decoded, '{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"team-a","creationTimestamp":null},"spec":{},"status":{}}');
});

test('kubectl auth can-i --list: a SelfSubjectRulesReview for the namespace', async () => {
  const c = await capture(['auth', 'can-i', '--list', '-n', 'team-a']);
  assert.equal(c.url, '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews');
  assert.equal(c.contentType, PROTOBUF_MEDIA_TYPE);
  const obj = decodeProtobufObject(c.body, { groupVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview' });
  assert.deepEqual(obj, {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { namespace: 'team-a' },
    status: { resourceRules: null, nonResourceRules: null, incomplete: false },
  });
});

test('kubectl auth can-i: SelfSubjectAccessReviews for a non-resource URL and for a resource', async () => {
  const target = { groupVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview' };
  const url = await capture(['auth', 'can-i', 'get', '/healthz']);
  assert.equal(url.url, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
  assert.deepEqual(decodeProtobufObject(url.body, target), {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } },
    status: { allowed: false },
  });
  const res = await capture(['auth', 'can-i', 'delete', 'secrets/s1', '-n', 'team-a']);
  const spec = decodeProtobufObject(res.body, target).spec as { resourceAttributes: Record<string, string> };
  assert.equal(spec.resourceAttributes.namespace, 'team-a');
  assert.equal(spec.resourceAttributes.verb, 'delete');
  assert.equal(spec.resourceAttributes.resource, 'secrets');
  assert.equal(spec.resourceAttributes.name, 's1');
});

// --- hand-encoded bodies ---


test('every ObjectMeta field, in the JSON order Go prints; unknown fields of every wire type are skipped', () => {
  const meta = cat(
    len(1, 'web'),
    len(2, 'web-'),
    len(3, 'team-a'),
    len(4, ''),
    len(5, 'uid-1'),
    len(6, '42'),
    num(7, 3),
    len(8, time(1_700_000_000, 999_999_999)),
    len(9, time(1_700_000_600)),
    num(10, 0),
    entry(11, 'app', 'web'),
    entry(11, 'tier', 'front'),
    entry(12, 'note', 'hi'),
    len(13, cat(len(1, 'Service'), len(3, 'owner'), len(4, 'uid-0'), len(5, 'serving.knative.dev/v1'), num(6, true), num(7, false))),
    len(14, 'example.com/one'),
    len(14, 'example.com/two'),
    len(17, cat(len(1, 'kubectl'), len(2, 'Update'), len(3, 'v1'), len(4, time(1_700_000_000)), len(6, 'FieldsV1'), len(7, len(1, '{"f:data":{".":{}}}')), len(8, 'status'))),
    num(99, 7),
    cat(key(98, 5), Buffer.alloc(4)),
    cat(key(97, 1), Buffer.alloc(8)),
    cat(key(96, 3), num(1, 1), len(2, 'x'), key(96, 4)),
    len(95, 'ignored'),
  );
  const obj = decodeProtobufObject(envelope('v1', 'ConfigMap', cat(len(1, meta), entry(2, 'k', 'v'))), core('ConfigMap'));
  assert.equal(JSON.stringify(obj), JSON.stringify({
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: {
      name: 'web',
      generateName: 'web-',
      namespace: 'team-a',
      uid: 'uid-1',
      resourceVersion: '42',
      generation: 3,
      creationTimestamp: '2023-11-14T22:13:20Z',
      deletionTimestamp: '2023-11-14T22:23:20Z',
      deletionGracePeriodSeconds: 0,
      labels: { app: 'web', tier: 'front' },
      annotations: { note: 'hi' },
      ownerReferences: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'owner', uid: 'uid-0', controller: true, blockOwnerDeletion: false }],
      finalizers: ['example.com/one', 'example.com/two'],
      managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2023-11-14T22:13:20Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {} } }, subresource: 'status' }],
    },
    data: { k: 'v' },
  }));
});

test('a message sent twice merges; a scalar sent twice keeps the last; an absent ObjectMeta is Go\'s zero struct', () => {
  const merged = decodeProtobufObject(envelope('v1', 'Secret', cat(len(1, len(1, 'a')), len(1, len(3, 'ns')), len(3, 'x'), len(3, 'Opaque'))), core('Secret'));
  assert.deepEqual(merged, { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'a', namespace: 'ns', creationTimestamp: null }, type: 'Opaque' });
  const proto = decodeProtobufObject(envelope('v1', 'ConfigMap', cat(len(1, entry(11, '__proto__', 'x')), entry(2, 'k', 'old'), entry(2, 'k', 'new'))), core('ConfigMap'));
  assert.equal(JSON.stringify(proto), '{"kind":"ConfigMap","apiVersion":"v1","metadata":{"creationTimestamp":null,"labels":{"__proto__":"x"}},"data":{"k":"new"}}');
  const bare = decodeProtobufObject(envelope('v1', 'Secret', cat(num(5, false))), core('Secret'));
  assert.deepEqual(bare, { kind: 'Secret', apiVersion: 'v1', metadata: { creationTimestamp: null }, immutable: false });
});

test('core/v1 Event: involvedObject, source, count, RFC 3339 times, MicroTime with microseconds, series', () => {
  const raw = cat(
    len(1, cat(len(1, 'web.1'), len(3, 'default'))),
    len(2, cat(len(1, 'Pod'), len(2, 'default'), len(3, 'web-1'), len(5, 'v1'), len(7, 'spec.containers{user-container}'))),
    len(3, 'Pulled'),
    len(4, 'pulled the image'),
    len(5, cat(len(1, 'kubelet'), len(2, 'node-1'))),
    len(7, time(86_400)),
    num(8, -1),
    len(9, 'Normal'),
    len(10, time(1_700_000_000, 123_456_789)),
    len(11, cat(num(1, 2), len(2, time(1_700_000_001, 5_000)))),
    len(14, 'kubelet'),
  );
  assert.deepEqual(decodeProtobufObject(envelope('v1', 'Event', raw), core('Event')), {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: { name: 'web.1', namespace: 'default', creationTimestamp: null },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', apiVersion: 'v1', fieldPath: 'spec.containers{user-container}' },
    reason: 'Pulled',
    message: 'pulled the image',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: null,
    lastTimestamp: '1970-01-02T00:00:00Z',
    count: -1,
    type: 'Normal',
    eventTime: '2023-11-14T22:13:20.123456Z',
    series: { count: 2, lastObservedTime: '2023-11-14T22:13:21.000005Z' },
    reportingComponent: 'kubelet',
    reportingInstance: '',
  });
});

test('events.k8s.io/v1 Event: regarding, note, the deprecated fields', () => {
  const raw = cat(len(1, len(1, 'e1')), len(2, time(1_700_000_000)), len(4, 'knit'), len(7, 'Created'), len(8, cat(len(1, 'Revision'), len(3, 'web-00001'))), len(10, 'created'), len(11, 'Normal'), num(15, 4));
  assert.deepEqual(decodeProtobufObject(envelope('events.k8s.io/v1', 'Event', raw), { groupVersion: 'events.k8s.io/v1', kind: 'Event' }), {
    kind: 'Event',
    apiVersion: 'events.k8s.io/v1',
    metadata: { name: 'e1', creationTimestamp: null },
    eventTime: '2023-11-14T22:13:20.000000Z',
    reportingController: 'knit',
    reason: 'Created',
    regarding: { kind: 'Revision', name: 'web-00001' },
    note: 'created',
    type: 'Normal',
    deprecatedSource: {},
    deprecatedFirstTimestamp: null,
    deprecatedLastTimestamp: null,
    deprecatedCount: 4,
  });
});

test('DeleteOptions from any group-version, a zero grace period kept; an envelope without type takes the endpoint\'s', () => {
  const raw = cat(num(1, 0), len(2, cat(len(1, 'uid-9'), len(2, '7'))), len(4, 'Foreground'), len(5, 'All'));
  const want = { gracePeriodSeconds: 0, preconditions: { uid: 'uid-9', resourceVersion: '7' }, propagationPolicy: 'Foreground', dryRun: ['All'] };
  assert.deepEqual(decodeProtobufObject(envelope('apps/v1', 'DeleteOptions', raw), { groupVersion: 'v1', kind: 'DeleteOptions' }), { kind: 'DeleteOptions', apiVersion: 'apps/v1', ...want });
  const untyped = cat(MAGIC, len(2, raw));
  assert.deepEqual(decodeProtobufObject(untyped, { groupVersion: 'v1', kind: 'DeleteOptions' }), { kind: 'DeleteOptions', apiVersion: 'v1', ...want });
  assert.deepEqual(decodeProtobufObject(cat(MAGIC, len(2, cat(len(1, len(1, 'n')), len(2, len(1, 'kubernetes'))))), core('Namespace')),
    { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'n', creationTimestamp: null }, spec: { finalizers: ['kubernetes'] }, status: {} });
});

test('autoscaling/v1 Scale, as a Deployment\'s scale subresource takes it', () => {
  const deployments = registry.byResource('apps', 'v1', 'deployments');
  assert.ok(deployments);
  const target = protobufTarget(deployments, 'scale', 'PUT');
  assert.deepEqual(target, { groupVersion: 'autoscaling/v1', kind: 'Scale' });
  const raw = cat(len(1, cat(len(1, 'web'), len(3, 'default'))), len(2, num(1, 3)), len(3, ''));
  assert.equal(protobufBodyToJSON(envelope('autoscaling/v1', 'Scale', raw), target).toString(),
    '{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"web","namespace":"default","creationTimestamp":null},"spec":{"replicas":3},"status":{"replicas":0}}');
  assert.deepEqual(protobufTarget(deployments, undefined, 'DELETE'), { groupVersion: 'apps/v1', kind: 'DeleteOptions' });
  assert.deepEqual(protobufTarget(deployments, undefined, 'POST'), { groupVersion: 'apps/v1', kind: 'Deployment' });
});

/** The StatusError a decode throws. */
function refusal(body: Buffer, target = core('Secret')): StatusError {
  try {
    decodeProtobufObject(body, target);
  } catch (err) {
    assert.ok(err instanceof StatusError, String(err));
    return err;
  }
  assert.fail('decoded');
}

test('bytes that are not a protobuf object get the apiserver\'s 400 texts', () => {
  const e = refusal(Buffer.from('{"kind":"Secret"}'));
  assert.equal(e.code, 400);
  assert.equal(e.message, 'the object provided is unrecognized (must be of type Secret): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ({"kind":"Secret"})');
  assert.equal(refusal(Buffer.alloc(0)).message, 'the object provided is unrecognized (must be of type Secret): empty data (<empty>)');
  assert.equal(refusal(MAGIC).message, 'the object provided is unrecognized (must be of type Secret): empty body (6b387300)');
  const truncated = cat(MAGIC, key(2, 2), varint(10), Buffer.from('abc'));
  assert.equal(refusal(truncated).message, `the object provided is unrecognized (must be of type Secret): unexpected EOF (${truncated.toString('hex')})`);
  const overflow = cat(MAGIC, key(9, 0), Buffer.alloc(10, 0xff), Buffer.from([1]));
  assert.match(refusal(overflow).message, /^the object provided is unrecognized \(must be of type Secret\): proto: integer overflow \(6b387300/);
});

test('an object whose fields do not decode: "Secret in version "v1" cannot be handled as a Secret: ..."', () => {
  const prefix = 'Secret in version "v1" cannot be handled as a Secret: ';
  assert.equal(refusal(envelope('v1', 'Secret', num(1, 5))).message, `${prefix}proto: wrong wireType = 0 for field Metadata`);
  assert.equal(refusal(envelope('v1', 'Secret', cat(key(3, 2), varint(5), Buffer.from('ab')))).message, `${prefix}unexpected EOF`);
  assert.equal(refusal(envelope('v1', 'Secret', num(0, 1))).message, `${prefix}proto: Secret: illegal tag 0 (wire type 0)`);
  assert.equal(refusal(envelope('v1', 'Secret', len(1, num(1, 1)))).message, `${prefix}proto: wrong wireType = 0 for field Name`);
  assert.equal(refusal(envelope('v1', 'Secret', key(9, 4))).message, `${prefix}proto: Secret: wiretype end group for non-group`);
  assert.equal(refusal(envelope('v1', 'Secret', cat(key(9, 2), varint(-1)))).message, `${prefix}proto: negative length found during unmarshaling`);
  assert.equal(refusal(envelope('v1', 'Secret', key(9, 7))).message, `${prefix}proto: illegal wireType 7`);
});

test('a kind without a table is 415, as knit then takes only JSON for it', () => {
  const e = refusal(envelope('apps/v1', 'Deployment', len(1, len(1, 'd'))), { groupVersion: 'apps/v1', kind: 'Deployment' });
  assert.equal(e.code, 415);
  assert.equal(e.reason, 'UnsupportedMediaType');
  assert.equal(e.message, 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
  assert.equal(protobufKindSupported('apps/v1', 'Deployment'), false);
  assert.equal(protobufKindSupported('v1', 'Secret'), true);
  assert.equal(protobufKindSupported('v1beta1', 'Secret'), false);
});
