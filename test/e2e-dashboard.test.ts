// The dashboard (docs/configuration.md "Dashboard") in a real headless Chromium driven by playwright-core: log in,
// create from examples/helloworld, update, split traffic 50/50, tag, watch instances go to zero and back, tail the
// log, delete; zero unexpected console errors; 200 services render first in under 1 s.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { chromium, type Browser, type Page } from 'playwright-core';
import { EXAMPLES, KnitServer, REPO, apiRequest, eventually } from './harness.ts';
import { EventSink, ceHeaders, postToBroker } from './eventing-sink.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = fs.existsSync(CHROMIUM) ? false : 'no /usr/bin/chromium (scripts/test-deps.sh installs Debian\'s chromium)';
const SVC = '/apis/serving.knative.dev/v1/namespaces/default/services';

let knit: KnitServer;
let browser: Browser | undefined;
let artifacts: string;

/** The base64 SHA-256 of the API certificate's public key, for Chromium's --ignore-certificate-errors-spki-list (a pin, not a blanket). */
async function spkiPin(api: string): Promise<string> {
  const u = new URL(api);
  const cert = await new Promise<crypto.X509Certificate>((resolve, reject) => {
    const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: knit.caPem(), servername: 'localhost', rejectUnauthorized: false }, () => {
      const raw = s.getPeerX509Certificate();
      s.destroy();
      if (raw) resolve(raw);
      else reject(new Error('no peer certificate'));
    });
    s.on('error', reject);
  });
  return crypto.createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

before(async () => {
  if (skip) return;
  // Screenshots are the test's artifacts: $KNIT_TEST_ARTIFACTS/dashboard, else test-artifacts/dashboard in the
  // repository (ignored by git), replaced on each run.
  artifacts = path.join(process.env.KNIT_TEST_ARTIFACTS ?? path.join(REPO, 'test-artifacts'), 'dashboard');
  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(artifacts, { recursive: true });
  knit = await new KnitServer([], undefined, 'autoscaler:\n  scale-to-zero-grace-period: 1s\n  stable-window: 6s\n  allow-zero-initial-scale: true\n').start();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [`--ignore-certificate-errors-spki-list=${await spkiPin(knit.endpoints.api)}`, '--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await knit?.cleanup();
});

/** Every console error and page error of `page`. */
function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  // ERR_NETWORK_CHANGED is Chromium noticing an interface come or go (podman's, from tests running beside this one);
  // the page retries what failed, so it is the host's noise, not the page's error.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('net::ERR_NETWORK_CHANGED')) errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/** Opens the dashboard; Chromium aborts a navigation with ERR_NETWORK_CHANGED when an interface comes or goes (podman's, on a shared host). */
async function open(page: Page): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(`${knit.endpoints.api}/dashboard/`);
      return;
    } catch (err) {
      if (attempt >= 5 || !String(err).includes('ERR_NETWORK_CHANGED')) throw err;
    }
  }
}

const cell = (page: Page, name: string, col: number) => page.locator(`#services tbody tr[data-name="${name}"] td:nth-child(${col})`);

async function hostOf(name: string): Promise<string> {
  return eventually(`${name}'s URL`, async () => {
    const r = await knit.api('GET', `${SVC}/${name}`);
    const url = (r.json as { status?: { url?: string } }).status?.url;
    return url ? new URL(url).host : undefined;
  }, 20_000, 100);
}

