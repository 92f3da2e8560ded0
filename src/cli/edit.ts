// Applies create/update/apply flags to a Service (kn's ConfigurationEditFlags.Apply and PodSpecFlags), plus -f files.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ANNOTATION, API_VERSION, LABEL, type Container, type EnvVar, type Probe, type Revision, type RevisionTemplateSpec, type Service } from '../api/types.ts';
import { CliError } from './errors.ts';
import { applyVolumeFlags } from './volume-flags.ts';
import { goQuote } from '../kube/gotext.ts';
import type { ParsedFlags } from './flags.ts';
import { defaultServingConfig } from '../api/config.ts';
import { validateAutoscalingAnnotations } from '../api/autoscaling-annotations.ts';
import { loadKnConfig } from './kn-config.ts';
import { applyPodSpecFlags, applyProfile, mapFromArray } from './podspec-flags.ts';
import { parseServiceDocument } from './service-file.ts';
import { applyContainers } from './container.ts';

const AUTOSCALING = 'autoscaling.knative.dev';
const MIN_SCALE = `${AUTOSCALING}/min-scale`;
const MAX_SCALE = `${AUTOSCALING}/max-scale`;
const INITIAL_SCALE = `${AUTOSCALING}/initial-scale`;
const MAX_INT32 = 2147483647;

/** Which command applies the flags (apply never stamps updateTimestamp, to stay idempotent). */
export type EditCommand = 'create' | 'update' | 'apply';

export interface EditOptions {
  command: EditCommand;
  cwd: string;
  /** Base revision whose image digest pins the image on config-only updates. */
  baseRevision?: Revision;
  now?: Date;
  /** The environment that locates kn's configuration file for --profile (default: the process's). */
  env?: Record<string, string | undefined>;
}

/**
 * Flags of `service create` that make a new revision (knative/client pkg/commands/service/configuration_edit_flags.go
 * markFlagMakesRevision); anyMutation checks them.
 */
const REVISION_MAKING_FLAGS: readonly string[] = [
  'image', 'source', 'env-file', 'mount', 'volume', 'cmd', 'arg', 'probe-liveness', 'probe-liveness-opts', 'probe-readiness',
  'probe-readiness-opts', 'limit', 'request', 'port', 'user', 'scale', 'scale-min', 'scale-max', 'scale-activation',
  'scale-metric', 'autoscale-window', 'scale-window', 'concurrency-target', 'scale-target', 'concurrency-limit',
  'concurrency-utilization', 'scale-utilization', 'label-service', 'label-revision', 'revision-name',
  'annotation-service', 'annotation-revision', 'scale-init', 'timeout', 'env', 'env-value-from', 'env-from',
  'filename', 'annotation', 'label', 'containers', 'extra-containers',
  'service-account', 'pull-secret', 'security-context', 'node-selector', 'toleration', 'node-affinity', 'profile',
];

/** True if any flag that makes a new revision was given (kn's AnyMutation). */
export function anyMutation(flags: ParsedFlags): boolean {
  return REVISION_MAKING_FLAGS.some((f) => flags.changed(f));
}

/**
 * Turns a local path image (`./app`, `../x`, `/abs/dir`, `.`) into `file:///abs/dir`, resolved against `cwd`;
 * `file://` URLs and registry references pass through unchanged.
 */
export function resolveImage(image: string, cwd: string): string {
  if (image.startsWith('file://')) return image;
  if (image === '.' || image === '..' || image.startsWith('./') || image.startsWith('../') || image.startsWith('/')) {
    return pathToFileURL(resolve(cwd, image)).href;
  }
  return image;
}

/**
 * `--source DIR`: builds DIR's Containerfile/Dockerfile with podman on this machine (output on
 * stderr) and returns the local image reference to run.
 */
export function buildSource(dir: string): string {
  if (!existsSync(join(dir, 'Containerfile')) && !existsSync(join(dir, 'Dockerfile'))) {
    throw new CliError(`--source ${dir}: no Containerfile or Dockerfile found`);
  }
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'app';
  const tag = `localhost/knit-source/${name}:${stamp}`;
  const r = spawnSync('podman', ['build', '-t', tag, dir], { stdio: ['ignore', 2, 2] });
  if (r.error) throw new CliError(`--source needs podman to build images (apt-get install podman runc): ${r.error.message}`);
  if (r.status !== 0) throw new CliError(`podman build of ${dir} failed with exit code ${r.status}`);
  return tag;
}

