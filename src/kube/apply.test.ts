// Tests for server-side apply and Update bookkeeping: managedFields, conflicts with the apiserver's texts, force, pruning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, conflictError, printManager } from './apply.ts';
import { FieldSet } from './fieldpath.ts';
import { managerFromUserAgent, recordUpdate, resetFieldsFor, type KubeObject } from './managed-fields.ts';
import { builtinSchema, type SchemaNode } from './merge-schema.ts';
import { nginxContainerFields, refusal } from '../../test/kube/helpers.ts';

const deployment = builtinSchema('apps/v1', 'Deployment') as SchemaNode;
const configMap = builtinSchema('v1', 'ConfigMap') as SchemaNode;
const t0 = new Date('2026-12-01T10:00:00.250Z');
const t1 = new Date('2026-12-01T10:05:00Z');

function deploymentConfig(replicas: number | undefined, image = 'nginx:1.27'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image, ports: [{ containerPort: 80 }] }] },
      },
    },
  };
}

const apply = (live: KubeObject | undefined, cfg: KubeObject, manager: string, now: Date, force = false) =>
  applyPatch(live, cfg, { manager, force, apiVersion: 'apps/v1', kind: 'Deployment', now, schema: deployment });

function managedFields(o: KubeObject): Array<Record<string, unknown>> {
  return (o.metadata as { managedFields: Array<Record<string, unknown>> }).managedFields;
}

const kubectlFields = (withReplicas: boolean) => ({
  'f:metadata': { 'f:labels': { 'f:app': {} } },
  'f:spec': {
    ...(withReplicas ? { 'f:replicas': {} } : {}),
    'f:selector': {},
    'f:template': {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:containers': nginxContainerFields({ 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } }),
      },
    },
  },
});

test('kubectl apply --server-side, then another manager: conflict, --force-conflicts, then a removed field goes', () => {
  // 1. kubectl apply --server-side (manager kubectl) creates the object and owns what it applied.
  const created = apply(undefined, deploymentConfig(1), 'kubectl', t0);
  assert.deepEqual(managedFields(created), [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: '2026-12-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: kubectlFields(true),
    },
  ]);
  assert.equal((created.spec as { replicas: number }).replicas, 1);

  // 2. --field-manager other with a different replicas value: 409 with the apiserver's text.
  const err = refusal(() => apply(created, deploymentConfig(3), 'other', t1));
  assert.deepEqual(err.toStatus(), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas',
    reason: 'Conflict',
    details: {
      causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.spec.replicas' }],
    },
    code: 409,
  });

  // 3. --force-conflicts: other takes .spec.replicas; both managers share the fields with equal values.
  const forced = apply(created, deploymentConfig(3), 'other', t1, true);
  assert.equal((forced.spec as { replicas: number }).replicas, 3);
  assert.deepEqual(
    managedFields(forced).map((e) => [e.manager, e.operation, e.time, e.fieldsV1]),
    [
      ['kubectl', 'Apply', '2026-12-01T10:00:00Z', kubectlFields(false)],
      ['other', 'Apply', '2026-12-01T10:05:00Z', kubectlFields(true)],
    ],
  );

  // 4. other re-applies without the image: it is still kubectl's, so it stays; then kubectl drops it too.
  const noImage = deploymentConfig(3);
  delete ((noImage.spec as any).template.spec.containers[0] as Record<string, unknown>).image;
  const kept = apply(forced, noImage, 'other', t1);
  assert.equal((kept.spec as any).template.spec.containers[0].image, 'nginx:1.27');
  const kubectlNoImage = deploymentConfig(undefined);
  delete ((kubectlNoImage.spec as any).template.spec.containers[0] as Record<string, unknown>).image;
  const removed = apply(kept, kubectlNoImage, 'kubectl', t1);
  assert.equal((removed.spec as any).template.spec.containers[0].image, undefined);
  assert.deepEqual((removed.spec as any).template.spec.containers[0], { name: 'nginx', ports: [{ containerPort: 80 }] });
});

test('a field only the applier owned is removed when it stops applying it; fields nobody owns stay', () => {
  const live = apply(undefined, deploymentConfig(2), 'kubectl', t0);
  // A defaulted field nobody manages, added by the server after the apply.
  (live.spec as Record<string, unknown>).revisionHistoryLimit = 10;
  const next = apply(live, deploymentConfig(undefined), 'kubectl', t1);
  assert.equal((next.spec as Record<string, unknown>).replicas, undefined);
  assert.equal((next.spec as Record<string, unknown>).revisionHistoryLimit, 10);
  assert.deepEqual(managedFields(next)[0].fieldsV1, kubectlFields(false));
});

