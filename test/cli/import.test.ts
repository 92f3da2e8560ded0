// `knit service import FILENAME` against the fake API (requests and messages) and a real `knit serve` (waiting, and
// the round trip export → import into another namespace, traffic served by the imported revisions).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Configuration, Revision, Service } from '../../src/api/types.ts';
import { runCli, type CliResult } from '../cli-runner.ts';
import { eventually, EXAMPLES, KnitServer } from '../harness.ts';
import { FakeApi } from './fake-api.ts';

const tmp = mkdtempSync(join(tmpdir(), 'knit-import-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const USAGE = "Run 'knit --help' for usage\n";

/** kn's Export of a service `hello` with template revision hello-v2 and an exported revision hello-v1. */
function exportDoc(): object {
  const labels = { 'serving.knative.dev/configuration': 'hello', 'serving.knative.dev/configurationGeneration': '1', 'serving.knative.dev/service': 'hello', 'serving.knative.dev/routingState': 'active' };
  return {
    apiVersion: 'client.knative.dev/v1alpha1',
    kind: 'Export',
    spec: {
      service: {
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Service',
        metadata: { name: 'hello', labels: { app: 'demo' } },
        spec: {
          template: { metadata: { name: 'hello-v2' }, spec: { containers: [{ image: 'docker.io/me/hello:v2' }] } },
          traffic: [
            { revisionName: 'hello-v1', latestRevision: false, percent: 40 },
            { revisionName: 'hello-v2', latestRevision: true, percent: 60, tag: 'current' },
          ],
        },
      },
      revisions: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Revision', metadata: { name: 'hello-v1', labels }, spec: { containers: [{ image: 'docker.io/me/hello:v1' }] } }],
    },
  };
}

describe('service import against the fake API', () => {
  const api = new FakeApi();
  before(() => api.start());
  after(() => api.close());

  const knit = (...argv: string[]): Promise<CliResult> => runCli(argv, { env: { KNIT_SERVER: api.url }, cwd: tmp });

  it('creates the Service, waits for its Configuration, then creates each revision owned by it', async () => {
    // Serving's service controller creates the Configuration (knative/serving pkg/reconciler/service/service.go
    // config); here it appears only after the CLI's first GET of it was answered NotFound.
    const configPath = '/apis/serving.knative.dev/v1/namespaces/ns1/configurations/hello';
    api.afterAnswer = (q, status) => {
      if (q.method !== 'GET' || q.url !== configPath || status !== 404) return;
      api.afterAnswer = undefined;
      const config: Configuration = {
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Configuration',
        metadata: {
          name: 'hello',
          namespace: 'ns1',
          uid: 'uid-config-hello',
          generation: 1,
          labels: { 'serving.knative.dev/service': 'hello' },
          ownerReferences: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'hello', uid: 'uid-hello', controller: true }],
        },
        spec: { template: { spec: { containers: [{ image: 'docker.io/me/hello:v2' }] } } },
      };
      api.put('configurations', config as never);
    };
    writeFileSync(join(tmp, 'export.json'), JSON.stringify(exportDoc()));
    const r = await knit('service', 'import', 'export.json', '-n', 'ns1', '--no-wait');
    assert.equal(r.err, '');
    assert.equal(r.out, "Service 'hello' imported in namespace 'ns1'.\n");
    assert.equal(r.code, 0);

    const writes = api.requests.filter((q) => q.method === 'POST');
    assert.deepEqual(writes.map((q) => q.url), ['/apis/serving.knative.dev/v1/namespaces/ns1/services', '/apis/serving.knative.dev/v1/namespaces/ns1/revisions']);
    const svc = writes[0].body as Service;
    assert.equal(svc.metadata.namespace, 'ns1');
    assert.equal(svc.spec.template.metadata?.name, 'hello-v2');
    // Serving refuses revisionName together with latestRevision: true; the import drops the name.
    assert.deepEqual(svc.spec.traffic, [
      { revisionName: 'hello-v1', latestRevision: false, percent: 40 },
      { latestRevision: true, percent: 60, tag: 'current' },
    ]);
    const configGets = api.requests.filter((q) => q.method === 'GET' && q.url === configPath);
    assert.ok(configGets.length >= 2, 'retried until the Configuration appeared');
    const rev = writes[1].body as Revision;
    assert.equal(rev.metadata.name, 'hello-v1');
    assert.equal(rev.metadata.namespace, 'ns1');
    assert.equal(rev.metadata.labels?.['serving.knative.dev/configurationGeneration'], '1');
    assert.deepEqual(rev.metadata.ownerReferences, [{ apiVersion: 'serving.knative.dev/v1', kind: 'Configuration', name: 'hello', uid: 'uid-config-hello', controller: true, blockOwnerDeletion: true }]);
    assert.equal(rev.spec.containers[0].image, 'docker.io/me/hello:v1');
  });

  it('refuses an existing service, a file without a service name, a missing file and extra arguments', async () => {
    const exists = await knit('service', 'import', 'export.json', '-n', 'ns1');
    assert.equal(exists.code, 1);
    assert.equal(exists.err, "Error: cannot import service 'hello' in namespace 'ns1' because the service already exists\n" + USAGE);

    writeFileSync(join(tmp, 'plain.yaml'), 'apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: x\n');
    const plain = await knit('service', 'import', 'plain.yaml');
    assert.equal(plain.err, "Error: provided import file doesn't contain service name, please note that only kn's custom export format is supported\n" + USAGE);

    const missing = await knit('service', 'import', 'nope.yaml');
    assert.equal(missing.err, 'Error: open nope.yaml: no such file or directory\n' + USAGE);

    const args = await knit('service', 'import');
    assert.equal(args.err, "Error: 'knit service import' requires filename of import file as single argument\nRun 'knit service import --help' for usage\n");
  });
});

