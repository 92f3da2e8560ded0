// Kubernetes client libraries against a real `knit serve` with its kubeconfig: the Python client (Debian's
// python3-kubernetes: CustomObjectsApi, DynamicClient, Watch, VersionApi) and @kubernetes/client-node
// (CustomObjectsApi with its default patch type, KubernetesObjectApi server-side apply, an informer that
// outlives an idle watch).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { EXAMPLES, KnitServer, eventually } from './harness.ts';

const PYTHON = '/usr/bin/python3';
const HELLO = pathToFileURL(path.join(EXAMPLES, 'helloworld')).href;
const GROUP = 'serving.knative.dev';

/** Why the Python client test cannot run here (scripts/test-deps.sh installs the package as root). */
function pythonClientMissing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import kubernetes'], { stdio: 'ignore', timeout: 30_000 });
    return undefined;
  } catch {
    return `${PYTHON} cannot import kubernetes: as root, apt-get install -y python3-kubernetes (scripts/test-deps.sh does it)`;
  }
}

let knit: KnitServer;
let kubeconfig: string;

before(async () => {
  knit = await new KnitServer().start();
  kubeconfig = path.join(knit.dataDir, 'kubeconfig');
});

after(async () => {
  await knit?.cleanup();
});

function ksvc(name: string, target: string): { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: unknown } {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { template: { spec: { containers: [{ image: HELLO, env: [{ name: 'TARGET', value: target }] }] } } },
  };
}

const PY_SCRIPT = `
import json, sys
from kubernetes import client, config, dynamic, watch

config.load_kube_config(config_file=sys.argv[1])
api = client.ApiClient()
out = {"version": client.VersionApi(api).get_code().git_version}
co = client.CustomObjectsApi(api)
args = ("serving.knative.dev", "v1", "default", "services")
created = co.create_namespaced_custom_object(*args, json.loads(sys.argv[2]))
out["created"] = [created["metadata"]["name"], bool(created["metadata"]["uid"])]
out["got"] = co.get_namespaced_custom_object(*args, "py-hello")["spec"]["template"]["spec"]["containers"][0]["env"]
listed = co.list_namespaced_custom_object(*args)
out["listed"] = [i["metadata"]["name"] for i in listed["items"]]
patched = co.patch_namespaced_custom_object(*args, "py-hello", {"metadata": {"labels": {"team": "py"}}})
out["patched"] = patched["metadata"]["labels"]["team"]

# A watch from the list's resourceVersion sees the patch made after it.
events = []
w = watch.Watch()
for ev in w.stream(co.list_namespaced_custom_object, *args, resource_version=listed["metadata"]["resourceVersion"], timeout_seconds=20):
    events.append([ev["type"], ev["object"]["metadata"]["name"], ev["object"]["metadata"].get("labels", {}).get("team")])
    if ev["type"] == "MODIFIED" and ev["object"]["metadata"].get("labels", {}).get("team") == "py":
        w.stop()
out["events"] = events

dyn = dynamic.DynamicClient(api)
services = dyn.resources.get(api_version="serving.knative.dev/v1", kind="Service")
out["dynamic"] = [i.metadata.name for i in services.get(namespace="default").items]
out["dynamicGet"] = services.get(name="py-hello", namespace="default").metadata.labels.team
namespaces = dyn.resources.get(api_version="v1", kind="Namespace")
out["namespaces"] = sorted(i.metadata.name for i in namespaces.get().items)

deleted = co.delete_namespaced_custom_object(*args, "py-hello")
out["deleted"] = [deleted.get("kind"), deleted.get("status"), deleted.get("details")]
try:
    co.get_namespaced_custom_object(*args, "py-hello")
    out["afterDelete"] = "found"
except client.exceptions.ApiException as e:
    out["afterDelete"] = [e.status, json.loads(e.body)["message"]]
print(json.dumps(out))
`;

const pythonMissing = pythonClientMissing();

