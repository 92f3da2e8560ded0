// End-to-end tests: spawn bin/knit against a fake API server (real HTTP on a loopback port) and check output and
// requests; waiting for a service to become ready runs against a real `knit serve` in test/e2e-cli.test.ts.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Route, Service } from '../../src/api/types.ts';
import { spawnCli, type RunResult } from '../cli-runner.ts';
import { FakeApi } from './fake-api.ts';
import * as fx from './fixtures.ts';

const workdir = mkdtempSync(join(tmpdir(), 'knit-e2e-'));

/** Runs bin/knit with a bare environment (the fake server lives in this process, so the event loop keeps running). */
function knit(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return spawnCli(args, { cwd: workdir, env: { PATH: process.env.PATH ?? '', HOME: workdir, KNIT_DATA_DIR: join(workdir, 'no-data'), ...env } });
}

after(() => rmSync(workdir, { recursive: true, force: true }));

describe('knit against a fake API: create --no-wait, list, describe, delete', () => {
  const api = new FakeApi();
  let server = '';
  before(async () => {
    server = await api.start();
  });
  after(() => api.close());

  it('create --no-wait posts the Service and reports it', async () => {
    const r = await knit(['--server', server, 'service', 'create', 'hello', '--image', './app', '--env', 'TARGET=knit', '--no-wait']);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, "Service 'hello' created in namespace 'default'.\n");
    assert.equal(r.code, 0);
    const post = api.requests.find((q) => q.method === 'POST');
    assert.equal(post?.url, '/apis/serving.knative.dev/v1/namespaces/default/services');
    const body = post?.body as Service;
    assert.equal(body.metadata.name, 'hello');
    assert.equal(body.spec.template.spec.containers[0].image, `file://${workdir}/app`);
    assert.deepEqual(body.spec.template.spec.containers[0].env, [{ name: 'TARGET', value: 'knit' }]);
    assert.equal(body.spec.template.metadata?.annotations?.['client.knative.dev/user-image'], `file://${workdir}/app`);
    assert.match(body.spec.template.metadata?.annotations?.['client.knative.dev/updateTimestamp'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('create of an existing service without --force fails like kn', async () => {
    const r = await knit(['--server', server, 'service', 'create', 'hello', '--image', 'img', '--no-wait']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Error: cannot create service 'hello' in namespace 'default' because the service already exists and no --force option was given\nRun 'knit --help' for usage\n");
  });

  it('list and describe print the golden layouts', async () => {
    api.putAll(fx.listed);
    const env = { KNIT_SERVER: server, KNIT_NOW: '2024-05-01T12:00:00Z' };
    const list = await knit(['service', 'list', '-n', 'default'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(
      list.stdout,
      'NAME    URL                                LATEST        AGE   CONDITIONS   READY   REASON\n' +
        'hello   http://hello.default.example.com   hello-00001   5m    3 OK / 3     True    \n' +
        'split   http://split.default.example.com   split-00002   10m   3 OK / 3     True    \n',
    );

    const describeOut = await knit(['service', 'describe', 'split'], env);
    assert.equal(describeOut.code, 0, describeOut.stderr);
    assert.match(describeOut.stdout, /\nRevisions: {2}\n {3}80% {2}@latest \(split-00002\) #current \[2\] \(1m\)\n {8}Image: {5}docker\.io\/me\/split:v2 \(pinned to 5ea96b\)\n {8}Replicas: {2}2\/2\n {3}20% {2}split-00001 #stable \[1\] \(10m\)\n/);

    const revs = await knit(['revision', 'list', '-s', 'split'], env);
    assert.equal(revs.code, 0, revs.stderr);
    assert.match(revs.stdout, /^NAME {10}SERVICE {3}TRAFFIC {3}TAGS {6}GENERATION {3}AGE {3}CONDITIONS {3}READY {3}REASON\nsplit-00002 {3}split {5}80% {7}current {3}2 {12}90s {3}4 OK \/ 4 {5}True {4}\nsplit-00001 {3}split {5}20% {7}stable {4}1 {12}10m {3}3 OK \/ 4 {5}True {4}\n$/);

    const routes = await knit(['route', 'describe', 'split'], env);
    assert.match(routes.stdout, /\nTraffic Targets: {2}\n {3}80% {2}@latest \(split-00002\) #current\n {8}URL: {2}http:\/\/current-split\.default\.example\.com\n/);

    const url = await knit(['service', 'describe', 'split', '-o', 'url'], env);
    assert.equal(url.stdout, 'http://split.default.example.com\n');

    const json = await knit(['service', 'list', '-o', 'json'], env);
    const parsed = JSON.parse(json.stdout) as { kind: string; items: Service[] };
    assert.equal(parsed.kind, 'ServiceList');
    assert.deepEqual(parsed.items.map((s) => s.metadata.name), ['hello', 'split']);

    const name = await knit(['revision', 'list', '-o', 'name', '-s', 'split'], env);
    assert.equal(name.stdout, 'revision.serving.knative.dev/split-00002\nrevision.serving.knative.dev/split-00001\n');

    const yaml = await knit(['route', 'describe', 'split', '-o', 'yaml'], env);
    assert.match(yaml.stdout, /^apiVersion: serving\.knative\.dev\/v1\nkind: Route\nmetadata:\n/);
  });

  it('delete, then describe reports not found', async () => {
    const del = await knit(['--server', server, 'service', 'delete', 'hello', 'nope']);
    assert.equal(del.stdout, "Service 'hello' successfully deleted in namespace 'default'.\n");
    assert.equal(del.stderr, 'Error: services.serving.knative.dev "nope" not found\nRun \'knit --help\' for usage\n');
    assert.equal(del.code, 1);
    const d = await knit(['--server', server, 'service', 'describe', 'hello']);
    assert.equal(d.code, 1);
    assert.equal(d.stderr, 'Error: services.serving.knative.dev "hello" not found\nRun \'knit --help\' for usage\n');
    const empty = await knit(['--server', server, 'route', 'list', '-n', 'other']);
    assert.equal(empty.stdout, 'No routes found.\n');
  });
});

describe('knit against a fake API that no controller serves: the wait timeout, the data dir', () => {
  const api = new FakeApi();
  let server = '';
  before(async () => {
    server = await api.start();
  });
  after(() => api.close());

  it('times out with kn\'s message', async () => {
    const r = await knit(['--server', server, 'service', 'create', 'slow', '--image', 'img', '--wait-timeout', '1']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Error: timeout: service 'slow' not ready after 1 seconds\nRun 'knit --help' for usage\n");
  });

  it('finds the server in DATA_DIR/endpoints.json and sends the token', async () => {
    const dataDir = join(workdir, 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'endpoints.json'), JSON.stringify({ api: server, http: 'http://127.0.0.1:8080', localHttp: 'http://127.0.0.1:8082', pid: 1 }));
    writeFileSync(join(dataDir, 'token'), 's3cret\n');
    const route: Route = {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Route',
      metadata: { name: 'web', namespace: 'default', labels: { 'serving.knative.dev/service': 'web' } },
      spec: { traffic: [{ latestRevision: true, percent: 100 }] },
      status: { url: 'http://web.default.example.com', conditions: [{ type: 'Ready', status: 'True' }, { type: 'AllTrafficAssigned', status: 'True' }, { type: 'IngressReady', status: 'True' }] },
    };
    api.put('routes', route as never);
    const r = await knit(['route', 'list'], { KNIT_DATA_DIR: dataDir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'NAME   URL                              READY\nweb    http://web.default.example.com   True\n');
    assert.equal(api.requests.at(-1)?.authorization, 'Bearer s3cret');
  });
});
