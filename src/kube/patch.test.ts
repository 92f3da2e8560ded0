// Tests for PATCH dispatch: content types, PatchOptions checks, JSON patch, merge patch, strategic merge patch, apply.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { applyJsonPatch, decodeApplyBody, parseDryRun, patchObject, type PatchRequest, type PatchTarget } from './patch.ts';
import { recordUpdate, resetFieldsFor, type KubeObject } from './managed-fields.ts';
import { builtinSchema, schemaFromCRD, type SchemaNode } from './merge-schema.ts';
import { strategicMergePatch } from './strategic-merge.ts';
import type { StatusError } from './status.ts';
import { refusal } from '../../test/kube/helpers.ts';

const now = new Date('2026-12-01T12:00:00Z');
const deploymentSchema = builtinSchema('apps/v1', 'Deployment') as SchemaNode;
const configMapTarget: PatchTarget = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  group: '',
  resource: 'configmaps',
  name: 'c',
  namespace: 'default',
  schema: builtinSchema('v1', 'ConfigMap') as SchemaNode,
  strategic: true,
};
// The Knative Service CRD: in the repository once copied there, else in the shared references beside it.
const repo = join(import.meta.dirname, '..', '..');
const serviceYaml = [join(repo, 'schemas'), join(repo, '..', 'shared', 'schemas'), '/work/shared/schemas']
  .map((d) => join(d, 'knative-serving-v1', 'service.yaml'))
  .find((f) => existsSync(f));
const skip = serviceYaml ? false : 'the Knative CRDs (schemas/knative-serving-v1) are not available';
// Without the CRD file the Knative target still exercises 415 and 404, with a schema of no facts.
const serviceCRD = serviceYaml
  ? (parseYaml(readFileSync(serviceYaml, 'utf8')) as unknown)
  : { spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: { type: 'object' } } }] } };
const knativeTarget: PatchTarget = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  group: 'serving.knative.dev',
  resource: 'services',
  name: 'hello',
  namespace: 'default',
  schema: schemaFromCRD(serviceCRD, 'v1'),
  strategic: false,
  hasStatusSubresource: true,
};
// A stored ConfigMap, created (and so tracked) by kubectl create.
const cm: KubeObject = recordUpdate(
  undefined,
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', uid: 'u1' }, data: { a: '1', b: '2' } },
  { manager: 'kubectl-create', apiVersion: 'v1', now: new Date('2026-12-01T11:00:00Z'), schema: configMapTarget.schema },
);
type Entry = { manager: string; operation: string; fieldsV1: Record<string, unknown> };
const entry = (o: KubeObject, manager: string) =>
  (o.metadata as { managedFields: Entry[] }).managedFields.find((e) => e.manager === manager);

function req(over: Partial<PatchRequest>): PatchRequest {
  return { contentType: 'application/merge-patch+json', body: '{}', live: cm, target: configMapTarget, now, userAgent: 'kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07', ...over };
}

function statusOf(fn: () => unknown): ReturnType<StatusError['toStatus']> {
  return refusal(fn).toStatus();
}

const builtinTypes =
  'application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml';
const crdTypes = 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml';

test('content types the apiserver refuses get 415 with its text', () => {
  const rows: Array<[string | undefined, PatchTarget, string]> = [
    ['application/json', configMapTarget, builtinTypes],
    [undefined, configMapTarget, builtinTypes],
    ['text/plain', configMapTarget, builtinTypes],
    ['application/apply-patch+cbor', configMapTarget, builtinTypes],
    ['application/strategic-merge-patch+json', knativeTarget, crdTypes],
    ['application/json', knativeTarget, crdTypes],
  ];
  for (const [contentType, target, accepted] of rows) {
    const s = statusOf(() => patchObject(req({ contentType, target, live: {} })));
    assert.deepEqual(s, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `the body of the request was in an unknown format - accepted media types include: ${accepted}`,
      reason: 'UnsupportedMediaType',
      code: 415,
    }, String(contentType));
  }
  // Parameters after `;` are ignored.
  const ok = patchObject(req({ contentType: 'application/merge-patch+json; charset=utf-8', body: '{"data":{"c":"3"}}' }));
  assert.equal((ok.object.data as Record<string, string>).c, '3');
});

