// A bounded ring of an instance's most recent output lines.

/** Keeps the last `capacity` complete lines written to it (a trailing partial line included). */
export class LogRing {
  private readonly lines: string[] = [];
  private partial = '';
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Appends raw output, splitting it into lines. */
  write(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.push(line);
    if (this.partial.length > 64 * 1024) {
      this.push(this.partial);
      this.partial = '';
    }
  }

  /** Appends one whole line. */
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
  }

  /** The last n lines, oldest first. */
  last(n: number): string[] {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.slice(Math.max(0, all.length - n));
  }
}
