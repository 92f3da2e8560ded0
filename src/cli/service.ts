// `knit service create|update|apply|delete|describe|list|wait|export|import` (kn's service command group);
// create, update, delete, describe and list also work offline on local files with --target (offline.ts).

import { ANNOTATION, LABEL, type Configuration, type Revision, type Service, type TrafficTarget } from '../api/types.ts';
import type { ServingClient } from './client.ts';
import { isConflict, isNotFound } from '../api/status-error.ts';
import type { CommandContext } from './command.ts';
import { connect, listNamespaceOf, namespaceOf, nowOf, waitConfigOf } from './context.ts';
import { progressSeconds } from './duration.ts';
import { deleteEach, deleteObject } from './delete.ts';
import { anyMutation, applyEditFlags, newService, readServiceFile } from './edit.ts';
import { CliError } from './errors.ts';
import { stableStringify, threeWayMergePatch } from './merge-patch.ts';
import { EXPORT_OUTPUT_FORMATS, printDocument, printerOf, printObject, wroteListOrNone } from './output.ts';
import type { OfflineServices } from './offline.ts';
import { describeEvents, type DescribedEvent } from './events.ts';
import { describeService, newRevisionDesc, orderByConfigurationGeneration, printServiceList, type RevisionDesc } from './printers.ts';
import { computeTraffic } from './traffic.ts';
import { simpleMessageCallback, waitForService } from './wait.ts';

const UPDATE_RETRIES = 5;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Read-modify-write with optimistic-concurrency retries (kn's UpdateServiceWithRetry). Returns whether the server
 * bumped the generation, i.e. whether the spec changed.
 */
async function updateServiceWithRetry(client: ServingClient, ns: string, name: string, mutate: (svc: Service) => Promise<Service>): Promise<boolean> {
  return retryOnConflict(async () => {
    const current = await client.get('services', ns, name);
    if (current.metadata.deletionTimestamp) throw new CliError(`can't update service ${name} because it has been marked for deletion`);
    const updated = await mutate(structuredClone(current));
    const result = await client.update('services', ns, updated);
    return result.metadata.generation !== updated.metadata.generation;
  });
}

/** Runs `attempt` again on a 409 Conflict, up to UPDATE_RETRIES times (20 ms, ×1.5 back-off), as kn does. */
async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  let delay = 20;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isConflict(e) || n >= UPDATE_RETRIES) throw e;
      await sleep(delay);
      delay *= 1.5;
    }
  }
}

/** Prints the final `Service 'NAME' … is available at URL:` lines (kn's showUrl). */
async function showUrl(ctx: CommandContext, client: ServingClient, ns: string, name: string, originalRevision: string, what: string): Promise<void> {
  let svc: Service;
  try {
    svc = await client.get('services', ns, name);
  } catch (e) {
    throw new CliError(`cannot fetch service '${name}' in namespace '${ns}' for extracting the URL: ${(e as Error).message}`);
  }
  const url = svc.status?.url ?? '';
  const latest = svc.status?.latestReadyRevisionName ?? '';
  if ((originalRevision !== '' && originalRevision === latest) || originalRevision === 'unchanged') {
    ctx.out.write(`Service '${name}' with latest revision '${latest}' (unchanged) is available at URL:\n${url}\n`);
  } else {
    ctx.out.write(`Service '${name}' ${what} to latest revision '${latest}' is available at URL:\n${url}\n`);
  }
}

/** Waits and prints progress lines ending with `Ready to serve.`. */
async function waitWithProgress(ctx: CommandContext, client: ServingClient, ns: string, name: string): Promise<void> {
  const elapsed = await waitForService(client, ns, name, waitConfigOf(ctx), simpleMessageCallback(ctx.out));
  ctx.out.write(`${progressSeconds(elapsed)} Ready to serve.\n`);
}

