// `knit domain create|list|describe|update|delete` (kn's domain command group, knative/client pkg/commands/domain).

import type { DomainMapping, KReference } from '../api/domainmapping-lifecycle.ts';
import { DOMAIN_MAPPING_API_VERSION } from '../api/domainmapping-lifecycle.ts';
import { isDNS1123Subdomain } from '../api/name-validation.ts';
import { isConflict } from '../api/status-error.ts';
import type { ObjectList, ServingClient } from './client.ts';
import type { CommandContext } from './command.ts';
import { connect, listNamespaceOf, namespaceOf, nowOf } from './context.ts';
import { CliError } from './errors.ts';
import { printDocument, printerOf } from './output.ts';
import { byNamespaceAndName, PrefixWriter, readyValue, table, writeConditions, writeMetadata } from './printers.ts';
import { DESCRIBE_TABWRITER, TabWriter } from './tabwriter.ts';

/** The collection path of DomainMappings (namespace undefined: all namespaces), or one mapping's path. */
function dmPath(namespace: string | undefined, name?: string): string {
  let p = `/apis/${DOMAIN_MAPPING_API_VERSION}`;
  if (namespace !== undefined) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += '/domainmappings';
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  return p;
}

/** kn's refMappings: the --ref prefixes and what they name. */
const REF_MAPPINGS: Record<string, 'services' | 'routes'> = { ksvc: 'services', kroute: 'routes' };

/** kn's parseType: `NAME`, `PREFIX:NAME` or `PREFIX:NAME:NAMESPACE`. */
function parseRef(ref: string): [prefix: string, name: string, namespace: string] {
  const parts = ref.split(':');
  if (parts.length === 1) return ['ksvc', parts[0], ''];
  if (parts.length >= 3) return [parts[0], parts[1], parts.slice(2).join(':')];
  return [parts[0], parts[1], ''];
}

/** RefFlags.Resolve: reads the referenced Knative Service or Route and references it by its kind and apiVersion. */
async function resolveRef(client: ServingClient, ref: string, namespace: string): Promise<KReference> {
  const [prefix, name, refNamespace] = parseRef(ref);
  const resource = REF_MAPPINGS[prefix];
  if (!resource) throw new CliError(`unsupported sink prefix: '${prefix}'`);
  const ns = refNamespace || namespace;
  const obj = await client.get(resource, ns, name);
  return { kind: obj.kind, apiVersion: obj.apiVersion, name: obj.metadata.name ?? name, namespace: ns };
}

function requireRef(ctx: CommandContext): string {
  const ref = ctx.flags.string('ref');
  if (!ctx.flags.changed('ref') || ref === '') throw new CliError('required flag(s) "ref" not set');
  return ref;
}

/** `knit domain create NAME --ref REF [--tls SECRET]`. */
export async function createCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'knit domain create' requires the domain name given as single argument");
  const name = ctx.args[0];
  const ref = requireRef(ctx);
  const namespace = namespaceOf(ctx);
  const client = connect(ctx);
  const reference = await resolveRef(client, ref, namespace);
  const tls = ctx.flags.string('tls');
  const bad = isDNS1123Subdomain(tls);
  if (tls !== '' && bad.length > 0) throw new CliError(`invalid secret name ${JSON.stringify(tls)}: ${bad[0]}`);
  const dm: DomainMapping = {
    apiVersion: DOMAIN_MAPPING_API_VERSION,
    kind: 'DomainMapping',
    metadata: { name, namespace },
    spec: { ref: reference, ...(tls ? { tls: { secretName: tls } } : {}) },
  };
  await client.call('POST', dmPath(namespace), dm);
  ctx.out.write(`Domain mapping '${name}' created in namespace '${namespace}'.\n`);
}

/** `knit domain update NAME --ref REF`: the new reference, retried on conflicts as kn's UpdateDomainMappingWithRetry. */
export async function updateCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'knit domain update' requires the domain name given as single argument");
  const name = ctx.args[0];
  const ref = requireRef(ctx);
  const namespace = namespaceOf(ctx);
  const client = connect(ctx);
  for (let attempt = 0; ; attempt++) {
    const current = await client.call<DomainMapping>('GET', dmPath(namespace, name));
    if (current.metadata.deletionTimestamp) throw new CliError(`can't update domain mapping '${name}' because it has been marked for deletion`);
    current.spec.ref = await resolveRef(client, ref, namespace);
    try {
      await client.call('PUT', dmPath(namespace, name), current);
      break;
    } catch (err) {
      // config.DefaultRetry: 5 steps.
      if (attempt >= 4 || !isConflict(err)) throw err;
    }
  }
  ctx.out.write(`Domain mapping '${name}' updated in namespace '${namespace}'.\n`);
}

