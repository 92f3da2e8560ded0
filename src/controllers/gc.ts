// Revision garbage collection: which revisions of a Configuration config-gc lets go, and deleting them with their
// instances and logs (knative/serving pkg/reconciler/gc/gc.go collect, isRevisionActive, isRevisionStale).

import fs from 'node:fs';
import path from 'node:path';
import { GC_DISABLED, type GCConfig } from '../api/config.ts';
import { ANNOTATION, LABEL, type Configuration, type Revision } from '../api/types.ts';
import type { ControllerContext } from './context.ts';
import { objectKey, splitKey } from './names.ts';

/** config-gc's shipped values (knative/serving pkg/gc/config.go defaultConfig). */
export const DEFAULT_GC: GCConfig = {
  retainSinceCreateTimeSeconds: 48 * 3600,
  retainSinceLastActiveTimeSeconds: 15 * 3600,
  minNonActiveRevisions: 20,
  maxNonActiveRevisions: 1000,
};

/** What collect decided: the revisions to delete, in order, and when a kept one turns stale (ms from now). */
export interface Collection {
  deletes: string[];
  recheckInMs: number | undefined;
}

/** isRevisionActive: the latest ready revision, a `serving.knative.dev/no-gc: "true"` one, or any not labelled reserve. */
function isActive(rev: Revision, config: Configuration): boolean {
  if (config.status?.latestReadyRevisionName === rev.metadata.name) return true;
  if ((rev.metadata.annotations?.[ANNOTATION.noGC] ?? '').toLowerCase() === 'true') return true;
  return rev.metadata.labels?.[LABEL.routingState] !== 'reserve';
}

function createdMs(rev: Revision): number {
  const t = Date.parse(rev.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** revisionLastActiveTime: the routingStateModified annotation, else the creation time. */
export function lastActiveMs(rev: Revision): number {
  const t = Date.parse(rev.metadata.annotations?.[ANNOTATION.routingStateModified] ?? '');
  return Number.isNaN(t) || t <= 0 ? createdMs(rev) : t;
}

/** When the revision turns stale under the time rules (epoch ms), or undefined when both are disabled. */
function staleAtMs(cfg: GCConfig, rev: Revision): number | undefined {
  const sinceCreate = cfg.retainSinceCreateTimeSeconds;
  const sinceActive = cfg.retainSinceLastActiveTimeSeconds;
  if (sinceCreate === GC_DISABLED && sinceActive === GC_DISABLED) return undefined;
  let at = -Infinity;
  if (sinceCreate !== GC_DISABLED) at = Math.max(at, createdMs(rev) + sinceCreate * 1000);
  if (sinceActive !== GC_DISABLED) at = Math.max(at, lastActiveMs(rev) + sinceActive * 1000);
  return at;
}

/** isRevisionStale: older than both enabled retain times (`time.Since(t) < retain` keeps it). */
function isStale(cfg: GCConfig, rev: Revision, nowMs: number): boolean {
  const at = staleAtMs(cfg, rev);
  return at !== undefined && nowMs >= at;
}

/** collect: the revisions of `config` to delete at `nowMs` under `cfg`. */
export function collect(cfg: GCConfig, config: Configuration, revisions: readonly Revision[], nowMs: number): Collection {
  const none: Collection = { deletes: [], recheckInMs: undefined };
  const min = cfg.minNonActiveRevisions;
  const max = cfg.maxNonActiveRevisions;
  if (max === GC_DISABLED && cfg.retainSinceCreateTimeSeconds === GC_DISABLED && cfg.retainSinceLastActiveTimeSeconds === GC_DISABLED) return none;
  if (revisions.length <= min) return none;
  // Oldest last-active first; ties by name (Go's sort.Slice leaves them in no particular order).
  const revs = revisions.filter((r) => !isActive(r, config)).sort((a, b) => lastActiveMs(a) - lastActiveMs(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  if (revs.length <= min) return none;
  const deletes: string[] = [];
  const kept: Revision[] = [];
  const maxIdx = revs.length - min;
  let i = 0;
  for (; i < revs.length && deletes.length < maxIdx; i++) {
    if (isStale(cfg, revs[i], nowMs)) deletes.push(revs[i].metadata.name ?? '');
    else kept.push(revs[i]);
  }
  if (deletes.length >= maxIdx) return { deletes, recheckInMs: undefined };
  const nonStale = revs.length - deletes.length;
  if (max !== GC_DISABLED && nonStale > max) {
    // Past max: the oldest non-active revisions go, stale or not.
    deletes.push(...kept.slice(0, nonStale - max).map((r) => r.metadata.name ?? ''));
    kept.splice(0, nonStale - max);
  }
  // More non-active revisions than min remain: the first of them to turn stale is worth another look then.
  let next: number | undefined;
  if (revs.length - deletes.length > min) {
    for (const r of kept) {
      const at = staleAtMs(cfg, r);
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
  }
  return { deletes, recheckInMs: next === undefined ? undefined : Math.max(0, next - nowMs) };
}

/** Runs collect for Configurations and deletes what it picks, with the revisions' instances and logs. */
export class RevisionCollector {
  /** DATA_DIR/logs (instances.ts), whose NS/REVISION directories go with their revisions; none in tables. */
  private readonly logDir: string | undefined;
  /** Releases still running (instances stopping, logs being removed), awaited by `settled()`. */
  private readonly pending = new Set<Promise<void>>();

  constructor(logDir?: string) {
    this.logDir = logDir;
  }

  /** Collects the Configuration with `key`; returns when to look again (ms), if a kept revision will turn stale. */
  run(ctx: ControllerContext, key: string): number | undefined {
    const [ns, name] = splitKey(key);
    const config = ctx.store.get<Configuration>('configurations', ns, name);
    if (!config || config.metadata.deletionTimestamp) return undefined;
    const revisions = ctx.store.list<Revision>('revisions', { namespace: ns, labelSelector: { [LABEL.configuration]: name } });
    const { deletes, recheckInMs } = collect(ctx.settings.gc ?? DEFAULT_GC, config, revisions, ctx.now().getTime());
    for (const rev of deletes) {
      const uid = revisions.find((r) => r.metadata.name === rev)?.metadata.uid;
      try {
        ctx.store.delete('revisions', ns, rev, { uid });
      } catch (err) {
        // Knative logs a failed delete and goes on ("Failed to GC revision").
        console.error(`knit: failed to GC revision ${ns}/${rev}: ${(err as Error).message}`);
        continue;
      }
      this.release(ctx, objectKey(ns, rev));
    }
    return recheckInMs;
  }

  /** Stops the collected revision's instances (the revision reconciler's finalize finds them gone), then removes its logs. */
  private release(ctx: ControllerContext, key: string): void {
    const [ns, rev] = splitKey(key);
    const p = (async () => {
      await ctx.instances.remove(key);
      if (this.logDir) await fs.promises.rm(path.join(this.logDir, ns, rev), { recursive: true, force: true });
    })().catch((err: unknown) => console.error(`knit: releasing collected revision ${key}: ${(err as Error).message}`)).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves once every release started so far finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
