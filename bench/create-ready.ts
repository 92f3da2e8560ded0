// bench/create-ready: how long a new Knative Service takes to become Ready, and to answer its first
// request, on a real `knit serve` child process.
//
//   node_modules/.bin/node bench/create-ready.ts [--single-rounds 15] [--burst-size 50]
//       [--burst-rounds 3] [--budget 170] [--probe-ms 5] [--burst-probe-ms 20]
//       [--launcher auto|bin|node|in-process] [--json FILE] [--verbose]
//
// Exit status: 0 when every service became Ready and answered, and create→Ready p95 meets the
// objective in every scenario; 1 otherwise; 2 when the time budget ran out; 130 on a signal.
//
// Scenarios: N=1 (one service at a time, repeated) and N=burst (all created at once, repeated).
// Per service it measures, from the moment the POST is sent:
//   create→Ready      the watch stream (services?watch=true) delivers the object with
//                     Ready=True and status.observedGeneration == metadata.generation;
//   create→first-200  `GET /` on the external gateway with `Host: NAME.default.example.com`
//                     first answers 200 (retried quickly on anything else).
// Between rounds the services are deleted and the bench waits until their revisions and instances
// are gone. Prints a table with median and p95 against Knative's objective (p95 ≤ 25 s).
// See bench/README.md.

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { KnitServeProcess, apiCa, type Endpoints } from '../test/knit-server.ts';
import { CREATE_READY_OBJECTIVE, checkObjective, median, quantile } from './slo.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const IMAGE = `file://${path.join(REPO, 'examples', 'helloworld')}`;
const DOMAIN = 'example.com';
const NS = 'default';
const SERVICES = `/apis/serving.knative.dev/v1/namespaces/${NS}/services`;
const REVISIONS = `/apis/serving.knative.dev/v1/namespaces/${NS}/revisions`;

const { values: flags } = parseArgs({
  options: {
    'single-rounds': { type: 'string', default: '15' },
    'burst-size': { type: 'string', default: '50' },
    'burst-rounds': { type: 'string', default: '3' },
    budget: { type: 'string', default: '170' }, // seconds, whole run including start and cleanup
    'probe-ms': { type: 'string', default: '5' }, // first-200 retry interval per service, N=1
    'burst-probe-ms': { type: 'string', default: '20' }, // first-200 retry interval per service, N>1
    launcher: { type: 'string', default: 'auto' }, // auto | bin | node | in-process
    json: { type: 'string' }, // also write every sample to this file
    verbose: { type: 'boolean', default: false },
  },
});
const SINGLE_ROUNDS = Number(flags['single-rounds']);
const BURST_SIZE = Number(flags['burst-size']);
const BURST_ROUNDS = Number(flags['burst-rounds']);
const BUDGET_MS = Number(flags.budget) * 1000;
const VERBOSE = flags.verbose;
const PROBE_MS = Number(flags['probe-ms']);
const BURST_PROBE_MS = Number(flags['burst-probe-ms']);
const LAUNCHER = flags.launcher;
if (!['auto', 'bin', 'node', 'in-process'].includes(LAUNCHER)) throw new Error(`--launcher: want auto, bin, node or in-process, not ${LAUNCHER}`);

const startedAt = performance.now();
const deadlineAt = startedAt + BUDGET_MS;
const remaining = (): number => deadlineAt - performance.now();
const log = (msg: string): void => {
  process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
};
const vlog = (msg: string): void => {
  if (VERBOSE) log(msg);
};

// ---------------------------------------------------------------------------------------------
// HTTP helper (node:http, so the Host header is ours to set)

interface Resp {
  status: number;
  body: string;
}

/** Keep-alive connections to the API, trusting its CA (made once the server is up). */
let apiAgent: https.Agent | undefined;
const gwAgent = new http.Agent({ keepAlive: true, maxSockets: 128 });

