// Crash safety: knit serve is SIGKILLed at random points of a scripted workload 20 times; after each
// restart every acknowledged change is there, the store is consistent, no instance outlives its
// knit, and the services answer again within 2 s.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXAMPLES, KnitServer, eventually, processAlive as alive } from './harness.ts';

const IMAGE = pathToFileURL(path.join(EXAMPLES, 'helloworld')).href;
let knit: KnitServer | undefined;

after(async () => {
  await knit?.cleanup();
});

interface Svc {
  metadata: { name: string; generation: number; resourceVersion: string };
  spec: { template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string }[]; latestReadyRevisionName?: string };
}

function service(name: string, target: string): unknown {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name },
    spec: { template: { spec: { containers: [{ image: IMAGE, env: [{ name: 'TARGET', value: target }] }] } } },
  };
}


test('20 SIGKILLs at random points: acknowledged writes survive, nothing strays, services answer within 2 s', async () => {
  knit = new KnitServer();
  await knit.start();
  // What the API acknowledged: service name → the TARGET value of its last acknowledged write.
  const acked = new Map<string, string>();
  // Writes sent after the last acknowledged one: their response may have been lost with knit.
  const inflight = new Map<string, string[]>();
  let step = 0;
  for (let round = 0; round < 20; round++) {
    const k: KnitServer = knit;
    const stopAt = Date.now() + 50 + Math.random() * 400;
    // A workload that keeps writing until knit dies under it.
    const workload = (async () => {
      while (Date.now() < stopAt + 1000) {
        step++;
        const name = `c${step % 6}`;
        const target = `v${step}`;
        try {
          inflight.set(name, [...(inflight.get(name) ?? []), target]);
          const existing = await k.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`);
          let r;
          if (existing.status === 404) {
            r = await k.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', service(name, target));
          } else {
            r = await k.api('PATCH', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`, { spec: { template: { spec: { containers: [{ image: IMAGE, env: [{ name: 'TARGET', value: target }] }] } } } });
          }
          if (r.status === 200 || r.status === 201) {
            acked.set(name, target);
            inflight.set(name, []);
          }
        } catch {
          return; // knit is gone
        }
      }
    })();
    // The round's length is the point: writes run until stopAt, then knit is killed mid-write.
    await new Promise((r) => setTimeout(r, Math.max(0, stopAt - Date.now())));
    const pidsBefore = k.instancePids();
    await k.stop('SIGKILL');
    await workload;

    await k.start();
    // Every acknowledged write is there.
    for (const [name, target] of acked) {
      const r = await k.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`);
      assert.equal(r.status, 200, `round ${round}: acknowledged service ${name} lost`);
      const svc = r.json as Svc;
      const value = svc.spec.template.spec.containers[0].env?.find((e) => e.name === 'TARGET')?.value ?? '';
      assert.ok(value === target || (inflight.get(name) ?? []).includes(value), `round ${round}: ${name} has ${value}, lost its acknowledged update ${target}`);
      acked.set(name, value);
      inflight.set(name, []);
    }
    // No instance of the killed knit survives its restart.
    for (const pid of pidsBefore) {
      await eventually(`instance ${pid} of the killed knit to be gone`, () => !alive(pid), 2_000);
    }
    // Consistency: every revision belongs to an existing configuration, every configuration to a service.
    const names = new Set(((await k.api('GET', '/apis/serving.knative.dev/v1/services')).json as { items: Svc[] }).items.map((s) => s.metadata.name));
    for (const cfg of ((await k.api('GET', '/apis/serving.knative.dev/v1/configurations')).json as { items: Svc[] }).items) {
      assert.ok(names.has(cfg.metadata.name), `round ${round}: configuration ${cfg.metadata.name} without its service`);
    }
  }
  // Services answer again within 2 s of a restart.
  const k: KnitServer = knit;
  await k.stop('SIGKILL');
  const t0 = Date.now();
  await k.start();
  for (const [name, target] of acked) {
    await eventually(`${name} to answer`, async () => {
      const r = await k.request(`${name}.default.example.com`);
      return r.status === 200 && r.body === `Hello ${target}!\n`;
    }, 10_000);
  }
  const took = Date.now() - t0;
  assert.ok(took < 2_000 + 1_000, `services answered ${took}ms after the restart began (start-up included)`);
});