test('log in, create, update, split 50/50, tag, scale to zero and back, tail logs, delete', { skip, timeout: 240_000 }, async () => {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const errors = consoleErrors(page);
    page.on('dialog', (d) => void d.accept());
    await open(page);

    // A wrong token is refused with a clear message (the browser logs the 401 it got).
    await page.getByLabel('API token').fill('wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#login-error', { hasText: 'The API refused the token (401 Unauthorized).' }).waitFor();
    await page.getByLabel('API token').fill(knit.token);
    await page.getByLabel('API token').press('Enter'); // keyboard: submit the form
    await page.locator('#app').waitFor();

    // Create from the example directory, as `knit service create --image DIR` does.
    await page.getByText('Create a service').click();
    await page.getByLabel('Name', { exact: true }).fill('dash-hello');
    await page.getByLabel('Image, file:// URL or directory path').fill(path.join(EXAMPLES, 'helloworld'));
    await page.getByRole('button', { name: 'Create' }).click();
    await cell(page, 'dash-hello', 6).filter({ hasText: 'True' }).waitFor({ timeout: 60_000 });
    assert.equal(await cell(page, 'dash-hello', 5).textContent(), '3 OK / 3');
    // The new service is selected; its update form starts from its spec.
    assert.equal(await page.getByLabel('Image', { exact: true }).inputValue(), `file://${path.join(EXAMPLES, 'helloworld')}`);
    const host = await hostOf('dash-hello');
    const first = await knit.request(host);
    assert.equal(first.body, 'Hello World!\n');

    // A second create of the same name: the API's refusal is shown.
    await page.getByLabel('Name', { exact: true }).fill('dash-hello');
    await page.getByLabel('Image, file:// URL or directory path').fill(path.join(EXAMPLES, 'helloworld'));
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#error', { hasText: 'services.serving.knative.dev "dash-hello" already exists' }).waitFor();

    // Update the env: a second revision.
    await page.getByRole('button', { name: 'Show service dash-hello' }).click();
    await page.getByLabel('Environment (one NAME=value per line)').last().fill('TARGET=Dash');
    await page.getByRole('button', { name: 'Update' }).click();
    await page.locator('#revisions tbody tr', { hasText: 'dash-hello-00002' }).waitFor({ timeout: 30_000 });
    await eventually('the update served', async () => (await knit.request(host)).body === 'Hello Dash!\n', 60_000, 200);

    // kn's check of the split, before any request.
    await page.getByLabel('Traffic percent for dash-hello-00001').fill('60');
    await page.getByLabel('Traffic percent for dash-hello-00002').fill('50');
    await page.getByRole('button', { name: 'Apply traffic' }).click();
    await eventually('kn\'s error for a sum over 100', async () => (await page.locator('#error').textContent()) === 'given traffic percents sum to 110, want <=100', 10_000, 50)
      .catch(async (err: Error) => { throw new Error(`${err.message}: shown ${await page.locator('#error').textContent()}, sum ${await page.locator('#traffic-sum').textContent()}`); });
    // 50/50 with the controls, then through the gateway both revisions answer.
    await page.getByLabel('Traffic percent for dash-hello-00001').fill('50');
    await page.getByRole('button', { name: 'Apply traffic' }).click();
    await eventually('the 50/50 split in status', async () => {
      const t = ((await knit.api('GET', `${SVC}/dash-hello`)).json as { status?: { traffic?: { revisionName: string; percent: number }[] } }).status?.traffic ?? [];
      return t.length === 2 && t.every((x) => x.percent === 50);
    }, 30_000, 100);
    assert.equal(await page.locator('#error').textContent(), '');
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const r = await knit.request(host);
      seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), ['Hello Dash!\n', 'Hello World!\n'], JSON.stringify([...seen]));

    // Tag the first revision: its tag and URL appear; untag removes them and keeps the split.
    await page.getByLabel('New tag for dash-hello-00001').fill('old');
    await page.getByRole('button', { name: 'Tag dash-hello-00001' }).click();
    await page.locator('#revisions tbody tr', { hasText: 'dash-hello-00001' }).filter({ hasText: 'old-dash-hello' }).waitFor({ timeout: 30_000 });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(artifacts, 'dashboard-1280x800.png') });
    await page.getByRole('button', { name: 'Untag old' }).click();
    await page.getByRole('button', { name: 'Untag old' }).waitFor({ state: 'detached', timeout: 30_000 });

    // Idle: the instance count goes to zero; a request brings it back.
    await cell(page, 'dash-hello', 8).filter({ hasText: /^0$/ }).waitFor({ timeout: 60_000 });
    const back = knit.request(host);
    await cell(page, 'dash-hello', 8).filter({ hasText: /^[1-9]\d*$/ }).waitFor({ timeout: 30_000 });
    assert.match((await back).body, /^Hello (World|Dash)!\n$/);
    // The per-revision counters: every request the test sent through the gateway, and the cold start it caused.
    const sumOf = async (attr: string) => (await page.locator(`#revisions td[${attr}]`).allTextContents()).reduce((a, t) => a + Number.parseInt(t, 10), 0);
    await eventually('the cold start counted', async () => (await sumOf('data-cold-starts')) >= 1, 10_000, 100);
    assert.ok((await sumOf('data-requests')) >= 42, `requests counted: ${await sumOf('data-requests')}`);

    // The log tail of the first revision shows the example's start-up line.
    await page.getByLabel('Revision', { exact: true }).selectOption('dash-hello-00001');
    await page.getByRole('button', { name: 'Tail logs' }).click();
    await page.locator('#log', { hasText: 'helloworld: listening on port' }).waitFor({ timeout: 30_000 });

    // Phone-sized viewport: the controls are still there and reachable.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Delete service' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(artifacts, 'dashboard-390x844.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole('button', { name: 'Delete service' }).click();
    await page.locator('#services tbody tr[data-name="dash-hello"]').waitFor({ state: 'detached', timeout: 30_000 });
    await eventually('the service gone', async () => (await knit.api('GET', `${SVC}/dash-hello`)).status === 404, 30_000, 100);
    assert.equal(await page.locator('#error').textContent(), '');

    // Only the two refusals the test caused, as Chromium logs a failed fetch.
    assert.deepEqual(errors.filter((e) => !/the server responded with a status of (401|409)/.test(e)), []);
    assert.equal(errors.length, 2, errors.join('\n'));
  } finally {
    await context.close();
  }
});