/** A new Service skeleton as kn's constructService builds it (one empty container, user-image placeholder). */
export function newService(name: string, namespace: string): Service {
  return {
    apiVersion: API_VERSION,
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      template: {
        metadata: { annotations: { [ANNOTATION.userImage]: '' } },
        spec: { containers: [{}] },
      },
    },
  };
}

/** Reads a Service from a YAML or JSON file (first document), resolving local-path images against `cwd`. */
export async function readServiceFile(file: string, cwd: string): Promise<Service> {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new CliError(`open ${file}: no such file or directory`);
    throw new CliError(`open ${file}: ${err.message}`);
  }
  const doc = await parseServiceDocument(text, file);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(`error parsing ${file}: expected a Service object`);
  const svc = doc as Service;
  svc.apiVersion = svc.apiVersion || API_VERSION;
  svc.kind = svc.kind || 'Service';
  svc.metadata = svc.metadata ?? {};
  svc.spec = svc.spec ?? ({} as Service['spec']);
  svc.spec.template = svc.spec.template ?? { spec: { containers: [] } };
  svc.spec.template.spec = svc.spec.template.spec ?? { containers: [] };
  for (const c of svc.spec.template.spec.containers ?? []) {
    if (typeof c.image === 'string') c.image = resolveImage(c.image, cwd);
  }
  return svc;
}

function container0(template: RevisionTemplateSpec): Container {
  template.spec.containers = template.spec.containers ?? [];
  if (template.spec.containers.length === 0) template.spec.containers.push({});
  return template.spec.containers[0];
}

// ---------------------------------------------------------------------------------------------
// key=value helpers (kn's util package)

/** kn's MapFromArrayAllowingSingles: `k=v` pairs, a bare `k` means `k=""`; duplicate keys are errors. */
function mapFromArrayAllowingSingles(arr: readonly string[]): Map<string, string> {
  return mapFromArray(arr, true);
}

/** kn's ParseMinusSuffix: removes `k-` keys from the map and returns the keys to delete. */
function parseMinusSuffix(m: Map<string, string>): string[] {
  const out: string[] = [];
  for (const key of [...m.keys()]) {
    if (key.endsWith('-')) {
      out.push(key.slice(0, -1));
      m.delete(key);
    }
  }
  return out;
}

/** kn's OrderedMapAndRemovalListFromArray: `NAME=value` to set (in order), `NAME-` to remove. */
function orderedPairs(arr: readonly string[]): { set: [string, string][]; remove: string[] } {
  const set: [string, string][] = [];
  const remove: string[] = [];
  for (const pair of arr) {
    const i = pair.indexOf('=');
    if (i < 0) {
      if (!pair.endsWith('-')) throw new CliError(`argument requires a value that contains the "=" character; got ${JSON.stringify(pair)}`);
      remove.push(pair.slice(0, -1));
      continue;
    }
    const key = pair.slice(0, i);
    if (key === '') throw new CliError('the key is empty');
    set.push([key, pair.slice(i + 1)]);
  }
  return { set, remove };
}

function prefixError(prefix: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof CliError) throw new CliError(`${prefix}: ${e.message}`);
    throw e;
  }
}

