// Real kubectl against src/kube's discovery, OpenAPI and Table documents: api-resources, explain, client-side validation and get.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startKubeFaceServer, type Fixtures, type KubeFaceServer } from './kube-face-server.ts';

const run = promisify(execFile);

/**
 * The kubectl binaries to test with: 1.32 and 1.33 where the Cloud SDK ships them side by side
 * (its /usr/bin/kubectl picks the one matching the server's minor version), else /usr/bin/kubectl.
 */
function kubectls(): { bin: string; label: string }[] {
  const sdk = '/usr/lib/google-cloud-sdk/bin';
  const versioned = ['1.32', '1.33'].map((v) => ({ bin: `${sdk}/kubectl.${v}`, label: `kubectl ${v}` })).filter((k) => existsSync(k.bin));
  return versioned.length ? versioned : [{ bin: '/usr/bin/kubectl', label: 'kubectl' }];
}

const ago = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/\.\d+Z$/, 'Z');

const fixtures = (): Fixtures => ({
  'serving.knative.dev/v1/services': [
    {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'hello', namespace: 'default', creationTimestamp: ago(600_000) },
      status: {
        url: 'http://hello.default.127.0.0.1.sslip.io',
        latestCreatedRevisionName: 'hello-00002',
        latestReadyRevisionName: 'hello-00001',
        conditions: [{ type: 'Ready', status: 'False', reason: 'RevisionFailed' }],
      },
    },
  ],
  'serving.knative.dev/v1/revisions': [
    {
      metadata: { name: 'hello-00001', namespace: 'default', creationTimestamp: ago(600_000), labels: { 'serving.knative.dev/configuration': 'hello', 'serving.knative.dev/configurationGeneration': '1' } },
      status: { actualReplicas: 2, desiredReplicas: 3, conditions: [{ type: 'Ready', status: 'True' }] },
    },
  ],
  '/v1/pods': [
    {
      metadata: { name: 'hello-00001-deployment-7d9f', namespace: 'default', creationTimestamp: ago(600_000) },
      spec: { nodeName: 'knit', containers: [{ name: 'user-container', image: 'example.com/hello' }, { name: 'queue-proxy', image: 'knit/queue' }] },
      status: {
        phase: 'Running',
        podIPs: [{ ip: '127.0.0.1' }],
        containerStatuses: [
          { name: 'user-container', ready: true, restartCount: 0, state: { running: {} } },
          { name: 'queue-proxy', ready: false, restartCount: 0, state: { running: {} } },
        ],
      },
    },
  ],
});

/** One kubectl process with its own kubeconfig and cache (HOME) pointing at `server`. */
class Kubectl {
  readonly dir: string;
  private readonly bin: string;
  constructor(bin: string, server: KubeFaceServer) {
    this.bin = bin;
    this.dir = mkdtempSync(path.join(tmpdir(), 'knit-kubectl-'));
    writeFileSync(
      path.join(this.dir, 'config'),
      `apiVersion: v1\nkind: Config\nclusters:\n- name: knit\n  cluster:\n    server: ${server.url}\ncontexts:\n- name: knit\n  context:\n    cluster: knit\n    user: knit\n    namespace: default\ncurrent-context: knit\nusers:\n- name: knit\n  user: {}\n`,
    );
  }

