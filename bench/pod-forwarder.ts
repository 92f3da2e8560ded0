// The cost of a file:// pod's relay (docs/architecture.md "Pods"): the same app as a one-container instance
// (reached directly) and as the serving container of a two-container pod (reached through the namespace's holder).

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProcessRuntime } from '../src/runtime/process.ts';
import { detectSandbox } from '../src/runtime/sandbox.ts';
import type { Instance, InstanceSpec } from '../src/runtime/runtime.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const APP = pathToFileURL(path.join(REPO, 'examples', 'helloworld')).href;
const SIDECAR = pathToFileURL(path.join(REPO, 'test', 'fixtures', 'sidecar-app')).href;
const N = Number(process.env.BENCH_REQUESTS ?? 3000);

function spec(dir: string, id: string, sidecar: boolean): InstanceSpec {
  return {
    id, namespace: 'default', revision: 'bench-00001', configuration: 'bench', service: 'bench',
    container: { image: APP, name: 'app', ports: [{ containerPort: 8080 }] }, image: APP, env: { TARGET: 'bench' },
    containerPort: 8080, gracePeriodSeconds: 2, logFile: path.join(dir, `${id}.log`),
    ...(sidecar ? { sidecars: [{ container: { image: SIDECAR, name: 'side' }, image: SIDECAR, env: { ROLE: 'sidecar' }, logFile: path.join(dir, 'side', `${id}.log`) }] } : {}),
  };
}

function ready(inst: Instance): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`not ready: ${inst.lastLogLines(5).join(' | ')}`)), 20_000);
    inst.once('ready', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function get(agent: http.Agent, inst: Instance): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get({ host: inst.host, port: inst.port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    }).on('error', reject);
  });
}

/** Latencies (ms) of N requests, `concurrency` at a time over keep-alive connections. */
async function measure(inst: Instance, concurrency: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const out: number[] = [];
  let next = 0;
  try {
    for (let i = 0; i < 200; i++) await get(agent, inst); // warm-up
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next++ < N) {
        const t0 = performance.now();
        await get(agent, inst);
        out.push(performance.now() - t0);
      }
    }));
  } finally {
    agent.destroy();
  }
  return out.sort((a, b) => a - b);
}

const pct = (xs: number[], p: number): string => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))].toFixed(3);

async function main(): Promise<void> {
  const sandbox = detectSandbox();
  if (!sandbox.ok) throw new Error(`file:// pods need the sandbox: ${sandbox.why}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-bench-pod-'));
  const rt = new ProcessRuntime({ sandbox });
  const started: Instance[] = [];
  try {
    const single = rt.start(spec(dir, 'single', false));
    const pod = rt.start(spec(dir, 'pod', true));
    started.push(single, pod);
    await Promise.all([ready(single), ready(pod)]);
    console.log(`${N} GET / per row, keep-alive; milliseconds`);
    console.log('instance              conc   p50     p90     p99');
    for (const concurrency of [1, 8]) {
      for (const [name, inst] of [['one container', single], ['pod (relayed)', pod]] as const) {
        const xs = await measure(inst, concurrency);
        console.log(`${name.padEnd(20)}  ${String(concurrency).padStart(4)}  ${pct(xs, 50)}  ${pct(xs, 90)}  ${pct(xs, 99)}`);
      }
    }
  } finally {
    await Promise.all(started.map((i) => i.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
