// bench/proxy: knit's gateway against nginx and Caddy as reverse proxies (and no proxy at all), one nginx backend, one load generator (wrk), one table.
//
//   node_modules/.bin/node bench/proxy.ts
//
// Needs wrk, nginx and caddy (Debian: apt-get install -y wrk nginx caddy).
// Environment (all optional):
//   BENCH_DURATION=10s      length of each measured wrk run
//   BENCH_REPEATS=3         measured runs per target (interleaved: direct, nginx, caddy, knit, then rotated)
//   BENCH_WARMUP=3s         one unmeasured wrk run per target first (0 to skip)
//   BENCH_CONNECTIONS=50    wrk -c
//   BENCH_THREADS=1         wrk -t
//   BENCH_TARGETS=direct,nginx,caddy,knit,knit-2t   (plus the names of any further KNIT_VARIANTS)
//   BENCH_BACKEND_WORKERS=1 nginx worker_processes of the backend
//   BENCH_VERBOSE=1         also print wrk's whole output for every run (stderr)
//
// The backend is nginx answering `return 200 "hello\n"` (native, so the backend is not what limits
// the proxies). It is started by knit itself as the Service's one instance (a `file://` image whose
// command is a #!/bin/sh wrapper that writes an nginx config for $PORT into the sandbox's private
// /tmp, prints the port, and execs nginx), and the direct, nginx and Caddy runs target that very
// process, so they share one backend. If knit cannot start the Service, the bench starts the same
// wrapper itself and reports knit as failed. Every knit variant (KNIT_VARIANTS: a row is one entry
// there, with the extra `knit serve` flags it runs with) is its own knit with its own backend instance.
//
// Every request carries `Host: proxybench.default.example.com` (knit routes on it; the others ignore
// it). Reports the median over the repeats of req/s, p50 and p99 (wrk --latency), errors, CPU used by
// the proxy and the backend (% of one core), and requests completed per CPU-second the proxy used
// (utime+stime from /proc: the proxy's process and its descendants; for knit the `knit serve` process
// alone, all its threads, not its instances), then knit's ratios against the targets: req/s per proxy
// CPU-second ≥ 0.8× nginx's, req/s ≥ 3× Caddy's, p99 ≤ nginx's p99.
//
// Exit status: 0 when every run was clean and knit meets the target; 1 otherwise; 2 when a tool is
// missing or the time budget ran out; 130 on a signal. Every process runs in its own process group
// and is stopped, and the temp dir removed, on every exit path.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DOMAIN,
  NS,
  createPinnedService,
  envDuration,
  envInt,
  fmtMs,
  freePort,
  groupCpuSeconds,
  liveInstances,
  processCpuSeconds,
  tcpActiveOpens,
  treeCpuSeconds,
  waitInstanceLog,
  log,
  machine,
  runBench,
  runToEnd,
  spawnGroup,
  startKnitServer,
  table,
  tempDir,
  waitAnswer,
  which,
  type KnitServer,
} from './common.ts';
import { median } from './slo.ts';

const DURATION = Math.max(1, Math.round(envDuration('BENCH_DURATION', '10s')));
const REPEATS = envInt('BENCH_REPEATS', 3);
const WARMUP = Math.round(envDuration('BENCH_WARMUP', '3s'));
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 50);
const THREADS = envInt('BENCH_THREADS', 1);
const BACKEND_WORKERS = envInt('BENCH_BACKEND_WORKERS', 1);

/**
 * The knit rows: each is its own `knit serve` (own data dir, Service and backend instance) started with
 * `serveArgs` on top of the bench's flags. A row for another gateway configuration is one more line here.
 */
const KNIT_VARIANTS: { name: string; label: string; serveArgs: string[] }[] = [
  { name: 'knit', label: 'knit, main thread', serveArgs: ['--gateway-threads', '0'] },
  { name: 'knit-2t', label: 'knit, 2 threads (default on 2 cores)', serveArgs: ['--gateway-threads', '2'] },
];
const ALL_TARGETS = ['direct', 'nginx', 'caddy', ...KNIT_VARIANTS.map((v) => v.name)];
type TargetName = string;
const TARGETS = (process.env.BENCH_TARGETS ?? ALL_TARGETS.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const t of TARGETS) if (!ALL_TARGETS.includes(t)) throw new Error(`BENCH_TARGETS: unknown target "${t}" (want some of ${ALL_TARGETS.join(',')})`);
const knitVariants = KNIT_VARIANTS.filter((v) => TARGETS.includes(v.name));

