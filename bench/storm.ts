// bench/storm: a warm knit service under a steady open-loop load while N other services cold-start at once, and an unknown-host canary — does the gateway stay steady during a cold-start storm?
//
//   node_modules/.bin/node bench/storm.ts
//
// Environment (all optional):
//   BENCH_COLD=100        services that cold-start at once (their first request at the same moment)
//   BENCH_RATE=500        requests per second to the warm service (open loop, keep-alive)
//   BENCH_CONNECTIONS=50  keep-alive connections the load may use (a due request waits for a free one)
//   BENCH_CANARY_MS=50    interval of the canary: an unknown Host on a new connection, expecting 404
//   BENCH_BEFORE=3s       steady load before the burst (also the baseline rows)
//   BENCH_AFTER=1s        load kept up after the last cold service answered
//   BENCH_TIMEOUT=30s     per request (warm, canary and cold; a failure when exceeded)
//   BENCH_BUDGET=300s     whole run (hard stop, then cleanup)
//   BENCH_GATEWAY_THREADS knit serve --gateway-threads N (unset: knit's default)
//   BENCH_CLIENT_RT=1     run the load generator and the canary under `chrt --rr 1` (real-time, as if they
//                         ran on a machine of their own: a burst of 100 starting apps never delays their own
//                         sends or reads; 0: fair scheduling at BENCH_CLIENT_NICE). Their CPU is small (a few
//                         % of a core), well inside the kernel's real-time throttling.
//   BENCH_CLIENT_NICE=-10 with BENCH_CLIENT_RT=0 (or no chrt): autogroup nice value of the two clients (0: the
//                         default weight, so 100 starting apps also delay them)
//   BENCH_SLOWEST=N       also list the N slowest warm requests of the storm (when they were sent, how long)
//
// What it does: starts `bin/knit serve --config FILE` (free loopback ports, temp data dir; the file sets
// Knative's `autoscaler: allow-zero-initial-scale: true`), writes a tiny Node app (answers 200 with
// $NAME) and creates
//   - `storm-warm`, pinned to one instance (min-scale = max-scale = 1), Ready and answering;
//   - BENCH_COLD services `storm-cold-I` with `autoscaling.knative.dev/initial-scale: 0`: Ready with no
//     instance (checked: actualReplicas 0 on every revision and only the warm instance alive).
// Then two child processes (bench/storm-client.ts, so neither shares an event loop with the other or
// with the burst): the load at BENCH_RATE to the warm service, and the canary. After BENCH_BEFORE, the
// bench sends one `GET /` to every cold service in one loop, each on a new connection, and waits until
// all answered 200 with their own NAME; BENCH_AFTER later it stops both children.
//
// Latency of the warm service and the canary runs from each request's scheduled send time to the end
// of its body (no coordinated omission). The storm window is burst start → the last cold answer; the
// table shows the warm service and the canary before the burst and in the window, and the cold
// services' time to first byte. Targets: warm p99 ≤ 20 ms with 0 errors in the window; canary p99 ≤
// 10 ms in the window.
//
// Exit status: 0 when every cold service answered and both targets hold; 1 otherwise; 2 when the time
// budget ran out; 130 on a signal. The services are deleted, and knit's process group, the instance
// process groups it recorded, the children and the temp dir are removed on every exit path.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DOMAIN,
  NODE,
  NS,
  SERVICES,
  createPinnedService,
  envDuration,
  envInt,
  fmtMs,
  killGroup,
  liveInstances,
  log,
  machine,
  onCleanup,
  processCpuSeconds,
  request,
  runBench,
  startKnitServer,
  table,
  tempDir,
  type KnitServer,
  type Resp,
} from './common.ts';
import { median, quantile } from './slo.ts';
import type { Report } from './storm-client.ts';

const COLD = envInt('BENCH_COLD', 100);
const RATE = envInt('BENCH_RATE', 500);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 50);
const CANARY_MS = envInt('BENCH_CANARY_MS', 50);
const BEFORE_S = envDuration('BENCH_BEFORE', '3s');
const AFTER_S = envDuration('BENCH_AFTER', '1s');
const TIMEOUT_MS = envDuration('BENCH_TIMEOUT', '30s') * 1000;
const BUDGET_S = envDuration('BENCH_BUDGET', '300s');
const GATEWAY_THREADS = process.env.BENCH_GATEWAY_THREADS;
const CLIENT_NICE = envInt('BENCH_CLIENT_NICE', -10, -20);
const CLIENT_RT = process.env.BENCH_CLIENT_RT !== '0' && spawnSync('chrt', ['--rr', '1', 'true']).status === 0;