test('conflict texts: Update managers are named with their apiVersion, several conflicts are grouped by manager', () => {
  const cm = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
  const created = recordUpdate(undefined, cm({ a: '1', b: '2' }), {
    manager: 'kubectl-client-side-apply',
    apiVersion: 'v1',
    now: t0,
    schema: configMap,
  });
  const edited = recordUpdate(created, cm({ a: '1', b: '2', c: '3' }), { manager: 'kubectl-edit', apiVersion: 'v1', now: t1, schema: configMap });
  const opts = { manager: 'kubectl', apiVersion: 'v1', kind: 'ConfigMap', now: t1, schema: configMap };
  const one = refusal(() => applyPatch(created, cm({ a: 'x' }), opts));
  assert.equal(one.toStatus().message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a');
  assert.deepEqual(one.toStatus().details?.causes, [
    { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using v1', field: '.data.a' },
  ]);
  const several = refusal(() => applyPatch(edited, cm({ a: 'x', b: 'y', c: 'z' }), opts));
  assert.equal(
    several.toStatus().message,
    'Apply failed with 3 conflicts: conflicts with "kubectl-client-side-apply" using v1:\n- .data.a\n- .data.b\nconflicts with "kubectl-edit" using v1:\n- .data.c',
  );
  assert.equal(several.toStatus().details?.causes?.length, 3);
  // Applying the values already there is no conflict: ownership is shared.
  const shared = applyPatch(created, cm({ a: '1' }), opts);
  assert.deepEqual(
    managedFields(shared).map((e) => [e.manager, e.operation, e.fieldsV1]),
    [
      ['kubectl', 'Apply', { 'f:data': { 'f:a': {} } }],
      ['kubectl-client-side-apply', 'Update', { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } }],
    ],
  );
});

test('printManager and conflictError match internal/conflict.go for subresources and list keys', () => {
  assert.equal(printManager('{"manager":"ctrl","operation":"Update","apiVersion":"v1","subresource":"status"}'), '"ctrl" with subresource "status" using v1');
  assert.equal(printManager('{"manager":"kubectl","operation":"Apply"}'), '"kubectl"');
  const e = conflictError([
    {
      manager: '{"manager":"kubectl","operation":"Apply"}',
      path: [{ field: 'spec' }, { field: 'containers' }, { key: [['name', 'app']] }, { field: 'image' }],
    },
  ]);
  assert.equal(e.toStatus().message, 'Apply failed with 1 conflict: conflict with "kubectl": .spec.containers[name="app"].image');
});

test('an Update records the fields it changed, with "." for new maps and list items, and takes them from others', () => {
  const created = recordUpdate(
    undefined,
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { replicas: 1 } },
    { manager: 'kubectl-create', apiVersion: 'apps/v1', now: t0, schema: deployment },
  );
  assert.deepEqual(managedFields(created), [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2026-12-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:replicas': {} } },
    },
  ]);
  const scaled = recordUpdate(created, { ...created, spec: { replicas: 5 } }, { manager: 'kube-scaler', apiVersion: 'apps/v1', now: t1, schema: deployment });
  assert.deepEqual(
    managedFields(scaled).map((e) => [e.manager, e.fieldsV1]),
    [
      ['kubectl-create', { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } }],
      ['kube-scaler', { 'f:spec': { 'f:replicas': {} } }],
    ],
  );
  // No change: no new entry and no new time.
  const same = recordUpdate(scaled, scaled, { manager: 'noop', apiVersion: 'apps/v1', now: new Date('2027-01-01T00:00:00Z'), schema: deployment });
  assert.deepEqual(managedFields(same), managedFields(scaled));
  // `managedFields: [{}]` in a request clears them; the writer then owns what it changed.
  const cleared = recordUpdate(scaled, { ...scaled, metadata: { ...(scaled.metadata as object), managedFields: [{}] } }, {
    manager: 'x',
    apiVersion: 'apps/v1',
    now: t1,
    schema: deployment,
  });
  assert.equal((cleared.metadata as Record<string, unknown>).managedFields, undefined);
});

test('status is not owned through the main resource when the kind has a status subresource', () => {
  const ignoredFields = resetFieldsFor(undefined, true);
  const o = recordUpdate(undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' }, status: { x: 1 } }, {
    manager: 'm',
    apiVersion: 'v1',
    now: t0,
    schema: configMap,
    ignoredFields,
  });
  assert.deepEqual(managedFields(o)[0].fieldsV1, { 'f:data': { '.': {}, 'f:a': {} } });
  const s = recordUpdate(o, { ...o, status: { x: 2 } }, { manager: 'ctrl', apiVersion: 'v1', now: t1, schema: configMap, subresource: 'status', ignoredFields: resetFieldsFor('status', true) });
  assert.deepEqual(managedFields(s)[1], {
    manager: 'ctrl',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-12-01T10:05:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:status': { 'f:x': {} } },
    subresource: 'status',
  });
});