test('PatchOptions are checked as ValidatePatchOptions does', () => {
  const force = statusOf(() => patchObject(req({ force: 'true' })));
  assert.deepEqual(force, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    reason: 'Invalid',
    details: {
      group: 'meta.k8s.io',
      kind: 'PatchOptions',
      causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch', field: 'force' }],
    },
    code: 422,
  });
  const noManager = statusOf(() => patchObject(req({ contentType: 'application/apply-patch+yaml', body: 'apiVersion: v1\nkind: ConfigMap\n' })));
  assert.equal(noManager.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  const dry = statusOf(() => patchObject(req({ dryRun: ['Yes'] })));
  assert.equal(dry.message, 'PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"');
  assert.equal(parseDryRun(['All']), true);
  assert.equal(parseDryRun(undefined), false);
  assert.equal(statusOf(() => parseDryRun(['x'], 'CreateOptions')).message.startsWith('CreateOptions.meta.k8s.io "" is invalid'), true);
  // kubectl sends force=false with every server-side apply.
  const applied = patchObject(req({ contentType: 'application/apply-patch+yaml', fieldManager: 'kubectl', force: 'false', live: undefined, body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}', dryRun: ['All'] }));
  assert.equal(applied.created, true);
  assert.equal(applied.dryRun, true);
});

test('a non-apply patch of a missing object is 404; apply creates it', { skip }, () => {
  const s = statusOf(() => patchObject(req({ live: undefined, target: knativeTarget })));
  assert.deepEqual(s, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'services.serving.knative.dev "hello" not found',
    reason: 'NotFound',
    details: { name: 'hello', group: 'serving.knative.dev', kind: 'services' },
    code: 404,
  });
  const yamlBody = [
    'apiVersion: serving.knative.dev/v1',
    'kind: Service',
    'metadata:',
    '  name: hello',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - image: helloworld-go',
    '          env:',
    '            - name: TARGET',
    '              value: knit',
    '  traffic:',
    '    - latestRevision: true',
    '      percent: 100',
    '',
  ].join('\n');
  const r = patchObject(req({ live: undefined, target: knativeTarget, contentType: 'application/apply-patch+yaml', fieldManager: 'kubectl', body: yamlBody }));
  assert.equal(r.created, true);
  const mf = (r.object.metadata as { managedFields: Array<Record<string, unknown>> }).managedFields;
  // Knative's CRD has no list type on containers and traffic: both are atomic; env is a map by name.
  assert.deepEqual(mf[0].fieldsV1, { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': {} } }, 'f:traffic': {} } });
  assert.equal(mf[0].apiVersion, 'serving.knative.dev/v1');
});

test('JSON patch: RFC 6902 operations with the apiserver json-patch semantics', () => {
  const doc = { metadata: { name: 'x' }, spec: { list: [1, 2, 3], obj: { k: 'v' }, nil: null } } as KubeObject;
  const rows: Array<[string, unknown[], unknown]> = [
    ['add to object', [{ op: 'add', path: '/spec/obj/n', value: 1 }], { k: 'v', n: 1 }],
    ['add in list', [{ op: 'add', path: '/spec/list/1', value: 9 }], [1, 9, 2, 3]],
    ['append', [{ op: 'add', path: '/spec/list/-', value: 4 }], [1, 2, 3, 4]],
    ['negative index', [{ op: 'remove', path: '/spec/list/-1' }], [1, 2]],
    ['replace of a missing key adds it', [{ op: 'replace', path: '/spec/obj/new', value: 'x' }], { k: 'v', new: 'x' }],
    ['test then replace', [{ op: 'test', path: '/spec/obj/k', value: 'v' }, { op: 'replace', path: '/spec/obj/k', value: 'w' }], { k: 'w' }],
    ['test of null matches absent', [{ op: 'test', path: '/spec/obj/none', value: null }], { k: 'v' }],
    ['move', [{ op: 'move', from: '/spec/obj/k', path: '/spec/obj/m' }], { m: 'v' }],
    ['copy', [{ op: 'copy', from: '/spec/obj/k', path: '/spec/obj/c' }], { k: 'v', c: 'v' }],
    ['escaped keys', [{ op: 'add', path: '/spec/obj/a~1b~0c', value: 1 }], { k: 'v', 'a/b~c': 1 }],
  ];
  for (const [name, ops, want] of rows) {
    const out = applyJsonPatch(doc, ops as Array<Record<string, unknown>>);
    const spec = out.spec as Record<string, unknown>;
    assert.deepEqual(Array.isArray(want) ? spec.list : spec.obj, want, name);
  }
  assert.deepEqual(doc.spec, { list: [1, 2, 3], obj: { k: 'v' }, nil: null }, 'input untouched');
  const failing: Array<[string, unknown[]]> = [
    ['failed test', [{ op: 'test', path: '/spec/obj/k', value: 'nope' }]],
    ['remove missing key', [{ op: 'remove', path: '/spec/obj/none' }]],
    ['missing parent', [{ op: 'add', path: '/spec/none/x', value: 1 }]],
    ['index past the end', [{ op: 'add', path: '/spec/list/9', value: 1 }]],
    ['unknown op', [{ op: 'frobnicate', path: '/spec' }]],
    ['no path', [{ op: 'add', value: 1 }]],
  ];
  for (const [name, ops] of failing) {
    const s = statusOf(() => patchObject(req({ contentType: 'application/json-patch+json', body: JSON.stringify(ops), live: doc })));
    assert.deepEqual(s, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {},
      code: 422,
    }, name);
  }
  const notList = statusOf(() => patchObject(req({ contentType: 'application/json-patch+json', body: '{"op":"add"}' })));
  assert.deepEqual([notList.code, notList.message], [400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch']);
});

test('JSON patch, strategic merge patch and merge patch store __proto__ keys as data', () => {
  const jp = patchObject(req({ contentType: 'application/json-patch+json', body: '[{"op":"add","path":"/data/__proto__","value":"x"},{"op":"add","path":"/metadata/labels","value":{"__proto__":"y"}}]' }));
  assert.equal(JSON.stringify(jp.object.data), '{"a":"1","b":"2","__proto__":"x"}');
  assert.equal(JSON.stringify((jp.object.metadata as any).labels), '{"__proto__":"y"}');
  assert.equal(Object.getPrototypeOf(jp.object.data), Object.prototype);
  const smp = patchObject(req({ contentType: 'application/strategic-merge-patch+json', body: '{"data":{"__proto__":"s"},"metadata":{"annotations":{"__proto__":"t"}}}' }));
  assert.equal(JSON.stringify(smp.object.data), '{"a":"1","b":"2","__proto__":"s"}');
  assert.equal(JSON.stringify((smp.object.metadata as any).annotations), '{"__proto__":"t"}');
  const mp = patchObject(req({ body: '{"data":{"__proto__":"z","a":null}}' }));
  assert.equal(JSON.stringify(mp.object.data), '{"b":"2","__proto__":"z"}');
  // The manager comes from the user agent; `a` left kubectl-create's fields when it was removed.
  assert.equal(JSON.stringify(entry(mp.object, 'kubectl')?.fieldsV1), '{"f:data":{"f:__proto__":{}}}');
  assert.equal(JSON.stringify(entry(mp.object, 'kubectl-create')?.fieldsV1), '{"f:data":{".":{},"f:b":{}}}');
});

test('merge patch: null deletes, objects merge, lists replace; bad JSON is 400', () => {
  const live = { ...cm, spec: { list: [1, 2], o: { a: 1, b: 2 } } };
  const r = patchObject(req({ live, body: '{"spec":{"list":[3],"o":{"a":null,"c":{"d":null,"e":1}}}}', fieldManager: 'mgr' }));
  assert.deepEqual(r.object.spec, { list: [3], o: { b: 2, c: { e: 1 } } });
  assert.deepEqual(entry(r.object, 'mgr')?.fieldsV1, { 'f:spec': { 'f:list': {}, 'f:o': { 'f:c': { '.': {}, 'f:e': {} } } } });
  for (const body of ['{', 'null', '5']) {
    const s = statusOf(() => patchObject(req({ body })));
    assert.deepEqual([s.code, s.reason, s.message], [400, 'BadRequest', 'Invalid JSON Patch'], body);
  }
});

test('strategic merge patch: merge keys, $patch, $setElementOrder, $retainKeys, primitive sets', () => {
  const live: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', finalizers: ['a', 'b'] },
    spec: {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
      template: {
        spec: {
          containers: [
            { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], args: ['x'] },
            { name: 'sidecar', image: 'side:1' },
          ],
        },
      },
    },
  };
  const patch = {
    metadata: { finalizers: ['c'], '$deleteFromPrimitiveList/finalizers': ['a'] },
    spec: {
      strategy: { $retainKeys: ['type'], type: 'Recreate' },
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }],
          containers: [
            { name: 'app', image: 'app:2', env: [{ name: 'B', $patch: 'delete' }, { name: 'C', value: '3' }], args: ['y'] },
          ],
        },
      },
    },
  };
  const out = strategicMergePatch(live, patch, deploymentSchema);
  // mergeSortedSlice puts a patch item that is new to the live list before the server-only items.
  assert.deepEqual((out.metadata as any).finalizers, ['c', 'b']);
  assert.deepEqual((out.spec as any).strategy, { type: 'Recreate' });
  assert.deepEqual((out.spec as any).template.spec.containers, [
    { name: 'sidecar', image: 'side:1' },
    { name: 'app', image: 'app:2', env: [{ name: 'C', value: '3' }, { name: 'A', value: '1' }], args: ['y'] },
  ]);
  // With the order kubectl sends, the list ends up in that order.
  const ordered = strategicMergePatch(live, {
    spec: { template: { spec: { containers: [{ name: 'app', '$setElementOrder/env': [{ name: 'A' }, { name: 'C' }], env: [{ name: 'C', value: '3' }] }] } } },
  }, deploymentSchema);
  // B is server-only (not in the order list): it keeps its place after A.
  assert.deepEqual((ordered.spec as any).template.spec.containers[0].env.map((e: { name: string }) => e.name), ['A', 'C', 'B']);
  assert.deepEqual((ordered.spec as any).template.spec.containers.map((c: { name: string }) => c.name), ['app', 'sidecar']);
  const replaced = strategicMergePatch(live, { spec: { template: { spec: { containers: [{ name: 'only', image: 'o' }, { $patch: 'replace' }] } } } }, deploymentSchema);
  assert.deepEqual((replaced.spec as any).template.spec.containers, [{ name: 'only', image: 'o' }]);
  const deleted = strategicMergePatch(live, { spec: { strategy: { $patch: 'delete' } } }, deploymentSchema);
  assert.deepEqual((deleted.spec as any).strategy, {});
  assert.equal((live.spec as any).template.spec.containers.length, 2, 'input untouched');
  const noKey = statusOf(() => strategicMergePatch(live, { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, deploymentSchema));
  assert.deepEqual([noKey.code, noKey.reason, noKey.message], [500, undefined, 'map: map[image:x] does not contain declared merge key: name']);
  const mismatch = statusOf(() => strategicMergePatch(live, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, deploymentSchema));
  assert.deepEqual([mismatch.code, mismatch.message], [400, 'invalid patch format of retainKeys']);
  const badDirective = statusOf(() => strategicMergePatch(live, { spec: { strategy: { $patch: 'bogus' } } }, deploymentSchema));
  assert.deepEqual([badDirective.code, badDirective.message], [500, 'unknown patch type: bogus in map: map[$patch:bogus]']);
  const badRetain = statusOf(() => strategicMergePatch(live, { spec: { strategy: { $retainKeys: 'type' } } }, deploymentSchema));
  assert.deepEqual([badRetain.code, badRetain.message], [400, 'invalid patch format of retainKeys']);
});

