// The network of a `file://` pod: a network namespace of its own, held by pod-net.ts, which the
// gateway reaches through a host socket knit hands to the holder (see docs/architecture.md "Pods").

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Probe } from '../api/types.ts';
import type { PodNetwork } from './pod.ts';
import type { PodNetRequest, PodNetReply } from './pod-net.ts';
import type { PodNetns } from './process.ts';
import { readSandboxPid, type SandboxSupport } from './sandbox.ts';
import { RuntimeError, type Instance, type InstanceSpec } from './runtime.ts';

const HOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pod-net.ts');

function listen(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

/**
 * Creates the namespace (bubblewrap `--unshare-net`, which brings its loopback up; the rest of the
 * host's filesystem view is kept for the holder, which is knit's own code) and hands the holder a
 * listening socket on the host's loopback: connections to it are relayed to the serving port inside.
 */
export async function openNetns(sandbox: SandboxSupport | 'off', spec: InstanceSpec, startIn: (spec: InstanceSpec, netns: PodNetns) => Instance): Promise<PodNetwork> {
  if (sandbox === 'off' || !sandbox.ok) {
    const why = sandbox === 'off' ? 'the sandbox is off (KNIT_SANDBOX=off)' : sandbox.why;
    throw new RuntimeError('CreateContainerError', `a revision with several containers runs them in a network namespace of their own, which needs the sandbox, and ${why}`);
  }
  const server = await listen();
  const hostPort = (server.address() as net.AddressInfo).port;
  const child = spawn(sandbox.tools.bwrap, ['--unshare-net', '--dev-bind', '/', '/', '--die-with-parent', '--info-fd', '3', '--', process.execPath, HOLDER], {
    cwd: '/',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  child.once('error', () => {});
  const gone = exitOf(child);
  const pid = await readSandboxPid(child);
  const fail = (what: string): never => {
    server.close();
    child.kill('SIGKILL');
    throw new RuntimeError('CreateContainerError', `cannot create the pod's network namespace: ${what}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
  };
  if (pid === undefined) fail('bubblewrap gave no pid');
  const pending = new Map<number, (ok: boolean) => void>();
  let nextId = 0;
  const serving = new Promise<boolean>((resolve) => {
    child.on('message', (m: PodNetReply) => {
      if (m.type === 'serving') resolve(true);
      else if (m.type === 'probe') {
        pending.get(m.id)?.(m.ok);
        pending.delete(m.id);
      }
    });
    void gone.then(() => resolve(false));
  });
  void gone.then(() => {
    for (const r of pending.values()) r(false);
    pending.clear();
  });
  // Once sent, the holder owns the socket: knit's copy would take connections too.
  child.send({ type: 'serve', port: spec.containerPort } satisfies PodNetRequest, server, () => server.close());
  if (!(await serving)) fail('its holder exited');
  const egress = await startEgress(pid!);
  const network = buildNetwork(child, pid!, hostPort, pending, () => nextId++, gone, startIn);
  if (!egress) return network;
  return {
    ...network,
    close: async () => {
      egress.kill('SIGTERM');
      await network.close();
    },
  };
}

/** slirp4netns, if installed (podman's own dependency): util-linux's `which` is not assumed. */
function slirp4netns(): string | undefined {
  for (const dir of ['/usr/bin', '/usr/local/bin', '/bin']) {
    const p = path.join(dir, 'slirp4netns');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Outbound network for the pod, as a pod has: slirp4netns gives the namespace a tap device with a NAT'd
 * default route (10.0.2.0/24), with `--disable-host-loopback` so the host's 127.0.0.1 (knit's API and
 * gateways) stays out of reach. Without slirp4netns the pod has its loopback only (docs/differences.md).
 * It exits when knit closes its exit fd, or dies.
 */
async function startEgress(pid: number): Promise<ChildProcess | undefined> {
  const bin = slirp4netns();
  if (!bin) return undefined;
  const child = spawn(bin, ['--configure', '--mtu=65520', '--disable-host-loopback', '--ready-fd=3', '--exit-fd=4', String(pid), 'tap0'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
  });
  child.once('error', () => {});
  const ready = await new Promise<boolean>((resolve) => {
    const fd = child.stdio[3] as NodeJS.ReadableStream | null;
    const timer = setTimeout(() => resolve(false), 5_000);
    fd?.once('data', () => {
      clearTimeout(timer);
      resolve(true);
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ready) {
    child.kill('SIGKILL');
    return undefined;
  }
  return child;
}

function buildNetwork(
  child: ChildProcess,
  pid: number,
  port: number,
  pending: Map<number, (ok: boolean) => void>,
  id: () => number,
  gone: Promise<void>,
  startIn: (spec: InstanceSpec, netns: PodNetns) => Instance,
): PodNetwork {
  const probe = (p: Probe | undefined, port: number, timeoutMs: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (!child.connected) return resolve(false);
      const n = id();
      pending.set(n, resolve);
      child.send({ type: 'probe', id: n, probe: p, port, timeoutMs } satisfies PodNetRequest);
    });
  return {
    host: '127.0.0.1',
    port,
    pid,
    start: (spec) => startIn(spec, { pid, probe }),
    close: async () => {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