const SERVICE = 'proxybench';
const HOST = `${SERVICE}.${NS}.${DOMAIN}`;
const BODY = 'hello\n';
/** The targets: knit's req/s per proxy CPU-second ≥ 0.8× nginx's, knit's req/s ≥ 3× Caddy's, knit's p99 ≤ nginx's. */
const TARGET_PER_CPU_VS_NGINX = 0.8;
const TARGET_RPS_VS_CADDY = 3;
const BACKEND_MARK = /knit-bench-backend port=(\d+)/;
/** Idle upstream connections nginx and Caddy may keep: enough that no run has to reconnect. */
const IDLE_UPSTREAM = Math.max(128, 2 * CONNECTIONS);

// ---------------------------------------------------------------------------------------------
// Configs

function backendWrapper(nginx: string): string {
  return `#!/bin/sh
# Backend for bench/proxy.ts: nginx answering 200 "hello" on 127.0.0.1:$PORT (knit passes PORT in the environment).
set -eu
: "\${PORT:?PORT must be set}"
# A sandboxed instance sees its image directory read-only: nginx's files go to its private /tmp
# (RUN_DIR when the bench runs this wrapper itself).
d="\${RUN_DIR:-/tmp}/knit-bench-nginx-$PORT"
mkdir -p "$d"
cat > "$d/nginx.conf" <<EOF
worker_processes ${BACKEND_WORKERS};
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  client_body_temp_path $d/client_body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  server {
    listen 127.0.0.1:$PORT;
    location / { default_type text/plain; return 200 "hello\\n"; }
  }
}
EOF
# Tell the bench where this backend listens (it reads knit's instance log).
echo "knit-bench-backend port=$PORT"
exec ${nginx} -p "$d" -e "$d/error.log" -c "$d/nginx.conf" -g 'daemon off;'
`;
}

function nginxProxyConf(d: string, port: number, backendPort: number): string {
  return `worker_processes auto;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  client_body_temp_path ${d}/client_body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive ${IDLE_UPSTREAM};
    keepalive_requests 1000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
}

function caddyfile(d: string, port: number, backendPort: number): string {
  return `{
	admin off
	auto_https off
	grace_period 1s
	storage file_system ${d}/data
}
http://:${port} {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:${backendPort} {
		transport http {
			keepalive_idle_conns ${IDLE_UPSTREAM}
			keepalive_idle_conns_per_host ${IDLE_UPSTREAM}
		}
	}
}
`;
}

// ---------------------------------------------------------------------------------------------
// wrk

interface WrkResult {
  rps: number;
  requests: number;
  p50: number; // ms
  p99: number; // ms
  errors: number;
  errorText: string;
  proxyCpu?: number; // % of one core
  /** CPU seconds the proxy used during the run. */
  proxyCpuSeconds?: number;
  backendCpu: number;
  wrkCpu: number;
  /** TCP connections opened on the machine during the run (wrk's own plus any the proxy opened). */
  tcpOpens?: number;
}

function toMs(v: string, unit: string): number {
  const n = Number(v);
  switch (unit) {
    case 'us':
      return n / 1000;
    case 'ms':
      return n;
    case 's':
      return n * 1000;
    case 'm':
      return n * 60_000;
    case 'h':
      return n * 3_600_000;
    default:
      throw new Error(`wrk: unknown time unit ${unit}`);
  }
}

function parseWrk(out: string): Omit<WrkResult, 'proxyCpu' | 'proxyCpuSeconds' | 'backendCpu' | 'wrkCpu' | 'tcpOpens'> {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const reqs = /(\d+) requests in/.exec(out);
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(out);
    if (!m) throw new Error(`wrk output has no ${p}% latency:\n${out}`);
    return toMs(m[1], m[2]);
  };
  if (!rps || !reqs) throw new Error(`unexpected wrk output:\n${out}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const parts: string[] = [];
  if (non2xx) parts.push(`${non2xx} non-2xx`);
  let errors = non2xx;
  if (sock) {
    const names = ['connect', 'read', 'write', 'timeout'];
    for (let i = 0; i < 4; i++) {
      const n = Number(sock[i + 1]);
      errors += n;
      if (n) parts.push(`${n} ${names[i]}`);
    }
  }
  return { rps: Number(rps[1]), requests: Number(reqs[1]), p50: pct('50'), p99: pct('99'), errors, errorText: parts.join(', ') };
}