test('strategic merge patch through patchObject records kubectl-patch as an Update manager', () => {
  const live = recordUpdate(undefined, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } }, {
    manager: 'kubectl-create',
    apiVersion: 'apps/v1',
    now: new Date('2026-12-01T11:00:00Z'),
    schema: deploymentSchema,
  });
  const target: PatchTarget = { apiVersion: 'apps/v1', kind: 'Deployment', group: 'apps', resource: 'deployments', name: 'web', namespace: 'default', schema: deploymentSchema, strategic: true };
  const r = patchObject(req({ live, target, contentType: 'application/strategic-merge-patch+json', fieldManager: 'kubectl-patch', body: '{"spec":{"replicas":4}}' }));
  assert.equal((r.object.spec as any).replicas, 4);
  // kubectl-create owned only .spec.replicas, which kubectl-patch took: kubectl-create is gone.
  assert.deepEqual((r.object.metadata as any).managedFields, [
    { manager: 'kubectl-patch', operation: 'Update', apiVersion: 'apps/v1', time: '2026-12-01T12:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
  ]);
  assert.deepEqual(live.spec, { replicas: 1 }, 'input untouched');
});

test('apply bodies decode as sigs.k8s.io/yaml does', () => {
  assert.deepEqual(decodeApplyBody('{"a": 1}'), { a: 1 });
  assert.deepEqual(decodeApplyBody(''), {});
  assert.deepEqual(decodeApplyBody('a: yes\nb: 0755\nc: 1\nc: 2\nd: 2001-12-14\n'), { a: true, b: 493, c: 2, d: '2001-12-14' });
  assert.deepEqual(decodeApplyBody('a: 1\n---\nb: 2\n'), { a: 1 });
  assert.equal(JSON.stringify(decodeApplyBody('__proto__: {x: 1}\n')), '{"__proto__":{"x":1}}');
  const list = statusOf(() => decodeApplyBody('- a\n- b\n'));
  assert.deepEqual(
    [list.code, list.message],
    [400, 'error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}'],
  );
  assert.equal(statusOf(() => decodeApplyBody('a: [')).code, 400);
  const empty = statusOf(() => patchObject(req({ contentType: 'application/apply-patch+yaml', fieldManager: 'kubectl', body: '' })));
  assert.deepEqual([empty.code, empty.message], [400, 'invalid object type: /, Kind=']);
});

