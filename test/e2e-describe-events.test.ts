// `knit service describe` ends with the Service's Events as `kubectl describe` shows them (docs/differences.md).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, KnitServer, eventually } from './harness.ts';

const APP = pathToFileURL(path.join(FIXTURES, 'dataplane-app')).href;
let knit: KnitServer;

before(async () => {
  knit = await new KnitServer().start();
});

after(async () => {
  await knit?.cleanup();
});

test('describe shows the service controller\'s events last; --no-show-events and -o yaml leave them out', async () => {
  await knit.createService('evsvc', APP);
  const d = await eventually('the Created events in describe', async () => {
    const r = await knit.knit(['service', 'describe', 'evsvc']);
    return r.code === 0 && /Created Route/.test(r.stdout) ? r : undefined;
  }, 20_000, 200);
  assert.match(d.stdout, /\nConditions:\s*\n[\s\S]*\n\nEvents:\n {2}Type\s+Reason\s+Age\s+From\s+Message\n {2}----\s+------\s+----\s+----\s+-------\n/);
  assert.match(d.stdout, /\n {2}Normal\s+Created\s+\S+\s+service-controller\s+Created Configuration "evsvc"\n/);
  assert.match(d.stdout, /\n {2}Normal\s+Created\s+\S+\s+service-controller\s+Created Route "evsvc"\n$/);
  const hidden = await knit.knit(['service', 'describe', 'evsvc', '--no-show-events']);
  assert.equal(hidden.code, 0, hidden.stderr);
  assert.doesNotMatch(hidden.stdout, /Events:/);
  const yaml = await knit.knit(['service', 'describe', 'evsvc', '-o', 'yaml']);
  assert.doesNotMatch(yaml.stdout, /^Events:/m);
});