const WARM = 'storm-warm';
const TARGET_WARM_P99_MS = 20;
const TARGET_CANARY_P99_MS = 10;
const REVISIONS = `/apis/serving.knative.dev/v1/namespaces/${NS}/revisions`;
const CLIENT = path.join(import.meta.dirname, 'storm-client.ts');

const APP_JS = `// Tiny app for bench/storm.ts: answers 200 with $NAME on $PORT.
require('node:http').createServer((req, res) => { res.end(process.env.NAME || 'ok'); }).listen(Number(process.env.PORT));
`;

const epoch = (): number => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------
// knit API

interface Obj {
  metadata: { name: string; generation?: number; labels?: Record<string, string> };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[]; actualReplicas?: number };
}

function api(knit: KnitServer, method: string, pathname: string, body?: unknown): Promise<Resp> {
  const headers: Record<string, string> = { authorization: `Bearer ${knit.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return request(knit.api, method, pathname, { headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: 30_000, ca: knit.ca });
}

async function list(knit: KnitServer, pathname: string): Promise<Obj[]> {
  const r = await api(knit, 'GET', pathname);
  if (r.status !== 200) throw new Error(`GET ${pathname}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
  return (JSON.parse(r.body) as { items: Obj[] }).items;
}

/** Creates the cold services (initial scale 0) and waits until every one is Ready with no instance. */
async function createCold(knit: KnitServer, image: string, names: string[], timeoutMs: number): Promise<void> {
  const rs = await Promise.all(
    names.map((name) =>
      api(knit, 'POST', SERVICES, {
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Service',
        metadata: { name, namespace: NS },
        spec: {
          template: {
            metadata: { annotations: { 'autoscaling.knative.dev/initial-scale': '0' } },
            spec: { containers: [{ image, env: [{ name: 'NAME', value: name }] }] },
          },
        },
      }).catch((e: Error) => ({ status: 0, body: e.message })),
    ),
  );
  rs.forEach((r, i) => {
    if (r.status !== 201 && r.status !== 200) throw new Error(`create service ${names[i]}: HTTP ${r.status}: ${r.body.slice(0, 500)}`);
  });
  const want = new Set(names);
  const until = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < until) {
    if (knit.proc.exited()) throw new Error(`knit exited ${JSON.stringify(knit.proc.exited())}: ${knit.proc.output().trim().slice(-2000)}`);
    const svcs = (await list(knit, SERVICES)).filter((o) => want.has(o.metadata.name));
    const notReady = svcs.filter((o) => {
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'False') throw new Error(`service ${o.metadata.name} failed: ${JSON.stringify(o.status?.conditions)}`);
      return !(ready?.status === 'True' && o.status?.observedGeneration === o.metadata.generation);
    });
    const revs = (await list(knit, REVISIONS)).filter((r) => want.has(r.metadata.labels?.['serving.knative.dev/service'] ?? ''));
    const notZero = revs.filter((r) => r.status?.actualReplicas !== 0);
    const live = liveInstances(knit.dataDir).filter((l) => !l.id.startsWith(`${WARM}-`));
    if (svcs.length === names.length && notReady.length === 0 && revs.length === names.length && notZero.length === 0 && live.length === 0) return;
    last = `${svcs.length - notReady.length}/${names.length} Ready, ${revs.length - notZero.length}/${names.length} revisions at actualReplicas 0, ${live.length} cold instance process(es) alive`;
    await sleep(250);
  }
  throw new Error(`cold services not Ready at zero within ${fmtMs(timeoutMs)}: ${last}`);
}

async function deleteAll(knit: KnitServer, names: string[], timeoutMs: number): Promise<string | undefined> {
  await Promise.all(names.map((n) => api(knit, 'DELETE', `${SERVICES}/${n}`).catch(() => undefined)));
  const want = new Set(names);
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    const revs = (await list(knit, REVISIONS)).filter((r) => want.has(r.metadata.labels?.['serving.knative.dev/service'] ?? ''));
    if (revs.length === 0 && liveInstances(knit.dataDir).length === 0) return undefined;
    await sleep(200);
  }
  return `after deleting the ${names.length} services, revisions or instance processes were still there after ${fmtMs(timeoutMs)}`;
}

