// nodeSelector, node affinity and tolerations on knit's one node, against a real `knit serve` with Knative's
// feature flags on: a selector the node matches runs, one it does not stays Pending with kube-scheduler's text,
// and required pod (anti-)affinity is refused at admission.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, KnitServer } from './harness.ts';

const APP = pathToFileURL(path.join(FIXTURES, 'runtime-app')).href;
const FEATURES = 'features:\n  kubernetes.podspec-nodeselector: enabled\n  kubernetes.podspec-affinity: enabled\n  kubernetes.podspec-tolerations: enabled\n';
const MISMATCH = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.";

interface Condition { type: string; status: string; reason?: string; message?: string }

describe('scheduling on one node', () => {
  let knit: KnitServer;
  before(async () => {
    knit = await new KnitServer([], undefined, FEATURES).start();
  });
  after(async () => {
    await knit?.cleanup();
  });

  test('a nodeSelector and toleration the node satisfies: the service runs', async () => {
    const r = await knit.knit(['service', 'create', 'fits', '--image', APP, '--node-selector', 'kubernetes.io/os=linux', '--toleration', 'Key=gpu,Operator=Exists,Effect=NoSchedule']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const svc = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/fits')).json as { spec: { template: { spec: { nodeSelector?: Record<string, string>; tolerations?: unknown[] } } } };
    assert.deepEqual(svc.spec.template.spec.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.equal(svc.spec.template.spec.tolerations?.length, 1);
  });

  test('a nodeSelector no label of the node matches: never Ready, the scheduler\'s text, the pod Pending and nothing runs', async () => {
    const before = knit.instancePids().length;
    const r = await knit.knit(['service', 'create', 'nowhere', '--image', APP, '--node-selector', 'kubernetes.io/os=windows', '--wait-timeout', '20']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(MISMATCH), r.stderr);
    const rev = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/nowhere-00001')).json as { status?: { conditions?: Condition[] } };
    const ra = rev.status?.conditions?.find((c) => c.type === 'ResourcesAvailable');
    assert.deepEqual([ra?.status, ra?.reason, ra?.message], ['False', 'Unschedulable', MISMATCH]);
    const pods = (await knit.api('GET', '/api/v1/namespaces/default/pods?labelSelector=serving.knative.dev/service=nowhere')).json as { items: { status: { phase: string; conditions?: Condition[] } }[] };
    assert.equal(pods.items.length, 1);
    assert.equal(pods.items[0].status.phase, 'Pending');
    assert.deepEqual(pods.items[0].status.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [['PodScheduled', 'False', 'Unschedulable', MISMATCH]]);
    assert.equal(knit.instancePids().length, before, 'no instance was started for it');
  });

  test('required pod anti-affinity is refused with a field error; preferred is accepted', async () => {
    const spec = (affinity: unknown) => ({
      apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'anti', namespace: 'default' },
      spec: { template: { spec: { affinity, containers: [{ image: APP }] } } },
    });
    const term = { labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'kubernetes.io/hostname' };
    const refused = await knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', spec({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }));
    assert.equal(refused.status, 400, JSON.stringify(refused.json));
    assert.match((refused.json as { message: string }).message, /must not set the field\(s\): spec\.template\.spec\.affinity\.podAntiAffinity\.requiredDuringSchedulingIgnoredDuringExecution\nknit runs every pod on one node/);
    const ok = await knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', spec({ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: term }] } }));
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
  });
});
