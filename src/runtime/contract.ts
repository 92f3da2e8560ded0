// The runtime contract suite (knative/specs specs/serving/runtime-contract.md): every Runtime implementation runs these same tests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Instance, InstanceExit, InstanceSpec, Runtime } from './runtime.ts';

/** How a runtime under test names the contract's two fixture apps. */
export interface ContractImages {
  /** An image of test/fixtures/runtime-app (reports what it sees). */
  probeApp: string;
  /** An image of test/fixtures/crash-app (exits 3 before listening). */
  crashApp: string;
}

/** A GET to the instance itself (no keep-alive: an instance may be stopped right after). */
export function get(inst: Instance, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: inst.host, port: inst.port, path: pathname, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The instance's next `event` ('ready', 'exit'), failing after `ms` with its last log lines. */
export function waitFor<T>(inst: Instance, event: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms}ms; logs: ${inst.lastLogLines(10).join(' | ')}`)), ms);
    inst.once(event, (v: T) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

/** Registers the contract tests for one runtime. */
export function runtimeContract(name: string, runtime: Runtime, images: ContractImages): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `knit-contract-${name}-`));
  const started: Instance[] = [];
  let n = 0;
  const spec = (over: Partial<InstanceSpec> & { image: string }): InstanceSpec => ({
    id: `${name}-${process.pid}-${++n}`, // unique across test processes: podman container names are machine-wide
    namespace: 'default',
    revision: 'probe-00001',
    configuration: 'probe',
    service: 'probe',
    container: { image: over.image },
    env: { K_REVISION: 'probe-00001', K_CONFIGURATION: 'probe', K_SERVICE: 'probe', TARGET: 'contract' },
    containerPort: 8080,
    gracePeriodSeconds: 5,
    logFile: path.join(dir, `${name}-${process.pid}-${n}.log`),
    ...over,
  });
  const start = (s: InstanceSpec): Instance => {
    const inst = runtime.start(s);
    started.push(inst);
    return inst;
  };

  test.after(async () => {
    await Promise.all(started.map((i) => i.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test(`${name}: PORT, K_* and the container env reach the app; stdin is EOF; /tmp is writable`, async () => {
    process.env.KNIT_CONTRACT_SECRET = 'must-not-leak';
    const inst = start(spec({ image: images.probeApp }));
    await waitFor(inst, 'ready', 10_000).finally(() => delete process.env.KNIT_CONTRACT_SECRET);
    const seen = JSON.parse((await get(inst, '/')).body);
    assert.equal(seen.env.K_REVISION, 'probe-00001');
    assert.equal(seen.env.K_CONFIGURATION, 'probe');
    assert.equal(seen.env.K_SERVICE, 'probe');
    assert.equal(seen.env.TARGET, 'contract');
    assert.match(seen.env.PORT, /^\d+$/);
    assert.equal(seen.stdinEOF, true);
    assert.equal(seen.tmpWritable, true);
    assert.equal(seen.env.KNIT_CONTRACT_SECRET, undefined, "knit's own environment never leaks into instances");
  });

  test(`${name}: command, args and workingDir are honoured`, async () => {
    const inst = start(spec({ image: images.probeApp, container: { image: images.probeApp, command: ['node', 'server.js'], args: ['abra', 'cadabra'] } }));
    await waitFor(inst, 'ready', 10_000);
    const seen = JSON.parse((await get(inst, '/')).body);
    assert.deepEqual(seen.argv, ['abra', 'cadabra']);
  });

  test(`${name}: readiness waits for the port; an httpGet probe is used when declared`, async () => {
    const inst = start(spec({ image: images.probeApp, env: { START_DELAY_MS: '300' }, readinessProbe: { httpGet: { path: '/' } } }));
    assert.equal(inst.state, 'starting');
    await waitFor(inst, 'ready', 10_000);
    assert.ok((inst.startupMs ?? 0) >= 250, `ready after ${inst.startupMs}ms although the app listens after 300ms`);
  });

  test(`${name}: an app that exits before it is ready reports ExitCode<N> and its last output`, async () => {
    const inst = start(spec({ image: images.crashApp }));
    const exit = await waitFor<InstanceExit>(inst, 'exit', 10_000);
    assert.equal(exit.reason, 'ExitCode3');
    assert.equal(exit.beforeReady, true);
    assert.equal(exit.requested, false);
    assert.match(exit.message, /^Container failed with: .*fatal: missing DATABASE_URL/s);
  });

  test(`${name}: runAsUser and runAsGroup are the ids the app runs as`, async () => {
    const inst = start(spec({ image: images.probeApp, container: { image: images.probeApp, securityContext: { runAsUser: 4321, runAsGroup: 4322 } } }));
    await waitFor(inst, 'ready', 10_000);
    const seen = JSON.parse((await get(inst, '/')).body);
    assert.deepEqual([seen.uid, seen.euid, seen.gid], [4321, 4321, 4322]);
  });

  test(`${name}: the app cannot read the host's files outside its image (a private directory, its own log file)`, async () => {
    const secretDir = fs.mkdtempSync(path.join(dir, 'private-'));
    fs.writeFileSync(path.join(secretDir, 'token'), 'secret\n', { mode: 0o600 });
    const s = spec({ image: images.probeApp });
    const paths = [secretDir, path.join(secretDir, 'token'), dir, s.logFile];
    s.env = { ...s.env, PROBE_PATHS: paths.join(':') };
    const inst = start(s);
    await waitFor(inst, 'ready', 10_000);
    const seen = JSON.parse((await get(inst, '/')).body);
    assert.deepEqual(seen.readable, Object.fromEntries(paths.map((p) => [p, false])));
  });

  test(`${name}: stop sends SIGTERM and the app may exit cleanly`, async () => {
    const inst = start(spec({ image: images.probeApp }));
    await waitFor(inst, 'ready', 10_000);
    const exited = waitFor<InstanceExit>(inst, 'exit', 10_000);
    await inst.stop();
    const exit = await exited;
    assert.equal(exit.requested, true);
    assert.equal(exit.code, 0);
    assert.ok(inst.lastLogLines(5).includes('got SIGTERM'));
  });

  test(`${name}: SIGKILL follows when the grace period runs out`, async () => {
    const inst = start(spec({ image: images.probeApp, gracePeriodSeconds: 0.2, container: { image: images.probeApp, command: ['node', '-e', "process.on('SIGTERM',()=>{});require('http').createServer(()=>{}).listen(process.env.PORT)"] } }));
    await waitFor(inst, 'ready', 10_000);
    const exited = waitFor<InstanceExit>(inst, 'exit', 5_000);
    const t0 = Date.now();
    await inst.stop();
    const exit = await exited;
    assert.equal(exit.code, 128 + 9);
    assert.ok(Date.now() - t0 < 3000);
  });

  test(`${name}: a failed liveness probe kills the container and reports a crash, not a requested stop`, async () => {
    const livenessProbe = { httpGet: { path: '/healthz' }, periodSeconds: 1, failureThreshold: 2 };
    const inst = start(spec({ image: images.probeApp, container: { image: images.probeApp, livenessProbe } }));
    await waitFor(inst, 'ready', 10_000);
    // Healthy: a few liveness periods pass without a restart.
    const healthyExit = waitFor<InstanceExit>(inst, 'exit', 2_500).then(() => 'exited', () => 'alive');
    assert.equal(await healthyExit, 'alive');
    const exited = waitFor<InstanceExit>(inst, 'exit', 10_000);
    const t0 = Date.now();
    assert.equal((await get(inst, '/start-failing')).status, 200);
    const exit = await exited;
    assert.equal(exit.requested, false, 'the replica is restarted like a crashed one');
    assert.equal(exit.beforeReady, false);
    assert.match(exit.message, /Liveness probe failed 2 times/);
    // failureThreshold × periodSeconds, plus the SIGTERM handling.
    assert.ok(Date.now() - t0 < 5_000, `killed after ${Date.now() - t0}ms`);
  });

  test(`${name}: a startup probe holds off readiness until it passes; one that never passes restarts the container`, async () => {
    const startupProbe = { httpGet: { path: '/startupz' }, periodSeconds: 1, failureThreshold: 10 };
    const inst = start(spec({ image: images.probeApp, env: { STARTUP_DELAY_MS: '600' }, container: { image: images.probeApp, startupProbe } }));
    await waitFor(inst, 'ready', 15_000);
    // The port listens at once (the default readiness probe would pass in milliseconds); /startupz passes after 600 ms.
    assert.ok((inst.startupMs ?? 0) >= 550, `ready after ${inst.startupMs}ms although the startup probe fails for 600ms`);
    const never = start(spec({ image: images.probeApp, env: { STARTUP_DELAY_MS: '600000' }, container: { image: images.probeApp, startupProbe: { ...startupProbe, failureThreshold: 2 } } }));
    let becameReady = false;
    never.once('ready', () => (becameReady = true));
    const exit = await waitFor<InstanceExit>(never, 'exit', 15_000);
    assert.equal(becameReady, false);
    assert.equal(exit.requested, false);
    assert.match(exit.message, /Startup probe failed 2 times/);
  });

  test(`${name}: with periodSeconds 0, readiness keeps being checked after startup (every 10 s) and a failing instance turns unready`, async () => {
    // The API refuses failureThreshold with periodSeconds 0 (the default 3 applies there); the runtime honours it, which keeps this test at one period.
    const inst = start(spec({ image: images.probeApp, readinessProbe: { httpGet: { path: '/healthz' }, failureThreshold: 1 } }));
    await waitFor(inst, 'ready', 10_000);
    const unready = waitFor(inst, 'unready', 15_000);
    const t0 = Date.now();
    assert.equal((await get(inst, '/start-failing')).status, 200);
    await unready;
    assert.equal(inst.state, 'starting');
    // One failure at Kubernetes' default period of 10 s.
    assert.ok(Date.now() - t0 < 12_000, `unready after ${Date.now() - t0}ms`);
  });
}
