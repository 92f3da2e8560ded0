// Tests of server-side Table output: printer columns and cells for the core kinds, CRD columns, and Table shapes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crdPrinter, formatLabels, labelSelectorString, translateTimestampSince, type KubeObject } from './printers.ts';
import { registry } from './registry.ts';
import { tableContentType, tableOptions, TableOptionsError, tableRequested, toTable } from './table.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const NOW = Date.parse('2026-06-01T12:00:00Z');
const at = (ms: number) => new Date(NOW - ms).toISOString().replace(/\.\d+Z$/, 'Z');

const kind = (group: string, resource: string) => registry.byResource(group, 'v1', resource)!;
const cells = (group: string, resource: string, obj: KubeObject) => toTable(kind(group, resource), obj, { now: NOW }).rows[0].cells;
const columns = (group: string, resource: string) => kind(group, resource).printer.columns.map((c) => (c.priority ? `${c.name}*` : c.name));

describe('translateTimestampSince', () => {
  it('translateTimestampSince says <unknown> for a missing time', () => {
    assert.equal(translateTimestampSince(undefined, NOW), '<unknown>');
    assert.equal(translateTimestampSince('', NOW), '<unknown>');
    assert.equal(translateTimestampSince(at(90 * S), NOW), '90s');
  });
});

