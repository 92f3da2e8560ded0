// The Kubernetes objects knit projects from its state, end to end: pods per instance with Knative's
// labels and owner chain, restarts after a crash, scale to zero, deleting a pod, and the gateway services
// that Knative's install guides read the ingress address from, `kubectl -n kourier-system get service kourier`
// (docs/differences.md "Kubernetes objects").

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Store, type StoredObject } from '../src/store/store.ts';
import { startKnit, type Knit } from '../src/serve.ts';
import { servePodLog } from '../src/server/pod-logs.ts';
import { EXAMPLES, FIXTURES, KnitServer, apiRequest, eventually, httpGet } from './harness.ts';
import { apiCa } from './knit-server.ts';

const APP = pathToFileURL(path.join(FIXTURES, 'dataplane-app')).href;
const HELLO = pathToFileURL(path.join(EXAMPLES, 'helloworld')).href;

interface Obj extends StoredObject {
  spec: Record<string, unknown> & { replicas?: number; ports?: { port: number }[]; externalName?: string; type?: string };
  status: Record<string, unknown> & {
    phase?: string;
    podIP?: string;
    loadBalancer?: { ingress?: { ip: string }[] };
    containerStatuses?: { name: string; ready: boolean; restartCount: number; state: Record<string, unknown>; lastState: { terminated?: { exitCode: number; reason: string } } }[];
  };
}

let knit: KnitServer;

const CONFIG = 'autoscaler:\n  scale-to-zero-grace-period: 1s\n';

before(async () => {
  knit = await new KnitServer([], undefined, CONFIG).start();
});

after(async () => {
  await knit?.cleanup();
});

/** A consistent snapshot of knit's store: a fresh Store loads every row when it opens. */
function snapshot<T>(read: (s: Store) => T): T {
  const s = new Store(path.join(knit.dataDir, 'knit.db'));
  try {
    return read(s);
  } finally {
    s.close();
  }
}

function pods(store: Store, service: string): Obj[] {
  return store.list<Obj>('core.pods', { namespace: 'default', labelSelector: { 'serving.knative.dev/service': service } });
}

function owner(obj: StoredObject): { kind: string; name: string; uid: string } {
  const refs = obj.metadata.ownerReferences ?? [];
  assert.equal(refs.length, 1, `${obj.kind} ${obj.metadata.name} has one owner`);
  assert.equal(refs[0].controller, true);
  return refs[0];
}

