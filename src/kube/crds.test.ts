// The CRD cache: what a start reads from it is what parsing the YAML gives, for every schema knit ships.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { parseCached } from './crds.ts';

const SCHEMAS = path.join(import.meta.dirname, 'schemas');

test('parseCached: every shipped CRD reads back from the cache as the YAML parses; an unwritable cache still parses', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-crds-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = [...fs.readdirSync(SCHEMAS), ...fs.readdirSync(path.join(SCHEMAS, 'eventing')).map((f) => path.join('eventing', f))].filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 10, files.join(' '));
  for (const f of files) {
    const text = fs.readFileSync(path.join(SCHEMAS, f), 'utf8');
    const want = parse(text);
    assert.deepEqual(parseCached(text, dir), want, `${f}: parsed`);
    assert.deepEqual(parseCached(text, dir), want, `${f}: from the cache`);
  }
  // One file per text, no temporary left.
  assert.equal(fs.readdirSync(dir).filter((n) => n.endsWith('.json')).length, new Set(files.map((f) => fs.readFileSync(path.join(SCHEMAS, f), 'utf8'))).size);
  assert.deepEqual(fs.readdirSync(dir).filter((n) => !n.endsWith('.json')), []);
  // What the cache holds is what is read: a hit does not parse the YAML.
  const text = 'a: 1\n';
  parseCached(text, dir);
  const [hit] = fs.readdirSync(dir).filter((n) => fs.readFileSync(path.join(dir, n), 'utf8') === '{"a":1}');
  assert.ok(hit);
  fs.writeFileSync(path.join(dir, hit), '{"a":2}');
  assert.deepEqual(parseCached(text, dir), { a: 2 });
  // A cache that cannot be written (a file where its directory would be) only costs the parse.
  const blocked = path.join(dir, 'blocked');
  fs.writeFileSync(blocked, '');
  assert.deepEqual(parseCached('b: [1, 2]\n', path.join(blocked, 'sub')), { b: [1, 2] });
});
