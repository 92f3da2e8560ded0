// Table tests for the Go text helpers: strconv.Quote, %#U, ParseInt/ParseUint/ParseBool errors, json.Marshal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goJSON, goQuote, goQuoteChar, goRuneU, parseGoBool, parseGoInt64, parseGoUint64 } from './gotext.ts';

test('strconv.Quote keeps printable runes and escapes the rest as Go does', () => {
  const rows: [string, string][] = [
    ['abc', '"abc"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['tab\there\nnl', '"tab\\there\\nnl"'],
    ['\u0000\u0007\u007f', '"\\x00\\a\\x7f"'],
    ['é日本', '"é日本"'],
    ['\u200b', '"\\u200b"'],
    ['\u{1F600}', '"😀"'],
    ['\u{E0001}', '"\\U000e0001"'],
  ];
  for (const [input, want] of rows) assert.equal(goQuote(input), want, JSON.stringify(input));
});

test('%#U and the JSON scanner\'s quoteChar', () => {
  assert.equal(goRuneU('\t'), 'U+0009');
  assert.equal(goRuneU('a'), "U+0061 'a'");
  assert.equal(goRuneU('\u00e9'), "U+00E9 'é'");
  assert.equal(goQuoteChar(0x27), "'\\''");
  assert.equal(goQuoteChar(0x22), "'\"'");
  assert.equal(goQuoteChar(0x01), "'\\x01'");
  assert.equal(goQuoteChar(0x78), "'x'");
});

test('strconv number parsing errors', () => {
  assert.equal(parseGoInt64('-42'), -42n);
  assert.equal(parseGoInt64('+7'), 7n);
  assert.throws(() => parseGoInt64(''), { message: 'strconv.ParseInt: parsing "": invalid syntax' });
  assert.throws(() => parseGoInt64('1_000'), { message: 'strconv.ParseInt: parsing "1_000": invalid syntax' });
  assert.throws(() => parseGoInt64('9223372036854775808'), { message: 'strconv.ParseInt: parsing "9223372036854775808": value out of range' });
  assert.equal(parseGoInt64('-9223372036854775808'), -(2n ** 63n));
  assert.throws(() => parseGoInt64('x', 'Atoi'), { message: 'strconv.Atoi: parsing "x": invalid syntax' });
  assert.throws(() => parseGoUint64('+1'), { message: 'strconv.ParseUint: parsing "+1": invalid syntax' });
  assert.throws(() => parseGoUint64('18446744073709551616'), { message: 'strconv.ParseUint: parsing "18446744073709551616": value out of range' });
});

test('strconv.ParseBool accepts exactly its twelve spellings', () => {
  for (const s of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(s), true, s);
  for (const s of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseGoBool(s), false, s);
  for (const s of ['', 'yes', 'tRUE', 'on']) assert.equal(parseGoBool(s), undefined, s);
});

test('json.Marshal sorts map keys and escapes HTML characters', () => {
  assert.equal(goJSON({ b: 1, a: ['<x>', '&'] }), '{"a":["\\u003cx\\u003e","\\u0026"],"b":1}');
  assert.equal(goJSON(JSON.parse('{"__proto__":1}')), '{"__proto__":1}');
  assert.equal(goJSON(null), 'null');
});
