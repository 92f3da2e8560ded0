// Table tests for label and field selectors: grammar, matching and the apiserver's exact error texts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIELD_SELECTABLE, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.ts';

const KEY_REGEX_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_REGEX_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const parsed: { selector: string; want: [string, string, string[]][] }[] = [
  { selector: '', want: [] },
  { selector: 'x=a', want: [['x', '=', ['a']]] },
  { selector: 'x==a', want: [['x', '==', ['a']]] },
  { selector: 'x!=a', want: [['x', '!=', ['a']]] },
  { selector: 'x=', want: [['x', '=', ['']]] },
  { selector: 'x in (b,a)', want: [['x', 'in', ['a', 'b']]] },
  { selector: 'x notin (a)', want: [['x', 'notin', ['a']]] },
  { selector: 'x', want: [['x', 'exists', []]] },
  { selector: '!x', want: [['x', '!', []]] },
  { selector: 'x>1', want: [['x', 'gt', ['1']]] },
  { selector: 'x<2', want: [['x', 'lt', ['2']]] },
  // The example from labels.Parse's documentation, requirements sorted by key.
  { selector: 'z notin (),x in (foo,,baz),y', want: [['x', 'in', ['', 'baz', 'foo']], ['y', 'exists', []], ['z', 'notin', ['']]] },
  { selector: ' \tx  =  a ,\n y ', want: [['x', '=', ['a']], ['y', 'exists', []]] },
  { selector: 'in in (in,notin)', want: [['in', 'in', ['in', 'notin']]] },
  { selector: 'example.com/app=web', want: [['example.com/app', '=', ['web']]] },
];

for (const row of parsed) {
  test(`labels.Parse(${JSON.stringify(row.selector)})`, () => {
    const sel = parseLabelSelector(row.selector);
    assert.deepEqual(sel.requirements.map((r) => [r.key, r.operator, [...r.values]]), row.want);
    assert.equal(sel.empty(), row.want.length === 0);
  });
}

const bad: { selector: string; message: string }[] = [
  { selector: 'a in (b', message: "unable to parse requirement: found '', expected: ',' or ')'" },
  { selector: 'a in b', message: "unable to parse requirement: found 'b' expected: '('" },
  { selector: 'a in (b c)', message: "unable to parse requirement: found 'c', expected: ',' or ')'" },
  { selector: 'a in (=)', message: "unable to parse requirement: found '=', expected: ',', ')' or identifier" },
  { selector: 'a in (b,=)', message: "unable to parse requirement: found '=', expected: ',', or identifier" },
  { selector: 'a=(b', message: "unable to parse requirement: found '(', expected: identifier" },
  { selector: 'a b', message: "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt" },
  { selector: 'a=b,', message: "found '', expected: identifier after ','" },
  { selector: 'a=b c=d', message: "found 'c', expected: ',' or 'end of string'" },
  { selector: '!a=b', message: "found '=', expected: ',' or 'end of string'" },
  { selector: '=a', message: "found '=', expected: !, identifier, or 'end of string'" },
  { selector: 'a_=b', message: `unable to parse requirement: <nil>: Invalid value: "a_": name part ${KEY_REGEX_MSG}` },
  { selector: 'a=b_', message: `unable to parse requirement: values[0][a]: Invalid value: "b_": ${VALUE_REGEX_MSG}` },
  { selector: `a=${'x'.repeat(64)}`, message: `unable to parse requirement: values[0][a]: Invalid value: "${'x'.repeat(64)}": must be no more than 63 bytes` },
  { selector: 'a in (b_,c_)', message: `unable to parse requirement: [values[0][a]: Invalid value: "b_": ${VALUE_REGEX_MSG}, values[1][a]: Invalid value: "c_": ${VALUE_REGEX_MSG}]` },
  { selector: 'a>b', message: `unable to parse requirement: values[0]: Invalid value: "b": for 'Gt', 'Lt' operators, the value must be an integer` },
  { selector: 'x.com/a/b', message: `unable to parse requirement: <nil>: Invalid value: "x.com/a/b": a valid label key ${KEY_REGEX_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')` },
  { selector: 'X_.com/a', message: `unable to parse requirement: <nil>: Invalid value: "X_.com/a": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')` },
];