function request(
  base: string,
  method: string,
  pathname: string,
  opts: { headers?: Record<string, string>; body?: string; agent?: http.Agent | https.Agent; timeoutMs?: number } = {},
): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const u = new URL(pathname, base);
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
    const req = (u.protocol === 'https:' ? https : http).request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: opts.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`${method} ${pathname}: timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

// ---------------------------------------------------------------------------------------------
// The knit server under test

interface Server {
  how: string;
  dataDir: string;
  endpoints: Endpoints;
  token: string;
  output(): string; // combined stdout+stderr of the server (child modes)
  stderr(): string;
  stop(): Promise<void>;
}

let tmpRoot: string | undefined;
let server: Server | undefined;
const children = new Set<KnitServeProcess>();

async function startChild(how: string, command: string[], dataDir: string): Promise<Server> {
  const proc = new KnitServeProcess({
    dataDir,
    command,
    args: ['--domain', DOMAIN],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
    processGroup: true, // its own process group, so we can signal everything it runs
    onOutput: (s, stream) => stream === 'stderr' && vlog(`server stderr: ${s.trimEnd()}`),
  });
  children.add(proc);
  const stop = async (): Promise<void> => {
    await proc.stop('SIGTERM', 8000);
    children.delete(proc);
  };
  try {
    const { endpoints, token } = await proc.ready();
    return { how: `${how} (pid ${proc.pid})`, dataDir, endpoints, token, output: () => proc.output(), stderr: () => proc.stderr(), stop };
  } catch (e) {
    await stop();
    throw new Error(`${how}: ${(e as Error).message}`);
  }
}

async function startInProcess(dataDir: string): Promise<Server> {
  const mod = (await import(path.join(REPO, 'src', 'serve.ts'))) as {
    startKnit(o: object): Promise<{ endpoints: Endpoints; token: string; stop(): Promise<void> }>;
  };
  const k = await mod.startKnit({ dataDir, http: '127.0.0.1:0', api: '127.0.0.1:0', localHttp: '127.0.0.1:0', metrics: '127.0.0.1:0', domain: DOMAIN, quiet: true });
  return { how: 'in-process startKnit (fallback)', dataDir, endpoints: k.endpoints, token: k.token, output: () => '', stderr: () => '', stop: () => k.stop() };
}

async function startServer(): Promise<Server> {
  const node = path.join(REPO, 'node_modules', '.bin', 'node');
  const candidates: { how: string; argv?: string[] }[] = [];
  const bin = path.join(REPO, 'bin', 'knit');
  const want = (k: string): boolean => LAUNCHER === 'auto' || LAUNCHER === k;
  if (want('bin') && isExecutable(bin)) candidates.push({ how: 'bin/knit serve', argv: [bin] });
  if (want('node') && isExecutable(node)) candidates.push({ how: 'node src/cli/main.ts serve', argv: [node, '--disable-warning=ExperimentalWarning', path.join(REPO, 'src', 'cli', 'main.ts')] });
  if (want('in-process')) candidates.push({ how: 'in-process' });
  const problems: string[] = [];
  for (const [i, c] of candidates.entries()) {
    const dataDir = path.join(tmpRoot!, `data${i}`);
    try {
      return c.argv ? await startChild(c.how, c.argv, dataDir) : await startInProcess(dataDir);
    } catch (e) {
      problems.push((e as Error).message);
      log(`could not start knit via ${c.how}: ${(e as Error).message}`);
    }
  }
  throw new Error(`knit did not start:\n${problems.join('\n')}`);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

/** Instances knit started run in their own process groups; knit records them under run/instances. */
function instanceRecords(dataDir: string): { file: string; pid: number; start: string }[] {
  const dir = path.join(dataDir, 'run', 'instances');
  let files: string[];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const recs: { file: string; pid: number; start: string }[] = [];
  for (const f of files) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { pid: number; start: string };
      recs.push({ file: f, pid: r.pid, start: r.start });
    } catch {
      // half-written or removed meanwhile
    }
  }
  return recs;
}

function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Instances whose recorded process is still alive. */
function liveInstances(dataDir: string): { file: string; pid: number }[] {
  return instanceRecords(dataDir).filter((r) => processStartTime(r.pid) === r.start);
}

// ---------------------------------------------------------------------------------------------
// Watch on services: resolves waiters when a service becomes Ready for its current generation

interface Obj {
  metadata: { name: string; generation?: number; resourceVersion?: string; uid?: string };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

function isReady(o: Obj): boolean {
  const c = o.status?.conditions?.find((x) => x.type === 'Ready');
  return c?.status === 'True' && o.status?.observedGeneration === o.metadata.generation;
}

class ServiceWatch {
  private readonly waiters = new Map<string, (t: number) => void>();
  readonly last = new Map<string, Obj>();
  readonly deleted = new Set<string>();
  /** Per service, the Ready condition's successive values (status/reason), deduplicated. */
  readonly history = new Map<string, string[]>();
  private rv: string | undefined;
  private req: http.ClientRequest | undefined;
  private closing = false;
  reconnects = 0;
  events = 0;
  errors: string[] = [];

  private readonly base: string;
  private readonly token: string;
  private readonly ca: string;

  constructor(base: string, token: string, ca: string) {
    this.base = base;
    this.token = token;
    this.ca = ca;
  }

  /** Resolves once the stream's response headers arrived (the watch is registered). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const qs = this.rv ? `?watch=true&resourceVersion=${this.rv}` : '?watch=true';
      const u = new URL(SERVICES + qs, this.base);
      const req = https.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers: { authorization: `Bearer ${this.token}` }, ca: this.ca }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        resolve();
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (s: string) => {
          const now = performance.now();
          buf += s;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (line) this.onLine(line, now);
          }
        });
        const reconnect = (why: string): void => {
          if (this.closing) return;
          this.reconnects++;
          this.errors.push(`watch stream ended (${why}); reconnecting from resourceVersion ${this.rv}`);
          setTimeout(() => this.start().catch((e: Error) => this.errors.push(`watch reconnect failed: ${e.message}`)), 50);
        };
        res.on('end', () => reconnect('end'));
        res.on('error', (e) => reconnect(e.message));
      });
      req.on('error', (e) => {
        if (!this.closing) reject(e);
      });
      req.end();
      this.req = req;
    });
  }

  private onLine(line: string, now: number): void {
    let ev: { type: string; object: Obj };
    try {
      ev = JSON.parse(line) as { type: string; object: Obj };
    } catch {
      this.errors.push(`watch: unparsable line: ${line.slice(0, 200)}`);
      return;
    }
    this.events++;
    if (ev.type === 'ERROR') {
      this.errors.push(`watch ERROR event: ${JSON.stringify(ev.object).slice(0, 300)}`);
      return;
    }
    const o = ev.object;
    if (o?.metadata?.resourceVersion) this.rv = o.metadata.resourceVersion;
    const name = o?.metadata?.name;
    if (!name) return;
    if (ev.type === 'DELETED') {
      this.last.delete(name);
      this.deleted.add(name);
      return;
    }
    this.last.set(name, o);
    const c = o.status?.conditions?.find((x) => x.type === 'Ready');
    const step = c ? `${c.status}${c.reason ? `/${c.reason}` : ''}` : '(none)';
    const h = this.history.get(name) ?? [];
    if (h[h.length - 1] !== step) h.push(step);
    this.history.set(name, h);
    if (isReady(o)) {
      const w = this.waiters.get(name);
      if (w) {
        this.waiters.delete(name);
        w(now);
      }
    }
  }

  /** Call before creating NAME; resolves with the time Ready was observed, or undefined on timeout. */
  waitReady(name: string, timeoutMs: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters.delete(name);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.set(name, (at) => {
        clearTimeout(t);
        resolve(at);
      });
    });
  }

  close(): void {
    this.closing = true;
    this.req?.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// One round: create N services at once, measure, delete, wait until gone

interface Sample {
  name: string;
  readyMs?: number;
  first200Ms?: number;
  error?: string;
  attempts: number;
  /** Answers seen before the first 200, by status (0 = connection error). */
  before200: Map<number, number>;
  /** Status of a GET sent the moment Ready=True was observed (Knative: Ready means routable). */
  atReady?: number;
  /** When that GET was answered, from the POST. */
  atReadyMs?: number;
}

interface RoundResult {
  samples: Sample[];
  goneMs?: number;
  notes: string[];
  /** Gateway latency of a 404 (unknown host) on a new connection / on a kept-alive one, during the round. */
  canary: { fresh: number[]; kept: number[] };
}

/**
 * Every 50 ms until stopped, asks the gateway for an unknown host (a 404 that touches no revision)
 * once over a new TCP connection and once over a kept-alive one. A gap between the two shows
 * connections waiting to be accepted rather than requests waiting to be served.
 */
function startCanary(gw: string): { stop(): Promise<{ fresh: number[]; kept: number[] }> } {
  const keptAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const fresh: number[] = [];
  const kept: number[] = [];
  let on = true;
  const loop = async (agent: http.Agent | undefined, into: number[]): Promise<void> => {
    while (on) {
      const s0 = performance.now();
      const opts = { headers: { host: `canary.invalid` }, timeoutMs: 30_000, ...(agent ? { agent } : {}) };
      const ok = await request(gw, 'GET', '/', agent ? opts : { ...opts, agent: new http.Agent({ keepAlive: false }) }).then(
        () => true,
        () => false,
      );
      if (ok) into.push(performance.now() - s0);
      await sleep(50);
    }
  };
  const done = Promise.all([loop(undefined, fresh), loop(keptAgent, kept)]);
  return {
    async stop() {
      on = false;
      await done;
      keptAgent.destroy();
      return { fresh, kept };
    },
  };
}

function serviceBody(name: string): string {
  return JSON.stringify({
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: { template: { spec: { containers: [{ image: IMAGE, env: [{ name: 'TARGET', value: name }] }] } } },
  });
}

async function waitFirst200(
  gw: string,
  name: string,
  t0: number,
  until: number,
  intervalMs: number,
): Promise<{ ms?: number; attempts: number; last: string; before200: Map<number, number> }> {
  let attempts = 0;
  let last = '';
  const before200 = new Map<number, number>();
  const seen = (status: number): void => {
    before200.set(status, (before200.get(status) ?? 0) + 1);
  };
  while (performance.now() < until) {
    attempts++;
    try {
      const r = await request(gw, 'GET', '/', { headers: { host: `${name}.${NS}.${DOMAIN}` }, agent: gwAgent, timeoutMs: Math.max(100, until - performance.now()) });
      if (r.status === 200) {
        const ms = performance.now() - t0;
        // The sample app answers "Hello TARGET!" and TARGET is the service's name: a 200 from anything
        // else (another service, a stale route) would be a routing bug, not a success.
        if (r.body.trim() === `Hello ${name}!`) return { ms, attempts, last: '200', before200 };
        last = `200 with unexpected body ${JSON.stringify(r.body.slice(0, 120))}`;
        seen(-200);
      } else {
        last = `${r.status} ${r.body.trim().slice(0, 120)}`;
        seen(r.status);
      }
    } catch (e) {
      last = (e as Error).message;
      seen(0);
    }
    await sleep(intervalMs);
  }
  return { attempts, last, before200 };
}

async function runRound(srv: Server, watch: ServiceWatch, names: string[], timeoutMs: number): Promise<RoundResult> {
  const api = srv.endpoints.api;
  const auth = { authorization: `Bearer ${srv.token}` };
  const notes: string[] = [];
  // Retry interval for the first-200 probe: quick for one service, gentler when 50 probe at once so
  // the bench's own traffic does not dominate the single-threaded server.
  const intervalMs = names.length > 1 ? BURST_PROBE_MS : PROBE_MS;
  const until = performance.now() + timeoutMs;
  const canary = startCanary(srv.endpoints.http);

  const samples = await Promise.all(
    names.map(async (name): Promise<Sample> => {
      const gw = srv.endpoints.http;
      const host = `${name}.${NS}.${DOMAIN}`;
      // The moment Ready=True shows up, one extra GET checks the service is routable then.
      const readyP = watch.waitReady(name, timeoutMs).then(async (at) => {
        if (at === undefined) return { at, atReady: undefined, atReadyAt: undefined };
        const r = await request(gw, 'GET', '/', { headers: { host }, agent: gwAgent, timeoutMs: 10_000 }).catch(() => ({ status: 0, body: '' }));
        return { at, atReady: r.status === 200 && r.body.trim() !== `Hello ${name}!` ? -200 : r.status, atReadyAt: performance.now() };
      });
      const t0 = performance.now();
      const createP = request(api, 'POST', SERVICES, { headers: { ...auth, 'content-type': 'application/json' }, body: serviceBody(name), agent: apiAgent, timeoutMs });
      const firstP = waitFirst200(srv.endpoints.http, name, t0, until, intervalMs);
      let created: Resp;
      try {
        created = await createP;
      } catch (e) {
        return { name, error: `POST failed: ${(e as Error).message}`, attempts: 0, before200: new Map() };
      }
      if (created.status !== 201 && created.status !== 200) {
        return { name, error: `POST → ${created.status}: ${created.body.slice(0, 300)}`, attempts: 0, before200: new Map() };
      }
      const [ready, first] = await Promise.all([readyP, firstP]);
      const s: Sample = { name, attempts: first.attempts, before200: first.before200, atReady: ready.atReady };
      if (ready.atReadyAt !== undefined) s.atReadyMs = ready.atReadyAt - t0;
      if (ready.at !== undefined) s.readyMs = ready.at - t0;
      if (first.ms !== undefined) s.first200Ms = first.ms;
      const errs: string[] = [];
      if (s.readyMs === undefined) errs.push(`never Ready within ${(timeoutMs / 1000).toFixed(0)} s; last conditions: ${JSON.stringify(watch.last.get(name)?.status?.conditions ?? null)}`);
      if (s.first200Ms === undefined) errs.push(`no 200 within ${(timeoutMs / 1000).toFixed(0)} s; last answer: ${first.last}`);
      if (errs.length) s.error = errs.join('; ');
      return s;
    }),
  );

  const canaryTimes = await canary.stop();
  // Delete, then wait until revisions, instances and routes are gone.
  const t0 = performance.now();
  const dels = await Promise.all(
    names.map((n) => request(api, 'DELETE', `${SERVICES}/${n}`, { headers: auth, agent: apiAgent }).catch((e: Error) => ({ status: 0, body: e.message }))),
  );
  for (const [i, d] of dels.entries()) if (d.status !== 200 && d.status !== 202 && d.status !== 404) notes.push(`DELETE ${names[i]} → ${d.status}: ${d.body.slice(0, 200)}`);
  const goneBy = performance.now() + Math.min(30_000, Math.max(2000, remaining() - 10_000));
  let state = '';
  while (performance.now() < goneBy) {
    const revs = await request(api, 'GET', REVISIONS, { headers: auth, agent: apiAgent }).catch((e: Error) => ({ status: 0, body: e.message }));
    const left = revs.status === 200 ? (JSON.parse(revs.body) as { items: Obj[] }).items.length : -1;
    const live = liveInstances(srv.dataDir).length;
    if (left === 0 && live === 0) {
      // Nothing may answer 200 any more.
      const still = (
        await Promise.all(
          names.map((n) =>
            request(srv.endpoints.http, 'GET', '/', { headers: { host: `${n}.${NS}.${DOMAIN}` }, agent: gwAgent, timeoutMs: 2000 })
              .then((r) => (r.status === 200 ? n : undefined))
              .catch(() => undefined),
          ),
        )
      ).filter(Boolean);
      if (still.length === 0) return { samples, goneMs: performance.now() - t0, notes, canary: canaryTimes };
      state = `${still.length} host(s) still answer 200 (${still.slice(0, 3).join(', ')})`;
    } else {
      state = `${left} revision(s) listed, ${live} instance process(es) alive`;
    }
    await sleep(10);
  }
  notes.push(`after DELETE, not gone in time: ${state}`);
  return { samples, notes, canary: canaryTimes };
}

// ---------------------------------------------------------------------------------------------
// Statistics and the table

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function fmtRatio(c: { ratio: number | undefined; meets: boolean }): string {
  if (c.ratio === undefined) return '-';
  const r = c.ratio;
  return `${r < 0.01 ? r.toFixed(4) : r.toFixed(3)} (${c.meets ? 'meets' : 'MISSES'})`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]): string => `| ${r.map((x, c) => x.padEnd(widths[c])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Cleanup, always

let cleaning: Promise<void> | undefined;
let watchRef: ServiceWatch | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    watchRef?.close();
    apiAgent?.destroy();
    gwAgent.destroy();
    const dataDir = server?.dataDir;
    try {
      await server?.stop();
    } catch (e) {
      log(`stopping knit: ${(e as Error).message}`);
    }
    for (const c of children) await c.stop('SIGKILL', 0);
    // Instances run in their own process groups; kill any a crashed server left behind.
    if (dataDir) {
      const left = liveInstances(dataDir);
      if (left.length) log(`killing ${left.length} instance process group(s) left after knit stopped: ${left.map((l) => l.pid).join(', ')}`);
      for (const l of left) killGroup(l.pid, 'SIGKILL');
    }
    if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}
const hardStop = setTimeout(() => {
  log(`time budget (${BUDGET_MS / 1000} s) exceeded: aborting`);
  void cleanup().finally(() => process.exit(2));
}, BUDGET_MS + 5000);

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-bench-'));
  const srv = (server = await startServer());
  log(`knit via ${srv.how}: api ${srv.endpoints.api}, gateway ${srv.endpoints.http}, data ${srv.dataDir}`);
  log(`image ${IMAGE}`);
  apiAgent = new https.Agent({ keepAlive: true, maxSockets: 128, ca: apiCa(srv.dataDir) });
  const watch = (watchRef = new ServiceWatch(srv.endpoints.api, srv.token, apiCa(srv.dataDir)));
  await watch.start();

  const scenarios = [
    { label: 'N=1 (one at a time)', size: 1, rounds: SINGLE_ROUNDS, timeoutMs: 30_000 },
    { label: `N=${BURST_SIZE} (all at once)`, size: BURST_SIZE, rounds: BURST_ROUNDS, timeoutMs: 60_000 },
  ];
  const rows: string[][] = [
    ['scenario', 'samples', 'Ready p50', 'Ready p95', '200 p50', '200 p95', 'objective', 'Ready p95/obj', '200 p95/obj', 'delete→gone p50'],
  ];
  const failures: string[] = [];
  const notes: string[] = [];
  const raw: Record<string, unknown>[] = [];
  const missed: string[] = [];
  for (const sc of scenarios) {
    const all: Sample[] = [];
    const gone: number[] = [];
    const canaryFresh: number[] = [];
    const canaryKept: number[] = [];
    // The bench's own event-loop delay: if it were large, the bench (not knit) would be what is slow.
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    let done = 0;
    for (let r = 0; r < sc.rounds; r++) {
      // Keep the whole run bounded: a round needs its timeout plus time to delete and stop.
      const budget = remaining() - 15_000;
      if (budget < 2000 + sc.size * 60) {
        notes.push(`${sc.label}: skipped rounds ${r + 1}..${sc.rounds} (time budget)`);
        break;
      }
      const names = Array.from({ length: sc.size }, (_, i) => `b${sc.size}-r${r + 1}-s${i + 1}`);
      const res = await runRound(srv, watch, names, Math.min(sc.timeoutMs, budget));
      done++;
      all.push(...res.samples);
      for (const s of res.samples) raw.push({ scenario: sc.label, round: r + 1, ...s, before200: Object.fromEntries(s.before200) });
      if (res.goneMs !== undefined) gone.push(res.goneMs);
      canaryFresh.push(...res.canary.fresh);
      canaryKept.push(...res.canary.kept);
      for (const s of res.samples) if (s.error) failures.push(`${sc.label} ${s.name}: ${s.error}`);
      for (const n of res.notes) notes.push(`${sc.label} round ${r + 1}: ${n}`);
      const rd = res.samples.map((s) => s.readyMs).filter((x) => x !== undefined);
      const fs2 = res.samples.map((s) => s.first200Ms).filter((x) => x !== undefined);
      log(
        `${sc.label} round ${r + 1}/${sc.rounds}: Ready ${rd.length}/${names.length} p50 ${fmtMs(median(rd))} max ${fmtMs(quantile(rd, 1))}; ` +
          `200 ${fs2.length}/${names.length} p50 ${fmtMs(median(fs2))} max ${fmtMs(quantile(fs2, 1))}; gone after ${fmtMs(res.goneMs)}`,
      );
      if (res.goneMs === undefined) {
        notes.push(`${sc.label}: stopped after round ${r + 1} because its services did not go away`);
        break;
      }
    }
    loop.disable();
    notes.push(
      `${sc.label}: gateway 404 latency while creating, new connection: p50 ${fmtMs(median(canaryFresh))} max ${fmtMs(quantile(canaryFresh, 1))}` +
        ` (n=${canaryFresh.length}); kept-alive connection: p50 ${fmtMs(median(canaryKept))} max ${fmtMs(quantile(canaryKept, 1))} (n=${canaryKept.length})`,
    );
    notes.push(`${sc.label}: bench event-loop delay p99 ${fmtMs(loop.percentile(99) / 1e6)}, max ${fmtMs(loop.max / 1e6)}`);
    const ready = all.map((s) => s.readyMs).filter((x) => x !== undefined);
    const first = all.map((s) => s.first200Ms).filter((x) => x !== undefined);
    if (all.length === 0) {
      failures.push(`${sc.label}: no samples`);
      rows.push([`${sc.label} ×0`, '0/0', '-', '-', '-', '-', CREATE_READY_OBJECTIVE.text, '-', '-', '-']);
      continue;
    }
    const lag = all.filter((s) => s.atReadyMs !== undefined && s.readyMs !== undefined).map((s) => s.atReadyMs! - s.readyMs!);
    notes.push(`${sc.label}: a GET sent on observing Ready was answered after a median ${fmtMs(median(lag))} (max ${fmtMs(quantile(lag, 1))})`);
    const seqs = new Map<string, number>();
    for (const s of all) {
      const k = (watch.history.get(s.name) ?? []).join(' → ');
      seqs.set(k, (seqs.get(k) ?? 0) + 1);
    }
    notes.push(`${sc.label}: Ready condition as seen on the watch: ${[...seqs].map(([k, v]) => `${k || '(nothing)'} ×${v}`).join('; ')}`);
    const hist = new Map<number, number>();
    for (const s of all) for (const [k, v] of s.before200) hist.set(k, (hist.get(k) ?? 0) + v);
    const label = (k: number): string => (k === 0 ? 'connection error' : k === -200 ? '200 from the wrong app' : String(k));
    notes.push(
      `${sc.label}: answers before the first 200: ${hist.size ? [...hist].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${label(k)} ×${v}`).join(', ') : 'none'}`,
    );
    const notRoutable = all.filter((s) => s.atReady !== undefined && s.atReady !== 200);
    notes.push(
      `${sc.label}: GET sent when Ready=True was observed: ${all.filter((s) => s.atReady === 200).length} answered 200` +
        (notRoutable.length ? `, ${notRoutable.length} did not (${notRoutable.slice(0, 5).map((s) => `${s.name}→${label(s.atReady!)}`).join(', ')})` : ''),
    );
    const rc = checkObjective(ready);
    const fc = checkObjective(first);
    if (!rc.meets) missed.push(`${sc.label}: create→Ready p95 ${fmtMs(rc.p)} misses ${CREATE_READY_OBJECTIVE.text}`);
    rows.push([
      `${sc.label} ×${done}`,
      `${ready.length}/${all.length}`,
      fmtMs(median(ready)),
      fmtMs(rc.p),
      fmtMs(median(first)),
      fmtMs(fc.p),
      CREATE_READY_OBJECTIVE.text,
      fmtRatio(rc),
      fmtRatio(fc),
      fmtMs(median(gone)),
    ]);
  }

  const out: string[] = [];
  out.push('');
  out.push(`knit create→Ready / create→first-200 (${srv.how}; ${os.cpus().length} CPUs, Node ${process.versions.node})`);
  out.push('');
  out.push(table(rows));
  out.push('');
  out.push('Ready = watch event with Ready=True and observedGeneration == generation; 200 = first `GET /` via the gateway');
  out.push('answering 200. Both timed from sending the POST. p95 is nearest-rank; ratio = p95 / 25 s (below 1 meets the objective).');
  for (const m of missed) out.push(`OBJECTIVE MISSED: ${m}`);
  if (failures.length) {
    out.push('');
    out.push(`FAILURES (${failures.length}):`);
    for (const f of failures.slice(0, 20)) out.push(`  ${f}`);
    if (failures.length > 20) out.push(`  … and ${failures.length - 20} more`);
  }
  if (watch.errors.length) notes.push(...watch.errors.map((e) => `watch: ${e}`));
  if (notes.length) {
    out.push('');
    out.push('Notes:');
    for (const n of notes) out.push(`  ${n}`);
  }
  const stderr = srv.stderr().trim();
  out.push('');
  if (stderr) {
    const lines = stderr.split('\n');
    out.push(`knit server stderr (${lines.length} line(s), last 30):`);
    for (const l of lines.slice(-30)) out.push(`  ${l}`);
  } else {
    out.push('knit server stderr: (empty)');
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (flags.json) fs.writeFileSync(flags.json, `${JSON.stringify({ server: srv.how, samples: raw }, null, 1)}\n`);
  return failures.length > 0 || missed.length > 0 ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  log(`bench failed: ${(e as Error).stack ?? e}`);
  const stderr = server?.stderr().trim();
  if (stderr) log(`knit server stderr:\n${stderr.split('\n').slice(-40).join('\n')}`);
  code = 1;
} finally {
  const t = performance.now();
  await cleanup();
  log(`cleaned up in ${fmtMs(performance.now() - t)}; total ${fmtMs(performance.now() - startedAt)}`);
  clearTimeout(hardStop);
}
process.exit(code);