/** `knit domain delete NAME`. */
export async function deleteCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'knit domain delete' requires the domain name given as single argument");
  const name = ctx.args[0];
  const namespace = namespaceOf(ctx);
  await connect(ctx).call('DELETE', dmPath(namespace, name));
  ctx.out.write(`Domain mapping '${name}' deleted in namespace '${namespace}'.\n`);
}

/** kn's DomainMappingListHandlers: `[NAMESPACE] NAME URL READY KSVC`. */
export function printDomainMappingList(items: readonly DomainMapping[], opts: { allNamespaces?: boolean; noHeaders?: boolean }): string {
  const header = ['NAME', 'URL', 'READY', 'KSVC'];
  if (opts.allNamespaces) header.unshift('NAMESPACE');
  const rows = byNamespaceAndName(items).map((dm) => {
    const row = [dm.metadata.name ?? '', dm.status?.url ?? '', readyValue(dm.status?.conditions), dm.spec?.ref?.name ?? ''];
    if (opts.allNamespaces) row.unshift(dm.metadata.namespace ?? '');
    return row;
  });
  return table(header, rows, opts.noHeaders);
}

/** `knit domain list`. */
export async function listCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length > 0) throw new CliError("'knit domain list' accepts no arguments");
  const printer = await printerOf(ctx.flags, ctx.cwd);
  const ns = listNamespaceOf(ctx);
  const list = await connect(ctx).call<ObjectList<DomainMapping>>('GET', dmPath(ns));
  const items = Array.isArray(list.items) ? list.items : [];
  if (printer) {
    const typed = items.map((i) => ({ ...i, apiVersion: i.apiVersion || DOMAIN_MAPPING_API_VERSION, kind: i.kind || 'DomainMapping' }));
    if (printer.format === 'name') {
      ctx.out.write(typed.map((i) => `domainmapping.serving.knative.dev/${i.metadata.name ?? ''}\n`).join(''));
      return;
    }
    ctx.out.write(await printDocument({ apiVersion: DOMAIN_MAPPING_API_VERSION, kind: 'DomainMappingList', metadata: { resourceVersion: list.metadata?.resourceVersion ?? '' }, items: typed }, printer));
    return;
  }
  if (items.length === 0) {
    ctx.out.write('No domain mapping found.\n');
    return;
  }
  ctx.out.write(printDomainMappingList(items, { allNamespaces: ns === undefined, noHeaders: ctx.flags.bool('no-headers') }));
}

/** kn's domain describe layout: metadata, URL, the reference, conditions. */
export function describeDomainMapping(dm: DomainMapping, verbose: boolean, now: number): string {
  const tw = new TabWriter(DESCRIBE_TABWRITER);
  const dw = new PrefixWriter(tw);
  writeMetadata(dw, dm.metadata, verbose, now);
  dw.writeLine();
  dw.writeAttribute('URL', dm.status?.url ?? '');
  dw.writeLine();
  const ref = dw.writeAttribute('Reference', '');
  ref.writeAttribute('APIVersion', dm.spec?.ref?.apiVersion ?? '');
  ref.writeAttribute('Kind', dm.spec?.ref?.kind ?? '');
  ref.writeAttribute('Name', dm.spec?.ref?.name ?? '');
  if (dm.metadata.namespace !== dm.spec?.ref?.namespace) ref.writeAttribute('Namespace', dm.spec?.ref?.namespace ?? '');
  dw.writeLine();
  writeConditions(dw, dm.status?.conditions, verbose, now);
  dw.flush();
  return tw.take();
}

/** `knit domain describe NAME`. */
export async function describeCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'knit domain describe' requires name of the domain mapping as single argument");
  const urlOnly = ctx.flags.changed('output') && ctx.flags.string('output').toLowerCase() === 'url';
  const printer = urlOnly ? undefined : await printerOf(ctx.flags, ctx.cwd);
  const dm = await connect(ctx).call<DomainMapping>('GET', dmPath(namespaceOf(ctx), ctx.args[0]));
  if (urlOnly) {
    ctx.out.write(`${dm.status?.url ?? ''}\n`);
    return;
  }
  if (printer) {
    if (printer.format === 'name') ctx.out.write(`domainmapping.serving.knative.dev/${dm.metadata.name ?? ''}\n`);
    else ctx.out.write(await printDocument({ ...dm, apiVersion: dm.apiVersion || DOMAIN_MAPPING_API_VERSION, kind: 'DomainMapping' }, printer));
    return;
  }
  ctx.out.write(describeDomainMapping(dm, ctx.flags.bool('verbose'), nowOf(ctx)));
}
