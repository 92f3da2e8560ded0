// The steps `service delete` and `revision delete` share: every name in turn, and one object's deletion.
// As kn's (knative/client pkg/commands/service/delete.go and pkg/commands/revision/delete.go).

import type { ServingClient } from './client.ts';
import type { CommandContext } from './command.ts';
import { CliError } from './errors.ts';
import { waitForDeletion } from './wait.ts';

/** Runs deleteOne for every name, going on after a failure; the failures' messages make one error. */
export async function deleteEach(names: readonly string[], deleteOne: (name: string) => void | Promise<void>): Promise<void> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      await deleteOne(name);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length > 0) throw new CliError('Error: ' + errors.join('\nError: '));
}

/**
 * Deletes one service or revision, refusing one already marked for deletion; with --wait the deletion
 * is in the foreground and waited for (--wait-timeout seconds); knative/client-pkg pkg/serving/v1/client.go
 * DeleteService and DeleteRevision.
 */
export async function deleteObject(ctx: CommandContext, client: ServingClient, resource: 'services' | 'revisions', ns: string, name: string): Promise<void> {
  const kind = resource === 'services' ? 'service' : 'revision';
  const obj = await client.get(resource, ns, name);
  if (obj.metadata.deletionTimestamp) throw new CliError(`can't delete ${kind} '${name}' because it has been already marked for deletion`);
  if (ctx.flags.bool('wait')) {
    await client.delete(resource, ns, name, 'Foreground');
    await waitForDeletion(client, resource, kind, ns, name, obj.metadata.resourceVersion ?? '', ctx.flags.int('wait-timeout'));
  } else {
    await client.delete(resource, ns, name, 'Background');
  }
}