test('the Python client: VersionApi, CustomObjectsApi create/get/list/patch/delete, Watch, DynamicClient', { skip: pythonMissing }, async () => {
  const script = path.join(knit.dataDir, 'client.py');
  fs.writeFileSync(script, PY_SCRIPT);
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(PYTHON, [script, kubeconfig, JSON.stringify(ksvc('py-hello', 'py'))], { timeout: 60_000, env: { ...process.env, HOME: knit.dataDir } }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.match(String(out.version), /^v1\.\d+\.\d+/);
  assert.deepEqual(out.created, ['py-hello', true]);
  assert.deepEqual(out.got, [{ name: 'TARGET', value: 'py' }]);
  assert.deepEqual(out.listed, ['py-hello']);
  assert.equal(out.patched, 'py');
  const events = out.events as [string, string, string | null][];
  assert.deepEqual(events.at(-1), ['MODIFIED', 'py-hello', 'py']);
  assert.ok(events.every((e) => e[1] === 'py-hello'), JSON.stringify(events));
  assert.deepEqual(out.dynamic, ['py-hello']);
  assert.equal(out.dynamicGet, 'py');
  assert.ok((out.namespaces as string[]).includes('default') && (out.namespaces as string[]).includes('knative-serving'), JSON.stringify(out.namespaces));
  // A custom resource deleted at once is answered with a Status naming it (k8s.io/apiserver
  // pkg/registry/generic/registry/store.go finalizeDelete: custom resources do not set ReturnDeletedObject).
  const [kind, status, details] = out.deleted as [string, string, Record<string, string>];
  assert.deepEqual([kind, status], ['Status', 'Success']);
  assert.deepEqual(Object.keys(details), ['name', 'group', 'kind', 'uid']);
  assert.deepEqual([details.name, details.group, details.kind], ['py-hello', 'serving.knative.dev', 'services']);
  assert.deepEqual(out.afterDelete, [404, 'services.serving.knative.dev "py-hello" not found']);
});

test('client-node: CustomObjectsApi create and patch with its default patch type (JSON patch)', async () => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  const base = { group: GROUP, version: 'v1', namespace: 'default', plural: 'services' };
  const created = (await co.createNamespacedCustomObject({ ...base, body: ksvc('js-hello', 'js') })) as { metadata: { uid: string; generation: number } };
  assert.ok(created.metadata.uid);
  assert.equal(created.metadata.generation, 1);
  // Without options the client sends application/json-patch+json, the first type it lists.
  const patched = (await co.patchNamespacedCustomObject({ ...base, name: 'js-hello', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: 'patched' }] })) as {
    metadata: { generation: number };
    spec: { template: { spec: { containers: { env: { value: string }[] }[] } } };
  };
  assert.equal(patched.spec.template.spec.containers[0].env[0].value, 'patched');
  assert.equal(patched.metadata.generation, 2);
  const listed = (await co.listNamespacedCustomObject(base)) as { items: { metadata: { name: string } }[] };
  assert.ok(listed.items.some((i) => i.metadata.name === 'js-hello'));
  await co.deleteNamespacedCustomObject({ ...base, name: 'js-hello' });
});

test('client-node: KubernetesObjectApi server-side apply creates, then updates, owned by its field manager', async () => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const spec = ksvc('js-applied', 'one') as k8s.KubernetesObject;
  const first = await objects.patch(spec, undefined, undefined, 'js-manager', false, k8s.PatchStrategy.ServerSideApply);
  assert.equal(first.metadata?.name, 'js-applied');
  const second = (await objects.patch(ksvc('js-applied', 'two') as k8s.KubernetesObject, undefined, undefined, 'js-manager', false, k8s.PatchStrategy.ServerSideApply)) as k8s.KubernetesObject & {
    spec: { template: { spec: { containers: { env: { value: string }[] }[] } } };
  };
  assert.equal(second.spec.template.spec.containers[0].env[0].value, 'two');
  const managers = (second.metadata?.managedFields ?? []).filter((m) => m.operation === 'Apply').map((m) => m.manager);
  assert.deepEqual(managers, ['js-manager']);
  const read = await objects.read({ apiVersion: `${GROUP}/v1`, kind: 'Service', metadata: { name: 'js-applied', namespace: 'default' } });
  assert.equal(read.metadata?.uid, first.metadata?.uid);
  await objects.delete({ apiVersion: `${GROUP}/v1`, kind: 'Service', metadata: { name: 'js-applied', namespace: 'default' } });
});

test('client-node: an informer gets add and update events, outlives an idle watch the server ends, and keeps delivering', async () => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  const base = { group: GROUP, version: 'v1', namespace: 'default', plural: 'services' };
  // The watch URL keeps the path's query: the server ends each watch after 2 s, as the apiserver ends one at
  // its timeoutSeconds, and the informer watches again from the last resourceVersion it saw.
  const informer = k8s.makeInformer<k8s.KubernetesObject>(
    kc,
    `/apis/${GROUP}/v1/namespaces/default/services?timeoutSeconds=2`,
    () => co.listNamespacedCustomObject(base) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>,
  );
  const events: string[] = [];
  let connects = 0;
  const errors: unknown[] = [];
  informer.on('add', (o) => events.push(`add ${o.metadata?.name}`));
  informer.on('update', (o) => events.push(`update ${o.metadata?.name} ${(o.metadata?.labels ?? {}).step ?? ''}`));
  informer.on('connect', () => connects++);
  informer.on('error', (e) => errors.push(e));
  await informer.start();
  try {
    await co.createNamespacedCustomObject({ ...base, body: ksvc('informed', 'x') });
    await eventually('the add event', () => events.includes('add informed'), 20_000);
    const label = (step: string) =>
      co.patchNamespacedCustomObject({ ...base, name: 'informed', body: { metadata: { labels: { step } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await label('before');
    await eventually('an update before the idle period', () => events.includes('update informed before'), 20_000);
    // Idle: nothing is written until the server has ended the watch and the informer has watched again.
    const before = connects;
    await eventually('the informer watching again after the server ended its watch', () => connects > before, 20_000, 50);
    await label('after');
    await eventually('an update after the idle period', () => events.includes('update informed after'), 20_000);
    assert.deepEqual(errors, []);
    assert.equal(informer.get('informed', 'default')?.metadata?.labels?.step, 'after');
    assert.equal(events.filter((e) => e === 'add informed').length, 1, 'watching again did not replay the object as new');
  } finally {
    await informer.stop();
    await co.deleteNamespacedCustomObject({ ...base, name: 'informed' }).catch(() => undefined);
  }
});