for (const row of bad) {
  test(`labels.Parse(${JSON.stringify(row.selector)}) fails as the apiserver does`, () => {
    assert.throws(() => parseLabelSelector(row.selector), (err: unknown) => {
      assert.ok(err instanceof SelectorError);
      assert.equal(err.message, row.message);
      return true;
    });
  });
}

const matching: { selector: string; labels: Record<string, string> | undefined; want: boolean }[] = [
  { selector: 'x in (a,b)', labels: { x: 'a' }, want: true },
  { selector: 'x in (a,b)', labels: { x: 'c' }, want: false },
  { selector: 'x in (a,b)', labels: {}, want: false },
  { selector: 'x notin (a)', labels: {}, want: true },
  { selector: 'x notin (a)', labels: { x: 'a' }, want: false },
  { selector: 'x!=a', labels: undefined, want: true },
  { selector: 'x=a,y', labels: { x: 'a' }, want: false },
  { selector: 'x=a,y', labels: { x: 'a', y: '' }, want: true },
  { selector: '!x', labels: { y: 'b' }, want: true },
  { selector: '!x', labels: { x: '' }, want: false },
  { selector: 'x>1', labels: { x: '2' }, want: true },
  { selector: 'x>1', labels: { x: '1' }, want: false },
  { selector: 'x<1', labels: { x: 'abc' }, want: false },
  { selector: '', labels: undefined, want: true },
  // Inherited properties are not labels.
  { selector: 'constructor', labels: {}, want: false },
  { selector: 'a', labels: JSON.parse('{"__proto__":"x"}') as Record<string, string>, want: false },
];

for (const row of matching) {
  test(`${JSON.stringify(row.selector)} matches ${JSON.stringify(row.labels)} = ${row.want}`, () => {
    assert.equal(parseLabelSelector(row.selector).matches(row.labels), row.want);
  });
}

test('field selectors parse =, == and != with backslash escapes, terms sorted', () => {
  const sel = parseFieldSelector('metadata.name==a\\,b\\=c\\\\,metadata.namespace!=x,a=');
  assert.deepEqual(sel.terms, [
    { field: 'a', operator: '=', value: '' },
    { field: 'metadata.name', operator: '=', value: 'a,b=c\\' },
    { field: 'metadata.namespace', operator: '!=', value: 'x' },
  ]);
  assert.equal(sel.requiresExactMatch('metadata.name'), 'a,b=c\\');
  assert.equal(sel.requiresExactMatch('metadata.namespace'), undefined);
  assert.ok(parseFieldSelector('').empty());
  assert.ok(parseFieldSelector(',,').empty());
});

const badFields: { selector: string; message: string }[] = [
  { selector: 'a', message: "invalid selector: 'a'; can't understand 'a'" },
  { selector: 'x=1,a', message: "invalid selector: 'x=1,a'; can't understand 'a'" },
  { selector: 'a=b=c', message: 'invalid field selector: unescaped character in value: 61' },
  { selector: 'a!==b', message: 'invalid field selector: unescaped character in value: 61' },
  { selector: 'a=b\\x', message: 'invalid field selector: invalid escape sequence: \\x' },
  { selector: 'a=b\\', message: 'invalid field selector: invalid escape sequence: \\' },
];

for (const row of badFields) {
  test(`fields.ParseSelector(${JSON.stringify(row.selector)}) fails as the apiserver does`, () => {
    assert.throws(() => parseFieldSelector(row.selector), { name: 'SelectorError', message: row.message });
  });
}

