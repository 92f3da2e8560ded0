// Raw keep-alive HTTP/1.1 connections to one instance for the gateway's fast path: a LIFO pool of
// idle sockets; the request that holds a connection gets its bytes, its drain and its end.

import net from 'node:net';

/** The request currently using an upstream connection. */
export interface UpstreamUser {
  /**
   * Bytes from the instance. `chunk` is a view of a read buffer every upstream connection of this
   * thread shares: it is valid only during the call, so whatever is kept or queued must be copied.
   */
  upstreamData(chunk: Buffer): void;
  /** The connection closed while in use: `err` is undefined for a clean end of stream. */
  upstreamClosed(err: NodeJS.ErrnoException | undefined): void;
  upstreamDrain(): void;
}

/** Idle connections kept per instance (Node's Agent keeps 256 too). */
const MAX_IDLE = 256;

/**
 * The one buffer upstream reads land in (net.connect's `onread`, Node docs "socket.connect(options)"):
 * no ArrayBuffer is allocated and no stream 'data' event emitted per read. Reads are handled one at a
 * time on this thread, and users copy what they keep (UpstreamUser.upstreamData).
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** One TCP connection to an instance. */
export class UpstreamConnection {
  readonly socket: net.Socket;
  readonly pool: UpstreamPool;
  user: UpstreamUser | undefined;
  /** Date.now() after which it must not be reused (the instance's Keep-Alive timeout hint). */
  expiresAt = Infinity;
  private error: NodeJS.ErrnoException | undefined;

  constructor(pool: UpstreamPool) {
    this.pool = pool;
    const s = net.connect({
      host: pool.host,
      port: pool.port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number): boolean => {
          const u = this.user;
          if (u) u.upstreamData(READ_BUFFER.subarray(0, n));
          else s.destroy(); // bytes on an idle HTTP/1.1 connection: it is no longer usable
          return true; // (false would pause the socket; the user pauses it explicitly)
        },
      },
    });
    this.socket = s;
    // Idle pooled connections must not keep knit's process alive on their own.
    s.unref();
    s.on('drain', () => this.user?.upstreamDrain());
    s.on('error', (err: NodeJS.ErrnoException) => {
      this.error ??= err;
    });
    s.on('close', () => {
      pool.forget(this);
      const u = this.user;
      this.user = undefined;
      u?.upstreamClosed(this.error);
    });
  }

  /** Drops the connection without telling its user (the user is the one dropping it). */
  discard(): void {
    this.user = undefined;
    this.socket.destroy();
  }
}

/** The idle and active raw connections to one instance. */
export class UpstreamPool {
  readonly host: string;
  readonly port: number;
  private readonly idle: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private closed = false;

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
  }

  /** An idle connection (most recently used first) or a new one, owned by `user`. */
  acquire(user: UpstreamUser): UpstreamConnection {
    const idle = this.idle;
    while (idle.length > 0) {
      const c = idle.pop()!;
      if (c.socket.destroyed || (c.expiresAt !== Infinity && c.expiresAt <= Date.now())) {
        c.discard();
        continue;
      }
      c.user = user;
      return c;
    }
    const c = new UpstreamConnection(this);
    c.user = user;
    if (this.closed) c.socket.destroy();
    else this.all.add(c);
    return c;
  }

  /** Returns a connection whose last response ended cleanly; `keepAliveMs` is the instance's hint (0: none). */
  release(c: UpstreamConnection, keepAliveMs: number): void {
    c.user = undefined;
    if (this.closed || c.socket.destroyed || this.idle.length >= MAX_IDLE) {
      c.discard();
      return;
    }
    // As Node's Agent does: stop reusing a second before the server's announced idle timeout.
    c.expiresAt = keepAliveMs > 0 ? Date.now() + keepAliveMs - 1000 : Infinity;
    if (c.socket.isPaused()) c.socket.resume();
    this.idle.push(c);
  }

  /** @internal The connection closed. */
  forget(c: UpstreamConnection): void {
    this.all.delete(c);
    const i = this.idle.lastIndexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Closes every connection (the instance left rotation for good). */
  close(): void {
    this.closed = true;
    for (const c of this.all) c.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }
}
