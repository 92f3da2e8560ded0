// Readiness probes (tcpSocket, httpGet, exec) and the loop that turns them into ready/unready.

import net from 'node:net';
import http from 'node:http';
import { spawn } from 'node:child_process';
import type { Probe } from '../api/types.ts';

export interface ProbeTarget {
  host: string;
  /** The instance's serving port as seen from knit. */
  port: number;
  /** The serving port's number in the spec, so probes naming it map to `port`. */
  containerPort: number;
  /** Working directory and env for exec probes (process runtime). */
  cwd?: string;
  env?: Record<string, string>;
  /** Runs an exec probe inside the instance (podman runtime); defaults to a host process. */
  exec?: (command: string[], timeoutMs: number) => Promise<boolean>;
}

function resolvePort(port: number | string | undefined, target: ProbeTarget): number {
  if (port === undefined || port === 0 || typeof port === 'string' || port === target.containerPort) return target.port;
  return port;
}

/** One TCP connect attempt. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** One HTTP GET; 200–399 passes, as for Kubernetes probes. */
export function httpProbe(host: string, port: number, path: string, headers: Record<string, string>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request(
      { host, port, path, method: 'GET', headers: { 'user-agent': 'kube-probe/knit', ...headers }, agent: false, timeout: timeoutMs },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function execProbe(command: string[], target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  if (target.exec) return target.exec(command, timeoutMs);
  return new Promise((resolve) => {
    if (command.length === 0) return resolve(false);
    const child = spawn(command[0], command.slice(1), { cwd: target.cwd, env: target.env, stdio: 'ignore', timeout: timeoutMs });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

/** Runs one attempt of `probe` (tcpSocket on the serving port when the probe is empty). */
export function probeOnce(probe: Probe | undefined, target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  if (probe?.httpGet) {
    const headers: Record<string, string> = {};
    for (const h of probe.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
    const host = probe.httpGet.host || target.host;
    return httpProbe(host, resolvePort(probe.httpGet.port, target), probe.httpGet.path || '/', headers, timeoutMs);
  }
  if (probe?.exec) return execProbe(probe.exec.command ?? [], target, timeoutMs);
  const host = probe?.tcpSocket?.host || target.host;
  return tcpProbe(host, resolvePort(probe?.tcpSocket?.port, target), timeoutMs);
}

export interface ProbeLoopHandlers {
  onReady(): void;
  onUnready(): void;
}

/**
 * Drives readiness: with periodSeconds 0 (Knative's default) it retries aggressively until the
 * first success, then stays quiet; with periodSeconds > 0 it keeps probing on that period and
 * applies successThreshold/failureThreshold as the kubelet does.
 */
export class ProbeLoop {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private ready = false;
  private successes = 0;
  private failures = 0;
  private readonly probe: Probe | undefined;
  private readonly target: ProbeTarget;
  private readonly handlers: ProbeLoopHandlers;
  private readonly startedAt = Date.now();

  constructor(probe: Probe | undefined, target: ProbeTarget, handlers: ProbeLoopHandlers) {
    this.probe = probe;
    this.target = target;
    this.handlers = handlers;
    const delayMs = (probe?.initialDelaySeconds ?? 0) * 1000;
    this.schedule(delayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private get aggressive(): boolean {
    return !this.probe?.periodSeconds;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  /** Aggressive mode polls fast at first so cold starts are noticed within milliseconds. */
  private aggressiveDelay(): number {
    const elapsed = Date.now() - this.startedAt;
    if (elapsed < 500) return 2;
    if (elapsed < 5000) return 20;
    return 50;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const timeoutMs = this.aggressive ? 100 : Math.max(1, this.probe?.timeoutSeconds ?? 1) * 1000;
    const ok = await probeOnce(this.probe, this.target, timeoutMs);
    if (this.stopped) return;
    const successThreshold = Math.max(1, this.probe?.successThreshold ?? 1);
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (!this.ready && this.successes >= successThreshold) {
        this.ready = true;
        this.handlers.onReady();
      }
    } else {
      this.successes = 0;
      this.failures++;
      const failureThreshold = Math.max(1, this.probe?.failureThreshold ?? 3);
      if (this.ready && this.failures >= failureThreshold) {
        this.ready = false;
        this.handlers.onUnready();
      }
    }
    if (this.aggressive) {
      if (!this.ready) this.schedule(ok ? 0 : this.aggressiveDelay());
      return;
    }
    this.schedule((this.probe?.periodSeconds ?? 10) * 1000);
  }
}
