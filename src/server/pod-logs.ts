// The `pods/{name}/log` subresource: one container's log file, tailed and, with follow, streamed until
// that container stops (kubernetes pkg/kubelet/kuberuntime/logs ReadLogs ends a follow when it exits).

import fs from 'node:fs';
import type http from 'node:http';
import type { ProjectedWrites } from '../controllers/projector.ts';
import type { LogOptions } from './logs.ts';

/** How often a followed log looks for new output. */
const POLL_MS = 200;

/** The last `n` lines of `text` (all when n is undefined), keeping the final newline. */
export function tail(text: string, n: number | undefined): string {
  if (n === undefined) return text;
  if (n <= 0) return '';
  const lines = text.split('\n');
  const complete = lines.at(-1) === '';
  if (complete) lines.pop();
  const kept = lines.slice(Math.max(0, lines.length - n)).join('\n');
  return complete && kept !== '' ? `${kept}\n` : kept;
}

/**
 * Streams one container's log as `kubectl logs POD` shows it (plain lines, no prefix). With follow,
 * new output is written as it appears until `live()` turns false and the file has been read to its end.
 */
export function streamPodLog(file: string, res: http.ServerResponse, opts: LogOptions, live: () => boolean): void {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  let offset = 0;
  try {
    const buf = fs.readFileSync(file);
    offset = buf.length;
    res.write(tail(buf.toString('utf8'), opts.tailLines));
  } catch {
    // no output yet
  }
  if (!opts.follow) {
    res.end();
    return;
  }
  const poll = (): void => {
    const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    if (size > offset) {
      const fd = fs.openSync(file, 'r');
      try {
        const chunk = Buffer.alloc(size - offset);
        fs.readSync(fd, chunk, 0, chunk.length, offset);
        offset = size;
        res.write(chunk);
      } finally {
        fs.closeSync(fd);
      }
    } else if (!live()) {
      clearInterval(timer);
      res.end();
    }
  };
  const timer = setInterval(poll, POLL_MS);
  res.once('close', () => clearInterval(timer));
}

/**
 * Answers `GET /api/v1/namespaces/NS/pods/NAME/log?container=&previous=&tailLines=&follow=`: finds the
 * file first, so a NotFound or BadRequest StatusError is thrown before anything is written, then streams it.
 */
export function servePodLog(writes: ProjectedWrites, namespace: string, name: string, res: http.ServerResponse, opts: LogOptions & { container?: string; previous?: boolean }): void {
  const file = writes.podLogFile(namespace, name, { container: opts.container, previous: opts.previous });
  // A previous container's log is complete: following it ends at its end.
  streamPodLog(file, res, opts, () => !opts.previous && writes.podLogLive(namespace, name, file));
}
