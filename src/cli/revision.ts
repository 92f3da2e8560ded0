// `knit revision list|describe|delete` (kn's revision command group), including --prune and --prune-all.

import { LABEL, type Revision, type Service } from '../api/types.ts';
import type { ListOptions, ServingClient } from './client.ts';
import { isNotFound } from '../api/status-error.ts';
import type { CommandContext } from './command.ts';
import { connect, listNamespaceOf, namespaceOf, nowOf } from './context.ts';
import { CliError } from './errors.ts';
import { printerOf, printObject, wroteListOrNone } from './output.ts';
import { describeRevision, printRevisionList, sortRevisions, trafficAndTagsForRevision, type RevisionRow } from './printers.ts';
import { deleteEach, deleteObject } from './delete.ts';

/** Looks services up once per namespace/name; a missing service means no traffic. */
function serviceLookup(client: ServingClient): (ns: string, name: string) => Promise<Service | undefined> {
  const cache = new Map<string, Promise<Service | undefined>>();
  return (ns, name) => {
    const key = `${ns}/${name}`;
    let p = cache.get(key);
    if (!p) {
      p = client.get('services', ns, name).catch((e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
      cache.set(key, p);
    }
    return p;
  };
}

/** `knit revision list [NAME] [-s SERVICE]`. */
export async function listCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length > 1) throw new CliError(`'knit revision list' accepts maximum 1 argument, not ${ctx.args.length} arguments as given`);
  const format = await printerOf(ctx.flags, ctx.cwd);
  const ns = listNamespaceOf(ctx);
  const client = connect(ctx);
  const opts: ListOptions = {};
  const serviceName = ctx.flags.changed('service') ? ctx.flags.string('service') : undefined;
  if (serviceName !== undefined) {
    await client.get('services', ns ?? namespaceOf(ctx), serviceName);
    opts.labelSelector = `${LABEL.service}=${serviceName}`;
  }
  const name = ctx.args[0];
  if (name) opts.fieldSelector = `metadata.name=${name}`;
  const list = await client.list('revisions', ns, opts);
  let items = list.items;
  if (name) items = items.filter((r) => r.metadata.name === name);
  if (serviceName !== undefined) items = items.filter((r) => r.metadata.labels?.[LABEL.service] === serviceName);
  items = sortRevisions(items);
  if (await wroteListOrNone(ctx.out, items, 'Revision', format, list.metadata?.resourceVersion)) return;
  const lookup = serviceLookup(client);
  const rows: RevisionRow[] = await Promise.all(
    items.map(async (revision) => {
      const svcName = revision.metadata.labels?.[LABEL.service];
      if (!svcName) return { revision, traffic: 0, tags: [] };
      const svc = await lookup(revision.metadata.namespace ?? ns ?? 'default', svcName);
      const { percent, tags } = trafficAndTagsForRevision(revision.metadata.name ?? '', svc);
      return { revision, traffic: percent, tags };
    }),
  );
  ctx.out.write(printRevisionList(rows, { allNamespaces: ns === undefined, noHeaders: ctx.flags.bool('no-headers'), now: nowOf(ctx) }));
}

/** `knit revision describe NAME`. */
export async function describeCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'knit revision describe' requires name of the revision as single argument");
  const ns = namespaceOf(ctx);
  const printer = await printerOf(ctx.flags, ctx.cwd);
  const client = connect(ctx);
  const rev = await client.get('revisions', ns, ctx.args[0]);
  if (printer) {
    ctx.out.write(await printObject(rev, 'Revision', printer));
    return;
  }
  const verbose = ctx.flags.bool('verbose');
  let service: Service | undefined;
  const svcName = rev.metadata.labels?.[LABEL.service];
  if (verbose && svcName) service = await client.get('services', ns, svcName);
  ctx.out.write(describeRevision(rev, service, verbose, nowOf(ctx)));
}

/** Revisions that no route references (routingState label not `active`), in list order. */
async function unreferencedRevisionNames(client: ServingClient, ns: string, serviceName: string | undefined): Promise<string[]> {
  const list = await client.list('revisions', ns, serviceName !== undefined ? { labelSelector: `${LABEL.service}=${serviceName}` } : {});
  const items: Revision[] = serviceName !== undefined ? list.items.filter((r) => r.metadata.labels?.[LABEL.service] === serviceName) : list.items;
  return sortRevisions(items)
    .filter((r) => r.metadata.labels?.[LABEL.routingState] !== 'active')
    .map((r) => r.metadata.name ?? '');
}

/** `knit revision delete NAME [NAME ...]`, `--prune SERVICE`, `--prune-all`. */
export async function deleteCommand(ctx: CommandContext): Promise<void> {
  const f = ctx.flags;
  const prune = f.changed('prune');
  const pruneAll = f.bool('prune-all');
  if (ctx.args.length < 1 && !pruneAll && !prune) throw new CliError("'knit revision delete' requires one or more revision name");
  if (ctx.args.length > 0 && pruneAll) throw new CliError("'knit revision delete' with --prune-all flag requires no arguments");
  const ns = namespaceOf(ctx);
  const client = connect(ctx);
  let names = ctx.args;
  if (prune || pruneAll) {
    names = await unreferencedRevisionNames(client, ns, prune ? f.string('prune') : undefined);
    if (names.length === 0) {
      ctx.out.write('No unreferenced revisions found.\n');
      return;
    }
  }
  await deleteEach(names, async (name) => {
    await deleteObject(ctx, client, 'revisions', ns, name);
    ctx.out.write(`Revision '${name}' deleted in namespace '${ns}'.\n`);
  });
}
