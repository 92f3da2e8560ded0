// The Prometheus metrics end to end: promtool accepts knit's /metrics, a real Prometheus scrapes it and counts
// the requests and cold starts a known workload caused (docs/configuration.md "Metrics").

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, KnitServer, eventually } from './harness.ts';

const APP = pathToFileURL(path.join(FIXTURES, 'dataplane-app')).href;
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
if (!hasPromtool || !hasPrometheus) console.log('# metrics: promtool/prometheus missing (apt-get install prometheus): the promtool and Prometheus checks skip');

let knit: KnitServer;

before(async () => {
  knit = await new KnitServer([], undefined, 'autoscaler:\n  scale-to-zero-grace-period: 1s\n  allow-zero-initial-scale: true\n').start();
});

after(async () => {
  await knit?.cleanup();
});

async function scrape(url = knit.endpoints.metrics, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type: string | null }> {
  const r = await fetch(url, { headers });
  return { status: r.status, body: await r.text(), type: r.headers.get('content-type') };
}

async function ready(name: string): Promise<void> {
  await eventually(`${name} to be Ready`, async () => {
    const s = (await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`)).json as { status?: { conditions?: { type: string; status: string }[] } };
    return s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  }, 20_000);
}

async function actualReplicas(rev: string): Promise<number | undefined> {
  const r = (await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/revisions/${rev}`)).json as { status?: { actualReplicas?: number } };
  return r.status?.actualReplicas;
}

/** The value of one sample line `name{labels} value` whose labels include all of `want`. */
function sample(text: string, name: string, want: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels = /\{(.*)\}/.exec(line)?.[1] ?? '';
    if (Object.entries(want).every(([k, v]) => labels.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

test('endpoints.json names the metrics listener; /metrics is the Prometheus text format, other paths 404', async () => {
  const endpoints = JSON.parse(fs.readFileSync(path.join(knit.dataDir, 'endpoints.json'), 'utf8')) as { metrics: string };
  assert.match(endpoints.metrics, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const m = await scrape();
  assert.equal(m.status, 200);
  assert.match(m.type ?? '', /^text\/plain; version=0\.0\.4/);
  assert.match(m.body, /^# TYPE process_cpu_user_seconds_total counter$/m);
  assert.match(m.body, /^workqueue_depth\{name="revision"\} \d+$/m);
  assert.equal((await scrape(knit.endpoints.metrics.replace('/metrics', '/other'))).status, 404);
});

test('a known workload: Prometheus counts every request and every cold start, across a scale to zero and back', { timeout: 90_000 }, async (t) => {
  // Two revisions that start at zero: each one's first request is a cold start.
  await knit.createService('mone', APP, { 'autoscaling.knative.dev/initial-scale': '0', 'autoscaling.knative.dev/window': '6s' });
  await knit.createService('mtwo', APP, { 'autoscaling.knative.dev/initial-scale': '0' });
  await ready('mone');
  await ready('mtwo');
  let sent = 0;
  const get = async (host: string, p = '/'): Promise<void> => {
    const r = await knit.request(host, p);
    sent++;
    assert.equal(r.status, 200, r.body);
  };
  await Promise.all([get('mone.default.example.com'), get('mtwo.default.example.com')]);
  for (let i = 0; i < 10; i++) await get('mone.default.example.com');
  for (let i = 0; i < 5; i++) await get('mtwo.default.example.com', '/anything?x=1');
  let m = await scrape();
  assert.equal(sample(m.body, 'revision_cold_start_latencies_count', { revision_name: 'mone-00001' }), 1);
  assert.equal(sample(m.body, 'revision_cold_start_latencies_count', { revision_name: 'mtwo-00001' }), 1);
  assert.equal(sample(m.body, 'revision_request_count_total', { namespace_name: 'default', service_name: 'mone', configuration_name: 'mone', revision_name: 'mone-00001', response_code: '200', response_code_class: '2xx' }), 11);
  assert.equal(sample(m.body, 'revision_app_request_count_total', { revision_name: 'mtwo-00001', response_code: '200' }), 6);
  assert.equal(sample(m.body, 'autoscaler_actual_pods', { revision_name: 'mone-00001' }), 1);
  assert.doesNotMatch(m.body, /anything/, 'no label carries a request path');

  // mone scales to zero (6 s window, 1 s grace); its counters stay, and the next request is the third cold start.
  await eventually('mone-00001 to scale to zero', async () => (await actualReplicas('mone-00001')) === 0, 30_000, 200);
  m = await scrape();
  assert.equal(sample(m.body, 'revision_request_count_total', { revision_name: 'mone-00001', response_code: '200' }), 11, 'counters survive scaling to zero');
  assert.equal(sample(m.body, 'autoscaler_actual_pods', { revision_name: 'mone-00001' }), 0);
  await get('mone.default.example.com');
  const requests = sent;
  const coldStarts = 3;
  m = await scrape();
  assert.equal(sample(m.body, 'revision_cold_start_latencies_count', { revision_name: 'mone-00001' }), 2);
  assert.equal(sample(m.body, 'revision_request_count_total', { revision_name: 'mone-00001', response_code: '200' }), 12);

  if (!hasPromtool || !hasPrometheus) {
    t.skip('promtool/prometheus missing (apt-get install prometheus)');
    return;
  }
  const check = spawnSync('promtool', ['check', 'metrics'], { input: m.body, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-metrics-prom-'));
  let prom: ChildProcess | undefined;
  let promLog = '';
  try {
    const port = await freePort();
    const target = new URL(knit.endpoints.metrics).host;
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: knit\n    static_configs:\n      - targets: ['${target}']\n`);
    prom = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout?.on('data', (b: Buffer) => (promLog += b.toString()));
    prom.stderr?.on('data', (b: Buffer) => (promLog += b.toString()));
    const query = async (q: string): Promise<number | undefined> => {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
      if (r.status !== 200) return undefined;
      const j = (await r.json()) as { data?: { result?: { value: [number, string] }[] } };
      const v = j.data?.result?.[0]?.value[1];
      return v === undefined ? undefined : Number(v);
    };
    const got = await eventually('Prometheus to scrape knit', async () => {
      const n = await query('sum(revision_request_count_total)');
      return n === requests ? n : undefined;
    }, 25_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}\nprometheus output:\n${promLog.slice(-2000)}`);
    });
    assert.equal(got, requests);
    assert.equal(await query('sum(revision_cold_start_latencies_count)'), coldStarts);
    assert.equal(await query('count(autoscaler_requested_pods)'), 2);
    assert.equal(await query('up{job="knit"}'), 1);
  } finally {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (prom.exitCode === null) prom.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('off loopback the metrics listener wants the API token', async () => {
  const other = await new KnitServer(['--metrics', '0.0.0.0:0']).start();
  try {
    const url = other.endpoints.metrics;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const anon = await scrape(url);
    assert.equal(anon.status, 401);
    assert.match(anon.body, /API token/);
    assert.equal((await scrape(url, { authorization: 'Bearer wrong' })).status, 401);
    const ok = await scrape(url, { authorization: `Bearer ${other.token}` });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^# TYPE revision_request_count_total counter$/m);
  } finally {
    await other.cleanup();
  }
});

test('with tracing off (no observability section) the caller\'s traceparent reaches the instance untouched', async () => {
  await knit.createService('mthree', APP);
  await ready('mthree');
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const cases: Record<string, string>[] = [{ traceparent: tp }, { traceparent: tp, expect: '100-continue' }];
  for (const headers of cases) {
    const r = await knit.request('mthree.default.example.com', '/headers', 'http', headers);
    assert.equal(r.status, 200, r.body);
    assert.equal((JSON.parse(r.body) as { headers: Record<string, string> }).headers.traceparent, tp);
  }
});
