// bench/scale-from-zero: knit's cold start — time to first byte of one request to each of N services at zero, against the bare spawn→first-response of the same app.
//
//   node_modules/.bin/node bench/scale-from-zero.ts
//   BENCH_RUNTIME=podman node_modules/.bin/node bench/scale-from-zero.ts
//
// Environment (all optional):
//   BENCH_RUNTIME=process    `process`: a `file://` app; `podman`: a locally built OCI image of the same
//                            app (FROM scratch + this Node 24), baseline `podman run --rm -p …` of it
//   BENCH_SIZES=1,5,25,100   the N of each scenario (services hit at the same moment; podman: 1,5)
//   BENCH_SINGLE_ROUNDS=10   cold starts at N=1 (one service, back to zero between them; podman: 5)
//   BENCH_ROUNDS=1           cold starts per service at every other N
//   BENCH_WINDOW=6s          the services' autoscaling.knative.dev/window (6s is the minimum)
//   BENCH_GRACE=1s           knit's autoscaler scale-to-zero-grace-period (config file)
//   BENCH_POLL_MS=1          retry interval of the bare baseline's connect poll, per process
//   BENCH_TIMEOUT=30s        per cold request (counted as a failure)
//   BENCH_BUDGET=240s        whole run; rounds that would not fit are skipped and reported
//   BENCH_JSON=FILE          also write every sample to FILE
//   BENCH_GATEWAY_THREADS=N  knit serve --gateway-threads N (unset: knit's default, one per core)
//
// What it does: starts `bin/knit serve --config FILE` (free loopback ports, temp data dir; the file
// sets `autoscaler: scale-to-zero-grace-period`), writes a tiny Node app (CommonJS, answers 200 with
// $NAME on $PORT) into a temp dir, and per scenario N:
//   1. creates N Services of it (`file://` image, annotation window) and waits until all are Ready;
//   2. waits until every revision reports status.actualReplicas == 0 and no instance process of it
//      is alive (DATA_DIR/run/instances) — scaled to zero after window + grace;
//   3. baseline: spawns N × `node_modules/node/bin/node app.js` with free PORTs in one loop and polls
//      each (TCP connect every BENCH_POLL_MS ms; on connect, a GET on a fresh connection) until the
//      first 200: burst start → response headers;
//   4. knit: sends one `GET /` per service in one loop through the gateway, `Host:
//      NAME.default.example.com`, each on a fresh connection: burst start → response headers;
//   5. repeats 2–4 for the rounds, then deletes the Services and waits until they are gone.
// Prints per N the median and p95 (nearest rank) of both, knit's overhead (difference of the
// medians, and their ratio), and the targets, each MEETS or MISSES: overhead ≤ 10 ms median at N=1;
// at N=100, knit p95 ≤ 1.1× the bare p95 of the same run, and knit p95 ≤ 2 s (Knative's objective for
// a cold start is 25 s).
//
// BENCH_RUNTIME=podman: before knit starts, builds `localhost/knit-test-XXXXXX-node` (FROM scratch:
// this Node binary and its libraries, test/fixtures/podman-images.ts) and `…-cold` on it (the same
// app as /app/server.js, ENV PORT=8080); the services use that image (knit runs it with podman),
// and the baseline spawns N × `podman run --rm --name … --label knit.bench=… -p 127.0.0.1:PORT:8080
// -e NAME=… IMAGE` (polled like the process baseline; each container is removed with `podman rm -f`
// after its first 200). Targets at N=1: knit's median ≤ 0.5× the bare `podman run` median (knit
// prepares what it can before the first request: the revision's next container is created and initialised
// while it is at zero, so the cold start is `podman start`), and overhead ≤ 50 ms median. Every container of the image or
// with the bench's label, and both images, are removed on every exit path (after knit stopped).
//
// Exit status: 0 when every request answered 200 from the right app, every revision reached zero
// and the targets hold; 1 otherwise; 2 when the time budget ran out; 130 on a signal. knit's process
// group, the instance process groups it recorded, the baseline processes and the temp dir are
// removed on every exit path.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DOMAIN,
  NS,
  REPO,
  SERVICES,
  envDuration,
  envInt,
  fmtMs,
  freePort,
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
import { TestImages } from '../test/fixtures/podman-images.ts';
import { PodmanRuntime, runPodman } from '../src/runtime/podman.ts';

