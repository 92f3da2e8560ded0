// kubectl against a real `knit serve` as against a cluster running Knative: the kubectl commands of the
// Knative walkthroughs (kubectl get ksvc/config/all/pods/deploy/svc, the kourier address and curl through
// it), server-side apply conflicts, watches, WatchList waits, events, secrets, configmaps and namespaces.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { EXAMPLES, KnitServer, eventually } from './harness.ts';

const KUBECTL = '/usr/bin/kubectl';
const HELLO = pathToFileURL(path.join(EXAMPLES, 'helloworld')).href;

let knit: KnitServer;
let home: string;
let env: NodeJS.ProcessEnv;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function manifest(name: string, target: string, labels: Record<string, string> = {}): string {
  const l = Object.entries(labels).map(([k, v]) => `\n    ${k}: "${v}"`).join('');
  return `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: ${name}${l ? `\n  labels:${l}` : ''}
spec:
  template:
    spec:
      containers:
      - image: ${HELLO}
        env:
        - name: TARGET
          value: "${target}"
`;
}

before(async () => {
  knit = await new KnitServer().start();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-kubectl-home-'));
  // A fresh HOME: kubectl's discovery and OpenAPI caches start empty.
  env = { ...process.env, KUBECONFIG: path.join(knit.dataDir, 'kubeconfig'), HOME: home };
  delete env.KUBE_FEATURE_WatchListClient;
  fs.writeFileSync(path.join(home, 'service.yaml'), manifest('h1', 'Go Sample v1'));
});

