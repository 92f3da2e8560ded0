// kn's global kubeconfig flags, secret commands and pod-spec flags against a real `knit serve`: knit reaches the API
// through the kubeconfig knit wrote, and the API answers the fields Knative refuses.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KnitServer } from './harness.ts';

let knit: KnitServer;
let elsewhere: string;
let kubeconfig: string;

before(async () => {
  knit = await new KnitServer().start();
  elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-kn-cli-'));
  kubeconfig = path.join(elsewhere, 'config');
  fs.copyFileSync(path.join(knit.dataDir, 'kubeconfig'), kubeconfig);
});

after(async () => {
  await knit?.cleanup();
  if (elsewhere) fs.rmSync(elsewhere, { recursive: true, force: true });
});

/** bin/knit with no data directory of its own: only the kubeconfig can lead it to the server. */
function viaKubeconfig(args: string[]) {
  return knit.knit(args, { env: { KNIT_DATA_DIR: path.join(elsewhere, 'no-data'), HOME: elsewhere, KUBECONFIG: '' } });
}

test('knit --kubeconfig FILE --context knit service list works against knit', async () => {
  const r = await viaKubeconfig(['--kubeconfig', kubeconfig, '--context', 'knit', 'service', 'list']);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'No services found.\n');
  assert.equal(r.code, 0);
});

test('the context\'s namespace is the default namespace', async () => {
  const text = fs.readFileSync(kubeconfig, 'utf8').replace('namespace: default', 'namespace: kn-ctx-ns');
  const other = path.join(elsewhere, 'other-ns');
  fs.writeFileSync(other, text, { mode: 0o600 });
  const ns = await knit.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kn-ctx-ns' } });
  assert.equal(ns.status, 201, JSON.stringify(ns.json));
  const r = await viaKubeconfig(['--kubeconfig', other, 'service', 'create', 'ctx-svc', '--image', 'file:///nonexistent/kn-cli-image', '--no-wait']);
  assert.doesNotMatch(r.stderr, /Error/);
  assert.equal(r.stdout, "Service 'ctx-svc' created in namespace 'kn-ctx-ns'.\n");
  const got = await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/kn-ctx-ns/services/ctx-svc');
  assert.equal(got.status, 200);
  const del = await viaKubeconfig(['--kubeconfig', other, 'service', 'delete', 'ctx-svc']);
  assert.equal(del.code, 0, del.stderr);
});

test('a context or cluster the kubeconfig does not have is client-go\'s error', async () => {
  const r = await viaKubeconfig(['--kubeconfig', kubeconfig, '--context', 'nope', 'service', 'list']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "Error: invalid configuration: context was not found for specified context: nope\nRun 'knit --help' for usage\n");
  const c = await viaKubeconfig(['--kubeconfig', kubeconfig, '--cluster', 'elsewhere', 'service', 'list']);
  assert.equal(c.code, 1);
  assert.equal(c.stderr, "Error: invalid configuration: no server found for cluster \"elsewhere\"\nRun 'knit --help' for usage\n");
  const m = await viaKubeconfig(['--kubeconfig', path.join(elsewhere, 'missing'), 'service', 'list']);
  assert.equal(m.code, 1);
  assert.equal(m.stderr, `Error: stat ${path.join(elsewhere, 'missing')}: no such file or directory\nRun 'knit --help' for usage\n`);
});