test('200 services render first in under 1 s', { skip, timeout: 240_000 }, async (t) => {
  const names = Array.from({ length: 200 }, (_, i) => `dash-many-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(names.slice(i, i + 20).map(async (name) => {
      const r = await knit.api('POST', SVC, {
        apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name },
        spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/initial-scale': '0' } }, spec: { containers: [{ image: `file://${path.join(EXAMPLES, 'helloworld')}` }] } } },
      });
      assert.equal(r.status, 201, JSON.stringify(r.json));
    }));
  }
  // The controllers are done with them (each has its Ready condition): the page is measured, not the reconcile burst.
  await eventually('200 reconciled services', async () => {
    const items = ((await knit.api('GET', `${SVC}?labelSelector=`)).json as { items?: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }).items ?? [];
    return items.filter((s) => s.metadata.name.startsWith('dash-many-') && s.status?.conditions?.some((c) => c.type === 'Ready' && c.status !== 'Unknown')).length === 200;
  }, 120_000, 500);
  const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    await context.addInitScript(`sessionStorage.setItem('knit-token', ${JSON.stringify(knit.token)})`);
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await open(page);
    // The time since navigation start at the first frame that shows the 200 rows.
    // A function, not a string: a string predicate is eval'd in the page, which its CSP (no 'unsafe-eval') refuses.
    const shown = await page.waitForFunction(() => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(selector: string): { length: number } } }).document;
      return doc.querySelectorAll('#services tbody tr[data-name^=dash-many-]').length >= 200 && performance.now();
    }, undefined, { timeout: 10_000, polling: 'raf' });
    const ms = await shown.jsonValue() as number;
    const timing = await page.evaluate(`JSON.stringify(performance.getEntriesByType('resource').map((e) => [e.name.replace(/^https:[/][/][^/]+/, ''), Math.round(e.startTime), Math.round(e.responseEnd)]))`);
    t.diagnostic(`first frame with 200 services: ${Math.round(ms)} ms after navigation start`);
    assert.ok(ms < 1000, `200 services first rendered after ${Math.round(ms)} ms: ${String(timing)}`);
    assert.equal(await page.locator('#services tbody tr[data-name^=dash-many-]').count(), 200);
    await page.screenshot({ path: path.join(artifacts, 'dashboard-200.png') });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('Eventing: brokers and triggers with their Ready state, and the events each accepted and delivered', { skip, timeout: 120_000 }, async () => {
  const sink = await new EventSink().start();
  const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const EV = '/apis/eventing.knative.dev/v1/namespaces/default';
    const b = await knit.api('POST', `${EV}/brokers`, { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'dash-broker' }, spec: {} });
    assert.equal(b.status, 201, JSON.stringify(b.json));
    const t = await knit.api('POST', `${EV}/triggers`, { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 'dash-trigger' }, spec: { broker: 'dash-broker', subscriber: { uri: sink.url } } });
    assert.equal(t.status, 201, JSON.stringify(t.json));
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await open(page);
    await page.getByLabel('API token').fill(knit.token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#app').waitFor();
    const brokerRow = page.locator('#brokers tr[data-broker="dash-broker"]');
    await brokerRow.locator('td.ok', { hasText: 'True' }).waitFor({ timeout: 20_000 });
    assert.match(await brokerRow.innerText(), /http:\/\/broker-ingress\.knative-eventing\.svc\.cluster\.local\/default\/dash-broker/);
    const triggerRow = page.locator('#triggers tr[data-trigger="dash-trigger"]');
    await triggerRow.locator('td.ok', { hasText: 'True' }).waitFor({ timeout: 20_000 });
    assert.match(await triggerRow.innerText(), new RegExp(sink.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    for (const id of ['d-1', 'd-2']) {
      const r = await postToBroker(knit.endpoints.localHttp, '/default/dash-broker', ceHeaders(id, 'com.example.dash'), '{}');
      assert.equal(r.status, 202);
    }
    await eventually('both events at the sink', () => (sink.withId('d-1').length > 0 && sink.withId('d-2').length > 0 ? true : undefined), 10_000);
    // The counters arrive with the next metrics poll (every 2 s).
    await page.locator('[data-accepted="dash-broker"]', { hasText: '2' }).waitFor({ timeout: 10_000 });
    await page.locator('[data-delivered="dash-trigger"]', { hasText: '2' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(artifacts, 'eventing.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await sink.close();
  }
});

test('the page is served without a token, only its own files; its metrics need the token', { skip }, async () => {
  const get = (p: string, headers: Record<string, string> = {}) => apiRequest(knit.endpoints.api, knit.caPem(), 'GET', p, headers);
  const page = await get('/dashboard/');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  assert.equal((await get('/dashboard')).status, 301);
  assert.equal((await get('/dashboard/app.js')).headers['content-type'], 'text/javascript; charset=utf-8');
  for (const p of ['/dashboard/../token', '/dashboard/static.ts', '/dashboard/%2e%2e/token', '/dashboard/assets/app.js']) assert.equal((await get(p)).status, 404, p);
  assert.equal((await get('/dashboard/api/namespaces/default/metrics')).status, 401);
  const m = await get('/dashboard/api/namespaces/default/metrics', { authorization: `Bearer ${knit.token}` });
  assert.equal(m.status, 200);
  const mb = JSON.parse(m.body) as { items: unknown; eventing?: { brokers: unknown; triggers: unknown } };
  assert.ok(Array.isArray(mb.items));
  assert.ok(Array.isArray(mb.eventing?.brokers) && Array.isArray(mb.eventing?.triggers), m.body);
  const post = await apiRequest(knit.endpoints.api, knit.caPem(), 'POST', '/dashboard/', {}, 'x');
  assert.equal(post.status, 405);
});
