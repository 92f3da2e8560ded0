// Table tests of the projection builders: a revision and an instance snapshot in, Kubernetes JSON out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Revision, Route } from '../../api/types.ts';
import type { PodSnapshot } from '../../runtime/instances.ts';
import { clusterIP, deploymentName, podName, podTemplateHash } from './names.ts';
import { buildPod, podPhase, qosClass } from './pod.ts';
import { readOnlyRefusal, scaleOf, scaleRefusal } from './refusals.ts';
import { gatewayServices, revisionServices, routeServices } from './services.ts';
import { buildDeployment, buildReplicaSet, condition, podSpec, revisionLabels, type KubeCondition } from './workload.ts';

const T0 = new Date('2026-01-02T03:04:05Z');
const T1 = new Date('2026-01-02T03:04:09Z');
const T2 = new Date('2026-01-02T03:05:00Z');

function revision(over: { annotations?: Record<string, string>; portName?: string; digest?: string } = {}): Revision {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Revision',
    metadata: {
      name: 'hello-00001',
      namespace: 'default',
      uid: 'b1d7e1c2-0000-4000-8000-000000000001',
      labels: {
        'serving.knative.dev/configuration': 'hello',
        'serving.knative.dev/configurationGeneration': '1',
        'serving.knative.dev/configurationUID': 'c-uid',
        'serving.knative.dev/service': 'hello',
        'serving.knative.dev/serviceUID': 's-uid',
        'serving.knative.dev/routingState': 'active',
      },
      annotations: { 'serving.knative.dev/creator': 'knit-admin', 'serving.knative.dev/routes': 'hello', 'autoscaling.knative.dev/min-scale': '1', ...over.annotations },
    },
    spec: {
      containers: [{ image: 'ghcr.io/x/hello:1', env: [{ name: 'TARGET', value: 'knit' }], ports: [{ containerPort: 9000, ...(over.portName ? { name: over.portName } : {}) }], resources: { requests: { cpu: '100m' } } }],
      timeoutSeconds: 300,
    },
    status: over.digest ? { containerStatuses: [{ name: 'user-container', imageDigest: over.digest }] } : {},
  };
}

function snap(over: Partial<PodSnapshot>): PodSnapshot {
  return {
    podId: 'x7k2q',
    instanceId: 'hello-00001-x7k2q',
    state: 'ready',
    deletedAt: undefined,
    runtime: 'process',
    pid: 4242,
    host: '127.0.0.1',
    port: 40123,
    createdAt: T0,
    startedAt: T0,
    readyChangedAt: T1,
    restartCount: 0,
    lastExit: undefined,
    backoffMs: undefined,
    logFile: '/data/logs/default/hello-00001/hello-00001-x7k2q.log',
    previousLogFile: undefined,
    ...over,
  };
}

const NODE = { nodeName: 'laptop', hostIP: '127.0.0.1' };
const RS = { name: 'hello-00001-deployment-abc', namespace: 'default', uid: 'rs-uid' };
const crash = { code: 137, beforeReady: false, requested: false, reason: 'ExitCode137', message: 'Container failed with: boom', startedAt: T0, finishedAt: T1 };

test('names: the deployment, replicaset and pod names and a stable pod-template-hash', () => {
  const hash = podTemplateHash('b1d7e1c2-0000-4000-8000-000000000001');
  assert.equal(hash, podTemplateHash('b1d7e1c2-0000-4000-8000-000000000001'), 'stable');
  assert.notEqual(hash, podTemplateHash('b1d7e1c2-0000-4000-8000-000000000002'), 'differs per revision');
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(deploymentName('hello-00001'), 'hello-00001-deployment');
  assert.equal(podName('hello-00001', hash, 'x7k2q'), `hello-00001-deployment-${hash}-x7k2q`);
  assert.equal(deploymentName('a'.repeat(60)).length, 63, 'kmeta.ChildName shortens long names');
  const cases: [string, string][] = [['default', 'hello'], ['default', 'hello-00001'], ['kourier-system', 'kourier']];
  for (const [ns, name] of cases) {
    const ip = clusterIP(ns, name);
    assert.equal(ip, clusterIP(ns, name));
    const [a, b, c, d] = ip.split('.').map(Number);
    assert.equal(a, 10);
    assert.ok(b >= 96 && b <= 111, `${ip} in 10.96.0.0/12`);
    assert.ok(b > 96 || c > 0 || d >= 16, `${ip} avoids the first addresses`);
  }
});

