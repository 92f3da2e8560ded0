// The brokers' durable queue: one SQLite row per (event, trigger) delivery, in DATA_DIR/eventing.db (WAL),
// with its attempt count and next-attempt time, so a crash loses no accepted event and retries resume after
// a restart. Writes are grouped: everything asked for in one turn of the event loop is one transaction, and
// an ingress request is answered only once the transaction holding its rows has committed.

import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { EventRecord } from './cloudevents.ts';

/** Who a queued delivery goes to: the trigger's subscriber, or (after the retries) the dead-letter sink. */
export const PHASE_SUBSCRIBER = 0;
export const PHASE_DEAD_LETTER = 1;

/** One queued delivery of one event to one trigger. */
export interface Delivery {
  id: number;
  /** `namespace/name` of the broker the event was sent to. */
  broker: string;
  /** `namespace/name` and uid of the trigger (a trigger re-created under the same name does not inherit it). */
  trigger: string;
  triggerUid: string;
  event: EventRecord;
  /** knativebrokerttl of the event as the broker holds it (a reply gets it minus one). */
  ttl: number;
  phase: number;
  /** Attempts already made in this phase. */
  attempts: number;
  /** Epoch milliseconds of the next attempt. */
  nextAt: number;
}

export type NewDelivery = Omit<Delivery, 'id' | 'attempts' | 'phase'> & { phase?: number };

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    broker TEXT NOT NULL,
    trigger TEXT NOT NULL,
    trigger_uid TEXT NOT NULL,
    event TEXT NOT NULL,
    ttl INTEGER NOT NULL,
    phase INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL
  );
