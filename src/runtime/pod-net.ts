// The holder of a `file://` pod's network namespace (the role of Kubernetes' pause container): it runs
// inside the namespace, serves the gateway through a listening socket knit opened on the host and
// handed over, and runs the pod's httpGet/tcpSocket/grpc probes from inside. See docs/architecture.md "Pods".

import net from 'node:net';
import type { Probe } from '../api/types.ts';
import { probeOnce } from './probe.ts';

/** Messages from knit to the holder. */
export type PodNetRequest =
  | { type: 'serve'; port: number }
  | { type: 'probe'; id: number; probe: Probe | undefined; port: number; timeoutMs: number };

/** Messages from the holder to knit. */
export type PodNetReply = { type: 'serving' } | { type: 'probe'; id: number; ok: boolean };

/** Relays every connection the host-side `server` accepts to 127.0.0.1:`port` in this namespace. */
function relay(server: net.Server, port: number): void {
  server.on('connection', (outer) => {
    outer.setNoDelay(true);
    const inner = net.connect({ host: '127.0.0.1', port, noDelay: true });
    outer.pipe(inner).pipe(outer);
    // A refused or reset inner connection resets the gateway's, as a closed port would.
    inner.once('error', () => outer.resetAndDestroy());
    outer.once('error', () => inner.destroy());
    inner.once('close', () => outer.destroy());
    outer.once('close', () => inner.destroy());
  });
}

function send(reply: PodNetReply): void {
  process.send?.(reply);
}

function main(): void {
  process.on('message', (m: PodNetRequest, handle?: unknown) => {
    if (m.type === 'serve' && handle instanceof net.Server) {
      relay(handle, m.port);
      send({ type: 'serving' });
    } else if (m.type === 'probe') {
      const target = { host: '127.0.0.1', port: m.port, containerPort: m.port };
      void probeOnce(m.probe, target, m.timeoutMs).then((ok) => send({ type: 'probe', id: m.id, ok }));
    }
  });
  // knit closed the channel (the pod is being removed, or knit is gone): the namespace goes with this process.
  process.on('disconnect', () => process.exit(0));
}

if (process.send) main();
