// Container probes as the kubelet runs them (httpGet, tcpSocket, exec, grpc): readiness, liveness and startup loops.

import net from 'node:net';
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
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
  /**
   * Runs an httpGet, tcpSocket or grpc probe from inside the instance's network (a `file://` pod's
   * own network namespace, which knit cannot reach directly); `port` is the port resolved in there.
   */
  remote?: (probe: Probe | undefined, port: number, timeoutMs: number) => Promise<boolean>;
  /** Host ports that reach ports of the instance's network (a podman pod publishes its sidecars' probe ports). */
  portMap?: Record<number, number>;
}

/**
 * How long a probe "second" lasts, and the period used when a probe sets none. Kubernetes'
 * defaults (k8s.io/api core/v1 types.go Probe: periodSeconds 10, timeoutSeconds 1,
 * failureThreshold 3); tests shorten the second.
 */
export interface ProbeClock {
  secondMs: number;
}
export const REAL_SECONDS: ProbeClock = { secondMs: 1000 };
/** Kubernetes' default periodSeconds, also the period of a Knative readiness probe with periodSeconds 0 once ready. */
export const DEFAULT_PERIOD_SECONDS = 10;
const DEFAULT_TIMEOUT_SECONDS = 1;
const DEFAULT_FAILURE_THRESHOLD = 3;

function resolvePort(port: number | string | undefined, target: ProbeTarget): number {
  if (port === undefined || port === 0 || typeof port === 'string' || port === target.containerPort) return target.port;
  return target.portMap?.[port] ?? port;
}

