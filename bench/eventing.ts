// bench/eventing: events through a broker (ingress → durable queue → trigger → a warm sink) against direct POSTs
// to the same sink, in one run.
//
//   node_modules/.bin/node bench/eventing.ts        (npm run bench:eventing)
//
// Environment (all optional):
//   BENCH_DURATION=5s      length of each measured phase
//   BENCH_CONCURRENCY=32   senders in flight in the throughput phases
//   BENCH_RATE=1000        events/s of the latency phases (open loop)
//   BENCH_ROUNDS=3         rounds of each measurement, direct and broker interleaved; the medians are reported
//   BENCH_PATH=channel     measure channel → subscription → sink instead of broker → trigger → sink
//
// The sink is a Node http server in this process answering 202; the broker's trigger reaches it by `uri`. Four
// phases: direct and broker throughput (closed loop, BENCH_CONCURRENCY senders; the broker's rate is events
// delivered to the sink per second, the queue drained), then direct and broker latency at BENCH_RATE events/s
// (direct: the POST's answer; broker: from the POST to the sink receiving the event, so queueing and delivery are
// in it). Added latency = broker quantile − direct quantile of the same round; the table shows medians over the
// rounds (the machine is shared: one noisy round does not decide). knit runs with its durable queue (there is no other
// mode). Objectives: broker throughput ≥ 0.5× direct, p99 added latency ≤ 5 ms at 1,000 events/s.
// Exit status: 0 when both are met; 1 otherwise; 2 when the time budget ran out.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { envDuration, envInt, fmtMs, log, machine, request, runBench, startKnitServer, table, tempDir } from './common.ts';
import { median, quantile } from './slo.ts';

const DURATION_MS = Math.max(1, envDuration('BENCH_DURATION', '5s')) * 1000;
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 32);
const RATE = envInt('BENCH_RATE', 1000);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const INGRESS_HOST = 'broker-ingress.knative-eventing.svc.cluster.local';
/** BENCH_PATH=channel measures channel → subscription → sink (the channel's host) instead of the broker. */
const VIA_CHANNEL = process.env.BENCH_PATH === 'channel';
const CHANNEL_HOST = 'bench-kn-channel.default.svc.cluster.local';

/** Arrival times at the sink by event id. */
const arrivals = new Map<string, number>();

function startSink(): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    const id = req.headers['ce-id'];
    req.on('data', () => {});
    req.on('end', () => {
      if (typeof id === 'string') arrivals.set(id, performance.now());
      res.writeHead(202, { 'content-length': 0 });
      res.end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server })));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const BODY = Buffer.from('{"order":12345,"item":"widget","qty":1}');

function post(host: string, port: number, hostHeader: string, pathname: string, id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, method: 'POST', path: pathname, agent, headers: { host: hostHeader, 'ce-specversion': '1.0', 'ce-id': id, 'ce-type': 'bench.order', 'ce-source': 'bench', 'content-type': 'application/json', 'content-length': BODY.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(BODY);
  });
}

interface Target {
  name: string;
  send(id: string): Promise<number>;
  /** True when the sink has the event (direct: at once). */
  delivered(id: string): boolean;
}

