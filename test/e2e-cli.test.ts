// The CLI against a real server: the helloworld-example walkthrough (create with --env, list, the cluster-local
// names), waiting with progress lines, kn's error texts and exit codes, and that a refused command changes nothing.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FIXTURES, KnitServer } from './harness.ts';

let knit: KnitServer;

before(async () => {
  knit = await new KnitServer().start();
  const r = await knit.knit(['service', 'create', 'svc', '--image', './examples/helloworld']);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  await knit?.cleanup();
});

async function generation(name: string): Promise<number> {
  return ((await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`)).json as { metadata: { generation: number } }).metadata.generation;
}

test('helloworld-example: help texts, create with env, list, and the cluster-local names answer', async () => {
  const help = await knit.knit(['service', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Manage Knative services\n\nUsage:\n {2}knit service \[options\]\n\nAliases:\n {2}service, ksvc, services\n\nAvailable Commands:\n {2}apply\s+Apply a service declaration\n {2}create\s+Create a service\n {2}delete\s+Delete services\n {2}describe\s+Show details of a service\n {2}export\s+Export a service and its revisions\n/);
  const createHelp = await knit.knit(['service', 'create', '--help']);
  assert.match(createHelp.stdout, /^Create a service\n\nUsage:\n {2}knit service create NAME --image IMAGE \[options\]\n\nExamples:\n/);

  const r = await knit.knit(['service', 'create', 'helloworld-example', '--image', './examples/helloworld', '--env', 'TRAGET=First']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Creating service 'helloworld-example' in namespace 'default':\n\n( {2}\s*\d+\.\d{3}s .+\n)+\n?Service 'helloworld-example' created to latest revision 'helloworld-example-00001' is available at URL:\nhttp:\/\/helloworld-example\.default\.example\.com\n$/);
  const list = await knit.knit(['service', 'list']);
  assert.match(list.stdout, /\nhelloworld-example\s+http:\/\/helloworld-example\.default\.example\.com\s+helloworld-example-00001\s+\S+\s+3 OK \/ 3\s+True\s*\n/);
  for (const host of ['helloworld-example.default.svc', 'helloworld-example.default']) {
    const res = await knit.request(host, '/', 'localHttp');
    assert.equal(res.body, 'Hello World!\n', host);
  }
});

const errors: [string, string[], RegExp][] = [
  ['a bad flag', ['service', 'create', 'x', '--image', './examples/helloworld', '--foo'], /^Error: unknown flag: --foo for 'knit service create'\nRun 'knit service create --help' for usage\n$/],
  ['a missing service', ['service', 'describe', 'nope'], /^Error: services\.serving\.knative\.dev "nope" not found\n/],
  ['a traffic sum of 90', ['service', 'update', 'svc', '--traffic', 'svc-00001=90'], /^Error: unable to allocate the remaining traffic: 10%\. Reason: incorrect number of revisions specified\. Only 1 revision should be missing\n/],
  ['a traffic sum over 100', ['service', 'update', 'svc', '--traffic', 'svc-00001=60', '--traffic', '@latest=50'], /^Error: given traffic percents sum to 110, want <=100\n/],
  ['a tag used elsewhere', ['service', 'update', 'svc', '--tag', 'svc-00001=a,@latest=a'], /^Error: refusing to overwrite existing tag in service, add flag '--untag a' in command to untag it\n/],
  ['an unknown tag to untag', ['service', 'update', 'svc', '--untag', 'nope'], /^Error: tag\(s\) nope not present for any revisions of service svc\n/],
  ['a missing image', ['service', 'create', 'noimage'], /^Error: 'service create' requires the image name to run provided with the --image option\n/],
];

for (const [what, args, want] of errors) {
  test(`${what}: kn's error text, exit 1, nothing changed`, async () => {
    const before = await generation('svc');
    const r = await knit.knit(args);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, want);
    assert.equal(await generation('svc'), before);
    const services = (await knit.api('GET', '/apis/serving.knative.dev/v1/services')).json as { items: { metadata: { name: string } }[]; metadata: { resourceVersion: string } };
    assert.ok(!services.items.some((s) => s.metadata.name === 'x' || s.metadata.name === 'noimage'));
  });
}