describe('service import on a real knit server', () => {
  let knit: KnitServer;
  before(async () => {
    knit = await new KnitServer().start();
  });
  after(async () => {
    await knit?.cleanup();
  });

  it('waits like create, with the Importing / imported wording', async () => {
    const doc = exportDoc() as { spec: { service: Service; revisions?: unknown[] } };
    delete doc.spec.revisions;
    doc.spec.service.spec.traffic = undefined;
    doc.spec.service.spec.template.spec.containers[0].image = `file://${join(EXAMPLES, 'helloworld')}`;
    const file = join(tmp, 'simple.yaml');
    writeFileSync(file, JSON.stringify(doc));
    const r = await knit.knit(['service', 'import', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Importing service 'hello' in namespace 'default':\n\n[\s\S]*Ready to serve\.\n\nService 'hello' imported to latest revision 'hello-v2' is available at URL:\nhttp:\/\/hello\.default\.example\.com\n$/);
    // Without exported revisions the import creates none: the only one is the template's.
    const revs = await knit.knit(['revision', 'list', '-s', 'hello', '-o', 'jsonpath={.items[*].metadata.name}']);
    assert.equal(revs.stdout, 'hello-v2');
  });

  it('imports the routed revisions, and the traffic split reaches both', async () => {
    for (const args of [
      ['service', 'create', 'imp', '--image', './examples/helloworld', '--revision-name', 'imp-v1', '--env', 'TARGET=one'],
      ['service', 'update', 'imp', '--env', 'TARGET=two', '--revision-name', 'imp-v2'],
      ['service', 'update', 'imp', '--traffic', 'imp-v1=50,@latest=50'],
    ]) {
      const r = await knit.knit(args);
      assert.equal(r.code, 0, r.stderr);
    }
    const exported = await knit.knit(['service', 'export', 'imp', '--with-revisions', '-o', 'yaml']);
    assert.equal(exported.code, 0, exported.stderr);
    const file = join(tmp, 'imp.yaml');
    writeFileSync(file, exported.stdout);

    // As on a cluster, the namespace must exist first.
    const missing = await knit.knit(['service', 'import', file, '-n', 'copy']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /namespaces "copy" not found/);
    assert.equal((await knit.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'copy' } })).status, 201);
    const r = await knit.knit(['service', 'import', file, '-n', 'copy']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Importing service 'imp' in namespace 'copy':\n\n[\s\S]*Ready to serve\.\n\nService 'imp' imported to latest revision 'imp-v2' is available at URL:\nhttp:\/\/imp\.copy\.example\.com\n$/);

    const revs = await knit.knit(['revision', 'list', '-n', 'copy', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.containers[0].env[0].value}{"\\n"}{end}']);
    // Both carry configurationGeneration 1 now (the new configuration's first generation, and the exported label).
    assert.equal(revs.stdout, 'imp-v1 one\nimp-v2 two\n');
    const traffic = await knit.knit(['service', 'describe', 'imp', '-n', 'copy', '-o', 'go-template={{range .status.traffic}}{{.revisionName}}={{.percent}} {{end}}']);
    assert.equal(traffic.stdout, 'imp-v2=50 imp-v1=50 ');

    // Both imported revisions answer through the split (the helloworld app greets $TARGET).
    const seen = new Set<string>();
    await eventually('both revisions to answer', async () => {
      const res = await knit.request('imp.copy.example.com');
      if (res.status === 200) seen.add(res.body);
      return seen.size >= 2;
    }, 20_000, 10);

    // The imported revision belongs to the new service: deleting it takes the revision along.
    const del = await knit.knit(['service', 'delete', 'imp', '-n', 'copy']);
    assert.equal(del.code, 0, del.stderr);
    await eventually('the imported revisions to go', async () => (await knit.knit(['revision', 'list', '-n', 'copy'])).stdout === 'No revisions found.\n');
  });
});