test('apply refuses managedFields in the body and a different kind, and keeps keys such as __proto__', () => {
  const opts = { manager: 'kubectl', apiVersion: 'v1', kind: 'ConfigMap', now: t0, schema: configMap };
  const withMf = refusal(() => applyPatch(undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', managedFields: [] } }, opts));
  assert.deepEqual([withMf.toStatus().code, withMf.toStatus().reason, withMf.toStatus().message], [400, 'BadRequest', 'metadata.managedFields must be nil']);
  const wrongKind = refusal(() => applyPatch(undefined, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'c' } }, opts));
  assert.equal(wrongKind.toStatus().message, 'invalid object type: apps/v1, Kind=Deployment');
  const cfg = JSON.parse('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","labels":{"__proto__":"x"}},"data":{"__proto__":"y","constructor":"z"}}');
  const o = applyPatch(undefined, cfg, opts);
  assert.equal(JSON.stringify((o.metadata as any).labels), '{"__proto__":"x"}');
  assert.equal(JSON.stringify(o.data), '{"__proto__":"y","constructor":"z"}');
  assert.deepEqual(managedFields(o)[0].fieldsV1, {
    'f:data': { 'f:__proto__': {}, 'f:constructor': {} },
    'f:metadata': { 'f:labels': { 'f:__proto__': {} } },
  });
  assert.ok(Object.prototype.hasOwnProperty.call(managedFields(o)[0].fieldsV1, 'f:data'));
});

test('apply does not modify its inputs, and an unchanged re-apply keeps the time', () => {
  const cfg = deploymentConfig(1);
  const cfgCopy = structuredClone(cfg);
  const live = apply(undefined, cfg, 'kubectl', t0);
  const liveCopy = structuredClone(live);
  const again = apply(live, cfg, 'kubectl', t1);
  assert.deepEqual(cfg, cfgCopy);
  assert.deepEqual(live, liveCopy);
  assert.equal(managedFields(again)[0].time, '2026-12-01T10:00:00Z');
});

test('list items merge by key in structured-merge-diff order; duplicate keys in the applied list are refused', () => {
  const cfg = (containers: Array<Record<string, unknown>>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { template: { spec: { containers } } },
  });
  const a = apply(undefined, cfg([{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }]), 'one', t0);
  const b = apply(a, cfg([{ name: 'sidecar', image: 's' }]), 'two', t0);
  const names = (o: KubeObject) => (o.spec as any).template.spec.containers.map((c: { name: string }) => c.name);
  assert.deepEqual(names(b), ['a', 'b', 'sidecar']);
  const c = apply(b, cfg([{ name: 'b', image: 'b' }, { name: 'a', image: 'a' }]), 'one', t0);
  // structured-merge-diff's order: shared items in applied order, the live-only item where the walk meets it.
  assert.deepEqual(names(c), ['b', 'sidecar', 'a']);
  const dup = refusal(() => apply(c, cfg([{ name: 'x' }, { name: 'x' }]), 'one', t0));
  assert.equal(dup.toStatus().code, 500);
  assert.equal(
    dup.toStatus().message,
    'failed to create typed patch object (/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="x"]',
  );
  const keyless = refusal(() => apply(c, cfg([{ name: 'a' }, { image: 'no-name' }]), 'one', t0));
  assert.equal(
    keyless.toStatus().message,
    'failed to create typed patch object (/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: element 1: ' +
      'associative list with keys has an element that omits all key fields ["name"] (and doesn\'t have default values for any key fields)',
  );
});

test('more than ten Update managers: the oldest merge into ancient-changes', () => {
  // creator and m0..m11 make 13; creator, m0, m1 and m2 merge into one entry with m2's time.
  let o = recordUpdate(undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: {} }, {
    manager: 'creator',
    apiVersion: 'v1',
    now: new Date('2025-01-01T00:00:00Z'),
    schema: configMap,
  });
  for (let i = 0; i < 12; i++) {
    const next = structuredClone(o) as { data: Record<string, string> } & KubeObject;
    next.data[`k${i}`] = 'v';
    o = recordUpdate(o, next, { manager: `m${i}`, apiVersion: 'v1', now: new Date(Date.UTC(2026, 0, 1, 0, i)), schema: configMap });
  }
  const entries = managedFields(o);
  assert.equal(entries.length, 10);
  assert.deepEqual(entries[0], {
    manager: 'ancient-changes',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-01-01T00:02:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:data': { '.': {}, 'f:k0': {}, 'f:k1': {}, 'f:k2': {} } },
  });
  assert.deepEqual(entries.slice(1).map((e) => e.manager), ['m3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10', 'm11']);
});

