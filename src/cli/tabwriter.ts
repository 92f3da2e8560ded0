// A port of Go's text/tabwriter (elastic tabstops), so tables and describe output align exactly like kn's.

interface Cell {
  text: string;
  width: number; // in runes, like utf8.RuneCount
  htab: boolean; // true if the cell is terminated by an htab ('\t')
}

/** Options of Go's tabwriter.NewWriter (minwidth, tabwidth, padding, padchar, flags). */
export interface TabWriterOptions {
  minWidth: number;
  tabWidth: number;
  padding: number;
  padChar?: string;
  /** tabwriter.TabIndent: pad leading empty cells with tabs. */
  tabIndent?: boolean;
}

/** kn's describe writer: tabwriter.NewWriter(out, 0, 8, 2, ' ', 0). */
export const DESCRIBE_TABWRITER: TabWriterOptions = { minWidth: 0, tabWidth: 8, padding: 2 };
/** kn's (kubectl's) table printer: tabwriter.NewWriter(out, 6, 4, 3, ' ', tabwriter.TabIndent). */
export const TABLE_TABWRITER: TabWriterOptions = { minWidth: 6, tabWidth: 4, padding: 3, tabIndent: true };

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Buffers text and aligns tab-separated cells on flush(), with Go's semantics:
 * a column block is a run of consecutive lines that have a tab-terminated cell in that column,
 * the last cell of a line never belongs to a column, and a line without tabs flushes the buffer.
 */
export class TabWriter {
  private readonly opts: Required<TabWriterOptions>;
  private lines: Cell[][] = [[]];
  private pending = '';
  private out = '';

  constructor(opts: TabWriterOptions) {
    this.opts = { padChar: ' ', tabIndent: false, ...opts };
  }

  /** Appends text; cells end at '\t', lines at '\n'. */
  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch !== 9 && ch !== 10) continue;
      this.pending += text.slice(start, i);
      start = i + 1;
      const ncells = this.terminateCell(ch === 9);
      if (ch === 10) {
        this.lines.push([]);
        // A line with a single cell cannot influence later lines: Go flushes here.
        if (ncells === 1) this.flushLines();
      }
    }
    this.pending += text.slice(start);
  }

  /** Formats everything buffered so far and returns the complete output accumulated since the last take(). */
  flush(): void {
    if (this.pending.length > 0) this.terminateCell(false);
    this.flushLines();
  }

  /** Flushes and returns all output produced so far, resetting the output buffer. */
  take(): string {
    this.flush();
    const s = this.out;
    this.out = '';
    return s;
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1];
    line.push({ text: this.pending, width: runeCount(this.pending), htab });
    this.pending = '';
    return line.length;
  }

  private flushLines(): void {
    // The last line is the (possibly empty) line being built; it is only written when it has cells.
    const widths: number[] = [];
    this.format(widths, 0, this.lines.length);
    this.lines = [[]];
  }

  private format(widths: number[], line0: number, line1: number): void {
    const column = widths.length;
    for (let cur = line0; cur < line1; cur++) {
      const line = this.lines[cur];
      if (column >= line.length - 1) continue;
      // A cell exists in this column: print the lines before the block, then size the block.
      this.writeLines(widths, line0, cur);
      line0 = cur;
      let width = this.opts.minWidth;
      for (; cur < line1; cur++) {
        const l = this.lines[cur];
        if (column >= l.length - 1) break;
        const w = l[column].width + this.opts.padding;
        if (w > width) width = w;
      }
      widths.push(width);
      this.format(widths, line0, cur);
      widths.pop();
      line0 = cur;
    }
    this.writeLines(widths, line0, line1);
  }

  private writeLines(widths: number[], line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i];
      let useTabs = this.opts.tabIndent;
      for (let j = 0; j < line.length; j++) {
        const c = line[j];
        if (c.text.length > 0) {
          useTabs = false;
          this.out += c.text;
        }
        if (j < widths.length) this.writePadding(c.width, widths[j], c.text.length === 0 && useTabs);
      }
      const isLast = i + 1 === this.lines.length;
      if (!isLast) this.out += '\n';
    }
  }

  private writePadding(textWidth: number, cellWidth: number, useTabs: boolean): void {
    if (this.opts.padChar === '\t' || useTabs) {
      const tw = this.opts.tabWidth;
      if (tw === 0) return;
      const cw = Math.ceil(cellWidth / tw) * tw;
      const n = cw - textWidth;
      this.out += '\t'.repeat(Math.ceil(n / tw));
      return;
    }
    this.out += this.opts.padChar.repeat(cellWidth - textWidth);
  }
}

/** Aligns a whole tab-separated text in one go. */
export function tabulate(text: string, opts: TabWriterOptions): string {
  const tw = new TabWriter(opts);
  tw.write(text);
  return tw.take();
}