after(async () => {
  await knit?.cleanup();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

function run(cmd: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...env, ...extraEnv }, cwd: home, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

function kubectl(...args: string[]): Promise<Run> {
  return run(KUBECTL, args);
}

/** kubectl that must succeed; its stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A kubectl table split at the header's column starts, so empty cells stay empty. */
function table(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const head = lines[0] ?? '';
  const starts: number[] = [];
  for (const m of head.matchAll(/\S+(?: \S+)*/g)) starts.push(m.index);
  const cut = (line: string) => starts.map((s, i) => line.slice(s, i + 1 < starts.length ? starts[i + 1] : undefined).trim());
  return { header: cut(head), rows: lines.slice(1).map(cut) };
}

/** The sections of `kubectl get all` (blank-line separated tables). */
function sections(text: string): { header: string[]; rows: string[][] }[] {
  return text.split(/\n\s*\n/).filter((s) => s.trim()).map(table);
}

function row(t: { header: string[]; rows: string[][] }, name: string): Record<string, string> {
  const r = t.rows.find((x) => x[0] === name);
  assert.ok(r, `a row named ${name} in ${JSON.stringify(t.rows)}`);
  return Object.fromEntries(t.header.map((h, i) => [h, r[i]]));
}

test('kubectl apply -f, then kubectl get kservice, configurations.serving.knative.dev and all, as on a cluster', async () => {
  assert.equal(await ok('apply', '-f', 'service.yaml'), 'service.serving.knative.dev/h1 created\n');
  assert.equal(await ok('wait', '--for=condition=Ready', 'ksvc/h1', '--timeout=60s'), 'service.serving.knative.dev/h1 condition met\n');

  const ksvc = table(await ok('get', 'kservice'));
  assert.deepEqual(ksvc.header, ['NAME', 'URL', 'LATESTCREATED', 'LATESTREADY', 'READY', 'REASON']);
  assert.deepEqual(ksvc.rows, [['h1', 'http://h1.default.example.com', 'h1-00001', 'h1-00001', 'True', '']]);

  const cfg = table(await ok('get', 'configurations.serving.knative.dev'));
  assert.deepEqual(cfg.header, ['NAME', 'LATESTCREATED', 'LATESTREADY', 'READY', 'REASON']);
  assert.deepEqual(cfg.rows, [['h1', 'h1-00001', 'h1-00001', 'True', '']]);

  const all = await eventually('kubectl get all with the deployment', async () => {
    const out = await ok('get', 'all');
    return out.includes('deployment.apps/h1-00001-deployment') ? out : undefined;
  }, 20_000, 200);
  const byName = new Map(sections(all).map((s) => [s.rows[0]?.[0]?.split('/')[0], s]));
  const pod = byName.get('pod');
  assert.deepEqual(pod?.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'], all);
  assert.match(pod.rows[0][0], /^pod\/h1-00001-deployment-[a-z0-9]+-[a-z0-9]{5}$/);
  const svc = byName.get('service');
  assert.ok(svc, all);
  assert.deepEqual(svc.header, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
  const routeSvc = row(svc, 'service/h1');
  assert.equal(routeSvc.TYPE, 'ExternalName');
  assert.equal(routeSvc['CLUSTER-IP'], '<none>');
  assert.equal(routeSvc['PORT(S)'], '80/TCP');
  assert.equal(row(svc, 'service/h1-00001').TYPE, 'ClusterIP');
  assert.equal(row(svc, 'service/h1-00001-private').TYPE, 'ClusterIP');
  const dep = byName.get('deployment.apps');
  assert.ok(dep, all);
  assert.deepEqual(dep.header, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
  assert.match(row(dep, 'deployment.apps/h1-00001-deployment').READY, /^\d+\/\d+$/);
  const rs = byName.get('replicaset.apps');
  assert.ok(rs, all);
  assert.deepEqual(rs.header, ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
  assert.match(rs.rows[0][0], /^replicaset\.apps\/h1-00001-deployment-[a-z0-9]+$/);
  assert.deepEqual(byName.get('configuration.serving.knative.dev')?.rows, [['configuration.serving.knative.dev/h1', 'h1-00001', 'h1-00001', 'True', '']]);
  assert.deepEqual(byName.get('route.serving.knative.dev')?.header, ['NAME', 'URL', 'READY', 'REASON']);
  assert.deepEqual(byName.get('route.serving.knative.dev')?.rows, [['route.serving.knative.dev/h1', 'http://h1.default.example.com', 'True', '']]);
  const rev = byName.get('revision.serving.knative.dev');
  assert.deepEqual(rev?.header, ['NAME', 'CONFIG NAME', 'GENERATION', 'READY', 'REASON', 'ACTUAL REPLICAS', 'DESIRED REPLICAS']);
  assert.deepEqual(rev?.rows[0].slice(0, 5), ['revision.serving.knative.dev/h1-00001', 'h1', '1', 'True', '']);
  assert.deepEqual(byName.get('service.serving.knative.dev')?.rows, [['service.serving.knative.dev/h1', 'http://h1.default.example.com', 'h1-00001', 'h1-00001', 'True', '']]);
});

test('the URL by jsonpath, the pods by label, and curl through the kourier service\'s address (Knative\'s getting-started flow)', async () => {
  const url = await ok('get', 'ksvc', 'h1', '-o', 'jsonpath={.status.url}');
  assert.equal(url, 'http://h1.default.example.com');

  const pods = await eventually('a Running h1 pod', async () => {
    const t = table(await ok('get', 'pods', '-l', 'serving.knative.dev/service=h1'));
    return t.rows.length === 1 && t.rows[0][2] === 'Running' ? t : undefined;
  }, 20_000, 200);
  assert.deepEqual(pods.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  assert.match(pods.rows[0][0], /^h1-00001-deployment-[a-z0-9]+-[a-z0-9]{5}$/);
  assert.match(pods.rows[0][1], /^(\d)\/\1$/);
  assert.equal(pods.rows[0][3], '0');

  // export KNATIVE_INGRESS_IP=$(kubectl -n kourier-system get service kourier -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  const ip = await ok('-n', 'kourier-system', 'get', 'service', 'kourier', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}');
  assert.equal(ip, '127.0.0.1');
  const port = await ok('-n', 'kourier-system', 'get', 'service', 'kourier', '-o', 'jsonpath={.spec.ports[0].port}');
  assert.equal(port, new URL(knit.endpoints.http).port);
  // curl -H "Host: ${SERVICE_URL#*//}" http://$KNATIVE_INGRESS_IP
  const curl = await run('curl', ['-sS', '-H', `Host: ${url.replace(/^.*\/\//, '')}`, `http://${ip}:${port}`]);
  assert.equal(curl.code, 0, curl.stderr);
  assert.equal(curl.stdout, 'Hello Go Sample v1!\n');
});

test('kubectl get service.serving.knative.dev, route and config as YAML, deployments, replicasets, pods, gateway services, api-resources', async () => {
  const ksvc = table(await ok('get', 'service.serving.knative.dev'));
  assert.deepEqual(ksvc.rows.map((r) => r[0]), ['h1']);

  const route = parse(await ok('get', 'route', 'h1', '-o', 'yaml'));
  assert.equal(route.apiVersion, 'serving.knative.dev/v1');
  assert.equal(route.kind, 'Route');
  assert.equal(route.status.url, 'http://h1.default.example.com');
  assert.deepEqual(route.status.traffic, [{ latestRevision: true, percent: 100, revisionName: 'h1-00001' }]);
  assert.equal(route.metadata.managedFields, undefined, 'kubectl hides managedFields by default');

  const config = parse(await ok('get', 'config', 'h1', '-o', 'yaml'));
  assert.equal(config.kind, 'Configuration');
  assert.equal(config.status.latestReadyRevisionName, 'h1-00001');
  assert.equal(config.spec.template.spec.containers[0].image, HELLO);

  assert.equal(await ok('get', 'deployment', '-o', 'name'), 'deployment.apps/h1-00001-deployment\n');
  assert.match(await ok('get', 'replicasets', '-o', 'name'), /^replicaset\.apps\/h1-00001-deployment-[a-z0-9]+\n$/);

  const pod = table(await ok('get', 'pod'));
  assert.deepEqual(pod.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  assert.equal(pod.rows.length, 1);

  const gw = table(await ok('get', 'svc', 'istio-ingressgateway', '-n', 'istio-system'));
  assert.deepEqual(gw.header, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
  const ingress = row(gw, 'istio-ingressgateway');
  assert.equal(ingress.TYPE, 'LoadBalancer');
  assert.equal(ingress['EXTERNAL-IP'], '127.0.0.1');
  assert.equal(ingress['PORT(S)'], `${new URL(knit.endpoints.http).port}/TCP`);
  const istio = table(await ok('-n', 'istio-system', 'get', 'svc'));
  assert.deepEqual(istio.rows.map((r) => r[0]).sort(), ['istio-ingressgateway', 'knative-local-gateway']);
  assert.equal(row(istio, 'knative-local-gateway').TYPE, 'ClusterIP');

  const grep = await run('sh', ['-c', `${KUBECTL} api-resources | grep knative`]);
  assert.equal(grep.code, 0, grep.stderr);
  const kinds = grep.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
  assert.deepEqual(kinds.map((k) => k[0]), [
    'brokers', 'triggers', 'parallels', 'sequences', 'channels', 'inmemorychannels', 'subscriptions',
    'clusterdomainclaims', 'configurations', 'domainmappings', 'revisions', 'routes', 'services',
    'apiserversources', 'containersources', 'pingsources', 'sinkbindings',
  ]);
  assert.deepEqual(kinds.find((k) => k[0] === 'services'), ['services', 'kservice,ksvc', 'serving.knative.dev/v1', 'true', 'Service']);

  const deploy = table(await ok('get', 'deploy'));
  assert.deepEqual(deploy.header, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
  assert.deepEqual(deploy.rows.map((r) => r.slice(0, 4)), [['h1-00001-deployment', '1/1', '1', '1']]);
  const svc = table(await ok('get', 'svc'));
  assert.deepEqual(svc.header, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
  assert.deepEqual(svc.rows.map((r) => r[0]), ['h1', 'h1-00001', 'h1-00001-private']);
  assert.equal(row(svc, 'h1')['EXTERNAL-IP'], 'kourier-internal.kourier-system.svc.cluster.local');
  assert.equal(row(svc, 'h1-00001')['PORT(S)'], '80/TCP,443/TCP');
  const pods = table(await ok('get', 'pods'));
  assert.deepEqual(pods.rows.map((r) => r[2]), ['Running']);
});

test('kubectl apply --server-side with two field managers: a conflict as the apiserver reports it, --force-conflicts takes ownership, managedFields show both', async () => {
  fs.writeFileSync(path.join(home, 'ssa.yaml'), manifest('ssa', 'one', { team: 'a' }));
  fs.writeFileSync(path.join(home, 'ssa-other.yaml'), manifest('ssa', 'two', { tier: 'b' }));
  assert.equal(await ok('apply', '--server-side', '-f', 'ssa.yaml'), 'service.serving.knative.dev/ssa serverside-applied\n');

  const conflict = await kubectl('apply', '--server-side', '--field-manager=other', '-f', 'ssa-other.yaml');
  assert.equal(conflict.code, 1);
  assert.match(conflict.stderr, /^error: Apply failed with 1 conflict: conflict with "kubectl": \.spec\.template\.spec\.containers\n/);
  assert.match(conflict.stderr, /re-run the apply\s+command with the `--force-conflicts` flag/);
  assert.equal(await ok('get', 'ksvc', 'ssa', '-o', 'jsonpath={.spec.template.spec.containers[0].env[0].value}'), 'one', 'the refused apply changed nothing');

  assert.equal(await ok('apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', 'ssa-other.yaml'), 'service.serving.knative.dev/ssa serverside-applied\n');
  const live = JSON.parse(await ok('get', 'ksvc', 'ssa', '-o', 'json', '--show-managed-fields')) as {
    metadata: { labels: Record<string, string>; managedFields: { manager: string; operation: string; fieldsV1: { 'f:metadata'?: { 'f:labels'?: Record<string, unknown> }; 'f:spec'?: unknown } }[] };
    spec: { template: { spec: { containers: { env: { value: string }[] }[] } } };
  };
  assert.equal(live.spec.template.spec.containers[0].env[0].value, 'two');
  assert.equal(live.metadata.labels.team, 'a');
  assert.equal(live.metadata.labels.tier, 'b');
  const applied = live.metadata.managedFields.filter((m) => m.operation === 'Apply');
  assert.deepEqual(applied.map((m) => m.manager).sort(), ['kubectl', 'other']);
  const mine = applied.find((m) => m.manager === 'kubectl');
  assert.deepEqual(Object.keys(mine?.fieldsV1['f:metadata']?.['f:labels'] ?? {}), ['f:team']);
  assert.equal(mine?.fieldsV1['f:spec'], undefined, 'kubectl lost the containers to other');
  const theirs = applied.find((m) => m.manager === 'other');
  assert.ok(theirs?.fieldsV1['f:spec'], 'other owns the spec it forced');
  assert.equal(await ok('delete', 'ksvc', 'ssa'), 'service.serving.knative.dev "ssa" deleted\n');
});

test('kubectl get ksvc -w prints the table, then a row per change', async () => {
  const child = spawn(KUBECTL, ['get', 'ksvc', '-w'], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await eventually('the first rows of the watch', () => out.split('\n').length >= 3 && out, 20_000);
    const first = table(out);
    assert.deepEqual(first.header, ['NAME', 'URL', 'LATESTCREATED', 'LATESTREADY', 'READY', 'REASON']);
    assert.deepEqual(first.rows[0], ['h1', 'http://h1.default.example.com', 'h1-00001', 'h1-00001', 'True', '']);
    await ok('annotate', 'ksvc', 'h1', 'example.com/watched=yes');
    await eventually('a second h1 row after the change', () => out.split('\n').filter((l) => l.startsWith('h1 ')).length >= 2, 20_000);
    assert.equal(err, '');
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

test('kubectl wait --for=condition=Ready in WatchList mode asks for the initial events and returns', async () => {
  const r = await run(KUBECTL, ['wait', '--for=condition=Ready', 'ksvc/h1', '--timeout=30s', '-v=6'], { KUBE_FEATURE_WatchListClient: 'true' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'service.serving.knative.dev/h1 condition met\n');
  // client-go's reflector logs the streaming list request and the bookmark that ends its initial events.
  assert.match(r.stderr, /verb="GET" url="https:\/\/[^"]+\/apis\/serving\.knative\.dev\/v1\/namespaces\/default\/services\?[^"]*sendInitialEvents=true[^"]*watch=true" status="200 OK"/);
  assert.match(r.stderr, /received the bookmark that marks the end of initial events stream/);
});

test('kubectl describe ksvc shows its Events, and kubectl get events lists Knative\'s events', async () => {
  const described = await ok('describe', 'ksvc', 'h1');
  assert.match(described, /^Name:\s+h1\n/);
  const events = described.slice(described.indexOf('\nEvents:'));
  assert.match(events, /\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/);
  assert.match(events, /\n\s+Normal\s+Created\s+\S+\s+service-controller\s+Created Configuration "h1"\n/);
  assert.match(events, /\n\s+Normal\s+Created\s+\S+\s+service-controller\s+Created Route "h1"\n/);

  const all = table(await ok('get', 'events'));
  assert.deepEqual(all.header, ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
  assert.ok(all.rows.some((r) => r[1] === 'Normal' && r[2] === 'Created' && r[3] === 'configuration/h1' && r[4] === 'Created Revision "h1-00001"'), JSON.stringify(all.rows));
});

test('kubectl scale deployment refused, kubectl delete pod replaced, kubectl logs of the new pod', async () => {
  const scale = await kubectl('scale', 'deployment', 'h1-00001-deployment', '--replicas=3');
  assert.equal(scale.code, 1);
  // Knative's autoscaler owns the replicas: a 405, and nothing changes.
  assert.match(scale.stderr, /^Error from server \(MethodNotAllowed\): deployments\.apps "h1-00001-deployment" is scaled by Knative's autoscaler, which owns its replicas: set the autoscaling\.knative\.dev\/min-scale and autoscaling\.knative\.dev\/max-scale annotations/);
  assert.equal(await ok('get', 'deployment', 'h1-00001-deployment', '-o', 'jsonpath={.spec.replicas}'), '1');

  const name = (await ok('get', 'pods', '-l', 'serving.knative.dev/service=h1', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
  assert.match(name, /^h1-00001-deployment-/);
  assert.equal(await ok('delete', 'pod', name), `pod "${name}" deleted\n`);
  const replacement = await eventually('the deleted pod gone, a new one Running', async () => {
    const t = table(await ok('get', 'pods', '-l', 'serving.knative.dev/service=h1'));
    return t.rows.length === 1 && t.rows[0][0] !== name && t.rows[0][2] === 'Running' ? t.rows[0][0] : undefined;
  }, 20_000, 200);

  const logs = await eventually('the new pod\'s log', async () => {
    const r = await kubectl('logs', replacement);
    assert.equal(r.code, 0, r.stderr);
    return /helloworld: listening on port \d+/.test(r.stdout) ? r.stdout : undefined;
  }, 20_000, 200);
  assert.match(logs, /^helloworld: listening on port \d+\n/);
});

test('kubectl create secret generic --from-literal, create configmap --from-file, auth can-i', async () => {
  assert.equal(await ok('create', 'secret', 'generic', 'creds', '--from-literal=user=admin'), 'secret/creds created\n');
  assert.equal(await ok('get', 'secret', 'creds', '-o', 'jsonpath={.data.user}'), Buffer.from('admin').toString('base64'));
  const secrets = table(await ok('get', 'secrets'));
  assert.deepEqual(secrets.header, ['NAME', 'TYPE', 'DATA', 'AGE']);
  assert.deepEqual(row(secrets, 'creds').TYPE, 'Opaque');

  fs.writeFileSync(path.join(home, 'app.properties'), 'color=blue\n');
  assert.equal(await ok('create', 'configmap', 'settings', '--from-file=app.properties'), 'configmap/settings created\n');
  assert.equal(await ok('get', 'configmap', 'settings', '-o', 'jsonpath={.data.app\\.properties}'), 'color=blue\n');

  assert.equal(await ok('auth', 'can-i', 'create', 'ksvc'), 'yes\n');
  assert.equal(await ok('auth', 'can-i', 'delete', 'pods', '-n', 'kube-system'), 'yes\n');
});

test('kubectl create namespace, apply into it, delete namespace deletes what is in it', async () => {
  assert.equal(await ok('create', 'namespace', 'team-a'), 'namespace/team-a created\n');
  assert.equal(await ok('-n', 'team-a', 'apply', '-f', 'service.yaml'), 'service.serving.knative.dev/h1 created\n');
  assert.deepEqual(table(await ok('-n', 'team-a', 'get', 'ksvc')).rows.map((r) => r[0]), ['h1']);
  assert.equal(await ok('delete', 'namespace', 'team-a'), 'namespace "team-a" deleted\n');
  await eventually('the namespace and its service gone', async () => {
    const ns = await kubectl('get', 'namespace', 'team-a');
    const ksvc = await kubectl('-n', 'team-a', 'get', 'ksvc');
    return ns.code === 1 && ns.stderr === 'Error from server (NotFound): namespaces "team-a" not found\n' && ksvc.stdout === '' && ksvc.stderr === 'No resources found in team-a namespace.\n';
  }, 30_000, 200);
  assert.equal((await ok('get', 'ksvc', '-A', '-o', 'name')).trim(), 'service.serving.knative.dev/h1');
});
