// Human-readable output of knit: list tables and describe layouts, byte-compatible with kn's printers.

import type { Condition, ObjectMeta, Revision, Route, Service, TrafficTarget } from '../api/types.ts';
import { LABEL, ANNOTATION } from '../api/types.ts';
import { describeAge, tableAge } from './duration.ts';
import { DESCRIBE_TABWRITER, TABLE_TABWRITER, TabWriter, tabulate } from './tabwriter.ts';

/** Options shared by the list tables. */
export interface TableOptions {
  allNamespaces?: boolean;
  noHeaders?: boolean;
  /** Epoch milliseconds used for AGE (injected for deterministic output). */
  now: number;
}

// ---------------------------------------------------------------------------------------------
// Condition helpers (kn's commands/human_readable_flags.go)

function readyConditionOf(conditions: readonly Condition[] | undefined): Condition | undefined {
  return (conditions ?? []).find((c) => c.type === 'Ready');
}

/** `N OK / M`: conditions with status True among all. */
export function conditionsValue(conditions: readonly Condition[] | undefined): string {
  const list = conditions ?? [];
  return `${list.filter((c) => c.status === 'True').length} OK / ${list.length}`;
}

/** Status of the Ready condition, `<unknown>` without one. */
export function readyValue(conditions: readonly Condition[] | undefined): string {
  return readyConditionOf(conditions)?.status ?? '<unknown>';
}

/** REASON column: empty when ready, else `Reason : Message` or `Reason`. */
export function nonReadyReason(conditions: readonly Condition[] | undefined): string {
  const ready = readyConditionOf(conditions);
  if (!ready) return '<unknown>';
  if (ready.status === 'True') return '';
  return ready.message ? `${ready.reason ?? ''} : ${ready.message}` : ready.reason ?? '';
}

export function table(header: string[], rows: string[][], noHeaders: boolean | undefined): string {
  let text = noHeaders ? '' : header.join('\t') + '\n';
  for (const row of rows) text += row.join('\t') + '\n';
  return tabulate(text, TABLE_TABWRITER);
}

export function byNamespaceAndName<T extends { metadata: ObjectMeta }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => {
    const an = a.metadata.namespace ?? '';
    const bn = b.metadata.namespace ?? '';
    if (an !== bn) return an < bn ? -1 : 1;
    const a1 = a.metadata.name ?? '';
    const b1 = b.metadata.name ?? '';
    return a1 < b1 ? -1 : a1 > b1 ? 1 : 0;
  });
}

// ---------------------------------------------------------------------------------------------
// Tables

/** `knit service list`: `[NAMESPACE] NAME URL LATEST AGE CONDITIONS READY REASON`, sorted by namespace, name. */
export function printServiceList(services: readonly Service[], opts: TableOptions): string {
  const header = ['NAME', 'URL', 'LATEST', 'AGE', 'CONDITIONS', 'READY', 'REASON'];
  if (opts.allNamespaces) header.unshift('NAMESPACE');
  const rows = byNamespaceAndName(services).map((s) => {
    const conditions = s.status?.conditions;
    const row = [
      s.metadata.name ?? '',
      s.status?.url ?? '',
      s.status?.latestReadyRevisionName ?? '',
      tableAge(s.metadata.creationTimestamp, opts.now),
      conditionsValue(conditions),
      readyValue(conditions),
      nonReadyReason(conditions),
    ];
    if (opts.allNamespaces) row.unshift(s.metadata.namespace ?? '');
    return row;
  });
  return table(header, rows, opts.noHeaders);
}

/** A revision with the traffic share and tags its service routes to it (kn enriches them the same way). */
export interface RevisionRow {
  revision: Revision;
  traffic: number;
  tags: string[];
}

const LIST_COLUMN_MAX_LENGTH = 50;

function trunc(text: string): string {
  return text.length <= LIST_COLUMN_MAX_LENGTH ? text : text.slice(0, LIST_COLUMN_MAX_LENGTH - 4) + ' ...';
}

/** Traffic percent and tags that the service's status routes to a revision (kn's trafficAndTagsForRevision). */
export function trafficAndTagsForRevision(revisionName: string, service: Service | undefined): { percent: number; tags: string[] } {
  let percent = 0;
  const tags: string[] = [];
  for (const t of service?.status?.traffic ?? []) {
    if (t.revisionName !== revisionName) continue;
    percent += t.percent ?? 0;
    if (t.tag) tags.push(t.tag);
  }
  return { percent, tags };
}