async function throughput(t: Target): Promise<{ rate: number; errors: number }> {
  let n = 0;
  let errors = 0;
  const ids: string[] = [];
  const t0 = performance.now();
  const end = t0 + DURATION_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      while (performance.now() < end) {
        const id = `${t.name}-tp-${w}-${n++}`;
        ids.push(id);
        const s = await t.send(id).catch(() => 0);
        if (s !== 202) errors++;
      }
    }),
  );
  // The broker's events count once they reached the sink.
  const deadline = performance.now() + 30_000;
  while (!ids.every((id) => t.delivered(id)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  let last = t0;
  for (const id of ids) last = Math.max(last, arrivals.get(id) ?? performance.now());
  const took = (last - t0) / 1000;
  const done = ids.filter((id) => t.delivered(id)).length;
  return { rate: done / Math.max(took, DURATION_MS / 1000), errors: errors + (ids.length - done) };
}

async function latency(t: Target, endToEnd: boolean): Promise<number[]> {
  const sent = new Map<string, number>();
  const answered = new Map<string, number>();
  const interval = 1000 / RATE;
  const total = Math.round((DURATION_MS / 1000) * RATE);
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const at = t0 + i * interval;
    const wait = at - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const id = `${t.name}-lat-${i}`;
    sent.set(id, performance.now());
    inflight.push(t.send(id).then((s) => void (s === 202 && answered.set(id, performance.now())), () => {}));
  }
  await Promise.all(inflight);
  const deadline = performance.now() + 30_000;
  while (endToEnd && [...sent.keys()].some((id) => !arrivals.has(id)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const out: number[] = [];
  for (const [id, s] of sent) {
    const e = endToEnd ? arrivals.get(id) : answered.get(id);
    if (e !== undefined) out.push(e - s);
  }
  return out;
}

async function main(): Promise<number> {
  const root = tempDir('knit-bench-eventing-');
  const sink = await startSink();
  const knit = await startKnitServer(root);
  const endpoints = JSON.parse(fs.readFileSync(path.join(knit.dataDir, 'endpoints.json'), 'utf8')) as { localHttp: string };
  const local = new URL(endpoints.localHttp);
  const api = (method: string, p: string, body: unknown) => request(knit.api, method, p, { ca: knit.ca, headers: { authorization: `Bearer ${knit.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (const [kind, body] of [
    ['brokers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'bench' }, spec: {} }],
    ['triggers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 'bench' }, spec: { broker: 'bench', subscriber: { uri: sink.url } } }],
    ['channels', { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', metadata: { name: 'bench' }, spec: {} }],
    ['subscriptions', { apiVersion: 'messaging.knative.dev/v1', kind: 'Subscription', metadata: { name: 'bench' }, spec: { channel: { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', name: 'bench' }, subscriber: { uri: sink.url } } }],
  ] as const) {
    const group = kind === 'channels' || kind === 'subscriptions' ? 'messaging.knative.dev' : 'eventing.knative.dev';
    const r = await api('POST', `/apis/${group}/v1/namespaces/default/${kind}`, body);
    if (r.status !== 201) throw new Error(`creating ${kind}: ${r.status} ${r.body}`);
  }
  const sinkUrl = new URL(sink.url);
  const direct: Target = { name: 'direct', send: (id) => post(sinkUrl.hostname, Number(sinkUrl.port), sinkUrl.host, '/', id), delivered: () => true };
  const [host, pathname] = VIA_CHANNEL ? [CHANNEL_HOST, '/'] : [INGRESS_HOST, '/default/bench'];
  const broker: Target = { name: 'broker', send: (id) => post(local.hostname, Number(local.port), host, pathname, id), delivered: (id) => arrivals.has(id) };
  // The trigger (or the subscription) is Ready once an event goes through.
  const deadline = performance.now() + 15_000;
  for (let i = 0; !arrivals.has(`warm-${i - 1}`) || i === 0; i++) {
    if (performance.now() > deadline) throw new Error('the trigger did not become Ready');
    await post(local.hostname, Number(local.port), host, pathname, `warm-${i}`).catch(() => 0);
    await new Promise((r) => setTimeout(r, 50));
  }
  log('warm-up');
  await throughput(direct);
  await throughput(broker);
  const med = (xs: number[]): number => median(xs) ?? NaN;
  const q = (xs: number[], p: number) => quantile(xs, p) ?? NaN;
  const dRates: number[] = [];
  const bRates: number[] = [];
  let bErrors = 0;
  let dErrors = 0;
  for (let r = 0; r < ROUNDS; r++) {
    log(`throughput, round ${r + 1}/${ROUNDS}`);
    const d = await throughput(direct);
    const b = await throughput(broker);
    dRates.push(d.rate);
    bRates.push(b.rate);
    dErrors += d.errors;
    bErrors += b.errors;
  }
  const rounds: { d50: number; d99: number; b50: number; b99: number; n: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    log(`latency at ${RATE} events/s, round ${r + 1}/${ROUNDS}`);
    const dL = await latency(direct, false);
    const bL = await latency(broker, true);
    rounds.push({ d50: q(dL, 0.5), d99: q(dL, 0.99), b50: q(bL, 0.5), b99: q(bL, 0.99), n: Math.min(dL.length, bL.length) });
  }
  sink.server.closeAllConnections();
  sink.server.close();
  agent.destroy();
  const dRate = med(dRates);
  const bRate = med(bRates);
  const ratio = bRate / dRate;
  const added99 = med(rounds.map((x) => x.b99 - x.d99));
  const added50 = med(rounds.map((x) => x.b50 - x.d50));
  console.log(`bench/eventing on ${machine()}; ${ROUNDS} rounds of ${DURATION_MS / 1000} s phases, ${CONCURRENCY} senders, ${RATE} events/s for latency, durable queue on`);
  console.log(
    table([
      ['path', 'events/s (closed loop, median)', 'per round', 'errors', `p50 @${RATE}/s (median)`, `p99 @${RATE}/s (median)`],
      ['direct POST to the sink', dRate.toFixed(0), dRates.map((x) => x.toFixed(0)).join(' / '), String(dErrors), fmtMs(med(rounds.map((x) => x.d50))), fmtMs(med(rounds.map((x) => x.d99)))],
      [VIA_CHANNEL ? 'channel → subscription → sink' : 'broker → trigger → sink', bRate.toFixed(0), bRates.map((x) => x.toFixed(0)).join(' / '), String(bErrors), fmtMs(med(rounds.map((x) => x.b50))), fmtMs(med(rounds.map((x) => x.b99)))],
    ]),
  );
  console.log(`p99 added per round: ${rounds.map((x) => fmtMs(x.b99 - x.d99)).join(' / ')}`);
  const meetsTp = ratio >= 0.5;
  const meetsLat = added99 <= 5;
  console.log(`throughput: ${VIA_CHANNEL ? 'channel' : 'broker'} ${ratio.toFixed(2)}× direct (objective ≥ 0.5×): ${meetsTp ? 'MEETS' : 'MISSES'}`);
  console.log(`added latency at ${RATE} events/s: p50 ${fmtMs(added50)}, p99 ${fmtMs(added99)} (objective p99 ≤ 5 ms): ${meetsLat ? 'MEETS' : 'MISSES'}`);
  return meetsTp && meetsLat && bErrors === 0 ? 0 : 1;
}

await runBench(400, main);
