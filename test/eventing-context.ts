// What the Eventing controller tests share: a simulated clock, an EventingContext over a real store
// (Serving's ports refuse use: the source controllers under test must not need them), and a real sink.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Store } from '../src/store/store.ts';
import { StoredEventRecorder } from '../src/controllers/stored-events.ts';
import { RoutingTable } from '../src/dataplane/routing.ts';
import type { EventingContext } from '../src/eventing/manager.ts';
import { parseEvents, type EventRecord } from '../src/eventing/cloudevents.ts';
import type { Timers } from '../src/eventing/sources/timers.ts';

/** A clock that moves only when told, firing due timers in time order. */
export class SimulatedClock implements Timers {
  private t: number;
  private timers: { at: number; fn: () => void }[] = [];
  constructor(start: string) {
    this.t = Date.parse(start);
  }
  now(): Date {
    return new Date(this.t);
  }
  at(at: Date, fn: () => void): () => void {
    const entry = { at: at.getTime(), fn };
    this.timers.push(entry);
    return () => {
      this.timers = this.timers.filter((e) => e !== entry);
    };
  }
  get pending(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      const due = this.timers.filter((e) => e.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((e) => e !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = target;
  }
}

/** Parts a Serving-only reconciler would use; the source controllers never call them. */
function unused(what: string): never {
  throw new Error(`${what} is not part of this test`);
}

export function eventingContext(store: Store, clock: { now(): Date }, dataDir: string, extra: Partial<EventingContext> = {}): EventingContext {
  return {
    store,
    events: new StoredEventRecorder(store),
    now: () => clock.now(),
    table: new RoutingTable(),
    instances: { has: () => false, ensure: () => unused('instances'), status: () => undefined, remove: async () => unused('instances'), runtimeFor: () => unused('instances'), onChange: () => {}, onActivate: () => {} },
    autoscaler: { start() {}, stop() {}, ensure: () => unused('autoscaler'), remove: () => unused('autoscaler'), state: () => undefined, poke() {}, readyChanged() {}, onChange: () => {} },
    settings: { domain: 'example.com', domainTemplate: '{{.Name}}.{{.Namespace}}.{{.Domain}}', tagTemplate: '{{.Tag}}-{{.Name}}', clusterDomain: 'cluster.local', progressDeadlineSeconds: 600, initialScale: 1, rolloutDurationSeconds: 0, tagHeaderBasedRouting: false },
    dataDir,
    localGateway: () => undefined,
    hostRouted: () => false,
    serveLocal: () => unused('the cluster-local gateway'),
    ...extra,
  };
}

export async function sink(t: { after(fn: () => unknown): void }): Promise<{ url: string; events: EventRecord[] }> {
  const events: EventRecord[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      events.push(...parseEvents(req.headers, Buffer.concat(chunks)));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, events };
}