// ---------------------------------------------------------------------------------------------
// Children and the burst

interface Client {
  started: Promise<number>;
  /** Asks it to stop; resolves with its report. */
  stop(): Promise<Report>;
}

function startClient(name: string, args: string[]): Client {
  // Under chrt, every thread node starts inherits the policy; chrt execs node (same pid).
  const argv = CLIENT_RT ? ['chrt', '--rr', '1', NODE, CLIENT, ...args] : [NODE, CLIENT, ...args];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const pid = child.pid;
  if (pid !== undefined && !CLIENT_RT && CLIENT_NICE !== 0) {
    try {
      fs.writeFileSync(`/proc/${pid}/autogroup`, String(CLIENT_NICE));
    } catch {
      // no autogroups, or not permitted: the clients run at the default weight
    }
  }
  let exited = false;
  onCleanup(`kill ${name}`, () => {
    if (pid !== undefined && !exited) killGroup(pid, 'SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exited = true;
      resolve(code);
    });
    child.once('error', (e) => {
      exited = true;
      err += e.message;
      resolve(127);
    });
  });
  const started = (async () => {
    const until = performance.now() + 20_000;
    while (performance.now() < until) {
      const m = /^started ([\d.]+)$/m.exec(out);
      if (m) return Number(m[1]);
      if (exited) break;
      await sleep(10);
    }
    throw new Error(`${name} did not start: ${err.trim().slice(-1000)}`);
  })();
  return {
    started,
    async stop(): Promise<Report> {
      child.stdin.end('stop\n');
      const code = await Promise.race([exit, sleep(TIMEOUT_MS + 15_000).then(() => 'timeout' as const)]);
      if (code !== 0) throw new Error(`${name} ended ${code}: ${err.trim().slice(-1000)}`);
      const line = out.trim().split('\n').pop() ?? '';
      return JSON.parse(line) as Report;
    },
  };
}

interface Cold {
  name: string;
  /** Burst start → response headers (ms). */
  ttfb?: number;
  /** When the answer ended (epoch ms). */
  at?: number;
  error?: string;
}