test('knit secret create, list, delete (knative/client pkg/commands/secret)', async () => {
  const c = await knit.knit(['secret', 'create', 'kn-cli-sec', '--from-literal', 'user=foo,pass=bar']);
  assert.equal(c.stderr, '');
  assert.equal(c.stdout, "Secret 'kn-cli-sec' created in namespace 'default'.\n");
  const got = await knit.api('GET', '/api/v1/namespaces/default/secrets/kn-cli-sec');
  assert.deepEqual((got.json as { data: Record<string, string> }).data, { user: Buffer.from('foo').toString('base64'), pass: Buffer.from('bar').toString('base64') });
  const l = await knit.knit(['secret', 'list']);
  assert.equal(l.code, 0, l.stderr);
  assert.match(l.stdout, /^NAME +TYPE\n/);
  assert.match(l.stdout, /\nkn-cli-sec +Opaque\n/);
  const j = await knit.knit(['secret', 'list', '-o', 'json']);
  const doc = JSON.parse(j.stdout) as { kind: string; items: { metadata: { name: string } }[] };
  assert.equal(doc.kind, 'SecretList');
  assert.ok(doc.items.some((s) => s.metadata.name === 'kn-cli-sec'));
  assert.deepEqual(Object.keys(JSON.parse(j.stdout)), ['apiVersion', 'items', 'kind', 'metadata']);
  const err = await knit.knit(['secret', 'create', 'x', '--tls-cert', 'foo.cert']);
  assert.equal(err.code, 1);
  assert.match(err.stderr, /^Error: both --tls-cert and --tls-key flags are required\n/);
  const mixed = await knit.knit(['secret', 'create', 'x', '-l', 'k=v', '--tls-cert', 'foo.cert']);
  assert.match(mixed.stderr, /^Error: TLS flags can't be combined with other options\n/);
  const d = await knit.knit(['secret', 'delete', 'kn-cli-sec']);
  assert.equal(d.code, 0, d.stderr);
  assert.equal((await knit.api('GET', '/api/v1/namespaces/default/secrets/kn-cli-sec')).status, 404);
});

test('service create --service-account --pull-secret --profile istio --security-context strict: written, described', async () => {
  const r = await knit.knit(['service', 'create', 'kn-cli-pod', '--image', 'file:///nonexistent/kn-cli-image', '--service-account', 'builder',
    '--pull-secret', 'regcred', '--profile', 'istio', '--security-context', 'strict', '--no-wait'], { env: { HOME: elsewhere } });
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  const got = await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/kn-cli-pod');
  const svc = got.json as { metadata: { labels: Record<string, string> }; spec: { template: { metadata: { annotations: Record<string, string> }; spec: Record<string, unknown> & { containers: { securityContext: unknown }[] } } } };
  assert.equal(svc.spec.template.spec.serviceAccountName, 'builder');
  assert.deepEqual(svc.spec.template.spec.imagePullSecrets, [{ name: 'regcred' }]);
  assert.equal(svc.metadata.labels['sidecar.istio.io/inject'], 'true');
  assert.equal(svc.spec.template.metadata.annotations['sidecar.istio.io/rewriteAppHTTPProbers'], 'true');
  assert.deepEqual(svc.spec.template.spec.containers[0].securityContext, { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
  const d = await knit.knit(['service', 'describe', 'kn-cli-pod']);
  assert.match(d.stdout, /\nService Account: +builder\n/);
  assert.match(d.stdout, /\nImage Pull Secret: +regcred\n/);
  const unknown = await knit.knit(['service', 'update', 'kn-cli-pod', '--profile', 'nosuch', '--no-wait'], { env: { HOME: elsewhere } });
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, "Error: profile nosuch doesn't exist\nRun 'knit --help' for usage\n");
  await knit.knit(['service', 'delete', 'kn-cli-pod']);
});

test('--node-selector, --toleration, --node-affinity: refused by the API with Knative\'s message (feature flags off)', async () => {
  const rows: [string[], string][] = [
    [['--node-selector', 'disktype=ssd'], 'spec.template.spec.nodeSelector'],
    [['--toleration', 'Key=k,Operator=Exists,Effect=NoSchedule'], 'spec.template.spec.tolerations'],
    [['--node-affinity', 'Type=Required,Key=zone,Operator=In,Values=a b'], 'spec.template.spec.affinity'],
  ];
  for (const [flags, field] of rows) {
    const r = await knit.knit(['service', 'create', 'kn-cli-sched', '--image', 'file:///nonexistent/kn-cli-image', ...flags, '--no-wait']);
    assert.equal(r.code, 1, flags.join(' '));
    assert.match(r.stderr, new RegExp(`must not set the field\\(s\\): ${field.replaceAll('.', '\\.')}`), r.stderr);
  }
});

test('bin/knit: knit plugin list lists a knit-hello script on PATH, knit hello runs it with the remaining arguments', async () => {
  const bin = path.join(elsewhere, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'knit-hello'), '#!/bin/sh\necho "hello $*"\nread line; echo "stdin: $line"\nexit 0\n', { mode: 0o755 });
  const env = { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: elsewhere };
  const list = await knit.knit(['plugin', 'list'], { env });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`^- knit-hello : ${bin.replaceAll('/', '\\/')}/knit-hello\n`, 'm'));
  const run = await knit.knit(['hello', 'world', '--flag', 'v'], { env, input: 'from the terminal\n' });
  assert.equal(run.stderr, '');
  assert.equal(run.stdout, 'hello world --flag v\nstdin: from the terminal\n');
  assert.equal(run.code, 0);
});