// Scenarios of kubernetes test/integration/apiserver/apply/apply_test.go, with its expected managedFields.
test('apiserver integration scenarios: TestApplyManagedFields, TestApplyRemovesEmptyManagedFields, TestClearManagedFieldsWith*', () => {
  const applyBody = JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'test-cm', namespace: 'default', labels: { 'test-label': 'test' } },
    data: { key: 'value' },
  });
  const t = { ...configMapTarget, name: 'test-cm' };
  const applied = patchObject({ contentType: 'application/apply-patch+yaml', body: applyBody, live: undefined, target: t, fieldManager: 'apply_test', now });
  const updated = patchObject({
    contentType: 'application/merge-patch+json',
    body: '{"data":{"key": "new value", "new-key": "value"}}',
    live: applied.object,
    target: t,
    fieldManager: 'updater',
    now: new Date('2026-12-01T12:00:01Z'),
  });
  assert.deepEqual(updated.object, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'test-cm',
      namespace: 'default',
      labels: { 'test-label': 'test' },
      managedFields: [
        { manager: 'apply_test', operation: 'Apply', apiVersion: 'v1', time: '2026-12-01T12:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:test-label': {} } } } },
        { manager: 'updater', operation: 'Update', apiVersion: 'v1', time: '2026-12-01T12:00:01Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:key': {}, 'f:new-key': {} } } },
      ],
    },
    data: { key: 'new value', 'new-key': 'value' },
  });

  const bare = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'test-cm', namespace: 'default' } });
  const empty = patchObject({ contentType: 'application/apply-patch+yaml', body: bare, live: undefined, target: t, fieldManager: 'apply_test', now });
  const again = patchObject({ contentType: 'application/apply-patch+yaml', body: bare, live: empty.object, target: t, fieldManager: 'apply_test', now });
  assert.equal((again.object.metadata as Record<string, unknown>).managedFields, undefined);

  const clears: Array<[string, string]> = [
    ['application/merge-patch+json', '{"metadata":{"managedFields": [{}]}}'],
    ['application/strategic-merge-patch+json', '{"metadata":{"managedFields": [{}]}}'],
    ['application/json-patch+json', '[{"op": "replace", "path": "/metadata/managedFields", "value": [{}]}]'],
  ];
  for (const [contentType, body] of clears) {
    const r = patchObject({ contentType, body, live: applied.object, target: t, now });
    assert.equal((r.object.metadata as Record<string, unknown>).managedFields, undefined, contentType);
    assert.deepEqual((r.object.metadata as Record<string, unknown>).labels, { 'test-label': 'test' }, contentType);
  }
});