function coldGet(port: number, name: string, t0: number): Promise<Cold> {
  return new Promise((resolve) => {
    let ttfb: number | undefined;
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host: `${name}.${NS}.${DOMAIN}` }, agent: false }, (res) => {
      ttfb = epoch() - t0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200) resolve({ name, error: `HTTP ${res.statusCode}: ${body.trim().slice(0, 200)}` });
        else if (body !== name) resolve({ name, error: `200 from the wrong app: ${JSON.stringify(body.slice(0, 100))}` });
        else resolve({ name, ttfb, at: epoch() });
      });
      res.on('error', (e) => resolve({ name, error: e.message }));
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${fmtMs(TIMEOUT_MS)}`)));
    req.on('error', (e) => resolve({ name, error: e.message }));
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// Main

interface Window {
  n: number;
  errors: Map<string, number>;
  ms: number[];
}

/** The samples of a report scheduled in [from, to). */
function windowOf(r: Report, from: number, to: number): Window {
  const w: Window = { n: 0, errors: new Map(), ms: [] };
  for (let i = 0; i < r.due.length; i++) {
    if (r.due[i] === undefined || r.due[i] < from || r.due[i] >= to) continue;
    w.n++;
    if (r.error[i]) w.errors.set(r.error[i], (w.errors.get(r.error[i]) ?? 0) + 1);
    else w.ms.push(r.ms[i]);
  }
  return w;
}

const nErrors = (w: Window): number => [...w.errors.values()].reduce((a, b) => a + b, 0);

async function main(): Promise<number> {
  const root = tempDir('knit-bench-storm-');
  const appDir = path.join(root, 'app');
  fs.mkdirSync(appDir);
  fs.chmodSync(appDir, 0o755);
  fs.writeFileSync(path.join(appDir, 'app.js'), APP_JS, { mode: 0o644 });
  fs.writeFileSync(path.join(appDir, 'package.json'), `${JSON.stringify({ name: 'storm-app', private: true, type: 'commonjs', main: 'app.js' })}\n`, { mode: 0o644 });
  const image = `file://${appDir}`;
  const configFile = path.join(root, 'config.yaml');
  fs.writeFileSync(configFile, 'autoscaler:\n  allow-zero-initial-scale: true\n');

  const knit = await startKnitServer(root, { configFile, ...(GATEWAY_THREADS ? { args: ['--gateway-threads', GATEWAY_THREADS] } : {}) });
  log(`knit serve: gateway ${knit.gateway}, api ${knit.api}`);
  const names = Array.from({ length: COLD }, (_, i) => `storm-cold-${i}`);
  const failures: string[] = [];
  // Delete the services before knit stops (registered after knit, so it runs first).
  let deleted = false;
  onCleanup('delete the services', async () => {
    if (deleted || knit.proc.exited()) return;
    const e = await deleteAll(knit, [WARM, ...names], 30_000);
    if (e) log(e);
  });

  let t = performance.now();
  await createPinnedService(knit, WARM, { image, env: [{ name: 'NAME', value: WARM }] }, WARM, 60_000);
  log(`${WARM} Ready and answering in ${fmtMs(performance.now() - t)}`);
  t = performance.now();
  await createCold(knit, image, names, 60_000 + COLD * 500);
  log(`${COLD} cold services Ready at zero in ${fmtMs(performance.now() - t)}`);

  const gw = new URL(knit.gateway);
  const port = Number(gw.port);
  const load = startClient('load', ['--mode', 'load', '--url', `${knit.gateway}/`, '--host', `${WARM}.${NS}.${DOMAIN}`, '--rate', String(RATE), '--timeout-ms', String(TIMEOUT_MS), '--status', '200', '--body', WARM, '--connections', String(CONNECTIONS)]);
  const canary = startClient('canary', ['--mode', 'canary', '--url', `${knit.gateway}/`, '--host', 'storm-canary.invalid', '--rate', String(1000 / CANARY_MS), '--timeout-ms', String(TIMEOUT_MS), '--status', '404']);
  const loadT0 = await load.started;
  await canary.started;
  log(`load at ${RATE} req/s and canary every ${CANARY_MS} ms started; burst in ${BEFORE_S} s`);
  await sleep(BEFORE_S * 1000);

  const cpu0 = processCpuSeconds(knit.proc.pid);
  const burstAt = epoch();
  const colds = await Promise.all(names.map((n) => coldGet(port, n, burstAt)));
  const ok = colds.filter((c) => !c.error);
  const burstEnd = ok.length ? Math.max(...ok.map((c) => c.at!)) : epoch();
  const cpu1 = processCpuSeconds(knit.proc.pid);
  log(`burst: ${ok.length}/${COLD} cold services answered; the last after ${fmtMs(burstEnd - burstAt)}`);
  for (const c of colds) if (c.error) failures.push(`cold ${c.name}: ${c.error}`);
  await sleep(AFTER_S * 1000);
  const [lr, cr] = await Promise.all([load.stop(), canary.stop()]);

  // A second of start-up is left out of the "before" rows (connections being opened).
  const beforeFrom = Math.min(loadT0 + 1000, burstAt);
  const rows: string[][] = [['what', 'window', 'requests', 'errors', 'p50', 'p99', 'max']];
  const row = (what: string, when: string, w: Window): void => {
    rows.push([what, when, String(w.n), String(nErrors(w)), fmtMs(median(w.ms)), fmtMs(quantile(w.ms, 0.99)), fmtMs(quantile(w.ms, 1))]);
  };
  const warmBefore = windowOf(lr, beforeFrom, burstAt);
  const warmStorm = windowOf(lr, burstAt, burstEnd);
  if (process.env.BENCH_SLOWEST) {
    const slow = lr.due.map((d, i) => [d - burstAt, lr.ms[i] ?? -1] as const).filter(([d]) => d >= 0 && d <= burstEnd - burstAt).sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.BENCH_SLOWEST));
    log(`slowest warm requests (sent at ms after the burst began: latency ms): ${slow.map(([d, ms]) => `${d.toFixed(0)}:${ms.toFixed(1)}`).join(' ')}`);
  }
  const canaryBefore = windowOf(cr, beforeFrom, burstAt);
  const canaryStorm = windowOf(cr, burstAt, burstEnd);
  row(`warm service (${RATE} req/s, ≤ ${CONNECTIONS} keep-alive connections)`, 'before the burst', warmBefore);
  row(`warm service (${RATE} req/s, ≤ ${CONNECTIONS} keep-alive connections)`, 'storm', warmStorm);
  row(`canary (unknown host → 404, new connection every ${CANARY_MS} ms)`, 'before the burst', canaryBefore);
  row(`canary (unknown host → 404, new connection every ${CANARY_MS} ms)`, 'storm', canaryStorm);
  const ttfb = ok.map((c) => c.ttfb!);
  rows.push([`${COLD} cold services (first request each, at once)`, 'burst start → TTFB', String(COLD), String(COLD - ok.length), fmtMs(median(ttfb)), fmtMs(quantile(ttfb, 0.99)), fmtMs(quantile(ttfb, 1))]);

  const out: string[] = [];
  out.push('');
  out.push(`knit cold-start storm — ${machine()}`);
  out.push(
    `${COLD} services cold-start at once while ${WARM} takes ${RATE} req/s (open loop); storm = burst start → last cold answer ` +
      `(${fmtMs(burstEnd - burstAt)}); latency from scheduled send to end of body, nearest-rank percentiles; ` +
      `clients ${CLIENT_RT ? 'real-time (chrt --rr 1)' : `at autogroup nice ${CLIENT_NICE}`}`,
  );
  out.push('');
  out.push(table(rows));
  out.push('');
  out.push(`All ${COLD} cold services answered after ${ok.length === COLD ? fmtMs(burstEnd - burstAt) : `- (${COLD - ok.length} failed)`}; p95 TTFB ${fmtMs(quantile(ttfb, 0.95))}.`);
  if (cpu0 !== undefined && cpu1 !== undefined) out.push(`knit serve CPU during the burst: ${((cpu1 - cpu0) * 1000).toFixed(0)} ms.`);
  out.push(
    `Load generator: send lag p99 ${fmtMs(lr.lagP99)}, max ${fmtMs(lr.lagMax)}, event-loop delay max ${fmtMs(lr.loopMax)}; canary: send lag max ${fmtMs(cr.lagMax)}, ` +
      `event-loop delay max ${fmtMs(cr.loopMax)} (large values mean the generator, not knit, was late).`,
  );
  const warmErr = nErrors(warmStorm);
  const warmP99 = quantile(warmStorm.ms, 0.99);
  const canaryP99 = quantile(canaryStorm.ms, 0.99);
  const canaryErr = nErrors(canaryStorm);
  const warmOk = warmP99 !== undefined && warmP99 <= TARGET_WARM_P99_MS && warmErr === 0 && warmStorm.n > 0;
  const canaryOk = canaryP99 !== undefined && canaryP99 <= TARGET_CANARY_P99_MS && canaryErr === 0 && canaryStorm.n > 0;
  out.push('');
  out.push(`Target: warm service p99 ≤ ${TARGET_WARM_P99_MS} ms with 0 errors during the storm → ${warmOk ? 'MEETS' : 'MISSES'} (p99 ${fmtMs(warmP99)}, ${warmErr} error(s) of ${warmStorm.n})`);
  out.push(`Target: canary p99 ≤ ${TARGET_CANARY_P99_MS} ms during the storm → ${canaryOk ? 'MEETS' : 'MISSES'} (p99 ${fmtMs(canaryP99)}, max ${fmtMs(quantile(canaryStorm.ms, 1))}, ${canaryErr} error(s) of ${canaryStorm.n})`);
  const errs: string[] = [];
  for (const [what, w] of [['warm before', warmBefore], ['warm storm', warmStorm], ['canary before', canaryBefore], ['canary storm', canaryStorm]] as const) {
    for (const [why, n] of w.errors) errs.push(`${what}: ${why} ×${n}`);
  }
  errs.push(...failures);

  t = performance.now();
  const e = await deleteAll(knit, [WARM, ...names], 30_000 + COLD * 200);
  deleted = true;
  if (e) errs.push(e);
  else log(`services deleted in ${fmtMs(performance.now() - t)}`);
  if (errs.length) {
    out.push('');
    out.push(`Errors (${errs.length}):`);
    for (const x of errs.slice(0, 30)) out.push(`  ${x.slice(0, 300)}`);
  }
  const tail = knit.proc
    .output()
    .trim()
    .split('\n')
    .filter((l) => l && !/^\s/.test(l) && !/^(knit is serving|Try:|kubectl and the Kubernetes)/.test(l));
  if (tail.length) {
    out.push('');
    out.push(`knit serve output (last ${Math.min(10, tail.length)} line(s) not part of its banner):`);
    for (const l of tail.slice(-10)) out.push(`  ${l}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return warmOk && canaryOk && ok.length === COLD && !e ? 0 : 1;
}

await runBench(BUDGET_S, main);
