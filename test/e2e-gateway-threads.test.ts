// The gateway on worker threads (`knit serve --gateway-threads 2`, docs/architecture.md "Gateway threads"):
// containerConcurrency holds across threads under 100 clients, scale from zero goes through the main
// thread, the autoscaler sees the threads' load, and the metrics count their requests.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, KnitServer, eventually, gatewayGet } from './harness.ts';

let knit: KnitServer;
const APP = pathToFileURL(path.join(FIXTURES, 'dataplane-app')).href;

before(async () => {
  knit = await new KnitServer(['--gateway-threads', '2'], undefined, 'autoscaler:\n  scale-to-zero-grace-period: 1s\n  allow-zero-initial-scale: true\n').start();
});

after(async () => {
  await knit?.cleanup();
});

async function createService(name: string, annotations: Record<string, string>, spec: Record<string, unknown> = {}): Promise<void> {
  await knit.createReadyService(name, { metadata: { annotations }, spec: { containers: [{ image: APP }], ...spec } });
}

/** One GET on a keep-alive agent (so both threads see many requests per connection, as a load generator does). */
const get = (agent: http.Agent, host: string, pathname: string) => gatewayGet(knit.endpoints.http, host, pathname, 60_000, agent);

test('threads: containerConcurrency 1 under 100 concurrent clients never has two requests in one instance', async () => {
  await createService('single', { 'autoscaling.knative.dev/max-scale': '4', 'autoscaling.knative.dev/window': '6s' }, { containerConcurrency: 1 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
  try {
    const deadline = Date.now() + 6_000;
    let ok = 0;
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (Date.now() < deadline) {
          const r = await get(agent, 'single.default.example.com', '/cc?ms=10');
          if (r.status === 200) ok++;
          else failures.push(`${r.status} ${r.body}`);
        }
      }),
    );
    assert.deepEqual(failures.slice(0, 3), [], `${failures.length} failed`);
    assert.ok(ok > 100, `only ${ok} requests completed`);
  } finally {
    agent.destroy();
  }
});

test('threads: a revision at zero is activated by a request on a gateway thread, which waits and succeeds', async () => {
  await createService('zero', { 'autoscaling.knative.dev/initial-scale': '0' });
  const r = await knit.request('zero.default.example.com', '/');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, 'zero-00001\n');
});

test('threads: the autoscaler sees the gateway threads\' concurrency and the metrics count their requests', async () => {
  await createService('busy', { 'autoscaling.knative.dev/window': '6s', 'autoscaling.knative.dev/max-scale': '5' }, { containerConcurrency: 1 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  try {
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 20 }, async () => {
        while (!stop) await get(agent, 'busy.default.example.com', '/sleep?ms=100');
      }),
    );
    try {
      await eventually('busy-00001 to scale above 1', async () => {
        const rev = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/busy-00001')).json as { status?: { desiredReplicas?: number } };
        return (rev.status?.desiredReplicas ?? 0) > 1;
      }, 20_000, 200);
    } finally {
      stop = true;
      await load;
    }
  } finally {
    agent.destroy();
  }
  await eventually('the request metrics to count busy\'s requests', async () => {
    const m = await new Promise<string>((resolve, reject) => {
      http.get(knit.endpoints.metrics, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    const line = m.split('\n').find((l) => l.includes('busy-00001') && /request_count|requests_total/.test(l) && /code="200"|response_code="200"/.test(l));
    return line !== undefined && Number(line.split(' ').pop()) > 10;
  }, 10_000);
});

test('threads: the gateway threads run at a lower nice value than the main thread (as root), which runs at knit\'s', { skip: process.getuid?.() !== 0 && 'raising a thread\'s priority needs root' }, () => {
  const pid = knit.endpoints.pid;
  const threads = fs.readdirSync(`/proc/${pid}/task`).map((tid) => {
    const comm = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    const nice = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[16]);
    return { tid, comm, nice };
  });
  const workers = threads.filter((t) => t.comm === 'WorkerThread');
  assert.equal(workers.length, 2, JSON.stringify(threads));
  for (const w of workers) assert.equal(w.nice, -5, `gateway thread ${w.tid}`);
  assert.equal(threads.find((t) => t.tid === String(pid))?.nice, 0, 'the main thread');
});

test('threads: the gateway threads, and only they, run in their own cpu cgroup weighing a task while nothing starts; it goes with knit', { skip: !fs.existsSync('/sys/fs/cgroup/cpu/cpu.shares') && 'needs the cgroup v1 cpu hierarchy' }, async () => {
  const own = new KnitServer(['--gateway-threads', '2']);
  try {
    await own.start();
    const pid = own.endpoints.pid;
    const owner = createHash('sha256').update(path.resolve(own.dataDir)).digest('hex').slice(0, 16);
    const dir = `/sys/fs/cgroup/cpu/knit-${owner}-gateway`;
    assert.equal(fs.readFileSync(path.join(dir, 'cpu.shares'), 'utf8').trim(), '1024');
    const inGroup = fs.readFileSync(path.join(dir, 'tasks'), 'utf8').trim().split('\n').filter(Boolean);
    const workers = fs.readdirSync(`/proc/${pid}/task`).filter((tid) => fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() === 'WorkerThread');
    assert.equal(workers.length, 2);
    assert.deepEqual([...inGroup].sort(), [...workers].sort(), 'the cgroup holds the gateway threads and nothing else');
    const cpuOf = (tid: string) => fs.readFileSync(`/proc/${pid}/task/${tid}/cgroup`, 'utf8').split('\n').find((l) => /:cpu[,:]|,cpu[,:]/.test(l)) ?? '';
    assert.doesNotMatch(cpuOf(String(pid)), /gateway/, 'the main thread stays where knit was started');
    await own.stop();
    assert.equal(fs.existsSync(dir), false, 'removed when knit stops');
  } finally {
    await own.cleanup();
  }
});
