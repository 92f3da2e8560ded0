// HTTP client of the knit API (Kubernetes-style REST + watch for serving.knative.dev/v1), used by the CLI.

import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { API_VERSION, type Configuration, type Resource, type Revision, type Route, type Service } from '../api/types.ts';
import { CliError } from './errors.ts';
import { StatusError, type Status } from '../api/status-error.ts';

/** The default API address of `knit serve`. */
export const DEFAULT_SERVER = 'https://127.0.0.1:8081';

/** Objects per REST resource. */
export interface ObjectOf {
  services: Service;
  configurations: Configuration;
  revisions: Revision;
  routes: Route;
}

/** A `…List` response. */
export interface ObjectList<T> {
  kind?: string;
  apiVersion?: string;
  metadata?: { resourceVersion?: string };
  items: T[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WatchOptions extends ListOptions {
  resourceVersion?: string;
}

/** One line of a watch stream. */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK';
  object: T;
}

/** A running watch: `done` settles when the stream ends (or fails); `close()` stops it. */
export interface Watch {
  done: Promise<void>;
  close(): void;
}

/** How to reach the API. */
export interface ClientConfig {
  server: string;
  token?: string;
  /** PEM of knit's CA (DATA_DIR/pki/ca.crt), trusted beside the system's roots for https servers. */
  ca?: string;
  /** A client certificate and key (PEM), from a kubeconfig user. */
  cert?: string;
  key?: string;
  /** A kubeconfig cluster's insecure-skip-tls-verify. */
  insecure?: boolean;
  logHttp?: boolean;
  /** Receives API warnings (`Warning` response headers) and --log-http dumps. */
  stderr?: (text: string) => void;
}

/** Inputs for locating the server: flag values and environment. */
export interface ClientLocation {
  server?: string;
  dataDir?: string;
  logHttp?: boolean;
  env: Record<string, string | undefined>;
  stderr?: (text: string) => void;
}

/** The data directory: --data-dir, else $KNIT_DATA_DIR, else ~/.knit. */
export function resolveDataDir(flag: string | undefined, env: Record<string, string | undefined>): string {
  if (flag) return flag;
  if (env.KNIT_DATA_DIR) return env.KNIT_DATA_DIR;
  return join(env.HOME || homedir(), '.knit');
}

function readTextFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Finds the API: --server, else $KNIT_SERVER, else DATA_DIR/endpoints.json `api`, else the default address. */
export function resolveClientConfig(loc: ClientLocation): ClientConfig {
  const dataDir = resolveDataDir(loc.dataDir, loc.env);
  let server = loc.server || loc.env.KNIT_SERVER;
  if (!server) {
    const endpoints = readTextFile(join(dataDir, 'endpoints.json'));
    if (endpoints) {
      try {
        const parsed = JSON.parse(endpoints) as { api?: unknown };
        if (typeof parsed.api === 'string' && parsed.api) server = parsed.api;
      } catch {
        // A half-written or foreign file: fall back to the default address.
      }
    }
  }
  const token = readTextFile(join(dataDir, 'token'))?.trim();
  const ca = readTextFile(join(dataDir, 'pki', 'ca.crt'));
  return { server: server || DEFAULT_SERVER, token: token || undefined, ca: ca || undefined, logHttp: loc.logHttp, stderr: loc.stderr };
}

interface RawResponse {
  status: number;
  text: string;
}

const MASKED_HEADERS = new Set(['authorization', 'www-authenticate', 'cookie', 'proxy-authorization']);

/** Client of the serving.knative.dev/v1 REST API. */
export class ServingClient {
  readonly server: string;
  private readonly base: URL;
  private readonly config: ClientConfig;
  private readonly warned = new Set<string>();

