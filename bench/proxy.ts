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
//   BENCH_TARGETS=direct,nginx,caddy,knit
//   BENCH_BACKEND_WORKERS=1 nginx worker_processes of the backend
//   BENCH_VERBOSE=1         also print wrk's whole output for every run (stderr)
//
// The backend is nginx answering `return 200 "hello\n"` (native, so the backend is not what limits
// the proxies). It is started by knit itself as the Service's one instance (a `file://` image whose
// command is a #!/bin/sh wrapper that writes an nginx config for $PORT and execs nginx), and the
// direct, nginx and Caddy runs target that very process, so all four share one backend. If knit
// cannot start the Service, the bench starts the same wrapper itself and reports knit as failed.
//
// Every request carries `Host: proxybench.default.example.com` (knit routes on it; the others ignore
// it). Reports the median over the repeats of req/s, p50 and p99 (wrk --latency), errors, and CPU
// used by the proxy and the backend (% of one core), then knit's ratios to Caddy and nginx against
// the target: knit ≥ 1.5× Caddy's req/s with p99 ≤ Caddy's.
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
  processCpuSeconds,
  tcpActiveOpens,
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
const ALL_TARGETS = ['direct', 'nginx', 'caddy', 'knit'] as const;
type TargetName = (typeof ALL_TARGETS)[number];
const TARGETS = (process.env.BENCH_TARGETS ?? ALL_TARGETS.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean) as TargetName[];
for (const t of TARGETS) if (!ALL_TARGETS.includes(t)) throw new Error(`BENCH_TARGETS: unknown target "${t}" (want some of ${ALL_TARGETS.join(',')})`);

const SERVICE = 'proxybench';
const HOST = `${SERVICE}.${NS}.${DOMAIN}`;
const BODY = 'hello\n';
const TARGET_RPS_RATIO = 1.5;
/** Idle upstream connections nginx and Caddy may keep: enough that no run has to reconnect. */
const IDLE_UPSTREAM = Math.max(128, 2 * CONNECTIONS);

// ---------------------------------------------------------------------------------------------
// Configs