interface Target {
  name: TargetName;
  label: string;
  url: string;
  /** CPU seconds used so far by the proxy (none for direct). */
  proxyCpu?: () => number;
  /** The backend this target reaches: its port and process group. */
  backendPort: number;
  backendPgid: number;
  isKnit: boolean;
}

async function runWrk(wrk: string, t: Target, seconds: number): Promise<WrkResult> {
  const argv = [wrk, `-t${THREADS}`, `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-H', `Host: ${HOST}`, t.url];
  const backendPgid = t.backendPgid;
  const cpu0 = { proxy: t.proxyCpu ? t.proxyCpu() : 0, backend: groupCpuSeconds(backendPgid) };
  const opens0 = tcpActiveOpens();
  const t0 = performance.now();
  // wrk's own CPU, sampled while it runs (its /proc entry is gone once it exits).
  let wrkPid = 0;
  let wrkCpu = 0;
  let done = false;
  const run = runToEnd(`wrk → ${t.name}`, argv, (seconds + 15) * 1000, (pid) => (wrkPid = pid));
  void run.finally(() => (done = true));
  const sampler = (async () => {
    while (!done) {
      await sleep(200);
      wrkCpu = Math.max(wrkCpu, processCpuSeconds(wrkPid) ?? 0);
    }
  })();
  const r = await run;
  await sampler;
  const wall = (performance.now() - t0) / 1000;
  const opens1 = tcpActiveOpens();
  const cpu1 = { proxy: t.proxyCpu ? t.proxyCpu() : 0, backend: groupCpuSeconds(backendPgid) };
  if (r.code !== 0) throw new Error(`wrk against ${t.name} exited ${r.code}: ${r.stderr.trim()} ${r.stdout.trim()}`);
  if (process.env.BENCH_VERBOSE === '1') log(`wrk → ${t.name}:\n${r.stdout.trimEnd()}`);
  const parsed = parseWrk(r.stdout);
  return {
    ...parsed,
    proxyCpu: t.proxyCpu ? ((cpu1.proxy - cpu0.proxy) / wall) * 100 : undefined,
    proxyCpuSeconds: t.proxyCpu ? cpu1.proxy - cpu0.proxy : undefined,
    backendCpu: ((cpu1.backend - cpu0.backend) / wall) * 100,
    wrkCpu: (wrkCpu / seconds) * 100,
    tcpOpens: opens0 !== undefined && opens1 !== undefined ? opens1 - opens0 : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Main

/** The port knit's instance printed, and the process group of its sandbox (the pid knit recorded). */
async function knitBackend(knit: KnitServer, timeoutMs: number): Promise<{ port: number; pgid: number }> {
  const m = await waitInstanceLog(knit.dataDir, `${SERVICE}-`, BACKEND_MARK, timeoutMs);
  const live = liveInstances(knit.dataDir);
  if (live.length !== 1) throw new Error(`want exactly one live instance of ${SERVICE}, found ${live.length}`);
  return { port: Number(m[1]), pgid: live[0].pid };
}

interface Summary {
  rps?: number;
  p50?: number;
  p99?: number;
  perCpu?: number;
}

async function main(): Promise<number> {
  const tools = { wrk: which('wrk'), nginx: which('nginx'), caddy: TARGETS.includes('caddy') ? which('caddy') : 'unused' };
  const missing = Object.entries(tools)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length) {
    process.stderr.write(`bench/proxy: missing ${missing.join(', ')}. Install with:\n  apt-get install -y wrk nginx caddy\n`);
    return 2;
  }
  const wrk = tools.wrk!;
  const nginx = tools.nginx!;
  const root = tempDir('knit-bench-proxy-');
  const imageDir = path.join(root, 'backend-image');
  fs.mkdirSync(imageDir);
  fs.chmodSync(imageDir, 0o755);
  const wrapper = path.join(imageDir, 'run.sh');
  fs.writeFileSync(wrapper, backendWrapper(nginx), { mode: 0o755 });

  // 1. One knit per variant, whose Service instance is that variant's backend.
  const knitErrors: { label: string; error: string }[] = [];
  const knitProcs: { label: string; proc: KnitServer['proc'] }[] = [];
  const knitTargets: Target[] = [];
  for (const v of knitVariants) {
    try {
      const knit = await startKnitServer(root, { name: `knit-data-${v.name}`, args: v.serveArgs });
      knitProcs.push({ label: v.label, proc: knit.proc });
      log(`${v.name}: knit serve${v.serveArgs.map((a) => ` ${a}`).join('')}: gateway ${knit.gateway}, api ${knit.api}`);
      const t0 = performance.now();
      await createPinnedService(knit, SERVICE, { image: `file://${imageDir}`, command: [wrapper] }, BODY, 30_000);
      log(`${v.name}: service ${SERVICE} Ready and answering after ${fmtMs(performance.now() - t0)}`);
      const b = await knitBackend(knit, 5000);
      const pid = knit.proc.pid;
      // Only the knit serve process (every thread of it): its instances are processes of their own.
      knitTargets.push({ name: v.name, label: v.label, url: `${knit.gateway}/`, proxyCpu: () => processCpuSeconds(pid) ?? 0, backendPort: b.port, backendPgid: b.pgid, isKnit: true });
      log(`${v.name}: backend nginx on 127.0.0.1:${b.port} (sandbox process group ${b.pgid})`);
    } catch (e) {
      knitErrors.push({ label: v.label, error: (e as Error).message });
      log(`${v.name} failed: ${(e as Error).message}`);
    }
  }
  // The peers' backend: the first knit's instance, else the same wrapper run by the bench.
  let backend: { port: number; pgid: number };
  if (knitTargets.length) {
    backend = { port: knitTargets[0].backendPort, pgid: knitTargets[0].backendPgid };
  } else {
    const port = await freePort();
    const runDir = path.join(root, 'backend-run');
    fs.mkdirSync(runDir);
    const p = spawnGroup('backend nginx', [wrapper], { cwd: imageDir, env: { ...process.env, PORT: String(port), RUN_DIR: runDir } });
    await waitAnswer(`http://127.0.0.1:${port}`, undefined, BODY, 10_000, p);
    backend = { port, pgid: p.pid };
  }
  log(`peers' backend: nginx on 127.0.0.1:${backend.port} (process group ${backend.pgid}, ${BACKEND_WORKERS} worker(s))`);

  // 2. The peers, pointed at the same backend.
  const targets: Target[] = [];
  for (const name of TARGETS) {
    if (name === 'direct') targets.push({ name, label: 'direct (no proxy)', url: `http://127.0.0.1:${backend.port}/`, backendPort: backend.port, backendPgid: backend.pgid, isKnit: false });
    if (name === 'nginx') {
      const d = path.join(root, 'nginx-proxy');
      fs.mkdirSync(d);
      const port = await freePort();
      fs.writeFileSync(path.join(d, 'nginx.conf'), nginxProxyConf(d, port, backend.port));
      const p = spawnGroup('nginx proxy', [nginx, '-p', d, '-e', path.join(d, 'error.log'), '-c', path.join(d, 'nginx.conf'), '-g', 'daemon off;']);
      await waitAnswer(`http://127.0.0.1:${port}`, HOST, BODY, 10_000, p);
      targets.push({ name, label: 'nginx proxy_pass (upstream keepalive)', url: `http://127.0.0.1:${port}/`, proxyCpu: () => treeCpuSeconds(p.pid), backendPort: backend.port, backendPgid: backend.pgid, isKnit: false });
    }
    if (name === 'caddy') {
      const d = path.join(root, 'caddy');
      fs.mkdirSync(d);
      const port = await freePort();
      fs.writeFileSync(path.join(d, 'Caddyfile'), caddyfile(d, port, backend.port));
      const env = { ...process.env, HOME: d, XDG_DATA_HOME: path.join(d, 'xdg-data'), XDG_CONFIG_HOME: path.join(d, 'xdg-config') };
      const p = spawnGroup('caddy', [tools.caddy!, 'run', '--config', path.join(d, 'Caddyfile'), '--adapter', 'caddyfile'], { env, cwd: d });
      await waitAnswer(`http://127.0.0.1:${port}`, HOST, BODY, 15_000, p);
      targets.push({ name, label: 'Caddy reverse_proxy', url: `http://127.0.0.1:${port}/`, proxyCpu: () => treeCpuSeconds(p.pid), backendPort: backend.port, backendPgid: backend.pgid, isKnit: false });
    }
    const k = knitTargets.find((t) => t.name === name);
    if (k) targets.push(k);
  }

  // 3. Warm-up, then interleaved measured runs (the order rotates each repeat).
  const results = new Map<TargetName, WrkResult[]>(targets.map((t) => [t.name, []]));
  const runErrors: string[] = [];
  if (WARMUP > 0) {
    for (const t of targets) {
      try {
        const r = await runWrk(wrk, t, WARMUP);
        log(`warm-up ${t.name}: ${r.rps.toFixed(0)} req/s${r.errors ? `, errors: ${r.errorText}` : ''}`);
      } catch (e) {
        runErrors.push(`warm-up ${t.name}: ${(e as Error).message}`);
      }
    }
  }
  for (let rep = 0; rep < REPEATS; rep++) {
    const order = targets.map((_, i) => targets[(i + rep) % targets.length]);
    for (const t of order) {
      try {
        const r = await runWrk(wrk, t, DURATION);
        results.get(t.name)!.push(r);
        log(
          `run ${rep + 1}/${REPEATS} ${t.name.padEnd(6)}: ${r.rps.toFixed(0).padStart(6)} req/s, p50 ${fmtMs(r.p50)}, p99 ${fmtMs(r.p99)}` +
            `${r.errors ? `, errors: ${r.errorText}` : ''}; CPU proxy ${r.proxyCpu?.toFixed(0) ?? '-'}%` +
            `${r.proxyCpuSeconds ? ` (${(r.requests / r.proxyCpuSeconds).toFixed(0)} req per CPU-second)` : ''}, backend ${r.backendCpu.toFixed(0)}%, wrk ${r.wrkCpu.toFixed(0)}%; ${r.tcpOpens ?? '?'} TCP opens`,
        );
        if (r.errors) runErrors.push(`run ${rep + 1} ${t.name}: ${r.errorText} (of ${r.requests})`);
      } catch (e) {
        runErrors.push(`run ${rep + 1} ${t.name}: ${(e as Error).message}`);
        log(`run ${rep + 1} ${t.name} failed: ${(e as Error).message}`);
      }
    }
  }

  // 4. The table.
  const sum = new Map<TargetName, Summary>();
  const rows: string[][] = [['target', 'req/s (median)', 'req/s per run', 'p50', 'p99', 'errors', 'proxy CPU', 'req/s per proxy CPU-second', 'backend CPU', 'wrk CPU', 'TCP opens']];
  for (const t of targets) {
    const rs = results.get(t.name)!;
    const perCpu = rs.filter((r) => r.proxyCpuSeconds).map((r) => r.requests / r.proxyCpuSeconds!);
    const s: Summary = { rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), perCpu: median(perCpu) };
    sum.set(t.name, s);
    const pc = rs.map((r) => r.proxyCpu).filter((x) => x !== undefined);
    rows.push([
      t.label,
      s.rps === undefined ? '-' : s.rps.toFixed(0),
      rs.map((r) => r.rps.toFixed(0)).join(' / ') || '-',
      fmtMs(s.p50),
      fmtMs(s.p99),
      String(rs.reduce((a, r) => a + r.errors, 0)),
      pc.length ? `${median(pc)!.toFixed(0)}%` : '-',
      s.perCpu === undefined ? '-' : s.perCpu.toFixed(0),
      rs.length ? `${median(rs.map((r) => r.backendCpu))!.toFixed(0)}%` : '-',
      rs.length ? `${median(rs.map((r) => r.wrkCpu))!.toFixed(0)}%` : '-',
      rs.some((r) => r.tcpOpens !== undefined) ? String(Math.round(median(rs.map((r) => r.tcpOpens ?? 0))!)) : '-',
    ]);
  }
  for (const k of knitErrors) rows.push([k.label, 'FAILED', '-', '-', '-', '-', '-', '-', '-', '-', '-']);

  const out: string[] = [];
  out.push('');
  out.push(`Reverse-proxy throughput and latency — ${machine()}`);
  out.push(`wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION}s --latency, ${REPEATS} interleaved run(s) per target after a ${WARMUP}s warm-up; backend: nginx return 200 (${BACKEND_WORKERS} worker)`);
  out.push('');
  out.push(table(rows));
  out.push('');
  out.push('Medians over the runs. CPU = % of one core over the run, from utime+stime in /proc (proxy: its process and');
  out.push('every descendant; knit: the `knit serve` process, all its threads, not its instances; backend: its process group).');
  out.push('req/s per proxy CPU-second = requests wrk completed / CPU-seconds the proxy used during the run.');
  out.push(`TCP opens = connections opened machine-wide during a run: wrk's ${CONNECTIONS}, plus what the proxy opened to the backend (a pooled proxy adds about ${CONNECTIONS} once).`);

  const c = sum.get('caddy');
  const n = sum.get('nginx');
  const verdicts: boolean[] = [];
  const target = (text: string, ok: boolean | undefined, detail: string): void => {
    if (ok === undefined) {
      verdicts.push(false);
      out.push(`Target: ${text} → not measured (${detail})`);
    } else {
      verdicts.push(ok);
      out.push(`Target: ${text} → ${ok ? 'MEETS' : 'MISSES'} (${detail})`);
    }
  };
  for (const kt of targets.filter((t) => t.isKnit)) {
    const k = sum.get(kt.name);
    out.push('');
    out.push(`${kt.label}:`);
    for (const [peer, p] of [['Caddy', c], ['nginx', n]] as const) {
      if (k?.rps && p?.rps && k.p99 && p.p99 && k.p50 && p.p50) {
        out.push(
          `  ${kt.name} / ${peer}: req/s ×${(k.rps / p.rps).toFixed(2)}, p99 ×${(k.p99 / p.p99).toFixed(2)}, p50 ×${(k.p50 / p.p50).toFixed(2)}` +
            `${k.perCpu && p.perCpu ? `, req/s per proxy CPU-second ×${(k.perCpu / p.perCpu).toFixed(2)}` : ''}`,
        );
      }
    }
    const perCpuOk = k?.perCpu && n?.perCpu ? k.perCpu >= TARGET_PER_CPU_VS_NGINX * n.perCpu : undefined;
    target(
      `${kt.name} req/s per proxy CPU-second ≥ ${TARGET_PER_CPU_VS_NGINX}× nginx's`,
      perCpuOk,
      k?.perCpu && n?.perCpu ? `${k.perCpu.toFixed(0)} vs ${n.perCpu.toFixed(0)}: ×${(k.perCpu / n.perCpu).toFixed(2)}` : 'needs knit and nginx results',
    );
    const rpsOk = k?.rps && c?.rps ? k.rps >= TARGET_RPS_VS_CADDY * c.rps : undefined;
    target(`${kt.name} req/s ≥ ${TARGET_RPS_VS_CADDY}× Caddy's`, rpsOk, k?.rps && c?.rps ? `${k.rps.toFixed(0)} vs ${c.rps.toFixed(0)}: ×${(k.rps / c.rps).toFixed(2)}` : 'needs knit and caddy results');
    const p99Ok = k?.p99 !== undefined && n?.p99 !== undefined ? k.p99 <= n.p99 : undefined;
    target(`${kt.name} p99 ≤ nginx's p99`, p99Ok, k?.p99 !== undefined && n?.p99 !== undefined ? `${fmtMs(k.p99)} ${p99Ok ? '≤' : '>'} ${fmtMs(n.p99)}` : 'needs knit and nginx results');
  }
  for (const k of knitErrors) out.push(`${k.label} FAILED: ${k.error}`);
  if (runErrors.length) {
    out.push('');
    out.push(`Errors (${runErrors.length}):`);
    for (const e of runErrors.slice(0, 20)) out.push(`  ${e.slice(0, 500)}`);
  }
  for (const kp of knitProcs) {
    const tail = kp.proc.output().trim().split('\n').filter((l) => l && !/^\s/.test(l) && !/^(knit is serving|Try:|kubectl and the Kubernetes)/.test(l));
    if (tail.length) {
      out.push('');
      out.push(`${kp.label}: knit serve output (last ${Math.min(10, tail.length)} line(s) not part of its banner):`);
      for (const l of tail.slice(-10)) out.push(`  ${l}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
  const meets = verdicts.length > 0 && verdicts.every(Boolean);
  return knitErrors.length || runErrors.length || !meets ? 1 : 0;
}

// Whole-run budget: start-up (per knit), warm-ups and measured runs, plus slack for stopping everything.
const budget = 60 + 30 * knitVariants.length + ALL_TARGETS.length * (WARMUP + 20) + REPEATS * TARGETS.length * (DURATION + 20);
await runBench(budget, main);