  /** Runs kubectl; resolves with its exit code and output whether it failed or not. */
  async run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(this.bin, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir, KUBECONFIG: path.join(this.dir, 'config') }, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  write(name: string, text: string): string {
    const p = path.join(this.dir, name);
    writeFileSync(p, text);
    return p;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Rows of kubectl's table output, cut at the header's column starts (so empty cells stay in place). */
const rows = (out: string) => {
  const lines = out.trimEnd().split('\n');
  const starts = [0, ...[...lines[0].matchAll(/ {2,}(?=\S)/g)].map((m) => m.index + m[0].length)];
  return lines.map((l) => starts.map((s, i) => l.slice(s, starts[i + 1]).trim()));
};

const BAD_SERVICE = `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: hello
spec:
  template:
    spec:
      containers:
      - image: example.com/hello
        imagePullPolicyy: Always
  bogus: 1
`;

for (const { bin, label } of kubectls()) {
  const skip = existsSync(bin) ? false : `${bin} is not installed`;

  describe(`${label} against the kube face (server advertises fieldValidation)`, { skip }, () => {
    let server: KubeFaceServer;
    let kubectl: Kubectl;
    before(async () => {
      server = await startKubeFaceServer(fixtures());
      kubectl = new Kubectl(bin, server);
    });
    after(async () => {
      await server?.close();
      kubectl?.cleanup();
    });

    it('kubectl api-resources lists every kind with its short names, group-version, scope and kind', async () => {
      const r = await kubectl.run('api-resources');
      assert.equal(r.code, 0, r.stderr);
      const table = rows(r.stdout);
      assert.deepEqual(table[0], ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
      const body = table.slice(1);
      for (const want of [
        ['services', 'kservice,ksvc', 'serving.knative.dev/v1', 'true', 'Service'],
        ['configurations', 'config,cfg', 'serving.knative.dev/v1', 'true', 'Configuration'],
        ['revisions', 'rev', 'serving.knative.dev/v1', 'true', 'Revision'],
        ['routes', 'rt', 'serving.knative.dev/v1', 'true', 'Route'],
        ['domainmappings', 'dm', 'serving.knative.dev/v1beta1', 'true', 'DomainMapping'],
        ['clusterdomainclaims', 'cdc', 'networking.internal.knative.dev/v1alpha1', 'false', 'ClusterDomainClaim'],
        ['pods', 'po', 'v1', 'true', 'Pod'],
        ['namespaces', 'ns', 'v1', 'false', 'Namespace'],
        ['services', 'svc', 'v1', 'true', 'Service'],
        ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
        ['replicasets', 'rs', 'apps/v1', 'true', 'ReplicaSet'],
        ['events', 'ev', 'events.k8s.io/v1', 'true', 'Event'],
        ['selfsubjectaccessreviews', '', 'authorization.k8s.io/v1', 'false', 'SelfSubjectAccessReview'],
        ['brokers', '', 'eventing.knative.dev/v1', 'true', 'Broker'],
        ['triggers', '', 'eventing.knative.dev/v1', 'true', 'Trigger'],
        ['channels', 'ch', 'messaging.knative.dev/v1', 'true', 'Channel'],
        ['inmemorychannels', 'imc', 'messaging.knative.dev/v1', 'true', 'InMemoryChannel'],
        ['subscriptions', 'sub', 'messaging.knative.dev/v1', 'true', 'Subscription'],
        ['sequences', '', 'flows.knative.dev/v1', 'true', 'Sequence'],
        ['parallels', '', 'flows.knative.dev/v1', 'true', 'Parallel'],
        ['pingsources', '', 'sources.knative.dev/v1', 'true', 'PingSource'],
        ['apiserversources', '', 'sources.knative.dev/v1', 'true', 'ApiServerSource'],
        ['containersources', '', 'sources.knative.dev/v1', 'true', 'ContainerSource'],
        ['sinkbindings', '', 'sources.knative.dev/v1', 'true', 'SinkBinding'],
      ]) {
        assert.ok(body.some((row) => JSON.stringify(row) === JSON.stringify(want)), `missing row ${want.join(' ')} in\n${r.stdout}`);
      }
      assert.equal(body.length, 28);
    });

    it('kubectl api-resources --categories=knative lists only the Knative kinds', async () => {
      const r = await kubectl.run('api-resources', '--categories=knative', '-o', 'name');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n').sort(), [
        'apiserversources.sources.knative.dev', 'brokers.eventing.knative.dev', 'channels.messaging.knative.dev', 'configurations.serving.knative.dev',
        'containersources.sources.knative.dev', 'domainmappings.serving.knative.dev', 'inmemorychannels.messaging.knative.dev', 'parallels.flows.knative.dev',
        'pingsources.sources.knative.dev', 'revisions.serving.knative.dev', 'routes.serving.knative.dev', 'sequences.flows.knative.dev',
        'services.serving.knative.dev', 'sinkbindings.sources.knative.dev', 'subscriptions.messaging.knative.dev', 'triggers.eventing.knative.dev',
      ]);
    });

    it('kubectl explain ksvc.spec.template prints the CRD field docs', async () => {
      const r = await kubectl.run('explain', 'ksvc.spec.template');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^GROUP: {6}serving\.knative\.dev\nKIND: {7}Service\nVERSION: {4}v1\n\nFIELD: template <Object>\n/);
      assert.match(r.stdout, /DESCRIPTION:\n {4}Template holds the latest specification for the Revision to be stamped out\.\n/);
      assert.match(r.stdout, /\n {2}spec\t<Object>\n {4}RevisionSpec holds the desired state of the Revision \(from the client\)\.\n/);
    });

    it('kubectl explain pods.spec.containers prints Kubernetes field docs', async () => {
      const r = await kubectl.run('explain', 'pods.spec.containers');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^KIND: {7}Pod\nVERSION: {4}v1\n\nFIELD: containers <\[\]Container>\n/);
      assert.match(r.stdout, /List of containers belonging to the pod\./);
      assert.match(r.stdout, /\n {2}image\t<string>\n/);
      assert.match(r.stdout, /\n {2}ports\t<\[\]ContainerPort>\n/);
    });

    it('kubectl explain --output=plaintext-openapiv2 reads the protobuf /openapi/v2', async () => {
      const before = server.requests.length;
      const r = await kubectl.run('explain', 'pods.spec.containers.image', '--output=plaintext-openapiv2');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^KIND: {5}Pod\nVERSION: {2}v1\n\nFIELD: {4}image <string>\n\nDESCRIPTION:\n {5}Container image name\./);
      assert.ok(server.requests.slice(before).some((q) => q.url.startsWith('/openapi/v2')));
    });

