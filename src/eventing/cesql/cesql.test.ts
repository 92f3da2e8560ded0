// CESQL v1 engine: cases in the spirit of the CloudEvents SQL TCK (cloudevents/spec cesql/cesql_tck),
// rewritten as tables: [expression, attributes, expected value | expected error kind].

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, evaluate, compileFilter, CesqlError, type Value, type ErrorKind, type Attributes } from './cesql.ts';

const EVENT: Attributes = { specversion: '1.0', id: 'e-1', source: '/orders', type: 'com.shop.order.created', subject: 'Widget_42', sequence: '7', flag: 'TRUE', neg: '-3', big: '3000000000' };

type Case = [expression: string, expected: Value | { error: ErrorKind }, attrs?: Attributes];

function run(cases: Case[]): void {
  for (const [expr, want, attrs] of cases) {
    let got: Value | undefined;
    let err: CesqlError | undefined;
    try {
      got = evaluate(parse(expr), attrs ?? EVENT);
    } catch (e) {
      if (!(e instanceof CesqlError)) throw e;
      err = e;
    }
    if (typeof want === 'object') assert.equal(err?.kind, want.error, `${expr}: want ${want.error} error, got ${err ? err.message : JSON.stringify(got)}`);
    else {
      assert.equal(err, undefined, `${expr}: unexpected ${err?.message}`);
      assert.equal(got, want, expr);
    }
  }
}

test('literals, case-insensitive keywords, identifiers', () => {
  run([
    ['TRUE', true], ['fAlSe', false], ['42', 42], ['-42', -42], ['+7', 7],
    ["'it\\'s'", "it's"], ['"say \\"hi\\""', 'say "hi"'], ["'aBc'", 'aBc'],
    ['2147483647', 2147483647], ['2147483648', { error: 'parse' }], ['-2147483648', -2147483648],
    ['ID', 'e-1'], ['type', 'com.shop.order.created'], ['missing', { error: 'missingAttribute' }],
  ]);
});

test('arithmetic: 32-bit, truncating division, sign of %, math errors', () => {
  run([
    ['4 + -1', 3], ['-4 - 1', -5], ['7 / 2', 3], ['-7 / 2', -3], ['-7 % 3', -1], ['7 % -3', 1],
    ['2147483647 + 1', -2147483648], ['1 / 0', { error: 'math' }], ['5 % 0', { error: 'math' }],
    ['2 + 3 * 4', 14], ['(2 + 3) * 4', 20], ['- sequence', -7], ['sequence * 2', 14],
    ['4 -1', { error: 'parse' }], ['missing * 5', { error: 'missingAttribute' }], ['1 / missing', { error: 'missingAttribute' }],
  ]);
});

test('comparisons cast the left operand to the right operand type', () => {
  run([
    ['sequence = 7', true], ['sequence = "7"', true], ["7 = '7'", true], ['TRUE = "true"', true], ['TRUE = "TRUE"', false],
    ["flag = TRUE", true], ['1 = TRUE', true], ['sequence <> 8', true], ['sequence != 7', false],
    ['sequence < 10', true], ['neg >= -3', true], ["'abc' < 1", { error: 'cast' }], ["type = 1", { error: 'cast' }],
    ['big > 1', { error: 'cast' }],
  ]);
});

test('logic: short circuit, right-associative single precedence level, XOR', () => {
  run([
    ['false and (1 != 1 / 0)', false], ['true and (1 != 1 / 0)', { error: 'math' }],
    ['true or (1 != 1 / 0)', true], ['false or (1 != 1 / 0)', { error: 'math' }],
    ['TRUE XOR TRUE', false], ['TRUE XOR FALSE', true],
    // a AND b OR c parses as a AND (b OR c)
    ['FALSE AND FALSE OR TRUE', false], ['TRUE OR TRUE AND FALSE', true],
    ['NOT TRUE', false], ['NOT 10', false], ["NOT 'false'", true], ["NOT 'nope'", { error: 'cast' }],
    ['true AND (missing = "")', { error: 'missingAttribute' }],
  ]);
});

test('LIKE, IN, EXISTS', () => {
  run([
    ["type LIKE 'com.shop.%'", true], ["type LIKE 'com._hop%'", true], ["type NOT LIKE '%created'", false],
    ["subject LIKE 'Widget\\_42'", true], ["'abc%' LIKE 'abc\\%'", true], ["'abcd' LIKE 'abc\\%'", false],
    ["'' LIKE ''", true], ["'a' LIKE ''", false], ['sequence LIKE "7"', true], ["7 LIKE '7'", true],
    ["type LIKE type", { error: 'parse' }],
    ["source IN ('/a', '/orders')", true], ["sequence IN (1, 7)", true], ["7 IN ('7')", true], ["source NOT IN ('/orders')", false],
    ['sequence IN ()', { error: 'parse' }], ["'x' IN (missing)", { error: 'missingAttribute' }],
    ['EXISTS subject', true], ['EXISTS id', true], ['EXISTS nothere', false], ['EXISTS subject', false, { specversion: '1.0', id: 'x', source: 's', type: 't' }],
  ]);
});

test('built-in functions', () => {
  run([
    ["LENGTH('héllo')", 5], ["CONCAT('a', 'b', 'c')", 'abc'], ['CONCAT()', ''], ["CONCAT_WS(',', 'a', 'b')", 'a,b'], ["CONCAT_WS(',')", ''],
    ["LOWER('AbC')", 'abc'], ["UPPER('AbC')", 'ABC'], ["TRIM('  x  ')", 'x'],
    ["LEFT('abc', 2)", 'ab'], ["LEFT('abc', 5)", 'abc'], ["LEFT('abc', -1)", { error: 'functionEvaluation' }],
    ["RIGHT('abc', 2)", 'bc'], ["SUBSTRING('abcdef', 2)", 'bcdef'], ["SUBSTRING('abcdef', -2)", 'ef'], ["SUBSTRING('abcdef', 2, 3)", 'bcd'],
    ["SUBSTRING('abc', 10)", { error: 'functionEvaluation' }],
    ['ABS(-5)', 5], ['ABS(-2147483648)', { error: 'math' }],
    ["INT('12')", 12], ["INT('x')", { error: 'cast' }], ['BOOL(0)', false], ["STRING(TRUE)", 'true'], ["IS_INT('12')", true], ["IS_BOOL('maybe')", false],
    ['int(sequence) + 1', 8], ['NOSUCH(1)', { error: 'missingFunction' }], ["LENGTH('a', 'b')", { error: 'missingFunction' }],
  ]);
});

test('parse errors', () => {
  for (const expr of ['ABC(', '(1', '1 +', 'AND', "'open", 'a = = b', 'my_attr = 1', '1 2', '#', 'EXISTS 1']) {
    assert.throws(() => parse(expr), (e: unknown) => e instanceof CesqlError && e.kind === 'parse' && e.message.startsWith('parse error: '), expr);
  }
});

test('compileFilter: only boolean true without error passes', () => {
  assert.equal(compileFilter("type LIKE 'com.%'")(EVENT), true);
  assert.equal(compileFilter("'true'")(EVENT), false);
  assert.equal(compileFilter('1')(EVENT), false);
  assert.equal(compileFilter('missing = 1 OR TRUE')(EVENT), false);
  assert.equal(compileFilter('TRUE OR missing = 1')(EVENT), true);
});
