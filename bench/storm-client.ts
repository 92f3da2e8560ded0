// Load child of bench/storm.ts: an open-loop constant-rate HTTP sender (latency from each request's scheduled send time) or a new-connection canary; prints every sample as JSON when told to stop.
//
//   node bench/storm-client.ts --mode load|canary --url URL --host HOST --rate N --timeout-ms T --status CODE [--body TEXT] [--connections C]
//
// Request i is due at t0 + i/rate. A timer sends every request that is due, whatever happened to the
// earlier ones (open loop, as wrk2 does), and its latency runs from its *scheduled* time to the end of
// its body, so a stalled sender or server cannot hide queueing (no coordinated omission). `load` reuses
// at most C keep-alive connections (as wrk2 keeps a fixed set): when all are busy, a due request waits
// for one, and that wait counts in its latency; `canary` opens a new connection per request.
// Protocol with the parent: prints `started T0` (epoch ms) once the schedule starts; on a `stop` line on
// stdin (or stdin's end) it stops sending, waits for the answers still out (up to the timeout), prints
// one JSON line (see Report) and exits.

import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    url: { type: 'string' },
    host: { type: 'string' },
    rate: { type: 'string' },
    'timeout-ms': { type: 'string' },
    status: { type: 'string' },
    body: { type: 'string' },
    connections: { type: 'string' },
  },
});
const mode = values.mode;
if (mode !== 'load' && mode !== 'canary') throw new Error('--mode: want load or canary');
if (!values.url || !values.host) throw new Error('--url and --host are required');
const url = new URL(values.url);
const HOST = values.host;
const RATE = Number(values.rate ?? '500');
const TIMEOUT_MS = Number(values['timeout-ms'] ?? '10000');
const STATUS = Number(values.status ?? '200');
const BODY = values.body;
const CONNECTIONS = Number(values.connections ?? '50');
if (!(RATE > 0) || !(TIMEOUT_MS > 0) || !Number.isInteger(STATUS) || !(Number.isInteger(CONNECTIONS) && CONNECTIONS > 0)) {
  throw new Error('--rate, --timeout-ms, --status and --connections want positive numbers');
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes of one machine. */
const epoch = (): number => performance.timeOrigin + performance.now();

/** What the parent reads: one sample per request, in schedule order. */
export interface Report {
  /** Scheduled send time of each request (epoch ms). */
  due: number[];
  /** Scheduled send → end of body (ms); -1 for a failed request. */
  ms: number[];
  /** Per request: '' when it was answered as expected, else why not. */
  error: string[];
  /** How late each request actually left (ms), p99 and max. */
  lagP99: number;
  lagMax: number;
  /** This process's event-loop delay, max (ms). */
  loopMax: number;
}

const agent = mode === 'load' ? new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS }) : undefined;
const due: number[] = [];
const ms: number[] = [];
const error: string[] = [];
const lags: number[] = [];
let outstanding = 0;
let allAnswered: (() => void) | undefined;
const live = new Set<http.ClientRequest>();
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();

function send(i: number, dueAt: number): void {
  lags.push(epoch() - dueAt);
  due[i] = dueAt;
  ms[i] = -1;
  error[i] = 'unanswered at the end';
  outstanding++;
  let settled = false;
  const settle = (why: string): void => {
    if (settled) return;
    settled = true;
    live.delete(req);
    error[i] = why;
    if (!why) ms[i] = epoch() - dueAt;
    outstanding--;
    if (outstanding === 0) allAnswered?.();
  };
  const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, agent: agent ?? false, headers: { host: HOST } }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (body += c));
    res.on('end', () => {
      if (res.statusCode !== STATUS) settle(`HTTP ${res.statusCode}`);
      else if (BODY !== undefined && body !== BODY) settle(`${STATUS} with another body`);
      else settle('');
    });
    res.on('error', (e) => settle(`response: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
  });
  live.add(req);
  req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('timeout')));
  req.on('error', (e) => settle((e as NodeJS.ErrnoException).code ?? e.message));
  req.end();
}

const interval = 1000 / RATE;
const t0 = epoch() + 5;
let i = 0;
let stopping = false;
let timer: NodeJS.Timeout | undefined;
const tick = (): void => {
  const now = epoch();
  while (!stopping && t0 + i * interval <= now) {
    send(i, t0 + i * interval);
    i++;
  }
  if (!stopping) timer = setTimeout(tick, Math.max(0, t0 + i * interval - epoch()));
};
timer = setTimeout(tick, 5);
process.stdout.write(`started ${t0}\n`);

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearTimeout(timer);
  if (outstanding > 0) {
    await Promise.race([new Promise<void>((r) => (allAnswered = r)), new Promise((r) => setTimeout(r, TIMEOUT_MS + 1000))]);
  }
  for (const req of live) req.destroy();
  loop.disable();
  agent?.destroy();
  const report: Report = { due, ms, error, lagP99: quantile(lags, 0.99), lagMax: quantile(lags, 1), loopMax: loop.max / 1e6 };
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c: string) => {
  input += c;
  if (input.includes('stop')) void stop();
});
process.stdin.on('end', () => void stop());