// test/integration/apiserver/apply/apply_test.go TestRenamingUpdatedFieldManagers and TestDroppingSubresourceField.
test('apiserver integration scenarios: renaming managers in a PUT collapses entries into the last one', () => {
  const podTarget: PatchTarget = { apiVersion: 'v1', kind: 'Pod', group: '', resource: 'pods', name: 'just-a-pod', namespace: 'default', schema: builtinSchema('v1', 'Pod') as SchemaNode, strategic: true, hasStatusSubresource: true };
  const pod = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'just-a-pod' }, spec: { containers: [{ name: 'test-container-a', image: 'test-image-one' }] } });
  let o = patchObject({ contentType: 'application/apply-patch+yaml', body: pod, live: undefined, target: podTarget, fieldManager: 'first', now }).object;
  o = patchObject({ contentType: 'application/merge-patch+json', body: '{"metadata":{"labels":{"a":"one"}}}', live: o, target: podTarget, fieldManager: 'multi_manager_one', now }).object;
  o = patchObject({ contentType: 'application/merge-patch+json', body: '{"metadata":{"labels":{"b":"two"}}}', live: o, target: podTarget, fieldManager: 'multi_manager_two', now }).object;
  const entries = (o.metadata as { managedFields: Array<Record<string, unknown>> }).managedFields;
  assert.deepEqual(entries.map((e) => [e.manager, e.fieldsV1]), [
    ['first', { 'f:spec': { 'f:containers': { 'k:{"name":"test-container-a"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } }],
    ['multi_manager_one', { 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } } }],
    ['multi_manager_two', { 'f:metadata': { 'f:labels': { 'f:b': {} } } }],
  ]);
  const renamed = structuredClone(o) as KubeObject & { metadata: { managedFields: Array<Record<string, unknown>> } };
  for (const e of renamed.metadata.managedFields) if (e.operation === 'Update') e.manager = 'multi_manager';
  const put = recordUpdate(o, renamed, { manager: 'kubectl-replace', apiVersion: 'v1', now, schema: podTarget.schema, ignoredFields: resetFieldsFor(undefined, true) });
  const after = (put.metadata as { managedFields: Array<Record<string, unknown>> }).managedFields;
  assert.equal(after.length, 2);
  assert.deepEqual([after[1].manager, after[1].operation, after[1].fieldsV1], ['multi_manager', 'Update', { 'f:metadata': { 'f:labels': { 'f:b': {} } } }]);
});

