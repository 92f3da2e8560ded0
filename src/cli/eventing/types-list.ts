// The CRDs behind `knit source list-types` and `knit channel list-types`: knit serves no apiextensions API, so
// these are found as kn finds them when it may not list CRDs (knative/client pkg/commands/source/list_types.go
// listBuiltInSourceTypes, pkg/dynamic/lib.go UnstructuredCRDFromGVK): each built-in kind that answers a list.

import type { ServingClient } from '../client.ts';
import { isNotFound } from '../../api/status-error.ts';
import { CliError } from '../errors.ts';
import type { Printer } from '../output.ts';
import { printDocument, sortKeysDeep } from '../output.ts';
import { pathOf } from './common.ts';

/** The fields of a CRD the tables read. */
export interface CrdSummary {
  metadata: { name: string };
  spec: { group: string; version: string; names: { kind: string; plural: string } };
}

/** sources.BuiltInSourcesGVKs and messagingv1.BuiltInChannelGVKs. */
const BUILT_IN: Record<'sources' | 'channels', { group: string; version: string; kind: string }[]> = {
  sources: [
    { group: 'sources.knative.dev', version: 'v1', kind: 'ApiServerSource' },
    { group: 'sources.knative.dev', version: 'v1', kind: 'ContainerSource' },
    { group: 'sources.knative.dev', version: 'v1', kind: 'SinkBinding' },
    { group: 'sources.knative.dev', version: 'v1', kind: 'PingSource' },
  ],
  channels: [{ group: 'messaging.knative.dev', version: 'v1', kind: 'InMemoryChannel' }],
};

/** The built-in kinds of `what` the API serves, as CRD stubs, and their -o rendering. */
export async function listTypes(client: ServingClient, what: 'sources' | 'channels'): Promise<{ items: CrdSummary[]; print(printer: Printer): Promise<string> }> {
  const items: CrdSummary[] = [];
  let lastError: unknown;
  for (const gvk of BUILT_IN[what]) {
    const plural = `${gvk.kind.toLowerCase()}s`;
    try {
      await client.call('GET', `${pathOf({ group: gvk.group, version: gvk.version, plural }, undefined)}?limit=1`);
    } catch (e) {
      lastError = e;
      continue;
    }
    items.push({ metadata: { name: `${plural}.${gvk.group}` }, spec: { group: gvk.group, version: gvk.version, names: { kind: gvk.kind, plural } } });
  }
  if (items.length === 0 && lastError !== undefined && !isNotFound(lastError)) {
    throw lastError;
  }
  items.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  return {
    items,
    async print(printer: Printer): Promise<string> {
      const list = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinitionList', metadata: {}, items };
      if (printer.format === 'name') return items.map((i) => `customresourcedefinition.apiextensions.k8s.io/${i.metadata.name}\n`).join('');
      if (printer.format === 'json') return JSON.stringify(sortKeysDeep(list), null, 4) + '\n';
      return printDocument(list, printer);
    },
  };
}

/** errors.NewInvalidCRD. */
export function invalidCrd(group: string): CliError {
  const name = group.split('.')[0];
  return new CliError(`no or newer Knative ${name.charAt(0).toUpperCase()}${name.slice(1)} API found on the backend, please verify the installation or update the 'knit' client`);
}