async function waitIfRequested(ctx: CommandContext, client: ServingClient, ns: string, name: string, verbDoing: string, verbDone: string): Promise<void> {
  if (!ctx.flags.bool('wait')) {
    ctx.out.write(`Service '${name}' ${verbDone} in namespace '${ns}'.\n`);
    return;
  }
  ctx.out.write(`${verbDoing} service '${name}' in namespace '${ns}':\n\n`);
  await waitWithProgress(ctx, client, ns, name);
  ctx.out.write('\n');
  await showUrl(ctx, client, ns, name, '', verbDone);
}

/** Builds the Service of create/apply from flags or -f FILE (kn's constructService / constructServiceFromFile). */
async function constructService(ctx: CommandContext, name: string, ns: string, command: 'create' | 'apply'): Promise<Service> {
  const file = ctx.flags.string('filename');
  let svc: Service;
  if (file === '') {
    svc = newService(name, ns);
  } else {
    svc = await readServiceFile(file, ctx.cwd);
    const fromFile = svc.metadata.name ?? '';
    if (name === '' && fromFile !== '') {
      // keep the name from the file
    } else if (name !== '' && fromFile === '') {
      svc.metadata.name = name;
    } else if (name !== '' && fromFile !== '') {
      if (name !== fromFile) throw new CliError(`provided service name '${name}' doesn't match name from file '${fromFile}'`);
    } else {
      throw new CliError('no service name provided in command parameter or file');
    }
    svc.metadata.namespace = ns;
  }
  applyEditFlags(svc, ctx.flags, { command, cwd: ctx.cwd, env: ctx.env });
  return svc;
}

