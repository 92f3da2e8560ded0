// End to end with real processes: the getting-started story of knative/docs docs/getting-started/first-service.md
// and first-traffic-split.md (create, curl, update, traffic split), a Service YAML applied with -f, bad manifests,
// a crashing app, deletion and a restart of knit serve.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { EXAMPLES, FIXTURES, KnitServer, eventually } from './harness.ts';

let knit: KnitServer;

before(async () => {
  knit = await new KnitServer().start();
});

after(async () => {
  await knit?.cleanup();
});

const H1 = 'h1.default.example.com';

test('getting started: create h1, curl it, update the env, split traffic 20/80', async () => {
  const created = await knit.knit(['service', 'create', 'h1', '--port', '8080', '--image', './examples/helloworld', '--env', 'TARGET=Go Sample v1']);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^Creating service 'h1' in namespace 'default':\n\n/);
  assert.match(created.stdout, /\n {2}\s*\d+\.\d{3}s Ready to serve\.\n\nService 'h1' created to latest revision 'h1-00001' is available at URL:\nhttp:\/\/h1\.default\.example\.com\n$/);

  const first = await knit.request(H1);
  assert.equal(first.status, 200);
  assert.equal(first.body, 'Hello Go Sample v1!\n');

  const updated = await knit.knit(['service', 'update', 'h1', '--env', 'TARGET=hello world']);
  assert.equal(updated.code, 0, updated.stderr);
  assert.match(updated.stdout, /^Updating Service 'h1' in namespace 'default':\n/);
  assert.match(updated.stdout, /Service 'h1' updated to latest revision 'h1-00002' is available at URL:\nhttp:\/\/h1\.default\.example\.com\n$/);
  assert.equal((await knit.request(H1)).body, 'Hello hello world!\n');

  const revs = await knit.knit(['revision', 'list']);
  assert.equal(revs.code, 0, revs.stderr);
  const lines = revs.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^NAME\s+SERVICE\s+TRAFFIC\s+TAGS\s+GENERATION\s+AGE\s+CONDITIONS\s+READY\s+REASON$/);
  assert.match(lines[1], /^h1-00002\s+h1\s+100%\s+2\s+\S+\s+4 OK \/ 4\s+True\s*$/);
  assert.match(lines[2], /^h1-00001\s+h1\s+1\s+\S+\s+\d OK \/ 4\s+True\s*$/);

  // The old revision goes to `reserve`; the autoscaler then scales it to zero (see e2e-autoscaling).
  await eventually('h1-00001 to be reserve', async () => {
    const r = await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/h1-00001');
    const rev = r.json as { metadata: { labels: Record<string, string> } };
    return rev.metadata.labels['serving.knative.dev/routingState'] === 'reserve';
  });

  const split = await knit.knit(['service', 'update', 'h1', '--traffic', 'h1-00001=20', '--traffic', 'h1-00002=80']);
  assert.equal(split.code, 0, split.stderr);
  assert.match(split.stdout, /Service 'h1' with latest revision 'h1-00002' \(unchanged\) is available at URL:\nhttp:\/\/h1\.default\.example\.com\n$/);
  const seen = { v1: 0, v2: 0 };
  for (let i = 0; i < 100; i++) {
    const r = await knit.request(H1);
    assert.equal(r.status, 200);
    if (r.body === 'Hello Go Sample v1!\n') seen.v1++;
    else if (r.body === 'Hello hello world!\n') seen.v2++;
    else assert.fail(`unexpected body ${r.body}`);
  }
  assert.ok(seen.v1 >= 5 && seen.v2 >= 60, `20/80 split gave ${JSON.stringify(seen)}`);

  const describe = await knit.knit(['service', 'describe', 'h1']);
  assert.equal(describe.code, 0, describe.stderr);
  assert.match(describe.stdout, /^Name:\s+h1\nNamespace:\s+default\n/);
  assert.match(describe.stdout, /\nURL:\s+http:\/\/h1\.default\.example\.com\n/);
  assert.match(describe.stdout, /\nRevisions:\s*\n {3}80%  h1-00002 \(current @latest\) \[2\] \(\S+\)\n\s+Image:\s+file:\/\/\S+\/examples\/helloworld\n\s+Replicas:\s+1\/1\n {3}20%  h1-00001 \[1\] \(\S+\)\n/);
  assert.match(describe.stdout, /\nConditions:\s*\n {2}OK TYPE\s+AGE REASON\n {2}\+\+ Ready\s+\S+\s*\n {2}\+\+ ConfigurationsReady\s+\S+\s*\n {2}\+\+ RoutesReady\s+\S+\s*\n/);

  const svcList = await knit.knit(['service', 'list']);
  assert.match(svcList.stdout, /^NAME\s+URL\s+LATEST\s+AGE\s+CONDITIONS\s+READY\s+REASON\nh1\s+http:\/\/h1\.default\.example\.com\s+h1-00002\s+\S+\s+3 OK \/ 3\s+True\s*\n$/);
  const routes = await knit.knit(['route', 'list']);
  assert.match(routes.stdout, /^NAME\s+URL\s+READY\nh1\s+http:\/\/h1\.default\.example\.com\s+True\s*\n$/);
});

