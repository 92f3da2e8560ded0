// The engine on typed data: GoStruct fields, map[string]string zero values, and named templates.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { executeGoTemplate, GoStruct, GoTemplateError, parseGoTemplate } from './template.ts';

const meta = (): GoStruct => new GoStruct('v1.ObjectMeta', { Name: 'hello', Namespace: 'default', Labels: { app: 'web' } });

test('a GoStruct: fields, a missing field fails naming the type, and it prints like %v of a struct', () => {
  assert.equal(executeGoTemplate(parseGoTemplate('{{.Name}}.{{.Namespace}}'), meta()), 'hello.default');
  assert.equal(executeGoTemplate(parseGoTemplate('{{.}}'), meta()), '{hello default map[app:web]}');
  assert.equal(executeGoTemplate(parseGoTemplate('{{if .}}yes{{end}}'), meta()), 'yes');
  assert.throws(() => executeGoTemplate(parseGoTemplate('{{.UID}}'), meta()),
    /^Error: template: output:1:2: executing "output" at <\.UID>: can't evaluate field UID in type v1\.ObjectMeta$/);
  assert.throws(() => executeGoTemplate(parseGoTemplate('{{index . "Name"}}'), meta()), /can't index item of type v1\.ObjectMeta/);
});

test('index of a missing key: "" in a struct\'s map[string]string, <no value> in decoded JSON', () => {
  assert.equal(executeGoTemplate(parseGoTemplate('[{{index .Labels "team"}}]'), meta()), '[]');
  assert.equal(executeGoTemplate(parseGoTemplate('[{{index .Labels "team"}}]'), { Labels: { app: 'web' } }), '[<no value>]');
});

test('the template name given to parseGoTemplate is the one errors carry', () => {
  assert.throws(() => parseGoTemplate('{{.Name', 'domain-template'), (e: unknown) =>
    e instanceof GoTemplateError && e.message === 'template: domain-template:1: unclosed action');
  const t = parseGoTemplate('{{.Tag}}', 'tag-template');
  assert.throws(() => executeGoTemplate(t, new GoStruct('config.TagTemplateValues', { Name: 'n' })),
    /^Error: template: tag-template:1:2: executing "tag-template" at <\.Tag>: can't evaluate field Tag in type config\.TagTemplateValues$/);
});