describe('core printer columns (printers.go AddHandlers)', () => {
  it('has Kubernetes\' columns, priority-1 ones marked *', () => {
    assert.deepEqual(columns('', 'pods'), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP*', 'Node*', 'Nominated Node*', 'Readiness Gates*']);
    assert.deepEqual(columns('', 'services'), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
    assert.deepEqual(columns('apps', 'deployments'), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
    assert.deepEqual(columns('apps', 'replicasets'), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*']);
    assert.deepEqual(columns('', 'namespaces'), ['Name', 'Status', 'Age']);
    assert.deepEqual(columns('', 'secrets'), ['Name', 'Type', 'Data', 'Age']);
    assert.deepEqual(columns('', 'configmaps'), ['Name', 'Data', 'Age']);
    assert.deepEqual(columns('', 'events'), ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*']);
    assert.deepEqual(columns('events.k8s.io', 'events'), columns('', 'events'));
  });

  it('the Name column has format name', () => {
    const name = kind('', 'pods').printer.columns[0];
    assert.equal(name.format, 'name');
    assert.equal(name.type, 'string');
  });
});

describe('pod cells (printPod)', () => {
  const pod = (status: KubeObject, spec: KubeObject = {}, meta: KubeObject = {}): KubeObject => ({
    metadata: { name: 'p', creationTimestamp: at(5 * M), ...meta },
    spec: { containers: [{ name: 'user-container' }, { name: 'queue-proxy' }], ...spec },
    status,
  });
  const running = (name: string, ready: boolean, restartCount = 0, extra: KubeObject = {}) => ({ name, ready, restartCount, state: { running: {} }, ...extra });

  it('a running pod: ready count, phase, restarts and age, then the wide cells', () => {
    assert.deepEqual(cells('', 'pods', pod({ phase: 'Running', podIPs: [{ ip: '10.0.0.7' }], containerStatuses: [running('user-container', true), running('queue-proxy', true)] }, { nodeName: 'knit' })), ['p', '2/2', 'Running', '0', '5m', '10.0.0.7', 'knit', '<none>', '<none>']);
  });

  it('restarts show when the last container restart was', () => {
    const c = cells('', 'pods', pod({ phase: 'Running', containerStatuses: [running('user-container', true, 3, { lastState: { terminated: { exitCode: 1, finishedAt: at(90 * S) } } }), running('queue-proxy', true)] }));
    assert.equal(c[3], '3 (90s ago)');
  });

  it('a waiting container\'s reason is the status', () => {
    const c = cells('', 'pods', pod({ phase: 'Running', containerStatuses: [{ name: 'user-container', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }, running('queue-proxy', true)] }));
    assert.deepEqual(c.slice(1, 4), ['1/2', 'CrashLoopBackOff', '4']);
  });

  it('a terminated container without reason shows its exit code or signal', () => {
    assert.equal(cells('', 'pods', pod({ phase: 'Running', containerStatuses: [{ name: 'user-container', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }] }))[2], 'ExitCode:2');
    assert.equal(cells('', 'pods', pod({ phase: 'Running', containerStatuses: [{ name: 'user-container', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }] }))[2], 'Signal:9');
  });

  it('init containers: Init:N/M while they run', () => {
    const c = cells('', 'pods', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'setup', ready: false, restartCount: 0, state: { running: {} } }] }, { initContainers: [{ name: 'setup' }] }));
    assert.equal(c[2], 'Init:0/1');
  });

  it('a deleted, non-terminal pod is Terminating', () => {
    assert.equal(cells('', 'pods', pod({ phase: 'Running' }, {}, { deletionTimestamp: at(1 * S) }))[2], 'Terminating');
  });

  it('a pod with a status reason shows it, and readiness gates count true conditions', () => {
    const c = cells('', 'pods', pod({ phase: 'Failed', reason: 'Evicted', conditions: [{ type: 'knit/ready', status: 'True' }] }, { readinessGates: [{ conditionType: 'knit/ready' }, { conditionType: 'other' }] }));
    assert.equal(c[2], 'Evicted');
    assert.equal(c[8], '1/2');
  });

  it('succeeded pods carry the Completed row condition', () => {
    const t = toTable(kind('', 'pods'), pod({ phase: 'Succeeded' }), { now: NOW });
    assert.deepEqual(t.rows[0].conditions?.map((c) => c.type), ['Completed']);
    assert.equal(toTable(kind('', 'pods'), pod({ phase: 'Running' }), { now: NOW }).rows[0].conditions, undefined);
  });
});

describe('other core cells', () => {
  it('services: type, cluster IP, external IP and ports as printService writes them', () => {
    const svc = (spec: KubeObject, status: KubeObject = {}) => ({ metadata: { name: 's', creationTimestamp: at(3 * H) }, spec, status });
    assert.deepEqual(cells('', 'services', svc({ type: 'ClusterIP', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }, { port: 443 }], selector: { b: '2', a: '1' } })), ['s', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP,443/TCP', '3h', 'a=1,b=2']);
    assert.deepEqual(cells('', 'services', svc({ type: 'ExternalName', externalName: 'gw.local' })).slice(1, 5), ['ExternalName', '<none>', 'gw.local', '<none>']);
    assert.deepEqual(cells('', 'services', svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] })).slice(3, 5), ['<none>', '80:30080/TCP']);
    assert.equal(cells('', 'services', svc({ type: 'LoadBalancer' }))[3], '<pending>');
    assert.equal(cells('', 'services', svc({ type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '192.0.2.2' }, { hostname: 'lb.example' }] } }))[3], '192.0.2.2,lb.example');
  });

  it('deployments and replicasets: replica counts as integers, default replicas 1', () => {
    const template = { spec: { containers: [{ name: 'user-container', image: 'img' }, { name: 'queue-proxy', image: 'qp' }] } };
    const selector = { matchLabels: { 'serving.knative.dev/revision': 'r' }, matchExpressions: [{ key: 'app', operator: 'In', values: ['b', 'a'] }] };
    assert.deepEqual(cells('apps', 'deployments', { metadata: { name: 'd', creationTimestamp: at(D) }, spec: { replicas: 3, selector, template }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } }), ['d', '2/3', 3, 2, '24h', 'user-container,queue-proxy', 'img,qp', 'app in (a,b),serving.knative.dev/revision=r']);
    assert.deepEqual(cells('apps', 'replicasets', { metadata: { name: 'rs', creationTimestamp: at(D) }, spec: { template }, status: { replicas: 1 } }).slice(1, 4), [1, 1, 0]);
  });

  it('namespaces, secrets and configmaps', () => {
    assert.deepEqual(cells('', 'namespaces', { metadata: { name: 'default', creationTimestamp: at(D) }, status: { phase: 'Active' } }), ['default', 'Active', '24h']);
    assert.deepEqual(cells('', 'secrets', { metadata: { name: 'x', creationTimestamp: at(M) }, type: 'Opaque', data: { a: 'YQ==', b: 'Yg==' } }), ['x', 'Opaque', 2, '60s']);
    assert.deepEqual(cells('', 'configmaps', { metadata: { name: 'c', creationTimestamp: at(M) }, data: { a: '1' }, binaryData: { b: 'AA==' } }), ['c', 2, '60s']);
  });

  it('core/v1 events: last seen, object kind/name, source, count', () => {
    const ev = { metadata: { name: 'hello.17', creationTimestamp: at(M) }, involvedObject: { kind: 'Revision', name: 'hello-00001', fieldPath: 'spec.containers{user-container}' }, reason: 'Started', message: ' started \n', type: 'Normal', firstTimestamp: at(5 * M), lastTimestamp: at(30 * S), count: 4, source: { component: 'knit', host: 'box' } };
    assert.deepEqual(cells('', 'events', ev), ['30s', 'Normal', 'Started', 'revision/hello-00001', 'spec.containers{user-container}', 'knit, box', 'started', '5m', 4, 'hello.17']);
  });

  it('events.k8s.io/v1 events are read through their new field names, a series giving last seen and count', () => {
    const ev = { metadata: { name: 'e' }, eventTime: `${at(10 * M).slice(0, -1)}.000000Z`, series: { count: 7, lastObservedTime: `${at(2 * M).slice(0, -1)}.000000Z` }, regarding: { kind: 'Service' }, reason: 'Ready', note: 'n', type: 'Normal', reportingController: 'knit' };
    assert.deepEqual(cells('events.k8s.io', 'events', ev), ['2m', 'Normal', 'Ready', 'service', '', 'knit', 'n', '10m', 7, 'e']);
  });

  it('a singleton event without a count counts 1 and an unknown source is <unknown>', () => {
    const c = cells('', 'events', { metadata: { name: 'e' }, involvedObject: { kind: 'Pod', name: 'p' }, firstTimestamp: at(M), type: 'Warning', reason: 'X', message: '' });
    assert.deepEqual([c[0], c[5], c[8]], ['60s', '<unknown>', 1]);
  });

  it('formatLabels and label selectors', () => {
    assert.equal(formatLabels({}), '<none>');
    assert.equal(formatLabels({ z: '1', a: '2' }), 'a=2,z=1');
    assert.equal(labelSelectorString({ matchExpressions: [{ key: 'b', operator: 'DoesNotExist' }, { key: 'a', operator: 'Exists' }, { key: 'c', operator: 'NotIn', values: ['x'] }] }), 'a,!b,c notin (x)');
  });
});

