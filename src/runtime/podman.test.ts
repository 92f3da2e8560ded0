// The podman runtime against the shared runtime contract (with locally built images), plus its
// own rules: runAsUser, resource limits, digest pinning, missing images, reaping.

import { after, before, test } from 'node:test';
import { podmanSuite } from '../../test/podman-suite.ts';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { get, runtimeContract, waitFor } from './contract.ts';
import { PodmanRuntime, containerName, imageUserRefusal, pinnedReference, podmanEnv, podmanRunArgs, runPodman } from './podman.ts';
import type { Instance, InstanceExit, InstanceSpec } from './runtime.ts';
import { UnavailableRuntime } from './unavailable.ts';
import { FIXTURES, TestImages, removeContainersOf } from '../../test/fixtures/podman-images.ts';

const runtime = new PodmanRuntime();
const images = new TestImages();
const probeApp = images.name('runtime-app');
const crashApp = images.name('crash-app');
let base = '';

podmanSuite('podman runtime', () => {
  before(async () => {
    await runtime.reapOrphans(); // containers of an earlier test run that crashed
    base = await images.buildNodeBase();
    await images.buildApp('runtime-app', base, path.join(FIXTURES, 'runtime-app'));
    await images.buildApp('crash-app', base, path.join(FIXTURES, 'crash-app'));
  });

  runtimeContract('podman', runtime, { probeApp, crashApp });

  // Registered after the contract's own after(): its instances are stopped first.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-podman-'));
  const started: Instance[] = [];
  after(async () => {
    await Promise.all(started.map((i) => i.stop()));
    await removeContainersOf(runtime.owner);
    await images.removeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  function spec(image: string, over: Partial<InstanceSpec['container']> = {}, env: Record<string, string> = {}): InstanceSpec {
    const id = `podman-own-${process.pid}-${++n}`;
    return {
      id,
      namespace: 'default',
      revision: 'own-00001',
      configuration: 'own',
      service: 'own',
      container: { image, ...over },
      image,
      env: { K_REVISION: 'own-00001', K_CONFIGURATION: 'own', K_SERVICE: 'own', ...env },
      containerPort: 8080,
      gracePeriodSeconds: 5,
      logFile: path.join(dir, `${id}.log`),
    };
  }

  function start(s: InstanceSpec): Instance {
    const inst = runtime.start(s);
    started.push(inst);
    return inst;
  }

  const podmanApp = { command: ['node', '/podman-app/server.js'] };

  test('podman: the run command line maps the container spec (table)', () => {
    const cases: { name: string; container: Partial<InstanceSpec['container']>; want: string[][]; absent?: string[] }[] = [
      { name: 'defaults', container: {}, want: [['-p', '127.0.0.1:41000:8080'], ['-e', 'PORT=8080'], ['--tmpfs', '/tmp:rw,mode=1777'], ['--name', 'knit-x-1'], ['--label', 'knit.instance=x-1']], absent: ['-i', '-t', '--entrypoint', '--user', '--memory'] },
      { name: 'command and args', container: { command: ['/ko-app/runtime', 'abra'], args: ['cadabra', 'do'] }, want: [['--entrypoint', '["/ko-app/runtime","abra"]', 'img', 'cadabra', 'do']] },
      { name: 'args only keep the entrypoint', container: { args: ['x'] }, want: [['img', 'x']], absent: ['--entrypoint'] },
      { name: 'workingDir and user', container: { workingDir: '/tmp', securityContext: { runAsUser: 2020 } }, want: [['-w', '/tmp'], ['--user', '2020']] },
      { name: 'limits', container: { resources: { limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '125m' } } }, want: [['--memory', '134217728', '--memory-swap', '134217728'], ['--cpus', '1'], ['--cpu-shares', '128']] },
      { name: 'tiny cpu request', container: { resources: { requests: { cpu: '1m' } } }, want: [['--cpu-shares', '2']] },
    ];
    for (const c of cases) {
      const s: InstanceSpec = { ...spec('img', c.container), id: 'x-1' };
      const args = podmanRunArgs(s, 41000, 'o');
      const line = JSON.stringify(args);
      for (const w of c.want) assert.ok(line.includes(JSON.stringify(w).slice(1, -1)), `${c.name}: ${JSON.stringify(w)} in ${line}`);
      for (const a of c.absent ?? []) assert.ok(!args.includes(a), `${c.name}: no ${a} in ${line}`);
      assert.equal(args.filter((a) => a === 'img').length, 1, `${c.name}: the image appears once`);
    }
    // The pod's GPUs as CDI devices, by index.
    const gpus: InstanceSpec = { ...spec('img', { resources: { limits: { 'nvidia.com/gpu': '2' } } }), id: 'x-1', gpus: [{ index: 1, devices: [] }, { index: 3, uuid: 'GPU-x', devices: [] }] };
    const line = JSON.stringify(podmanRunArgs(gpus, 41000, 'o'));
    assert.ok(line.includes('"--device","nvidia.com/gpu=1","--device","nvidia.com/gpu=3"'), line);
    assert.ok(!JSON.stringify(podmanRunArgs({ ...spec('img', {}), id: 'x-1' }, 41000, 'o')).includes('--device'));
  });

  test('podman: env values travel in podman\'s environment, not on its command line', () => {
    const s: InstanceSpec = { ...spec('img', {}, { PASSWORD: 'hunter2', ['__proto__']: 'p', HOME: '/app' }), id: 'x-1' };
    const args = podmanRunArgs(s, 41000, 'o');
    assert.ok(!JSON.stringify(args).includes('hunter2'), JSON.stringify(args));
    assert.ok(args.includes('PASSWORD') && args.includes('__proto__'), JSON.stringify(args));
    // A name podman reads itself stays on the command line, so podman's own HOME is untouched.
    assert.ok(args.includes('HOME=/app'));
    const env = podmanEnv(s);
    assert.equal(env.PASSWORD, 'hunter2');
    assert.equal(Object.getOwnPropertyDescriptor(env, '__proto__')?.value, 'p');
    assert.equal(env.HOME, process.env.HOME);
  });

  test('podman: pinnedReference keeps the repository the user named', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    const d2 = `sha256:${'b'.repeat(64)}`;
    assert.equal(pinnedReference('app', { Id: 'x', Digest: d, RepoDigests: [`localhost/app@${d}`] }), `localhost/app@${d}`);
    assert.equal(pinnedReference('me/split:v2', { Id: 'x', Digest: d, RepoDigests: [`docker.io/other/x@${d}`, `docker.io/me/split@${d2}`, `docker.io/me/split@${d}`] }), `docker.io/me/split@${d}`);
    assert.equal(pinnedReference('localhost:5000/a/b:1', { Id: 'x', Digest: d }), `localhost:5000/a/b@${d}`);
    assert.equal(pinnedReference(`x/y@${d}`, { Id: 'x', Digest: d2 }), `x/y@${d}`);
  });

  test('podman: runAsUser is honoured (uid and euid)', async () => {
    const inst = start(spec(probeApp, { ...podmanApp, securityContext: { runAsUser: 2020 } }));
    await waitFor(inst, 'ready');
    const seen = JSON.parse((await get(inst, '/')).body);
    assert.equal(seen.uid, 2020);
    assert.equal(seen.euid, 2020);
    await inst.stop();
  });

  test('podman: cgroups reflect cpu limit 1, memory 128Mi, cpu request 125m', async () => {
    const inst = start(spec(probeApp, { ...podmanApp, resources: { limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '125m' } } }));
    await waitFor(inst, 'ready');
    const { cgroups } = JSON.parse((await get(inst, '/')).body);
    if (cgroups.v2.memoryMax !== undefined) {
      assert.equal(cgroups.v2.memoryMax, '134217728');
      assert.equal(cgroups.v2.cpuMax, '100000 100000');
      assert.ok(Number(cgroups.v2.cpuWeight) > 0);
    } else {
      assert.equal(cgroups.v1.memoryLimit, '134217728');
      assert.equal(Number(cgroups.v1.cpuQuota) / Number(cgroups.v1.cpuPeriod), 1);
      assert.equal(cgroups.v1.cpuShares, '128');
    }
    await inst.stop();
  });

  test('podman: the memory limit is enforced (allocating over it kills the container)', async () => {
    const inst = start(spec(probeApp, { ...podmanApp, resources: { limits: { memory: '128Mi' } } }));
    await waitFor(inst, 'ready');
    assert.equal((await get(inst, '/alloc?mb=16')).status, 200);
    const exited = waitFor<InstanceExit>(inst, 'exit');
    await assert.rejects(get(inst, '/alloc?mb=256'));
    const exit = await exited;
    assert.equal(exit.code, 137, 'OOM-killed');
    assert.equal(exit.requested, false);
    assert.equal(exit.reason, 'ExitCode137');
    assert.equal(exit.terminationReason, 'OOMKilled', 'podman State.OOMKilled, from conmon');
  });

  test('podman: a resolved digest pins the content; re-tagging the image changes nothing for it', async () => {
    const tag = images.name('pinned', 'v1');
    const containerfile = (v: string): string => `FROM ${base}\nENV VERSION=${v}\nCMD ["node", "/podman-app/server.js"]\n`;
    await images.build(tag, containerfile('one'));
    const pinned = await runtime.resolveDigest(tag);
    assert.match(pinned ?? '', new RegExp(`^${images.prefix}-pinned@sha256:[0-9a-f]{64}$`));
    await images.build(tag, containerfile('two'));
    const repinned = await runtime.resolveDigest(tag);
    assert.notEqual(repinned, pinned, 'the tag now names other content');
    assert.equal(await runtime.resolveDigest(pinned!), pinned, 'a digest reference resolves to itself');

    const old = start(spec(pinned!));
    const cur = start(spec(tag));
    await Promise.all([waitFor(old, 'ready'), waitFor(cur, 'ready')]);
    assert.equal(JSON.parse((await get(old, '/')).body).version, 'one');
    assert.equal(JSON.parse((await get(cur, '/')).body).version, 'two');
    await Promise.all([old.stop(), cur.stop()]);
  });

  test('podman: an image that does not exist is ContainerMissing with podman\'s reason', async () => {
    const image = images.name('does-not-exist', 'nope');
    await assert.rejects(runtime.resolveDigest(image), (e: Error & { reason?: string }) => {
      assert.equal(e.reason, 'ContainerMissing');
      assert.ok(e.message.startsWith(`Unable to fetch image "${image}": `), e.message);
      assert.ok(e.message.length > `Unable to fetch image "${image}": `.length + 5, e.message);
      return true;
    });
  });

  test('podman: imagePullPolicy Never never pulls; a missing image is the kubelet\'s ErrImageNeverPull', async () => {
    const missing = images.name('never-pulled', 'nope');
    assert.equal(await runtime.resolveDigest(missing, 'Never'), undefined, 'no digest, and no pull attempted');
    const inst = start(spec(missing, { imagePullPolicy: 'Never' }));
    const exit = await waitFor<InstanceExit>(inst, 'exit');
    assert.equal(exit.reason, 'ErrImageNeverPull');
    assert.equal(exit.message, `Container image "${missing}" is not present with pull policy of Never`);
    assert.ok(podmanRunArgs(spec(probeApp, { imagePullPolicy: 'Never' }), 1, 'o').includes('--pull=never'));
    const present = await runtime.resolveDigest(probeApp, 'Never');
    assert.match(present ?? '', /@sha256:[0-9a-f]{64}$/, 'a present image is pinned without a pull');
    const ok = start(spec(present!, { image: probeApp, imagePullPolicy: 'Never' }));
    await waitFor(ok, 'ready');
    await ok.stop();
  });

  test('podman: imagePullPolicy Always checks the registry again when a revision is created; IfNotPresent does not', async () => {
    // A present image named after a registry that refuses connections: only a pull can fail on it.
    const remote = `127.0.0.1:1/knit-conf-${process.pid}/app:v1`;
    const tagged = await runPodman('podman', ['tag', probeApp, remote]);
    assert.equal(tagged.code, 0, tagged.stderr);
    try {
      await assert.rejects(runtime.resolveDigest(remote, 'Always'), (e: Error & { reason?: string }) => {
        assert.equal(e.reason, 'ContainerMissing');
        assert.ok(e.message.startsWith(`Unable to fetch image "${remote}": `), e.message);
        assert.match(e.message, /127\.0\.0\.1:1/);
        return true;
      });
      assert.match((await runtime.resolveDigest(remote, 'IfNotPresent')) ?? '', /@sha256:[0-9a-f]{64}$/);
      assert.match((await runtime.resolveDigest(remote)) ?? '', /@sha256:[0-9a-f]{64}$/, 'no policy: as IfNotPresent for a pinned image');
    } finally {
      await runPodman('podman', ['rmi', remote]);
    }
  });

  test('podman: runAsNonRoot is judged on the image\'s user when the container sets no runAsUser', () => {
    const nonRoot = { runAsNonRoot: true };
    assert.equal(imageUserRefusal(nonRoot, '65532', 'c'), undefined);
    assert.equal(imageUserRefusal(nonRoot, '65532:65532', 'c'), undefined);
    assert.equal(imageUserRefusal(nonRoot, '', 'c'), 'container has runAsNonRoot and image will run as root (container: c)');
    assert.equal(imageUserRefusal(nonRoot, '0:0', 'c'), 'container has runAsNonRoot and image will run as root (container: c)');
    assert.equal(imageUserRefusal(nonRoot, 'nobody', 'c'), 'container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root (container: c)');
    assert.equal(imageUserRefusal({ runAsNonRoot: true, runAsUser: 0 }, '65532', 'c'), "container's runAsUser breaks non-root policy (container: c)");
    assert.equal(imageUserRefusal({ runAsNonRoot: true, runAsUser: 7 }, '', 'c'), undefined);
    assert.equal(imageUserRefusal({}, '', 'c'), undefined);
  });

  test('podman: a stop right after start leaves no container behind', async () => {
    const s = spec(probeApp);
    const inst = start(s);
    const exited = waitFor<InstanceExit>(inst, 'exit');
    // The point: stop while `podman run` is still starting the container.
    await new Promise((r) => setTimeout(r, 50));
    await inst.stop();
    assert.equal((await exited).requested, true);
    const r = await runPodman('podman', ['ps', '-aq', '--filter', `name=^${containerName(s.id)}$`]);
    assert.equal(r.stdout.trim(), '');
  });

  test('podman: an image without a command runs its own entrypoint; an exec readiness probe runs inside it', async () => {
    const inst = start({ ...spec(probeApp), readinessProbe: {
      // Inside the container: the app's file is there and its port (8080 in the container's network) answers. A
      // probe that only checked the file passed before the server listened, and the request then got ECONNREFUSED.
      exec: { command: ['node', '-e', 'require("fs").accessSync("/app/server.js"); require("net").connect(Number(process.env.PORT)).on("connect", () => process.exit(0)).on("error", () => process.exit(1))'] },
    } });
    await waitFor(inst, 'ready');
    assert.equal((await get(inst, '/')).status, 200);
    await inst.stop();
  });

  /** The container of instance `id`: its podman id and state, or undefined when there is none. */
  async function container(id: string): Promise<{ id: string; state: string } | undefined> {
    const r = await runPodman('podman', ['container', 'inspect', '--format', '{{.Id}} {{.State.Status}}', containerName(id)]);
    const [cid, state] = r.stdout.trim().split(' ');
    return r.code === 0 && cid ? { id: cid, state: state ?? '' } : undefined;
  }

  /** Polls until `check` holds, or fails after `ms`. */
  async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  test('podman: a prepared container is created and initialised ahead, and the start of the same spec runs it', async () => {
    const s = spec(probeApp, {}, { PREPARED: 'yes' });
    runtime.prepare(s);
    const made = await until('the prepared container', async () => {
      const c = await container(s.id);
      return c?.state === 'initialized' ? c : undefined;
    });
    const inst = start(s);
    await waitFor(inst, 'ready');
    const res = await get(inst, '/env');
    assert.equal(res.status, 200);
    assert.match(res.body, /PREPARED/);
    const running = await container(s.id);
    assert.equal(running?.id, made.id, 'the very container prepared');
    assert.equal(running?.state, 'running');
    const exited = waitFor<InstanceExit>(inst, 'exit');
    await inst.stop();
    assert.equal((await exited).requested, true);
    assert.equal(await container(s.id), undefined, 'removed once stopped, as podman run --rm');
  });

  test('podman: a prepared container made for another env is not used: it goes, and the instance runs its own', async () => {
    const s = spec(probeApp, {}, { SECRET: 'old' });
    runtime.prepare(s);
    const made = await until('the prepared container', async () => {
      const c = await container(s.id);
      return c?.state === 'initialized' ? c : undefined;
    });
    const inst = start({ ...s, env: { ...s.env, SECRET: 'new' } });
    await waitFor(inst, 'ready');
    const res = await get(inst, '/env');
    assert.match(res.body, /new/);
    assert.doesNotMatch(res.body, /old/);
    assert.notEqual((await container(s.id))?.id, made.id, 'a container of its own');
    await inst.stop();
    assert.equal(await container(s.id), undefined);
  });

  test('podman: discard removes a prepared container, also one still being made', async () => {
    const s = spec(probeApp);
    runtime.prepare(s);
    await runtime.discard(s.id); // at once: while podman create runs
    assert.equal(await container(s.id), undefined);
    const t = spec(probeApp);
    runtime.prepare(t);
    await until('the prepared container', async () => ((await container(t.id))?.state === 'initialized' ? true : undefined));
    await runtime.discard(t.id);
    assert.equal(await container(t.id), undefined);
    assert.ok(!fs.existsSync(path.join(dir, '.conmon', t.id)), 'its working directory goes too');
  });

  test('podman: a stop before the prepared container started removes it', async () => {
    const s = spec(probeApp);
    runtime.prepare(s);
    const inst = start(s);
    const exited = waitFor<InstanceExit>(inst, 'exit');
    await inst.stop();
    assert.equal((await exited).requested, true);
    assert.equal(await container(s.id), undefined);
  });

  test('podman: reapOrphans removes containers whose knit is gone, and only those', async () => {
    const live = start(spec(probeApp));
    await waitFor(live, 'ready');
    const orphan = `knit-orphan-${process.pid}`;
    const r = await runPodman('podman', ['run', '-d', '--rm', '--name', orphan, '--label', 'knit.instance=orphan', '--label', 'knit.owner=1:0', probeApp]);
    assert.equal(r.code, 0, r.stderr);
    try {
      assert.ok((await runtime.reapOrphans()) >= 1);
      assert.equal((await runPodman('podman', ['ps', '-aq', '--filter', `name=^${orphan}$`])).stdout.trim(), '');
      assert.equal((await get(live, '/')).status, 200, "this process's own instance keeps running");
    } finally {
      await runPodman('podman', ['rm', '-f', '-t', '0', orphan]);
      await live.stop();
    }
  });
});

test('without podman, container images fail with ContainerMissing and what to install', async () => {
  assert.equal(await PodmanRuntime.available('/nonexistent/podman'), undefined);
  await assert.rejects(new UnavailableRuntime().resolveDigest('ghcr.io/knative/helloworld-go'), (e: Error & { reason?: string }) => {
    assert.equal(e.reason, 'ContainerMissing');
    assert.match(e.message, /^Unable to fetch image "ghcr\.io\/knative\/helloworld-go": .*apt-get install podman runc.*default_ulimits = \[\].*runtime = "runc"/);
    return true;
  });
});
