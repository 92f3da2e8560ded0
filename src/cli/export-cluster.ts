// `knit service export NAME --for-cluster --registry REGISTRY`: Knative YAML for a cluster, with local images built and pushed.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANNOTATION, type Container, type RevisionSpec, type Service } from '../api/types.ts';
import { runPodman } from '../runtime/podman.ts';
import type { CommandContext } from './command.ts';
import { connect, namespaceOf } from './context.ts';
import { CliError } from './errors.ts';
import { printDocument } from './output.ts';
import { exportLatestService, revisionsToExport, serviceFromRevision } from './service.ts';

/** Where a built image's app lives and runs. */
const APP_DIR = '/app';
/** The user a `file://` instance runs as by default (docs/architecture.md "Sandbox"); the image keeps it. */
const SANDBOX_USER = '65534:65534';

/** One image the export builds: the directory, the entry point, and the tags it is pushed under. */
interface LocalImage {
  dir: string;
  entrypoint: string[];
  repository: string;
  /** The first tag it was built under; later revisions re-tag it. */
  tag: string;
}

/** The absolute paths of the shared libraries `binary` loads (none for a static binary or a script). */
function sharedLibraries(binary: string): string[] {
  let out = '';
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  return [...out.matchAll(/(\/\S+)\s+\(0x[0-9a-f]+\)/g)].map((m) => m[1]);
}

/** A loopback registry (`localhost:5000`, `127.0.0.1:5000`, `[::1]:5000`) is reached without TLS checks. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.split('/')[0].replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Finds `cmd` as the process runtime would (knit's own node first, then PATH). */
function resolveHostCommand(cmd: string, dir: string): string | undefined {
  if (cmd.includes('/')) {
    const p = path.resolve(dir, cmd);
    return fs.existsSync(p) ? p : undefined;
  }
  if (cmd === 'node' || cmd === 'nodejs') return process.execPath;
  for (const d of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = path.join(d, cmd);
    if (d && fs.existsSync(p)) return p;
  }
  return undefined;
}

/**
 * The image's entry point for a `file://` directory, as src/runtime/process.ts processCommand chooses it: the
 * container's command, else `node MAIN` from package.json. Paths inside the directory become paths under /app.
 */
function entrypointOf(dir: string, c: Container, warn: (m: string) => void, field: string): { entrypoint: string[]; hostBinaries: string[] } {
  const hostBinaries: string[] = [];
  let argv: string[];
  if (c.command && c.command.length > 0) {
    argv = [...c.command];
  } else {
    const pkgPath = path.join(dir, 'package.json');
    if (!fs.existsSync(pkgPath)) throw new CliError(`${field}: ${c.image ?? ''} has no entrypoint: set the container's command or add a package.json (or a Containerfile)`);
    const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as { main?: unknown; scripts?: { start?: unknown }; dependencies?: Record<string, string> };
    const start = typeof pkg.scripts?.start === 'string' ? pkg.scripts.start.trim().split(/\s+/) : [];
    const main = start.length === 2 && start[0] === 'node' ? start[1] : typeof pkg.main === 'string' ? pkg.main : 'index.js';
    // processCommand resolves MAIN against the image directory, whatever the working directory.
    argv = ['node', path.posix.join(APP_DIR, main)];
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      if (!fs.existsSync(path.join(dir, 'node_modules', dep))) {
        warn(`${field}: dependency "${dep}" is not in ${path.join(dir, 'node_modules')}, so the image lacks it (knit finds it in a parent directory's node_modules): run npm install in ${dir}`);
      }
    }
  }
  const first = resolveHostCommand(argv[0], dir);
  if (!first) throw new CliError(`${field}: command "${argv[0]}" is not found on this machine, so it cannot go into the image: add a Containerfile to ${dir}`);
  const inApp = (p: string): string => path.posix.join(APP_DIR, path.relative(dir, p));
  const inside = (p: string): boolean => !path.relative(dir, p).startsWith('..') && !path.isAbsolute(path.relative(dir, p));
  if (inside(first)) {
    argv[0] = inApp(first);
    const head = fs.readFileSync(first, { encoding: 'latin1' }).slice(0, 256);
    const shebang = /^#!\s*(\S+)/.exec(head);
    if (shebang) {
      const interp = shebang[1] === '/usr/bin/env' ? resolveHostCommand(/^#!\s*\S+\s+(\S+)/.exec(head)?.[1] ?? '', dir) : shebang[1];
      if (!interp || !fs.existsSync(interp)) throw new CliError(`${field}: the interpreter of ${first} is not found on this machine: add a Containerfile to ${dir}`);
      hostBinaries.push(interp === process.execPath ? interp : fs.realpathSync(interp));
    }
  } else if (first === process.execPath || path.basename(first) === 'node') {
    argv[0] = '/usr/local/bin/node';
    hostBinaries.push(process.execPath);
  } else {
    argv[0] = first;
    hostBinaries.push(first);
    warn(`${field}: the image holds ${first} from this machine and the libraries ldd lists, nothing else it may read at run time (an interpreter's library tree, data files): if it needs more, add a Containerfile to ${dir}`);
  }
  // Arguments naming files of the directory (`node server.js`) resolve against /app, the image's working directory.
  return { entrypoint: argv, hostBinaries };
}