    it('kubectl caches hashed v3 documents: a second explain reads only the index', async () => {
      await kubectl.run('explain', 'routes');
      const before = server.requests.length;
      const r = await kubectl.run('explain', 'routes.spec');
      assert.equal(r.code, 0, r.stderr);
      const urls = server.requests.slice(before).map((q) => q.url);
      assert.ok(urls.some((u) => u.startsWith('/openapi/v3?')), urls.join('\n'));
      assert.ok(!urls.some((u) => u.startsWith('/openapi/v3/apis/serving.knative.dev/v1')), urls.join('\n'));
    });

    it('kubectl explain follows metadata into the ObjectMeta definition', async () => {
      const r = await kubectl.run('explain', 'ksvc.metadata.ownerReferences');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /FIELD: ownerReferences <\[\]OwnerReference>/);
      assert.match(r.stdout, /\n {2}uid\t<string> -required-\n/);
    });

    it('kubectl create --dry-run=client --validate=strict leaves unknown fields to the server, as against kube-apiserver', async () => {
      const file = kubectl.write('bad.yaml', BAD_SERVICE);
      const before = server.requests.length;
      const r = await kubectl.run('create', '--dry-run=client', '--validate=strict', '-f', file);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'service.serving.knative.dev/hello created (dry run)\n');
      const urls = server.requests.slice(before).map((q) => q.url);
      // kubectl looks the PATCH operation's fieldValidation parameter up in the group-version's v3
      // document (read through the index; the document itself may come from kubectl's HTTP cache)
      assert.ok(urls.some((u) => u.startsWith('/openapi/v3?')), urls.join('\n'));
      assert.ok(!urls.some((u) => u.startsWith('/openapi/v2')), urls.join('\n'));
    });

    it('kubectl create --validate=strict sends fieldValidation=Strict and prints the server\'s unknown-field error', async () => {
      const file = kubectl.write('bad.yaml', BAD_SERVICE);
      const before = server.requests.length;
      const r = await kubectl.run('create', '--validate=strict', '-f', file);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `Error from server (BadRequest): error when creating "${file}": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.bogus", unknown field "spec.template.spec.containers[0].imagePullPolicyy"\n`,
      );
      const post = server.requests.slice(before).find((q) => q.method === 'POST');
      assert.equal(post?.url, '/apis/serving.knative.dev/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict');
    });

    it('kubectl create --validate=warn prints the server\'s warnings and creates', async () => {
      const file = kubectl.write('bad.yaml', BAD_SERVICE);
      const r = await kubectl.run('create', '--validate=warn', '-f', file);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, 'Warning: unknown field "spec.bogus"\nWarning: unknown field "spec.template.spec.containers[0].imagePullPolicyy"\n');
      assert.equal(r.stdout, 'service.serving.knative.dev/hello created\n');
    });

    it('kubectl get ksvc prints Knative columns from the server-side Table', async () => {
      const before = server.requests.length;
      const r = await kubectl.run('get', 'ksvc');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(rows(r.stdout), [
        ['NAME', 'URL', 'LATESTCREATED', 'LATESTREADY', 'READY', 'REASON'],
        ['hello', 'http://hello.default.127.0.0.1.sslip.io', 'hello-00002', 'hello-00001', 'False', 'RevisionFailed'],
      ]);
      const list = server.requests.slice(before).find((q) => q.url.startsWith('/apis/serving.knative.dev/v1/namespaces/default/services'));
      assert.ok(list?.accept.startsWith('application/json;as=Table;v=v1;g=meta.k8s.io'), list?.accept);
    });

    it('kubectl get rev prints integer columns', async () => {
      const r = await kubectl.run('get', 'rev');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(rows(r.stdout), [
        ['NAME', 'CONFIG NAME', 'GENERATION', 'READY', 'REASON', 'ACTUAL REPLICAS', 'DESIRED REPLICAS'],
        ['hello-00001', 'hello', '1', 'True', '', '2', '3'],
      ]);
    });

    it('kubectl get pods prints Kubernetes pod columns, and the wide ones with -o wide', async () => {
      const r = await kubectl.run('get', 'pods');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(rows(r.stdout), [
        ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
        ['hello-00001-deployment-7d9f', '1/2', 'Running', '0', '10m'],
      ]);
      const wide = await kubectl.run('get', 'pods', '-o', 'wide');
      assert.equal(wide.code, 0, wide.stderr);
      assert.deepEqual(rows(wide.stdout), [
        ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
        ['hello-00001-deployment-7d9f', '1/2', 'Running', '0', '10m', '127.0.0.1', 'knit', '<none>', '<none>'],
      ]);
    });

    it('kubectl get pods -A adds the namespace from the rows\' PartialObjectMetadata', async () => {
      const r = await kubectl.run('get', 'pods', '-A');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(rows(r.stdout)[1], ['default', 'hello-00001-deployment-7d9f', '1/2', 'Running', '0', '10m']);
    });
  });

  describe(`${label} against the kube face without fieldValidation (client-side validation)`, { skip }, () => {
    let server: KubeFaceServer;
    let kubectl: Kubectl;
    before(async () => {
      server = await startKubeFaceServer(fixtures(), { fieldValidation: false });
      kubectl = new Kubectl(bin, server);
    });
    after(async () => {
      await server?.close();
      kubectl?.cleanup();
    });

    it('kubectl create --dry-run=client --validate=strict reports unknown fields from /openapi/v2 (protobuf)', async () => {
      const file = kubectl.write('bad.yaml', BAD_SERVICE);
      const r = await kubectl.run('create', '--dry-run=client', '--validate=strict', '-f', file);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `error: error validating "${file}": error validating data: [ValidationError(Service.spec): unknown field "bogus" in dev.knative.serving.v1.Service.spec, ValidationError(Service.spec.template.spec.containers[0]): unknown field "imagePullPolicyy" in dev.knative.serving.v1.Service.spec.template.spec.containers]; if you choose to ignore these errors, turn validation off with --validate=false\n`,
      );
      const v2 = server.requests.find((q) => q.url.startsWith('/openapi/v2'));
      assert.equal(v2?.accept, 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf');
    });

    it('a valid manifest passes client-side validation', async () => {
      const file = kubectl.write('good.yaml', BAD_SERVICE.replace('imagePullPolicyy', 'imagePullPolicy').replace('  bogus: 1\n', ''));
      const r = await kubectl.run('create', '--dry-run=client', '--validate=strict', '-f', file);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'service.serving.knative.dev/hello created (dry run)\n');
    });

    it('a core kind is validated against Kubernetes definitions', async () => {
      const file = kubectl.write('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labelz: {}\ndata:\n  a: b\n');
      const r = await kubectl.run('create', '--dry-run=client', '--validate=strict', '-f', file);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `error: error validating "${file}": error validating data: ValidationError(ConfigMap.metadata): unknown field "labelz" in io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta; if you choose to ignore these errors, turn validation off with --validate=false\n`,
      );
    });
  });
}
