// The `revisions/{name}/log` subresource: the instances' stdout/stderr, tailed and followed.

import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import type { Container } from '../api/types.ts';
import { StatusError } from '../api/status-error.ts';
import type { StoredObject } from '../store/store.ts';

export interface LogOptions {
  /** Lines to show from the end of each instance's log (undefined = all). */
  tailLines?: number;
  follow: boolean;
}

interface Tracked {
  id: string;
  file: string;
  offset: number;
  partial: string;
}

/**
 * Where one container's logs of a revision are: the revision's directory for the serving container
 * (the default), its CONTAINER subdirectory for a sidecar. An unknown name is a BadRequest with the
 * apiserver's pod log text (kubernetes pkg/registry/core/pod/strategy.go LogLocation).
 */
export function revisionLogDir(logDir: string, rev: StoredObject, container: string | undefined): string {
  const ns = rev.metadata.namespace ?? 'default';
  const name = rev.metadata.name ?? '';
  const dir = path.join(logDir, ns, name);
  if (!container) return dir;
  const containers = ((rev.spec as { containers?: Container[] } | undefined)?.containers ?? []);
  const serving = containers.find((c) => (c.ports?.length ?? 0) > 0) ?? containers[0];
  if (container === (serving?.name || 'user-container')) return dir;
  if (!containers.some((c) => c !== serving && c.name === container)) throw new StatusError(400, 'BadRequest', `container ${container} is not valid for revision ${name}`);
  return path.join(dir, container);
}

function lastLines(text: string, n: number | undefined): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return n === undefined ? lines : lines.slice(Math.max(0, lines.length - n));
}

/**
 * Streams the logs of one revision's instances as `[INSTANCE] line` text: the existing files
 * (oldest instance first), then, when following, new lines and new instances as they appear.
 */
export function streamRevisionLogs(dir: string, res: http.ServerResponse, opts: LogOptions): void {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  const tracked = new Map<string, Tracked>();
  const list = (): { id: string; file: string; mtime: number }[] => {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).filter((f) => f.endsWith('.log'));
    } catch {
      return [];
    }
    return names
      .map((f) => {
        const file = path.join(dir, f);
        const st = fs.statSync(file, { throwIfNoEntry: false });
        return { id: f.slice(0, -4), file, mtime: st?.birthtimeMs || st?.mtimeMs || 0 };
      })
      .sort((a, b) => a.mtime - b.mtime);
  };
  for (const { id, file } of list()) {
    const text = fs.readFileSync(file, 'utf8');
    for (const line of lastLines(text, opts.tailLines)) res.write(`[${id}] ${line}\n`);
    tracked.set(id, { id, file, offset: Buffer.byteLength(text), partial: '' });
  }
  if (!opts.follow) {
    res.end();
    return;
  }
  const poll = (): void => {
    for (const { id, file } of list()) {
      if (!tracked.has(id)) tracked.set(id, { id, file, offset: 0, partial: '' });
    }
    for (const t of tracked.values()) {
      const st = fs.statSync(t.file, { throwIfNoEntry: false });
      if (!st || st.size <= t.offset) continue;
      const fd = fs.openSync(t.file, 'r');
      try {
        const buf = Buffer.alloc(st.size - t.offset);
        fs.readSync(fd, buf, 0, buf.length, t.offset);
        t.offset = st.size;
        const lines = (t.partial + buf.toString('utf8')).split('\n');
        t.partial = lines.pop() ?? '';
        for (const line of lines) res.write(`[${t.id}] ${line}\n`);
      } finally {
        fs.closeSync(fd);
      }
    }
  };
  const timer = setInterval(poll, 200);
  res.once('close', () => clearInterval(timer));
}