`;

/**
 * WAL checkpoints (the only fsyncs in WAL mode with synchronous NORMAL) run on this period instead of SQLite's
 * every-1000-pages default, which at a thousand events a second meant several fsyncs a second. They run on the
 * writer's connection: only there does the next write transaction restart the WAL from its start (a checkpointer
 * on another connection, racing a busy writer, never lets it restart, and the file grows without bound).
 */
const CHECKPOINT_MS = 1_000;

/** Acks of one flush are deleted this many ids per statement; new rows are inserted this many per statement. */
const ACK_CHUNK = 64;
const INSERT_CHUNK = 32;

type Op = { kind: 'insert'; rows: NewDelivery[]; done: (err: Error | undefined, ids: Delivery[]) => void } | { kind: 'ack'; id: number } | { kind: 'retry'; d: Delivery };

/** The durable queue file. */
export class DeliveryQueue {
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
  private readonly insertMany: StatementSync;
  private readonly remove: StatementSync;
  private readonly removeMany: StatementSync;
  private readonly update: StatementSync;
  private ops: Op[] = [];
  private scheduled = false;
  private closed = false;
  /** A transaction was committed since the last checkpoint. */
  private written = false;
  private readonly checkpointer: NodeJS.Timeout;

  constructor(file: string) {
    this.db = new DatabaseSync(file);
    // The store's discipline (src/store/store.ts): WAL, synchronous NORMAL — a commit survives a crash of knit.
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 16777216;');
    this.db.exec(SCHEMA);
    // No secondary indexes: every row write would touch their pages too; the drops that would use them are rare.
    this.db.exec('DROP INDEX IF EXISTS deliveries_broker; DROP INDEX IF EXISTS deliveries_trigger;');
    // Only after a write of this process: a checkpoint is an fsync even when it has little to copy (one measured
    // 90 ms on this machine's disk while a knit restart brought back dozens of instances, on the main thread).
    this.checkpointer = setInterval(() => {
      if (this.closed || !this.written) return;
      this.written = false;
      this.db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    }, CHECKPOINT_MS).unref();
    this.insert = this.db.prepare('INSERT INTO deliveries (broker, trigger, trigger_uid, event, ttl, phase, attempts, next_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)');
    this.insertMany = this.db.prepare(`INSERT INTO deliveries (broker, trigger, trigger_uid, event, ttl, phase, attempts, next_at) VALUES ${new Array(INSERT_CHUNK).fill('(?, ?, ?, ?, ?, ?, 0, ?)').join(', ')} RETURNING id`);
    this.remove = this.db.prepare('DELETE FROM deliveries WHERE id = ?');
    this.removeMany = this.db.prepare(`DELETE FROM deliveries WHERE id IN (${new Array(ACK_CHUNK).fill('?').join(',')})`);
    this.update = this.db.prepare('UPDATE deliveries SET event = ?, phase = ?, attempts = ?, next_at = ? WHERE id = ?');
  }

  /** Every queued delivery (at start: what a previous run left). */
  all(): Delivery[] {
    const rows = this.db.prepare('SELECT id, broker, trigger, trigger_uid, event, ttl, phase, attempts, next_at FROM deliveries ORDER BY id').all() as Record<string, string | number>[];
    return rows.map((r) => ({
      id: Number(r.id),
      broker: String(r.broker),
      trigger: String(r.trigger),
      triggerUid: String(r.trigger_uid),
      event: JSON.parse(String(r.event)) as EventRecord,
      ttl: Number(r.ttl),
      phase: Number(r.phase),
      attempts: Number(r.attempts),
      nextAt: Number(r.next_at),
    }));
  }

  /** Stores `rows`; `done` runs once they are committed (an ingress answers 202 then), with the stored deliveries. */
  append(rows: NewDelivery[], done: (err: Error | undefined, stored: Delivery[]) => void): void {
    this.push({ kind: 'insert', rows, done });
  }

  /** The delivery is finished (delivered, dead-lettered or dropped). */
  ack(id: number): void {
    this.push({ kind: 'ack', id });
  }

  /** Records an attempt: new phase, attempt count, next-attempt time and event (the dead-letter extensions). */
  reschedule(d: Delivery): void {
    this.push({ kind: 'retry', d });
  }

  /** Drops every delivery of a broker (`ns/name`) or of a trigger; returns how many rows went. */
  dropBroker(key: string): number {
    this.flush();
    this.written = true;
    return Number(this.db.prepare('DELETE FROM deliveries WHERE broker = ?').run(key).changes);
  }

  dropTrigger(key: string, uid?: string): number {
    this.flush();
    this.written = true;
    const r = uid === undefined ? this.db.prepare('DELETE FROM deliveries WHERE trigger = ?').run(key) : this.db.prepare('DELETE FROM deliveries WHERE trigger = ? AND trigger_uid != ?').run(key, uid);
    return Number(r.changes);
  }

  /** Rows in the file (tests, metrics). */
  count(): number {
    this.flush();
    return Number((this.db.prepare('SELECT count(*) AS n FROM deliveries').get() as { n: number }).n);
  }

  private push(op: Op): void {
    if (this.closed) {
      if (op.kind === 'insert') op.done(new Error('the eventing queue is closed'), []);
      return;
    }
    this.ops.push(op);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Commits everything asked for since the last flush in one transaction. */
  flush(): void {
    this.scheduled = false;
    const ops = this.ops;
    if (ops.length === 0) return;
    this.ops = [];
    const stored: Delivery[][] = [];
    const acks: number[] = [];
    const fresh: Delivery[] = [];
    let failure: Error | undefined;
    try {
      this.db.exec('BEGIN');
      for (const op of ops) {
        if (op.kind === 'insert') {
          const out: Delivery[] = op.rows.map((r) => ({ ...r, phase: r.phase ?? PHASE_SUBSCRIBER, id: 0, attempts: 0 }));
          for (const d of out) fresh.push(d);
          stored.push(out);
        } else if (op.kind === 'ack') {
          acks.push(op.id);
        } else {
          this.update.run(JSON.stringify(op.d.event), op.d.phase, op.d.attempts, op.d.nextAt, op.d.id);
        }
      }
      this.insertRows(fresh);
      let i = 0;
      for (; i + ACK_CHUNK <= acks.length; i += ACK_CHUNK) this.removeMany.run(...acks.slice(i, i + ACK_CHUNK));
      for (; i < acks.length; i++) this.remove.run(acks[i]);
      this.db.exec('COMMIT');
      this.written = true;
    } catch (err) {
      failure = err as Error;
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // no transaction open
      }
    }
    let i = 0;
    for (const op of ops) if (op.kind === 'insert') op.done(failure, failure ? [] : stored[i++]);
  }

  /** Inserts `rows` (INSERT_CHUNK per statement) and sets their ids. */
  private insertRows(rows: Delivery[]): void {
    const params = (d: Delivery): (string | number)[] => [d.broker, d.trigger, d.triggerUid, JSON.stringify(d.event), d.ttl, d.phase, d.nextAt];
    let i = 0;
    for (; i + INSERT_CHUNK <= rows.length; i += INSERT_CHUNK) {
      const chunk = rows.slice(i, i + INSERT_CHUNK);
      // RETURNING's order is unspecified; new rowids (no AUTOINCREMENT, one writer) rise in insertion order.
      const ids = (this.insertMany.all(...chunk.flatMap(params)) as { id: number }[]).map((r) => Number(r.id)).sort((a, b) => a - b);
      for (let j = 0; j < chunk.length; j++) chunk[j].id = ids[j];
    }
    for (; i < rows.length; i++) rows[i].id = Number(this.insert.run(...params(rows[i])).lastInsertRowid);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    clearInterval(this.checkpointer);
    this.closed = true;
    this.db.close();
  }
}