function backendWrapper(nginx: string): string {
  return `#!/bin/sh
# Backend for bench/proxy.ts: nginx answering 200 "hello" on 127.0.0.1:$PORT (knit passes PORT in the environment).
set -eu
: "\${PORT:?PORT must be set}"
here=$(cd "$(dirname "$0")" && pwd)
d="$here/run-$PORT"
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
# Tell the bench where this backend listens and which process group it is (exec keeps the pid).
echo "$PORT $$" > "$here/backend.tmp"
mv "$here/backend.tmp" "$here/backend"
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

function parseWrk(out: string): Omit<WrkResult, 'proxyCpu' | 'backendCpu' | 'wrkCpu' | 'tcpOpens'> {
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
  /** Process group whose CPU counts as the proxy's (none for direct). */
  proxyPgid?: number;
}

async function runWrk(wrk: string, t: Target, seconds: number, backendPgid: number): Promise<WrkResult> {
  const argv = [wrk, `-t${THREADS}`, `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-H', `Host: ${HOST}`, t.url];
  const cpu0 = { proxy: t.proxyPgid ? groupCpuSeconds(t.proxyPgid) : 0, backend: groupCpuSeconds(backendPgid) };
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
  const cpu1 = { proxy: t.proxyPgid ? groupCpuSeconds(t.proxyPgid) : 0, backend: groupCpuSeconds(backendPgid) };
  if (r.code !== 0) throw new Error(`wrk against ${t.name} exited ${r.code}: ${r.stderr.trim()} ${r.stdout.trim()}`);
  if (process.env.BENCH_VERBOSE === '1') log(`wrk → ${t.name}:\n${r.stdout.trimEnd()}`);
  const parsed = parseWrk(r.stdout);
  return {
    ...parsed,
    proxyCpu: t.proxyPgid ? ((cpu1.proxy - cpu0.proxy) / wall) * 100 : undefined,
    backendCpu: ((cpu1.backend - cpu0.backend) / wall) * 100,
    wrkCpu: (wrkCpu / seconds) * 100,
    tcpOpens: opens0 !== undefined && opens1 !== undefined ? opens1 - opens0 : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Main

async function readBackendFile(imageDir: string, timeoutMs: number): Promise<{ port: number; pgid: number }> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    try {
      const [port, pgid] = fs.readFileSync(path.join(imageDir, 'backend'), 'utf8').trim().split(/\s+/).map(Number);
      if (port > 0 && pgid > 0) return { port, pgid };
    } catch {
      // not yet
    }
    await sleep(25);
  }
  throw new Error(`backend wrapper wrote no ${path.join(imageDir, 'backend')}`);
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

  // 1. knit, whose Service instance is the shared backend.
  let knitError: string | undefined;
  let knitPgid: number | undefined;
  let knitGateway: string | undefined;
  let knitProc: KnitServer['proc'] | undefined;
  let backend: { port: number; pgid: number } | undefined;
  if (TARGETS.includes('knit')) {
    try {
      const knit = await startKnitServer(root);
      knitProc = knit.proc;
      log(`knit serve: gateway ${knit.gateway}, api ${knit.api}`);
      const t0 = performance.now();
      await createPinnedService(knit, SERVICE, { image: `file://${imageDir}`, command: [wrapper] }, BODY, 30_000);
      log(`service ${SERVICE} Ready and answering after ${fmtMs(performance.now() - t0)}`);
      backend = await readBackendFile(imageDir, 5000);
      knitPgid = knit.proc.pid;
      knitGateway = knit.gateway;
    } catch (e) {
      knitError = (e as Error).message;
      log(`knit failed: ${knitError}`);
    }
  }
  if (!backend) {
    const port = await freePort();
    const p = spawnGroup('backend nginx', [wrapper], { cwd: imageDir, env: { ...process.env, PORT: String(port) } });
    await waitAnswer(`http://127.0.0.1:${port}`, undefined, BODY, 10_000, p);
    backend = { port, pgid: p.pid };
  }
  log(`backend: nginx on 127.0.0.1:${backend.port} (process group ${backend.pgid}, ${BACKEND_WORKERS} worker(s))`);

  // 2. The peers, pointed at the same backend.
  const targets: Target[] = [];
  for (const name of TARGETS) {
    if (name === 'direct') targets.push({ name, label: 'direct (no proxy)', url: `http://127.0.0.1:${backend.port}/` });
    if (name === 'nginx') {
      const d = path.join(root, 'nginx-proxy');
      fs.mkdirSync(d);
      const port = await freePort();
      fs.writeFileSync(path.join(d, 'nginx.conf'), nginxProxyConf(d, port, backend.port));
      const p = spawnGroup('nginx proxy', [nginx, '-p', d, '-e', path.join(d, 'error.log'), '-c', path.join(d, 'nginx.conf'), '-g', 'daemon off;']);
      await waitAnswer(`http://127.0.0.1:${port}`, HOST, BODY, 10_000, p);
      targets.push({ name, label: 'nginx proxy_pass (upstream keepalive)', url: `http://127.0.0.1:${port}/`, proxyPgid: p.pid });
    }
    if (name === 'caddy') {
      const d = path.join(root, 'caddy');
      fs.mkdirSync(d);
      const port = await freePort();
      fs.writeFileSync(path.join(d, 'Caddyfile'), caddyfile(d, port, backend.port));
      const env = { ...process.env, HOME: d, XDG_DATA_HOME: path.join(d, 'xdg-data'), XDG_CONFIG_HOME: path.join(d, 'xdg-config') };
      const p = spawnGroup('caddy', [tools.caddy!, 'run', '--config', path.join(d, 'Caddyfile'), '--adapter', 'caddyfile'], { env, cwd: d });
      await waitAnswer(`http://127.0.0.1:${port}`, HOST, BODY, 15_000, p);
      targets.push({ name, label: 'Caddy reverse_proxy', url: `http://127.0.0.1:${port}/`, proxyPgid: p.pid });
    }
    if (name === 'knit' && knitGateway) targets.push({ name, label: 'knit gateway', url: `${knitGateway}/`, proxyPgid: knitPgid });
  }

  // 3. Warm-up, then interleaved measured runs (the order rotates each repeat).
  const results = new Map<TargetName, WrkResult[]>(targets.map((t) => [t.name, []]));
  const runErrors: string[] = [];
  if (WARMUP > 0) {
    for (const t of targets) {
      try {
        const r = await runWrk(wrk, t, WARMUP, backend.pgid);
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
        const r = await runWrk(wrk, t, DURATION, backend.pgid);
        results.get(t.name)!.push(r);
        log(
          `run ${rep + 1}/${REPEATS} ${t.name.padEnd(6)}: ${r.rps.toFixed(0).padStart(6)} req/s, p50 ${fmtMs(r.p50)}, p99 ${fmtMs(r.p99)}` +
            `${r.errors ? `, errors: ${r.errorText}` : ''}; CPU proxy ${r.proxyCpu?.toFixed(0) ?? '-'}%, backend ${r.backendCpu.toFixed(0)}%, wrk ${r.wrkCpu.toFixed(0)}%; ${r.tcpOpens ?? '?'} TCP opens`,
        );
        if (r.errors) runErrors.push(`run ${rep + 1} ${t.name}: ${r.errorText} (of ${r.requests})`);
      } catch (e) {
        runErrors.push(`run ${rep + 1} ${t.name}: ${(e as Error).message}`);
        log(`run ${rep + 1} ${t.name} failed: ${(e as Error).message}`);
      }
    }
  }

  // 4. The table.
  interface Summary {
    rps?: number;
    p50?: number;
    p99?: number;
  }
  const sum = new Map<TargetName, Summary>();
  const rows: string[][] = [['target', 'req/s (median)', 'req/s per run', 'p50', 'p99', 'errors', 'proxy CPU', 'backend CPU', 'wrk CPU', 'TCP opens']];
  for (const t of targets) {
    const rs = results.get(t.name)!;
    const s: Summary = { rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)) };
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
      rs.length ? `${median(rs.map((r) => r.backendCpu))!.toFixed(0)}%` : '-',
      rs.length ? `${median(rs.map((r) => r.wrkCpu))!.toFixed(0)}%` : '-',
      rs.some((r) => r.tcpOpens !== undefined) ? String(Math.round(median(rs.map((r) => r.tcpOpens ?? 0))!)) : '-',
    ]);
  }
  if (knitError) rows.push(['knit gateway', 'FAILED', '-', '-', '-', '-', '-', '-', '-', '-']);

  const out: string[] = [];
  out.push('');
  out.push(`Reverse-proxy throughput and latency — ${machine()}`);
  out.push(`wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION}s --latency, ${REPEATS} interleaved run(s) per target after a ${WARMUP}s warm-up; backend: nginx return 200 (${BACKEND_WORKERS} worker)`);
  out.push('');
  out.push(table(rows));
  out.push('');
  out.push('Medians over the runs. CPU = % of one core over the run (proxy: every process of its group; knit: the whole knit process).');
  out.push(`TCP opens = connections opened machine-wide during a run: wrk's ${CONNECTIONS}, plus what the proxy opened to the backend (a pooled proxy adds about ${CONNECTIONS} once).`);

  let meets = false;
  const k = sum.get('knit');
  const c = sum.get('caddy');
  const n = sum.get('nginx');
  const ratioLine = (peer: string, p: Summary | undefined): string | undefined => {
    if (!k?.rps || !p?.rps || !k.p99 || !p.p99) return undefined;
    return `knit / ${peer}: req/s ×${(k.rps / p.rps).toFixed(2)}, p99 ×${(k.p99 / p.p99).toFixed(2)}, p50 ×${(k.p50! / p.p50!).toFixed(2)}`;
  };
  out.push('');
  for (const [peer, p] of [['Caddy', c], ['nginx', n]] as const) {
    const l = ratioLine(peer, p);
    if (l) out.push(l);
  }
  if (k?.rps && c?.rps && k.p99 !== undefined && c.p99 !== undefined) {
    meets = k.rps >= TARGET_RPS_RATIO * c.rps && k.p99 <= c.p99;
    out.push(
      `Target: knit ≥ ${TARGET_RPS_RATIO}× Caddy req/s with p99 ≤ Caddy's → ${meets ? 'MEETS' : 'MISSES'} ` +
        `(req/s ×${(k.rps / c.rps).toFixed(2)} ${k.rps >= TARGET_RPS_RATIO * c.rps ? '≥' : '<'} ${TARGET_RPS_RATIO}; p99 ${fmtMs(k.p99)} ${k.p99 <= c.p99 ? '≤' : '>'} ${fmtMs(c.p99)})`,
    );
  } else {
    out.push(`Target: knit ≥ ${TARGET_RPS_RATIO}× Caddy req/s with p99 ≤ Caddy's → not measured (needs both knit and caddy results)`);
  }
  if (knitError) out.push(`knit FAILED: ${knitError}`);
  if (runErrors.length) {
    out.push('');
    out.push(`Errors (${runErrors.length}):`);
    for (const e of runErrors.slice(0, 20)) out.push(`  ${e.slice(0, 500)}`);
  }
  if (knitProc) {
    const tail = knitProc.output().trim().split('\n').filter((l) => l && !/^\s/.test(l) && !/^(knit is serving|Try:)/.test(l));
    if (tail.length) {
      out.push('');
      out.push(`knit serve output (last ${Math.min(10, tail.length)} line(s) not part of its banner):`);
      for (const l of tail.slice(-10)) out.push(`  ${l}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return knitError || runErrors.length || !meets ? 1 : 0;
}

// Whole-run budget: start-up, warm-ups and measured runs, plus slack for stopping everything.
const budget = 60 + ALL_TARGETS.length * (WARMUP + 20) + REPEATS * TARGETS.length * (DURATION + 20);
await runBench(budget, main);