/** Builds `img` with podman: the directory's Containerfile/Dockerfile as is, else a FROM-scratch image of local files. */
async function buildImage(img: LocalImage, hostBinaries: string[], tag: string, err: (m: string) => void): Promise<void> {
  const own = ['Containerfile', 'Dockerfile'].map((f) => path.join(img.dir, f)).find((f) => fs.existsSync(f));
  let r;
  if (own) {
    err(`Building ${tag} from ${own}`);
    r = await runPodman('podman', ['build', '-q', '-t', tag, '-f', own, img.dir], 600_000);
  } else {
    const ctxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-export-'));
    try {
      const root = path.join(ctxDir, 'rootfs');
      const put = (from: string, to: string): void => {
        fs.mkdirSync(path.dirname(path.join(root, to)), { recursive: true });
        fs.copyFileSync(fs.realpathSync(from), path.join(root, to));
        fs.chmodSync(path.join(root, to), fs.statSync(from).mode & 0o7777);
      };
      for (const bin of hostBinaries) {
        put(bin, bin === process.execPath ? '/usr/local/bin/node' : bin);
        for (const lib of sharedLibraries(bin)) put(lib, lib);
      }
      fs.mkdirSync(path.join(root, 'tmp'), { recursive: true, mode: 0o1777 });
      fs.chmodSync(path.join(root, 'tmp'), 0o1777);
      fs.cpSync(img.dir, path.join(root, APP_DIR.slice(1)), { recursive: true, dereference: false, filter: (src) => path.basename(src) !== '.git' });
      const file = [
        'FROM scratch',
        'COPY rootfs/ /',
        'ENV PATH=/usr/local/bin:/usr/bin:/bin',
        `WORKDIR ${APP_DIR}`,
        `USER ${SANDBOX_USER}`,
        `ENTRYPOINT ${JSON.stringify(img.entrypoint)}`,
        '',
      ].join('\n');
      fs.writeFileSync(path.join(ctxDir, 'Containerfile'), file);
      err(`Building ${tag} from ${img.dir} (FROM scratch: the app, ${hostBinaries.map((b) => path.basename(b)).join(', ') || 'no runtime'} and its shared libraries)`);
      r = await runPodman('podman', ['build', '-q', '--layers=false', '-t', tag, '-f', path.join(ctxDir, 'Containerfile'), ctxDir], 600_000);
    } finally {
      fs.rmSync(ctxDir, { recursive: true, force: true });
    }
  }
  if (r.code === 127) throw new CliError(`--for-cluster needs podman to build images (apt-get install podman runc): ${r.stderr.trim()}`);
  if (r.code !== 0) throw new CliError(`podman build of ${img.dir} failed: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
}

/** Pushes `tag` and returns `REPOSITORY@sha256:…` (podman's --digestfile). */
async function pushImage(tag: string, repository: string, registry: string, err: (m: string) => void): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-export-digest-'));
  try {
    const file = path.join(dir, 'digest');
    const args = ['push', '--quiet', '--digestfile', file, ...(isLoopbackRegistry(registry) ? ['--tls-verify=false'] : []), tag];
    err(`Pushing ${tag}`);
    const r = await runPodman('podman', args, 600_000);
    if (r.code !== 0) throw new CliError(`podman push ${tag} failed: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
    const digest = fs.readFileSync(file, 'utf8').trim();
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new CliError(`podman push ${tag} wrote no digest`);
    return `${repository}@${digest}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Knative's defaults that knit's webhook wrote into the spec (knative/serving pkg/apis/serving/v1 *_defaults.go), left to the cluster's. */
function dropDefaults(spec: RevisionSpec): void {
  const s = spec as RevisionSpec & Record<string, unknown>;
  if (s.enableServiceLinks === false) delete s.enableServiceLinks;
  if (s.containerConcurrency === 0) delete s.containerConcurrency;
  if (s.timeoutSeconds === 300) delete s.timeoutSeconds;
  const containers = spec.containers ?? [];
  for (const c of containers) {
    const x = c as Container & Record<string, unknown>;
    if (containers.length === 1 && x.name === 'user-container') delete x.name;
    if (x.resources && Object.keys(x.resources).length === 0) delete x.resources;
    const rp = x.readinessProbe as Record<string, unknown> | undefined;
    if (rp) {
      if (rp.successThreshold === 1) delete rp.successThreshold;
      const tcp = rp.tcpSocket as Record<string, unknown> | undefined;
      if (tcp && Object.keys(tcp).length === 1 && tcp.port === 0) delete rp.tcpSocket;
      if (Object.keys(rp).length === 0) delete x.readinessProbe;
    }
  }
}

/** The fields of a pod spec that behave differently on a cluster than under knit (docs/differences.md), one line each. */
function differences(spec: RevisionSpec, at: string): string[] {
  const out: string[] = [];
  (spec.containers ?? []).forEach((c, i) => {
    const f = `${at}.containers[${i}]`;
    for (const [j, p] of (c.ports ?? []).entries()) {
      if (p.containerPort) out.push(`${f}.ports[${j}].containerPort: on a cluster PORT is ${p.containerPort} and the app must listen there (knit gives each instance a free loopback port in PORT)`);
    }
    for (const [j, e] of (c.env ?? []).entries()) {
      if (e.valueFrom?.secretKeyRef || e.valueFrom?.configMapKeyRef) out.push(`${f}.env[${j}].valueFrom: the ${e.valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap'} must exist in the cluster's namespace (it is not exported)`);
      if (e.valueFrom?.fieldRef) out.push(`${f}.env[${j}].valueFrom.fieldRef: reads the cluster's pod (knit: 127.0.0.1 as pod and host IP, the revision's uid as pod uid)`);
      if (e.valueFrom?.resourceFieldRef) out.push(`${f}.env[${j}].valueFrom.resourceFieldRef: set on a cluster (knit leaves it unset)`);
      if (typeof e.value === 'string' && e.value.includes('$(')) out.push(`${f}.env[${j}].value: $(VAR) references are expanded on a cluster (knit passes them as written)`);
    }
    for (const [j] of (c.envFrom ?? []).entries()) out.push(`${f}.envFrom[${j}]: the Secret or ConfigMap must exist in the cluster's namespace (it is not exported)`);
    if (c.livenessProbe?.exec || c.readinessProbe?.exec || c.startupProbe?.exec) out.push(`${f}: exec probes run in the image on a cluster (knit ran them in the host sandbox)`);
    if (c.resources?.limits || c.resources?.requests) out.push(`${f}.resources: the scheduler places the pod by its requests and the kubelet enforces its limits (OOM kill, CPU throttling)`);
  });
  (spec.volumes ?? []).forEach((v, i) => {
    const f = `${at}.volumes[${i}]`;
    if (v.secret || v.configMap || v.projected) out.push(`${f}: its Secrets/ConfigMaps must exist in the cluster (not exported); files are owned by root there unless fsGroup is set (knit: the instance's uid), and updates take up to a minute`);
    if (v.emptyDir?.sizeLimit) out.push(`${f}.emptyDir.sizeLimit: the kubelet evicts the pod past the limit (knit: a tmpfs that fails writes with ENOSPC)`);
  });
  return out;
}