function readEnvFile(file: string, cwd: string): string[] {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    throw new CliError(`Invalid --env-file: open ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * kn's createEnvVarSource (knative/client pkg/commands/flags/podspec_helper.go): `config-map:NAME:KEY`
 * (or `cm:`) and `secret:NAME:KEY` (or `sc:`) for --env-value-from.
 */
function envVarSource(spec: string): NonNullable<EnvVar['valueFrom']> {
  const parts = splitN(spec, ':', 3);
  if (parts.length !== 3) {
    throw new CliError(`argument requires a value in form "resourceType:name:key" where "resourceType" can be one of "config-map" ("cm") or "secret" ("sc"); got ${goQuote(spec)}`);
  }
  const [type, name, key] = parts.map((p) => p.trim());
  let kind: 'ConfigMap' | 'Secret';
  if (type === 'config-map' || type === 'cm') kind = 'ConfigMap';
  else if (type === 'secret' || type === 'sc') kind = 'Secret';
  else throw new CliError(`unsupported env source type "${goQuote(parts[0])}"; supported source types are "config-map" ("cm") and "secret" ("sc")`);
  if (name === '') throw new CliError(`the name of ${kind} cannot be an empty string`);
  if (key === '') throw new CliError(`the key referenced by resource ${kind} "${name}" cannot be an empty string`);
  return kind === 'ConfigMap' ? { configMapKeyRef: { name, key } } : { secretKeyRef: { name, key } };
}

/** Go's strings.SplitN. */
function splitN(s: string, sep: string, n: number): string[] {
  const out = s.split(sep);
  return out.length <= n ? out : [...out.slice(0, n - 1), out.slice(n - 1).join(sep)];
}

/**
 * Applies --env, --env-value-from and --env-file in command-line order (kn's UpdateEnvVars): existing
 * variables change in place, new ones are appended, removals (`NAME-`) come last.
 */
function applyEnv(template: RevisionTemplateSpec, flags: ParsedFlags, cwd: string): void {
  const updates = new Map<string, EnvVar>();
  const removals: string[] = [];
  for (const occ of flags.occurrences) {
    let entries: string[];
    if (occ.name === 'env' || occ.name === 'env-value-from') entries = [occ.value];
    else if (occ.name === 'env-file') entries = readEnvFile(occ.value, cwd);
    else continue;
    const label = occ.name === 'env' ? 'Invalid --env' : occ.name === 'env-value-from' ? 'Invalid --env-value-from' : 'Invalid --env-file';
    let parsed: { set: [string, string][]; remove: string[] } = { set: [], remove: [] };
    prefixError(label, () => {
      parsed = orderedPairs(entries);
    });
    for (const [k, v] of parsed.set) updates.set(k, occ.name === 'env-value-from' ? { name: k, valueFrom: envVarSource(v) } : { name: k, value: v });
    removals.push(...parsed.remove);
  }
  const c = container0(template);
  const env: EnvVar[] = (c.env ?? []).map((e) => ({ ...e }));
  for (const [name, want] of updates) {
    const i = env.findIndex((e) => e.name === name);
    if (i >= 0) env[i] = want;
    else env.push(want);
  }
  const filtered = env.filter((e) => !removals.includes(e.name));
  if (filtered.length > 0) c.env = filtered;
  else delete c.env;
}

/** kn's newVolumeSourceInfoWithSpecString for --env-from: `config-map:NAME` (`cm:`) or `secret:NAME` (`sc:`). */
function envFromRef(spec: string): { kind: 'config-map' | 'secret'; name: string } {
  const parts = splitN(spec, ':', 3);
  if (parts.length < 2) throw new CliError(`argument requires a value that contains the : character; got ${goQuote(spec)}, [${parts.map(goQuote).join(' ')}]`);
  const type = parts[0].trim();
  if (parts.length === 3) {
    if (['config-map', 'cm', 'secret', 'sc'].includes(type)) throw new CliError(`incorrect mount details for type ${goQuote(type)}`);
    throw new CliError(`unsupported volume type "${goQuote(parts[0])}"; supported volume types are "config-map or cm", "secret or sc", "volume or vo", and "emptyDir or ed"`);
  }
  let kind: 'config-map' | 'secret';
  if (type === 'config-map' || type === 'cm') kind = 'config-map';
  else if (type === 'secret' || type === 'sc') kind = 'secret';
  else throw new CliError(`unsupported volume source type "${goQuote(parts[0])}"; supported volume source types are "config-map" and "secret"`);
  const name = parts[1].trim();
  if (name === '') throw new CliError(`the name of ${kind} cannot be an empty string`);
  return { kind, name };
}

/** --env-from (kn's UpdateEnvFrom): adds ConfigMap/Secret sources not yet listed, removes those given with a trailing `-`. */
function applyEnvFrom(template: RevisionTemplateSpec, flags: ParsedFlags): void {
  const add: string[] = [];
  const remove: string[] = [];
  for (const v of flags.list('env-from')) {
    if (v === '-') throw new CliError('"-" is not a valid value for "--env-from"');
    if (v.endsWith('-')) remove.push(v.slice(0, -1));
    else add.push(v);
  }
  const c = container0(template);
  const sources = [...(c.envFrom ?? [])];
  const key = (s: NonNullable<Container['envFrom']>[number]): string | undefined =>
    s.configMapRef ? `config-map:${s.configMapRef.name ?? ''}` : s.secretRef ? `secret:${s.secretRef.name ?? ''}` : undefined;
  const existing = new Set(sources.map(key));
  for (const spec of add) {
    const ref = envFromRef(spec);
    if (existing.has(`${ref.kind}:${ref.name}`)) continue;
    existing.add(`${ref.kind}:${ref.name}`);
    sources.push(ref.kind === 'config-map' ? { configMapRef: { name: ref.name } } : { secretRef: { name: ref.name } });
  }
  for (const spec of remove) {
    const ref = envFromRef(spec);
    const i = sources.findIndex((s) => key(s) === `${ref.kind}:${ref.name}`);
    if (i >= 0) sources.splice(i, 1);
  }
  if (sources.length > 0) c.envFrom = sources;
  else delete c.envFrom;
}

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

function applyResources(template: RevisionTemplateSpec, flags: ParsedFlags): void {
  // knative/client pkg/flags/resources.go populateResourceListV1: `k=v` or a bare `k`; a key ending in `-` is a
  // removal (whatever value it carries), and a key being removed is not parsed.
  const parse = (spec: string[]): { set: Record<string, string>; remove: string[] } => {
    const set: Record<string, string> = {};
    const all = mapFromArrayAllowingSingles(spec);
    const remove = parseMinusSuffix(all);
    for (const [res, value] of all) {
      if (remove.includes(res)) continue;
      if (!QUANTITY.test(value)) throw new CliError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
      set[res] = value;
    }
    return { set, remove };
  };
  if (!flags.changed('request') && !flags.changed('limit')) return;
  const requests = parse(flags.list('request'));
  const limits = parse(flags.list('limit'));
  const c = container0(template);
  const res = { requests: { ...(c.resources?.requests ?? {}) }, limits: { ...(c.resources?.limits ?? {}) } };
  Object.assign(res.requests, requests.set);
  Object.assign(res.limits, limits.set);
  for (const k of requests.remove) delete res.requests[k];
  for (const k of limits.remove) delete res.limits[k];
  const out: NonNullable<Container['resources']> = {};
  if (Object.keys(res.limits).length > 0) out.limits = res.limits;
  if (Object.keys(res.requests).length > 0) out.requests = res.requests;
  c.resources = out;
}

const PORT_FORMAT_ERROR = (port: string): string =>
  `the port specification '${port}' is not valid. Please provide in the format 'NAME:PORT', where 'NAME' is optional. Examples: '--port h2c:8080' , '--port 8080'.`;

/** Parses `--port [NAME:]PORT` (kn's UpdateContainerPort). */
export function parsePort(port: string): { name?: string; containerPort: number } {
  const i = port.indexOf(':');
  const name = i >= 0 ? port.slice(0, i) : '';
  const num = i >= 0 ? port.slice(i + 1) : port;
  if (!/^[+-]?\d+$/.test(num)) throw new CliError(PORT_FORMAT_ERROR(port));
  const n = Number.parseInt(num, 10);
  if (n < -2147483648 || n > MAX_INT32) throw new CliError(PORT_FORMAT_ERROR(port));
  return name ? { containerPort: n, name } : { containerPort: n };
}

function intOrString(s: string): number | string {
  return /^-?\d+$/.test(s) ? Number.parseInt(s, 10) : s;
}

/** Parses a probe handler (`http:HOST:PORT:PATH`, `https:…`, `tcp:HOST:PORT`, `exec:CMD[,ARG…]`). */
export function parseProbeHandler(spec: string): Probe {
  if (spec.length === 0) throw new CliError('no probe parameters detected');
  const parts = spec.split(':');
  if (parts.length > 4) throw new CliError('too many probe parameters provided, please check the format');
  switch (parts[0]) {
    case 'http':
    case 'https': {
      if (parts.length !== 4) throw new CliError("unexpected probe format, please use 'http:host:port:path'");
      const httpGet: NonNullable<Probe['httpGet']> = {};
      if (parts[1]) httpGet.host = parts[1];
      if (parts[2] !== '') httpGet.port = intOrString(parts[2]);
      httpGet.path = parts[3];
      if (parts[0] === 'https') httpGet.scheme = 'HTTPS';
      return { httpGet };
    }
    case 'exec':
      if (parts.length !== 2) throw new CliError("unexpected probe format, please use 'exec:<exec_command>[,<exec_arg1>,<exec_arg2>,...]'");
      return { exec: { command: parts[1].split(',') } };
    case 'tcp': {
      if (parts.length !== 3) throw new CliError("unexpected probe format, please use 'tcp:host:port");
      const tcpSocket: NonNullable<Probe['tcpSocket']> = { port: intOrString(parts[2]) };
      if (parts[1]) tcpSocket.host = parts[1];
      return { tcpSocket };
    }
    default:
      throw new CliError(`unsupported probe type '${parts[0]}', please use one of the following: http, https, exec, tcp`);
  }
}

function applyProbeOptions(probe: Probe, opts: string): void {
  const m = new Map<string, string>();
  for (const pair of opts.split(',')) {
    const i = pair.indexOf('=');
    if (i < 0) throw new CliError(`Argument requires a value that contains the "=" character; got ${JSON.stringify(pair)}`);
    m.set(pair.slice(0, i), pair.slice(i + 1));
  }
  for (const [k, v] of m) {
    if (!/^[+-]?\d+$/.test(v.trim())) throw new CliError(`not a nummeric value for parameter '${k}'`);
    const n = Number.parseInt(v.trim(), 10);
    switch (k.trim().toLowerCase()) {
      case 'initialdelayseconds':
        probe.initialDelaySeconds = n;
        break;
      case 'timeoutseconds':
        probe.timeoutSeconds = n;
        break;
      case 'periodseconds':
        probe.periodSeconds = n;
        break;
      case 'successthreshold':
        probe.successThreshold = n;
        break;
      case 'failurethreshold':
        probe.failureThreshold = n;
        break;
      default:
        throw new CliError(`not a valid probe parameter name '${k}'`);
    }
  }
}

function applyProbe(c: Container, key: 'livenessProbe' | 'readinessProbe', handlerFlag: string | undefined, optsFlag: string | undefined): void {
  if (handlerFlag !== undefined) {
    const handler = parseProbeHandler(handlerFlag);
    const probe: Probe = { ...(c[key] ?? {}) };
    delete probe.httpGet;
    delete probe.tcpSocket;
    delete probe.exec;
    delete probe.grpc;
    c[key] = { ...handler, ...probe };
  }
  if (optsFlag !== undefined) {
    const probe: Probe = { ...(c[key] ?? {}) };
    applyProbeOptions(probe, optsFlag);
    c[key] = probe;
  }
}

const PULL_POLICIES: Record<string, string> = { always: 'Always', never: 'Never', ifnotpresent: 'IfNotPresent' };

/** kn's PodSpecFlags.ResolvePodSpec for the flags knit supports. */
function resolvePodSpec(template: RevisionTemplateSpec, flags: ParsedFlags, cwd: string): void {
  if (flags.changed('env') || flags.changed('env-value-from') || flags.changed('env-file')) applyEnv(template, flags, cwd);
  if (flags.changed('env-from')) applyEnvFrom(template, flags);
  if (flags.changed('mount') || flags.changed('volume')) applyVolumeFlags(template.spec, container0(template), flags.list('mount'), flags.list('volume'));
  if (flags.changed('image') && flags.changed('source')) throw new CliError('only one of --image and --source can be specified');
  if (flags.changed('image')) container0(template).image = resolveImage(flags.string('image'), cwd);
  if (flags.changed('source')) container0(template).image = buildSource(resolve(cwd, flags.string('source')));
  if (flags.changed('pull-policy')) {
    const policy = PULL_POLICIES[flags.string('pull-policy').toLowerCase()];
    if (!policy) throw new CliError(`invalid --pull-policy ${flags.string('pull-policy')}. Valid arguments (case insensitive): Always | Never | IfNotPresent`);
    container0(template).imagePullPolicy = policy;
  }
  applyResources(template, flags);
  if (flags.changed('cmd')) container0(template).command = flags.list('cmd');
  if (flags.changed('arg')) container0(template).args = flags.list('arg');
  if (flags.changed('port')) container0(template).ports = [parsePort(flags.string('port'))];
  if (flags.changed('user')) {
    const c = container0(template);
    c.securityContext = { ...(c.securityContext ?? {}), runAsUser: flags.int('user') };
  }
  const c = container0(template);
  applyProbe(c, 'livenessProbe', flags.changed('probe-liveness') ? flags.string('probe-liveness') : undefined, flags.changed('probe-liveness-opts') ? flags.string('probe-liveness-opts') : undefined);
  applyProbe(c, 'readinessProbe', flags.changed('probe-readiness') ? flags.string('probe-readiness') : undefined, flags.changed('probe-readiness-opts') ? flags.string('probe-readiness-opts') : undefined);
  applyPodSpecFlags(template, flags);
  applyContainers(template, flags, cwd);
}

/** The pod-spec flags alone, for `knit container add` (container.ts). */
export const resolvePodSpecFlags = resolvePodSpec;

const CONSONANTS = 'bcdfghjklmnpqrstvwxyz';

/** kn's GenerateRevisionName: a Go template with {{.Service}}, {{.Generation}}, {{.Random N}}; prefixed with `NAME-`. */
export function generateRevisionName(template: string, service: Service, random: () => number = Math.random): string {
  const name = service.metadata.name ?? '';
  const generation = (service.metadata.generation ?? 0) + 1;
  const res = template.replace(/\{\{-?\s*([^}]*?)\s*-?\}\}/g, (_m, expr: string) => {
    if (expr === '.Service') return name;
    if (expr === '.Generation') return String(generation);
    const rnd = /^\.Random\s+(\d+)$/.exec(expr);
    if (rnd) {
      let s = '';
      for (let i = 0; i < Number(rnd[1]); i++) s += CONSONANTS[Math.floor(random() * CONSONANTS.length)];
      return s;
    }
    throw new CliError(`template: revisionName:1: unsupported template action {{${expr}}} (use {{.Service}}, {{.Generation}} or {{.Random N}})`);
  });
  if (res === '') return res;
  return res.startsWith(`${name}-`) ? res : `${name}-${res}`;
}

/**
 * Serving's autoscaling.ValidateAnnotations on the annotations a flag sets, done client-side by kn
 * (knative/client pkg/serving/config_changes.go UpdateRevisionTemplateAnnotations: defaults, zero initial scale allowed).
 */
function validateScaleAnnotations(annotations: Record<string, string>): void {
  const config = defaultServingConfig();
  config.autoscaler.allowZeroInitialScale = true;
  const err = validateAutoscalingAnnotations(annotations, config, 'update');
  if (err) throw new CliError(err.error);
}

function validateScaleAnnotation(key: string, value: string): void {
  validateScaleAnnotations({ [key]: value });
}

function setTemplateAnnotation(template: RevisionTemplateSpec, key: string, value: string): void {
  validateScaleAnnotation(key, value);
  template.metadata = template.metadata ?? {};
  template.metadata.annotations = { ...(template.metadata.annotations ?? {}), [key]: value };
}

function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new CliError(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number.parseInt(s, 10);
}

const GO_DURATION = /^[+-]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/;

function updateMap(current: Record<string, string> | undefined, set: Map<string, string>, remove: readonly string[]): Record<string, string> | undefined {
  const out = { ...(current ?? {}) };
  for (const [k, v] of set) out[k] = v;
  for (const k of remove) delete out[k];
  return Object.keys(out).length > 0 ? out : undefined;
}

function applyLabels(service: Service, template: RevisionTemplateSpec, flags: ParsedFlags): void {
  let all = new Map<string, string>();
  prefixError('Invalid --label', () => {
    all = mapFromArrayAllowingSingles(flags.list('label'));
  });
  const update = (meta: { labels?: Record<string, string> }, flagName: string): void => {
    prefixError(`Invalid --${flagName}`, () => {
      let own = new Map<string, string>();
      prefixError('Unable to parse label flags', () => {
        own = mapFromArrayAllowingSingles(flags.list(flagName));
      });
      const merged = new Map([...all, ...own]);
      const remove = parseMinusSuffix(merged);
      const labels = updateMap(meta.labels, merged, remove);
      if (labels) meta.labels = labels;
      else delete meta.labels;
    });
  };
  update(service.metadata, 'label-service');
  template.metadata = template.metadata ?? {};
  update(template.metadata, 'label-revision');
}

function applyAnnotations(service: Service, template: RevisionTemplateSpec, flags: ParsedFlags): void {
  let all = new Map<string, string>();
  let forRevision = new Map<string, string>();
  let forService = new Map<string, string>();
  prefixError('Invalid --annotation', () => (all = mapFromArrayAllowingSingles(flags.list('annotation'))));
  prefixError('Invalid --annotation-revision', () => (forRevision = mapFromArrayAllowingSingles(flags.list('annotation-revision'))));
  prefixError('Invalid --annotation-service', () => (forService = mapFromArrayAllowingSingles(flags.list('annotation-service'))));
  const remove = parseMinusSuffix(all);

  const revisionAnnotations = new Map([...all, ...forRevision]);
  validateScaleAnnotations(Object.fromEntries(revisionAnnotations));
  template.metadata = template.metadata ?? {};
  const ta = updateMap(template.metadata.annotations, revisionAnnotations, remove);
  if (ta) template.metadata.annotations = ta;
  else delete template.metadata.annotations;

  const serviceAnnotations = new Map<string, string>();
  for (const [k, v] of all) if (!k.startsWith(AUTOSCALING)) serviceAnnotations.set(k, v);
  for (const [k, v] of forService) {
    if (k.startsWith(AUTOSCALING)) throw new CliError(`service can not have auto-scaling related annotation: ${k} , please update using '--annotation-revision'`);
    serviceAnnotations.set(k, v);
  }
  const sa = updateMap(service.metadata.annotations, serviceAnnotations, remove);
  if (sa) service.metadata.annotations = sa;
  else delete service.metadata.annotations;
}

function shouldPinToImageDigest(template: RevisionTemplateSpec, flags: ParsedFlags): boolean {
  const userImagePresent = template.metadata?.annotations?.[ANNOTATION.userImage] !== undefined;
  if (!userImagePresent && !flags.changed('lock-to-digest')) return false;
  return flags.bool('lock-to-digest') && anyMutation(flags);
}

/** Replaces the image by the base revision's resolved digest (never for local file:// images, which have none to re-resolve). */
function pinImageToDigest(template: RevisionTemplateSpec, base: Revision | undefined): void {
  if (!base) return;
  const c = container0(template);
  const digest = base.status?.containerStatuses?.[0]?.imageDigest ?? '';
  if (!digest.includes('@') || (c.image ?? '').startsWith('file://')) return;
  if (base.spec?.containers?.[0]?.image !== c.image) return;
  c.image = digest;
}

/** Applies all edit flags to `service` in kn's order (kn's ConfigurationEditFlags.Apply). */
export function applyEditFlags(service: Service, flags: ParsedFlags, opts: EditOptions): void {
  const template = service.spec.template;
  template.metadata = template.metadata ?? {};
  resolvePodSpec(template, flags, opts.cwd);
  const mutation = anyMutation(flags);

  if (flags.changed('revision-name') && opts.command !== 'apply' && flags.string('revision-name') !== '') {
    const name = generateRevisionName(flags.string('revision-name'), service);
    if (mutation) template.metadata.name = name;
  }
  if (mutation && opts.command !== 'apply') {
    const ts = (opts.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    template.metadata.annotations = { ...(template.metadata.annotations ?? {}), [ANNOTATION.updateTimestamp]: ts };
  }
  if (shouldPinToImageDigest(template, flags)) {
    // Remember the image as the user gave it; an image already by digest keeps the stored annotation.
    let image = container0(template).image ?? '';
    const stored = template.metadata.annotations?.[ANNOTATION.userImage];
    if (image.includes('@') && stored !== undefined) image = stored;
    template.metadata.annotations = { ...(template.metadata.annotations ?? {}), [ANNOTATION.userImage]: image };
    if (!flags.changed('image') || opts.command === 'apply') pinImageToDigest(template, opts.baseRevision);
  }
  if (!flags.bool('lock-to-digest') && template.metadata.annotations) {
    delete template.metadata.annotations[ANNOTATION.userImage];
  }

  if (flags.changed('scale-min')) setTemplateAnnotation(template, MIN_SCALE, String(flags.int('scale-min')));
  if (flags.changed('scale-max')) setTemplateAnnotation(template, MAX_SCALE, String(flags.int('scale-max')));
  if (flags.changed('scale')) {
    if (flags.changed('scale-max')) throw new CliError('only --scale or --scale-max can be specified');
    if (flags.changed('scale-min')) throw new CliError('only --scale or --scale-min can be specified');
    const scale = flags.string('scale');
    if (scale.includes('..')) {
      const [min, max] = scale.split('..');
      if (min !== '') setTemplateAnnotation(template, MIN_SCALE, String(atoi(min)));
      if (max !== '') setTemplateAnnotation(template, MAX_SCALE, String(atoi(max)));
    } else if (/^[+-]?\d+$/.test(scale)) {
      setTemplateAnnotation(template, MAX_SCALE, String(atoi(scale)));
      setTemplateAnnotation(template, MIN_SCALE, String(atoi(scale)));
    } else {
      throw new CliError('Scale must be of the format x..y or x');
    }
  }
  if (flags.changed('scale-window') || flags.changed('autoscale-window')) {
    const window = flags.changed('scale-window') ? flags.string('scale-window') : flags.string('autoscale-window');
    if (!GO_DURATION.test(window)) throw new CliError(`invalid duration for 'scale-window': time: invalid duration ${JSON.stringify(window)}`);
    setTemplateAnnotation(template, `${AUTOSCALING}/window`, window);
  }
  if (flags.changed('scale-target') || flags.changed('concurrency-target')) {
    const target = flags.changed('scale-target') ? flags.int('scale-target') : flags.int('concurrency-target');
    setTemplateAnnotation(template, `${AUTOSCALING}/target`, String(target));
  }
  if (flags.changed('scale-metric')) setTemplateAnnotation(template, `${AUTOSCALING}/metric`, flags.string('scale-metric'));
  if (flags.changed('scale-activation')) setTemplateAnnotation(template, `${AUTOSCALING}/activation-scale`, String(flags.int('scale-activation')));
  if (flags.changed('concurrency-limit')) {
    const limit = flags.int('concurrency-limit');
    if (limit < 0) throw new CliError(`invalid concurrency-limit ${limit} (must not be less than 0)`);
    template.spec.containerConcurrency = limit;
  }
  if (flags.changed('scale-utilization') || flags.changed('concurrency-utilization')) {
    const util = flags.changed('scale-utilization') ? flags.int('scale-utilization') : flags.int('concurrency-utilization');
    setTemplateAnnotation(template, `${AUTOSCALING}/target-utilization-percentage`, String(util));
  }
  if (flags.changed('cluster-local') || flags.changed('no-cluster-local')) {
    const labels = { ...(service.metadata.labels ?? {}) };
    if (flags.bool('cluster-local')) labels[LABEL.visibility] = 'cluster-local';
    else delete labels[LABEL.visibility];
    if (Object.keys(labels).length > 0) service.metadata.labels = labels;
    else delete service.metadata.labels;
  }
  if (flags.changed('label') || flags.changed('label-service') || flags.changed('label-revision')) applyLabels(service, template, flags);
  if (flags.changed('annotation') || flags.changed('annotation-service') || flags.changed('annotation-revision')) applyAnnotations(service, template, flags);
  if (flags.changed('scale-init')) {
    if (flags.changed('annotation') && flags.list('annotation').some((a) => a.includes(INITIAL_SCALE))) {
      throw new CliError(`only one of the --scale-init or --annotation ${INITIAL_SCALE} can be specified`);
    }
    setTemplateAnnotation(template, INITIAL_SCALE, String(flags.int('scale-init')));
  }
  if (flags.changed('timeout')) template.spec.timeoutSeconds = flags.int('timeout');
  if (flags.changed('profile')) {
    const { profiles } = loadKnConfig({ configFlag: flags.string('config') || undefined, env: opts.env ?? process.env });
    applyProfile(service, template, flags.string('profile'), profiles, validateScaleAnnotations);
  }
  if (template.metadata.annotations && Object.keys(template.metadata.annotations).length === 0) delete template.metadata.annotations;
  if (Object.keys(template.metadata).length === 0) delete template.metadata;
}
