// Template printers: kubectl's JSONPath and Go templates (engines and -o/--template selection; the commands'
// template output is tested in test/cli/templates.test.ts).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { expandFlags, parseCommandLine, type FlagSpec } from './flags.ts';
import { goFloat } from '../gotemplate/fmt.ts';
import { executeGoTemplate, goSprintf, parseGoTemplate } from '../gotemplate/template.ts';
import { executeJsonPath, parseJsonPath } from './jsonpath.ts';
import { printerOf } from './output.ts';

const DATA = {
  kind: 'ServiceList',
  items: [
    {
      metadata: { name: 'a', labels: { app: 'x', 'k.io/n': 'y' }, generation: 3 },
      spec: { template: { spec: { containers: [{ image: 'img-a', ports: [{ containerPort: 8080 }] }] } } },
      status: { url: 'http://a', conditions: [{ type: 'Ready', status: 'True' }, { type: 'RoutesReady', status: 'False', reason: 'Oops' }] },
    },
    { metadata: { name: 'b', generation: 1000000 }, spec: { template: { spec: { containers: [{ image: 'img-b' }] } } }, status: { url: '<b&c>' } },
  ],
};

function jp(template: string, opts: { allowMissingKeys?: boolean; asJson?: boolean } = {}, data: unknown = DATA): string {
  return executeJsonPath(parseJsonPath(template), data, opts);
}

function gt(template: string, opts: { missingKeyError?: boolean } = {}, data: unknown = DATA): string {
  return executeGoTemplate(parseGoTemplate(template), data, opts);
}

describe('JSONPath (kubectl)', () => {
  it('fields, wildcards, indexes, slices and literals', () => {
    assert.equal(jp('{.kind}'), 'ServiceList');
    assert.equal(jp('{.items[*].metadata.name}'), 'a b');
    assert.equal(jp('{.items[0].metadata.name}'), 'a');
    assert.equal(jp('{.items[-1].metadata.name}'), 'b');
    assert.equal(jp('{.items[0:1].metadata.name}'), 'a');
    assert.equal(jp('{.items[::1].metadata.name}'), 'a b');
    assert.equal(jp('{$.items[1].metadata.name}'), 'b');
    assert.equal(jp('names: {.items[*].metadata.name}{"\\n"}'), 'names: a b\n');
    assert.equal(jp("{.items[0].metadata.labels['app']}"), 'x');
    assert.equal(jp('{.items[0].metadata.labels.k\\.io/n}'), 'y');
    assert.equal(jp('{.items[0].metadata.labels.*}'), 'x y');
    assert.equal(jp('{.items[0].metadata.labels}'), '{"app":"x","k.io/n":"y"}');
    assert.equal(jp('{.items[*].metadata.generation}'), '3 1e+06');
    assert.equal(jp('{.items[1].status.url}'), '<b&c>');
    assert.equal(jp('{.items[1].status}'), '{"url":"\\u003cb\\u0026c\\u003e"}');
    assert.equal(jp('{.items[0].spec.template.spec.containers[0].ports[0].containerPort}'), '8080');
    assert.equal(jp('{.}', {}, { a: 1 }), '{"a":1}');
  });

  it('range/end, filters, recursive descent and unions', () => {
    assert.equal(jp('{range .items[*]}{.metadata.name}={.status.url}{"\\n"}{end}'), 'a=http://a\nb=<b&c>\n');
    assert.equal(jp('{range .items[*]}[{range .spec.template.spec.containers[*]}{.image}{end}]{end}'), '[img-a][img-b]');
    assert.equal(jp('{.items[*].status.conditions[?(@.type=="Ready")].status}'), 'True');
    assert.equal(jp("{.items[0].status.conditions[?(@.status!='True')].reason}"), 'Oops');
    assert.equal(jp('{.items[?(@.metadata.generation>5)].metadata.name}'), 'b');
    assert.equal(jp('{.items[?(@.metadata.labels)].metadata.name}'), 'a');
    assert.equal(jp('{..image}'), 'img-a img-b');
    assert.equal(jp("{.items[0].metadata['name','generation']}"), 'a 3');
    assert.equal(jp('{.items[0,1].metadata.name}'), 'a b');
    assert.equal(jp('{range .nothing[*]}x{end}done'), 'done');
  });

  it('missing keys print nothing unless --allow-missing-template-keys=false', () => {
    assert.equal(jp('{.nope}x'), 'x');
    assert.equal(jp('{.items[*].status.conditions[*].reason}'), 'Oops');
    assert.throws(() => jp('{.nope}', { allowMissingKeys: false }), /^Error: nope is not found$/);
  });

  it('jsonpath-as-json prints each result list as an indented JSON array', () => {
    assert.equal(jp('{.items[*].metadata.name}', { asJson: true }), '[\n    "a",\n    "b"\n]\n');
    assert.equal(jp('{.items[0].metadata.labels}', { asJson: true }), '[\n    {\n        "app": "x",\n        "k.io/n": "y"\n    }\n]\n');
  });

  it('rejects bad templates with client-go\'s words', () => {
    const cases: [string, string][] = [
      ['{.kind', 'unclosed action'],
      ['{end}', 'not in range, nothing to end'],
      ['{.items[x]}', 'invalid array index x'],
      ['{.items[0}', 'unterminated array'],
      ['{foo}', 'unrecognized identifier foo'],
      ['{#}', "unrecognized character in action: U+0023 '#'"],
      ['{"abc}', 'unterminated quoted string'],
      ['{.items[?(@.a=="b"}', 'unterminated filter'],
    ];
    for (const [t, msg] of cases) assert.throws(() => parseJsonPath(t), (e: Error) => e.message === msg, t);
    assert.throws(() => jp('{.items[5]}'), /array index out of bounds: index 5, length 2/);
    assert.throws(() => jp('{.kind[0]}'), /string is not array or slice/);
  });
});

