// Template output (-o jsonpath / go-template and their file forms) of list, describe and export, run in-process
// against the fake API holding the golden fixtures.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, type CliResult } from '../cli-runner.ts';
import { FakeApi } from './fake-api.ts';
import * as fx from './fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'knit-templates-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('template output of list, describe and export', () => {
  const api = new FakeApi();
  before(async () => {
    await api.start();
    api.putAll(fx.listed);
  });
  after(() => api.close());

  const knit = (...argv: string[]): Promise<CliResult> => runCli(argv, { env: { KNIT_SERVER: api.url }, cwd: tmp });

  it('service list -o jsonpath / go-template / jsonpath-as-json', async () => {
    const a = await knit('service', 'list', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.url}{"\\n"}{end}');
    assert.equal(a.err, '');
    assert.equal(a.out, 'hello http://hello.default.example.com\nsplit http://split.default.example.com\n');
    const b = await knit('service', 'list', '-o', 'go-template', '--template', '{{range .items}}{{.metadata.name}}:{{len .status.traffic}} {{end}}');
    assert.equal(b.out, 'hello:1 split:2 ');
    const c = await knit('service', 'list', 'split', '-o', 'jsonpath-as-json={.items[*].status.traffic[*].percent}');
    assert.equal(c.out, '[\n    80,\n    20\n]\n');
    const kind = await knit('service', 'list', '-o', 'jsonpath={.kind} {.apiVersion}');
    assert.equal(kind.out, 'ServiceList serving.knative.dev/v1');
  });

  it('describe -o jsonpath / go-template-file for services, revisions and routes', async () => {
    const s = await knit('service', 'describe', 'split', '-o', 'jsonpath={.status.traffic[?(@.tag=="stable")].revisionName}');
    assert.equal(s.out, 'split-00001');
    writeFileSync(join(tmp, 'rev.tmpl'), '{{.metadata.name}} {{index .metadata.labels "serving.knative.dev/configurationGeneration"}}\n');
    const r = await knit('revision', 'describe', 'split-00002', '-o', 'go-template-file=rev.tmpl');
    assert.equal(r.out, 'split-00002 2\n');
    const rl = await knit('revision', 'list', '-s', 'split', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.metadata.labels.serving\\.knative\\.dev/configurationGeneration}{"\\n"}{end}');
    assert.equal(rl.out, 'split-00002\t2\nsplit-00001\t1\n');
    // The examples of the help texts.
    const img = await knit('service', 'describe', 'split', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
    assert.equal(img.out, 'docker.io/me/split:v2');
    const digest = await knit('revision', 'describe', 'split-00002', '-o', 'go-template={{(index .status.containerStatuses 0).imageDigest}}');
    assert.equal(digest.out, `docker.io/me/split@sha256:5ea96b${'1'.repeat(58)}`);
    const rt = await knit('route', 'describe', 'split', '--template', '{{range .status.traffic}}{{.tag}}={{.percent}} {{end}}');
    assert.equal(rt.out, 'current=80 stable=20 ');
    const rtl = await knit('route', 'list', '-o', 'jsonpath={.items[*].metadata.name}');
    assert.equal(rtl.out, 'split');
  });

  it('export -o jsonpath / go-template', async () => {
    const e = await knit('service', 'export', 'split', '-o', 'jsonpath={.kind} {.spec.service.metadata.name} {.spec.service.spec.template.spec.containers[0].image}');
    assert.equal(e.err, '');
    assert.equal(e.out, 'Export split docker.io/me/split:v2');
    const g = await knit('service', 'export', 'split', '--with-revisions', '-o', 'go-template={{range .spec.revisions}}{{.metadata.name}}{{end}}');
    assert.equal(g.out, 'split-00001');
    const n = await knit('service', 'export', 'split', '-o', 'name');
    assert.equal(n.code, 1);
    assert.match(n.err, /^Error: unable to match a printer suitable for the output format "name", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,template,templatefile,yaml\n/);
  });

  it('bad templates and strict missing keys exit 1 with a clear error', async () => {
    const bad = await knit('service', 'list', '-o', 'jsonpath={.items[*]');
    assert.equal(bad.code, 1);
    assert.equal(bad.err, "Error: error parsing jsonpath {.items[*], unclosed action\nRun 'knit --help' for usage\n");
    const badGo = await knit('service', 'describe', 'hello', '-o', 'go-template={{range .x}}');
    assert.equal(badGo.code, 1);
    assert.equal(badGo.err, "Error: error parsing template {{range .x}}, template: output:1: unexpected EOF\nRun 'knit --help' for usage\n");
    const strict = await knit('service', 'describe', 'hello', '-o', 'jsonpath={.spec.nope}', '--allow-missing-template-keys=false');
    assert.equal(strict.code, 1);
    assert.equal(strict.err, 'Error: error executing jsonpath "{.spec.nope}": nope is not found\nRun \'knit --help\' for usage\n');
    const strictGo = await knit('service', 'describe', 'hello', '-o', 'go-template={{.spec.nope}}', '--allow-missing-template-keys=false');
    assert.equal(strictGo.code, 1);
    assert.equal(strictGo.err, 'Error: error executing template "{{.spec.nope}}": template: output:1:2: executing "output" at <.spec.nope>: map has no entry for key "nope"\nRun \'knit --help\' for usage\n');
    const lax = await knit('service', 'describe', 'hello', '-o', 'go-template={{.spec.nope}}');
    assert.equal(lax.out, '<no value>');
    const noTemplate = await knit('revision', 'list', '-o', 'go-template');
    assert.equal(noTemplate.err, "Error: template format specified but no template given\nRun 'knit --help' for usage\n");
  });
});
