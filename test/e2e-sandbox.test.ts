// The takeover attack against a sandboxed `file://` workload (docs/architecture.md "Sandbox"): it
// tries to read knit's token, store, data directory and another instance's environment, and to call
// the API with what it found; every attempt fails. runAsNonRoot with uid 0 fails the revision.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, KnitServer, eventually } from './harness.ts';
import { detectSandbox } from '../src/runtime/sandbox.ts';

const support = detectSandbox();
const skip = support.ok ? false : `no sandbox here (${support.why})`;
const ATTACK = pathToFileURL(path.join(FIXTURES, 'attack-app')).href;
const VICTIM = pathToFileURL(path.join(FIXTURES, 'runtime-app')).href;
const SECRET = `s3cr3t-${randomBytes(8).toString('hex')}`;

let knit: KnitServer;

before(async () => {
  if (!skip) knit = await new KnitServer().start();
});

after(async () => {
  await knit?.cleanup();
});

interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

async function create(name: string, container: Record<string, unknown>): Promise<void> {
  const r = await knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name },
    spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/min-scale': '1' } }, spec: { containers: [container] } } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
}

async function ready(name: string): Promise<void> {
  await eventually(`${name} to be Ready`, async () => {
    const s = (await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`)).json as { status?: { conditions?: Cond[] } };
    return s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  }, 20_000);
}

test('a file:// workload cannot read the token, the store, the data directory or another instance environ, nor call the API', { skip }, async () => {
  await create('victim', { image: VICTIM, env: [{ name: 'SECRET_API_KEY', value: SECRET }] });
  await ready('victim');
  const victimPids = knit.instancePids();
  assert.ok(victimPids.length > 0, 'the victim runs');
  // The victim's process really holds the secret: knit (root, outside the sandbox) can read it.
  assert.ok(victimPids.some((pid) => fs.readFileSync(`/proc/${pid}/environ`, 'latin1').includes(SECRET)));
  const logs = path.join(knit.dataDir, 'logs');
  const victimLogs = fs.readdirSync(path.join(logs, 'default'), { recursive: true }).map(String).filter((f) => f.endsWith('.log')).map((f) => path.join(logs, 'default', f));
  assert.ok(victimLogs.length > 0);
  // The attacker is told everything a real one could guess or find: the data dir, pids and log paths.
  const targets = [
    knit.dataDir, path.join(knit.dataDir, 'token'), path.join(knit.dataDir, 'knit.db'), path.join(knit.dataDir, 'kubeconfig'), logs, ...victimLogs,
    ...victimPids.flatMap((pid) => [`/proc/${pid}/environ`, `/proc/${pid}/cmdline`]),
    ...(knit.pid ? [`/proc/${knit.pid}/environ`, `/proc/${knit.pid}/cmdline`] : []),
    '/dev/console', '/root',
  ];
  await create('attacker', { image: ATTACK, env: [{ name: 'ATTACK_PATHS', value: targets.join(':') }, { name: 'ATTACK_API', value: knit.endpoints.api }] });
  await ready('attacker');
  const r = await knit.request('attacker.default.example.com', '/');
  assert.equal(r.status, 200, r.body);
  const report = JSON.parse(r.body) as {
    uid: number;
    parent: { ok: boolean; value?: string };
    reads: Record<string, { ok: boolean; error?: string }>;
    token: string | null;
    environs: Record<string, string>;
    secrets: string[];
    api: { status?: number; error?: string };
  };
  assert.equal(report.uid, 65534, 'the workload runs as nobody, not as knit');
  assert.doesNotMatch(report.parent.value ?? '', /--data-dir/, "its parent's command line does not name knit's data dir");
  for (const t of targets) assert.equal(report.reads[t]?.ok, false, `${t} was readable: ${JSON.stringify(report.reads[t])}`);
  assert.equal(report.token, null);
  assert.deepEqual(report.secrets, []);
  assert.ok(!JSON.stringify(report).includes(SECRET), "the victim's secret appears nowhere in the report");
  // It sees only its own sandbox's processes: bwrap's init and its own.
  assert.ok(Object.keys(report.environs).length <= 3, JSON.stringify(report.environs));
  assert.equal(report.api.status, 401, `the API without a token: ${JSON.stringify(report.api)}`);
});

test('runAsNonRoot with runAsUser 0 fails the revision with the kubelet reason CreateContainerConfigError', { skip }, async () => {
  await create('rootless', { image: VICTIM, securityContext: { runAsNonRoot: true, runAsUser: 0 } });
  const cond = await eventually('the revision to fail', async () => {
    const list = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions?labelSelector=serving.knative.dev/service%3Drootless')).json as { items: { status?: { conditions?: Cond[] } }[] };
    return list.items[0]?.status?.conditions?.find((c) => c.type === 'ContainerHealthy' && c.status === 'False');
  }, 20_000);
  assert.equal(cond.reason, 'CreateContainerConfigError');
  assert.match(cond.message ?? '', /^container's runAsUser breaks non-root policy/);
});
