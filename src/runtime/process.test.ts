// The process runtime against the shared runtime contract, plus its own entrypoint and sandbox rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProcessRuntime, StartQueue, closeInheritedFds, processCommand } from './process.ts';
import { get, runtimeContract, waitFor } from './contract.ts';
import { detectSandbox } from './sandbox.ts';
import { GatewayCgroup, STARTING_TASKS_PER_CPU, detectCgroups } from './cgroups.ts';
import type { Instance, InstanceExit, InstanceSpec } from './runtime.ts';

const fixtures = path.resolve(import.meta.dirname, '../../test/fixtures');
const image = (dir: string): string => pathToFileURL(path.join(fixtures, dir)).href;
const support = detectSandbox();
const noSandbox = support.ok ? false : `no sandbox here (${support.why}); KNIT_SANDBOX=off runs instances unsandboxed`;

if (support.ok) runtimeContract('process', new ProcessRuntime(), { probeApp: image('runtime-app'), crashApp: image('crash-app') });
else test('process: the runtime contract', { skip: noSandbox }, () => {});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-process-'));
const started: Instance[] = [];
let n = 0;
function specOf(over: Partial<InstanceSpec> = {}): InstanceSpec {
  const img = image('runtime-app');
  return {
    id: `sandbox-${++n}`, namespace: 'default', revision: 'r-00001', configuration: 'r', service: 'r',
    container: { image: img }, image: img, env: {}, containerPort: 8080, gracePeriodSeconds: 2,
    logFile: path.join(tmp, `sandbox-${n}.log`), ...over,
  };
}
function start(runtime: ProcessRuntime, over: Partial<InstanceSpec> | InstanceSpec = {}): Instance {
  const inst = runtime.start('id' in over && over.id ? (over as InstanceSpec) : specOf(over));
  started.push(inst);
  return inst;
}
/** Prepared sandboxes the tests made, discarded at the end whether a start took them or not. */
const preparedBy: { runtime: ProcessRuntime; id: string }[] = [];
function prepare(runtime: ProcessRuntime, spec: InstanceSpec): void {
  runtime.prepare(spec);
  preparedBy.push({ runtime, id: spec.id });
}
test.after(async () => {
  await Promise.all(preparedBy.map((p) => p.runtime.discard(p.id)));
  await Promise.all(started.map((i) => i.stop()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('process: without a command, a package.json main runs on the Node that runs knit', () => {
  assert.deepEqual(processCommand(path.join(fixtures, 'runtime-app'), undefined, ['x']), [process.execPath, path.join(fixtures, 'runtime-app', 'server.js'), 'x']);
});

test('process: a workingDir elsewhere still runs the package.json entry point of the image', { skip: noSandbox }, async () => {
  const img = image('runtime-app');
  const inst = start(new ProcessRuntime(), { container: { image: img, workingDir: '/tmp' } });
  await waitFor(inst, 'ready');
  const r = await get(inst, '/');
  assert.equal(r.status, 200);
  assert.equal((JSON.parse(r.body) as { cwd: string }).cwd, '/tmp');
});

test('process: a directory without entrypoint is refused with a clear ContainerMissing', () => {
  assert.throws(() => processCommand(fixtures, [], undefined), /has no entrypoint: set the container's command/);
});

test('process: a missing directory is ContainerMissing at digest resolution', async () => {
  await assert.rejects(new ProcessRuntime().resolveDigest('file:///nonexistent/knit'), (e: Error & { reason?: string }) => e.reason === 'ContainerMissing');
});

test('process: without a sandbox (and without KNIT_SANDBOX=off) an instance is refused, naming bubblewrap', async () => {
  const inst = start(new ProcessRuntime({ sandbox: { ok: false, why: 'bubblewrap (bwrap) is not installed' } }));
  const exit = await waitFor<InstanceExit>(inst, 'exit');
  assert.equal(exit.reason, 'CreateContainerError');
  assert.match(exit.message, /apt-get install bubblewrap.*KNIT_SANDBOX=off/);
  assert.equal(inst.pid, undefined, 'nothing was started');
});

test('process: without runAsUser an instance runs as nobody/nogroup, with HOME in its private /tmp and only its own processes in /proc', { skip: noSandbox }, async () => {
  const inst = start(new ProcessRuntime(), { env: { PROBE_PATHS: `/proc/${process.pid}/environ:/proc/1/environ:${os.homedir()}` } });
  await waitFor(inst, 'ready');
  const seen = JSON.parse((await get(inst, '/')).body);
  assert.deepEqual([seen.uid, seen.gid], [65534, 65534]);
  assert.equal(seen.env.HOME, '/tmp');
  assert.deepEqual(seen.readable, { [`/proc/${process.pid}/environ`]: false, '/proc/1/environ': false, [os.homedir()]: false });
});

test('process: runAsNonRoot with runAsUser 0 fails as the kubelet reports it (CreateContainerConfigError)', { skip: noSandbox }, async () => {
  const img = image('runtime-app');
  const inst = start(new ProcessRuntime(), { container: { image: img, securityContext: { runAsNonRoot: true, runAsUser: 0 } } });
  const exit = await waitFor<InstanceExit>(inst, 'exit');
  assert.equal(exit.reason, 'CreateContainerConfigError');
  assert.equal(exit.message, "container's runAsUser breaks non-root policy (container: user-container)");
});

test('process: unsandboxed as root, runAsNonRoot without runAsUser fails: the image would run as root', { skip: process.getuid?.() !== 0 && 'knit is not root here' }, async () => {
  const img = image('runtime-app');
  const inst = start(new ProcessRuntime({ sandbox: 'off' }), { container: { image: img, securityContext: { runAsNonRoot: true } } });
  const exit = await waitFor<InstanceExit>(inst, 'exit');
  assert.equal(exit.reason, 'CreateContainerConfigError');
  assert.equal(exit.message, 'container has runAsNonRoot and image will run as root (container: user-container)');
});

test('process: an exec readiness probe runs inside the instance sandbox, as its user', { skip: noSandbox }, async () => {
  const img = image('runtime-app');
  // The app marks its private /tmp once it listens; only a probe inside the sandbox, as 4321, sees that mark.
  const mark = `/tmp/knit-up-${process.pid}-${Date.now()}`;
  const command = ['node', '-e', `require('http').createServer((q,r)=>r.end('ok')).listen(process.env.PORT,()=>require('fs').writeFileSync('${mark}','1'))`];
  const probe = ['sh', '-c', `test -f ${mark} && test "$(id -u)" = 4321`];
  const inst = start(new ProcessRuntime(), {
    container: { image: img, command, securityContext: { runAsUser: 4321 } },
    readinessProbe: { exec: { command: probe } },
  });
  await waitFor(inst, 'ready');
  assert.equal(fs.existsSync(mark), false, "the mark is in the sandbox's /tmp, not the host's");
});

for (const mode of ['sandboxed', 'unsandboxed'] as const) {
  test(`process (${mode}): stdout and stderr are one FIFO the instance can reopen; the log keeps the order of writes`, { skip: mode === 'sandboxed' ? noSandbox : false }, async () => {
    const img = image('runtime-app');
    const script = 'echo one; echo two >&2; echo three > /dev/stdout; echo four > /dev/stderr; stat -L -c %F /proc/self/fd/1; exec node -e "require(\'http\').createServer((q,r)=>r.end()).listen(process.env.PORT)"';
    const runtime = new ProcessRuntime(mode === 'sandboxed' ? {} : { sandbox: 'off' });
    const inst = start(runtime, { container: { image: img, command: ['sh', '-c', script] } });
    await waitFor(inst, 'ready');
    for (const deadline = Date.now() + 5_000; inst.lastLogLines(5).length < 5 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(inst.lastLogLines(5), ['one', 'two', 'three', 'four', 'fifo']);
    const logFile = inst.spec.logFile;
    await inst.stop();
    assert.equal(fs.readFileSync(logFile, 'utf8'), 'one\ntwo\nthree\nfour\nfifo\n');
  });
}

test('process: descriptors knit inherited without close-on-exec are closed, so no instance starts with them', () => {
  const before = fs.readdirSync('/proc/self/fd').map(Number);
  const closed = closeInheritedFds();
  for (const fd of closed) assert.ok(before.includes(fd));
  for (const fd of fs.readdirSync('/proc/self/fd').map(Number).filter((fd) => fd > 2)) {
    let flags: string | undefined;
    try {
      flags = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
    } catch {
      continue; // the directory's own descriptor, closed meanwhile
    }
    if (flags === undefined || String(fd) === process.env.NODE_CHANNEL_FD) continue;
    assert.notEqual(parseInt(flags, 8) & 0o2000000, 0, `fd ${fd} is inheritable`);
  }
});

const cgroupSupport = detectCgroups();
const noStartingGroup = !support.ok ? noSandbox : !cgroupSupport.ok ? cgroupSupport.why : cgroupSupport.hierarchy.version !== 1 ? 'the starting group is v1 only (cgroups.ts StartingGroup)' : false;

/** The cpu.idle of cgroup `dir` ('0' or '1'), or undefined once it is gone. */
function idleIn(dir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, 'cpu.idle'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The cpu.shares of cgroup `dir`, or undefined once it is gone. */
function sharesIn(dir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, 'cpu.shares'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The v1 cpu cgroup of process `pid` (its /proc/PID/cgroup line for the cpu controller). */
function cpuCgroupOf(pid: number | string): string | undefined {
  const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes('cpu'));
  return line?.split(':')[2];
}


test('process: many starting instances share a bounded weight (their own cpu cgroups from the first instruction), and more than the bound run in the idle class while another instance is ready; a ready one weighs a task; the gateway weighs them all', { skip: noStartingGroup }, async (t) => {
  if (!cgroupSupport.ok || cgroupSupport.hierarchy.version !== 1) return;
  const owner = `start-${process.pid}`;
  const cpu = cgroupSupport.hierarchy.cpu;
  const gateway = GatewayCgroup.open(cgroupSupport.hierarchy, owner);
  assert.ok(gateway);
  t.after(() => gateway.remove());
  const gatewayShares = () => sharesIn(gateway.dir);
  assert.equal(gatewayShares(), '1024', 'nothing starts: a task');
  const bound = STARTING_TASKS_PER_CPU * os.availableParallelism();
  // Ready only once the test says so: /ready answers 503 until /go was asked.
  const app = "let go=false; require('http').createServer((q,r)=>{ if(q.url==='/go'){go=true;return r.end('ok')} r.statusCode=q.url==='/ready'&&!go?503:200; r.end() }).listen(process.env.PORT)";
  const runtime = new ProcessRuntime();
  // One instance is ready (serving) before the storm begins: the storm's starts yield to it.
  const serving = start(runtime, { env: { KNIT_OWNER: owner }, container: { image: image('runtime-app'), command: ['node', '-e', "require('http').createServer((q,r)=>r.end()).listen(process.env.PORT)"] } });
  t.after(() => serving.stop());
  await waitFor(serving, 'ready');
  const a = start(runtime, {
    env: { KNIT_OWNER: owner },
    container: { image: image('runtime-app'), command: ['sh', '-c', `grep -E '^[0-9]+:([^:]*,)?cpu(,[^:]*)?:' /proc/self/cgroup; exec node -e "${app}"`] },
    readinessProbe: { httpGet: { path: '/ready' }, periodSeconds: 1 },
  });
  // `bound` more that never get ready (nothing listens): bound + 1 start at once.
  const others = Array.from({ length: bound }, () => start(runtime, { env: { KNIT_OWNER: owner }, container: { image: image('runtime-app'), command: ['sleep', '60'] } }));
  const all = [a, ...others];
  t.after(() => Promise.all(all.map((i) => i.stop())));
  const dirOf = (i: Instance): string => path.join(cpu, `knit-${owner}-${i.spec.id}`);
  const shares = (i: Instance): string | undefined => sharesIn(dirOf(i));
  for (const deadline = Date.now() + 10_000; (await get(a, '/ready').catch(() => undefined))?.status !== 503;) {
    assert.ok(Date.now() < deadline, 'the app answers /ready with 503');
    await new Promise((r) => setTimeout(r, 20));
  }
  const share = String(Math.floor((bound * 1024) / (bound + 1)));
  // More than the bound start: a storm, every start in the idle class (where the kernel has cpu.idle), whose
  // weight is the kernel's 3.
  const idle = (i: Instance): string | undefined => idleIn(dirOf(i));
  const hasIdle = fs.existsSync(path.join(cpu, 'cpu.idle'));
  const stormShare = hasIdle ? '3' : share;
  for (const deadline = Date.now() + 10_000; !all.every((i) => shares(i) === stormShare);) {
    assert.ok(Date.now() < deadline, `${bound + 1} starting: ${bound} tasks' weight together, ${stormShare} each (${all.map(shares).join(' ')})`);
    await new Promise((r) => setTimeout(r, 10));
  }
  if (hasIdle) assert.deepEqual([...new Set(all.map(idle))], ['1'], `more than ${bound} starting: a storm, every start in the idle class`);
  assert.equal(gatewayShares(), String(Number(share) * (bound + 1)), 'the gateway threads weigh what all starting instances weigh');
  assert.equal(cpuCgroupOf(a.pid!), `/knit-${owner}-${a.spec.id}`);
  // From its first instruction: the shell saw its cgroup as the root of its cgroup namespace (bwrap's).
  assert.match(a.lastLogLines(1)[0] ?? '', /:cpu(,[^:]*)?:\/$/);
  assert.equal((await get(a, '/go')).status, 200);
  await waitFor(a, 'ready');
  assert.equal(shares(a), '1024', 'ready: a task');
  if (hasIdle) assert.equal(idle(a), '0', 'ready: no longer idle');
  for (const deadline = Date.now() + 5_000; !others.every((i) => shares(i) === '1024');) {
    assert.ok(Date.now() < deadline, `${bound} starting: a task each (${others.map(shares).join(' ')})`);
    await new Promise((r) => setTimeout(r, 10));
  }
  if (hasIdle) assert.deepEqual([...new Set(others.map(idle))], ['0'], `${bound} starting: no storm, none idle`);
  assert.equal(gatewayShares(), String(bound * 1024), `${bound} starting`);
  await Promise.all([...all, serving].map((i) => i.stop()));
  for (const inst of all) assert.equal(fs.existsSync(dirOf(inst)), false, `${dirOf(inst)} removed with the instance`);
  for (const deadline = Date.now() + 5_000; gatewayShares() !== '1024';) {
    assert.ok(Date.now() < deadline, `none starting: the gateway weighs a task again (${gatewayShares()})`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await gateway.remove();
  assert.equal(fs.existsSync(gateway.dir), false);
});

test('process: a storm that begins with no instance ready keeps its weights (nothing serving to yield to)', { skip: noStartingGroup }, async () => {
  if (!cgroupSupport.ok || cgroupSupport.hierarchy.version !== 1) return;
  const owner = `coldstorm-${process.pid}`;
  const cpu = cgroupSupport.hierarchy.cpu;
  const bound = STARTING_TASKS_PER_CPU * os.availableParallelism();
  const runtime = new ProcessRuntime();
  const all = Array.from({ length: bound + 1 }, () => start(runtime, { env: { KNIT_OWNER: owner }, container: { image: image('runtime-app'), command: ['sleep', '60'] } }));
  const dirOf = (i: Instance): string => path.join(cpu, `knit-${owner}-${i.spec.id}`);
  const share = String(Math.floor((bound * 1024) / (bound + 1)));
  try {
    for (const deadline = Date.now() + 10_000; !all.every((i) => sharesIn(dirOf(i)) === share);) {
      assert.ok(Date.now() < deadline, `${bound + 1} starting, none ready: ${share} each (${all.map((i) => sharesIn(dirOf(i))).join(' ')})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (fs.existsSync(path.join(cpu, 'cpu.idle'))) assert.deepEqual([...new Set(all.map((i) => idleIn(dirOf(i))))], ['0'], 'none idle');
  } finally {
    await Promise.all(all.map((i) => i.stop()));
  }
  assert.deepEqual(fs.readdirSync(cpu).filter((n) => n.startsWith(`knit-${owner}-`)), []);
});

test('process: a starting instance requests wait for starts first: the others weigh the least meanwhile', { skip: noStartingGroup }, async () => {
  if (!cgroupSupport.ok || cgroupSupport.hierarchy.version !== 1) return;
  const owner = `awaited-${process.pid}`;
  const cpu = cgroupSupport.hierarchy.cpu;
  const gateway = GatewayCgroup.open(cgroupSupport.hierarchy, owner);
  assert.ok(gateway);
  const runtime = new ProcessRuntime();
  // Three that never get ready (nothing listens).
  const all = Array.from({ length: 3 }, () => start(runtime, { env: { KNIT_OWNER: owner }, container: { image: image('runtime-app'), command: ['sleep', '60'] } }));
  const shares = () => [...all.map((i) => sharesIn(path.join(cpu, `knit-${owner}-${i.spec.id}`))), sharesIn(gateway.dir)].join(' ');
  const until = async (want: string, what: string): Promise<void> => {
    for (const deadline = Date.now() + 10_000; shares() !== want;) {
      assert.ok(Date.now() < deadline, `${what}: want ${want}, have ${shares()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    // Fewer than the bound: a task each, and the gateway weighs the three.
    await until('1024 1024 1024 3072', 'three starting');
    all[1].awaited!();
    await until('2 1024 2 1028', 'the second awaited');
    all[2].awaited!();
    await until('2 1024 1024 2050', 'the second and third awaited');
  } finally {
    await Promise.all(all.map((i) => i.stop()));
    await gateway.remove();
  }
  assert.deepEqual(fs.readdirSync(cpu).filter((n) => n.startsWith(`knit-${owner}-`)), []);
});

test('process: an instance that ends before it is ready leaves no cpu cgroup behind', { skip: noStartingGroup }, async () => {
  if (!cgroupSupport.ok || cgroupSupport.hierarchy.version !== 1) return;
  const owner = `crash-${process.pid}`;
  const cpu = cgroupSupport.hierarchy.cpu;
  const inst = start(new ProcessRuntime(), { env: { KNIT_OWNER: owner }, container: { image: image('crash-app') }, image: image('crash-app') });
  const exit = await new Promise<InstanceExit>((r) => inst.once('exit', r));
  assert.equal(exit.code, 3);
  await inst.stop();
  assert.deepEqual(fs.readdirSync(cpu).filter((n) => n.startsWith(`knit-${owner}-`)), []);
});

/** The pids of prepared sandboxes' gate shells (process.ts GATE) whose environment holds `mark`. */
function gateShells(mark: string): number[] {
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // The gate's shell itself (the cgroup-joining shell and bwrap have its words among their arguments).
      const argv = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv[0] !== '/bin/sh' || argv[3] !== 'knit-gate') continue;
      if (fs.readFileSync(`/proc/${e}/environ`, 'utf8').split('\0').includes(`MARK=${mark}`)) pids.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function until<T>(what: string, check: () => T | undefined, ms = 10_000): Promise<T> {
  for (const deadline = Date.now() + ms; ; ) {
    const v = check();
    if (v !== undefined) return v;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const gateShell = (mark: string): Promise<number> => until(`the prepared sandbox of ${mark}`, () => gateShells(mark)[0]);
const noGateShell = (mark: string): Promise<true> => until(`no sandbox of ${mark} left`, () => (gateShells(mark).length === 0 ? true : undefined));
let marks = 0;
const newMark = (): string => `prepared-${process.pid}-${++marks}`;

/** A runtime with one sandbox prepared for a spec (`env` MARK set) and the pid of its gate shell, once it waits. */
async function prepared(over: Partial<InstanceSpec> = {}): Promise<{ runtime: ProcessRuntime; mark: string; spec: InstanceSpec; pid: number }> {
  const runtime = new ProcessRuntime();
  const mark = newMark();
  const spec = specOf({ ...over, env: { ...over.env, MARK: mark } });
  prepare(runtime, spec);
  return { runtime, mark, spec, pid: await gateShell(mark) };
}

/** The host directory of process `pid`'s cgroup for `controller` (v1), or undefined. */
function cgroupDirOf(pid: number, controller: string): string | undefined {
  if (!cgroupSupport.ok || cgroupSupport.hierarchy.version !== 1) return undefined;
  const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  const rel = line?.split(':')[2];
  return rel && rel !== '/' ? path.join(path.dirname(cgroupSupport.hierarchy.cpu), controller, rel) : undefined;
}

test('process: a prepared sandbox waits at its gate as the instance\'s user; the start of the same spec runs the app in that very process, with what an unprepared start gives it', { skip: noSandbox }, async () => {
  const { runtime, mark, spec, pid } = await prepared();
  assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+65534\s+65534\s+65534\s+65534$/m, 'dropped to nobody before the start');
  assert.equal(fs.existsSync(spec.logFile), false, 'nothing of the instance is logged before its start');
  const asked = performance.now();
  const inst = start(runtime, spec);
  await waitFor(inst, 'ready');
  assert.equal(inst.pid, pid, 'the app runs in the process that waited (exec, same pid)');
  assert.ok(inst.startupMs !== undefined && inst.startupMs <= performance.now() - asked, 'its startup counts from the start, not from the preparation');
  const seen = JSON.parse((await get(inst, '/')).body) as { env: Record<string, string>; stdinEOF: boolean; uid: number; cwd: string };
  // The same spec started without preparation: the app sees the same.
  const plainMark = newMark();
  const plain = start(runtime, { env: { MARK: plainMark } });
  await waitFor(plain, 'ready');
  const plainSeen = JSON.parse((await get(plain, '/')).body) as typeof seen;
  const strip = (env: Record<string, string>): Record<string, string> => ({ ...env, MARK: '', PORT: '' });
  assert.deepEqual(strip(seen.env), strip(plainSeen.env));
  assert.equal(seen.env.PWD, undefined, "no PWD of the gate's shell");
  assert.equal(seen.env.PORT, String(inst.port));
  assert.deepEqual([seen.stdinEOF, seen.uid, seen.cwd], [plainSeen.stdinEOF, plainSeen.uid, plainSeen.cwd]);
  assert.equal(seen.stdinEOF, true, 'stdin is /dev/null, not the gate');
  const exited = waitFor<InstanceExit>(inst, 'exit');
  await inst.stop();
  assert.equal((await exited).requested, true);
  assert.match(fs.readFileSync(spec.logFile, 'utf8'), /got SIGTERM/, 'its stdout is the FIFO made when it was prepared');
});

test('process: a container PWD is what the app of a prepared sandbox gets', { skip: noSandbox }, async () => {
  const { runtime, spec } = await prepared({ env: { PWD: '/somewhere' } });
  const inst = start(runtime, spec);
  await waitFor(inst, 'ready');
  assert.equal((JSON.parse((await get(inst, '/')).body) as { env: Record<string, string> }).env.PWD, '/somewhere');
});

test('process: a sandbox prepared for another env is not used: it goes, and the instance runs its own', { skip: noSandbox }, async () => {
  const { runtime, mark, spec, pid } = await prepared({ env: { SECRET: 'old' } });
  const inst = start(runtime, { ...spec, env: { MARK: mark, SECRET: 'new' } });
  await waitFor(inst, 'ready');
  const seen = JSON.parse((await get(inst, '/')).body) as { env: Record<string, string> };
  assert.equal(seen.env.SECRET, 'new');
  assert.notEqual(inst.pid, pid, 'a sandbox of its own');
  assert.equal(fs.existsSync(`/proc/${pid}`), false, 'the prepared sandbox is gone');
});

test('process: discard removes a prepared sandbox and its cgroup, also one still being made', { skip: noSandbox }, async () => {
  const runtime = new ProcessRuntime();
  const early = newMark();
  const s = specOf({ env: { MARK: early } });
  prepare(runtime, s);
  await runtime.discard(s.id); // at once: while it is being made
  await noGateShell(early);
  const mark = newMark();
  const t = specOf({ env: { MARK: mark }, container: { image: image('runtime-app'), resources: { limits: { memory: '64Mi' } } } });
  prepare(runtime, t);
  const pid = await gateShell(mark);
  const dir = cgroupDirOf(pid, 'memory');
  if (cgroupSupport.ok && cgroupSupport.hierarchy.version === 1) {
    assert.ok(dir && fs.existsSync(dir), 'it waits in its own cgroup');
    assert.equal(fs.readFileSync(path.join(dir, 'memory.limit_in_bytes'), 'utf8').trim(), String(64 * 1024 * 1024), 'with its limits');
  }
  await runtime.discard(t.id);
  assert.equal(fs.existsSync(`/proc/${pid}`), false);
  if (dir) assert.equal(fs.existsSync(dir), false, 'its cgroup is gone');
  // Without resources: its starting cpu cgroup goes too, once the killed sandbox's processes are reaped.
  if (!cgroupSupport.ok || cgroupSupport.hierarchy.version !== 1) return;
  const owner = `discard-${process.pid}`;
  const plainMark = newMark();
  const u = specOf({ env: { MARK: plainMark, KNIT_OWNER: owner } });
  prepare(runtime, u);
  await gateShell(plainMark);
  const cpuDir = path.join(cgroupSupport.hierarchy.cpu, `knit-${owner}-${u.id}`);
  assert.ok(fs.existsSync(cpuDir));
  await runtime.discard(u.id);
  assert.equal(fs.existsSync(cpuDir), false, 'its cpu cgroup is gone');
});

test('process: a stop before the prepared sandbox ran its app ends it; the app never runs', { skip: noSandbox }, async () => {
  const { runtime, mark, spec, pid } = await prepared();
  const inst = start(runtime, spec);
  const exited = waitFor<InstanceExit>(inst, 'exit');
  await inst.stop();
  assert.equal((await exited).requested, true);
  assert.equal(fs.existsSync(`/proc/${pid}`), false);
  assert.equal(fs.readFileSync(spec.logFile, 'utf8'), '', 'no output: the app never ran');
});

test('process: a prepared sandbox that died before its start is replaced by a fresh one', { skip: noStartingGroup }, async () => {
  if (!cgroupSupport.ok || cgroupSupport.hierarchy.version !== 1) return;
  const runtime = new ProcessRuntime();
  const mark = newMark();
  const owner = `died-${process.pid}`;
  const spec = specOf({ env: { MARK: mark, KNIT_OWNER: owner } });
  prepare(runtime, spec);
  const pid = await gateShell(mark);
  const dir = path.join(cgroupSupport.hierarchy.cpu, `knit-${owner}-${spec.id}`);
  assert.ok(fs.existsSync(dir));
  process.kill(pid, 'SIGKILL');
  // Its cgroup goes once knit saw the sandbox end.
  await until('the dead sandbox given back', () => (fs.existsSync(dir) ? undefined : true));
  const inst = start(runtime, spec);
  await waitFor(inst, 'ready');
  assert.notEqual(inst.pid, pid);
  assert.equal((JSON.parse((await get(inst, '/')).body) as { env: Record<string, string> }).env.MARK, mark);
});

test('process: a prepared sandbox is parked at the least weight, and weighs as a starting instance once started', { skip: noStartingGroup }, async () => {
  if (!cgroupSupport.ok || cgroupSupport.hierarchy.version !== 1) return;
  const owner = `parked-${process.pid}`;
  const runtime = new ProcessRuntime();
  const mark = newMark();
  // Ready only once the test says so: /ready answers 503 until /go was asked.
  const app = "let go=false; require('http').createServer((q,r)=>{ if(q.url==='/go'){go=true;return r.end('ok')} r.statusCode=q.url==='/ready'&&!go?503:200; r.end() }).listen(process.env.PORT)";
  const spec = specOf({ env: { MARK: mark, KNIT_OWNER: owner }, container: { image: image('runtime-app'), command: ['node', '-e', app] }, readinessProbe: { httpGet: { path: '/ready' }, periodSeconds: 1 } });
  prepare(runtime, spec);
  await gateShell(mark);
  const dir = path.join(cgroupSupport.hierarchy.cpu, `knit-${owner}-${spec.id}`);
  await until('the parked weight', () => (sharesIn(dir) === '2' ? true : undefined));
  const inst = start(runtime, spec);
  inst.awaited?.();
  // The one starting instance requests wait for: the whole starting weight, at most a task's.
  const weight = String(Math.min(1024, STARTING_TASKS_PER_CPU * os.availableParallelism() * 1024));
  await until(`a starting weight (${weight})`, () => (sharesIn(dir) === weight ? true : undefined));
  for (const deadline = Date.now() + 10_000; (await get(inst, '/ready').catch(() => undefined))?.status !== 503;) {
    assert.ok(Date.now() < deadline, 'the app answers /ready with 503');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(sharesIn(dir), weight, 'still starting');
  assert.equal((await get(inst, '/go')).status, 200);
  await waitFor(inst, 'ready');
  assert.equal(sharesIn(dir), '1024', 'ready: a task');
  await inst.stop();
  assert.equal(fs.existsSync(dir), false);
});

test('process: prepared starts take places in order; a start that leaves while waiting runs nothing; a place is given back when left', async () => {
  const q = new StartQueue(2);
  const order: string[] = [];
  const a = q.enter();
  const b = q.enter();
  const c = q.enter();
  const d = q.enter();
  for (const [name, p] of Object.entries({ a, b, c, d })) void p.turn.then(() => order.push(name));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['a', 'b'], 'two places');
  d.leave(); // gives up while waiting: its turn settles, it took no place
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['a', 'b', 'd']);
  a.leave();
  a.leave(); // once only
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['a', 'b', 'd', 'c'], 'c takes the place a gave back');
  const e = q.enter();
  let eTurn = false;
  void e.turn.then(() => (eTurn = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(eTurn, false, 'b and c hold both places');
  // A place is held at most a second: an app that never gets ready does not hold the others back.
  const t0 = performance.now();
  await e.turn;
  const waited = performance.now() - t0;
  assert.ok(waited >= 900 && waited < 5000, `given back after about a second (${waited.toFixed(0)} ms)`);
  for (const p of [b, c, e]) p.leave();
});