const conversions: { name: string; kind: keyof typeof FIELD_SELECTABLE | 'cr' | 'clusterCr'; label: string; want: string | [string, string] }[] = [
  { name: 'a Knative Service takes metadata.name', kind: 'cr', label: 'metadata.name', want: ['metadata.name', 'v'] },
  { name: 'a Knative Service takes metadata.namespace', kind: 'cr', label: 'metadata.namespace', want: ['metadata.namespace', 'v'] },
  { name: 'a Knative Service refuses spec fields', kind: 'cr', label: 'spec.template', want: 'field label not supported: spec.template' },
  { name: 'a cluster-scoped custom resource refuses metadata.namespace', kind: 'clusterCr', label: 'metadata.namespace', want: 'field label not supported: metadata.namespace' },
  { name: 'pods take status.phase', kind: 'pod', label: 'status.phase', want: ['status.phase', 'v'] },
  { name: 'pods map spec.host to spec.nodeName', kind: 'pod', label: 'spec.host', want: ['spec.nodeName', 'v'] },
  { name: 'pods refuse others', kind: 'pod', label: 'spec.containers', want: 'field label not supported: spec.containers' },
  { name: 'events take involvedObject.uid', kind: 'event', label: 'involvedObject.uid', want: ['involvedObject.uid', 'v'] },
  { name: 'secrets take type', kind: 'secret', label: 'type', want: ['type', 'v'] },
  { name: 'namespaces refuse metadata.namespace', kind: 'namespace', label: 'metadata.namespace', want: 'field label not supported: metadata.namespace' },
  { name: 'deployments fall back to the default conversion', kind: 'deployment', label: 'spec.replicas', want: '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"' },
  { name: 'replicasets fall back to the default conversion', kind: 'replicaSet', label: 'status.replicas', want: '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"' },
];

for (const row of conversions) {
  test(`ConvertFieldLabel: ${row.name}`, () => {
    const kind = row.kind === 'cr' ? FIELD_SELECTABLE.customResource(true)
      : row.kind === 'clusterCr' ? FIELD_SELECTABLE.customResource(false)
        : FIELD_SELECTABLE[row.kind];
    if (typeof kind === 'function') throw new Error('unreachable');
    if (typeof row.want === 'string') assert.throws(() => kind.convert(row.label, 'v'), { name: 'SelectorError', message: row.want });
    else assert.deepEqual(kind.convert(row.label, 'v'), row.want);
  });
}

test('an event selector as kubectl describe sends it matches on the involved object', () => {
  const event = {
    metadata: { name: 'e1', namespace: 'default' },
    involvedObject: { kind: 'Service', namespace: 'default', name: 'hello', uid: 'u-1' },
    reason: 'Created', type: 'Normal', reportingComponent: 'service-controller',
  };
  const kind = FIELD_SELECTABLE.event;
  const sel = parseFieldSelector('involvedObject.name=hello,involvedObject.namespace=default,involvedObject.kind=Service,involvedObject.uid=u-1')
    .transform((l, v) => kind.convert(l, v));
  assert.ok(sel.matches(kind.fields(event)));
  assert.ok(!sel.matches(kind.fields({ ...event, involvedObject: { ...event.involvedObject, uid: 'u-2' } })));
  // `source` falls back to reportingComponent when source.component is empty.
  assert.ok(parseFieldSelector('source=service-controller').matches(kind.fields(event)));
  assert.ok(parseFieldSelector('source!=service-controller').matches(kind.fields({ ...event, source: { component: 'kubelet' } })));
});

test('pod fields: a missing field reads as the empty string, hostNetwork as a bool', () => {
  const kind = FIELD_SELECTABLE.pod;
  const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1' }, status: { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }] } };
  assert.ok(parseFieldSelector('spec.nodeName=n1,status.phase!=Pending,status.podIP=10.0.0.1,spec.hostNetwork=false').matches(kind.fields(pod)));
  assert.ok(parseFieldSelector('status.nominatedNodeName=').matches(kind.fields(pod)));
  assert.ok(!parseFieldSelector('metadata.namespace=other').matches(kind.fields(pod)));
});
