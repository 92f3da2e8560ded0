// Offline mode (--target DIR|FILE): create, update, describe, list and delete on local files, no server contact.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { Service } from '../../src/api/types.ts';
import { runCli, type CliResult } from '../cli-runner.ts';
import { FakeApi } from './fake-api.ts';

const api = new FakeApi();
let server = '';
let dir = '';
const dirs: string[] = [];

before(async () => {
  server = await api.start();
});
after(async () => {
  await api.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'knit-offline-'));
  dirs.push(dir);
});

/** Runs the CLI in-process in `dir`, with a reachable fake server that must never be asked anything. */
function knit(...argv: string[]): Promise<CliResult> {
  return runCli(argv, { env: { KNIT_SERVER: server, KNIT_NOW: '2024-05-01T12:00:00Z' }, cwd: dir });
}

function readService(path: string): Service {
  return parseYaml(readFileSync(join(dir, path), 'utf8')) as Service;
}

function usage(): string {
  return "Run 'knit --help' for usage\n";
}

describe('offline mode, directory target', () => {
  beforeEach(() => mkdirSync(join(dir, 'repo')));
  after(() => assert.equal(api.requests.length, 0, 'offline commands never contact the server'));

  it('create writes DIR/<namespace>/ksvc/<name>.yaml as kn writes it, with the no-wait message', async () => {
    const r = await knit('service', 'create', 'hello', '--image', 'docker.io/me/hello', '--env', 'TARGET=knit', '--port', '8080', '--target', 'repo');
    assert.equal(r.err, '');
    assert.equal(r.out, "Service 'hello' created in namespace 'default'.\n");
    assert.equal(r.code, 0);
    const text = readFileSync(join(dir, 'repo/default/ksvc/hello.yaml'), 'utf8');
    assert.match(text, /^apiVersion: serving\.knative\.dev\/v1\nkind: Service\nmetadata:\n {2}name: hello\n {2}namespace: default\nspec:\n {2}template:\n/);
    const svc = parseYaml(text) as Service;
    assert.equal(svc.status, undefined);
    assert.deepEqual(svc.spec.template.spec.containers, [{ image: 'docker.io/me/hello', env: [{ name: 'TARGET', value: 'knit' }], ports: [{ containerPort: 8080 }] }]);
    assert.equal(svc.spec.template.metadata?.annotations?.['client.knative.dev/user-image'], 'docker.io/me/hello');
    assert.match(svc.spec.template.metadata?.annotations?.['client.knative.dev/updateTimestamp'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('create honours -n, local-path images, --wait (skipped) and refuses an existing service without --force', async () => {
    const r = await knit('service', 'create', 'web', '-n', 'team', '--image', './app', '--target', 'repo', '--wait');
    assert.equal(r.out, "Service 'web' created in namespace 'team'.\n");
    const svc = readService('repo/team/ksvc/web.yaml');
    assert.equal(svc.metadata.namespace, 'team');
    assert.equal(svc.spec.template.spec.containers[0].image, `file://${dir}/app`);

    const again = await knit('service', 'create', 'web', '-n', 'team', '--image', 'other', '--target', 'repo');
    assert.equal(again.code, 1);
    assert.equal(again.err, "Error: cannot create service 'web' in namespace 'team' because the service already exists and no --force option was given\n" + usage());

    const forced = await knit('service', 'create', 'web', '-n', 'team', '--image', 'other', '--force', '--target', 'repo');
    assert.equal(forced.out, "Service 'web' replaced in namespace 'team'.\n");
    assert.equal(readService('repo/team/ksvc/web.yaml').spec.template.spec.containers[0].image, 'other');
  });

  it('create from -f with --tag writes the traffic block', async () => {
    writeFileSync(join(dir, 'svc.yaml'), 'apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: fromfile\nspec:\n  template:\n    spec:\n      containers:\n      - image: img\n');
    const r = await knit('service', 'create', '-f', 'svc.yaml', '--tag', '@latest=current', '--target', 'repo');
    assert.equal(r.out, "Service 'fromfile' created in namespace 'default'.\n", r.err);
    assert.deepEqual(readService('repo/default/ksvc/fromfile.yaml').spec.traffic, [{ latestRevision: true, percent: 100, tag: 'current' }]);
  });

  it('create into a missing directory fails with kn\'s message', async () => {
    const r = await knit('service', 'create', 'x', '--image', 'img', '--target', 'missing');
    assert.equal(r.code, 1);
    assert.equal(r.err, "Error: directory 'missing' not present, please create the directory and try again\n" + usage());
    assert.equal(existsSync(join(dir, 'missing')), false);
  });

  it('update edits the file in place; traffic flags and missing services are refused', async () => {
    await knit('service', 'create', 'hello', '--image', 'img', '--env', 'A=1', '--target', 'repo');
    const r = await knit('service', 'update', 'hello', '--env', 'B=2', '--env', 'A-', '--scale', '1..3', '--label', 'app=demo', '--target', 'repo');
    assert.equal(r.err, '');
    assert.equal(r.out, "Service 'hello' updated in namespace 'default'.\n");
    const svc = readService('repo/default/ksvc/hello.yaml');
    assert.deepEqual(svc.spec.template.spec.containers[0].env, [{ name: 'B', value: '2' }]);
    assert.equal(svc.spec.template.spec.containers[0].image, 'img');
    assert.equal(svc.metadata.labels?.app, 'demo');
    assert.equal(svc.spec.template.metadata?.annotations?.['autoscaling.knative.dev/min-scale'], '1');
    assert.equal(svc.spec.template.metadata?.annotations?.['autoscaling.knative.dev/max-scale'], '3');

    for (const flag of [['--traffic', '@latest=100'], ['--tag', '@latest=x'], ['--untag', 'x']]) {
      const t = await knit('service', 'update', 'hello', ...flag, '--target', 'repo');
      assert.equal(t.code, 1);
      assert.equal(t.err, "Error: --traffic, --tag and --untag can't be used with --target: offline mode has no revisions to compute traffic from\n" + usage());
    }
    const missing = await knit('service', 'update', 'nope', '--env', 'A=1', '--target', 'repo');
    assert.equal(missing.code, 1);
    assert.equal(missing.err, 'Error: services.serving.knative.dev "nope" not found\n' + usage());
    assert.equal(existsSync(join(dir, 'repo/default/ksvc/nope.yaml')), false);
  });

  it('list walks DIR/<namespace> (DIR with -A) and prints the usual table, JSON and templates', async () => {
    await knit('service', 'create', 'b', '--image', 'img', '--target', 'repo');
    await knit('service', 'create', 'a', '--image', 'img', '--target', 'repo');
    await knit('service', 'create', 'c', '-n', 'other', '--image', 'img', '--target', 'repo');
    // Not a Service file location: skipped.
    mkdirSync(join(dir, 'repo/default/notes'));
    writeFileSync(join(dir, 'repo/default/notes/readme.yaml'), 'not: a service\n');
    writeFileSync(join(dir, 'repo/default/ksvc/ignored.txt'), 'x');

    const list = await knit('service', 'list', '--target', 'repo');
    assert.equal(list.err, '');
    assert.equal(
      list.out,
      'NAME   URL   LATEST   AGE         CONDITIONS   READY       REASON\n' +
        'a                     <unknown>   0 OK / 0     <unknown>   <unknown>\n' +
        'b                     <unknown>   0 OK / 0     <unknown>   <unknown>\n',
    );
    const all = await knit('service', 'list', '-A', '--target', 'repo', '--no-headers');
    assert.match(all.out, /^default\s+a\s.*\ndefault\s+b\s.*\nother\s+c\s.*\n$/);
    const one = await knit('service', 'list', 'b', '--target', 'repo', '-o', 'name');
    assert.equal(one.out, 'service.serving.knative.dev/b\n');
    const json = JSON.parse((await knit('service', 'list', '--target', 'repo', '-o', 'json')).out) as { kind: string; items: Service[] };
    assert.equal(json.kind, 'ServiceList');
    assert.deepEqual(json.items.map((s) => s.metadata.name), ['a', 'b']);
    const jp = await knit('service', 'list', '-A', '--target', 'repo', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}');
    assert.equal(jp.out, 'default/a\ndefault/b\nother/c\n');

    const empty = await knit('service', 'list', '-n', 'nobody', '--target', 'repo');
    assert.equal(empty.out, 'No services found.\n');
    const missingDir = await knit('service', 'list', '--target', 'missing');
    assert.equal(missingDir.code, 1);
    assert.equal(missingDir.err, "Error: directory 'missing' not present, please create the directory and try again\n" + usage());
  });

  it('describe prints the usual layout, -o formats and url from the file; missing is not found', async () => {
    await knit('service', 'create', 'hello', '--image', 'img', '--label', 'app=demo', '--target', 'repo');
    const d = await knit('service', 'describe', 'hello', '--target', 'repo');
    assert.equal(d.err, '');
    assert.equal(d.out, 'Name:       hello\nNamespace:  default\nLabels:     app=demo\nAge:        \nURL:        \n\nRevisions:  \n\nConditions:  \n  OK TYPE    AGE REASON\n');
    const v = await knit('service', 'describe', 'hello', '--target', 'repo', '-v');
    assert.equal(v.code, 0, v.err);
    const y = await knit('service', 'describe', 'hello', '--target', 'repo', '-o', 'yaml');
    assert.match(y.out, /^apiVersion: serving\.knative\.dev\/v1\nkind: Service\nmetadata:\n {2}labels:\n {4}app: demo\n {2}name: hello\n/);
    const gt = await knit('service', 'describe', 'hello', '--target', 'repo', '-o', 'go-template={{.metadata.name}}:{{.metadata.labels.app}}');
    assert.equal(gt.out, 'hello:demo');
    const url = await knit('service', 'describe', 'hello', '--target', 'repo', '-o', 'url');
    assert.equal(url.out, '\n');
    const missing = await knit('service', 'describe', 'nope', '--target', 'repo');
    assert.equal(missing.code, 1);
    assert.equal(missing.err, 'Error: services.serving.knative.dev "nope" not found\n' + usage());
  });

  it('delete removes the files, collects errors, and --all deletes every service of the namespace', async () => {
    await knit('service', 'create', 'a', '--image', 'img', '--target', 'repo');
    await knit('service', 'create', 'b', '--image', 'img', '--target', 'repo');
    await knit('service', 'create', 'c', '--image', 'img', '-n', 'other', '--target', 'repo');
    const r = await knit('service', 'delete', 'a', 'nope', '--target', 'repo', '--wait');
    assert.equal(r.code, 1);
    assert.equal(r.out, "Service 'a' successfully deleted in namespace 'default'.\n");
    assert.equal(r.err, 'Error: services.serving.knative.dev "nope" not found\n' + usage());
    assert.equal(existsSync(join(dir, 'repo/default/ksvc/a.yaml')), false);

    const all = await knit('service', 'delete', '--all', '--target', 'repo');
    assert.equal(all.out, "Service 'b' successfully deleted in namespace 'default'.\n");
    assert.equal(existsSync(join(dir, 'repo/other/ksvc/c.yaml')), true);
    const none = await knit('service', 'delete', '--all', '--target', 'repo');
    assert.equal(none.out, 'No services found.\n');
  });
});

describe('offline mode, single-file target', () => {
  after(() => assert.equal(api.requests.length, 0, 'offline commands never contact the server'));

  it('a .json target holds one Service as JSON; describe/update/list/delete use it', async () => {
    const c = await knit('service', 'create', 'hello', '--image', 'img', '-n', 'ns1', '--target', 'out/hello.json');
    assert.equal(c.out, "Service 'hello' created in namespace 'ns1'.\n", c.err);
    const text = readFileSync(join(dir, 'out/hello.json'), 'utf8');
    assert.match(text, /^\{\n {4}"kind": "Service",\n {4}"apiVersion": "serving\.knative\.dev\/v1",\n {4}"metadata": \{\n {8}"name": "hello",\n {8}"namespace": "ns1"\n {4}\},\n/);
    assert.equal((JSON.parse(text) as Service).spec.template.spec.containers[0].image, 'img');

    const u = await knit('service', 'update', 'hello', '--env', 'A=1', '-n', 'ns1', '--target', 'out/hello.json');
    assert.equal(u.out, "Service 'hello' updated in namespace 'ns1'.\n", u.err);
    assert.deepEqual((JSON.parse(readFileSync(join(dir, 'out/hello.json'), 'utf8')) as Service).spec.template.spec.containers[0].env, [{ name: 'A', value: '1' }]);

    const list = await knit('service', 'list', '--target', 'out/hello.json', '-o', 'jsonpath={.items[*].metadata.name}');
    assert.equal(list.out, 'hello');
    const other = await knit('service', 'describe', 'other', '--target', 'out/hello.json');
    assert.equal(other.err, 'Error: services.serving.knative.dev "other" not found\n' + usage());
    const createOther = await knit('service', 'create', 'other', '--image', 'img', '--target', 'out/hello.json');
    assert.equal(createOther.code, 1, 'the file is taken');

    const del = await knit('service', 'delete', 'hello', '--target', 'out/hello.json');
    assert.equal(del.out, "Service 'hello' successfully deleted in namespace 'default'.\n");
    assert.equal(existsSync(join(dir, 'out/hello.json')), false);
    const gone = await knit('service', 'list', '--target', 'out/hello.json');
    assert.equal(gone.out, 'No services found.\n');
  });

  it('.yaml and .yml targets are YAML', async () => {
    for (const file of ['svc.yaml', 'svc.yml']) {
      const r = await knit('service', 'create', 'hello', '--image', 'img', '--target', file);
      assert.equal(r.code, 0, r.err);
      assert.match(readFileSync(join(dir, file), 'utf8'), /^apiVersion: serving\.knative\.dev\/v1\nkind: Service\n/);
      const d = await knit('service', 'describe', 'hello', '--target', file, '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
      assert.equal(d.out, 'img');
    }
  });

  it('service names complete from the target', async () => {
    mkdirSync(join(dir, 'tree'), { recursive: true });
    await knit('service', 'create', 'hello', '--image', 'img', '--target', join(dir, 'tree'));
    await knit('service', 'create', 'world', '--image', 'img', '--target', join(dir, 'tree'));
    const r = await knit('__complete', 'service', 'describe', '--target', join(dir, 'tree'), 'w');
    assert.equal(r.out, 'world\n');
  });
});

describe('offline mode: env from ConfigMaps and Secrets (kn\'s --env-value-from and --env-from)', () => {
  it('create writes valueFrom and envFrom in command-line order; update replaces in place and removes with NAME- / TYPE:NAME-', async () => {
    const created = await knit('service', 'create', 'web', '--image', 'img', '--env', 'A=1', '--env-value-from', 'B=secret:creds:token', '--env-value-from', 'C=cm:conf:mode', '--env-from', 'cm:conf', '--env-from', 'secret:creds', '--target', '.');
    assert.equal(created.code, 0, created.err);
    let c = readService('default/ksvc/web.yaml').spec.template.spec.containers[0];
    assert.deepEqual(c.env, [
      { name: 'A', value: '1' },
      { name: 'B', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
      { name: 'C', valueFrom: { configMapKeyRef: { name: 'conf', key: 'mode' } } },
    ]);
    assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'conf' } }, { secretRef: { name: 'creds' } }]);
    const updated = await knit('service', 'update', 'web', '--env-value-from', 'A=sc:other:k', '--env', 'B-', '--env-from', 'cm:conf-', '--env-from', 'secret:creds', '--target', '.');
    assert.equal(updated.code, 0, updated.err);
    c = readService('default/ksvc/web.yaml').spec.template.spec.containers[0];
    assert.deepEqual(c.env, [
      { name: 'A', valueFrom: { secretKeyRef: { name: 'other', key: 'k' } } },
      { name: 'C', valueFrom: { configMapKeyRef: { name: 'conf', key: 'mode' } } },
    ]);
    assert.deepEqual(c.envFrom, [{ secretRef: { name: 'creds' } }], 'an existing source is not added twice');
  });
});

after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
