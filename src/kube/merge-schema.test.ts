// Tests for merge schemas: facts read from the Knative CRDs and the built-in kinds' field sets on create.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { recordUpdate } from './managed-fields.ts';
import { builtinSchema, schemaFromCRD, type SchemaNode } from './merge-schema.ts';
import { nginxContainerFields } from '../../test/kube/helpers.ts';

// The Knative CRDs: in the repository once copied there, else in the shared references beside it.
const repo = join(import.meta.dirname, '..', '..');
const crdDir = [join(repo, 'schemas'), join(repo, '..', 'shared', 'schemas'), '/work/shared/schemas']
  .map((d) => join(d, 'knative-serving-v1'))
  .find((d) => existsSync(join(d, 'service.yaml')));
const skip = crdDir ? false : 'the Knative CRDs (schemas/knative-serving-v1) are not available';
const crd = (file: string) => parseYaml(readFileSync(join(crdDir as string, file), 'utf8')) as unknown;

function at(node: SchemaNode, ...path: string[]): SchemaNode {
  let n = node;
  for (const p of path) {
    const next = p === '[]' ? n.items : n.fields?.[p];
    assert.ok(next, `no ${p} in ${path.join('.')}`);
    n = next;
  }
  return n;
}

test('Knative CRDs: list types and keys as their openAPIV3Schema declares them', { skip }, () => {
  const service = schemaFromCRD(crd('service.yaml'), 'v1');
  const podSpec = at(service, 'spec', 'template', 'spec');
  const rows: Array<[SchemaNode, string, string[] | undefined]> = [
    [at(service, 'spec', 'traffic'), 'atomic', undefined],
    [at(podSpec, 'containers'), 'atomic', undefined],
    [at(podSpec, 'containers', '[]', 'env'), 'map', ['name']],
    [at(podSpec, 'containers', '[]', 'ports'), 'atomic', undefined],
    [at(podSpec, 'containers', '[]', 'volumeMounts'), 'map', ['mountPath']],
    [at(podSpec, 'volumes'), 'map', ['name']],
    [at(podSpec, 'imagePullSecrets'), 'map', ['name']],
    [at(service, 'status', 'conditions'), 'atomic', undefined],
  ];
  for (const [node, listType, keys] of rows) {
    assert.equal(node.listType, listType);
    assert.deepEqual(node.keys, keys);
  }
  assert.equal(at(service, 'metadata', 'labels').type, 'map');
  assert.equal(at(service, 'spec', 'template', 'metadata', 'annotations').type, 'map');
  assert.equal(at(podSpec, 'containers', '[]', 'env', '[]', 'valueFrom', 'configMapKeyRef').atomic, true);
  for (const file of ['configuration.yaml', 'revision.yaml', 'route.yaml', 'domain-mapping.yaml']) {
    const s = schemaFromCRD(crd(file), file === 'domain-mapping.yaml' ? 'v1beta1' : 'v1');
    assert.equal(s.type, 'struct', file);
    assert.ok(s.fields?.spec, file);
  }
  assert.equal(at(schemaFromCRD(crd('route.yaml'), 'v1'), 'spec', 'traffic').listType, 'atomic');
  assert.throws(() => schemaFromCRD(crd('route.yaml'), 'v9'), /no version v9/);
});

test('creating a Deployment owns what the apiserver would: "." on new maps and items, not on Go structs', () => {
  const schema = builtinSchema('apps/v1', 'Deployment') as SchemaNode;
  const created = recordUpdate(
    undefined,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
        },
      },
    },
    { manager: 'kubectl-create', apiVersion: 'apps/v1', now: new Date('2026-01-01T00:00:00Z'), schema },
  );
  const mf = (created.metadata as { managedFields: Array<{ fieldsV1: unknown }> }).managedFields;
  assert.deepEqual(mf[0].fieldsV1, {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {} }, 'f:type': {} },
      'f:template': {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:containers': nginxContainerFields({ '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } }),
        },
      },
    },
  });
});

test('an update of a stored Deployment without its empty structs does not take status or strategy as new', () => {
  const schema = builtinSchema('apps/v1', 'Deployment') as SchemaNode;
  const stored = recordUpdate(undefined, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } }, {
    manager: 'creator',
    apiVersion: 'apps/v1',
    now: new Date('2025-01-01T00:00:00Z'),
    schema,
  });
  // What the store keeps can lack the empty structs a Go object always has.
  const next = { ...stored, spec: { replicas: 1, strategy: { type: 'Recreate' } }, status: { replicas: 1 } };
  const o = recordUpdate(stored, next, { manager: 'm', apiVersion: 'apps/v1', now: new Date('2026-01-01T00:00:00Z'), schema });
  const mf = (o.metadata as { managedFields: Array<{ fieldsV1: unknown }> }).managedFields;
  assert.deepEqual(mf[1].fieldsV1, { 'f:spec': { 'f:strategy': { 'f:type': {} } }, 'f:status': { 'f:replicas': {} } });
  assert.deepEqual(o.spec, { replicas: 1, strategy: { type: 'Recreate' } }, 'the stored object is not filled in');
});

test('creating a Knative Service (a CRD object) marks spec itself, as for any unstructured object', { skip }, () => {
  const schema = schemaFromCRD(crd('service.yaml'), 'v1');
  const created = recordUpdate(
    undefined,
    { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'hello' }, spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
    { manager: 'kn', apiVersion: 'serving.knative.dev/v1', now: new Date('2026-01-01T00:00:00Z'), schema },
  );
  const mf = (created.metadata as { managedFields: Array<{ fieldsV1: unknown }> }).managedFields;
  assert.deepEqual(mf[0].fieldsV1, { 'f:spec': { '.': {}, 'f:template': { '.': {}, 'f:spec': { '.': {}, 'f:containers': {} } } } });
});

test('built-in schemas exist for the kinds knit serves and only those', () => {
  for (const [v, k] of [['v1', 'Namespace'], ['v1', 'Pod'], ['v1', 'Service'], ['v1', 'Secret'], ['v1', 'ConfigMap'], ['v1', 'Event'], ['apps/v1', 'Deployment'], ['apps/v1', 'ReplicaSet']]) {
    assert.ok(builtinSchema(v, k), `${v} ${k}`);
  }
  assert.equal(builtinSchema('serving.knative.dev/v1', 'Service'), undefined);
  const svc = builtinSchema('v1', 'Service') as SchemaNode;
  assert.deepEqual(at(svc, 'spec', 'ports').keys, ['port', 'protocol']);
  assert.equal(at(svc, 'spec', 'ports').patchMergeKey, 'port');
});