/** The port a probe names, inside the instance's own network (the serving port when it names none). */
export function probePort(probe: Probe | undefined, containerPort: number): number {
  const p = probe?.httpGet?.port ?? probe?.grpc?.port ?? probe?.tcpSocket?.port;
  return typeof p === 'number' && p !== 0 ? p : containerPort;
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

/**
 * One HTTP GET; 200–399 passes, as for Kubernetes probes. With scheme HTTPS the certificate is
 * not verified, as the kubelet does not (kubernetes pkg/probe/http/http.go New, InsecureSkipVerify).
 */
export function httpProbe(host: string, port: number, path: string, headers: Record<string, string>, timeoutMs: number, scheme = 'HTTP'): Promise<boolean> {
  return new Promise((resolve) => {
    const request = scheme.toUpperCase() === 'HTTPS' ? https.request : http.request;
    const req = request(
      { host, port, path, method: 'GET', headers: { 'user-agent': 'kube-probe/knit', ...headers }, agent: false, timeout: timeoutMs, rejectUnauthorized: false },
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

/** The protobuf bytes of grpc.health.v1.HealthCheckRequest{service}, in a gRPC length-prefixed frame. */
function healthCheckFrame(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  const msg: number[] = [];
  if (name.length > 0) {
    msg.push(0x0a); // field 1 (service), wire type 2
    let n = name.length;
    while (n > 0x7f) {
      msg.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    msg.push(n);
  }
  const body = Buffer.concat([Buffer.from(msg), name]);
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return frame;
}

/** The `status` (field 1) of a grpc.health.v1.HealthCheckResponse; 0 (UNKNOWN) when absent. */
function healthStatus(frames: Buffer): number {
  if (frames.length < 5 || frames[0] !== 0) return -1;
  const msg = frames.subarray(5, 5 + frames.readUInt32BE(1));
  let i = 0;
  let status = 0;
  while (i < msg.length) {
    const key = msg[i++];
    let v = 0;
    let shift = 0;
    if ((key & 7) !== 0) return -1; // only the varint field is expected
    for (;;) {
      const b = msg[i++];
      v |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80) || i >= msg.length) break;
    }
    if (key >> 3 === 1) status = v;
  }
  return status;
}

/**
 * One grpc.health.v1.Health/Check call over h2c; passes when the answer is SERVING (1), as the
 * kubelet's grpc prober does (kubernetes pkg/probe/grpc/grpc.go Probe). A single unary call, so
 * it is written against node:http2 rather than pulling a gRPC library into the product.
 */
export function grpcProbe(host: string, port: number, service: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const session = http2.connect(`http://${net.isIPv6(host) ? `[${host}]` : host}:${port}`);
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    session.on('error', () => done(false));
    const req = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'kube-probe/knit',
    });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    req.on('response', (headers) => {
      if (headers['grpc-status'] !== undefined) grpcStatus = String(headers['grpc-status']);
    });
    req.on('trailers', (trailers) => {
      if (trailers['grpc-status'] !== undefined) grpcStatus = String(trailers['grpc-status']);
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => done(grpcStatus === '0' && healthStatus(Buffer.concat(chunks)) === 1));
    req.on('error', () => done(false));
    req.end(healthCheckFrame(service));
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
  if (target.remote && !probe?.exec) return target.remote(probe, probePort(probe, target.containerPort), timeoutMs);
  if (probe?.httpGet) {
    const headers: Record<string, string> = {};
    for (const h of probe.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
    const host = probe.httpGet.host || target.host;
    return httpProbe(host, resolvePort(probe.httpGet.port, target), probe.httpGet.path || '/', headers, timeoutMs, probe.httpGet.scheme);
  }
  if (probe?.exec) return execProbe(probe.exec.command ?? [], target, timeoutMs);
  if (probe?.grpc) return grpcProbe(target.host, resolvePort(probe.grpc.port, target), probe.grpc.service ?? '', timeoutMs);
  const host = probe?.tcpSocket?.host || target.host;
  return tcpProbe(host, resolvePort(probe?.tcpSocket?.port, target), timeoutMs);
}

export interface ProbeLoopHandlers {
  onReady(): void;
  onUnready(): void;
}

/**
 * Drives readiness. With periodSeconds 0 (Knative's default) it retries aggressively until the
 * first success, as the queue-proxy does (knative/serving pkg/queue/readiness/probe.go
 * ProbeContainer, pollTimeout/retryInterval), and then keeps checking at Kubernetes' default
 * period; with periodSeconds > 0 it probes on that period. Either way successThreshold and
 * failureThreshold apply as the kubelet applies them (kubernetes pkg/kubelet/prober/worker.go doProbe).
 */
/** Readiness loops of this knit still polling fast for their first success (see ProbeLoop.aggressiveDelay). */
let pollingFirst = 0;
/** How many of those attempts per millisecond all of them make together, at most. */
const FIRST_SUCCESS_ATTEMPTS_PER_MS = 2;

export class ProbeLoop {
  private stopped = false;
  /** Counted in pollingFirst. */
  private polling = false;
  private timer: NodeJS.Timeout | undefined;
  private ready = false;
  private successes = 0;
  private failures = 0;
  private readonly probe: Probe | undefined;
  private readonly target: ProbeTarget;
  private readonly handlers: ProbeLoopHandlers;
  private readonly clock: ProbeClock;
  private readonly startedAt = Date.now();

  constructor(probe: Probe | undefined, target: ProbeTarget, handlers: ProbeLoopHandlers, clock: ProbeClock = REAL_SECONDS) {
    this.probe = probe;
    this.target = target;
    this.handlers = handlers;
    this.clock = clock;
    if (this.aggressive) {
      this.polling = true;
      pollingFirst++;
    }
    this.schedule((probe?.initialDelaySeconds ?? 0) * clock.secondMs);
  }

  stop(): void {
    this.stopped = true;
    this.donePolling();
    if (this.timer) clearTimeout(this.timer);
  }

  private donePolling(): void {
    if (!this.polling) return;
    this.polling = false;
    pollingFirst--;
  }

  private get aggressive(): boolean {
    return !this.probe?.periodSeconds;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  /**
   * Aggressive mode polls fast at first so cold starts are noticed within milliseconds; when many instances
   * start at once (a cold-start storm), their loops share a budget of FIRST_SUCCESS_ATTEMPTS_PER_MS, so that
   * probing 100 instances every 2 ms does not take the event loop the gateway answers on.
   */
  private aggressiveDelay(): number {
    const elapsed = Date.now() - this.startedAt;
    const own = elapsed < 500 ? 2 : elapsed < 5000 ? 20 : 50;
    return Math.max(own, Math.ceil(pollingFirst / FIRST_SUCCESS_ATTEMPTS_PER_MS));
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    // Before the first success a periodSeconds-0 probe gives each attempt 100 ms, as the queue-proxy does.
    const timeoutMs = this.aggressive && !this.ready ? 100 : Math.max(1, this.probe?.timeoutSeconds || DEFAULT_TIMEOUT_SECONDS) * this.clock.secondMs;
    const ok = await probeOnce(this.probe, this.target, timeoutMs);
    if (this.stopped) return;
    const successThreshold = Math.max(1, this.probe?.successThreshold ?? 1);
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (!this.ready && this.successes >= successThreshold) {
        this.ready = true;
        this.donePolling();
        this.handlers.onReady();
      }
    } else {
      this.successes = 0;
      this.failures++;
      const failureThreshold = Math.max(1, this.probe?.failureThreshold || DEFAULT_FAILURE_THRESHOLD);
      if (this.ready && this.failures >= failureThreshold) {
        this.ready = false;
        this.handlers.onUnready();
      }
    }
    if (this.aggressive && !this.ready) {
      this.schedule(ok ? 0 : this.aggressiveDelay());
      return;
    }
    this.schedule((this.probe?.periodSeconds || DEFAULT_PERIOD_SECONDS) * this.clock.secondMs);
  }
}

export interface ProbeWorkerHandlers {
  /** The probe passed successThreshold times in a row (startup probes stop probing then). */
  onSuccess?(): void;
  /** The probe failed failureThreshold times in a row: the kubelet kills the container. */
  onFailure(failures: number): void;
}

/**
 * A liveness or startup probe: every periodSeconds after initialDelaySeconds, and failureThreshold
 * failures in a row call onFailure (the kubelet then restarts the container; kubernetes
 * pkg/kubelet/prober/worker.go doProbe). A startup worker ends at its first success.
 */
export class ProbeWorker {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private successes = 0;
  private failures = 0;
  private readonly probe: Probe;
  private readonly target: ProbeTarget;
  private readonly kind: 'liveness' | 'startup';
  private readonly handlers: ProbeWorkerHandlers;
  private readonly clock: ProbeClock;

  constructor(kind: 'liveness' | 'startup', probe: Probe, target: ProbeTarget, handlers: ProbeWorkerHandlers, clock: ProbeClock = REAL_SECONDS) {
    this.kind = kind;
    this.probe = probe;
    this.target = target;
    this.handlers = handlers;
    this.clock = clock;
    this.schedule((probe.initialDelaySeconds ?? 0) * clock.secondMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const timeoutMs = Math.max(1, this.probe.timeoutSeconds || DEFAULT_TIMEOUT_SECONDS) * this.clock.secondMs;
    const ok = await probeOnce(this.probe, this.target, timeoutMs);
    if (this.stopped) return;
    if (ok) {
      this.failures = 0;
      this.successes++;
      // Liveness and startup probes must have successThreshold 1 (k8s validation), so one success counts.
      if (this.kind === 'startup') {
        this.stopped = true;
        this.handlers.onSuccess?.();
        return;
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.failures >= Math.max(1, this.probe.failureThreshold || DEFAULT_FAILURE_THRESHOLD)) {
        this.stopped = true;
        this.handlers.onFailure(this.failures);
        return;
      }
    }
    this.schedule((this.probe.periodSeconds || DEFAULT_PERIOD_SECONDS) * this.clock.secondMs);
  }
}