test('pods: phase, readiness, container state and lastState for each replica state', () => {
  const rows: { name: string; snap: Partial<PodSnapshot>; phase: string; ready: boolean; state: string; reason?: string; restarts?: number; last?: [number, string]; podIP?: string }[] = [
    { name: 'ready', snap: {}, phase: 'Running', ready: true, state: 'running', podIP: '127.0.0.1' },
    { name: 'started, probe not passed yet', snap: { state: 'starting' }, phase: 'Running', ready: false, state: 'running' },
    { name: 'not spawned yet', snap: { state: 'starting', pid: undefined }, phase: 'Pending', ready: false, state: 'waiting', reason: 'ContainerCreating' },
    { name: 'waiting to restart after a crash', snap: { state: 'waiting', instanceId: undefined, pid: undefined, restartCount: 2, lastExit: crash, backoffMs: 4000 }, phase: 'Running', ready: false, state: 'waiting', reason: 'CrashLoopBackOff', restarts: 2, last: [137, 'Error'] },
    { name: 'restarted after a crash', snap: { restartCount: 1, lastExit: crash }, phase: 'Running', ready: true, state: 'running', restarts: 1, last: [137, 'Error'] },
    { name: 'restarted after exiting 0', snap: { restartCount: 1, lastExit: { ...crash, code: 0, reason: 'ExitCode0' } }, phase: 'Running', ready: true, state: 'running', restarts: 1, last: [0, 'Completed'] },
    { name: 'being deleted', snap: { deletedAt: T2 }, phase: 'Running', ready: false, state: 'running' },
  ];
  for (const row of rows) {
    const pod = buildPod(revision(), RS, snap(row.snap), NODE, 'pod-uid');
    const st = pod.status as { phase: string; podIP?: string; conditions: KubeCondition[]; containerStatuses: { ready: boolean; restartCount: number; state: Record<string, { reason?: string; message?: string }>; lastState: { terminated?: { exitCode: number; reason: string } } }[] };
    const cs = st.containerStatuses[0];
    assert.equal(st.phase, row.phase, row.name);
    assert.equal(cs.ready, row.ready, row.name);
    assert.deepEqual(Object.keys(cs.state), [row.state], row.name);
    assert.equal(cs.state[row.state].reason, row.reason, row.name);
    assert.equal(cs.restartCount, row.restarts ?? 0, row.name);
    const t = cs.lastState.terminated;
    assert.deepEqual(t ? [t.exitCode, t.reason] : undefined, row.last, row.name);
    if (row.podIP) assert.equal(st.podIP, row.podIP, row.name);
    const ready = st.conditions.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, row.ready ? 'True' : 'False', row.name);
    if (!row.ready) assert.equal(ready?.message, 'containers with unready status: [user-container]', row.name);
    assert.deepEqual(st.conditions.map((c) => c.type), ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'], row.name);
  }
});

