// Shared plumbing for bench/proxy.ts, bench/dataplane-probe.ts, bench/scale-from-zero.ts and bench/storm.ts: process groups, cleanup on every exit path, a knit child server, HTTP helpers, tables.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KnitServeProcess } from '../test/knit-server.ts';

export const REPO = path.resolve(import.meta.dirname, '..');
export const DOMAIN = 'example.com';
export const NS = 'default';
export const SERVICES = `/apis/serving.knative.dev/v1/namespaces/${NS}/services`;

const startedAt = performance.now();

export function log(msg: string): void {
  process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
}

// ---------------------------------------------------------------------------------------------
// Environment knobs

/** Seconds from `10s`, `500ms`, `1m` or a bare number of seconds. */
export function parseDuration(s: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(s);
  if (!m) throw new Error(`${what}: want a duration such as 10s, 500ms or 1m, not "${s}"`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
}

export function envDuration(name: string, dflt: string): number {
  return parseDuration(process.env[name] ?? dflt, name);
}

export function envInt(name: string, dflt: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: want an integer ≥ ${min}, not "${raw}"`);
  return n;
}

/** Absolute path of an executable on PATH (plus the sbin directories, where Debian puts nginx). */
export function which(bin: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const f = path.join(d, bin);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      if (fs.statSync(f).isFile()) return f;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The Node that runs this script (node_modules/.bin/node → Node 24). */
export const NODE = process.execPath;

// ---------------------------------------------------------------------------------------------
// Cleanup: one LIFO list of undo steps, run once on success, failure, signal or time budget.

const undo: { what: string; fn: () => void | Promise<void> }[] = [];
let cleaning: Promise<void> | undefined;

export function onCleanup(what: string, fn: () => void | Promise<void>): void {
  undo.push({ what, fn });
}

export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (undo.length) {
      const u = undo.pop()!;
      try {
        await u.fn();
      } catch (e) {
        log(`cleanup (${u.what}): ${(e as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/**
 * Runs main with signal handlers and a hard time budget; always cleans up, then exits with main's
 * code (2 when the budget ran out, 130 on a signal, 1 when main threw).
 */
export async function runBench(budgetSeconds: number, main: () => Promise<number>): Promise<never> {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      log(`${sig}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  const hard = setTimeout(() => {
    log(`time budget (${budgetSeconds.toFixed(0)} s) exceeded: aborting`);
    void cleanup().finally(() => process.exit(2));
  }, budgetSeconds * 1000);
  let code = 1;
  try {
    code = await main();
  } catch (e) {
    log(`bench failed: ${(e as Error).stack ?? e}`);
    code = 1;
  } finally {
    const t = performance.now();
    await cleanup();
    log(`cleaned up in ${(performance.now() - t).toFixed(0)} ms; total ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
    clearTimeout(hard);
  }
  process.exit(code);
}

/** A fresh temp dir (mode 0755 so nginx workers running as nobody can reach it), removed at cleanup. */
export function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, 0o755);
  onCleanup(`remove ${d}`, () => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

// ---------------------------------------------------------------------------------------------
// Child processes, each in its own process group

export function killGroup(pid: number, signal: NodeJS.Signals): void {
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

/**
 * SIGKILLs what is left of the process group whose leader just exited (its 'exit' event). Only the
 * group, never the bare pid: a group id cannot be reused while any member lives, so this reaches our
 * stragglers or nothing. Called only at that moment, never later, when the id could be someone else's.
 */
function reapGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // no members left
  }
}

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Combined stdout+stderr so far (last 64 KiB). */
  output(): string;
  exited(): { code: number | null; signal: string | null } | undefined;
  /** SIGTERM to the group, SIGKILL after graceMs; resolves once the leader exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns argv in its own process group (no shell); stopped at cleanup if still running. When the
 * leader exits, whatever it left in its group is killed at once.
 */
export function spawnGroup(name: string, argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Proc {
  const child = spawn(argv[0], argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const keep = (s: string): void => {
    out += s;
    if (out.length > 65536) out = out.slice(-65536);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  const pid = child.pid ?? -1;
  let exit: { code: number | null; signal: string | null } | undefined;
  const exitP = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      if (pid > 0) reapGroup(pid);
      resolve();
    });
    child.once('error', (e) => {
      keep(`spawn error: ${e.message}\n`);
      exit ??= { code: 127, signal: null };
      resolve();
    });
  });
  const stop = async (graceMs = 5000): Promise<void> => {
    if (exit || pid <= 0) return;
    killGroup(pid, 'SIGTERM');
    const t = setTimeout(() => {
      if (!exit) killGroup(pid, 'SIGKILL');
    }, graceMs);
    await exitP;
    clearTimeout(t);
  };
  onCleanup(`stop ${name}`, () => stop());
  return { name, child, pid, output: () => out, exited: () => exit, stop };
}

/** Runs argv to completion (own process group), killing it after timeoutMs; resolves with its output. */
export async function runToEnd(
  name: string,
  argv: string[],
  timeoutMs: number,
  onPid?: (pid: number) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) onPid?.(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const pid = child.pid;
  let killed = false;
  let exited = false;
  const kill = (): void => {
    if (pid !== undefined && !exited) killGroup(pid, 'SIGKILL');
  };
  onCleanup(`kill ${name}`, kill);
  const t = setTimeout(() => {
    killed = true;
    kill();
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => {
      exited = true;
      if (pid !== undefined) reapGroup(pid);
      resolve(c);
    });
    child.once('error', (e) => {
      exited = true;
      stderr += `spawn error: ${e.message}\n`;
      resolve(127);
    });
  });
  clearTimeout(t);
  if (killed) stderr += `\n(${name} killed after ${timeoutMs} ms)`;
  return { code, stdout, stderr };
}

/** CPU seconds (user+system) used so far by process pid (all its threads); undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The kernel's count of TCP connections opened so far (system-wide; Tcp ActiveOpens in /proc/net/snmp). */
export function tcpActiveOpens(): number | undefined {
  try {
    const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Tcp:'));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    const v = Number(values[names.indexOf('ActiveOpens')]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user+system, all threads) used so far by process `root` and every live descendant
 * (by ppid in /proc/PID/stat): a proxy's process tree, such as nginx's master and its workers.
 */
export function treeCpuSeconds(root: number): number {
  const procs = new Map<number, { ppid: number; ticks: number }>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    procs.set(Number(e), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
  }
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  let ticks = 0;
  const todo = [root];
  const seen = new Set<number>();
  while (todo.length) {
    const pid = todo.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    ticks += procs.get(pid)?.ticks ?? 0;
    todo.push(...(children.get(pid) ?? []));
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** CPU seconds (user+system) used so far by every live process in process group pgid. */
export function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after "(comm)": state(0) ppid(1) pgrp(2) … utime(11) stime(12)
    if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

// ---------------------------------------------------------------------------------------------
// Network helpers

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export interface Resp {
  status: number;
  body: string;
}

export function request(
  base: string,
  method: string,
  pathname: string,
  opts: { headers?: Record<string, string>; body?: string; timeoutMs?: number; ca?: string } = {},
): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const u = new URL(pathname, base);
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
    const options = { host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: false as const };
    const send = u.protocol === 'https:' ? (cb: (res: http.IncomingMessage) => void) => https.request({ ...options, ca: opts.ca }, cb) : (cb: (res: http.IncomingMessage) => void) => http.request(options, cb);
    const req = send((res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`${method} ${u.href}: timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Polls GET base/ (with an optional Host) until it answers 200 with the expected body. */
export async function waitAnswer(base: string, host: string | undefined, expectBody: string, timeoutMs: number, proc?: Proc): Promise<void> {
  const until = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < until) {
    if (proc?.exited()) throw new Error(`${proc.name} exited ${JSON.stringify(proc.exited())}: ${proc.output().trim().slice(-1500)}`);
    try {
      const r = await request(base, 'GET', '/', { headers: host ? { host } : {}, timeoutMs: 2000 });
      if (r.status === 200 && r.body === expectBody) return;
      last = `${r.status} ${JSON.stringify(r.body.slice(0, 200))}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(25);
  }
  throw new Error(`${base}${host ? ` (Host: ${host})` : ''} did not answer 200 ${JSON.stringify(expectBody)} within ${timeoutMs} ms; last: ${last}${proc ? `; output: ${proc.output().trim().slice(-1500)}` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// knit under test: `bin/knit serve` as a child process with its own data dir

export interface KnitServer {
  dataDir: string;
  api: string;
  gateway: string;
  token: string;
  /** PEM of the CA of the API's certificate. */
  ca: string;
  proc: KnitServeProcess;
}

interface InstanceRecord {
  pid: number;
  start: string;
}

/**
 * knit's live instance processes, from the records in DATA_DIR/run/instances (one `ID.json` per
 * instance, ID = `REVISION-xxxxx`, holding its pid and /proc start time); a record whose process is
 * gone (or whose pid was reused) is left out.
 */
export function liveInstances(dataDir: string): (InstanceRecord & { id: string })[] {
  const dir = path.join(dataDir, 'run', 'instances');
  let files: string[];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: (InstanceRecord & { id: string })[] = [];
  for (const f of files) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as InstanceRecord;
      const stat = fs.readFileSync(`/proc/${r.pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] === r.start) out.push({ ...r, id: f.replace(/\.json$/, '') });
    } catch {
      // half-written, or the process is gone
    }
  }
  return out;
}

/**
 * Waits until a line of one of knit's instance logs (DATA_DIR/logs/NS/REVISION/ID.log, the instances'
 * stdout and stderr) matches `re`, and returns the match. A sandboxed instance sees its image directory
 * read-only and its own pid namespace, so a backend tells the bench its port by printing it.
 */
export async function waitInstanceLog(dataDir: string, revisionPrefix: string, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const dir = path.join(dataDir, 'logs', NS);
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    let revs: string[] = [];
    try {
      revs = fs.readdirSync(dir).filter((r) => r.startsWith(revisionPrefix));
    } catch {
      // no logs yet
    }
    for (const r of revs) {
      let files: string[] = [];
      try {
        files = fs.readdirSync(path.join(dir, r));
      } catch {
        continue;
      }
      for (const f of files) {
        let text = '';
        try {
          text = fs.readFileSync(path.join(dir, r, f), 'utf8');
        } catch {
          continue;
        }
        const m = re.exec(text);
        if (m) return m;
      }
    }
    await sleep(25);
  }
  throw new Error(`no instance log of ${revisionPrefix}* under ${dir} matched ${re} within ${timeoutMs} ms`);
}

/**
 * `opts.configFile`: passed as `knit serve --config FILE` (Knative ConfigMap keys grouped by map, YAML);
 * `opts.args`: more `knit serve` flags; `opts.name`: the data dir's name under root (several knits in one run).
 */
export async function startKnitServer(root: string, opts: { configFile?: string; args?: string[]; name?: string } = {}): Promise<KnitServer> {
  const dataDir = path.join(root, opts.name ?? 'knit-data');
  // After knit is stopped (registered below, so it runs first), kill instance process groups a
  // crashed knit may have left behind.
  onCleanup('kill leftover knit instances', () => {
    const left = liveInstances(dataDir);
    if (left.length) log(`killing ${left.length} instance process group(s) left after knit stopped: ${left.map((l) => l.pid).join(', ')}`);
    for (const l of left) killGroup(l.pid, 'SIGKILL');
  });
  const proc = new KnitServeProcess({
    dataDir,
    args: ['--domain', DOMAIN, ...(opts.configFile ? ['--config', opts.configFile] : []), ...(opts.args ?? [])],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
    processGroup: true,
  });
  onCleanup('stop knit serve', () => proc.stop('SIGTERM', 5000));
  const { endpoints, token, ca } = await proc.ready();
  return { dataDir, api: endpoints.api, gateway: endpoints.http, token, ca, proc };
}

/** Creates a Service pinned to exactly one instance and waits until it is Ready and answers through the gateway. */
export async function createPinnedService(
  knit: KnitServer,
  name: string,
  container: { image: string; command?: string[]; env?: { name: string; value: string }[] },
  expectBody: string,
  timeoutMs: number,
): Promise<string> {
  const auth = { authorization: `Bearer ${knit.token}` };
  const body = JSON.stringify({
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: {
      template: {
        metadata: { annotations: { 'autoscaling.knative.dev/min-scale': '1', 'autoscaling.knative.dev/max-scale': '1' } },
        spec: { containers: [container] },
      },
    },
  });
  const r = await request(knit.api, 'POST', SERVICES, { headers: { ...auth, 'content-type': 'application/json' }, body, ca: knit.ca });
  if (r.status !== 201 && r.status !== 200) throw new Error(`create service ${name}: HTTP ${r.status}: ${r.body.slice(0, 500)}`);
  const until = performance.now() + timeoutMs;
  let conds = '';
  while (performance.now() < until) {
    if (knit.proc.exited()) throw new Error(`knit exited ${JSON.stringify(knit.proc.exited())}: ${knit.proc.output().trim().slice(-2000)}`);
    const g = await request(knit.api, 'GET', `${SERVICES}/${name}`, { headers: auth, ca: knit.ca }).catch((e: Error) => ({ status: 0, body: e.message }));
    if (g.status === 200) {
      const o = JSON.parse(g.body) as { metadata: { generation?: number }; status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
      conds = JSON.stringify(o.status?.conditions ?? null);
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True' && o.status?.observedGeneration === o.metadata.generation) {
        const host = `${name}.${NS}.${DOMAIN}`;
        await waitAnswer(knit.gateway, host, expectBody, Math.max(1000, until - performance.now()));
        return host;
      }
      if (ready?.status === 'False') throw new Error(`service ${name} failed: ${conds}`);
    }
    await sleep(50);
  }
  throw new Error(`service ${name} not Ready within ${timeoutMs} ms; conditions: ${conds}`);
}

// ---------------------------------------------------------------------------------------------
// Output

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]): string => `| ${r.map((x, c) => x.padEnd(widths[c])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 0) return `−${fmtMs(-ms)}`;
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${os.cpus().length} CPUs (${cpu}), Linux ${os.release()}, Node ${process.versions.node}`;
}
