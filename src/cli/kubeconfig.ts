// `knit kubeconfig [--merge]`: prints the kubeconfig `knit serve` wrote, or merges it into kubectl's own.

import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { resolveDataDir } from './client.ts';
import type { CommandContext } from './command.ts';
import { CliError } from './errors.ts';
import { defaultKubeconfigPath, mergeKubeconfig, writeKubeconfig, type KubeconfigInput } from '../kube/kubeconfig.ts';

/** Reads DATA_DIR/kubeconfig back into what it was written from. */
function readOwn(file: string): { text: string; input: KubeconfigInput } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`no kubeconfig at ${file}: start the server first with: knit serve`);
  }
  const doc = parse(text) as { clusters?: { cluster?: Record<string, string> }[]; users?: { user?: { token?: string } }[] } | null;
  const cluster = doc?.clusters?.[0]?.cluster;
  const token = doc?.users?.[0]?.user?.token;
  if (!cluster?.server || !cluster['certificate-authority-data'] || !token) throw new CliError(`${file} is not a kubeconfig written by knit serve`);
  return { text, input: { server: cluster.server, caPem: Buffer.from(cluster['certificate-authority-data'], 'base64').toString(), token } };
}

export async function kubeconfigCommand(ctx: CommandContext): Promise<void> {
  const dataDir = resolveDataDir(ctx.flags.string('data-dir') || undefined, ctx.env);
  const own = readOwn(path.join(dataDir, 'kubeconfig'));
  if (!ctx.flags.bool('merge')) {
    ctx.out.write(own.text);
    return;
  }
  const target = ctx.flags.string('kubeconfig') || defaultKubeconfigPath(ctx.env);
  let existing = '';
  try {
    existing = fs.readFileSync(target, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot read ${target}: ${(e as Error).message}`);
  }
  let merged: string;
  try {
    merged = mergeKubeconfig(existing, own.input);
  } catch (e) {
    throw new CliError(`cannot merge into ${target}: ${(e as Error).message}`);
  }
  writeKubeconfig(target, merged);
  ctx.out.write(`Merged cluster "knit", user "knit-admin" and context "knit" into ${target}; current context is now "knit".\n`);
}
