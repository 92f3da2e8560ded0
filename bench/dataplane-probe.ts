// bench/dataplane-probe: Knative's dataplane-probe on knit — latency added by knit's gateway at a constant, sustainable request rate against a 100 ms backend.
//
//   node_modules/.bin/node bench/dataplane-probe.ts
//
// Environment (all optional):
//   BENCH_RATE=500          requests per second, open loop (sent on schedule whatever the latency)
//   BENCH_DURATION=60s      measured time per target
//   BENCH_WARMUP=5s         unmeasured run per target first, at the same rate (0 to skip)
//   BENCH_REPEATS=1         measured runs per target, alternating direct/knit (latencies pooled)
//   BENCH_SLEEP=100ms       how long the backend waits before answering
//   BENCH_TIMEOUT=10s       per-request timeout (counted as an error)
//
// The backend is a Node script (in a temp dir) that answers 200 "ok" after the sleep. knit runs it
// as the one instance of a Service (a `file://` image, min-scale = max-scale = 1); the script prints
// the port it listens on (the bench reads knit's instance log: a sandboxed instance's image directory
// is read-only), and "direct" targets that very process, so both rows share one backend.
// (If knit cannot start the Service, the bench runs the script itself and reports knit as failed.)
//
// Load generator: wrk2 is not in Debian, and hey's -q limits each worker's closed loop (a worker
// waits for its answer before sending again, so at 100 ms per request it cannot hold a fixed rate
// and hides queueing). So this script carries a small open-loop generator: request i is sent at
// t0 + i/RATE from a timer, over a keep-alive agent with no socket limit, and every latency (from
// the actual send to the end of the body) is recorded. Its scheduling lag and event-loop delay are
// reported so a slow generator cannot pass for a slow proxy.
//
// Reports per target: requests sent, 200s, errors (non-200, connection failures, timeouts, and
// requests still unanswered at the end), achieved rate, p50/p95/p99/max, and knit's p95 minus
// direct's p95 against the target (≤ 2 ms; Knative's budget for its activator path is 10 ms).
//
// Exit status: 0 when there were no errors and the target is met; 1 otherwise; 2 when the time
// budget ran out; 130 on a signal. Everything started is stopped and the temp dir removed on every
// exit path.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DOMAIN,
  NODE,
  NS,
  createPinnedService,
  envDuration,
  envInt,
  fmtMs,
  freePort,
  groupCpuSeconds,
  liveInstances,
  log,
  machine,
  onCleanup,
  runBench,
  spawnGroup,
  startKnitServer,
  table,
  tempDir,
  waitAnswer,
  waitInstanceLog,
  type KnitServer,
} from './common.ts';
import { quantile } from './slo.ts';

const RATE = envInt('BENCH_RATE', 500);
const DURATION = envDuration('BENCH_DURATION', '60s');
const WARMUP = envDuration('BENCH_WARMUP', '5s');
const REPEATS = envInt('BENCH_REPEATS', 1);
const SLEEP_MS = envDuration('BENCH_SLEEP', '100ms') * 1000;
const TIMEOUT_MS = envDuration('BENCH_TIMEOUT', '10s') * 1000;
const SERVICE = 'dataplane-probe';
const HOST = `${SERVICE}.${NS}.${DOMAIN}`;
const BODY = 'ok\n';
const TARGET_P95_DELTA_MS = 2;
const KNATIVE_P95_DELTA_MS = 10;

const BACKEND = `// Backend for bench/dataplane-probe.ts: answers 200 "ok" after SLEEP_MS (default 100) on 127.0.0.1:$PORT.
import http from 'node:http';

const sleepMs = Number(process.env.SLEEP_MS ?? 100);
const port = Number(process.env.PORT);
const server = http.createServer((req, res) => {
  req.resume();
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
    res.end('ok\\n');
  }, sleepMs);
});
server.listen(port, '127.0.0.1', () => {
  // Tell the bench where this backend listens (it reads knit's instance log).
  console.log('knit-bench-backend port=' + port);
});
process.on('SIGTERM', () => process.exit(0));
`;