test('an unknown revision in --traffic fails fast with Serving\'s RevisionMissing message', async () => {
  const t0 = Date.now();
  const r = await knit.knit(['service', 'update', 'svc', '--traffic', 'nope=100', '--wait-timeout', '30']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /(^|\n)Error: RevisionMissing: Revision "nope" referenced in traffic not found\.\n/);
  assert.ok(Date.now() - t0 < 10_000, 'failed after the wait window, not the timeout');
  // Put it back; the service serves again.
  const back = await knit.knit(['service', 'update', 'svc', '--traffic', '@latest=100']);
  assert.equal(back.code, 0, back.stderr);
  assert.equal((await knit.request('svc.default.example.com')).status, 200);
});

// Waiting as kn does (knative/client pkg/wait/wait_for_ready.go): one progress line per new Ready message, then
// the URL; the server's admission warnings may precede it on stderr.
const WARNINGS_ONLY = /^(Warning: .*\n)*$/;

test('create waits with progress lines and prints the URL', async () => {
  const r = await knit.knit(['service', 'create', 'web', '--image', './examples/helloworld']);
  assert.match(r.stderr, WARNINGS_ONLY);
  assert.equal(r.code, 0);
  assert.match(
    r.stdout,
    // The Service's first status may still be the Route's OutOfDate, depending on which child reconciled first.
    /^Creating service 'web' in namespace 'default':\n\n( {2}\d+\.\d{3}s The Route is still working to reflect the latest desired specification\.\n)? {2}\d+\.\d{3}s Configuration "web" is waiting for a Revision to become ready\.\n( {2}\d+\.\d{3}s .+\n)* {2}\d+\.\d{3}s Ready to serve\.\n\nService 'web' created to latest revision 'web-00001' is available at URL:\nhttp:\/\/web\.default\.example\.com\n$/,
  );
});

test('update waits; a traffic-only update reports the unchanged revision', async () => {
  const r = await knit.knit(['service', 'update', 'web', '--env', 'A=1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Updating Service 'web' in namespace 'default':\n\n[\s\S]*Ready to serve\.\n\nService 'web' updated to latest revision 'web-00002' is available at URL:\nhttp:\/\/web\.default\.example\.com\n$/);
  const t = await knit.knit(['service', 'update', 'web', '--tag', 'web-00001=old']);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /Service 'web' with latest revision 'web-00002' \(unchanged\) is available at URL:\n/);
  const svc = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/web')).json as { spec: { traffic?: unknown[] } };
  assert.deepEqual(svc.spec.traffic, [{ latestRevision: true, percent: 100 }, { tag: 'old', revisionName: 'web-00001', latestRevision: false, percent: 0 }]);
});

test('wait on a ready service prints 0.000s', async () => {
  const r = await knit.knit(['service', 'wait', 'web']);
  assert.equal(r.stdout, "Waiting for Service 'web' in namespace 'default':\n\n  0.000s Ready to serve.\n\nService 'web' in namespace 'default' is ready.\n");
});

test('a failed revision ends the wait with its root cause (RevisionFailed), not the route\'s RevisionMissing', async () => {
  // crash-app prints "fatal: missing DATABASE_URL" and exits 3 before it listens.
  const r = await knit.knit(['service', 'create', 'bad', '--image', `${FIXTURES}/crash-app`, '--wait-window', '0']);
  assert.equal(r.code, 1);
  const errors = r.stderr.replace(/^Warning: .*\n/gm, '');
  assert.equal(errors, 'Error: RevisionFailed: Revision "bad-00001" failed with message: Container failed with: fatal: missing DATABASE_URL.\nRun \'knit --help\' for usage\n');
});
