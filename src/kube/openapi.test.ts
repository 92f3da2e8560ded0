// Tests of the OpenAPI v2/v3 documents: coverage of every kind, resolvable references, Kubernetes extensions, pruning, negotiation and protobuf.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { encodeOpenAPIV2 } from './openapi-proto.ts';
import { OPENAPI_V2_PROTOBUF, openapiResponse, openapiV2, openapiV3Document, openapiV3Index } from './openapi.ts';
import { KINDS } from './registry.ts';

type Json = Record<string, any>;

function refs(s: unknown, out: string[] = []): string[] {
  if (Array.isArray(s)) for (const x of s) refs(x, out);
  else if (s && typeof s === 'object') {
    for (const [k, v] of Object.entries(s)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

const GV_PATHS = [
  'api/v1', 'apis/apps/v1', 'apis/authorization.k8s.io/v1', 'apis/eventing.knative.dev/v1', 'apis/events.k8s.io/v1', 'apis/flows.knative.dev/v1',
  'apis/messaging.knative.dev/v1', 'apis/networking.internal.knative.dev/v1alpha1',
  'apis/serving.knative.dev/v1', 'apis/serving.knative.dev/v1beta1', 'apis/sources.knative.dev/v1',
];

describe('OpenAPI v3', () => {
  it('the index lists every group-version with a hash of its document', () => {
    const index = openapiV3Index();
    assert.deepEqual(Object.keys(index.paths).sort(), GV_PATHS);
    for (const p of GV_PATHS) {
      const r = openapiResponse(`/openapi/v3/${p}`, 'application/json')!;
      assert.equal(r.status, 200);
      const hash = createHash('sha512').update(r.body).digest('hex').toUpperCase();
      assert.equal(index.paths[p].serverRelativeURL, `/openapi/v3/${p}?hash=${hash}`);
      assert.equal(r.etag, `"${hash}"`);
    }
  });

  it('each group-version document defines its kinds (and lists) with their group-version-kind, and every $ref resolves', () => {
    for (const p of GV_PATHS) {
      const doc = openapiV3Document(p)! as Json;
      assert.equal(doc.openapi, '3.0.0');
      const schemas = doc.components.schemas as Record<string, Json>;
      for (const r of refs(doc)) {
        assert.match(r, /^#\/components\/schemas\//);
        assert.ok(schemas[r.slice('#/components/schemas/'.length)], `${p}: ${r} does not resolve`);
      }
      for (const k of KINDS.filter((k) => (k.group === '' ? `api/${k.version}` : `apis/${k.group}/${k.version}`) === p)) {
        assert.deepEqual(schemas[k.definition]['x-kubernetes-group-version-kind'], [{ group: k.group, version: k.version, kind: k.kind }], k.definition);
        assert.deepEqual(schemas[`${k.definition}List`]['x-kubernetes-group-version-kind'], [{ group: k.group, version: k.version, kind: k.listKind }]);
      }
    }
  });

  it('keeps a CRD schema as published, with metadata referring to ObjectMeta through allOf', () => {
    const ksvc = (openapiV3Document('apis/serving.knative.dev/v1') as Json).components.schemas['dev.knative.serving.v1.Service'];
    assert.deepEqual(ksvc.properties.metadata.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
    assert.match(ksvc.properties.metadata.description, /^Standard object's metadata/);
    const template = ksvc.properties.spec.properties.template;
    assert.equal(template.properties.metadata['x-kubernetes-preserve-unknown-fields'], true);
    assert.ok(template.properties.metadata.properties.labels, 'v3 keeps properties beside preserve-unknown-fields');
  });

  it('PATCH operations carry the group-version-kind and the fieldValidation parameter, unless turned off', () => {
    const patchParams = (opts: { fieldValidation?: boolean }) => {
      const doc = openapiV3Document('apis/serving.knative.dev/v1', opts) as Json;
      const op = doc.paths['/apis/serving.knative.dev/v1/namespaces/{namespace}/services/{name}'].patch;
      assert.deepEqual(op['x-kubernetes-group-version-kind'], { group: 'serving.knative.dev', version: 'v1', kind: 'Service' });
      assert.equal(op['x-kubernetes-action'], 'patch');
      assert.equal(op.operationId, 'patchServingKnativeDevV1NamespacedService');
      return (op.parameters as Json[]).filter((p) => p.in === 'query').map((p) => p.name);
    };
    assert.ok(patchParams({}).includes('fieldValidation'));
    assert.ok(!patchParams({ fieldValidation: false }).includes('fieldValidation'));
    assert.notEqual(openapiV3Index().paths['api/v1'].serverRelativeURL, openapiV3Index({ fieldValidation: false }).paths['api/v1'].serverRelativeURL);
  });

  it('projected kinds have read paths only (and delete for pods); core paths live under /api/v1', () => {
    const doc = openapiV3Document('api/v1') as Json;
    const pod = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'];
    assert.deepEqual(Object.keys(pod).filter((k) => k !== 'parameters').sort(), ['delete', 'get']);
    const svc = doc.paths['/api/v1/namespaces/{namespace}/services/{name}'];
    assert.deepEqual(Object.keys(svc).filter((k) => k !== 'parameters'), ['get']);
    assert.equal(pod.get.operationId, 'readCoreV1NamespacedPod');
    assert.ok(doc.paths['/api/v1/pods'].get, 'list across namespaces');
    assert.ok(doc.paths['/api/v1/namespaces/{name}'].put, 'namespaces are cluster-scoped and writable');
  });

  it('a stale hash is redirected to the current one; the current hash may be cached for good', () => {
    const current = openapiV3Index().paths['apis/apps/v1'].serverRelativeURL;
    const stale = openapiResponse('/openapi/v3/apis/apps/v1?hash=0123', 'application/json')!;
    assert.equal(stale.status, 301);
    assert.equal(stale.headers?.location, current);
    const fresh = openapiResponse(current, 'application/json')!;
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers?.['cache-control'], 'public, immutable');
    assert.equal(fresh.headers?.vary, 'Accept');
    const plain = openapiResponse('/openapi/v3/apis/apps/v1', 'application/json')!;
    assert.deepEqual(plain.headers, { etag: plain.etag });
  });

  it('unknown group-versions are 404', () => {
    assert.equal(openapiResponse('/openapi/v3/apis/batch/v1')!.status, 404);
    assert.equal(openapiV3Document('apis/batch/v1'), undefined);
    assert.equal(openapiResponse('/apis/apps/v1'), undefined);
  });
});

describe('OpenAPI v2', () => {
  const doc = openapiV2() as Json;

  it('defines every kind and every $ref resolves', () => {
    assert.equal(doc.swagger, '2.0');
    for (const r of refs(doc)) {
      assert.match(r, /^#\/definitions\//);
      assert.ok(doc.definitions[r.slice('#/definitions/'.length)], `${r} does not resolve`);
    }
    for (const k of KINDS) assert.deepEqual(doc.definitions[k.definition]['x-kubernetes-group-version-kind'], [{ group: k.group, version: k.version, kind: k.kind }]);
    assert.ok(doc.definitions['io.k8s.api.core.v1.ContainerPort']);
  });

  it('prunes what Swagger 2 cannot say, as kube-apiserver publishes CRDs in v2', () => {
    const template = doc.definitions['dev.knative.serving.v1.Service'].properties.spec.properties.template;
    assert.equal(template.properties.metadata.properties, undefined, 'preserve-unknown-fields drops properties');
    assert.equal(template.properties.metadata['x-kubernetes-preserve-unknown-fields'], true);
    const text = JSON.stringify(doc.definitions);
    assert.ok(!text.includes('"anyOf"') && !text.includes('"allOf"'), 'no anyOf/allOf in v2');
    assert.deepEqual(doc.definitions['dev.knative.serving.v1.Service'].properties.metadata, { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', description: doc.definitions['dev.knative.serving.v1.Service'].properties.metadata.description });
  });

  it('is answered as JSON, or as protobuf for either protobuf type kubectl may ask, else 406', () => {
    assert.equal(openapiResponse('/openapi/v2')!.contentType, 'application/json');
    assert.equal(openapiResponse('/openapi/v2', '*/*')!.contentType, 'application/json');
    assert.deepEqual(JSON.parse(openapiResponse('/openapi/v2', 'application/json')!.body as string), doc);
    for (const accept of ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json']) {
      const r = openapiResponse('/openapi/v2', accept)!;
      assert.equal(r.contentType, OPENAPI_V2_PROTOBUF, accept);
      assert.ok(Buffer.isBuffer(r.body));
    }
    const no = openapiResponse('/openapi/v2', 'application/xml')!;
    assert.equal(no.status, 406);
    assert.equal(JSON.parse(no.body as string).reason, 'NotAcceptable');
    assert.equal(openapiResponse('/openapi/v3', 'text/html')!.status, 406);
  });
});

/** Reads the top-level fields of a protobuf message: field number → list of raw values. */
function readFields(buf: Buffer): Map<number, (Buffer | bigint)[]> {
  const out = new Map<number, (Buffer | bigint)[]>();
  let i = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    let value: Buffer | bigint;
    switch (key & 7) {
      case 0:
        value = varint();
        break;
      case 1:
        value = buf.subarray(i, i + 8);
        i += 8;
        break;
      case 2: {
        const len = Number(varint());
        value = buf.subarray(i, i + len);
        i += len;
        break;
      }
      default:
        throw new Error(`wire type ${key & 7}`);
    }
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

describe('OpenAPI v2 protobuf (gnostic openapi_v2.Document)', () => {
  it('encodes swagger, info and every definition by name', () => {
    const json = openapiV2() as Json;
    const top = readFields(encodeOpenAPIV2(json));
    assert.equal((top.get(1)![0] as Buffer).toString(), '2.0');
    const info = readFields(top.get(2)![0] as Buffer);
    assert.equal((info.get(1)![0] as Buffer).toString(), 'Kubernetes');
    const defs = readFields(top.get(9)![0] as Buffer).get(1)!.map((named) => (readFields(named as Buffer).get(1)![0] as Buffer).toString());
    assert.deepEqual(defs, Object.keys(json.definitions));
    const paths = readFields(top.get(8)![0] as Buffer).get(2)!.map((named) => (readFields(named as Buffer).get(1)![0] as Buffer).toString());
    assert.deepEqual(paths, Object.keys(json.paths));
  });

  it('encodes a schema\'s type, properties, required, and vendor extensions as YAML', () => {
    const buf = encodeOpenAPIV2({ swagger: '2.0', definitions: { T: { type: 'object', required: ['a'], properties: { a: { type: 'string', description: 'd' } }, 'x-kubernetes-group-version-kind': [{ group: '', kind: 'T', version: 'v1' }] } } });
    const named = readFields(readFields(buf).get(9)![0] as Buffer).get(1)![0] as Buffer;
    const schema = readFields(readFields(named).get(2)![0] as Buffer);
    assert.equal((readFields(schema.get(22)![0] as Buffer).get(1)![0] as Buffer).toString(), 'object');
    assert.equal((schema.get(19)![0] as Buffer).toString(), 'a');
    const prop = readFields(readFields(schema.get(25)![0] as Buffer).get(1)![0] as Buffer);
    assert.equal((prop.get(1)![0] as Buffer).toString(), 'a');
    assert.equal((readFields(prop.get(2)![0] as Buffer).get(4)![0] as Buffer).toString(), 'd');
    const ext = readFields(schema.get(31)![0] as Buffer);
    assert.equal((ext.get(1)![0] as Buffer).toString(), 'x-kubernetes-group-version-kind');
    const yaml = (readFields(ext.get(2)![0] as Buffer).get(2)![0] as Buffer).toString();
    assert.deepEqual(JSON.parse(yaml), [{ group: '', kind: 'T', version: 'v1' }]);
  });
});
