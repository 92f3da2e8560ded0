// Test harness: a real `bin/knit serve` (started by knit-server.ts) on free loopback ports and a temp data dir,
// the real CLI run against it, and cleanup of server, instances and temp dir.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { spawnCli, type RunResult } from './cli-runner.ts';
import { KNIT, REPO, apiCa, startKnitServe, type Endpoints, type KnitServeProcess } from './knit-server.ts';

export { KNIT, REPO, type Endpoints, type RunResult };
export const EXAMPLES = path.join(REPO, 'examples');
export const FIXTURES = path.join(REPO, 'test', 'fixtures');

/** Polls `fn` until it returns a truthy value, or throws after `ms`. */
/** True while `pid` runs: it exists and is not a zombie (dead, only not reaped yet). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 10_000, every = 20): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms}ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A running `knit serve` owned by one test file. */
export class KnitServer {
  readonly dataDir: string;
  endpoints!: Endpoints;
  token = '';
  private proc: KnitServeProcess | undefined;
  private readonly extraArgs: string[];

  /** `config` is the YAML of `knit serve --config` (Knative config-map keys), if any. */
  constructor(extraArgs: string[] = [], dataDir?: string, config?: string) {
    this.dataDir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'knit-e2e-'));
    // KNIT_TEST_GATEWAY_THREADS=N runs any e2e file with the gateway on N worker threads.
    const threads = process.env.KNIT_TEST_GATEWAY_THREADS;
    this.extraArgs = threads && !extraArgs.includes('--gateway-threads') ? [...extraArgs, '--gateway-threads', threads] : extraArgs;
    if (config !== undefined) {
      const file = path.join(this.dataDir, 'config.yaml');
      fs.writeFileSync(file, config);
      this.extraArgs = [...this.extraArgs, '--config', file];
    }
  }

  /** Starts the server and waits until its endpoints answer. */
  async start(): Promise<this> {
    const { proc, endpoints, token } = await startKnitServe({ dataDir: this.dataDir, args: this.extraArgs, env: { ...process.env, KNIT_SERVER: '' } });
    this.proc = proc;
    this.endpoints = endpoints;
    this.token = token;
    return this;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Everything the server printed so far. */
  get log(): string {
    return this.proc?.output() ?? '';
  }

  /** The pids of instances the server is running now. */
  instancePids(): number[] {
    const dir = path.join(this.dataDir, 'run', 'instances');
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).flatMap((f) => {
      try {
        return [(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { pid: number }).pid];
      } catch {
        return [];
      }
    });
  }

  /** Sends a signal and waits for the server to exit (SIGKILL after 15 s). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.proc?.stop(signal, 15_000);
  }

  /** Stops the server, checks no instance outlived it, removes the data dir. */
  async cleanup(): Promise<void> {
    const pids = this.instancePids();
    await this.stop();
    for (const pid of pids) {
      if (pidAlive(pid)) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
        throw new Error(`instance process ${pid} outlived knit serve`);
      }
    }
    const cgroups = this.cgroupsLeft();
    for (const dir of cgroups) {
      try {
        fs.rmdirSync(dir); // a cgroup directory goes with rmdir once empty
      } catch {
        // still has processes
      }
    }
    if (cgroups.length > 0) throw new Error(`cgroups outlived knit serve: ${cgroups.join(' ')}`);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The cpu cgroups (v1) of this server's instances and gateway threads (`knit-<owner>-…`, src/runtime/cgroups.ts). */
  cgroupsLeft(): string[] {
    const root = '/sys/fs/cgroup/cpu';
    const owner = createHash('sha256').update(path.resolve(this.dataDir)).digest('hex').slice(0, 16);
    try {
      return fs.readdirSync(root).filter((n) => n.startsWith(`knit-${owner}-`)).map((n) => path.join(root, n));
    } catch {
      return [];
    }
  }

  /** Runs the real CLI against this server. */
  knit(args: string[], opts: { input?: string; cwd?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
    return spawnCli(args, { cwd: opts.cwd ?? REPO, env: { ...process.env, KNIT_SERVER: '', KNIT_DATA_DIR: this.dataDir, ...opts.env }, input: opts.input });
  }

  /** Runs the real kubectl with this server's kubeconfig (and HOME in the data dir, so its cache is fresh). */
  kubectl(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      execFile('kubectl', args, { env: { ...process.env, KUBECONFIG: path.join(this.dataDir, 'kubeconfig'), HOME: this.dataDir, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  /** Creates a Knative Service through the API (201 asserted); its metadata. */
  async createService(name: string, image: string, annotations: Record<string, string> = {}): Promise<{ uid: string }> {
    const r = await this.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name },
      spec: { template: { metadata: { annotations }, spec: { containers: [{ image }] } } },
    });
    if (r.status !== 201) throw new Error(`creating service ${name}: ${r.status} ${JSON.stringify(r.json)}`);
    return (r.json as { metadata: { uid: string } }).metadata;
  }

  /** Creates a Knative Service with this template (201 asserted) and waits until it is Ready at its generation. */
  async createReadyService(name: string, template: Record<string, unknown>, ms = 20_000): Promise<void> {
    const r = await this.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name },
      spec: { template },
    });
    if (r.status !== 201) throw new Error(`creating service ${name}: ${r.status} ${JSON.stringify(r.json)}`);
    await eventually(`${name} to be Ready`, async () => {
      const s = (await this.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`)).json as { metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } };
      return s.status?.observedGeneration === s.metadata.generation && s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    }, ms);
  }

  /** An API request with the bearer token, over HTTPS trusting the server's own CA. */
  async api(method: string, pathname: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const r = await apiRequest(this.endpoints.api, this.caPem(), method, pathname, {
      authorization: `Bearer ${this.token}`,
      'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
    }, text);
    let json: unknown = r.body;
    try {
      json = JSON.parse(r.body);
    } catch {
      // not JSON
    }
    return { status: r.status, json };
  }

  /** The PEM of the CA that signed this server's API certificate. */
  caPem(): string {
    return apiCa(this.dataDir);
  }

  /** GET through the external gateway (or the local one) with a Host header. */
  request(host: string, pathname = '/', listener: 'http' | 'localHttp' = 'http', headers: Record<string, string> = {}): Promise<HttpResult> {
    const u = new URL(this.endpoints[listener]);
    return httpGet(u.hostname, Number(u.port), host, pathname, headers);
  }
}

export interface HttpResult {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** False when the response was cut before its end. */
  complete?: boolean;
}

/** One request to knit's HTTPS API (Node's fetch cannot be given a CA). */
export function apiRequest(base: string, ca: string, method: string, pathname: string, headers: Record<string, string>, body?: string): Promise<HttpResult> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = https.request({ host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port), method, path: pathname, headers, ca, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A plain HTTP GET with an explicit Host header (fetch would override it). */
export function httpGet(address: string, port: number, host: string, pathname: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: address, port, path: pathname, headers: { host, ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      // 'close' also covers a response cut short (a timeout after the first byte).
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, complete: res.complete }));
      res.on('error', () => undefined);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A GET through a gateway (`gateway` is its http:// URL) with the given Host, on a fresh connection (or on
 * `agent`'s), that gives up after `timeoutMs` with status 0 (as Knative's spoofing client does with its 5 s timeout).
 */
export function gatewayGet(gateway: string, host: string, pathname: string, timeoutMs = 5_000, agent: http.Agent | false = false): Promise<{ status: number; body: string }> {
  const u = new URL(gateway);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: Number(u.port), path: pathname, headers: { host }, agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ status: 0, body: 'timed out' });
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.end();
  });
}