test('knit logs prints what the instances wrote, prefixed by instance', async () => {
  const r = await knit.knit(['logs', 'h1', '--revision', 'h1-00002']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\[h1-00002-[a-z0-9]{5}\] helloworld: listening on port \d+\n/);
});

test('the API shows Knative status: traffic, url, address, labels, annotations', async () => {
  const r = await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/h1');
  assert.equal(r.status, 200);
  const svc = r.json as { metadata: { annotations: Record<string, string>; generation: number }; status: Record<string, unknown> };
  assert.equal(svc.metadata.annotations['serving.knative.dev/creator'], 'knit-admin');
  assert.equal(svc.status.url, 'http://h1.default.example.com');
  assert.deepEqual(svc.status.address, { url: 'http://h1.default.svc.cluster.local' });
  assert.deepEqual(svc.status.traffic, [
    { revisionName: 'h1-00001', latestRevision: false, percent: 20 },
    { revisionName: 'h1-00002', latestRevision: false, percent: 80 },
  ]);
  const rev = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/h1-00002')).json as { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
  assert.equal(rev.metadata.labels['serving.knative.dev/configuration'], 'h1');
  assert.equal(rev.metadata.labels['serving.knative.dev/service'], 'h1');
  assert.equal(rev.metadata.labels['serving.knative.dev/configurationGeneration'], '2');
  assert.equal(rev.metadata.annotations['serving.knative.dev/creator'], 'knit-admin');
  const route = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/routes/h1')).json as { status: { conditions: { type: string; reason?: string; message?: string }[] } };
  const cert = route.status.conditions.find((c) => c.type === 'CertificateProvisioned');
  assert.deepEqual([cert?.reason, cert?.message], ['TLSNotEnabled', 'external-domain-tls is not enabled']);
});