// ---------------------------------------------------------------------------------------------
// Open-loop load generator

interface LoadResult {
  sent: number;
  ok: number;
  errors: Map<string, number>;
  /** Latencies (ms) of the 200 answers. */
  latencies: number[];
  /** How late each request left compared with its schedule (ms). */
  lags: number[];
  seconds: number;
  loopDelayP99: number;
  loopDelayMax: number;
  cpu?: number; // knit's CPU, % of one core
}

async function openLoop(url: string, rate: number, seconds: number): Promise<LoadResult> {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  onCleanup('destroy load agent', () => agent.destroy());
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies: number[] = [];
  const lags: number[] = [];
  const errors = new Map<string, number>();
  const fail = (why: string): void => {
    errors.set(why, (errors.get(why) ?? 0) + 1);
  };
  let sent = 0;
  let ok = 0;
  let outstanding = 0;
  let allAnswered: (() => void) | undefined;
  const live = new Set<http.ClientRequest>();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();

  const send = (intended: number): void => {
    const t = performance.now();
    lags.push(t - intended);
    sent++;
    outstanding++;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      live.delete(req);
      outstanding--;
      if (outstanding === 0) allAnswered?.();
    };
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, agent, headers: { host: HOST } }, (res) => {
      let size = 0;
      res.on('data', (c: Buffer) => (size += c.length));
      res.on('end', () => {
        if (res.statusCode === 200 && size === BODY.length) {
          ok++;
          latencies.push(performance.now() - t);
        } else {
          fail(res.statusCode === 200 ? `200 with ${size}-byte body` : `HTTP ${res.statusCode}`);
        }
        settle();
      });
      res.on('error', (e) => {
        fail(`response: ${(e as NodeJS.ErrnoException).code ?? e.message}`);
        settle();
      });
    });
    live.add(req);
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      if (!settled) {
        fail((e as NodeJS.ErrnoException).code ?? e.message);
        settle();
      }
    });
    req.end();
  };

  const t0 = performance.now() + 5;
  const interval = 1000 / rate;
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = (): void => {
      const now = performance.now();
      while (i < total && t0 + i * interval <= now) {
        send(t0 + i * interval);
        i++;
      }
      if (i >= total) resolve();
      else setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
    };
    setTimeout(tick, 5);
  });
  const sendDone = performance.now();
  if (outstanding > 0) {
    await Promise.race([new Promise<void>((r) => (allAnswered = r)), sleep(TIMEOUT_MS + 1000)]);
  }
  for (const req of live) {
    fail('unanswered at the end');
    req.destroy();
  }
  loop.disable();
  agent.destroy();
  return {
    sent,
    ok,
    errors,
    latencies,
    lags,
    seconds: (sendDone - t0) / 1000,
    loopDelayP99: loop.percentile(99) / 1e6,
    loopDelayMax: loop.max / 1e6,
  };
}

// ---------------------------------------------------------------------------------------------
// Main

/** The port knit's instance printed, and the pid knit recorded for it (its sandbox's). */
async function knitBackend(knit: KnitServer, timeoutMs: number): Promise<{ port: number; pid: number }> {
  const m = await waitInstanceLog(knit.dataDir, `${SERVICE}-`, /knit-bench-backend port=(\d+)/, timeoutMs);
  const live = liveInstances(knit.dataDir);
  if (live.length !== 1) throw new Error(`want exactly one live instance of ${SERVICE}, found ${live.length}`);
  return { port: Number(m[1]), pid: live[0].pid };
}

interface Target {
  name: 'direct' | 'knit';
  url: string;
  cpuPgid?: number;
}

