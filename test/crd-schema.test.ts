// Checks that the Knative YAML the test suite feeds knit, the files under test/ and examples/, and the objects knit's
// API returns all validate against Knative Serving's CRD schemas (test/crd-schema.ts).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { Service } from '../src/api/types.ts';
import { crdErrors } from './crd-schema.ts';
import { KnitServer } from './harness.ts';
import { REPO } from './knit-server.ts';

const KNATIVE = 'apiVersion: serving.knative.dev/v1';
/** What an interpolation `${…}` in a template literal stands for: a name-like string. */
const HOLE = 'knitplaceholder';

/** Every .ts, .yaml, .yml and .json file under `dir` (node_modules skipped). */
function filesUnder(dir: string, exts: string[]): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && exts.includes(path.extname(e.name)) && !path.join(e.parentPath, e.name).includes(`${path.sep}node_modules${path.sep}`))
    .map((e) => path.join(e.parentPath, e.name));
}

/** The end of the template literal whose body starts at `i` (after its backtick), skipping nested `${…}` and literals. */
function templateEnd(src: string, i: number): { end: number; text: string } {
  let text = '';
  while (i < src.length) {
    const ch = src[i];
    if (ch === '\\') {
      text += JSON.parse(`"${src.slice(i, i + 2).replace(/^\\`$/, '`').replace(/"/g, '\\"')}"`) as string;
      i += 2;
    } else if (ch === '`') {
      return { end: i, text };
    } else if (ch === '$' && src[i + 1] === '{') {
      let depth = 1;
      i += 2;
      while (i < src.length && depth > 0) {
        if (src[i] === '`') i = templateEnd(src, i + 1).end;
        else if (src[i] === '{') depth++;
        else if (src[i] === '}') depth--;
        i++;
      }
      text += HOLE;
    } else {
      text += ch;
      i++;
    }
  }
  throw new Error('unterminated template literal');
}

/** The Knative YAML literals of a source file: template literals and quoted strings that start with the apiVersion line. */
function yamlLiterals(src: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lineOf = (i: number): number => src.slice(0, i).split('\n').length;
  for (let i = src.indexOf('`' + KNATIVE); i >= 0; i = src.indexOf('`' + KNATIVE, i + 1)) {
    if (!/^[\n\\`]/.test(src.slice(i + 1 + KNATIVE.length))) continue; // v1beta1 and others are not this schema's
    out.push({ line: lineOf(i), text: templateEnd(src, i + 1).text });
  }
  const unquote = (q: string): string => JSON.parse(`"${q.replace(/"/g, '\\"').replace(/\\'/g, "'")}"`) as string;
  for (const m of src.matchAll(new RegExp(`'(${KNATIVE.replace(/[./]/g, '\\$&')}(?:\\\\.|[^'\\\\])*)'`, 'g'))) {
    if (!/^(\\n|$)/.test(m[1].slice(KNATIVE.length))) continue;
    let text = unquote(m[1]);
    // An array of lines joined with '\n': ['apiVersion: …', 'kind: Service', …].join('\n').
    const rest = /^(?:\s*,\s*'(?:\\.|[^'\\])*')*\s*,?\s*\]\.join\('\\n'\)/.exec(src.slice(m.index + m[0].length));
    if (rest) text = [text, ...[...rest[0].slice(0, rest[0].lastIndexOf(']')).matchAll(/'((?:\\.|[^'\\])*)'/g)].map((x) => unquote(x[1]))].join('\n');
    out.push({ line: lineOf(m.index), text });
  }
  return out;
}

/**
 * Literals that are not valid Knative on purpose (each test checks that knit or kubectl refuses them), by file and
 * the line the literal starts on, with what makes them invalid.
 */
const DELIBERATELY_INVALID: { file: string; contains: string; why: RegExp }[] = [
  // kubectl's strict field validation must report both unknown fields.
  { file: 'test/kube/kubectl.test.ts', contains: 'imagePullPolicyy', why: /additional properties \(imagePullPolicyy\)/ },
  // The walkthrough appends bodies knit's webhook refuses; the prefix alone is not an object.
  { file: 'test/e2e-walkthrough.test.ts', contains: `kind: Service\n${HOLE}`, why: /./ },
];

