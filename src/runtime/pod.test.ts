// file:// pods on the process runtime: two pods of one revision each reach their own sidecar on 127.0.0.1:8090, a crashed sidecar is restarted in its pod.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProcessRuntime } from './process.ts';
import { detectSandbox } from './sandbox.ts';
import { get, waitFor } from './contract.ts';
import type { Instance, InstanceExit, InstanceSpec } from './runtime.ts';
import type { PodInstance } from './pod.ts';

const APP = pathToFileURL(path.resolve(import.meta.dirname, '../../test/fixtures/sidecar-app')).href;
const sandbox = detectSandbox();
const skip = sandbox.ok ? false : `file:// pods need the sandbox: ${sandbox.why}`;

/**
 * A GET that is retried until it answers 200: without a readiness probe a sidecar counts as ready once
 * running (as the kubelet counts it), before it listens.
 */
async function getOk(inst: Instance, pathname = '/'): Promise<{ status: number; body: string }> {
  let r = await get(inst, pathname);
  for (const deadline = Date.now() + 10_000; r.status !== 200 && Date.now() < deadline; r = await get(inst, pathname)) await new Promise((res) => setTimeout(res, 50));
  return r;
}

function podSpec(dir: string, id: string, over: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    id,
    namespace: 'default',
    revision: 'pod-00001',
    configuration: 'pod',
    service: 'pod',
    container: { image: APP, name: 'app', ports: [{ containerPort: 8080 }] },
    image: APP,
    env: { K_REVISION: 'pod-00001' },
    containerPort: 8080,
    gracePeriodSeconds: 5,
    logFile: path.join(dir, `${id}.log`),
    sidecars: [{ container: { image: APP, name: 'side', env: [{ name: 'ROLE', value: 'sidecar' }] }, image: APP, env: { ROLE: 'sidecar', GREETING: id }, logFile: path.join(dir, 'side', `${id}.log`) }],
    ...over,
  };
}

test('file:// pods: two at once reach their own sidecar on localhost:8090; a crashed sidecar restarts; stop removes the namespace', { skip }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-pod-ctr-'));
  const rt = new ProcessRuntime({ sandbox });
  const started: Instance[] = [];
  t.after(async () => {
    await Promise.all(started.map((i) => i.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const a = rt.start(podSpec(dir, 'pod-a'));
  const b = rt.start(podSpec(dir, 'pod-b'));
  started.push(a, b);
  await Promise.all([waitFor(a, 'ready', 15_000), waitFor(b, 'ready', 15_000)]);
  const ra = await getOk(a);
  const rb = await getOk(b);
  assert.equal(ra.status, 200, ra.body);
  assert.match(ra.body, /^serving \w+ via sidecar \w+ pod-a\n$/);
  assert.match(rb.body, /^serving \w+ via sidecar \w+ pod-b\n$/);
  assert.match(fs.readFileSync(path.join(dir, 'side', 'pod-a.log'), 'utf8'), /sidecar \w+ listening on :8090/);
  assert.match(fs.readFileSync(path.join(dir, 'pod-a.log'), 'utf8'), /serving \w+ listening on 8080/);

  // The sidecar crashes: the pod turns unready, the sidecar is restarted (restartCount 1), the pod is ready again.
  const firstSidecar = /via sidecar (\w+)/.exec(ra.body)![1];
  const readyAgain = waitFor(a, 'unready', 10_000).then(() => waitFor(a, 'ready', 15_000));
  await get(a, '/crash');
  await readyAgain;
  const side = (a as PodInstance).sidecars()[0];
  assert.equal(side.restartCount, 1);
  assert.equal(side.lastExit?.code, 1);
  const again = await getOk(a);
  assert.match(again.body, /via sidecar \w+ pod-a/);
  assert.notEqual(/via sidecar (\w+)/.exec(again.body)![1], firstSidecar);
  assert.equal(side.previousLogFile, path.join(dir, 'side', 'pod-a.log'));
  assert.equal(side.logFile, path.join(dir, 'side', 'pod-a-1.log'));

  const exited = waitFor<InstanceExit>(b, 'exit', 10_000);
  await b.stop();
  assert.equal((await exited).requested, true);
  await assert.rejects(get(b, '/'));
});

test('file:// pods: without the sandbox a multi-container instance is refused with a reason', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-pod-ctr-'));
  try {
    const inst = new ProcessRuntime({ sandbox: 'off' }).start(podSpec(dir, 'pod-off'));
    const exit = await waitFor<InstanceExit>(inst, 'exit', 5_000);
    assert.equal(exit.reason, 'CreateContainerError');
    assert.match(exit.message, /several containers .* network namespace of their own.*KNIT_SANDBOX=off/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('file:// pods: a sidecar whose image another runtime runs is refused with a reason', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-pod-ctr-'));
  try {
    const s = podSpec(dir, 'pod-mixed');
    s.sidecars = [{ ...s.sidecars![0], image: 'docker.io/library/redis:7' }];
    const inst = new ProcessRuntime({ sandbox }).start(s);
    const exit = await waitFor<InstanceExit>(inst, 'exit', 5_000);
    assert.equal(exit.reason, 'CreateContainerError');
    assert.match(exit.message, /container side cannot run in this pod: its image "docker\.io\/library\/redis:7" needs another runtime/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
