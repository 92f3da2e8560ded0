// The kubeconfig knit writes beside its data (DATA_DIR/kubeconfig) and merges into ~/.kube/config on
// request, so kubectl and the Kubernetes client libraries reach knit's API with its CA and token.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';

/** The names knit's entries carry in a kubeconfig. */
export const KUBECONFIG_NAMES = { cluster: 'knit', user: 'knit-admin', context: 'knit' } as const;

export interface KubeconfigInput {
  server: string;
  caPem: string;
  token: string;
  namespace?: string;
}

interface Named {
  name: string;
  [k: string]: unknown;
}

/** A kubeconfig's document (the fields knit reads and writes; others are kept as they are). */
interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  [k: string]: unknown;
}

function entries(input: KubeconfigInput): Required<Pick<KubeconfigDoc, 'clusters' | 'users' | 'contexts'>> {
  const n = KUBECONFIG_NAMES;
  return {
    clusters: [{ name: n.cluster, cluster: { server: input.server, 'certificate-authority-data': Buffer.from(input.caPem).toString('base64') } }],
    users: [{ name: n.user, user: { token: input.token } }],
    contexts: [{ name: n.context, context: { cluster: n.cluster, user: n.user, namespace: input.namespace ?? 'default' } }],
  };
}

/** A kubeconfig with only knit in it, current context `knit`. */
export function kubeconfigYaml(input: KubeconfigInput): string {
  const doc: KubeconfigDoc = { apiVersion: 'v1', kind: 'Config', preferences: {}, ...entries(input), 'current-context': KUBECONFIG_NAMES.context };
  return stringify(doc);
}

function upsert(list: Named[] | undefined, add: Named[]): Named[] {
  const out = (list ?? []).filter((e) => !add.some((a) => a.name === e.name));
  return [...out, ...add];
}

/**
 * Merges knit's cluster, user and context into the kubeconfig text `existing` (replacing entries of the
 * same names, keeping every other one) and makes `knit` the current context, as `kind create cluster` does.
 */
export function mergeKubeconfig(existing: string, input: KubeconfigInput): string {
  const parsed: unknown = existing.trim() ? parse(existing) : {};
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the existing kubeconfig is not a YAML mapping');
  const doc = parsed as KubeconfigDoc;
  const add = entries(input);
  doc.apiVersion ??= 'v1';
  doc.kind ??= 'Config';
  doc.clusters = upsert(doc.clusters, add.clusters);
  doc.users = upsert(doc.users, add.users);
  doc.contexts = upsert(doc.contexts, add.contexts);
  doc['current-context'] = KUBECONFIG_NAMES.context;
  return stringify(doc);
}

/** Where kubectl reads its configuration: the first file of $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? '').split(path.delimiter).find(Boolean);
  return first ?? path.join(env.HOME || os.homedir(), '.kube', 'config');
}

/** Writes `text` to `file` (mode 0600, its directory created) through a temp file and a rename. */
export function writeKubeconfig(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
