// The pods/{name}/log stream over a real HTTP server: tail lines, and a follow that ends when the container stops.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { streamPodLog, tail } from './pod-logs.ts';

test('tail keeps the last n lines', () => {
  const rows: [string, number | undefined, string][] = [
    ['a\nb\nc\n', undefined, 'a\nb\nc\n'],
    ['a\nb\nc\n', 2, 'b\nc\n'],
    ['a\nb\nc', 2, 'b\nc'],
    ['a\nb\n', 5, 'a\nb\n'],
    ['a\nb\n', 0, ''],
    ['', 3, ''],
  ];
  for (const [text, n, want] of rows) assert.equal(tail(text, n), want, JSON.stringify([text, n]));
});

test('a followed log streams new output and ends once the container is gone', { timeout: 10_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-podlog-'));
  const file = path.join(dir, 'x.log');
  fs.writeFileSync(file, 'one\ntwo\nthree\n');
  let live = true;
  const server = http.createServer((_req, res) => streamPodLog(file, res, { tailLines: 1, follow: true }, () => live));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const port = (server.address() as AddressInfo).port;
  let body = '';
  const done = new Promise<void>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
        if (body === 'three\n') fs.appendFileSync(file, 'four\n');
        if (body.endsWith('four\n')) live = false;
      });
      res.on('end', resolve);
    }).on('error', reject);
  });
  await done;
  assert.equal(body, 'three\nfour\n');
});