test('the patched object must keep the name and namespace of the URL (handlers/patch.go checkName)', () => {
  const apply = (body: object, live: KubeObject | undefined = undefined) =>
    patchObject({ contentType: 'application/apply-patch+yaml', body: JSON.stringify(body), live, target: configMapTarget, fieldManager: 'kubectl', now });
  const base = { apiVersion: 'v1', kind: 'ConfigMap' };
  assert.equal((apply({ ...base, metadata: { name: 'c' } }).object.metadata as any).namespace, 'default');
  assert.deepEqual(
    [statusOf(() => apply({ ...base, metadata: { name: 'other' } })).message],
    ['the name of the object (other) does not match the name on the URL (c)'],
  );
  assert.equal(
    statusOf(() => apply({ ...base, metadata: { name: 'c', namespace: 'kube-system' } })).message,
    'the namespace of the provided object does not match the namespace sent on the request',
  );
  assert.equal(statusOf(() => apply({ ...base, metadata: {} })).message, 'the name of the object (c based on URL) was undeterminable: name must be provided');
  const uid = statusOf(() => apply({ ...base, metadata: { name: 'c', uid: 'x-1' } }));
  assert.deepEqual([uid.code, uid.reason, uid.message], [
    409,
    'Conflict',
    'Operation cannot be fulfilled on configmaps "c": uid mismatch: the provided object specified uid x-1, and no existing object was found',
  ]);
  const wiped = apply({ ...base, metadata: { name: 'c', creationTimestamp: '2020-01-01T00:00:00Z' } }).object.metadata as Record<string, unknown>;
  assert.equal(wiped.creationTimestamp, undefined);
  const renamed = statusOf(() => patchObject(req({ body: '{"metadata":{"name":"d"}}' })));
  assert.equal(renamed.message, 'the name of the object (d) does not match the name on the URL (c)');
});