test('a service at scale 1 has one Running pod with Knative\'s labels and the owner chain pod → replicaset → deployment → revision', async () => {
  await knit.createService('hello', APP, { 'autoscaling.knative.dev/min-scale': '1' });
  const pod = await eventually('one ready hello pod', () =>
    snapshot((s) => {
      const ps = pods(s, 'hello');
      return ps.length === 1 && ps[0].status.containerStatuses?.[0]?.ready ? ps[0] : undefined;
    }), 20_000, 100);
  assert.equal(pod.status.phase, 'Running');
  assert.equal(pod.status.podIP, '127.0.0.1');
  assert.match(pod.metadata.name ?? '', /^hello-00001-deployment-[bcdfghjklmnpqrstvwxz2456789]+-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  const labels = pod.metadata.labels ?? {};
  assert.equal(labels.app, 'hello-00001');
  assert.equal(labels['serving.knative.dev/service'], 'hello');
  assert.equal(labels['serving.knative.dev/configuration'], 'hello');
  assert.equal(labels['serving.knative.dev/revision'], 'hello-00001');
  assert.equal(labels['serving.knative.dev/configurationGeneration'], '1');
  assert.ok(labels['pod-template-hash'], 'pod-template-hash label');
  const cs = pod.status.containerStatuses?.[0];
  assert.equal(cs?.name, 'user-container');
  assert.equal(cs?.restartCount, 0);
  assert.ok(cs?.state.running, 'the container is running');

  snapshot((s) => {
    const rev = s.mustGet('revisions', 'default', 'hello-00001');
    assert.equal(labels['serving.knative.dev/revisionUID'], rev.metadata.uid);
    const rsRef = owner(pod);
    assert.equal(rsRef.kind, 'ReplicaSet');
    const rs = s.mustGet<Obj>('apps.replicasets', 'default', rsRef.name);
    assert.equal(rs.metadata.uid, rsRef.uid);
    assert.equal(rs.metadata.name, `hello-00001-deployment-${labels['pod-template-hash']}`);
    const depRef = owner(rs);
    assert.equal(depRef.kind, 'Deployment');
    const dep = s.mustGet<Obj>('apps.deployments', 'default', 'hello-00001-deployment');
    assert.equal(dep.metadata.uid, depRef.uid);
    assert.equal(dep.spec.replicas, 1);
    assert.equal(dep.status.readyReplicas, 1);
    const revRef = owner(dep);
    assert.deepEqual([revRef.kind, revRef.name, revRef.uid], ['Revision', 'hello-00001', rev.metadata.uid]);
    // The route's ExternalName service and the revision's two ClusterIP services.
    const routeSvc = s.mustGet<Obj>('core.services', 'default', 'hello');
    assert.equal(routeSvc.spec.type, 'ExternalName');
    assert.equal(routeSvc.spec.externalName, 'kourier-internal.kourier-system.svc.cluster.local');
    assert.equal(s.mustGet<Obj>('core.services', 'default', 'hello-00001').spec.type, 'ClusterIP');
    assert.equal(s.mustGet<Obj>('core.services', 'default', 'hello-00001-private').spec.type, 'ClusterIP');
  });
});

test('the kourier and istio-ingressgateway services carry the gateway\'s address, and curl through them answers', async () => {
  const gatewayPort = Number(new URL(knit.endpoints.http).port);
  for (const [ns, name] of [['kourier-system', 'kourier'], ['istio-system', 'istio-ingressgateway']]) {
    const svc = snapshot((s) => s.mustGet<Obj>('core.services', ns, name));
    assert.equal(svc.spec.type, 'LoadBalancer');
    const ip = svc.status.loadBalancer?.ingress?.[0]?.ip ?? '';
    const port = svc.spec.ports?.[0]?.port ?? 0;
    assert.deepEqual([ip, port], ['127.0.0.1', gatewayPort]);
    const r = await httpGet(ip, port, 'hello.default.example.com', '/');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello-00001\n');
  }
});

test('a crash restarts the container in the same pod: restartCount goes up and lastState.terminated tells why', async () => {
  const before = snapshot((s) => pods(s, 'hello'));
  assert.equal(before.length, 1);
  const [pid] = knit.instancePids();
  assert.ok(pid, 'the instance has a pid');
  process.kill(pid, 'SIGKILL');
  const after = await eventually('the pod to restart its container', () =>
    snapshot((s) => {
      const ps = pods(s, 'hello');
      return ps.length === 1 && ps[0].status.containerStatuses?.[0]?.restartCount === 1 && ps[0].status.containerStatuses[0].ready ? ps[0] : undefined;
    }), 20_000, 100);
  assert.equal(after.metadata.name, before[0].metadata.name, 'the same pod');
  assert.equal(after.metadata.uid, before[0].metadata.uid);
  const last = after.status.containerStatuses?.[0]?.lastState.terminated;
  assert.deepEqual([last?.exitCode, last?.reason], [137, 'Error']);
  assert.equal(after.status.phase, 'Running');
});

test('scale to zero removes the pod; the deployment keeps existing at replicas 0', async () => {
  await knit.createService('idle', APP, { 'autoscaling.knative.dev/window': '6s' });
  await eventually('an idle pod', () => snapshot((s) => pods(s, 'idle').length === 1), 20_000, 100);
  const dep = await eventually('idle to scale to zero', () =>
    snapshot((s) => {
      const d = s.get<Obj>('apps.deployments', 'default', 'idle-00001-deployment');
      return pods(s, 'idle').length === 0 && d?.spec.replicas === 0 ? d : undefined;
    }), 40_000, 200);
  assert.equal(dep.status.readyReplicas, undefined, 'no ready replicas (omitted at zero, as the apiserver does)');
});

test('a restart drops the previous run\'s pods and projects the new ones and the new gateway port', async () => {
  const old = snapshot((s) => pods(s, 'hello').map((p) => p.metadata.name));
  assert.equal(old.length, 1);
  const deploymentUid = snapshot((s) => s.mustGet('apps.deployments', 'default', 'hello-00001-deployment').metadata.uid);
  await knit.stop();
  knit = await new KnitServer([], knit.dataDir, CONFIG).start();
  const fresh = await eventually('a new ready hello pod', () =>
    snapshot((s) => {
      const ps = pods(s, 'hello');
      return ps.length === 1 && ps[0].status.containerStatuses?.[0]?.ready ? ps[0] : undefined;
    }), 20_000, 100);
  assert.notEqual(fresh.metadata.name, old[0], 'a new pod, the old one is gone');
  assert.equal(snapshot((s) => s.mustGet('apps.deployments', 'default', 'hello-00001-deployment').metadata.uid), deploymentUid, 'the Deployment is kept');
  const svc = snapshot((s) => s.mustGet<Obj>('core.services', 'kourier-system', 'kourier'));
  assert.equal(svc.spec.ports?.[0]?.port, Number(new URL(knit.endpoints.http).port));
});

// deletePod and the log file are the projector's own entry points (the API server calls them), so this
// part runs knit in this process.
test('deletePod stops that instance, the pod shows Terminating, and a replacement pod appears', { timeout: 60_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-projections-'));
  let k: Knit | undefined;
  let stopLogServer = (): void => {};
  try {
    k = await startKnit({ dataDir, http: '127.0.0.1:0', api: '127.0.0.1:0', localHttp: '127.0.0.1:0', metrics: '127.0.0.1:0', domain: 'example.com', quiet: true });
    const kn = k;
    const body = JSON.stringify({
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'hello' },
      spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/min-scale': '1' } }, spec: { containers: [{ image: HELLO }] } } },
    });
    const headers = { authorization: `Bearer ${kn.token}`, 'content-type': 'application/json' };
    const created = await apiRequest(kn.endpoints.api, apiCa(dataDir), 'POST', '/apis/serving.knative.dev/v1/namespaces/default/services', headers, body);
    assert.equal(created.status, 201, created.body);
    const readyPods = (): Obj[] => kn.store.list<Obj>('core.pods', { namespace: 'default' }).filter((p) => p.status.containerStatuses?.[0]?.ready);
    const first = await eventually('a ready pod', () => (readyPods().length === 1 ? readyPods()[0] : undefined), 20_000, 50);
    const name = first.metadata.name ?? '';

    const log = kn.projector.podLogFile('default', name);
    await eventually('the app\'s log line', () => fs.readFileSync(log, 'utf8').includes('helloworld: listening on port'), 10_000, 50);
    assert.throws(() => kn.projector.podLogFile('default', name, { container: 'queue-proxy' }), { message: `container queue-proxy is not valid for pod ${name}` });
    assert.throws(() => kn.projector.podLogFile('default', 'nope'), { message: 'pods "nope" not found' });

    // Idle knit writes nothing: projecting everything again changes no object.
    const rv = kn.store.resourceVersion;
    kn.projector.stop();
    kn.projector.start();
    assert.equal(kn.store.resourceVersion, rv, 'a resync of unchanged state writes nothing');

    // `kubectl logs -f POD` follows the container's log until the container stops.
    const logServer = http.createServer((_req, res) => {
      try {
        servePodLog(kn.projector, 'default', name, res, { follow: true });
      } catch (err) {
        res.writeHead(500).end(String(err));
      }
    });
    await new Promise<void>((r) => logServer.listen(0, '127.0.0.1', r));
    stopLogServer = () => logServer.close();
    const logResponse = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: (logServer.address() as AddressInfo).port, path: '/', agent: false }, resolve).on('error', reject);
    });
    assert.equal(logResponse.statusCode, 200);
    const followed = new Promise<string>((resolve) => {
      let text = '';
      logResponse.setEncoding('utf8');
      logResponse.on('data', (c: string) => (text += c));
      logResponse.on('end', () => resolve(text));
    });

    assert.equal(kn.projector.deletePod('default', 'hello-00001-deployment-nope-nope1'), false);
    assert.equal(kn.projector.deletePod('default', name), true);
    assert.ok(kn.store.get('core.pods', 'default', name)?.metadata.deletionTimestamp, 'the deleted pod is Terminating');
    const replacement = await eventually('a replacement pod and the old one gone', () => {
      const ps = readyPods();
      return ps.length === 1 && ps[0].metadata.name !== name && !kn.store.get('core.pods', 'default', name) ? ps[0] : undefined;
    }, 20_000, 50);
    assert.equal(replacement.status.containerStatuses?.[0]?.restartCount, 0, 'a new pod, not a restart');
    assert.equal(kn.store.get<Obj>('apps.deployments', 'default', 'hello-00001-deployment')?.spec.replicas, 1);
    assert.match(await followed, /helloworld: listening on port \d+\n$/, 'the followed log ended with its container');
  } finally {
    stopLogServer();
    await k?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