const RUNTIME = process.env.BENCH_RUNTIME ?? 'process';
if (RUNTIME !== 'process' && RUNTIME !== 'podman') throw new Error(`BENCH_RUNTIME: want process or podman, not "${RUNTIME}"`);
const PODMAN = RUNTIME === 'podman';
const SIZES = (process.env.BENCH_SIZES ?? (PODMAN ? '1,5' : '1,5,25,100')).split(',').map((s) => {
  const n = Number(s.trim());
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_SIZES: want positive integers such as 1,5,25,100, not "${process.env.BENCH_SIZES}"`);
  return n;
});
const SINGLE_ROUNDS = envInt('BENCH_SINGLE_ROUNDS', PODMAN ? 5 : 10);
const ROUNDS = envInt('BENCH_ROUNDS', 1);
const WINDOW_S = envDuration('BENCH_WINDOW', '6s');
const GRACE_S = envDuration('BENCH_GRACE', '1s');
const POLL_MS = envInt('BENCH_POLL_MS', 1, 0);
const TIMEOUT_MS = envDuration('BENCH_TIMEOUT', '30s') * 1000;
const BUDGET_S = envDuration('BENCH_BUDGET', '240s');
const JSON_FILE = process.env.BENCH_JSON;

const REVISIONS = `/apis/serving.knative.dev/v1/namespaces/${NS}/revisions`;
/** The Node binary knit runs instances with (bin/knit execs it, and instances get its execPath). */
const APP_NODE = path.join(REPO, 'node_modules', 'node', 'bin', 'node');
const TARGET_OVERHEAD_MS = PODMAN ? 50 : 10; // median knit − bare at N=1
const TARGET_P95_N100_MS = 2000; // knit cold TTFB p95 at N=100
const TARGET_P95_RATIO_N100 = 1.1; // knit p95 / bare p95 at N=100, same run
const TARGET_PODMAN_MEDIAN_RATIO = 0.5; // podman: knit median / bare `podman run` median at N=1
const KNATIVE_COLD_MS = 25_000;

const APP_JS = `// Tiny app for bench/scale-from-zero.ts: answers 200 with $NAME on $PORT.
require('node:http').createServer((req, res) => { res.end(process.env.NAME || 'ok'); }).listen(Number(process.env.PORT));
`;

/** podman mode: the app image (a tag), and the label of the baseline's containers. */
let podmanImage = '';
let podmanImageId = '';
const BARE_LABEL = 'knit.bench';
let bareLabelValue = '';

const startedAt = performance.now();
const deadlineAt = startedAt + BUDGET_S * 1000;
const remainingMs = (): number => deadlineAt - performance.now();

// ---------------------------------------------------------------------------------------------
// Samples

interface Sample {
  name: string;
  round: number;
  /** Burst start → response headers of the first 200 (undefined on failure). */
  ms?: number;
  status?: number;
  error?: string;
  /** Baseline only: connect attempts before the server listened. */
  attempts?: number;
  /** performance.now() when the answer came (knit: when the revision last had traffic). */
  at?: number;
}

interface Scenario {
  n: number;
  rounds: number;
  knit: Sample[];
  bare: Sample[];
  /** knit: Ready/last 200 → observed actualReplicas 0 (ms). */
  toZero: number[];
  /** Active condition / desiredReplicas / Ready seen on the revisions at zero. */
  atZero: Map<string, number>;
  knitCpuMs: number[];
  bareSpawnLoopMs: number[];
  knitSendLoopMs: number[];
  loopDelayMaxMs: number[];
  /** knit gateway canary (unknown host → 404, new connection every 50 ms) latencies during the knit bursts. */
  canaryMs: number[];
  /** Ages of canaries still unanswered when a knit burst ended. */
  canaryUnanswered: number[];
  /** Instance processes knit started per revision during a burst, when more than one. */
  restarts: string[];
  skipped: string[];
}

const failures: string[] = [];
const notes: string[] = [];

// ---------------------------------------------------------------------------------------------
// knit API

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface Obj {
  metadata: { name: string; generation?: number; labels?: Record<string, string> };
  status?: { observedGeneration?: number; conditions?: Condition[]; actualReplicas?: number; desiredReplicas?: number };
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

const cond = (o: Obj, type: string): Condition | undefined => o.status?.conditions?.find((c) => c.type === type);
const fmtCond = (c: Condition | undefined): string => (c ? `${c.status}${c.reason ? `/${c.reason}` : ''}` : 'none');

async function createServices(knit: KnitServer, image: string, names: string[]): Promise<void> {
  const rs = await Promise.all(
    names.map((name) =>
      api(knit, 'POST', SERVICES, {
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Service',
        metadata: { name, namespace: NS },
        spec: {
          template: {
            metadata: { annotations: { 'autoscaling.knative.dev/window': `${WINDOW_S}s` } },
            spec: { containers: [{ image, env: [{ name: 'NAME', value: name }] }] },
          },
        },
      }).catch((e: Error) => ({ status: 0, body: e.message })),
    ),
  );
  rs.forEach((r, i) => {
    if (r.status !== 201 && r.status !== 200) throw new Error(`create service ${names[i]}: HTTP ${r.status}: ${r.body.slice(0, 500)}`);
  });
}

/** Waits until every service is Ready at its generation; returns when each was first seen so. */
async function waitReady(knit: KnitServer, names: string[], timeoutMs: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const until = performance.now() + timeoutMs;
  let last = new Map<string, string>();
  while (performance.now() < until) {
    if (knit.proc.exited()) throw new Error(`knit exited ${JSON.stringify(knit.proc.exited())}: ${knit.proc.output().trim().slice(-2000)}`);
    const items = new Map((await list(knit, SERVICES)).map((o) => [o.metadata.name, o]));
    last = new Map();
    for (const n of names) {
      if (seen.has(n)) continue;
      const o = items.get(n);
      const ready = o && cond(o, 'Ready');
      if (o && ready?.status === 'True' && o.status?.observedGeneration === o.metadata.generation) seen.set(n, performance.now());
      else if (ready?.status === 'False') throw new Error(`service ${n} failed: ${JSON.stringify(o?.status?.conditions)}`);
      else last.set(n, JSON.stringify(o?.status?.conditions ?? null));
    }
    if (seen.size === names.length) return seen;
    await sleep(names.length > 10 ? 250 : 50);
  }
  throw new Error(`${names.length - seen.size} service(s) not Ready within ${fmtMs(timeoutMs)}: ${[...last].slice(0, 5).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
}

/**
 * Waits until every revision of `names` reports status.actualReplicas == 0 and no knit instance
 * process is alive at all (so nothing else is starting or stopping during the burst). `since` is
 * when each service last had an instance (Ready or its last 200). Returns the services that never
 * got there, with what their revisions showed.
 */
async function waitZero(knit: KnitServer, sc: Scenario, names: string[], since: Map<string, number>, timeoutMs: number): Promise<string[]> {
  const want = new Set(names);
  const zeroAt = new Map<string, number>();
  const lastSeen = new Map<string, Obj>();
  const until = performance.now() + timeoutMs;
  const interval = names.length > 10 ? 250 : 50;
  while (performance.now() < until) {
    if (knit.proc.exited()) throw new Error(`knit exited ${JSON.stringify(knit.proc.exited())}: ${knit.proc.output().trim().slice(-2000)}`);
    const live = liveInstances(knit.dataDir);
    for (const rev of await list(knit, REVISIONS)) {
      const svc = rev.metadata.labels?.['serving.knative.dev/service'] ?? '';
      if (!want.has(svc) || zeroAt.has(svc)) continue;
      lastSeen.set(svc, rev);
      const name = rev.metadata.name;
      if (rev.status?.actualReplicas === 0 && !live.some((l) => l.id.startsWith(`${name}-`))) {
        zeroAt.set(svc, performance.now());
        const k = `Active ${fmtCond(cond(rev, 'Active'))}, Ready ${fmtCond(cond(rev, 'Ready'))}, desiredReplicas ${rev.status?.desiredReplicas}`;
        sc.atZero.set(k, (sc.atZero.get(k) ?? 0) + 1);
      }
    }
    if (zeroAt.size === want.size && live.length === 0) {
      for (const [n, t] of zeroAt) {
        const s = since.get(n);
        if (s !== undefined) sc.toZero.push(t - s);
      }
      return [];
    }
    await sleep(interval);
  }
  const live = liveInstances(knit.dataDir);
  const stuck = names
    .filter((n) => !zeroAt.has(n))
    .map((n) => {
      const r = lastSeen.get(n);
      const mine = live.filter((l) => r && l.id.startsWith(`${r.metadata.name}-`)).length;
      return `${n}: ${r ? `${r.metadata.name} actualReplicas ${r.status?.actualReplicas}, desiredReplicas ${r.status?.desiredReplicas}, Active ${fmtCond(cond(r, 'Active'))}, live instance processes ${mine}` : 'no revision seen'}`;
    });
  if (stuck.length === 0 && live.length) stuck.push(`instance process(es) still alive: ${live.map((l) => `${l.id} (pid ${l.pid})`).join(', ')}`);
  return stuck;
}

async function deleteServices(knit: KnitServer, names: string[], timeoutMs: number): Promise<void> {
  const rs = await Promise.all(names.map((n) => api(knit, 'DELETE', `${SERVICES}/${n}`).catch((e: Error) => ({ status: 0, body: e.message }))));
  rs.forEach((r, i) => {
    if (r.status !== 200 && r.status !== 202) failures.push(`delete service ${names[i]}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
  });
  const want = new Set(names);
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    const revs = (await list(knit, REVISIONS)).filter((r) => want.has(r.metadata.labels?.['serving.knative.dev/service'] ?? ''));
    const live = liveInstances(knit.dataDir);
    if (revs.length === 0 && live.length === 0) return;
    await sleep(100);
  }
  failures.push(`after deleting ${names.length} service(s), revisions or instance processes were still there after ${fmtMs(timeoutMs)}`);
}

// ---------------------------------------------------------------------------------------------
// The two bursts

/**
 * One GET on a fresh connection; onHeaders fires on the response headers, and the body is read to
 * check the app. timeoutMs bounds the whole exchange from this call; `signal` aborts it.
 */
function getOnce(port: number, host: string, timeoutMs: number, onHeaders: () => void, signal?: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', method: 'GET', headers: { host }, agent: false, signal }, (res) => {
      onHeaders();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${fmtMs(timeoutMs)}`)), timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}

/** One request per service, all sent in one loop, each on a new connection. */
async function knitBurst(knit: KnitServer, names: string[], round: number, sc: Scenario): Promise<Sample[]> {
  const gw = new URL(knit.gateway);
  const port = Number(gw.port);
  const logsBefore = instanceLogs(knit.dataDir);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu0 = processCpuSeconds(knit.proc.pid);
  // A canary shows how long knit's single event loop takes to answer anything meanwhile.
  const stopCanary = new AbortController();
  const canaries: Promise<void>[] = [];
  const canaryPending = new Set<number>(); // send times of canaries not answered yet
  const canary = setInterval(() => {
    const c0 = performance.now();
    canaryPending.add(c0);
    canaries.push(
      getOnce(port, 'canary.invalid', TIMEOUT_MS, () => {
        canaryPending.delete(c0);
        sc.canaryMs.push(performance.now() - c0);
      }, stopCanary.signal).then(() => {}, () => {}),
    );
  }, 50);
  const t0 = performance.now();
  const ps = names.map(async (name): Promise<Sample> => {
    let ms: number | undefined;
    try {
      const r = await getOnce(port, `${name}.${NS}.${DOMAIN}`, TIMEOUT_MS, () => (ms = performance.now() - t0));
      if (r.status !== 200) return { name, round, status: r.status, error: `HTTP ${r.status}: ${r.body.trim().slice(0, 200)}` };
      if (r.body !== name) return { name, round, status: r.status, error: `200 from the wrong app: ${JSON.stringify(r.body.slice(0, 100))}` };
      return { name, round, ms, status: 200, at: performance.now() };
    } catch (e) {
      return { name, round, error: (e as Error).message };
    }
  });
  sc.knitSendLoopMs.push(performance.now() - t0);
  const out = await Promise.all(ps);
  const cpu1 = processCpuSeconds(knit.proc.pid);
  if (cpu0 !== undefined && cpu1 !== undefined) sc.knitCpuMs.push((cpu1 - cpu0) * 1000);
  clearInterval(canary);
  // Still waiting when the last cold request was answered: at least this old.
  const tEnd = performance.now();
  for (const c0 of canaryPending) sc.canaryUnanswered.push(tEnd - c0);
  stopCanary.abort();
  await Promise.all(canaries);
  loop.disable();
  sc.loopDelayMaxMs.push(loop.max / 1e6);
  const started = new Map<string, string[]>();
  for (const f of instanceLogs(knit.dataDir)) {
    if (logsBefore.has(f)) continue;
    const rev = path.basename(path.dirname(f));
    started.set(rev, [...(started.get(rev) ?? []), f]);
  }
  for (const [rev, files] of started) {
    if (files.length < 2) continue;
    const tail = files.map((f) => fs.readFileSync(f, 'utf8').trim().split('\n').slice(-2).join(' | ')).filter(Boolean);
    sc.restarts.push(`${rev}: ${files.length} instances started${tail.length ? ` (log: ${tail[0].slice(0, 300)})` : ''}`);
  }
  return out;
}

/** Every instance log file knit wrote so far (DATA_DIR/logs/NS/REVISION/ID.log). */
function instanceLogs(dataDir: string): Set<string> {
  const out = new Set<string>();
  const dir = path.join(dataDir, 'logs', NS);
  let revs: string[] = [];
  try {
    revs = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const r of revs) {
    try {
      for (const f of fs.readdirSync(path.join(dir, r))) out.add(path.join(dir, r, f));
    } catch {
      // gone
    }
  }
  return out;
}

const bareLive = new Set<number>();
onCleanup('kill baseline processes', () => {
  for (const pid of bareLive) killGroup(pid, 'SIGKILL');
});

/** The baseline: N bare `node app.js` (podman: `podman run` of the image) spawned in one loop, each polled until its first 200. */
async function bareBurst(appDir: string, n: number, round: number, sc: Scenario): Promise<Sample[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  const names = Array.from({ length: n }, (_, i) => `bare-${n}-${round}-${i}`);
  // The same environment shape knit gives an instance (its baseEnv plus the service's env and PORT).
  const baseEnv: Record<string, string> = { PATH: [path.dirname(APP_NODE), process.env.PATH ?? '/usr/bin:/bin'].join(':') };
  for (const k of ['LANG', 'LC_ALL', 'TZ', 'HOME']) if (process.env[k]) baseEnv[k] = process.env[k]!;
  const exits: Promise<void>[] = [];
  const pids: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const until = performance.now() + TIMEOUT_MS;
  const t0 = performance.now();
  const ps = [...ports].map((port, i): Promise<Sample> => {
    const name = names[i];
    const child = PODMAN
      ? spawn('podman', ['run', '--rm', '--name', name, '--label', `${BARE_LABEL}=${bareLabelValue}`, '-p', `127.0.0.1:${port}:8080`, '-e', `NAME=${name}`, podmanImage], {
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        })
      : spawn(APP_NODE, ['app.js'], { cwd: appDir, env: { ...baseEnv, NAME: name, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    let exited: string | undefined;
    const pid = child.pid;
    if (pid !== undefined) {
      bareLive.add(pid);
      pids.push(pid);
    }
    exits.push(
      new Promise<void>((resolve) => {
        child.once('exit', (code, signal) => {
          exited = `exited ${code ?? signal}: ${out.trim().slice(-300)}`;
          if (pid !== undefined) {
            bareLive.delete(pid);
            try {
              process.kill(-pid, 'SIGKILL'); // stragglers in its group, if any
            } catch {
              // none
            }
          }
          resolve();
        });
        child.once('error', (e) => {
          exited = `spawn error: ${e.message}`;
          resolve();
        });
      }),
    );
    return new Promise<Sample>((resolve) => {
      let attempts = 0;
      const retry = (): void => void setTimeout(attempt, POLL_MS);
      const attempt = (): void => {
        if (exited) return resolve({ name, round, attempts, error: exited });
        if (performance.now() > until) return resolve({ name, round, attempts, error: `no 200 within ${fmtMs(TIMEOUT_MS)}` });
        attempts++;
        const s = net.connect({ host: '127.0.0.1', port });
        s.once('connect', () => {
          s.destroy();
          let ms: number | undefined;
          getOnce(port, `127.0.0.1:${port}`, TIMEOUT_MS, () => (ms = performance.now() - t0)).then(
            (r) => (r.status === 200 && r.body === name ? resolve({ name, round, ms, status: 200, attempts }) : retry()),
            retry,
          );
        });
        s.once('error', () => {
          s.destroy();
          retry();
        });
      };
      attempt();
    });
  });
  sc.bareSpawnLoopMs.push(performance.now() - t0);
  const out = await Promise.all(ps);
  loop.disable();
  sc.loopDelayMaxMs.push(loop.max / 1e6);
  // podman: killing the client would leave the container running; remove the containers instead.
  if (PODMAN) {
    const r = await runPodman('podman', ['rm', '-f', '-t', '0', '--ignore', ...names], 60_000);
    if (r.code !== 0) failures.push(`podman rm of the baseline containers: ${r.stderr.trim().slice(-300)}`);
    const forced = setTimeout(() => pids.forEach((pid) => killGroup(pid, 'SIGKILL')), 10_000);
    await Promise.all(exits);
    clearTimeout(forced);
    return out;
  }
  for (const pid of pids) killGroup(pid, 'SIGKILL');
  await Promise.all(exits);
  return out;
}

// ---------------------------------------------------------------------------------------------
// podman mode: the image, and removing it and every container of it on every exit path

/** Builds the base and app images (registering their removal first) and returns the app image's tag. */
async function buildPodmanImage(root: string): Promise<string> {
  const version = await PodmanRuntime.available();
  if (!version) throw new Error('BENCH_RUNTIME=podman: podman is not installed (apt-get install -y podman runc)');
  const images = new TestImages();
  bareLabelValue = images.prefix;
  const containersOf = async (): Promise<string[]> => {
    const filters = [`label=${BARE_LABEL}=${bareLabelValue}`, ...(podmanImageId ? [`ancestor=${podmanImageId}`] : [])];
    const ids = new Set<string>();
    for (const f of filters) {
      const r = await runPodman('podman', ['ps', '-aq', '--filter', f]);
      for (const id of r.stdout.split('\n').filter(Boolean)) ids.add(id);
    }
    return [...ids];
  };
  // Runs after knit stopped (registered before startKnitServer): containers first, then the images.
  onCleanup('remove the podman images and their containers', async () => {
    const ids = await containersOf();
    if (ids.length) {
      log(`removing ${ids.length} leftover container(s)`);
      await runPodman('podman', ['rm', '-f', '-t', '0', ...ids], 60_000);
    }
    await images.removeAll();
  });
  const t0 = performance.now();
  const ctx = path.join(root, 'image-app');
  fs.mkdirSync(ctx);
  fs.writeFileSync(path.join(ctx, 'server.js'), APP_JS);
  fs.writeFileSync(path.join(ctx, 'package.json'), `${JSON.stringify({ name: 'cold-app', private: true, type: 'commonjs', main: 'server.js' })}\n`);
  const base = await images.buildNodeBase();
  podmanImage = await images.buildApp('cold', base, ctx, 'ENV PORT=8080\n');
  const r = await runPodman('podman', ['image', 'inspect', '--format', '{{.Id}}', podmanImage]);
  podmanImageId = r.stdout.trim();
  if (r.code !== 0 || !podmanImageId) throw new Error(`podman image inspect ${podmanImage}: ${r.stderr.trim()}`);
  log(`${version}: built ${podmanImage} (${podmanImageId.slice(0, 12)}) in ${fmtMs(performance.now() - t0)}`);
  return podmanImage;
}

// ---------------------------------------------------------------------------------------------
// Main

function summarize(xs: Sample[]): { ok: number[]; failed: Sample[] } {
  return { ok: xs.filter((s) => s.ms !== undefined && !s.error).map((s) => s.ms!), failed: xs.filter((s) => s.error || s.ms === undefined) };
}

async function main(): Promise<number> {
  const root = tempDir('knit-bench-cold-');
  const appDir = path.join(root, 'app');
  fs.mkdirSync(appDir);
  fs.writeFileSync(path.join(appDir, 'app.js'), APP_JS);
  fs.writeFileSync(path.join(appDir, 'package.json'), `${JSON.stringify({ name: 'cold-app', private: true, type: 'commonjs', main: 'app.js' })}\n`);
  let image = `file://${appDir}`;
  if (PODMAN) image = await buildPodmanImage(root);
  const configFile = path.join(root, 'config.yaml');
  fs.writeFileSync(configFile, `autoscaler:\n  scale-to-zero-grace-period: ${GRACE_S}s\n`);

  const knit = await startKnitServer(root, { configFile, ...(process.env.BENCH_GATEWAY_THREADS ? { args: ['--gateway-threads', process.env.BENCH_GATEWAY_THREADS] } : {}) });
  log(`knit serve: gateway ${knit.gateway}, api ${knit.api}, config ${configFile} (grace ${GRACE_S}s), window ${WINDOW_S}s, runtime ${RUNTIME} (image ${image})`);

  // Time a round needs: window + grace + two 2 s autoscaler ticks to reach zero, plus the bursts.
  const zeroMs = (WINDOW_S + GRACE_S) * 1000;
  const zeroTimeoutMs = zeroMs + 30_000;
  const scenarios: Scenario[] = [];
  for (const n of SIZES) {
    const rounds = n === 1 ? SINGLE_ROUNDS : ROUNDS;
    const sc: Scenario = { n, rounds, knit: [], bare: [], toZero: [], atZero: new Map(), knitCpuMs: [], bareSpawnLoopMs: [], knitSendLoopMs: [], loopDelayMaxMs: [], canaryMs: [], canaryUnanswered: [], restarts: [], skipped: [] };
    scenarios.push(sc);
    const roundMs = zeroMs + 4000 + n * 30;
    // One round plus the final wait for zero, and creating the services.
    if (remainingMs() < roundMs + zeroMs + 5000 + n * 100) {
      sc.skipped.push(`all ${rounds} round(s): ${fmtMs(remainingMs())} of the budget left`);
      log(`N=${n}: skipped (budget)`);
      continue;
    }
    const names = Array.from({ length: n }, (_, i) => (n === 1 ? 'cold-1' : `cold-${n}-${i}`));
    const tc = performance.now();
    await createServices(knit, image, names);
    await waitReady(knit, names, 30_000 + n * 500);
    log(`N=${n}: ${n} service(s) Ready in ${fmtMs(performance.now() - tc)}`);
    // When each service last had traffic (its cold 200), for the time it took to get back to zero.
    const since = new Map<string, number>();
    let burstSinceZero = false;
    for (let round = 1; round <= rounds; round++) {
      if (round > 1 && remainingMs() < roundMs + zeroMs + 5000) {
        sc.skipped.push(`rounds ${round}–${rounds}: ${fmtMs(remainingMs())} of the budget left`);
        log(`N=${n}: rounds ${round}–${rounds} skipped (budget)`);
        break;
      }
      const tz = performance.now();
      const stuck = await waitZero(knit, sc, names, since, zeroTimeoutMs);
      if (stuck.length) {
        failures.push(
          `N=${n} ${round === 1 ? 'after creation' : `after round ${round - 1}`}: ${stuck.length} revision(s) did not reach zero within ${fmtMs(zeroTimeoutMs)}: ${stuck.slice(0, 5).join('; ')}`,
        );
        log(`N=${n} round ${round}: not at zero, round skipped`);
        break;
      }
      log(`N=${n} round ${round}: all at zero after ${fmtMs(performance.now() - tz)} of waiting`);
      burstSinceZero = false;
      await sleep(300); // let the last instance exits settle
      const bare = await bareBurst(appDir, n, round, sc);
      await sleep(300);
      const cold = await knitBurst(knit, names, round, sc);
      for (const s of cold) if (s.at !== undefined) since.set(s.name, s.at);
      burstSinceZero = true;
      sc.bare.push(...bare);
      sc.knit.push(...cold);
      const b = summarize(bare);
      const k = summarize(cold);
      log(
        `N=${n} round ${round}: bare median ${fmtMs(median(b.ok))} max ${fmtMs(quantile(b.ok, 1))}; knit median ${fmtMs(median(k.ok))} max ${fmtMs(quantile(k.ok, 1))}` +
          `${b.failed.length + k.failed.length ? `; FAILED bare ${b.failed.length}, knit ${k.failed.length}` : ''}`,
      );
      for (const f of k.failed) failures.push(`N=${n} round ${round}: knit ${f.name}: ${f.error}`);
      for (const f of b.failed) failures.push(`N=${n} round ${round}: bare ${f.name}: ${f.error}`);
    }
    // Back to zero after the last cold start too (so every burst is followed by a scale-down).
    if (burstSinceZero && since.size > 0) {
      const stuck = await waitZero(knit, sc, names, since, zeroTimeoutMs);
      if (stuck.length) failures.push(`N=${n} after the last round: ${stuck.length} revision(s) did not return to zero within ${fmtMs(zeroTimeoutMs)}: ${stuck.slice(0, 5).join('; ')}`);
      else log(`N=${n}: back at zero after the last round`);
    }
    const td = performance.now();
    await deleteServices(knit, names, 30_000);
    log(`N=${n}: deleted in ${fmtMs(performance.now() - td)}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Report
  const missed: string[] = [];
  /** One line per target: `Target: N=…: what → MEETS/MISSES (numbers)`. */
  const targetLines: string[] = [];
  const rows: string[][] = [['N', 'cold starts', 'knit TTFB median', 'knit p95', 'bare median', 'bare p95', 'overhead (median)', 'ratio (median)', 'ratio (p95)', 'targets']];
  for (const sc of scenarios) {
    const k = summarize(sc.knit);
    const b = summarize(sc.bare);
    const km = median(k.ok);
    const bm = median(b.ok);
    const kp = quantile(k.ok, 0.95);
    const bp = quantile(b.ok, 0.95);
    const over = km !== undefined && bm !== undefined ? km - bm : undefined;
    const verdicts: string[] = [];
    /** Records one target of this scenario; `ok` undefined = not measured (counts as missed). */
    const check = (what: string, ok: boolean | undefined, numbers: string): void => {
      const v = ok === undefined ? 'not measured' : ok ? 'MEETS' : 'MISSES';
      verdicts.push(`${what}: ${v}`);
      targetLines.push(`Target: N=${sc.n}: ${what} → ${v} (${numbers})`);
      if (!ok) missed.push(`N=${sc.n}: ${what} (${numbers})`);
    };
    if (sc.n === 1) {
      check(`overhead ≤ ${TARGET_OVERHEAD_MS} ms`, over === undefined ? undefined : over <= TARGET_OVERHEAD_MS, `median knit − bare ${fmtMs(over)}`);
      if (PODMAN) {
        const r = km !== undefined && bm ? km / bm : undefined;
        check(
          `knit median ≤ ${TARGET_PODMAN_MEDIAN_RATIO}× bare \`podman run\` median`,
          r === undefined ? undefined : r <= TARGET_PODMAN_MEDIAN_RATIO,
          `${fmtMs(km)} vs ${fmtMs(bm)}: ×${r?.toFixed(2) ?? '-'}`,
        );
      }
    } else if (sc.n === 100) {
      const r = kp !== undefined && bp ? kp / bp : undefined;
      check(`knit p95 ≤ ${TARGET_P95_RATIO_N100}× bare p95`, r === undefined ? undefined : r <= TARGET_P95_RATIO_N100, `${fmtMs(kp)} vs ${fmtMs(bp)}: ×${r?.toFixed(2) ?? '-'}`);
      check(
        `knit p95 ≤ ${fmtMs(TARGET_P95_N100_MS)}`,
        kp === undefined ? undefined : kp <= TARGET_P95_N100_MS,
        `${fmtMs(kp)}${kp !== undefined && kp > TARGET_P95_N100_MS && kp <= KNATIVE_COLD_MS ? `, within Knative's ${fmtMs(KNATIVE_COLD_MS)}` : ''}`,
      );
    }
    const n200 = sc.knit.filter((s) => s.status === 200 && !s.error).length;
    rows.push([
      String(sc.n),
      `${n200}/${sc.knit.length} ok${sc.skipped.length ? ' (skipped some)' : ''}`,
      fmtMs(km),
      fmtMs(kp),
      fmtMs(bm),
      fmtMs(bp),
      over === undefined ? '-' : `${over >= 0 ? '+' : '−'}${fmtMs(Math.abs(over))}`,
      km !== undefined && bm ? `${(km / bm).toFixed(2)}×` : '-',
      kp !== undefined && bp ? `${(kp / bp).toFixed(2)}×` : '-',
      verdicts.join('; ') || '-',
    ]);
    const att = sc.bare.map((s) => s.attempts ?? 0);
    notes.push(
      `N=${sc.n}: back to zero (cold 200 → actualReplicas 0 and no instance process, polled) median ${fmtMs(median(sc.toZero))}, max ${fmtMs(quantile(sc.toZero, 1))} ` +
        `(window ${WINDOW_S}s + grace ${GRACE_S}s = ${WINDOW_S + GRACE_S}s)` +
        `; revisions at zero showed: ${[...sc.atZero].map(([s, c]) => `${s} ×${c}`).join('; ') || '-'}`,
    );
    notes.push(
      `N=${sc.n}: knit CPU per burst ${sc.knitCpuMs.map((x) => `${x.toFixed(0)} ms`).join(', ') || '-'}; send loop ${fmtMs(quantile(sc.knitSendLoopMs, 1))} max; ` +
        `bare spawn loop ${fmtMs(quantile(sc.bareSpawnLoopMs, 1))} max; bare connect attempts median ${median(att) ?? '-'}; bench event-loop delay max ${fmtMs(quantile(sc.loopDelayMaxMs, 1))}`,
    );
    if (k.ok.length >= 10) {
      notes.push(`N=${sc.n}: knit TTFB p10 ${fmtMs(quantile(k.ok, 0.1))}, p25 ${fmtMs(quantile(k.ok, 0.25))}, p50 ${fmtMs(quantile(k.ok, 0.5))}, p75 ${fmtMs(quantile(k.ok, 0.75))}, p90 ${fmtMs(quantile(k.ok, 0.9))}, max ${fmtMs(quantile(k.ok, 1))}`);
    }
    notes.push(
      `N=${sc.n}: gateway canary (unknown host, new connection every 50 ms) during the knit bursts: ${sc.canaryMs.length} answered${sc.canaryUnanswered.length ? ` (+${sc.canaryUnanswered.length} unanswered when the burst ended, the oldest sent ${fmtMs(quantile(sc.canaryUnanswered, 1))} before)` : ''}, ` +
        `median ${fmtMs(median(sc.canaryMs))}, max ${fmtMs(quantile(sc.canaryMs, 1))}`,
    );
    if (sc.restarts.length) notes.push(`N=${sc.n}: revisions that started more than one instance in a burst (${sc.restarts.length}): ${sc.restarts.slice(0, 5).join('; ')}`);
    for (const s of sc.skipped) notes.push(`N=${sc.n}: skipped ${s}`);
  }

  const out: string[] = [];
  out.push('');
  out.push(`knit scale-from-zero${PODMAN ? ' (podman)' : ''}: cold TTFB vs bare spawn→first 200 (${machine()})`);
  out.push('');
  out.push(table(rows));
  out.push('');
  out.push('knit TTFB: burst start → response headers of `GET /` via the gateway (Host: NAME.default.example.com, new');
  out.push('connection), every service at zero, N requests sent in one loop. bare: burst start → first 200 of N');
  out.push(
    PODMAN
      ? `\`podman run --rm -p 127.0.0.1:PORT:8080 -e NAME=… ${podmanImage}\` spawned in one loop and polled (connect every ${POLL_MS} ms, then GET);`
      : `\`node app.js\` spawned in one loop and polled (connect every ${POLL_MS} ms, then GET).`,
  );
  if (PODMAN) out.push('knit runs the same image: at zero it keeps the next container created and initialised (`podman create` + `podman init` with the arguments of `podman run --rm --init --log-driver none --tmpfs /tmp … -p 127.0.0.1:PORT:8080`), and a cold start is `podman start --attach` of it.');
  out.push('overhead = knit median − bare median;');
  out.push('ratio = knit / bare (medians, p95s); p95 is nearest-rank. Everything shares the machine.');
  out.push('');
  if (targetLines.length) for (const l of targetLines) out.push(l);
  else out.push('Targets: none applies to these sizes (N=1 and N=100 have targets).');
  if (failures.length) {
    out.push('');
    out.push(`FAILURES (${failures.length}):`);
    for (const f of failures.slice(0, 30)) out.push(`  ${f}`);
    if (failures.length > 30) out.push(`  … and ${failures.length - 30} more`);
  }
  out.push('');
  out.push('Notes:');
  for (const n of notes) out.push(`  ${n}`);
  const stderr = knit.proc.output().trim();
  out.push('');
  if (stderr) {
    const lines = stderr.split('\n');
    out.push(`knit serve output (${lines.length} line(s), last 30):`);
    for (const l of lines.slice(-30)) out.push(`  ${l}`);
  } else {
    out.push('knit serve output: (empty)');
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (JSON_FILE) {
    fs.writeFileSync(JSON_FILE, `${JSON.stringify(scenarios.map((s) => ({ ...s, atZero: Object.fromEntries(s.atZero) })), null, 1)}\n`);
  }
  return failures.length > 0 || missed.length > 0 ? 1 : 0;
}

await runBench(BUDGET_S + 20, main);
