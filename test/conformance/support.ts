// Runs one translated Knative conformance file for both runtimes: the runtime-info fixture as a `file://`
// image in the sandbox, and built into a local podman image; each runtime gets its own `knit serve`.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, KnitServer, eventually, type HttpResult } from '../harness.ts';
import { TestImages } from '../fixtures/podman-images.ts';
import { podmanSuite } from '../podman-suite.ts';
import { detectSandbox } from '../../src/runtime/sandbox.ts';
import type { Container } from '../../src/api/types.ts';

export const RUNTIME_INFO_DIR = path.join(FIXTURES, 'runtime-info');

/** knative/serving test/types/runtime.go, as the runtime-info fixture reports it. */
export interface FileInfo {
  size?: number;
  mode?: string;
  sourceFile?: string;
  isDir?: boolean;
  error?: string;
}
export interface RuntimeInfo {
  request: { uri: string; host: string; method: string; headers: Record<string, string[]>; protoMajor: number; protoMinor: number };
  host: {
    files: Record<string, FileInfo>;
    envs: Record<string, string>;
    fileaccess: Record<string, { read_error?: string; write_error?: string }>;
    cgroups: { name: string; value?: string; readOnly?: boolean; error?: string }[];
    mounts: { device?: string; path?: string; type?: string; options?: string[]; error?: string }[];
    stdin: { eof?: boolean; error?: string };
    user: { uid: number; euid: number; gid: number; egid: number; cwd: { directory: string; error: string } };
    args: string[];
  };
  knit: { startFds: string[] | null; pid: number; boot: string };
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** test.ResourceNames: what the conformance tests compare K_SERVICE and friends with. */
export interface ResourceNames {
  service: string;
  config: string;
  revision: string;
}

/** One runtime under test, with its own knit serve. */
export class Target {
  readonly runtime: 'file' | 'podman';
  image = '';
  knit!: KnitServer;

  constructor(runtime: 'file' | 'podman') {
    this.runtime = runtime;
  }

  get isFile(): boolean {
    return this.runtime === 'file';
  }

  /** The path of a file of the runtime-info app as the instance sees it. */
  appPath(file: string): string {
    return this.isFile ? path.join(RUNTIME_INFO_DIR, file) : `/app/${file}`;
  }

  /** Creates a Service of the runtime-info image (container fields and template annotations merged in). */
  async create(name: string, container: Partial<Container> = {}, annotations: Record<string, string> = {}): Promise<void> {
    const r = await this.knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name },
      spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/min-scale': '1', ...annotations } }, spec: { containers: [{ image: this.image, ...container }] } } },
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }

  /** v1test.CreateServiceReady: waits for Ready True (fails early, with the reason, on Ready False). */
  async ready(name: string, ms = 60_000): Promise<ResourceNames> {
    const svc = await eventually(`${name} to be Ready`, async () => {
      const s = (await this.knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`)).json as {
        status?: { conditions?: Condition[]; latestReadyRevisionName?: string };
      };
      const ready = s.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'False') throw new Error(`${name} failed: ${ready.reason}: ${ready.message}\n${this.knit.log.slice(-2000)}`);
      return ready?.status === 'True' && s.status?.latestReadyRevisionName ? s : undefined;
    }, ms, 50);
    return { service: name, config: name, revision: svc.status!.latestReadyRevisionName! };
  }

  /** A request through the external gateway to the service's host. */
  request(name: string, pathname = '/', headers: Record<string, string> = {}): Promise<HttpResult> {
    return this.knit.request(`${name}.default.example.com`, pathname, 'http', headers);
  }

  /** conformance/runtime/util.go fetchRuntimeInfo: a ready service of the runtime image, and what `/` reports. */
  async fetchRuntimeInfo(name: string, container: Partial<Container> = {}, headers: Record<string, string> = {}): Promise<{ names: ResourceNames; ri: RuntimeInfo }> {
    await this.create(name, container);
    const names = await this.ready(name);
    const r = await eventually(`${name} to answer 200`, async () => {
      const got = await this.request(name, '/', headers);
      return got.status === 200 ? got : undefined;
    }, 20_000, 50);
    return { names, ri: JSON.parse(r.body) as RuntimeInfo };
  }

  /** The revision's condition of `type`, once `pred` holds for it. */
  async revisionCondition(name: string, type: string, pred: (c: Condition) => boolean, ms = 30_000): Promise<Condition> {
    return eventually(`${name}'s ${type} condition`, async () => {
      const list = (await this.knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/revisions?labelSelector=serving.knative.dev/service%3D${name}`)).json as { items: { status?: { conditions?: Condition[] } }[] };
      const c = list.items[0]?.status?.conditions?.find((x) => x.type === type);
      return c && pred(c) ? c : undefined;
    }, ms, 50);
  }
}

/**
 * `describe`s `fn` once per runtime: `file://` (skipped with one line when knit cannot sandbox here)
 * and podman (inside podmanSuite, so skipped when podman is missing). `concurrency` runs the tests of each
 * runtime at the same time (they use distinct services).
 */
export function conformance(name: string, fn: (t: Target) => void, opts: { concurrency?: boolean; app?: string; config?: () => string } = {}): void {
  // The fixture app under test: runtime-info unless the file translates a test of another Knative test image.
  const app = opts.app ?? RUNTIME_INFO_DIR;
  const sandbox = detectSandbox();
  const file = new Target('file');
  describe(`${name} (file://)`, { skip: sandbox.ok ? false : `no sandbox here (${sandbox.why})`, concurrency: opts.concurrency }, () => {
    before(async () => {
      file.image = pathToFileURL(app).href;
      file.knit = await new KnitServer([], undefined, opts.config?.()).start();
    });
    after(async () => {
      await file.knit?.cleanup();
    });
    fn(file);
  });

  const images = new TestImages();
  const podman = new Target('podman');
  podmanSuite(`${name} (podman)`, () => {
    before(async () => {
      const base = await images.buildNodeBase();
      // ko's images (Knative's test images) run as distroless' nonroot user, 65532.
      podman.image = images.name(`conf-${path.basename(app)}`);
      // An absolute entry point, as ko's images have, so that any workingDir runs it.
      await images.build(podman.image, `FROM ${base}\nCOPY app/ /app/\nWORKDIR /app\nUSER 65532:65532\nCMD ["node", "/app/server.js"]\n`, (dir) => {
        fs.cpSync(app, path.join(dir, 'app'), { recursive: true });
      });
      podman.knit = await new KnitServer([], undefined, opts.config?.()).start();
    });
    after(async () => {
      try {
        await podman.knit?.cleanup();
      } finally {
        await images.removeAll();
      }
    });
    fn(podman);
  }, { concurrency: opts.concurrency });
}

/** A test that runs only for one runtime, skipped with `why` on the other. */
export function only(t: Target, runtime: 'file' | 'podman', why: string): { skip: string | false } {
  return { skip: t.runtime === runtime ? false : why };
}

export { test, eventually };
