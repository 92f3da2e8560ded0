// The log subresource: tail of existing files, then lines and new instances as they appear.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { streamRevisionLogs } from './logs.ts';

test('tail and follow a revision directory of instance logs', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-logs-'));
  fs.writeFileSync(path.join(dir, 'r-aaaaa.log'), 'one\ntwo\nthree\n');
  const server = http.createServer((req, res) => streamRevisionLogs(dir, res, { tailLines: 2, follow: req.url === '/follow' }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const port = (server.address() as { port: number }).port;
  const once = await (await fetch(`http://127.0.0.1:${port}/`)).text();
  assert.equal(once, '[r-aaaaa] two\n[r-aaaaa] three\n');

  const got: string[] = [];
  const req = http.get(`http://127.0.0.1:${port}/follow`, (res) => {
    res.setEncoding('utf8');
    res.on('data', (c: string) => got.push(c));
  });
  t.after(() => req.destroy());
  const until = async (text: string): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (!got.join('').includes(text)) {
      if (Date.now() > deadline) assert.fail(`no "${text}" in ${JSON.stringify(got.join(''))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await until('[r-aaaaa] three\n');
  fs.appendFileSync(path.join(dir, 'r-aaaaa.log'), 'four\n');
  fs.writeFileSync(path.join(dir, 'r-bbbbb.log'), 'new instance\n');
  await until('[r-aaaaa] four\n');
  await until('[r-bbbbb] new instance\n');
});
