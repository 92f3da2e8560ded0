// kn's global --kubeconfig/--context/--cluster: the API server, credentials and default namespace from a
// kubeconfig, loaded as client-go's clientcmd does (k8s.io/client-go tools/clientcmd loader.go, client_config.go).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import type { ClientConfig } from './client.ts';
import { CliError } from './errors.ts';

/** Where and as whom to talk to the API, from one kubeconfig context. */
export interface KubeTarget extends Pick<ClientConfig, 'server' | 'token' | 'ca' | 'cert' | 'key' | 'insecure'> {
  /** The context's namespace, else `default`. */
  namespace: string;
  context: string;
}

type Entry = Record<string, unknown>;

interface LoadedFile {
  file: string;
  doc: Entry;
}

function isMap(v: unknown): v is Entry {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function readDoc(file: string, explicit: boolean): LoadedFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      // clientcmd ClientConfigLoadingRules.Load: an explicit file must exist; missing $KUBECONFIG entries are skipped.
      if (explicit) throw new CliError(`stat ${file}: no such file or directory`);
      return undefined;
    }
    throw new CliError(`error loading config file "${file}": ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = text.trim() === '' ? {} : parse(text);
  } catch (e) {
    throw new CliError(`error loading config file "${file}": ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isMap(doc)) throw new CliError(`error loading config file "${file}": not a kubeconfig mapping`);
  return { file, doc };
}

/** clientcmd's precedence: --kubeconfig alone, else every file of $KUBECONFIG, else ~/.kube/config. */
function loadFiles(explicit: string | undefined, env: Record<string, string | undefined>): LoadedFile[] {
  if (explicit) return [readDoc(explicit, true)!];
  const list = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  const files = list.length > 0 ? list : [path.join(env.HOME || os.homedir(), '.kube', 'config')];
  return [...new Set(files)].map((f) => readDoc(f, false)).filter((f): f is LoadedFile => f !== undefined);
}

/** The named entry of a list (`clusters`, `users`, `contexts`), the first file that has it winning, with its file. */
function named(files: LoadedFile[], list: string, name: string, inner: string): { value: Entry; file: string } | undefined {
  for (const { file, doc } of files) {
    const entries = doc[list];
    if (!Array.isArray(entries)) continue;
    for (const e of entries) {
      if (isMap(e) && e.name === name) return { value: isMap(e[inner]) ? e[inner] : {}, file };
    }
  }
  return undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A `*-data` field (base64) or a file path relative to the kubeconfig that names it. */
function material(entry: Entry, dataKey: string, fileKey: string, file: string): string | undefined {
  const data = str(entry[dataKey]);
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  const ref = str(entry[fileKey]);
  if (!ref) return undefined;
  const p = path.isAbsolute(ref) ? ref : path.join(path.dirname(file), ref);
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw new CliError(`unable to read ${fileKey} ${p}: ${(e as Error).message}`);
  }
}

const invalid = (msg: string): CliError => new CliError(`invalid configuration: ${msg}`);

/** Resolves the kubeconfig context to use into a server, credentials and namespace. */
export function loadKubeTarget(opts: { kubeconfig?: string; context?: string; cluster?: string; env: Record<string, string | undefined> }): KubeTarget {
  const files = loadFiles(opts.kubeconfig, opts.env);
  const current = files.map((f) => str(f.doc['current-context'])).find(Boolean) ?? '';
  const contextName = opts.context || current;
  if (!contextName && !opts.cluster) throw invalid('no configuration has been provided, try setting KUBERNETES_MASTER environment variable');
  let context: Entry = {};
  if (contextName) {
    const found = named(files, 'contexts', contextName, 'context');
    if (!found) throw invalid(`context was not found for specified context: ${contextName}`);
    context = found.value;
  }
  const clusterName = opts.cluster || str(context.cluster);
  const cluster = clusterName ? named(files, 'clusters', clusterName, 'cluster') : undefined;
  const server = str(cluster?.value.server);
  if (!server) throw invalid(clusterName ? `no server found for cluster "${clusterName}"` : 'default cluster has no server defined');
  const target: KubeTarget = { server, namespace: str(context.namespace) || 'default', context: contextName };
  if (cluster!.value['insecure-skip-tls-verify'] === true) target.insecure = true;
  const ca = material(cluster!.value, 'certificate-authority-data', 'certificate-authority', cluster!.file);
  if (ca) target.ca = ca;

  const userName = str(context.user);
  const user = userName ? named(files, 'users', userName, 'user') : undefined;
  if (user) {
    const u = user.value;
    if (isMap(u.exec) || isMap(u['auth-provider'])) {
      throw new CliError(`user "${userName}" of the kubeconfig authenticates with an ${isMap(u.exec) ? 'exec' : 'auth-provider'} plugin, which knit does not run: use a token or a client certificate`);
    }
    if (str(u.username) || str(u.password)) throw new CliError(`user "${userName}" of the kubeconfig uses basic authentication, which knit does not send: use a token or a client certificate`);
    let token = str(u.token);
    if (!token && str(u.tokenFile)) {
      try {
        token = fs.readFileSync(str(u.tokenFile), 'utf8').trim();
      } catch (e) {
        throw new CliError(`unable to read tokenFile ${str(u.tokenFile)}: ${(e as Error).message}`);
      }
    }
    if (token) target.token = token;
    const cert = material(u, 'client-certificate-data', 'client-certificate', user.file);
    const key = material(u, 'client-key-data', 'client-key', user.file);
    if (cert) target.cert = cert;
    if (key) target.key = key;
  }
  return target;
}
