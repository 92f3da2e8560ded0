// Tests of the API client: locating the server, bearer token, Status errors, API warnings, watch streams.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_SERVER, ServingClient, parseWarnings, resolveClientConfig } from './client.ts';
import { StatusError, isNotFound } from '../api/status-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'knit-client-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveClientConfig', () => {
  it('--server beats $KNIT_SERVER beats endpoints.json beats the default', () => {
    writeFileSync(join(dir, 'endpoints.json'), JSON.stringify({ api: 'http://127.0.0.1:9999', http: 'http://127.0.0.1:9998', localHttp: 'http://127.0.0.1:9997', pid: 1 }));
    writeFileSync(join(dir, 'token'), 'tok\n');
    assert.equal(resolveClientConfig({ server: 'http://a:1', env: { KNIT_SERVER: 'http://b:2', KNIT_DATA_DIR: dir } }).server, 'http://a:1');
    assert.equal(resolveClientConfig({ env: { KNIT_SERVER: 'http://b:2', KNIT_DATA_DIR: dir } }).server, 'http://b:2');
    const fromFile = resolveClientConfig({ env: { KNIT_DATA_DIR: dir } });
    assert.equal(fromFile.server, 'http://127.0.0.1:9999');
    assert.equal(fromFile.token, 'tok');
    assert.equal(resolveClientConfig({ dataDir: join(dir, 'missing'), env: {} }).server, DEFAULT_SERVER);
    assert.equal(resolveClientConfig({ env: { HOME: join(dir, 'home') } }).token, undefined);
  });

  it('parses Warning headers', () => {
    assert.deepEqual(parseWarnings('299 - "first", 299 - "second \\"quoted\\""'), ['first', 'second "quoted"']);
    assert.deepEqual(parseWarnings(['plain text']), ['plain text']);
  });
});

describe('ServingClient', () => {
  let server: Server;
  let url = '';
  const seen: { method?: string; url?: string; auth?: string; type?: string }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, type: req.headers['content-type'] });
      if (req.url?.includes('watch=true')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MODIFIED",');
        setTimeout(() => res.end('"object":{"metadata":{"name":"a"}}}\n'), 10);
        return;
      }
      if (req.url?.endsWith('/services/missing')) {
        res.writeHead(404, { 'Content-Type': 'application/json', Warning: '299 - "deprecated thing"' });
        res.end(JSON.stringify({ kind: 'Status', status: 'Failure', message: 'services.serving.knative.dev "missing" not found', reason: 'NotFound', code: 404 }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', Warning: '299 - "deprecated thing"' });
      res.end(JSON.stringify({ kind: 'ServiceList', items: [] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('sends the bearer token, builds Kubernetes paths and selectors, prints each warning once', async () => {
    const warnings: string[] = [];
    const c = new ServingClient({ server: url, token: 't0k', stderr: (t) => warnings.push(t) });
    await c.list('services', 'dev', { labelSelector: 'app=x' });
    await c.list('revisions', undefined);
    assert.deepEqual(seen.slice(-2).map((s) => s.url), ['/apis/serving.knative.dev/v1/namespaces/dev/services?labelSelector=app%3Dx', '/apis/serving.knative.dev/v1/revisions']);
    assert.equal(seen.at(-1)?.auth, 'Bearer t0k');
    assert.deepEqual(warnings, ['Warning: deprecated thing\n']);
  });

  it('turns Status responses into StatusError with the message', async () => {
    const c = new ServingClient({ server: url });
    await assert.rejects(c.get('services', 'default', 'missing'), (e: unknown) => e instanceof StatusError && isNotFound(e) && e.message === 'services.serving.knative.dev "missing" not found');
  });

  it('merge-patches with the merge-patch content type', async () => {
    await new ServingClient({ server: url }).patch('services', 'default', 'x', { spec: {} });
    assert.equal(seen.at(-1)?.type, 'application/merge-patch+json');
    assert.equal(seen.at(-1)?.method, 'PATCH');
  });

  it('streams watch events split across chunks', async () => {
    const events: string[] = [];
    const w = new ServingClient({ server: url }).watch('services', 'default', { resourceVersion: '5', fieldSelector: 'metadata.name=a' }, (e) => events.push(e.type));
    await w.done;
    assert.deepEqual(events, ['ADDED', 'MODIFIED']);
    assert.equal(seen.at(-1)?.url, '/apis/serving.knative.dev/v1/namespaces/default/services?watch=true&resourceVersion=5&fieldSelector=metadata.name%3Da');
  });

  it('reports an unreachable server with its address and knit serve', async () => {
    await assert.rejects(new ServingClient({ server: 'http://127.0.0.1:1' }).list('services', 'default'), /^Error: error connecting to the cluster, please verify connection at: http:\/\/127\.0\.0\.1:1: .*Start it with: knit serve\)$/);
  });
});