/** The references an image is pushed under: one repository per service (per container when there are several). */
function repositoryOf(registry: string, ns: string, service: string, container: Container, many: boolean): string {
  const base = `${registry.replace(/\/+$/, '')}/${ns}/${service}`;
  return many && container.name ? `${base}-${container.name}` : base;
}

/**
 * `knit service export NAME --for-cluster --registry REGISTRY [-o yaml|json] [--with-revisions]`: the Service
 * (or, with --with-revisions, kn's replay List of Services), with each `file://` image (and each image that exists
 * only in this machine's podman storage, `localhost/…`) built, pushed and referenced by digest, Knative's defaults
 * left to the cluster, and a warning per field that behaves differently there.
 */
export async function exportForCluster(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'knit service export' requires name of the service as single argument");
  const output = ctx.flags.changed('output') ? ctx.flags.string('output') : 'yaml';
  if (output !== 'yaml' && output !== 'json') throw new CliError(`--for-cluster writes yaml or json, not "${output}"`);
  if (ctx.flags.changed('template')) throw new CliError('--for-cluster writes yaml or json: --template does not apply');
  const withRevisions = ctx.flags.bool('with-revisions');
  if (withRevisions && ctx.flags.string('mode') !== 'replay') {
    throw new CliError("--for-cluster --with-revisions needs --mode replay: kn's Export kind is not a Knative resource that kubectl applies");
  }
  const registry = ctx.flags.string('registry').replace(/\/+$/, '');
  const ns = namespaceOf(ctx);
  const client = connect(ctx);
  const svc = await client.get('services', ns, ctx.args[0]);
  const name = svc.metadata.name ?? ctx.args[0];

  const services: Service[] = [];
  if (withRevisions) {
    const { revisions, routed } = await revisionsToExport(client, ns, svc);
    const latest = svc.spec.template.metadata?.name;
    services.push(...revisions.filter((r) => routed.has(r.metadata.name ?? '') && r.metadata.name !== latest).map((r) => serviceFromRevision(svc, r)));
    services.push(exportLatestService(svc, revisions.length > 1));
  } else {
    services.push(exportLatestService(svc, false));
  }

  const warnings: string[] = [];
  const warn = (m: string): void => void warnings.push(m);
  const progress = (m: string): void => ctx.err.write(`${m}\n`);
  const built = new Map<string, LocalImage>();
  for (const [i, out] of services.entries()) {
    out.metadata = { ...out.metadata };
    delete out.metadata.namespace;
    const template = out.spec.template;
    const spec: RevisionSpec = structuredClone(template.spec);
    template.spec = spec;
    const at = services.length > 1 ? `items[${i}].spec.template.spec` : 'spec.template.spec';
    const rev = template.metadata?.name ?? svc.status?.latestCreatedRevisionName ?? `${name}-${String(svc.metadata.generation ?? 1).padStart(5, '0')}`;
    const containers = spec.containers ?? [];
    for (const [j, c] of containers.entries()) {
      const image = c.image ?? '';
      const field = `${at}.containers[${j}].image`;
      const local = image.startsWith('file://');
      const podmanLocal = image.startsWith('localhost/');
      if (!local && !podmanLocal) continue;
      if (registry === '') throw new CliError(`${field}: ${image} exists only on this machine: give --registry REGISTRY to push it (e.g. --registry 127.0.0.1:5000)`);
      const repository = repositoryOf(registry, ns, name, c, containers.length > 1);
      const tag = `${repository}:${rev}`;
      let ref: string;
      if (local) {
        const dir = fileURLToPath(image);
        if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`${field}: ${dir} is not a directory`);
        const hasOwn = ['Containerfile', 'Dockerfile'].some((f) => fs.existsSync(path.join(dir, f)));
        const { entrypoint, hostBinaries } = hasOwn ? { entrypoint: [], hostBinaries: [] } : entrypointOf(dir, c, warn, `${at}.containers[${j}]`);
        const key = JSON.stringify([dir, entrypoint, repository]);
        let img = built.get(key);
        if (!img) {
          img = { dir, entrypoint, repository, tag };
          await buildImage(img, hostBinaries, tag, progress);
          built.set(key, img);
        } else {
          const r = await runPodman('podman', ['tag', img.tag, tag]);
          if (r.code !== 0) await buildImage(img, hostBinaries, tag, progress);
        }
        ref = await pushImage(tag, repository, registry, progress);
        if (!hasOwn) {
          // The image's ENTRYPOINT is what knit ran; the container's command (if any) moved into it, args stay.
          delete c.command;
          if (c.workingDir && !path.isAbsolute(c.workingDir)) c.workingDir = path.posix.join(APP_DIR, c.workingDir);
          warn(`${field}: ${image} is now ${ref}, built for linux/${os.arch()} from what the directory holds now (knit runs the directory's current files)`);
        } else {
          warn(`${field}: ${image} is now ${ref}, built from the directory's Containerfile for linux/${os.arch()}`);
        }
      } else {
        const r = await runPodman('podman', ['tag', image, tag]);
        if (r.code !== 0) throw new CliError(`${field}: podman tag ${image} ${tag} failed: ${r.stderr.trim()}`);
        ref = await pushImage(tag, repository, registry, progress);
        warn(`${field}: ${image} (this machine's podman storage) is now ${ref}`);
      }
      c.image = ref;
      if (template.metadata?.annotations?.[ANNOTATION.userImage] !== undefined) template.metadata.annotations[ANNOTATION.userImage] = tag;
    }
    dropDefaults(spec);
    for (const d of differences(spec, at)) warn(d);
    // kn's export names the revision of an @latest target too; Serving refuses both together (Route validation).
    out.spec.traffic = out.spec.traffic?.map((t) => {
      if (t.latestRevision !== true || !t.revisionName) return t;
      const { revisionName: _drop, ...rest } = t;
      return rest;
    });
    if (!out.spec.traffic) delete out.spec.traffic;
  }
  if (services.length === 1 && services[0].spec.traffic?.length === 1 && services[0].spec.traffic[0].latestRevision === true && services[0].spec.traffic[0].percent === 100 && !services[0].spec.traffic[0].tag) {
    delete services[0].spec.traffic;
  }
  const doc: object = services.length === 1 ? services[0] : { apiVersion: 'v1', kind: 'List', metadata: {}, items: services };
  for (const w of [...new Set(warnings)]) ctx.err.write(`Warning: ${w}\n`);
  ctx.out.write(await printDocument(doc, { format: output }));
}
