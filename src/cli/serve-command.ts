// `knit serve`: parses the server flags and hands over to src/serve.ts (loaded only here, on demand).

import type { CommandContext } from './command.ts';
import { resolveDataDir } from './client.ts';
import { CliError } from './errors.ts';
import { TrustedProxies } from '../dataplane/forwarding.ts';

/** What `runServe` of src/serve.ts receives. */
export interface ServeOptions {
  dataDir: string;
  /** HOST:PORT of the external gateway (`:0` picks a free port). */
  http: string;
  /** HOST:PORT of the API server. */
  api: string;
  /** HOST:PORT of the cluster-local gateway. */
  localHttp: string;
  /** HOST:PORT of the HTTPS gateway (DomainMappings with spec.tls); off when omitted. */
  https?: string;
  /** HOST:PORT of the Prometheus metrics listener. */
  metrics?: string;
  domain: string;
  /** Optional YAML configuration file. */
  configFile?: string;
  /** `--trusted-proxies`: comma-separated addresses and CIDR ranges (checked here). */
  trustedProxies?: string;
  /** Optional GPU inventory file (instead of the detected GPUs). */
  gpuInventory?: string;
  /** `--gateway-threads`: worker threads running the gateway (0: on the main thread; default one per core). */
  gatewayThreads?: number;
}

interface ServeModule {
  runServe(opts: ServeOptions): Promise<void>;
}

/** Accepts `HOST:PORT`, `:PORT` and `[IPv6]:PORT` with a port in 0..65535. */
export function checkHostPort(flag: string, value: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]*):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new CliError(`invalid value '${value}' for --${flag}: expected HOST:PORT (e.g. 127.0.0.1:8080, or :0 for a free port)`);
  return value;
}

/** Builds the ServeOptions from flags and environment ($KNIT_DATA_DIR). */
export function serveOptionsOf(ctx: CommandContext): ServeOptions {
  const f = ctx.flags;
  if (ctx.args.length > 0) throw new CliError(`'knit serve' accepts no arguments, got '${ctx.args[0]}'`);
  const domain = f.string('domain');
  if (!/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(domain)) throw new CliError(`invalid value '${domain}' for --domain: expected a DNS domain such as example.com`);
  const opts: ServeOptions = {
    dataDir: resolveDataDir(f.string('data-dir') || undefined, ctx.env),
    http: checkHostPort('http', f.string('http')),
    api: checkHostPort('api', f.string('api')),
    localHttp: checkHostPort('local-http', f.string('local-http')),
    domain,
  };
  if (f.string('metrics')) opts.metrics = checkHostPort('metrics', f.string('metrics'));
  if (f.string('config')) opts.configFile = f.string('config');
  const trusted = f.string('trusted-proxies');
  if (trusted) {
    try {
      TrustedProxies.parse(trusted);
    } catch (err) {
      throw new CliError(`invalid value '${trusted}' for --trusted-proxies: ${(err as Error).message}`);
    }
    opts.trustedProxies = trusted;
  }
  if (f.string('https')) opts.https = checkHostPort('https', f.string('https'));
  if (f.string('gpu-inventory')) opts.gpuInventory = f.string('gpu-inventory');
  const threads = f.string('gateway-threads');
  if (threads) {
    if (!/^\d{1,3}$/.test(threads)) throw new CliError(`invalid value '${threads}' for --gateway-threads: expected a number of threads from 0 to 999 (0: the gateway on the main thread)`);
    opts.gatewayThreads = Number(threads);
  }
  return opts;
}

/** `knit serve`: runs until SIGINT/SIGTERM. */
export async function serveCommand(ctx: CommandContext): Promise<void> {
  const opts = serveOptionsOf(ctx);
  // A computed specifier keeps the CLI independent of the server at type-check and load time.
  const specifier = new URL('../serve.ts', import.meta.url).href;
  const mod = (await import(specifier)) as ServeModule;
  await mod.runServe(opts);
}