  constructor(config: ClientConfig) {
    this.config = config;
    this.server = config.server;
    let base: URL;
    try {
      base = new URL(config.server);
    } catch {
      throw new CliError(`invalid server URL '${config.server}': expected https://HOST:PORT`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CliError(`invalid server URL '${config.server}': expected https://HOST:PORT`);
    this.base = base;
  }

  /** Path of a resource collection (namespace undefined = across all namespaces) or of one object. */
  static path(resource: Resource, namespace: string | undefined, name?: string): string {
    let p = `/apis/${API_VERSION}`;
    if (namespace !== undefined) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${resource}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    return p;
  }

  async get<R extends Resource>(resource: R, namespace: string, name: string): Promise<ObjectOf[R]> {
    return this.json<ObjectOf[R]>('GET', ServingClient.path(resource, namespace, name));
  }

  async list<R extends Resource>(resource: R, namespace: string | undefined, opts: ListOptions = {}): Promise<ObjectList<ObjectOf[R]>> {
    const list = await this.json<ObjectList<ObjectOf[R]>>('GET', ServingClient.path(resource, namespace) + query({ ...opts }));
    if (!Array.isArray(list.items)) list.items = [];
    return list;
  }

  async create<R extends Resource>(resource: R, namespace: string, obj: ObjectOf[R]): Promise<ObjectOf[R]> {
    return this.json<ObjectOf[R]>('POST', ServingClient.path(resource, namespace), obj);
  }

  async update<R extends Resource>(resource: R, namespace: string, obj: ObjectOf[R]): Promise<ObjectOf[R]> {
    return this.json<ObjectOf[R]>('PUT', ServingClient.path(resource, namespace, obj.metadata.name ?? ''), obj);
  }

  /** JSON merge patch (RFC 7386). */
  async patch<R extends Resource>(resource: R, namespace: string, name: string, patch: unknown): Promise<ObjectOf[R]> {
    return this.json<ObjectOf[R]>('PATCH', ServingClient.path(resource, namespace, name), patch, 'application/merge-patch+json');
  }

  async delete(resource: Resource, namespace: string, name: string, propagationPolicy?: 'Background' | 'Foreground'): Promise<void> {
    const body = propagationPolicy ? { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy } : undefined;
    await this.json<unknown>('DELETE', ServingClient.path(resource, namespace, name), body);
  }

  /** A JSON request to any API path (kinds outside serving.knative.dev/v1, such as v1beta1 DomainMappings). */
  async call<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    return this.json<T>(method, path, body, contentType);
  }

  /** Streams watch events (newline-delimited JSON) to `onEvent` until the server ends the stream or close(). */
  watch<R extends Resource>(resource: R, namespace: string | undefined, opts: WatchOptions, onEvent: (ev: WatchEvent<ObjectOf[R]>) => void): Watch {
    const params: Record<string, string | undefined> = { watch: 'true', resourceVersion: opts.resourceVersion || undefined, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
    const path = ServingClient.path(resource, namespace) + query(params);
    let closed = false;
    let req: { destroy(): void } | undefined;
    const done = new Promise<void>((resolve, reject) => {
      this.open('GET', path, undefined, undefined)
        .then(({ request, response }) => {
          req = request;
          if (closed) {
            request.destroy();
            resolve();
            return;
          }
          const status = response.statusCode ?? 0;
          if (status >= 300) {
            readAll(response).then((text) => reject(this.toError(status, text)), reject);
            return;
          }
          let buf = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (!line || closed) continue;
              let ev: WatchEvent<ObjectOf[R]>;
              try {
                ev = JSON.parse(line) as WatchEvent<ObjectOf[R]>;
              } catch {
                continue;
              }
              onEvent(ev);
            }
          });
          response.on('end', () => resolve());
          response.on('close', () => resolve());
          response.on('error', (e) => (closed ? resolve() : reject(e)));
        })
        .catch((e: unknown) => (closed ? resolve() : reject(e)));
    });
    return {
      done,
      close: () => {
        closed = true;
        req?.destroy();
      },
    };
  }