async function serviceExists(client: ServingClient, ns: string, name: string): Promise<Service | undefined> {
  try {
    return await client.get('services', ns, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** The offline store when --target is given (kn's gitops client); undefined for the API. */
async function offlineOf(ctx: CommandContext, namespace: string | undefined): Promise<OfflineServices | undefined> {
  const target = ctx.flags.specs.has('target') ? ctx.flags.string('target') : '';
  if (target === '') return undefined;
  const { OfflineServices } = await import('./offline.ts');
  return new OfflineServices(target, namespace, ctx.cwd);
}

/** The creator/lastModifier annotations of the service being replaced carry over to the replacement (kn's --force). */
function keepCreatorAnnotations(replacement: Service, orig: Service | undefined): Service {
  const annotations = { ...(replacement.metadata.annotations ?? {}) };
  for (const key of ['serving.knative.dev/creator', 'serving.knative.dev/lastModifier']) {
    const v = orig?.metadata.annotations?.[key];
    if (v !== undefined) annotations[key] = v;
  }
  if (Object.keys(annotations).length > 0) replacement.metadata.annotations = annotations;
  return replacement;
}

/** `knit service create NAME --image IMAGE`. */
export async function createCommand(ctx: CommandContext): Promise<void> {
  const f = ctx.flags;
  const file = f.string('filename');
  if (ctx.args.length !== 1 && file === '') throw new CliError("'service create' requires the service name given as single argument");
  const name = ctx.args.length === 1 ? ctx.args[0] : '';
  if (f.string('image') === '' && f.string('source') === '' && file === '') throw new CliError("'service create' requires the image name to run provided with the --image option");
  const ns = namespaceOf(ctx);
  const svc = await constructService(ctx, name, ns, 'create');
  const offline = await offlineOf(ctx, ns);
  if (f.changed('tag')) {
    svc.spec.traffic = computeTraffic(svc, { traffic: ['@latest=100'], tags: f.list('tag'), untags: [] }, { setPercentages: true, mutation: anyMutation(f), revisions: [] });
  }
  const svcName = svc.metadata.name ?? '';
  if (offline) {
    // Offline: no server, no waiting; the no-wait messages.
    const existing = offline.exists(svcName);
    if (existing && !f.bool('force')) {
      throw new CliError(`cannot create service '${svcName}' in namespace '${ns}' because the service already exists and no --force option was given`);
    }
    await offline.create(existing ? keepCreatorAnnotations(svc, offline.peek(svcName)) : svc);
    ctx.out.write(`Service '${svcName}' ${existing ? 'replaced' : 'created'} in namespace '${ns}'.\n`);
    return;
  }
  const client = connect(ctx);
  const existing = await serviceExists(client, ns, svcName);
  if (existing && !f.bool('force')) {
    throw new CliError(`cannot create service '${svcName}' in namespace '${ns}' because the service already exists and no --force option was given`);
  }
  if (!existing) {
    await client.create('services', ns, svc);
    await waitIfRequested(ctx, client, ns, svcName, 'Creating', 'created');
    return;
  }
  // --force: replace, keeping only the creator/lastModifier annotations of the existing service.
  const changed = await updateServiceWithRetry(client, ns, svcName, async (orig) => {
    const replacement = keepCreatorAnnotations(structuredClone(svc), orig);
    replacement.metadata.resourceVersion = orig.metadata.resourceVersion;
    replacement.metadata.generation = orig.metadata.generation;
    return replacement;
  });
  if (!changed) {
    ctx.out.write(`Service '${svcName}' replaced in namespace '${ns}' (unchanged).\n`);
    return;
  }
  await waitIfRequested(ctx, client, ns, svcName, 'Replacing', 'replaced');
}

/** kn's GetBaseRevision: the revision whose digest pins the image (named template, else matching latest created). */
async function getBaseRevision(client: ServingClient, ns: string, svc: Service): Promise<Revision | undefined> {
  const template = svc.spec.template;
  try {
    if (template.metadata?.name) return await client.get('revisions', ns, template.metadata.name);
    const latest = svc.status?.latestCreatedRevisionName;
    if (!latest) return undefined;
    const rev = await client.get('revisions', ns, latest);
    if (rev.spec?.containers?.[0]?.image !== template.spec.containers?.[0]?.image) return undefined;
    return rev;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

function imagePinningApplies(ctx: CommandContext, svc: Service): boolean {
  const f = ctx.flags;
  if (f.changed('image') || !f.bool('lock-to-digest') || !anyMutation(f)) return false;
  return svc.spec.template.metadata?.annotations?.[ANNOTATION.userImage] !== undefined || f.changed('lock-to-digest');
}

/** `knit service update NAME`. */
export async function updateCommand(ctx: CommandContext): Promise<void> {
  const f = ctx.flags;
  if (f.count() === 0) throw new CliError('flag(s) not set\nUsage: update NAME');
  if (ctx.args.length !== 1) throw new CliError("'service update' requires the service name given as single argument");
  const name = ctx.args[0];
  const ns = namespaceOf(ctx);
  const trafficChanged = f.changed('traffic') || f.changed('tag') || f.changed('untag');
  const offline = await offlineOf(ctx, ns);
  if (offline) {
    // Offline: traffic is computed from the service's revisions, which files don't have; no image pinning either.
    if (trafficChanged) throw new CliError("--traffic, --tag and --untag can't be used with --target: offline mode has no revisions to compute traffic from");
    const svc = offline.get(name);
    applyEditFlags(svc, f, { command: 'update', cwd: ctx.cwd, env: ctx.env });
    await offline.update(svc);
    ctx.out.write(`Service '${name}' updated in namespace '${ns}'.\n`);
    return;
  }
  const client = connect(ctx);

  let latestBefore = '';
  const changed = await updateServiceWithRetry(client, ns, name, async (svc) => {
    latestBefore = svc.status?.latestReadyRevisionName ?? '';
    let base: Revision | undefined;
    if (imagePinningApplies(ctx, svc)) {
      base = await getBaseRevision(client, ns, svc);
      if (!base) ctx.out.write('Warning: No revision found to update image digest\n');
    }
    applyEditFlags(svc, f, { command: 'update', cwd: ctx.cwd, baseRevision: base, env: ctx.env });
    if (trafficChanged) {
      const revisions = await client.list('revisions', ns, { labelSelector: `${LABEL.service}=${name}` });
      svc.spec.traffic = computeTraffic(
        svc,
        { traffic: f.list('traffic'), tags: f.list('tag'), untags: f.list('untag') },
        { setPercentages: f.changed('traffic'), mutation: anyMutation(f), revisions: revisions.items },
      );
    }
    return svc;
  });

  if (!changed) {
    ctx.out.write(`Service '${name}' updated in namespace '${ns}'.\nNo new revision has been created.\n`);
    return;
  }
  if (!f.bool('wait')) {
    ctx.out.write(`Service '${name}' updated in namespace '${ns}'.\n`);
    return;
  }
  ctx.out.write(`Updating Service '${name}' in namespace '${ns}':\n\n`);
  await waitWithProgress(ctx, client, ns, name);
  ctx.out.write('\n');
  await showUrl(ctx, client, ns, name, latestBefore, 'updated');
}

/** The configuration apply sends, with the last-applied annotation set to its own serialization (kubectl's model). */
function withLastApplied(svc: Service): Service {
  const copy = structuredClone(svc);
  const annotations = { ...(copy.metadata.annotations ?? {}) };
  delete annotations[ANNOTATION.lastApplied];
  if (Object.keys(annotations).length > 0) copy.metadata.annotations = annotations;
  else delete copy.metadata.annotations;
  const serialized = stableStringify(copy);
  copy.metadata.annotations = { ...annotations, [ANNOTATION.lastApplied]: serialized };
  return copy;
}

/** `knit service apply NAME`: create, or three-way merge patch against the last applied configuration. */
export async function applyCommand(ctx: CommandContext): Promise<void> {
  const f = ctx.flags;
  const file = f.string('filename');
  if (ctx.args.length !== 1 && file === '') throw new CliError("'service apply' requires the service name given as single argument");
  if (f.string('image') === '' && file === '') throw new CliError("'service apply' requires the image name to run provided with the --image option");
  const name = ctx.args.length === 1 ? ctx.args[0] : '';
  const ns = namespaceOf(ctx);
  const svc = await constructService(ctx, name, ns, 'apply');
  const svcName = svc.metadata.name ?? '';
  const client = connect(ctx);

  const current = await serviceExists(client, ns, svcName);
  const modified = withLastApplied(svc);
  if (!current) {
    await client.create('services', ns, modified);
    await waitIfRequested(ctx, client, ns, svcName, 'Creating', 'created');
    return;
  }
  const lastApplied = current.metadata.annotations?.[ANNOTATION.lastApplied];
  if (current.metadata.annotations && lastApplied === undefined) {
    ctx.out.write("Warning: 'knit service apply' should be used only for services created by 'knit service apply'\n");
  }
  let original: object | undefined;
  if (lastApplied) {
    try {
      original = JSON.parse(lastApplied) as object;
    } catch {
      original = undefined;
    }
  }
  const patch = threeWayMergePatch(original, modified, current);
  if (Object.keys(patch).length === 0) {
    ctx.out.write(`No changes to apply to service '${svcName}'.\n`);
    await showUrl(ctx, client, ns, svcName, 'unchanged', '');
    return;
  }
  await retryOnConflict(() => client.patch('services', ns, svcName, patch));
  await waitIfRequested(ctx, client, ns, svcName, 'Applying', 'applied');
}

/** Offline delete: the files go (--wait has nothing to wait for); errors are collected like online. */
async function deleteOffline(ctx: CommandContext, offline: OfflineServices, ns: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) {
    ctx.out.write('No services found.\n');
    return;
  }
  await deleteEach(names, (name) => {
    offline.remove(name);
    ctx.out.write(`Service '${name}' successfully deleted in namespace '${ns}'.\n`);
  });
}

/** `knit service delete NAME [NAME ...]` (or --all). */
export async function deleteCommand(ctx: CommandContext): Promise<void> {
  const f = ctx.flags;
  const all = f.bool('all');
  if (ctx.args.length < 1 && !all) throw new CliError("'service delete' requires the service name(s)");
  if (ctx.args.length > 0 && all) throw new CliError("'service delete' with --all flag requires no arguments");
  const ns = namespaceOf(ctx);
  const offline = await offlineOf(ctx, ns);
  if (offline) {
    await deleteOffline(ctx, offline, ns, all ? offline.list().map((s) => s.metadata.name ?? '') : ctx.args);
    return;
  }
  const client = connect(ctx);
  let names = ctx.args;
  if (all) {
    names = (await client.list('services', ns)).items.map((s) => s.metadata.name ?? '');
    if (names.length === 0) {
      ctx.out.write('No services found.\n');
      return;
    }
  }
  await deleteEach(names, async (name) => {
    await deleteObject(ctx, client, 'services', ns, name);
    ctx.out.write(`Service '${name}' successfully deleted in namespace '${ns}'.\n`);
  });
}

async function revisionForTarget(client: ServingClient, ns: string, svc: Service, target: TrafficTarget): Promise<Revision> {
  try {
    let revisionName = target.revisionName ?? '';
    if (revisionName === '') {
      if (!target.configurationName) throw new Error('neither RevisionName nor ConfigurationName set');
      const config = await client.get('configurations', ns, target.configurationName);
      revisionName = config.status?.latestCreatedRevisionName ?? '';
    }
    return await client.get('revisions', ns, revisionName);
  } catch (e) {
    throw new CliError(`cannot extract revision from service ${svc.metadata.name ?? ''}: ${(e as Error).message}`);
  }
}

/** Collects the revisions shown by `service describe` (kn's getRevisionDescriptions). */
export async function getRevisionDescriptions(client: ServingClient, ns: string, svc: Service, verbose: boolean): Promise<RevisionDesc[]> {
  const seen = new Set<string>();
  const descs: RevisionDesc[] = [];
  const targets = svc.status?.traffic ?? [];
  const revisions = await Promise.all(targets.map((t) => revisionForTarget(client, ns, svc, t)));
  targets.forEach((target, i) => {
    seen.add(revisions[i].metadata.name ?? '');
    descs.push(newRevisionDesc(revisions[i], target, svc));
  });
  for (const name of [svc.status?.latestCreatedRevisionName, svc.status?.latestReadyRevisionName]) {
    if (!name || seen.has(name)) continue;
    seen.add(name);
    descs.push(newRevisionDesc(await client.get('revisions', ns, name), undefined, svc));
  }
  if (verbose) {
    const list = await client.list('revisions', ns, { labelSelector: `${LABEL.service}=${svc.metadata.name ?? ''}` });
    for (const rev of list.items) {
      const name = rev.metadata.name ?? '';
      if (seen.has(name)) continue;
      seen.add(name);
      descs.push(newRevisionDesc(rev, undefined, svc));
    }
  }
  return orderByConfigurationGeneration(descs);
}

/** `knit service describe NAME`. */
export async function describeCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'service describe' requires the service name given as single argument");
  const ns = namespaceOf(ctx);
  const urlOnly = ctx.flags.changed('output') && ctx.flags.string('output').toLowerCase() === 'url';
  const printer = urlOnly ? undefined : await printerOf(ctx.flags, ctx.cwd);
  const offline = await offlineOf(ctx, ns);
  const client = offline ? undefined : connect(ctx);
  const svc = client ? await client.get('services', ns, ctx.args[0]) : offline!.get(ctx.args[0]);
  if (urlOnly) {
    ctx.out.write(`${svc.status?.url ?? ''}\n`);
    return;
  }
  if (printer) {
    ctx.out.write(await printObject(svc, 'Service', printer));
    return;
  }
  const verbose = ctx.flags.bool('verbose');
  // Offline there are no revisions to show.
  const descs = client ? await getRevisionDescriptions(client, ns, svc, verbose) : [];
  ctx.out.write(describeService(svc, descs, verbose, nowOf(ctx)));
  // kubectl describe's Events section (kn shows none; docs/differences.md): the Service's own events.
  if (client && ctx.flags.bool('show-events')) {
    const m = svc.metadata;
    const sel = `involvedObject.kind=Service,involvedObject.name=${m.name ?? ''}${m.uid ? `,involvedObject.uid=${m.uid}` : ''}`;
    // As kubectl describe, a server that cannot list events gets no Events section rather than an error.
    const events = await client.events<DescribedEvent>(ns, sel).catch(() => undefined);
    if (events) ctx.out.write(`\n${describeEvents(events, nowOf(ctx))}`);
  }
}

/** `knit service list [NAME]`. */
export async function listCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length > 1) throw new CliError("'knit service list' accepts maximum 1 argument");
  const format = await printerOf(ctx.flags, ctx.cwd);
  const ns = listNamespaceOf(ctx);
  const name = ctx.args[0];
  const offline = await offlineOf(ctx, ns);
  let items: Service[];
  let resourceVersion: string | undefined;
  if (offline) {
    items = sortByNamespaceAndName(offline.list());
  } else {
    const list = await connect(ctx).list('services', ns, name ? { fieldSelector: `metadata.name=${name}` } : {});
    items = list.items;
    resourceVersion = list.metadata?.resourceVersion;
  }
  if (name) items = items.filter((s) => s.metadata.name === name);
  if (await wroteListOrNone(ctx.out, items, 'Service', format, resourceVersion)) return;
  ctx.out.write(printServiceList(items, { allNamespaces: ns === undefined, noHeaders: ctx.flags.bool('no-headers'), now: nowOf(ctx) }));
}

function sortByNamespaceAndName(items: Service[]): Service[] {
  const key = (s: Service): [string, string] => [s.metadata.namespace ?? '', s.metadata.name ?? ''];
  return [...items].sort((a, b) => {
    const [an, aname] = key(a);
    const [bn, bname] = key(b);
    if (an !== bn) return an < bn ? -1 : 1;
    return aname < bname ? -1 : aname > bname ? 1 : 0;
  });
}

/** `knit service wait NAME`. */
export async function waitCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'service wait' requires the service name given as single argument");
  const name = ctx.args[0];
  const ns = namespaceOf(ctx);
  const client = connect(ctx);
  ctx.out.write(`Waiting for Service '${name}' in namespace '${ns}':\n\n`);
  await waitWithProgress(ctx, client, ns, name);
  ctx.out.write(`\nService '${name}' in namespace '${ns}' is ready.\n`);
}

// ---------------------------------------------------------------------------------------------
// export

const IGNORED_SERVICE_ANNOTATIONS = ['serving.knative.dev/creator', 'serving.knative.dev/lastModifier', ANNOTATION.lastApplied];
const IGNORED_REVISION_ANNOTATIONS = ['serving.knative.dev/lastPinned', 'serving.knative.dev/creator', 'serving.knative.dev/routingStateModified', ANNOTATION.updateTimestamp];
const IGNORED_LABELS = [LABEL.configurationUID, LABEL.serviceUID];

function without(m: Record<string, string> | undefined, keys: readonly string[]): Record<string, string> | undefined {
  if (!m) return undefined;
  const out = { ...m };
  for (const k of keys) delete out[k];
  return Object.keys(out).length > 0 ? out : undefined;
}

function compactMeta<T extends Record<string, unknown>>(meta: T): T {
  for (const k of Object.keys(meta)) if (meta[k] === undefined) delete meta[k];
  return meta;
}

export function exportLatestService(svc: Service, withRoutes: boolean): Service {
  const templateMeta = compactMeta({
    ...(svc.spec.template.metadata ?? {}),
    annotations: without(svc.spec.template.metadata?.annotations, IGNORED_REVISION_ANNOTATIONS),
    labels: without(svc.spec.template.metadata?.labels, IGNORED_LABELS),
  });
  const out: Service = {
    apiVersion: svc.apiVersion,
    kind: svc.kind,
    metadata: compactMeta({
      name: svc.metadata.name,
      labels: without(svc.metadata.labels, IGNORED_LABELS),
      annotations: without(svc.metadata.annotations, IGNORED_SERVICE_ANNOTATIONS),
    }),
    spec: { template: { ...(Object.keys(templateMeta).length > 0 ? { metadata: templateMeta } : {}), spec: svc.spec.template.spec } },
  };
  if (withRoutes && svc.spec.traffic) {
    out.spec.traffic = svc.spec.traffic.map((t) => (t.latestRevision ? { ...t, revisionName: svc.status?.latestReadyRevisionName } : { ...t }));
  }
  return out;
}

function exportRevision(rev: Revision): Revision {
  return {
    apiVersion: rev.apiVersion,
    kind: rev.kind,
    metadata: compactMeta({
      name: rev.metadata.name,
      labels: without(rev.metadata.labels, IGNORED_LABELS),
      annotations: without(rev.metadata.annotations, IGNORED_REVISION_ANNOTATIONS),
    }),
    spec: rev.spec,
  };
}

export function serviceFromRevision(svc: Service, rev: Revision): Service {
  const templateMeta = compactMeta({
    ...(svc.spec.template.metadata ?? {}),
    name: rev.metadata.name,
    annotations: without(rev.metadata.annotations, IGNORED_REVISION_ANNOTATIONS),
  });
  return {
    apiVersion: svc.apiVersion,
    kind: svc.kind,
    metadata: compactMeta({ name: svc.metadata.name, labels: svc.metadata.labels, annotations: without(svc.metadata.annotations, IGNORED_SERVICE_ANNOTATIONS) }),
    spec: { template: { metadata: templateMeta, spec: rev.spec } },
  };
}

export async function revisionsToExport(client: ServingClient, ns: string, svc: Service): Promise<{ revisions: Revision[]; routed: Set<string> }> {
  const routed = new Set((svc.spec.traffic ?? []).map((t) => t.revisionName).filter((n): n is string => !!n));
  const list = await client.list('revisions', ns, { labelSelector: `${LABEL.service}=${svc.metadata.name ?? ''}` });
  if (list.items.length === 0) throw new CliError(`no revisions found for the service ${svc.metadata.name ?? ''}`);
  const gen = (r: Revision): number => Number.parseInt(r.metadata.labels?.[LABEL.configurationGeneration] ?? '', 10);
  const revisions = [...list.items].sort((a, b) => {
    const ag = gen(a);
    const bg = gen(b);
    if (Number.isNaN(ag) || Number.isNaN(bg) || ag === bg) return (a.metadata.name ?? '') > (b.metadata.name ?? '') ? -1 : 1;
    return ag - bg;
  });
  return { revisions, routed };
}

/** `knit service export NAME -o json|yaml [--with-revisions] [--mode export|replay]`; --for-cluster: export-cluster.ts. */
export async function exportCommand(ctx: CommandContext): Promise<void> {
  if (ctx.flags.bool('for-cluster')) return (await import('./export-cluster.ts')).exportForCluster(ctx);
  if (ctx.flags.changed('registry')) throw new CliError('--registry applies only with --for-cluster');
  if (ctx.args.length !== 1) throw new CliError("'knit service export' requires name of the service as single argument");
  if (!ctx.flags.changed('output') && ctx.flags.string('template') === '') throw new CliError("'knit service export' requires output format");
  const printer = (await printerOf(ctx.flags, ctx.cwd, EXPORT_OUTPUT_FORMATS))!;
  const ns = namespaceOf(ctx);
  const client = connect(ctx);
  const svc = await client.get('services', ns, ctx.args[0]);
  const withRevisions = ctx.flags.bool('with-revisions');
  const latestTemplateName = svc.spec.template.metadata?.name;
  let doc: object;
  if (ctx.flags.string('mode') === 'replay') {
    if (!withRevisions) {
      doc = exportLatestService(svc, false);
    } else {
      const { revisions, routed } = await revisionsToExport(client, ns, svc);
      const items: Service[] = revisions.filter((r) => routed.has(r.metadata.name ?? '') && r.metadata.name !== latestTemplateName).map((r) => serviceFromRevision(svc, r));
      items.push(exportLatestService(svc, revisions.length > 1));
      doc = { apiVersion: 'v1', kind: 'List', metadata: {}, items };
    }
  } else {
    let exported: Revision[] = [];
    let history = 0;
    if (withRevisions) {
      const { revisions, routed } = await revisionsToExport(client, ns, svc);
      exported = revisions.filter((r) => routed.has(r.metadata.name ?? '') && r.metadata.name !== latestTemplateName).map(exportRevision);
      history = revisions.length;
    }
    const spec: { service: Service; revisions?: Revision[] } = { service: exportLatestService(svc, history > 1) };
    if (exported.length > 0) spec.revisions = exported;
    doc = { apiVersion: 'client.knative.dev/v1alpha1', kind: 'Export', spec };
  }
  ctx.out.write(await printDocument(doc, printer));
}

// ---------------------------------------------------------------------------------------------
// import

/** kn's getConfigurationWithRetry: retry.DefaultBackoff (4 steps, 10ms ×5) while the Configuration is NotFound. */
async function getConfigurationWithRetry(client: ServingClient, ns: string, name: string): Promise<Configuration> {
  let delay = 10;
  for (let step = 1; ; step++) {
    try {
      return await client.get('configurations', ns, name);
    } catch (e) {
      if (!isNotFound(e) || step >= 4) throw e;
      await sleep(delay * (0.9 + Math.random() * 0.2));
      delay *= 5;
    }
  }
}

/** Reads kn's Export document (YAML or JSON) from FILENAME. */
async function readExportFile(file: string, cwd: string): Promise<{ spec?: { service?: Service; revisions?: Revision[] } }> {
  const { readFileSync } = await import('node:fs');
  const { resolve } = await import('node:path');
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CliError(`open ${file}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
  }
  const YAML = await import('yaml');
  let doc: unknown;
  try {
    const first = YAML.parseAllDocuments(text)[0];
    if (first && first.errors.length > 0) throw first.errors[0];
    doc = first?.toJS();
  } catch (e) {
    throw new CliError(`error parsing ${file}: ${(e as Error).message}`);
  }
  return doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as { spec?: { service?: Service; revisions?: Revision[] } }) : {};
}

/**
 * Serving refuses a traffic target that names a revision and follows the latest one; kn's export writes both for
 * @latest targets, so the name is dropped here (the imported template makes that revision the latest again).
 */
function importableTraffic(traffic: TrafficTarget[] | undefined): TrafficTarget[] | undefined {
  return traffic?.map((t) => {
    if (t.latestRevision !== true || !t.revisionName) return t;
    const { revisionName: _drop, ...rest } = t;
    return rest;
  });
}

/**
 * `knit service import FILENAME` (kn's experimental import of its Export format): creates the Service, then each
 * exported revision owned by the Service's Configuration (so the controllers adopt it and routes can reach it).
 */
export async function importCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'knit service import' requires filename of import file as single argument");
  const ns = namespaceOf(ctx);
  const client = connect(ctx);
  const exported = await readExportFile(ctx.args[0], ctx.cwd);
  const service = exported.spec?.service;
  const name = service?.metadata?.name ?? '';
  if (!service || name === '') {
    throw new CliError("provided import file doesn't contain service name, please note that only kn's custom export format is supported");
  }
  if (await serviceExists(client, ns, name)) {
    throw new CliError(`cannot import service '${name}' in namespace '${ns}' because the service already exists`);
  }
  const svc: Service = {
    ...service,
    apiVersion: service.apiVersion || 'serving.knative.dev/v1',
    kind: service.kind || 'Service',
    metadata: { ...service.metadata, namespace: ns },
    spec: { ...service.spec, ...(service.spec?.traffic ? { traffic: importableTraffic(service.spec.traffic) } : {}) },
  };
  await client.create('services', ns, svc);

  const config = await getConfigurationWithRetry(client, ns, name);
  for (const rev of exported.spec?.revisions ?? []) {
    const copy: Revision = structuredClone(rev);
    copy.apiVersion = copy.apiVersion || 'serving.knative.dev/v1';
    copy.kind = copy.kind || 'Revision';
    copy.metadata = {
      ...copy.metadata,
      namespace: ns,
      ownerReferences: [
        { apiVersion: 'serving.knative.dev/v1', kind: 'Configuration', name: config.metadata.name ?? name, uid: config.metadata.uid ?? '', controller: true, blockOwnerDeletion: true },
      ],
    };
    await client.create('revisions', ns, copy);
  }
  await waitIfRequested(ctx, client, ns, name, 'Importing', 'imported');
}