describe('CRD printer columns (apiextensions tableconvertor)', () => {
  const svc = { metadata: { name: 'hello', creationTimestamp: at(M) }, status: { url: 'http://hello.default.example.com', latestCreatedRevisionName: 'hello-00001', conditions: [{ type: 'Ready', status: 'Unknown', reason: 'RevisionMissing' }] } };

  it('Name first, then additionalPrinterColumns with JSONPath filters; missing values are null', () => {
    assert.deepEqual(cells('serving.knative.dev', 'services', svc), ['hello', 'http://hello.default.example.com', 'hello-00001', null, 'Unknown', 'RevisionMissing']);
  });

  it('Revision: label keys with dots, integer columns from JSON numbers', () => {
    const rev = { metadata: { name: 'hello-00001', labels: { 'serving.knative.dev/configuration': 'hello', 'serving.knative.dev/configurationGeneration': '1' } }, status: { actualReplicas: 2, desiredReplicas: 2.0 } };
    assert.deepEqual(cells('serving.knative.dev', 'revisions', rev), ['hello-00001', 'hello', '1', null, null, 2, 2]);
    assert.deepEqual(kind('serving.knative.dev', 'revisions').printer.columns.slice(5).map((c) => c.type), ['integer', 'integer']);
  });

  it('a CRD without columns gets Age from creationTimestamp, printed as an age', () => {
    const p = crdPrinter([]);
    assert.deepEqual(p.columns.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
    assert.deepEqual(p.cells({ metadata: { name: 'x', creationTimestamp: at(3 * D) } }, NOW), ['x', '3d']);
  });

  it('string columns print non-string values as the JSONPath printer does; typed columns drop mismatches', () => {
    const p = crdPrinter([
      { name: 'Obj', type: 'string', jsonPath: '.spec' },
      { name: 'N', type: 'integer', jsonPath: '.spec.name' },
      { name: 'B', type: 'boolean', jsonPath: '.spec.on' },
    ]);
    assert.deepEqual(p.cells({ metadata: { name: 'x' }, spec: { on: true, name: 'n' } }, NOW), ['x', '{"name":"n","on":true}', null, true]);
    const q = crdPrinter([{ name: 'V', type: 'string', jsonPath: '.v' }]);
    assert.deepEqual(q.cells({ metadata: { name: 'x' }, v: 1.5 }, NOW), ['x', '1.5']);
    assert.deepEqual(q.cells({ metadata: { name: 'x' }, v: null }, NOW), ['x', null]);
    assert.deepEqual(q.cells({ metadata: { name: 'x' }, v: [2, 'a'] }, NOW), ['x', '[2,"a"]']);
  });
});

describe('Table', () => {
  const ksvc = kind('serving.knative.dev', 'services');
  const list = { kind: 'ServiceList', apiVersion: 'serving.knative.dev/v1', metadata: { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 }, items: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'a', namespace: 'default', uid: 'u1' }, spec: { template: {} } }] };

  it('is a meta.k8s.io/v1 Table with the list\'s resourceVersion and continue, rows holding PartialObjectMetadata by default', () => {
    const t = toTable(ksvc, list, { now: NOW });
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.metadata, { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 });
    assert.deepEqual(t.columnDefinitions[0], { name: 'Name', type: 'string', format: 'name', description: t.columnDefinitions[0].description, priority: 0 });
    assert.match(t.columnDefinitions[0].description, /^Name must be unique within a namespace/);
    assert.deepEqual(t.rows[0].object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'a', namespace: 'default', uid: 'u1' } });
  });

  it('includeObject=Object embeds the object, None leaves it out; noHeaders drops the columns', () => {
    assert.deepEqual(toTable(ksvc, list, { includeObject: 'Object' }).rows[0].object, list.items[0]);
    assert.equal('object' in toTable(ksvc, list, { includeObject: 'None' }).rows[0], false);
    assert.deepEqual(toTable(ksvc, list, { noHeaders: true }).columnDefinitions, []);
  });

  it('a single object is a one-row Table with its resourceVersion', () => {
    const t = toTable(ksvc, { metadata: { name: 'one', resourceVersion: '9' } }, { version: 'v1beta1' });
    assert.equal(t.apiVersion, 'meta.k8s.io/v1beta1');
    assert.deepEqual(t.metadata, { resourceVersion: '9' });
    assert.equal(t.rows.length, 1);
    assert.equal((t.rows[0].object as { apiVersion: string }).apiVersion, 'meta.k8s.io/v1beta1');
  });

  it('tableRequested reads kubectl\'s Accept header', () => {
    assert.equal(tableRequested('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'), 'v1');
    assert.equal(tableRequested('application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json'), 'v1beta1');
    assert.equal(tableRequested('application/json'), undefined);
    assert.equal(tableRequested('application/json, application/json;as=Table;v=v1;g=meta.k8s.io'), undefined);
    assert.equal(tableRequested(undefined), undefined);
    assert.equal(tableContentType(), 'application/json;as=Table;v=v1;g=meta.k8s.io');
  });

  it('tableOptions reads includeObject and noHeaders, rejecting unknown policies', () => {
    assert.deepEqual(tableOptions(new URLSearchParams('includeObject=Object&noHeaders=true')), { includeObject: 'Object', noHeaders: true });
    assert.deepEqual(tableOptions(new URLSearchParams('')), { includeObject: undefined, noHeaders: false });
    assert.throws(() => tableOptions(new URLSearchParams('includeObject=All')), (e: unknown) => e instanceof TableOptionsError && /Unsupported value: "All"/.test(e.message));
  });
});