describe('Go templates (text/template as kubectl runs it)', () => {
  it('fields, range, literals, variables and functions', () => {
    assert.equal(gt('{{.kind}}'), 'ServiceList');
    assert.equal(gt('{{range .items}}{{.metadata.name}}{{"\\n"}}{{end}}'), 'a\nb\n');
    assert.equal(gt('{{range $i, $s := .items}}{{$i}}:{{$s.metadata.name}} {{end}}'), '0:a 1:b ');
    assert.equal(gt('{{range .items}}{{$.kind}}/{{.metadata.name}} {{end}}'), 'ServiceList/a ServiceList/b ');
    assert.equal(gt('{{$n := len .items}}{{$n}} services'), '2 services');
    assert.equal(gt('{{(index .items 0).metadata.name}}'), 'a');
    assert.equal(gt('{{index .items 0 "metadata" "labels" "k.io/n"}}'), 'y');
    assert.equal(gt('{{range $k, $v := (index .items 0).metadata.labels}}{{$k}}={{$v}};{{end}}'), 'app=x;k.io/n=y;');
    assert.equal(gt('{{range .items}}{{.metadata.generation}} {{end}}'), '3 1e+06 ');
    assert.equal(gt('{{(index .items 0).metadata.labels}}'), 'map[app:x k.io/n:y]');
    assert.equal(gt('{{printf "%-4s|%3d|%q|%v" "ab" 7 "x" true}}'), 'ab  |  7|"x"|true');
    assert.equal(gt('{{.kind | printf "<%s>"}}'), '<ServiceList>');
    assert.equal(gt('{{print "a" 1 2 "b"}}'), 'a1 2b');
    assert.equal(gt('{{with .kind}}{{.}}{{end}}{{with .nope}}x{{else}}none{{end}}'), 'ServiceListnone');
    assert.equal(gt('{{/* a comment */}}ok'), 'ok');
    assert.equal(gt('a  {{- "b" -}}  \n c'), 'abc');
    assert.equal(gt('{{if exists . "items" 1 "status"}}yes{{end}}{{if exists . "items" 5}}no{{end}}'), 'yes');
    assert.equal(gt('{{base64decode "aGVsbG8="}}'), 'hello');
  });

  it('conditions and comparisons', () => {
    const t = '{{range .items}}{{if eq .metadata.name "a"}}A{{else if gt .metadata.generation 100.0}}big{{else}}other{{end}} {{end}}';
    assert.equal(gt(t), 'A big ');
    assert.equal(gt('{{if and .kind (not .nope)}}ok{{end}}'), 'ok');
    assert.equal(gt('{{or .nope "fallback"}}'), 'fallback');
    assert.equal(gt('{{if ne .kind "x"}}ne{{end}}{{if lt 1 2}}lt{{end}}{{if le "a" "a"}}le{{end}}{{if ge 2 3}}ge{{end}}'), 'neltle');
    assert.equal(gt('{{range .items}}{{if eq .metadata.name "a"}}{{continue}}{{end}}{{.metadata.name}}{{end}}'), 'b');
    assert.equal(gt('{{range .items}}{{.metadata.name}}{{break}}{{end}}'), 'a');
    assert.equal(gt('{{range .nothing}}x{{else}}empty{{end}}'), 'empty');
  });

  it('missing keys print <no value>, or fail with missingkey=error', () => {
    assert.equal(gt('{{.nope}} {{.nope.deeper}}'), '<no value> <no value>');
    assert.throws(() => gt('{{.kind}} {{.nope}}', { missingKeyError: true }), (e: Error) => e.message === 'template: output:1:12: executing "output" at <.nope>: map has no entry for key "nope"');
    assert.throws(() => gt('{{.kind.x}}'), (e: Error) => e.message === 'template: output:1:2: executing "output" at <.kind.x>: can\'t evaluate field x in type string');
    assert.throws(() => gt('{{range .kind}}{{end}}'), /range can't iterate over ServiceList/);
  });

  it('rejects bad templates with Go\'s words', () => {
    const cases: [string, string][] = [
      ['{{.kind', 'template: output:1: unclosed action'],
      ['{{foo .}}', 'template: output:1: function "foo" not defined'],
      ['{{end}}', 'template: output:1: unexpected {{end}}'],
      ['{{if .kind}}x', 'template: output:1: unexpected EOF'],
      ['\n{{$x}}', 'template: output:2: undefined variable "$x"'],
      ['{{}}', 'template: output:1: missing value for command'],
      ['{{"abc}}', 'template: output:1: unterminated quoted string'],
      ['{{break}}', 'template: output:1: {{break}} outside {{range}}'],
    ];
    for (const [t, msg] of cases) assert.throws(() => parseGoTemplate(t), (e: Error) => e.message === msg, t);
  });

  it('formats numbers and printf like Go', () => {
    assert.equal(goFloat(300), '300');
    assert.equal(goFloat(0.5), '0.5');
    assert.equal(goFloat(123456), '123456');
    assert.equal(goFloat(1234567), '1.234567e+06');
    assert.equal(goFloat(0.00001), '1e-05');
    assert.equal(goSprintf('%05d|%.2f|%x|%5.1f|%%', [42, 3.14159, 255, 2.26]), '00042|3.14|ff|  2.3|%');
    assert.equal(goSprintf('%s %s', ['a']), 'a %!s(MISSING)');
    assert.equal(goSprintf('%s', ['a', 1]), 'a%!(EXTRA float64=1)');
  });
});

// ---------------------------------------------------------------------------------------------
// -o / --template selection

const PRINT_FLAGS: FlagSpec[] = expandFlags([
  { name: 'output', short: 'o', type: 'string', usage: '' },
  { name: 'template', type: 'string', usage: '' },
  { name: 'allow-missing-template-keys', type: 'boolean', default: true, usage: '' },
]);

const tmp = mkdtempSync(join(tmpdir(), 'knit-templates-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function printer(...argv: string[]) {
  return printerOf(parseCommandLine(argv, PRINT_FLAGS).flags, tmp);
}

describe('printerOf (kubectl PrintFlags.ToPrinter)', () => {
  it('selects plain formats, FORMAT=TEMPLATE, -o FORMAT --template T and --template alone', async () => {
    assert.equal(await printer(), undefined);
    assert.deepEqual(await printer('-o', 'JSON'), { format: 'json' });
    assert.equal((await printer('-o', 'jsonpath={.a}'))?.format, 'jsonpath');
    const asJson = await printer('-ojsonpath-as-json={.a}');
    assert.ok(asJson?.format === 'jsonpath' && asJson.asJson);
    const viaFlag = await printer('-o', 'jsonpath', '--template', '{.b}');
    assert.ok(viaFlag?.format === 'jsonpath' && viaFlag.raw === '{.b}');
    const alone = await printer('--template', '{{.a}}');
    assert.ok(alone?.format === 'go-template' && alone.raw === '{{.a}}' && alone.allowMissingKeys);
    for (const f of ['go-template', 'template']) assert.equal((await printer('-o', `${f}={{.a}}`))?.format, 'go-template');
    const strict = await printer('-o', 'go-template={{.a}}', '--allow-missing-template-keys=false');
    assert.ok(strict?.format === 'go-template' && !strict.allowMissingKeys);
  });

  it('reads template files relative to the working directory', async () => {
    writeFileSync(join(tmp, 'names.tmpl'), '{{range .items}}{{.metadata.name}}{{end}}');
    writeFileSync(join(tmp, 'names.jsonpath'), '{.items[*].metadata.name}');
    for (const f of ['go-template-file', 'templatefile']) {
      const p = await printer('-o', `${f}=names.tmpl`);
      assert.ok(p?.format === 'go-template' && p.raw === '{{range .items}}{{.metadata.name}}{{end}}');
    }
    const j = await printer('-o', 'jsonpath-file', '--template', 'names.jsonpath');
    assert.ok(j?.format === 'jsonpath' && j.raw === '{.items[*].metadata.name}');
  });

  it('errors with kubectl\'s wording', async () => {
    await assert.rejects(
      () => printer('-o', 'wide'),
      (e: Error) => e.message === 'unable to match a printer suitable for the output format "wide", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml',
    );
    await assert.rejects(() => printer('-o', 'jsonpath'), (e: Error) => e.message === 'template format specified but no template given');
    await assert.rejects(() => printer('-o', 'jsonpath={.a'), (e: Error) => e.message === 'error parsing jsonpath {.a, unclosed action');
    await assert.rejects(() => printer('-o', 'go-template={{.a'), (e: Error) => e.message === 'error parsing template {{.a, template: output:1: unclosed action');
    await assert.rejects(() => printer('-o', 'go-template-file=nope.tmpl'), (e: Error) => e.message === 'error reading --template nope.tmpl, open nope.tmpl: no such file or directory');
  });
});

describe('template engines never fail with anything but their own errors', () => {
  it('on arbitrary templates built from their syntax (fast-check)', async () => {
    const fc = (await import('fast-check')).default;
    const { GoTemplateError } = await import('../gotemplate/template.ts');
    const { JsonPathError } = await import('./jsonpath.ts');
    const goPieces = ['{{', '}}', '{{-', ' -}}', '.', 'items', 'metadata', 'name', '$', '$x', ':=', '=', '|', '(', ')', ' ', '"s"', '`r`', "'c'", '1', '-2', '3.5', 'range', 'if', 'else', 'end', 'with', 'break', 'continue', 'index', 'len', 'printf', 'eq', 'and', 'not', 'nil', 'true', ',', '/*', '*/', '\n', 'x'];
    const jpPieces = ['{', '}', '.', 'items', 'metadata', 'name', '[', ']', '*', '0', '-1', ':', ',', "'", '"', '\\n', '?(', '@', '==', '>', ')', '..', 'range', 'end', ' ', '$', 'x', '\\'];
    const tpl = (pieces: string[]) => fc.array(fc.constantFrom(...pieces), { maxLength: 14 }).map((a: string[]) => a.join(''));
    fc.assert(
      fc.property(tpl(goPieces), fc.boolean(), (t: string, strict: boolean) => {
        try {
          executeGoTemplate(parseGoTemplate(t), DATA, { missingKeyError: strict });
        } catch (e) {
          if (!(e instanceof GoTemplateError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(tpl(jpPieces), fc.boolean(), fc.boolean(), (t: string, allow: boolean, asJson: boolean) => {
        try {
          executeJsonPath(parseJsonPath(t), DATA, { allowMissingKeys: allow, asJson });
        } catch (e) {
          if (!(e instanceof JsonPathError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