describe('Knative YAML in the test suite and examples validates against the CRD schemas', () => {
  const sources = [...filesUnder(path.join(REPO, 'test'), ['.ts']), ...filesUnder(path.join(REPO, 'src'), ['.ts'])].filter((f) => !f.endsWith('crd-schema.test.ts'));

  it('YAML literals in test sources', () => {
    let checked = 0;
    const failures: string[] = [];
    const expectedBad = new Set<string>();
    for (const file of sources) {
      const rel = path.relative(REPO, file);
      for (const { line, text } of yamlLiterals(fs.readFileSync(file, 'utf8'))) {
        const bad = DELIBERATELY_INVALID.find((d) => d.file === rel && text.includes(d.contains));
        let errors: string[];
        try {
          const docs = parseAllDocuments(text);
          errors = docs.flatMap((d) => (d.errors.length > 0 ? d.errors.map((e) => e.message) : crdErrors(d.toJS())));
        } catch (e) {
          errors = [(e as Error).message];
        }
        if (bad) {
          assert.ok(errors.some((e) => bad.why.test(e)), `${rel}:${line} is listed as invalid (${String(bad.why)}) but got: ${errors.join('; ') || 'valid'}`);
          expectedBad.add(`${bad.file} ${bad.contains}`);
          continue;
        }
        checked++;
        if (errors.length > 0) failures.push(`${rel}:${line}: ${errors.join('; ')}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(checked >= 8, `only ${checked} literals found: the scanner lost them`);
    assert.equal(expectedBad.size, DELIBERATELY_INVALID.length, 'every deliberately invalid literal is still there');
  });

  it('YAML and JSON files under test/ and examples/ with a serving.knative.dev apiVersion', () => {
    const failures: string[] = [];
    for (const file of [...filesUnder(path.join(REPO, 'test'), ['.yaml', '.yml', '.json']), ...filesUnder(path.join(REPO, 'examples'), ['.yaml', '.yml', '.json'])]) {
      const text = fs.readFileSync(file, 'utf8');
      if (!text.includes('serving.knative.dev/')) continue;
      const docs = file.endsWith('.json') ? [JSON.parse(text) as unknown] : parseAllDocuments(text).map((d) => d.toJS() as unknown);
      for (const doc of docs) {
        const errors = crdErrors(doc);
        if (errors.length > 0) failures.push(`${path.relative(REPO, file)}: ${errors.join('; ')}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('the checker refuses what a cluster refuses (unknown fields, wrong types, another kind)', () => {
    const svc = (spec: unknown): unknown => ({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'x' }, spec });
    assert.deepEqual(crdErrors(svc({ template: { spec: { containers: [{ image: 'x' }] } } })), []);
    assert.match(crdErrors(svc({ template: { spec: { containers: [{ image: 'x', bogus: 1 }] } } })).join(), /additional properties \(bogus\)/);
    assert.match(crdErrors(svc({ template: { spec: { containers: [{ image: 'x' }], containerConcurrency: 'ten' } } })).join(), /containerConcurrency must be integer/);
    assert.match(crdErrors({ apiVersion: 'client.knative.dev/v1alpha1', kind: 'Export' }).join(), /is not serving\.knative\.dev\/v1/);
  });
});

describe("the objects knit's API returns validate against the CRD schemas", () => {
  let knit: KnitServer;
  before(async () => {
    knit = await new KnitServer().start();
  });
  after(async () => {
    await knit?.cleanup();
  });

  it('Service, Configuration, Revision and Route of a created service', async () => {
    const r = await knit.knit(['service', 'create', 'schema', '--image', path.join(REPO, 'examples', 'helloworld'), '--env', 'TARGET=schema', '--scale', '0..2', '--tag', '@latest=current']);
    assert.equal(r.code, 0, r.stderr);
    for (const [resource, name] of [['services', 'schema'], ['configurations', 'schema'], ['revisions', 'schema-00001'], ['routes', 'schema']]) {
      const got = await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/${resource}/${name}`);
      assert.equal(got.status, 200, resource);
      assert.deepEqual(crdErrors(got.json), [], `${resource}/${name}: ${JSON.stringify(got.json)}`);
    }
    const list = await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services');
    for (const item of (list.json as { items: unknown[] }).items) {
      assert.deepEqual(crdErrors({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', ...(item as object) }), []);
    }
    const exported = await knit.knit(['service', 'export', 'schema', '--for-cluster']);
    assert.equal(exported.stdout, '');
    assert.equal(exported.code, 1, 'a file:// image needs --registry');
    assert.match(exported.stderr, /spec\.template\.spec\.containers\[0\]\.image: file:\/\/\S+ exists only on this machine: give --registry REGISTRY/);
  });
  it('--for-cluster export of a registry image: Knative defaults left out, a warning per field that differs on a cluster', async () => {
    const secret = await knit.api('POST', '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, stringData: { token: 't' } });
    assert.equal(secret.status, 201);
    const r = await knit.knit(['service', 'create', 'remote', '--image', 'registry.example.org/team/app:1', '--port', '8080', '--env', 'A=$(B)',
      '--env-value-from', 'T=secret:creds:token', '--mount', '/etc/creds=secret:creds', '--limit', 'memory=64Mi', '--no-wait']);
    assert.equal(r.code, 0, r.stderr);
    const e = await knit.knit(['service', 'export', 'remote', '--for-cluster', '-o', 'json']);
    assert.equal(e.code, 0, e.stderr);
    const svc = JSON.parse(e.stdout) as { metadata: Record<string, unknown>; spec: { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } }; traffic?: unknown } };
    assert.deepEqual(crdErrors(svc), []);
    assert.deepEqual(Object.keys(svc.metadata), ['name']);
    assert.equal(svc.spec.traffic, undefined);
    const spec = svc.spec.template.spec;
    for (const k of ['timeoutSeconds', 'containerConcurrency', 'enableServiceLinks']) assert.equal(spec[k], undefined, k);
    for (const k of ['name', 'readinessProbe']) assert.equal(spec.containers[0][k], undefined, k);
    assert.equal(spec.containers[0].image, 'registry.example.org/team/app:1');
    assert.ok(e.stderr.split('\n').filter(Boolean).every((l) => l.startsWith('Warning: ')), e.stderr);
    assert.deepEqual(e.stderr.split('\n').filter(Boolean).map((l) => l.split(': ')[1]), [
      'spec.template.spec.containers[0].ports[0].containerPort',
      'spec.template.spec.containers[0].env[0].value',
      'spec.template.spec.containers[0].env[1].valueFrom',
      'spec.template.spec.containers[0].resources',
      'spec.template.spec.volumes[0]',
    ], e.stderr);
  });
  it('--for-cluster --with-revisions --mode replay: a List of Services, one per routed revision, that validates', async () => {
    const c = await knit.knit(['service', 'create', 'replay', '--image', 'registry.example.org/team/app:1', '--no-wait']);
    assert.equal(c.code, 0, c.stderr);
    const u = await knit.knit(['service', 'update', 'replay', '--env', 'V=2', '--no-wait']);
    assert.equal(u.code, 0, u.stderr);
    const t = await knit.knit(['service', 'update', 'replay', '--traffic', 'replay-00001=40', '--traffic', '@latest=60', '--no-wait']);
    assert.equal(t.code, 0, t.stderr);
    const e = await knit.knit(['service', 'export', 'replay', '--for-cluster', '--with-revisions', '--mode', 'replay']);
    assert.equal(e.code, 0, e.stderr);
    const list = parse(e.stdout) as { kind: string; items: Service[] };
    assert.equal(list.kind, 'List');
    assert.deepEqual(crdErrors(list), []);
    assert.deepEqual(list.items.map((s) => s.spec.template.metadata?.name), ['replay-00001', undefined]);
    assert.deepEqual(list.items[1].spec.traffic, [{ latestRevision: true, percent: 60 }, { latestRevision: false, percent: 40, revisionName: 'replay-00001' }]);
  });
});
