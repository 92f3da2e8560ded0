// Probe kinds against real loopback servers, and the readiness/liveness/startup loops on a shortened probe second.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import grpc from '@grpc/grpc-js';
import { ensureApiPki } from '../kube/pki.ts';
import { ProbeLoop, ProbeWorker, grpcProbe, probeOnce, type ProbeClock, type ProbeTarget } from './probe.ts';

/** A probe "second" of 20 ms: Kubernetes' 10 s default period becomes 200 ms. */
const FAST: ProbeClock = { secondMs: 20 };

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${ms}ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** An HTTP server whose /healthz answers `healthy()` and counts the probes it saw. */
async function healthServer(t: { after(fn: () => unknown): void }): Promise<{ target: ProbeTarget; state: { healthy: boolean; probes: number } }> {
  const state = { healthy: true, probes: 0 };
  const server = http.createServer((req, res) => {
    state.probes++;
    res.writeHead(state.healthy ? 200 : 503).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  const port = (server.address() as net.AddressInfo).port;
  return { target: { host: '127.0.0.1', port, containerPort: 8080 }, state };
}

/** A real gRPC server (grpc-js) with grpc.health.v1.Health/Check answering from `statuses`. */
async function healthGrpc(t: { after(fn: () => unknown): void }, statuses: Record<string, number>): Promise<number> {
  const server = new grpc.Server();
  const raw = (b: Buffer): Buffer => b;
  const service = { check: { path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } };
  server.addService(service, {
    check: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      // HealthCheckRequest: field 1 (service) is a length-delimited string.
      const req = call.request;
      const name = req.length > 2 && req[0] === 0x0a ? req.subarray(2, 2 + req[1]).toString() : '';
      const status = statuses[name];
      if (status === undefined) return cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      cb(null, Buffer.from([0x08, status]));
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  t.after(() => new Promise<void>((r) => server.tryShutdown(() => r())));
  return port;
}

test('grpc probe: SERVING passes; NOT_SERVING, an unknown service and a closed port fail', async (t) => {
  const port = await healthGrpc(t, { '': 1, 'knit.Up': 1, 'knit.Down': 2 });
  assert.equal(await grpcProbe('127.0.0.1', port, '', 1000), true);
  assert.equal(await grpcProbe('127.0.0.1', port, 'knit.Up', 1000), true);
  assert.equal(await grpcProbe('127.0.0.1', port, 'knit.Down', 1000), false);
  assert.equal(await grpcProbe('127.0.0.1', port, 'knit.Nope', 1000), false);
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));
  assert.equal(await grpcProbe('127.0.0.1', closedPort, '', 1000), false);
  // The serving port's number in the spec maps to the instance's published port.
  assert.equal(await probeOnce({ grpc: { port: 8080 } }, { host: '127.0.0.1', port, containerPort: 8080 }, 1000), true);
});

test('grpc probe: a plain HTTP/1 server is a failure, not a hang', async (t) => {
  const { target } = await healthServer(t);
  const t0 = Date.now();
  assert.equal(await grpcProbe(target.host, target.port, '', 500), false);
  assert.ok(Date.now() - t0 < 2000);
});

test('httpGet probe with scheme HTTPS: a certificate from an untrusted CA is accepted, as by the kubelet; a 500 fails', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-probe-tls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pki = ensureApiPki(dir, ['127.0.0.1']);
  const server = https.createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => res.writeHead(req.url === '/bad' ? 500 : 204).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  const target: ProbeTarget = { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, containerPort: 8080 };
  assert.equal(await probeOnce({ httpGet: { path: '/ok', scheme: 'HTTPS' } }, target, 2000), true);
  assert.equal(await probeOnce({ httpGet: { path: '/bad', scheme: 'HTTPS' } }, target, 2000), false);
  assert.equal(await probeOnce({ httpGet: { path: '/ok' } }, target, 2000), false, 'plain HTTP to a TLS port fails');
});

test('exec probe: exit code 0 passes, anything else fails', async () => {
  const target: ProbeTarget = { host: '127.0.0.1', port: 1, containerPort: 8080 };
  assert.equal(await probeOnce({ exec: { command: [process.execPath, '-e', 'process.exit(0)'] } }, target, 5000), true);
  assert.equal(await probeOnce({ exec: { command: [process.execPath, '-e', 'process.exit(1)'] } }, target, 5000), false);
  assert.equal(await probeOnce({ exec: { command: ['/nonexistent/knit-probe'] } }, target, 5000), false);
});

test('readiness with periodSeconds 0: ready at once, then re-checked at the default period until failureThreshold failures make it unready', async (t) => {
  const { target, state } = await healthServer(t);
  const events: string[] = [];
  const loop = new ProbeLoop({ httpGet: { path: '/healthz' }, failureThreshold: 2 }, target, { onReady: () => events.push('ready'), onUnready: () => events.push('unready') }, FAST);
  t.after(() => loop.stop());
  await until('ready', () => events.length === 1);
  const seen = state.probes;
  await until('re-probed after startup', () => state.probes >= seen + 2);
  assert.deepEqual(events, ['ready']);
  state.healthy = false;
  const failedAt = Date.now();
  await until('unready', () => events.length === 2);
  assert.deepEqual(events, ['ready', 'unready']);
  // Two failures at the 200 ms default period (plus the probe in flight): well under a second.
  assert.ok(Date.now() - failedAt < 1500, `unready after ${Date.now() - failedAt}ms`);
  state.healthy = true;
  await until('ready again', () => events.length === 3);
  assert.equal(events[2], 'ready');
});

test('readiness with a period: successThreshold successes in a row make it ready', async (t) => {
  const { target, state } = await healthServer(t);
  let ready = false;
  const loop = new ProbeLoop({ httpGet: { path: '/' }, periodSeconds: 1, successThreshold: 3 }, target, { onReady: () => (ready = true), onUnready: () => (ready = false) }, FAST);
  t.after(() => loop.stop());
  await until('ready', () => ready);
  assert.ok(state.probes >= 3, `ready after ${state.probes} probes`);
});

test('liveness: healthy keeps probing on its period; failureThreshold failures in a row call onFailure once', async (t) => {
  const { target, state } = await healthServer(t);
  const failures: number[] = [];
  const w = new ProbeWorker('liveness', { httpGet: { path: '/healthz' }, periodSeconds: 1, failureThreshold: 3 }, target, { onFailure: (n) => failures.push(n) }, FAST);
  t.after(() => w.stop());
  await until('probed a few times', () => state.probes >= 4);
  assert.deepEqual(failures, []);
  state.healthy = false;
  await until('failed', () => failures.length > 0);
  const probes = state.probes;
  assert.deepEqual(failures, [3]);
  // It stops after reporting (the container is being restarted): five periods later, no further probe.
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(state.probes, probes);
});

test('liveness: initialDelaySeconds holds off the first probe', async (t) => {
  const { target, state } = await healthServer(t);
  const t0 = Date.now();
  const w = new ProbeWorker('liveness', { httpGet: { path: '/healthz' }, initialDelaySeconds: 10, periodSeconds: 1 }, target, { onFailure: () => {} }, FAST);
  t.after(() => w.stop());
  await until('probed', () => state.probes > 0);
  // Ten probe seconds of 20 ms.
  assert.ok(Date.now() - t0 >= 190, `first probe after ${Date.now() - t0}ms`);
});

test('startup: the first success ends it; failureThreshold × period without success calls onFailure', async (t) => {
  const { target, state } = await healthServer(t);
  state.healthy = false;
  let passed = 0;
  const failed: number[] = [];
  const ok = new ProbeWorker('startup', { httpGet: { path: '/' }, periodSeconds: 1, failureThreshold: 30 }, target, { onSuccess: () => passed++, onFailure: (n) => failed.push(n) }, FAST);
  t.after(() => ok.stop());
  await until('probing', () => state.probes >= 2);
  state.healthy = true;
  await until('passed', () => passed === 1);
  const probes = state.probes;
  // Five periods later, no further probe.
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(state.probes, probes, 'a startup probe stops once it succeeded');
  state.healthy = false;
  const t0 = Date.now();
  const bad = new ProbeWorker('startup', { httpGet: { path: '/' }, periodSeconds: 2, failureThreshold: 3 }, target, { onSuccess: () => passed++, onFailure: (n) => failed.push(n) }, FAST);
  t.after(() => bad.stop());
  await until('failed', () => failed.length === 1);
  assert.deepEqual(failed, [3]);
  assert.equal(passed, 1);
  // Failures at 0, 40 and 80 ms: about (failureThreshold - 1) × period.
  assert.ok(Date.now() - t0 >= 70, `failed after ${Date.now() - t0}ms`);
});