  /** Streams a revision's instance logs (`[INSTANCE] line` text) to `out` until the server ends. */
  async streamLog(namespace: string, revision: string, opts: { follow: boolean; tailLines?: number; container?: string }, out: (chunk: string) => void): Promise<void> {
    const params: Record<string, string | undefined> = { follow: opts.follow ? 'true' : undefined, tailLines: opts.tailLines === undefined ? undefined : String(opts.tailLines), container: opts.container };
    const { response } = await this.open('GET', `${ServingClient.path('revisions', namespace, revision)}/log${query(params)}`, undefined, undefined);
    const status = response.statusCode ?? 0;
    if (status >= 300) throw this.toError(status, await readAll(response));
    response.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      response.on('data', (c: string) => out(c));
      response.on('end', resolve);
      response.on('close', resolve);
      response.on('error', reject);
    });
  }

  private async json<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const res = await this.request(method, path, body === undefined ? undefined : JSON.stringify(body), contentType);
    if (res.status >= 300) throw this.toError(res.status, res.text);
    if (!res.text) return undefined as T;
    try {
      return JSON.parse(res.text) as T;
    } catch {
      throw new CliError(`invalid response from the server at ${this.server}: not JSON`);
    }
  }

  /** The StatusError of a failed response; `message` is the Status message, shown to users as is. */
  private toError(status: number, text: string): StatusError {
    let parsed: Status = {};
    try {
      const obj = JSON.parse(text) as Status;
      if (obj && typeof obj === 'object') parsed = obj;
    } catch {
      parsed = { message: text.trim() ? `the server responded with HTTP status ${status}: ${text.trim()}` : undefined };
    }
    return StatusError.fromStatus(parsed, status);
  }

  private async request(method: string, path: string, body: string | undefined, contentType: string | undefined): Promise<RawResponse> {
    const { response } = await this.open(method, path, body, contentType);
    const text = await readAll(response);
    if (this.config.logHttp) this.log(`===== RESPONSE =====\nHTTP/${response.httpVersion} ${response.statusCode} ${response.statusMessage ?? ''}\n${headerLines(response.headers)}\n${text}\n * * * * * *\n`);
    return { status: response.statusCode ?? 0, text };
  }

  private async open(method: string, path: string, body: string | undefined, contentType: string | undefined): Promise<{ request: { destroy(): void }; response: IncomingMessage }> {
    const basePath = this.base.pathname.replace(/\/+$/, '');
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'knit' };
    if (body !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    if (this.config.token) headers.Authorization = `Bearer ${this.config.token}`;
    const options: RequestOptions = {
      method,
      protocol: this.base.protocol,
      hostname: this.base.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.base.port || (this.base.protocol === 'https:' ? 443 : 80),
      path: basePath + path,
      headers,
    };
    if (this.base.protocol === 'https:' && this.config.ca) options.ca = [...rootCertificates, this.config.ca];
    if (this.config.cert && this.config.key) {
      options.cert = this.config.cert;
      options.key = this.config.key;
    }
    if (this.config.insecure) options.rejectUnauthorized = false;
    if (this.config.logHttp) this.log(`===== REQUEST =====\n${method} ${basePath + path} HTTP/1.1\nHost: ${this.base.host}\n${headerLines(headers)}\n${body ?? ''}\n`);
    const mod = this.base.protocol === 'https:' ? await import('node:https') : await import('node:http');
    return new Promise((resolve, reject) => {
      const req = mod.request(options, (response) => {
        this.reportWarnings(response);
        resolve({ request: req, response });
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (this.config.logHttp) this.log(`===== ERROR =====\n${e.message}\n * * * * * *\n`);
        reject(this.connectionError(e));
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  private connectionError(e: NodeJS.ErrnoException): Error {
    const codes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH']);
    if (e.code && codes.has(e.code)) {
      return new CliError(`error connecting to the cluster, please verify connection at: ${this.server}: ${e.message} (is the knit server running? Start it with: knit serve)`);
    }
    return e;
  }

  private reportWarnings(response: IncomingMessage): void {
    const raw = response.headers.warning;
    if (!raw || !this.config.stderr) return;
    for (const text of parseWarnings(raw)) {
      if (this.warned.has(text)) continue;
      this.warned.add(text);
      this.config.stderr(`Warning: ${text}\n`);
    }
  }

  private log(text: string): void {
    this.config.stderr?.(text);
  }
}

/** Extracts the texts of `Warning: 299 - "text"` headers (RFC 7234 warn-text). */
export function parseWarnings(raw: string | string[]): string[] {
  const values = Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  for (const value of values) {
    const re = /\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/g;
    let m: RegExpExecArray | null;
    let any = false;
    while ((m = re.exec(value)) !== null) {
      any = true;
      out.push(m[1].replace(/\\(.)/g, '$1'));
    }
    if (!any && value.trim()) out.push(value.trim());
  }
  return out;
}

function headerLines(headers: Record<string, string | string[] | number | undefined>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${MASKED_HEADERS.has(k.toLowerCase()) ? '********' : Array.isArray(v) ? v.join(', ') : String(v)}`)
    .join('\n');
}

function query(params: Record<string, string | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '');
  if (entries.length === 0) return '';
  return '?' + entries.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

function readAll(stream: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (text += c));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}
