// Tests of the Go text/tabwriter port against Go's documented examples and kn's table/describe shapes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DESCRIBE_TABWRITER, TABLE_TABWRITER, TabWriter, tabulate } from './tabwriter.ts';

describe('tabwriter', () => {
  it("matches Go's ExampleWriter_Init (tab padding, tabwidth 8)", () => {
    const out = tabulate('a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n', { minWidth: 0, tabWidth: 8, padding: 0, padChar: '\t' });
    assert.equal(out, 'a\tb\tc\td\t\t.\n123\t12345\t1234567\t123456789\t.\n');
  });

  it('aligns kn tables with minwidth 6 and padding 3; the last cell is not a column', () => {
    const out = tabulate('NAME\tAGE\tREASON\nhello\t5m\t\nx\t10m\tsome reason\n', TABLE_TABWRITER);
    assert.equal(out, 'NAME    AGE   REASON\nhello   5m    \nx       10m   some reason\n');
  });

  it('a line without tabs ends the column block', () => {
    const out = tabulate('a:\tx\nlonger:\ty\nplain line\nb:\tz\n', DESCRIBE_TABWRITER);
    assert.equal(out, 'a:       x\nlonger:  y\nplain line\nb:  z\n');
  });

  it('blocks are per column: a line with fewer cells breaks inner columns only', () => {
    const out = tabulate('  100%\t@latest\n  \tImage:\tx\n  \tReplicas:\t1/1\n     +\tother\n  \tImage:\ty\n', DESCRIBE_TABWRITER);
    assert.equal(out, '  100%  @latest\n        Image:     x\n        Replicas:  1/1\n     +  other\n        Image:  y\n');
  });

  it('flush() ends alignment explicitly, and counts runes not UTF-16 units', () => {
    const tw = new TabWriter(DESCRIBE_TABWRITER);
    tw.write('Revisions:\t\n');
    tw.flush();
    tw.write('∞∞\tx\nab\ty\n');
    assert.equal(tw.take(), 'Revisions:  \n∞∞  x\nab  y\n');
  });

  it('pads leading empty cells with tabs when TabIndent is set', () => {
    assert.equal(tabulate('\tx\tend\nlonger\ty\tend\n', TABLE_TABWRITER), '\t\t\tx     end\nlonger   y     end\n');
  });
});