test('a Service YAML with -f becomes Ready and serves', async () => {
  const dir = fs.mkdtempSync(path.join(knit.dataDir, 'yaml-'));
  const file = path.join(dir, 'helloworld-go.yaml');
  fs.writeFileSync(
    file,
    `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: helloworld-go
spec:
 template:
   metadata:
     labels:
       app: helloworld-go
     annotations:
       autoscaling.knative.dev/target: "10"
   spec:
     containers:
      - image: file://${path.join(EXAMPLES, 'helloworld')}
        ports:
          - name: http1
            containerPort: 8080
        env:
          - name: TARGET
            value: "World"
`,
  );
  const r = await knit.knit(['service', 'create', '-f', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Service 'helloworld-go' created to latest revision 'helloworld-go-00001' is available at URL:\nhttp:\/\/helloworld-go\.default\.example\.com\n$/);
  const res = await knit.request('helloworld-go.default.example.com');
  assert.equal(res.body, 'Hello World!\n');
  const cfg = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/configurations/helloworld-go')).json as { spec: { template: { spec: Record<string, unknown> } } };
  // Knative's defaults (knative/serving pkg/apis/config/defaults.go), as `kubectl get config -o yaml` shows them.
  assert.equal(cfg.spec.template.spec.containerConcurrency, 0);
  assert.equal(cfg.spec.template.spec.timeoutSeconds, 300);
  const c = (cfg.spec.template.spec.containers as Record<string, unknown>[])[0];
  assert.equal(c.name, 'user-container');
  assert.deepEqual(c.readinessProbe, { successThreshold: 1, tcpSocket: { port: 0 } });
});

const bad: [string, string, RegExp][] = [
  // A valid Kubernetes name that is not a DNS-1035 label reaches Knative's webhook; Bad_Name is refused before it (below).
  ['name 1bad', `metadata:\n  name: 1bad\nspec:\n  template:\n    spec:\n      containers:\n      - image: file:///tmp\n`, /validation failed: not a DNS 1035 label: \[a DNS-1035 label must consist of lower case alphanumeric characters.*\]: metadata\.name\n/],
  ['port 8012', `metadata:\n  name: bad1\nspec:\n  template:\n    spec:\n      containers:\n      - image: file:///tmp\n        ports:\n        - containerPort: 8012\n`, /8012 is a reserved port: spec\.template\.spec\.containers\[0\]\.ports\.containerPort/],
  ['env PORT', `metadata:\n  name: bad2\nspec:\n  template:\n    spec:\n      containers:\n      - image: file:///tmp\n        env:\n        - name: PORT\n          value: "1"\n`, /"PORT" is a reserved environment variable: spec\.template\.spec\.containers\[0\]\.env\[0\]\.name\n/],
  ['two ports', `metadata:\n  name: bad3\nspec:\n  template:\n    spec:\n      containers:\n      - image: file:///tmp\n        ports:\n        - containerPort: 8080\n        - containerPort: 8081\n`, /more than one container port is set: spec\.template\.spec\.containers\[\*\]\.ports/],
  ['traffic sum 90', `metadata:\n  name: bad4\nspec:\n  template:\n    spec:\n      containers:\n      - image: file:///tmp\n  traffic:\n  - latestRevision: true\n    percent: 90\n`, /Traffic targets sum to 90, want 100: spec\.traffic/],
];

for (const [what, body, want] of bad) {
  test(`a bad manifest (${what}) is refused with a field error, exit 1, nothing stored`, async () => {
    const before = (await knit.api('GET', '/apis/serving.knative.dev/v1/services')).json as { items: unknown[]; metadata: { resourceVersion: string } };
    const file = path.join(knit.dataDir, `bad-${what.replace(/\W+/g, '-')}.yaml`);
    fs.writeFileSync(file, `apiVersion: serving.knative.dev/v1\nkind: Service\n${body}`);
    const r = await knit.knit(['service', 'create', '-f', file]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /(^|\n)Error: admission webhook "validation\.webhook\.serving\.knative\.dev" denied the request: validation failed: /);
    assert.match(r.stderr, want);
    const afterList = (await knit.api('GET', '/apis/serving.knative.dev/v1/services')).json as { items: unknown[]; metadata: { resourceVersion: string } };
    assert.equal(afterList.items.length, before.items.length);
    assert.equal(afterList.metadata.resourceVersion, before.metadata.resourceVersion, 'no write happened');
  });
}

test('a name that is not a Kubernetes name (Bad_Name) is refused by the apiserver\'s ObjectMeta check, before Knative\'s webhook', async () => {
  const before = (await knit.api('GET', '/apis/serving.knative.dev/v1/services')).json as { metadata: { resourceVersion: string } };
  const file = path.join(knit.dataDir, 'bad-Bad_Name.yaml');
  fs.writeFileSync(file, `apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: Bad_Name\nspec:\n  template:\n    spec:\n      containers:\n      - image: file:///tmp\n`);
  const r = await knit.knit(['service', 'create', '-f', file]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /^Error: Service\.serving\.knative\.dev "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '\.', and must start and end with an alphanumeric character/);
  const after = (await knit.api('GET', '/apis/serving.knative.dev/v1/services')).json as { metadata: { resourceVersion: string } };
  assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'no write happened');
});

test('an app that exits before it is ready fails the revision with ExitCode<N>, and the Service shows it', async () => {
  const r = await knit.knit(['service', 'create', 'crash', '--image', path.join(FIXTURES, 'crash-app'), '--wait-window', '0']);
  assert.equal(r.code, 1);
  // Better than kn's "not ready after 600 seconds": the exit code's reason and the app's last words.
  assert.match(r.stderr, /(^|\n)Error: RevisionFailed: Revision "crash-00001" failed with message: Container failed with: .*fatal: missing DATABASE_URL/s);
  const rev = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/crash-00001')).json as { status: { conditions: { type: string; status: string; reason?: string; message?: string }[] } };
  const ch = rev.status.conditions.find((c) => c.type === 'ContainerHealthy');
  assert.equal(ch?.status, 'False');
  assert.equal(ch?.reason, 'ExitCode3');
  assert.match(ch?.message ?? '', /^Container failed with: .*fatal: missing DATABASE_URL/s);
  const cfg = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/configurations/crash')).json as { status: { conditions: { type: string; status: string; reason?: string; message?: string }[] } };
  const ready = cfg.status.conditions.find((c) => c.type === 'Ready');
  assert.equal(ready?.reason, 'RevisionFailed');
  assert.match(ready?.message ?? '', /^Revision "crash-00001" failed with message: Container failed with: /);
  const d = await knit.knit(['service', 'describe', 'crash']);
  assert.match(d.stdout, /\n {2}!! Ready\s+\S+ (RevisionFailed|RevisionMissing)\n/);
});

test('restarting knit serve loses nothing and services answer again within seconds', async () => {
  const before = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/h1')).json as { metadata: { uid: string } };
  await knit.stop();
  const t0 = Date.now();
  await knit.start();
  const res = await eventually('h1 to answer after restart', async () => {
    const r = await knit.request(H1);
    return r.status === 200 ? r : undefined;
  }, 10_000);
  assert.match(res.body, /^Hello (Go Sample v1|hello world)!\n$/);
  assert.ok(Date.now() - t0 < 10_000);
  const again = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/h1')).json as { metadata: { uid: string } };
  assert.equal(again.metadata.uid, before.metadata.uid);
  const revs = await knit.knit(['revision', 'list', '-s', 'h1']);
  assert.match(revs.stdout, /h1-00002/);
  assert.match(revs.stdout, /h1-00001/);
});

test('deleting a Service deletes its Configuration, Route, Revisions and instances', async () => {
  const pidsBefore = knit.instancePids().length;
  assert.ok(pidsBefore > 0);
  const r = await knit.knit(['service', 'delete', 'h1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "Service 'h1' successfully deleted in namespace 'default'.\n");
  for (const res of ['configurations', 'routes']) {
    assert.equal((await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/${res}/h1`)).status, 404);
  }
  const revs = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions?labelSelector=serving.knative.dev/service=h1')).json as { items: unknown[] };
  assert.equal(revs.items.length, 0);
  await eventually('h1 instances to stop', () => knit.instancePids().length < pidsBefore);
  assert.equal((await knit.request(H1)).status, 404);
});

test('unknown hosts get a 404 with a clear body', async () => {
  const r = await knit.request('nope.default.example.com');
  assert.equal(r.status, 404);
  assert.match(r.body, /no service is routed for host "nope\.default\.example\.com"/);
});