async function main(): Promise<number> {
  const root = tempDir('knit-bench-probe-');
  const imageDir = path.join(root, 'backend-image');
  fs.mkdirSync(imageDir);
  fs.writeFileSync(path.join(imageDir, 'server.mjs'), BACKEND);
  const command = [NODE, 'server.mjs'];

  let knitError: string | undefined;
  let knitProc: KnitServer['proc'] | undefined;
  let knitGateway: string | undefined;
  let backend: { port: number; pid: number } | undefined;
  try {
    const knit = await startKnitServer(root);
    knitProc = knit.proc;
    log(`knit serve: gateway ${knit.gateway}, api ${knit.api}`);
    const t0 = performance.now();
    await createPinnedService(knit, SERVICE, { image: `file://${imageDir}`, command, env: [{ name: 'SLEEP_MS', value: String(SLEEP_MS) }] }, BODY, 30_000);
    log(`service ${SERVICE} Ready and answering after ${fmtMs(performance.now() - t0)}`);
    backend = await knitBackend(knit, 5000);
    knitGateway = knit.gateway;
  } catch (e) {
    knitError = (e as Error).message;
    log(`knit failed: ${knitError}`);
  }
  if (!backend) {
    const port = await freePort();
    const p = spawnGroup('backend', command, { cwd: imageDir, env: { ...process.env, PORT: String(port), SLEEP_MS: String(SLEEP_MS) } });
    await waitAnswer(`http://127.0.0.1:${port}`, undefined, BODY, 10_000, p);
    backend = { port, pid: p.pid };
  }
  log(`backend: node server.mjs on 127.0.0.1:${backend.port} (pid ${backend.pid}), sleeping ${SLEEP_MS} ms per request`);

  const targets: Target[] = [{ name: 'direct', url: `http://127.0.0.1:${backend.port}/` }];
  if (knitGateway) targets.push({ name: 'knit', url: `${knitGateway}/`, cpuPgid: knitProc?.pid });

  const run = async (t: Target, seconds: number): Promise<LoadResult> => {
    const c0 = t.cpuPgid ? groupCpuSeconds(t.cpuPgid) : 0;
    const w0 = performance.now();
    const r = await openLoop(t.url, RATE, seconds);
    if (t.cpuPgid) r.cpu = ((groupCpuSeconds(t.cpuPgid) - c0) / ((performance.now() - w0) / 1000)) * 100;
    return r;
  };
  const describe = (r: LoadResult): string => {
    const errs = [...r.errors].map(([k, v]) => `${k} ×${v}`).join(', ');
    return (
      `${r.sent} sent, ${r.ok} ok, p50 ${fmtMs(quantile(r.latencies, 0.5))}, p95 ${fmtMs(quantile(r.latencies, 0.95))}, p99 ${fmtMs(quantile(r.latencies, 0.99))}` +
      `${errs ? `; errors: ${errs}` : ''}`
    );
  };

  if (WARMUP > 0) {
    for (const t of targets) log(`warm-up ${t.name}: ${describe(await run(t, WARMUP))}`);
  }
  const results = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
  for (let rep = 0; rep < REPEATS; rep++) {
    const order = rep % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const r = await run(t, DURATION);
      results.get(t.name)!.push(r);
      log(`run ${rep + 1}/${REPEATS} ${t.name}: ${describe(r)}`);
    }
  }

  // Pool the runs per target.
  const pooled = new Map<string, { sent: number; ok: number; errors: Map<string, number>; lat: number[]; lags: number[]; seconds: number; loopP99: number; loopMax: number; cpu: number[] }>();
  for (const t of targets) {
    const rs = results.get(t.name)!;
    const errors = new Map<string, number>();
    for (const r of rs) for (const [k, v] of r.errors) errors.set(k, (errors.get(k) ?? 0) + v);
    pooled.set(t.name, {
      sent: rs.reduce((a, r) => a + r.sent, 0),
      ok: rs.reduce((a, r) => a + r.ok, 0),
      errors,
      lat: rs.flatMap((r) => r.latencies),
      lags: rs.flatMap((r) => r.lags),
      seconds: rs.reduce((a, r) => a + r.seconds, 0),
      loopP99: Math.max(...rs.map((r) => r.loopDelayP99)),
      loopMax: Math.max(...rs.map((r) => r.loopDelayMax)),
      cpu: rs.map((r) => r.cpu).filter((x) => x !== undefined),
    });
  }

  const rows: string[][] = [['target', 'sent', '200', 'errors', 'rate', 'p50', 'p95', 'p99', 'max', 'knit CPU', 'send lag p99', 'gen loop delay max']];
  for (const t of targets) {
    const p = pooled.get(t.name)!;
    const nErr = [...p.errors.values()].reduce((a, b) => a + b, 0);
    rows.push([
      t.name === 'direct' ? 'direct (no proxy)' : 'knit gateway',
      String(p.sent),
      String(p.ok),
      String(nErr),
      `${(p.sent / p.seconds).toFixed(0)}/s`,
      fmtMs(quantile(p.lat, 0.5)),
      fmtMs(quantile(p.lat, 0.95)),
      fmtMs(quantile(p.lat, 0.99)),
      fmtMs(quantile(p.lat, 1)),
      p.cpu.length ? `${(p.cpu.reduce((a, b) => a + b, 0) / p.cpu.length).toFixed(0)}%` : '-',
      fmtMs(quantile(p.lags, 0.99)),
      fmtMs(p.loopMax),
    ]);
  }
  if (knitError) rows.push(['knit gateway', 'FAILED', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-']);

  const out: string[] = [];
  out.push('');
  out.push(`dataplane-probe — ${machine()}`);
  out.push(
    `open loop at ${RATE} req/s for ${DURATION}s per target (${REPEATS} run(s), after a ${WARMUP}s warm-up), keep-alive, backend sleeps ${SLEEP_MS} ms; ` +
      `latency from send to end of body, nearest-rank percentiles`,
  );
  out.push('');
  out.push(table(rows));
  let meets = false;
  const d = pooled.get('direct');
  const k = pooled.get('knit');
  const allErrors: string[] = [];
  for (const [name, p] of pooled) for (const [why, n] of p.errors) allErrors.push(`${name}: ${why} ×${n}`);
  out.push('');
  if (d && k && d.lat.length && k.lat.length) {
    const delta = (q: number): number => quantile(k.lat, q)! - quantile(d.lat, q)!;
    const d95 = delta(0.95);
    meets = d95 <= TARGET_P95_DELTA_MS;
    out.push(`knit − direct: p50 ${delta(0.5) >= 0 ? '+' : ''}${fmtMs(delta(0.5))}, p95 ${d95 >= 0 ? '+' : ''}${fmtMs(d95)}, p99 ${delta(0.99) >= 0 ? '+' : ''}${fmtMs(delta(0.99))}`);
    out.push(
      `Target: knit p95 − direct p95 ≤ ${TARGET_P95_DELTA_MS} ms (Knative's budget: ${KNATIVE_P95_DELTA_MS} ms) → ${meets ? 'MEETS' : 'MISSES'} (${fmtMs(d95)}` +
        `${d95 <= KNATIVE_P95_DELTA_MS ? `, within Knative's ${KNATIVE_P95_DELTA_MS} ms` : `, beyond Knative's ${KNATIVE_P95_DELTA_MS} ms too`})`,
    );
  } else {
    out.push(`Target: knit p95 − direct p95 ≤ ${TARGET_P95_DELTA_MS} ms → not measured`);
  }
  if (knitError) out.push(`knit FAILED: ${knitError}`);
  if (allErrors.length) {
    out.push('');
    out.push('Errors:');
    for (const e of allErrors) out.push(`  ${e}`);
  }
  if (knitProc) {
    const tail = knitProc
      .output()
      .trim()
      .split('\n')
      .filter((l) => l && !/^\s/.test(l) && !/^(knit is serving|Try:|kubectl and the Kubernetes)/.test(l));
    if (tail.length) {
      out.push('');
      out.push(`knit serve output (last ${Math.min(10, tail.length)} line(s) not part of its banner):`);
      for (const l of tail.slice(-10)) out.push(`  ${l}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return knitError || allErrors.length || !meets ? 1 : 0;
}

// Whole-run budget: start-up, warm-ups, measured runs (each may wait a request timeout at its end), slack to stop.
const budget = 60 + 2 * (WARMUP + TIMEOUT_MS / 1000 + 5) + REPEATS * 2 * (DURATION + TIMEOUT_MS / 1000 + 5);
await runBench(budget, main);
