// The channel dispatcher: every InMemoryChannel's host on the cluster-local gateway is answered inside knit
// (EventingContext.serveLocal), as knative/eventing pkg/channel/event_receiver.go EventReceiver.ServeHTTP does
// for the IMC dispatcher: POST to `/` only (405 otherwise, OPTIONS answers the webhook preflight), 404 for an
// unknown channel, 400 for a request that is not a valid CloudEvent, and 202 once the event is durably queued
// for each of the channel's spec.subscribers (the fan-out, knative/eventing pkg/channel/fanout).

import type http from 'node:http';
import type http2 from 'node:http2';
import { InvalidEventError, parseEvents, type EventRecord } from './cloudevents.ts';
import type { ChannelHosts, ChannelSubscriber, InMemoryChannel } from './channel.ts';
import { IMC_RESOURCE, channelHost } from './channel.ts';
import type { StoredObject } from '../store/store.ts';
import type { EventingContext } from './manager.ts';
import { objectKey, splitKey } from '../controllers/names.ts';

/** The largest request body a channel accepts (the broker ingress's cap). */
const MAX_BODY = 8 * 1024 * 1024;

/** Where accepted events go: one durable delivery per (event, subscriber). */
export interface ChannelFanout {
  /** Stores the deliveries; `done` runs once they are committed (the 202), with an error if they were not. */
  accept(channel: { key: string; uid: string }, subscribers: readonly ChannelSubscriber[], events: readonly EventRecord[], done: (err?: Error) => void): void;
  /** The channel is gone: its queued deliveries go too. */
  dropChannel(key: string): void;
  start?(): void;
  stop?(): void | Promise<void>;
}

type Request = http.IncomingMessage | http2.Http2ServerRequest;

function answer(res: http.ServerResponse, status: number, body = '', extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { allow: 'POST, OPTIONS', 'content-length': Buffer.byteLength(body), ...(body ? { 'content-type': 'text/plain; charset=utf-8' } : {}), ...extra });
  res.end(body);
}

/** Serves every IMC's host and hands accepted events to the fan-out. */
export class ChannelDispatcher implements ChannelHosts {
  private readonly ctx: EventingContext;
  private readonly fanout: ChannelFanout;
  /** IMC key → its host and the function that stops serving it. */
  private readonly served = new Map<string, { host: string; remove: () => void }>();
  private started = false;

  constructor(ctx: EventingContext, fanout: ChannelFanout) {
    this.ctx = ctx;
    this.fanout = fanout;
  }

  /** Serves every stored channel's host before the fan-out resumes its queue, so a queued reply to a channel
   * (a Sequence's next step) finds it at once after a restart, before the IMC reconciler has run. */
  start(): void {
    this.started = true;
    for (const imc of this.ctx.store.list<InMemoryChannel & StoredObject>(IMC_RESOURCE)) {
      const ns = imc.metadata.namespace ?? 'default';
      const name = imc.metadata.name ?? '';
      this.serve(objectKey(ns, name), channelHost(name, ns, this.ctx.settings.clusterDomain));
    }
    this.fanout.start?.();
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const { remove } of this.served.values()) remove();
    this.served.clear();
    await this.fanout.stop?.();
  }

  /** Serves `host` for the IMC `key`; false before knit has started the dispatcher. */
  serve(key: string, host: string): boolean {
    if (!this.started) return false;
    const cur = this.served.get(key);
    if (cur?.host === host) return true;
    cur?.remove();
    // The Service's DNS names as a pod resolves them: NAME-kn-channel.NS.svc.CLUSTER_DOMAIN and NAME-kn-channel.NS.svc.
    const handler = (req: Request, res: http.ServerResponse): void => this.handle(key, req, res);
    const short = host.replace(/\.svc\..*$/, '.svc');
    const removers = [this.ctx.serveLocal(host, handler), ...(short !== host ? [this.ctx.serveLocal(short, handler)] : [])];
    this.served.set(key, { host, remove: () => removers.forEach((r) => r()) });
    return true;
  }

  release(key: string): void {
    this.served.get(key)?.remove();
    this.served.delete(key);
    this.fanout.dropChannel(key);
  }

  private handle(key: string, req: Request, res: http.ServerResponse): void {
    if (req.method === 'OPTIONS') {
      req.resume();
      answer(res, 200, '', { 'webhook-allowed-origin': '*', 'webhook-allowed-rate': '*' });
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      answer(res, 405);
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/') {
      req.resume();
      answer(res, 400, 'a channel accepts events at / only\n');
      return;
    }
    const [namespace, name] = splitKey(key);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => answer(res, 400));
    req.on('end', () => {
      if (tooLarge) {
        answer(res, 413, `request body larger than ${MAX_BODY} bytes\n`);
        return;
      }
      let events: EventRecord[];
      try {
        events = parseEvents(req.headers, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      } catch (err) {
        answer(res, err instanceof InvalidEventError ? 400 : 500, `${(err as Error).message}\n`);
        return;
      }
      // The channel as it is now: its subscribers at the time the event is accepted get it.
      const imc = this.ctx.store.peek<InMemoryChannel & { metadata: { uid?: string } }>(IMC_RESOURCE, namespace, name);
      if (!imc) {
        answer(res, 404);
        return;
      }
      this.fanout.accept({ key, uid: imc.metadata.uid ?? '' }, imc.spec.subscribers ?? [], events, (err) => {
        if (err) answer(res, 500, `${err.message}\n`);
        else answer(res, 202);
      });
    });
  }
}