test('kubectl takes over from client-side apply where the live object still matches last-applied-configuration', () => {
  const cfg = (replicas: number): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: String(replicas) } });
  const lastApplied = JSON.stringify(cfg(1)) + '\n';
  const csa = recordUpdate(undefined, { ...cfg(1), metadata: { name: 'c', namespace: 'default', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } } }, {
    manager: 'kubectl-client-side-apply',
    apiVersion: 'v1',
    now: t0,
    schema: configMap,
  });
  const opts = { manager: 'kubectl', apiVersion: 'v1', kind: 'ConfigMap', now: t1, schema: configMap };
  const upgraded = applyPatch(csa, cfg(2), opts);
  assert.deepEqual(upgraded.data, { a: '2' });
  assert.equal(
    (upgraded.metadata as any).annotations['kubectl.kubernetes.io/last-applied-configuration'],
    '{"apiVersion":"v1","data":{"a":"2"},"kind":"ConfigMap","metadata":{"name":"c","namespace":"default"}}\n',
  );
  assert.deepEqual(managedFields(upgraded).map((e) => [e.manager, e.fieldsV1]), [
    ['kubectl', { 'f:data': { 'f:a': {} } }],
    ['kubectl-client-side-apply', { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } }, 'f:data': {} }],
  ]);
  // Another manager gets the conflict; so does kubectl once the live value differs from the annotation.
  assert.equal(refusal(() => applyPatch(csa, cfg(2), { ...opts, manager: 'other' })).toStatus().code, 409);
  const drifted = structuredClone(csa) as KubeObject & { data: Record<string, string> };
  drifted.data.a = '5';
  assert.equal(
    refusal(() => applyPatch(drifted, cfg(2), opts)).toStatus().message,
    'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a',
  );
});

test('a null in the applied configuration unsets the field, and conflicts with its owner as a change does', () => {
  const live = apply(undefined, deploymentConfig(2), 'kubectl', t0);
  const cfg = deploymentConfig(undefined);
  (cfg.spec as Record<string, unknown>).replicas = null;
  (cfg.spec as Record<string, unknown>).strategy = { rollingUpdate: { maxSurge: null, maxUnavailable: 1 } };
  const err = refusal(() => apply(live, cfg, 'hpa-migration', t1));
  assert.equal(err.toStatus().message, 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
  const forced = apply(live, cfg, 'hpa-migration', t1, true);
  assert.equal(Object.prototype.hasOwnProperty.call(forced.spec, 'replicas'), false);
  assert.deepEqual((forced.spec as Record<string, unknown>).strategy, { rollingUpdate: { maxUnavailable: 1 } });
  const owners = managedFields(forced).map((e) => [e.manager, 'f:replicas' in (e.fieldsV1 as any)['f:spec']]);
  assert.deepEqual(owners, [['kubectl', false], ['hpa-migration', true]]);
});

test('an object without managedFields stays untracked by updates; the first apply meets before-first-apply', () => {
  const untracked: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', uid: 'u' }, data: { a: '1' } };
  const updated = recordUpdate(untracked, { ...untracked, data: { a: '2' } }, { manager: 'kubectl-edit', apiVersion: 'v1', now: t0, schema: configMap });
  assert.equal((updated.metadata as Record<string, unknown>).managedFields, undefined);
  const opts = { manager: 'kubectl', apiVersion: 'v1', kind: 'ConfigMap', now: t1, schema: configMap };
  const cfg = (a: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a } });
  assert.equal(
    refusal(() => applyPatch(updated, cfg('3'), opts)).toStatus().message,
    'Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.a',
  );
  const shared = applyPatch(updated, cfg('2'), opts);
  assert.deepEqual(managedFields(shared).map((e) => [e.manager, e.operation, e.fieldsV1]), [
    ['kubectl', 'Apply', { 'f:data': { 'f:a': {} } }],
    ['before-first-apply', 'Update', { 'f:data': { '.': {}, 'f:a': {} } }],
  ]);
});

test('managerFromUserAgent takes the program name as the apiserver does', () => {
  assert.equal(managerFromUserAgent('kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07'), 'kubectl');
  assert.equal(managerFromUserAgent('Go-http-client/1.1'), 'Go-http-client');
  assert.equal(managerFromUserAgent('a\u0007b/1'), 'ab');
  assert.equal(managerFromUserAgent('x'.repeat(200)).length, 128);
  assert.equal(managerFromUserAgent(undefined), '');
});

test('field sets ignore nothing by default and FieldSet.of builds reset sets', () => {
  assert.ok(resetFieldsFor(undefined, false).empty());
  assert.ok(resetFieldsFor(undefined, true).has([{ field: 'status' }]));
  assert.ok(FieldSet.of([{ field: 'spec' }]).has([{ field: 'spec' }]));
});