test('pods: the kubelet\'s back-off message, the termination message, deletion and Knative\'s metadata', () => {
  const waiting = buildPod(revision(), RS, snap({ state: 'waiting', instanceId: undefined, pid: undefined, restartCount: 1, lastExit: crash, backoffMs: 2000 }), NODE, 'pod-uid');
  const cs = (waiting.status as { containerStatuses: { state: { waiting: { message: string } }; lastState: { terminated: { message: string; startedAt: string; finishedAt: string } } }[] }).containerStatuses[0];
  assert.equal(cs.state.waiting.message, `back-off 2s restarting failed container=user-container pod=${waiting.metadata.name}_default(pod-uid)`);
  assert.deepEqual(cs.lastState.terminated.message, 'boom');
  assert.deepEqual([cs.lastState.terminated.startedAt, cs.lastState.terminated.finishedAt], ['2026-01-02T03:04:05Z', '2026-01-02T03:04:09Z']);

  const deleting = buildPod(revision(), RS, snap({ deletedAt: T2 }), NODE);
  assert.equal(deleting.metadata.deletionTimestamp, '2026-01-02T03:10:00Z', 'deletion time plus the grace period (timeoutSeconds)');

  const pod = buildPod(revision({ digest: 'ghcr.io/x/hello@sha256:abc' }), RS, snap({}), NODE);
  const hash = podTemplateHash('b1d7e1c2-0000-4000-8000-000000000001');
  assert.equal(pod.metadata.name, `hello-00001-deployment-${hash}-x7k2q`);
  assert.equal(pod.metadata.generateName, 'hello-00001-deployment-abc-');
  assert.deepEqual(pod.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: RS.name, uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(pod.metadata.labels, {
    'serving.knative.dev/configuration': 'hello',
    'serving.knative.dev/configurationGeneration': '1',
    'serving.knative.dev/configurationUID': 'c-uid',
    'serving.knative.dev/service': 'hello',
    'serving.knative.dev/serviceUID': 's-uid',
    'serving.knative.dev/revision': 'hello-00001',
    'serving.knative.dev/revisionUID': 'b1d7e1c2-0000-4000-8000-000000000001',
    app: 'hello-00001',
    'pod-template-hash': hash,
  }, 'routingState is not copied (meta.go excludeLabels)');
  assert.deepEqual(pod.metadata.annotations, { 'serving.knative.dev/creator': 'knit-admin', 'kubectl.kubernetes.io/default-container': 'user-container' });
  const c = (pod.spec.containers as { image: string; ports: unknown; env: { name: string; value?: string }[] }[])[0];
  assert.equal(c.image, 'ghcr.io/x/hello@sha256:abc', 'the resolved digest');
  assert.deepEqual(c.ports, [{ name: 'user-port', containerPort: 9000, protocol: 'TCP' }]);
  assert.deepEqual(c.env.map((e) => `${e.name}=${e.value}`), ['TARGET=knit', 'PORT=9000', 'K_REVISION=hello-00001', 'K_CONFIGURATION=hello', 'K_SERVICE=hello']);
  assert.equal(pod.spec.nodeName, 'laptop');
  const probed = revision();
  probed.spec.containers[0].readinessProbe = { httpGet: { path: '/healthz' } };
  assert.equal((podSpec(probed).containers as { readinessProbe?: unknown }[])[0].readinessProbe, undefined, 'an HTTP probe is the queue-proxy\'s');
  probed.spec.containers[0].readinessProbe = { exec: { command: ['true'] } };
  assert.deepEqual((podSpec(probed).containers as { readinessProbe?: unknown }[])[0].readinessProbe, { exec: { command: ['true'] } });
  assert.equal((pod.status as { qosClass: string }).qosClass, 'Burstable');
});

test('pod phase and QoS class follow the kubelet', () => {
  const phases: [Parameters<typeof podPhase>, string][] = [
    [[{ running: { startedAt: '' } }, 'Always', false], 'Running'],
    [[{ waiting: { reason: 'ContainerCreating' } }, 'Always', false], 'Pending'],
    [[{ waiting: { reason: 'CrashLoopBackOff' } }, 'Always', true], 'Running'],
    [[{ terminated: { exitCode: 0, reason: 'Completed', startedAt: '', finishedAt: '' } }, 'Never', false], 'Succeeded'],
    [[{ terminated: { exitCode: 1, reason: 'Error', startedAt: '', finishedAt: '' } }, 'Never', false], 'Failed'],
    [[{ terminated: { exitCode: 1, reason: 'Error', startedAt: '', finishedAt: '' } }, 'Always', false], 'Running'],
  ];
  for (const [args, want] of phases) assert.equal(podPhase(...args), want, JSON.stringify(args));
  assert.equal(qosClass(undefined), 'BestEffort');
  assert.equal(qosClass({ limits: { cpu: '1', memory: '1Gi' } }), 'Guaranteed');
  assert.equal(qosClass({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }), 'Guaranteed');
  assert.equal(qosClass({ requests: { cpu: '100m' } }), 'Burstable');
});

test('deployments: replicas from the autoscaler and the deployment controller\'s conditions', () => {
  const rows: { name: string; counts: { desired: number; current: number; ready: number; deadlineExceeded: boolean }; available: [string, string]; progressing: [string, string]; status: Record<string, number> }[] = [
    { name: 'all ready', counts: { desired: 2, current: 2, ready: 2, deadlineExceeded: false }, available: ['True', 'MinimumReplicasAvailable'], progressing: ['True', 'NewReplicaSetAvailable'], status: { replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 } },
    { name: 'scaling up', counts: { desired: 3, current: 3, ready: 1, deadlineExceeded: false }, available: ['False', 'MinimumReplicasUnavailable'], progressing: ['True', 'ReplicaSetUpdated'], status: { replicas: 3, updatedReplicas: 3, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 2 } },
    { name: 'at zero', counts: { desired: 0, current: 0, ready: 0, deadlineExceeded: false }, available: ['True', 'MinimumReplicasAvailable'], progressing: ['True', 'NewReplicaSetAvailable'], status: {} },
    { name: 'deadline exceeded', counts: { desired: 1, current: 1, ready: 0, deadlineExceeded: true }, available: ['False', 'MinimumReplicasUnavailable'], progressing: ['False', 'ProgressDeadlineExceeded'], status: { replicas: 1, updatedReplicas: 1, unavailableReplicas: 1 } },
  ];
  for (const row of rows) {
    const d = buildDeployment(revision(), row.counts, undefined, '2026-01-02T03:04:05Z', 600);
    const { conditions, ...counts } = d.status as { conditions: KubeCondition[] };
    assert.deepEqual(counts, row.status, row.name);
    assert.equal(d.spec.replicas, row.counts.desired, row.name);
    const [av, pr] = conditions;
    assert.deepEqual([av.type, av.status, av.reason], ['Available', ...row.available], row.name);
    assert.deepEqual([pr.type, pr.status, pr.reason], ['Progressing', ...row.progressing], row.name);
  }
  const d = buildDeployment(revision(), { desired: 1, current: 1, ready: 1, deadlineExceeded: false }, undefined, 'now', 600);
  assert.equal(d.metadata.name, 'hello-00001-deployment');
  assert.deepEqual(d.metadata.ownerReferences, [{ apiVersion: 'serving.knative.dev/v1', kind: 'Revision', name: 'hello-00001', uid: 'b1d7e1c2-0000-4000-8000-000000000001', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(d.metadata.annotations, { 'deployment.kubernetes.io/revision': '1', 'serving.knative.dev/creator': 'knit-admin' }, 'autoscaling and routes annotations are not copied');
  assert.deepEqual(d.spec.selector, { matchLabels: { 'serving.knative.dev/revisionUID': 'b1d7e1c2-0000-4000-8000-000000000001' } });
  assert.equal(d.spec.progressDeadlineSeconds, 600);
  const pr = (d.status as { conditions: KubeCondition[] }).conditions[1];
  const hash = podTemplateHash('b1d7e1c2-0000-4000-8000-000000000001');
  assert.equal(pr.message, `ReplicaSet "hello-00001-deployment-${hash}" has successfully progressed.`);
});

test('conditions keep their times while unchanged, as the deployment controller does', () => {
  const c = { type: 'Available', status: 'True' as const, reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' };
  const first = condition(undefined, 't1', c, true);
  assert.deepEqual([first.lastUpdateTime, first.lastTransitionTime], ['t1', 't1']);
  const same = condition([first], 't2', c, true);
  assert.deepEqual(same, first, 'nothing changed: nothing moves');
  const reworded = condition([first], 't3', { ...c, message: 'other' }, true);
  assert.deepEqual([reworded.lastUpdateTime, reworded.lastTransitionTime], ['t3', 't1']);
  const flipped = condition([first], 't4', { ...c, status: 'False' }, true);
  assert.deepEqual([flipped.lastUpdateTime, flipped.lastTransitionTime], ['t4', 't4']);
});

test('replicasets: owned by the deployment, with the hash in labels and selector and the desired-replicas annotations', () => {
  const rs = buildReplicaSet(revision(), { name: 'hello-00001-deployment', uid: 'dep-uid' }, { desired: 4, current: 4, ready: 3, deadlineExceeded: false });
  const hash = podTemplateHash('b1d7e1c2-0000-4000-8000-000000000001');
  assert.equal(rs.metadata.name, `hello-00001-deployment-${hash}`);
  assert.equal(rs.metadata.labels?.['pod-template-hash'], hash);
  assert.equal(rs.metadata.ownerReferences?.[0]?.uid, 'dep-uid');
  assert.deepEqual(rs.spec.selector, { matchLabels: { 'serving.knative.dev/revisionUID': 'b1d7e1c2-0000-4000-8000-000000000001', 'pod-template-hash': hash } });
  assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '4');
  assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '5');
  assert.deepEqual(rs.status, { replicas: 4, fullyLabeledReplicas: 4, readyReplicas: 3, availableReplicas: 3 });
  assert.deepEqual(podSpec(revision()), (rs.spec.template as { spec: unknown }).spec);
  assert.equal(revisionLabels(revision()).app, 'hello-00001');
});

test('services: per route and tag an ExternalName one; per revision a public and a private ClusterIP one', () => {
  const route: Route = {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Route',
    metadata: { name: 'hello', namespace: 'default', uid: 'route-uid', labels: { 'serving.knative.dev/service': 'hello', 'networking.knative.dev/visibility': 'cluster-local' } },
    spec: { traffic: [{ revisionName: 'hello-00001', percent: 100 }, { revisionName: 'hello-00001', percent: 0, tag: 'blue' }] },
  };
  const rs = routeServices(route, 'cluster.local', '{{.Tag}}-{{.Name}}');
  assert.deepEqual(rs.map((s) => s.metadata.name), ['hello', 'blue-hello']);
  assert.deepEqual(rs[0].metadata.labels, { 'serving.knative.dev/service': 'hello', 'serving.knative.dev/route': 'hello' }, 'visibility is not copied');
  assert.deepEqual(rs[0].spec, { type: 'ExternalName', externalName: 'kourier-internal.kourier-system.svc.cluster.local', sessionAffinity: 'None', ports: [{ name: 'http2', protocol: 'TCP', appProtocol: 'kubernetes.io/h2c', port: 80, targetPort: 80 }] });

  const rows: { name: string; rev: Revision; port: string; target: number }[] = [
    { name: 'http1', rev: revision(), port: 'http', target: 8012 },
    { name: 'h2c', rev: revision({ portName: 'h2c' }), port: 'http2', target: 8013 },
  ];
  for (const row of rows) {
    const [pub, priv] = revisionServices(row.rev);
    assert.deepEqual([pub.metadata.name, priv.metadata.name], ['hello-00001', 'hello-00001-private'], row.name);
    const ports = (s: typeof pub): string[] => (s.spec.ports as { name: string; port: number; targetPort: number | string }[]).map((p) => `${p.name}:${p.port}->${p.targetPort}`);
    assert.deepEqual(ports(pub), [`${row.port}:80->${row.target}`, 'https:443->8112'], row.name);
    assert.deepEqual(ports(priv), [`${row.port}:80->${row.target}`, 'https:443->8112', 'http-autometric:9090->http-autometric', 'http-usermetric:9091->http-usermetric', `${row.port}-istio:${row.target}->${row.target}`], row.name);
    assert.equal(pub.metadata.labels?.['networking.internal.knative.dev/serviceType'], 'Public');
    assert.equal(priv.metadata.labels?.['networking.internal.knative.dev/serviceType'], 'Private');
    assert.deepEqual(priv.spec.selector, { 'serving.knative.dev/revisionUID': 'b1d7e1c2-0000-4000-8000-000000000001' });
    assert.equal(pub.spec.clusterIP, clusterIP('default', 'hello-00001'));
    assert.equal(pub.metadata.ownerReferences?.[0]?.kind, 'Revision');
  }
});

test('services: the gateways report knit\'s listeners', () => {
  const svcs = gatewayServices({ external: { ip: '127.0.0.1', port: 8080 }, local: { ip: '127.0.0.2', port: 8082 } });
  const byName = new Map(svcs.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  for (const name of ['kourier-system/kourier', 'istio-system/istio-ingressgateway']) {
    const s = byName.get(name);
    assert.equal(s?.spec.type, 'LoadBalancer', name);
    assert.equal((s?.spec.ports as { port: number }[])[0].port, 8080, name);
    assert.deepEqual((s?.status.loadBalancer as { ingress: { ip: string }[] }).ingress[0].ip, '127.0.0.1', name);
    assert.equal(s?.spec.clusterIP, '127.0.0.1', `${name}: its ClusterIP is where the gateway listens`);
  }
  for (const name of ['kourier-system/kourier-internal', 'istio-system/knative-local-gateway']) {
    assert.equal((byName.get(name)?.spec.ports as { port: number }[])[0].port, 8082, name);
    assert.equal(byName.get(name)?.spec.clusterIP, '127.0.0.2', name);
  }
  const v6 = gatewayServices({ external: { ip: '::1', port: 8080 }, local: { ip: '::1', port: 8082 } })[0];
  assert.deepEqual([v6.spec.clusterIP, v6.spec.ipFamilies], ['::1', ['IPv6']]);
});

test('writes: kubectl scale is refused with the annotations to use; the Scale subresource reads the deployment', () => {
  const d = buildDeployment(revision(), { desired: 2, current: 2, ready: 2, deadlineExceeded: false }, undefined, 'now', 600);
  const err = scaleRefusal('deployments.apps', d);
  assert.equal(err.code, 405);
  assert.equal(err.reason, 'MethodNotAllowed');
  assert.equal(
    err.message,
    'deployments.apps "hello-00001-deployment" is scaled by Knative\'s autoscaler, which owns its replicas: set the autoscaling.knative.dev/min-scale and autoscaling.knative.dev/max-scale annotations on the revision template instead (knit service update hello --scale-min N --scale-max M)',
  );
  assert.match(readOnlyRefusal('services', 'hello').message, /^services "hello" is derived by knit/);
  const scale = scaleOf({ ...d, metadata: { ...d.metadata, uid: 'u', resourceVersion: '7' } });
  assert.deepEqual(scale.spec, { replicas: 2 });
  assert.deepEqual(scale.status, { replicas: 2, selector: 'serving.knative.dev/revisionUID=b1d7e1c2-0000-4000-8000-000000000001' });
});

test('pods with sidecars: every container in spec and status (sorted by name), the unready ones named, a sidecar\'s own restarts and back-off', () => {
  const rev = revision();
  rev.spec.containers = [{ name: 'zeta-app', ...rev.spec.containers[0] }, { name: 'cache', image: 'ghcr.io/x/cache:1', env: [{ name: 'ROLE', value: 'sidecar' }] }];
  const side = (over: Partial<import('../../runtime/runtime.ts').ContainerSnapshot>) => ({
    name: 'cache', image: 'ghcr.io/x/cache:1', state: 'ready' as const, ready: true, restartCount: 0, startedAt: T0, lastExit: undefined, backoffMs: undefined, logFile: '/l/cache/x.log', previousLogFile: undefined, ...over,
  });
  type Status = { containerStatuses: { name: string; ready: boolean; restartCount: number; state: Record<string, { reason?: string; message?: string }>; lastState: { terminated?: { exitCode: number } } }[]; conditions: { type: string; status: string; message?: string }[] };
  const ready = buildPod(rev, RS, snap({ sidecars: [side({})], servingReady: true }), NODE, 'pod-uid');
  const spec = ready.spec as { containers: { name: string; env: { name: string }[] }[] };
  assert.deepEqual(spec.containers.map((c) => c.name), ['zeta-app', 'cache']);
  assert.deepEqual(spec.containers[1].env.map((e) => e.name), ['ROLE', 'K_REVISION', 'K_CONFIGURATION', 'K_SERVICE'], 'K_* for a sidecar, no PORT');
  const rs = ready.status as Status;
  assert.deepEqual(rs.containerStatuses.map((c) => [c.name, c.ready]), [['cache', true], ['zeta-app', true]]);
  assert.equal(rs.conditions.find((c) => c.type === 'Ready')?.status, 'True');

  const crashed = buildPod(rev, RS, snap({ state: 'starting', servingReady: true, sidecars: [side({ state: 'waiting', ready: false, restartCount: 2, lastExit: crash, backoffMs: 20_000 })] }), NODE, 'pod-uid');
  const cs = crashed.status as Status;
  const cache = cs.containerStatuses.find((c) => c.name === 'cache')!;
  assert.equal(cache.restartCount, 2);
  assert.equal(cache.state.waiting.reason, 'CrashLoopBackOff');
  assert.equal(cache.state.waiting.message, `back-off 20s restarting failed container=cache pod=${crashed.metadata.name}_default(pod-uid)`);
  assert.equal(cache.lastState.terminated?.exitCode, 137);
  assert.equal(cs.containerStatuses.find((c) => c.name === 'zeta-app')?.ready, true, 'the serving container is ready by itself');
  const cond = cs.conditions.find((c) => c.type === 'ContainersReady');
  assert.equal(cond?.status, 'False');
  assert.equal(cond?.message, 'containers with unready status: [cache]');
});