function generationOf(rev: Revision): number | undefined {
  const raw = rev.metadata.labels?.[LABEL.configurationGeneration];
  if (raw === undefined || !/^-?\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** kn's revision order: namespace, service label, configuration generation descending, then name. */
export function sortRevisions<T extends Revision>(revisions: readonly T[]): T[] {
  return [...revisions].sort((a, b) => {
    const an = a.metadata.namespace ?? '';
    const bn = b.metadata.namespace ?? '';
    if (an !== bn) return an < bn ? -1 : 1;
    const as = a.metadata.labels?.[LABEL.service] ?? '';
    const bs = b.metadata.labels?.[LABEL.service] ?? '';
    if (as !== bs) return as < bs ? -1 : 1;
    const ag = generationOf(a);
    const bg = generationOf(b);
    const aName = a.metadata.name ?? '';
    const bName = b.metadata.name ?? '';
    if (ag === undefined || bg === undefined || ag === bg) return aName < bName ? -1 : aName > bName ? 1 : 0;
    return bg - ag;
  });
}

/** `knit revision list`: `[NAMESPACE] NAME SERVICE TRAFFIC TAGS GENERATION AGE CONDITIONS READY REASON`. */
export function printRevisionList(rows: readonly RevisionRow[], opts: TableOptions): string {
  const header = ['NAME', 'SERVICE', 'TRAFFIC', 'TAGS', 'GENERATION', 'AGE', 'CONDITIONS', 'READY', 'REASON'];
  if (opts.allNamespaces) header.unshift('NAMESPACE');
  const body = rows.map(({ revision: r, traffic, tags }) => {
    const conditions = r.status?.conditions;
    const row = [
      r.metadata.name ?? '',
      r.metadata.labels?.[LABEL.service] ?? '',
      traffic !== 0 ? `${traffic}%` : '',
      tags.join(','),
      r.metadata.labels?.[LABEL.configurationGeneration] ?? '',
      tableAge(r.metadata.creationTimestamp, opts.now),
      conditionsValue(conditions),
      readyValue(conditions),
      nonReadyReason(conditions),
    ].map(trunc);
    if (opts.allNamespaces) row.unshift(trunc(r.metadata.namespace ?? ''));
    return row;
  });
  return table(header, body, opts.noHeaders);
}

/** `knit route list`: `NAME URL READY`. */
export function printRouteList(routes: readonly Route[], opts: TableOptions): string {
  const rows = byNamespaceAndName(routes).map((r) => [r.metadata.name ?? '', r.status?.url ?? '', readyValue(r.status?.conditions)]);
  return table(['NAME', 'URL', 'READY'], rows, opts.noHeaders);
}

// ---------------------------------------------------------------------------------------------
// Describe: kn's PrefixWriter over a tabwriter (padding 2)

/** Port of kn's printers.PrefixWriter: nested sections indent by 2 spaces (attributes) or a tab column (cols). */
export class PrefixWriter {
  private readonly tw: TabWriter;
  private readonly parent: PrefixWriter | undefined;
  private readonly colIndent: number;
  private readonly spaceIndent: number;

  constructor(tw: TabWriter, parent?: PrefixWriter, colIndent = 0, spaceIndent = 0) {
    this.tw = tw;
    this.parent = parent;
    this.colIndent = colIndent;
    this.spaceIndent = spaceIndent;
  }

  writef(text: string): void {
    const prefixed = '  '.repeat(this.spaceIndent) + '\t'.repeat(this.colIndent) + text;
    if (this.parent) this.parent.writef(prefixed);
    else this.tw.write(prefixed);
  }

  writeCols(...cols: string[]): PrefixWriter {
    this.writef(cols.join('\t'));
    return new PrefixWriter(this.tw, this, 1, 0);
  }

  writeColsLn(...cols: string[]): PrefixWriter {
    const ret = this.writeCols(...cols);
    this.writeLine();
    return ret;
  }

  writeLine(): void {
    this.tw.write('\n');
  }

  writeAttribute(attr: string, value: string): PrefixWriter {
    this.writeColsLn(`${attr}:`, value);
    return new PrefixWriter(this.tw, this, 0, 1);
  }

  flush(): void {
    this.tw.flush();
  }
}

const TRUNCATE_AT = 100;
const BORING_DOMAINS = new Set(['serving.knative.dev', 'client.knative.dev', 'kubectl.kubernetes.io']);

function keyIsBoring(key: string): boolean {
  const parts = key.split('/');
  return parts.length > 1 && BORING_DOMAINS.has(parts[0]);
}

function joinAndTruncate(keys: string[], m: Record<string, string>, width: number): string {
  let ret = '';
  for (const key of keys) {
    ret += `${key}=${m[key]}, `;
    if (ret.length > width) break;
  }
  ret = ret.replace(/[, ]+$/, '');
  return ret.length <= width ? ret : ret.slice(0, width - 4) + ' ...';
}

function writeMapDesc(dw: PrefixWriter, m: Record<string, string> | undefined, label: string, details: boolean): void {
  if (!m) return;
  const keys = Object.keys(m)
    .filter((k) => details || !keyIsBoring(k))
    .sort();
  if (keys.length === 0) return;
  if (details) {
    keys.forEach((key, i) => dw.writeColsLn(i === 0 ? `${label}:` : '', `${key}=${m[key]}`));
    return;
  }
  dw.writeColsLn(`${label}:`, joinAndTruncate(keys, m, TRUNCATE_AT - label.length - 2));
}

export function writeMetadata(dw: PrefixWriter, m: ObjectMeta, details: boolean, now: number): void {
  dw.writeAttribute('Name', m.name ?? '');
  dw.writeAttribute('Namespace', m.namespace ?? '');
  writeMapDesc(dw, m.labels, 'Labels', details);
  writeMapDesc(dw, m.annotations, 'Annotations', details);
  dw.writeAttribute('Age', describeAge(m.creationTimestamp, now));
}

function writeSliceDesc(dw: PrefixWriter, s: string[], label: string, details: boolean): void {
  if (s.length === 0) return;
  if (details) {
    s.forEach((value, i) => dw.writeColsLn(i === 0 ? `${label}:` : '', value));
    return;
  }
  let joined = s.join(', ');
  if (joined.length > TRUNCATE_AT) joined = joined.slice(0, TRUNCATE_AT - 4) + ' ...';
  dw.writeAttribute(label, joined);
}

function formatStatus(c: Condition): string {
  switch (c.status) {
    case 'True':
      return '++';
    case 'False':
      switch (c.severity ?? '') {
        case '':
          return '!!';
        case 'Warning':
          return ' W';
        case 'Info':
          return ' I';
        default:
          return ' !';
      }
    default:
      return '??';
  }
}

function severityRank(s: string | undefined): number {
  switch (s ?? '') {
    case '':
      return 0;
    case 'Warning':
      return 1;
    case 'Info':
      return 2;
    default:
      return 3;
  }
}

/** kn's condition order: Ready first, then by severity (Error, Warning, Info), then by type. */
export function sortConditions(conditions: readonly Condition[]): Condition[] {
  return [...conditions].sort((a, b) => {
    if (a.type === 'Ready') return b.type === 'Ready' ? 0 : -1;
    if (b.type === 'Ready') return 1;
    if ((a.severity ?? '') === (b.severity ?? '')) return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
    return severityRank(a.severity) - severityRank(b.severity);
  });
}

function pad(s: string, width: number): string {
  return s.padEnd(width);
}

export function writeConditions(dw: PrefixWriter, conditions: readonly Condition[] | undefined, printMessage: boolean, now: number): void {
  const section = dw.writeAttribute('Conditions', '');
  const sorted = sortConditions(conditions ?? []);
  const maxLen = Math.max(0, ...sorted.map((c) => c.type.length));
  const row = (ok: string, type: string, age: string, reason: string): string => `${pad(ok, 2)} ${pad(type, maxLen)} ${age.padStart(6)} ${reason}\n`;
  section.writef(row('OK', 'TYPE', 'AGE', 'REASON'));
  for (const c of sorted) {
    let reason = c.reason ?? '';
    if (printMessage && reason !== '') reason = `${reason} (${c.message ?? ''})`;
    section.writef(row(formatStatus(c), c.type, describeAge(c.lastTransitionTime, now), reason));
  }
}

// Revision attribute writers (kn's revision/describe.go)

function firstContainer(rev: Revision) {
  return rev.spec?.containers?.[0];
}

function shortenDigest(digest: string): string {
  const m = /sha256:([0-9a-f]{64})/i.exec(digest);
  return m ? m[1].slice(0, 6) : digest;
}

function writeImage(dw: PrefixWriter, rev: Revision): void {
  const c = firstContainer(rev);
  if (!c) {
    dw.writeAttribute('Image', 'Unknown');
    return;
  }
  let image = c.image ?? '';
  let pinnedDesc = 'at';
  const userImage = rev.metadata.annotations?.[ANNOTATION.userImage] ?? '';
  const digest = rev.status?.containerStatuses?.[0]?.imageDigest ?? '';
  if (userImage !== '' && digest !== '') {
    const parts = image.includes('@') ? image.split('@') : image.split(':');
    if (userImage.startsWith(parts[0])) {
      pinnedDesc = 'pinned to';
      image = userImage;
    }
  }
  if (digest !== '') image = `${image} (${pinnedDesc} ${shortenDigest(digest)})`;
  dw.writeAttribute('Image', image);
}

function writeReplicas(dw: PrefixWriter, rev: Revision): void {
  const actual = rev.status?.actualReplicas;
  const desired = rev.status?.desiredReplicas;
  if (actual !== undefined && actual !== null && desired !== undefined && desired !== null) dw.writeAttribute('Replicas', `${actual}/${desired}`);
}

function writePort(dw: PrefixWriter, rev: Revision): void {
  const port = firstContainer(rev)?.ports?.[0]?.containerPort;
  if (port !== undefined) dw.writeAttribute('Port', String(port));
}

function writeEnv(dw: PrefixWriter, rev: Revision, details: boolean): void {
  const c = firstContainer(rev);
  if (!c) return;
  const env = (c.env ?? []).map((e) => `${e.name}=${e.valueFrom ? '[ref]' : e.value ?? ''}`);
  writeSliceDesc(dw, env, 'Env', details);
}

function writeEnvFrom(dw: PrefixWriter, rev: Revision, details: boolean): void {
  const c = firstContainer(rev);
  if (!c) return;
  const out: string[] = [];
  for (const src of c.envFrom ?? []) {
    if (src.configMapRef) out.push(`cm:${src.configMapRef.name}`);
    if (src.secretRef) out.push(`secret:${src.secretRef.name}`);
  }
  writeSliceDesc(dw, out, 'EnvFrom', details);
}

function annotationInt(rev: Revision, ...keys: string[]): { value?: number; error?: string } {
  for (const key of keys) {
    const raw = rev.metadata.annotations?.[key];
    if (raw === undefined) continue;
    if (!/^-?\d+$/.test(raw.trim())) return { error: `could not parse ${key} annotation value ${JSON.stringify(raw)}` };
    return { value: Number(raw.trim()) };
  }
  return {};
}

function writeScale(dw: PrefixWriter, rev: Revision): void {
  const min = annotationInt(rev, 'autoscaling.knative.dev/min-scale', 'autoscaling.knative.dev/minScale');
  const max = annotationInt(rev, 'autoscaling.knative.dev/max-scale', 'autoscaling.knative.dev/maxScale');
  const error = min.error ?? max.error;
  if (error) {
    dw.writeAttribute('Scale', `Misformatted: ${error}`);
    return;
  }
  if (min.value === undefined && max.value === undefined) return;
  dw.writeAttribute('Scale', `${min.value ?? 0} ... ${max.value ?? '∞'}`);
}

function writeConcurrencyOptions(dw: PrefixWriter, rev: Revision): void {
  const a = rev.metadata.annotations ?? {};
  const targetRaw = a['autoscaling.knative.dev/target'];
  const target = targetRaw !== undefined && !Number.isNaN(Number.parseFloat(targetRaw)) ? Math.trunc(Number.parseFloat(targetRaw)) : undefined;
  const limit = rev.spec?.containerConcurrency;
  const window = a['autoscaling.knative.dev/window'] ?? '';
  const utilRaw = a['autoscaling.knative.dev/target-utilization-percentage'];
  const util = utilRaw !== undefined && !Number.isNaN(Number.parseFloat(utilRaw)) ? Math.trunc(Number.parseFloat(utilRaw)) : undefined;
  if (target === undefined && !limit && window === '' && util === undefined) return;
  const section = dw.writeAttribute('Concurrency', '');
  if (limit) section.writeAttribute('Limit', String(limit));
  if (target !== undefined) section.writeAttribute('Target', String(target));
  if (window !== '') section.writeAttribute('Window', window);
  if (util !== undefined) section.writeAttribute('TargetUtilization', String(util));
}

function isZeroQuantity(q: string | undefined): boolean {
  return q === undefined || q === '' || /^[+]?0*(\.0*)?[a-zA-Z]*$/.test(q);
}

function writeResources(dw: PrefixWriter, rev: Revision): void {
  const c = firstContainer(rev);
  if (!c) return;
  const helper = (label: string, request: string | undefined, limit: string | undefined): void => {
    let value = '';
    if (!isZeroQuantity(request) && !isZeroQuantity(limit)) value = `${request} ... ${limit}`;
    else if (!isZeroQuantity(request)) value = request!;
    else if (!isZeroQuantity(limit)) value = limit!;
    if (value !== '') dw.writeAttribute(label, value);
  };
  helper('Memory', c.resources?.requests?.memory, c.resources?.limits?.memory);
  helper('CPU', c.resources?.requests?.cpu, c.resources?.limits?.cpu);
}

/** A revision as shown in `service describe` (kn's revisionDesc). */
export interface RevisionDesc {
  revision: Revision;
  percent: number;
  tag: string;
  latestTraffic?: boolean;
  configurationGeneration: number;
  latestCreated: boolean;
  latestReady: boolean;
}

/** Builds a RevisionDesc for a revision (optionally reached through a status traffic target). */
export function newRevisionDesc(revision: Revision, target: TrafficTarget | undefined, service: Service): RevisionDesc {
  const gen = generationOf(revision);
  if (gen === undefined) {
    throw new Error(`cannot extract configuration generation for revision ${revision.metadata.name ?? ''}: label ${LABEL.configurationGeneration} missing or invalid`);
  }
  return {
    revision,
    percent: target?.percent ?? 0,
    tag: target?.tag ?? '',
    latestTraffic: target?.latestRevision,
    configurationGeneration: gen,
    latestCreated: revision.metadata.name === service.status?.latestCreatedRevisionName,
    latestReady: revision.metadata.name === service.status?.latestReadyRevisionName,
  };
}

/** Newest first (stable), as kn orders the Revisions section. */
export function orderByConfigurationGeneration(descs: readonly RevisionDesc[]): RevisionDesc[] {
  return [...descs].sort((a, b) => b.configurationGeneration - a.configurationGeneration);
}

/** The bullet in front of a revision: `100%`, `   +`, ` 10!`, `   ?`. */
export function formatBullet(percent: number, status: string): string {
  let symbol = '+';
  if (status === 'True') {
    if (percent > 0) symbol = '%';
  } else if (status === 'False') {
    symbol = '!';
  } else {
    symbol = '?';
  }
  return percent === 0 ? `   ${symbol}` : `${String(percent).padStart(3)}${symbol}`;
}

function revisionHeader(desc: RevisionDesc, now: number): string {
  const name = desc.revision.metadata.name ?? '';
  let header = name;
  if (desc.latestTraffic === true) header = `@latest (${name})`;
  else if (desc.latestReady) header = `${name} (current @latest)`;
  else if (desc.latestCreated) header = `${name} (latest created)`;
  if (desc.tag !== '') header = `${header} #${desc.tag}`;
  return `${header} [${desc.configurationGeneration}] (${describeAge(desc.revision.metadata.creationTimestamp, now)})`;
}

/** `knit service describe NAME` (revisions as collected by the caller). */
export function describeService(service: Service, revisions: readonly RevisionDesc[], verbose: boolean, now: number): string {
  const tw = new TabWriter(DESCRIBE_TABWRITER);
  const dw = new PrefixWriter(tw);
  writeMetadata(dw, service.metadata, verbose, now);
  dw.writeAttribute('URL', service.status?.url ?? '');
  if (verbose && service.status?.address) dw.writeAttribute('Cluster', service.status.address.url ?? '');
  const podSpec = service.spec?.template?.spec;
  if (podSpec?.serviceAccountName) dw.writeAttribute('Service Account', podSpec.serviceAccountName);
  if (podSpec?.imagePullSecrets) dw.writeAttribute('Image Pull Secret', podSpec.imagePullSecrets[0]?.name ?? '');
  dw.writeLine();
  dw.flush();

  const revSection = dw.writeAttribute('Revisions', '');
  dw.flush();
  for (const desc of revisions) {
    const ready = readyConditionOf(desc.revision.status?.conditions) ?? { type: 'Ready', status: 'Unknown' };
    const section = revSection.writeColsLn(formatBullet(desc.percent, ready.status), revisionHeader(desc, now));
    if (ready.status === 'False') section.writeAttribute('Error', ready.reason ?? '');
    writeImage(section, desc.revision);
    writeReplicas(section, desc.revision);
    if (verbose) {
      writePort(section, desc.revision);
      writeEnv(section, desc.revision, verbose);
      writeEnvFrom(section, desc.revision, verbose);
      writeScale(section, desc.revision);
      writeConcurrencyOptions(section, desc.revision);
      writeResources(section, desc.revision);
    }
  }
  dw.writeLine();
  dw.flush();

  writeConditions(dw, service.status?.conditions, verbose, now);
  return tw.take();
}

/** `knit revision describe NAME`; `service` is needed for the verbose Service sub-attributes. */
export function describeRevision(rev: Revision, service: Service | undefined, verbose: boolean, now: number): string {
  const tw = new TabWriter(DESCRIBE_TABWRITER);
  const dw = new PrefixWriter(tw);
  writeMetadata(dw, rev.metadata, verbose, now);
  writeImage(dw, rev);
  writeReplicas(dw, rev);
  writePort(dw, rev);
  writeEnv(dw, rev, verbose);
  writeEnvFrom(dw, rev, verbose);
  writeScale(dw, rev);
  writeConcurrencyOptions(dw, rev);
  writeResources(dw, rev);
  const serviceName = rev.metadata.labels?.[LABEL.service];
  if (serviceName !== undefined) {
    const section = dw.writeAttribute('Service', serviceName);
    if (verbose && service) {
      section.writeAttribute('Configuration Generation', rev.metadata.labels?.[LABEL.configurationGeneration] ?? '');
      section.writeAttribute('Latest Created', String(rev.metadata.name === service.status?.latestCreatedRevisionName));
      section.writeAttribute('Latest Ready', String(rev.metadata.name === service.status?.latestReadyRevisionName));
      const { percent, tags } = trafficAndTagsForRevision(rev.metadata.name ?? '', service);
      if (percent !== 0) section.writeAttribute('Traffic', `${percent}%`);
      if (tags.length > 0) writeSliceDesc(section, tags, 'Tags', verbose);
    }
  }
  dw.writeLine();
  writeConditions(dw, rev.status?.conditions, verbose, now);
  return tw.take();
}

/** `knit route describe NAME`. */
export function describeRoute(route: Route, verbose: boolean, now: number): string {
  const tw = new TabWriter(DESCRIBE_TABWRITER);
  const dw = new PrefixWriter(tw);
  writeMetadata(dw, route.metadata, verbose, now);
  dw.writeAttribute('URL', route.status?.url ?? '');
  let svcName = '';
  for (const owner of route.metadata.ownerReferences ?? []) {
    if (owner.kind === 'Service') svcName = verbose ? `${owner.name} (${owner.apiVersion})` : owner.name;
    dw.writeAttribute('Service', svcName);
  }
  dw.writeLine();
  const trafficSection = dw.writeAttribute('Traffic Targets', '');
  dw.flush();
  for (const t of route.status?.traffic ?? []) {
    let title = t.revisionName ?? '';
    if (t.latestRevision === true) title = `@latest (${t.revisionName ?? ''})`;
    if (t.tag) title = `${title} #${t.tag}`;
    const section = trafficSection.writeColsLn(`${String(t.percent ?? 0).padStart(3)}%`, title);
    if (t.tag) section.writeAttribute('URL', t.url ?? '');
  }
  dw.writeLine();
  writeConditions(dw, route.status?.conditions, verbose, now);
  return tw.take();
}

/** `knit secret list`: `NAME TYPE` (knative/client pkg/commands/secret/list.go SecretListHandlers). */
export function printSecretList(items: readonly { metadata: ObjectMeta; type?: string }[], opts: { noHeaders?: boolean }): string {
  return table(['NAME', 'TYPE'], byNamespaceAndName(items).map((s) => [s.metadata.name ?? '', s.type ?? '']), opts.noHeaders);
}
