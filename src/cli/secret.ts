// `knit secret create|delete|list`: kn's secret commands (knative/client pkg/commands/secret), on core/v1 Secrets.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ObjectMeta } from '../api/types.ts';
import type { CommandContext } from './command.ts';
import { connect, namespaceOf } from './context.ts';
import { CliError } from './errors.ts';
import { printDocument, printerOf, sortKeysDeep } from './output.ts';
import { printSecretList } from './printers.ts';

interface Secret {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

const secretsPath = (ns: string, name?: string): string =>
  `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;

/** kn's util.MapFromArray for --from-literal. */
function literals(arr: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of arr) {
    const i = pair.indexOf('=');
    if (i < 0) throw new CliError(`Argument requires a value that contains the "=" character as delimiter; got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, i);
    if (key === '') throw new CliError('The key is empty');
    if (Object.hasOwn(out, key)) throw new CliError(`The key ${JSON.stringify(key)} has been duplicate in [${arr.join(' ')}]`);
    out[key] = pair.slice(i + 1);
  }
  return out;
}

function readFile(file: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`open ${file}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
}

/** `knit secret create NAME [--from-literal k=v,...] [--tls-cert FILE --tls-key FILE] [--type TYPE]`. */
export async function createCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'knit secret create' requires the secret name given as single argument");
  const f = ctx.flags;
  const name = ctx.args[0];
  const namespace = namespaceOf(ctx);
  if (f.changed('from-literal') && (f.changed('tls-cert') || f.changed('tls-key'))) throw new CliError("TLS flags can't be combined with other options");
  if (f.changed('tls-cert') !== f.changed('tls-key')) throw new CliError('both --tls-cert and --tls-key flags are required');
  const secret: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name } };
  const lits = f.list('from-literal');
  if (lits.length > 0) secret.stringData = literals(lits);
  if (f.string('tls-cert') !== '' && f.string('tls-key') !== '') {
    // The keys a kubernetes.io/tls Secret must have (kn writes tls.cert, which the apiserver refuses).
    secret.type = 'kubernetes.io/tls';
    secret.stringData = { 'tls.crt': readFile(f.string('tls-cert'), ctx.cwd), 'tls.key': readFile(f.string('tls-key'), ctx.cwd) };
  }
  if (f.string('type') !== '') secret.type = f.string('type');
  await connect(ctx).call<Secret>('POST', secretsPath(namespace), secret);
  ctx.out.write(`Secret '${name}' created in namespace '${namespace}'.\n`);
}

/** `knit secret delete NAME`: silent on success, as kn is. */
export async function deleteCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'knit secret delete' requires the Secret name given as single argument");
  await connect(ctx).call<unknown>('DELETE', secretsPath(namespaceOf(ctx), ctx.args[0]));
}

/** `knit secret list`: `NAME TYPE`, `No secret found.`, or the SecretList in the -o format. */
export async function listCommand(ctx: CommandContext): Promise<void> {
  const printer = await printerOf(ctx.flags, ctx.cwd);
  const list = await connect(ctx).call<{ metadata?: { resourceVersion?: string }; items?: Secret[] }>('GET', secretsPath(namespaceOf(ctx)));
  const items = (list?.items ?? []).map((s) => ({ apiVersion: 'v1', kind: 'Secret', ...s }));
  if (printer) {
    if (printer.format === 'name') {
      ctx.out.write(items.map((s) => `secret/${s.metadata.name ?? ''}\n`).join(''));
      return;
    }
    const doc = { apiVersion: 'v1', kind: 'SecretList', metadata: { resourceVersion: list?.metadata?.resourceVersion ?? '' }, items };
    ctx.out.write(printer.format === 'json' ? JSON.stringify(sortKeysDeep(doc), null, 4) + '\n' : await printDocument(doc, printer));
    return;
  }
  if (items.length === 0) {
    ctx.out.write('No secret found.\n');
    return;
  }
  ctx.out.write(printSecretList(items, { noHeaders: ctx.flags.bool('no-headers') }));
}
