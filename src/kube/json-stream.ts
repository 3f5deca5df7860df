/**
 * Splits a stream of concatenated JSON values — what `kubectl get -w -o json` prints: one
 * pretty-printed object after another, no separator — into whole values as soon as each one ends.
 * Works on arbitrary chunk boundaries (inside strings, escapes, multi-byte characters already decoded).
 */
export class JsonStreamSplitter {
  private buffer = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  /** Characters of `buffer` already scanned. */
  private scanned = 0;

  constructor(private readonly onValue: (value: unknown) => void, private readonly onError: (error: Error, text: string) => void = () => {}) {}

  push(chunk: string): void {
    this.buffer += chunk;
    const text = this.buffer;
    for (let i = this.scanned; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === 0x5c /* \ */) this.escaped = true;
        else if (ch === 0x22 /* " */) this.inString = false;
        continue;
      }
      if (ch === 0x22) {
        this.inString = true;
      } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
        if (this.depth === 0) this.start = i;
        this.depth++;
      } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
        this.depth--;
        if (this.depth === 0 && this.start >= 0) {
          const json = text.slice(this.start, i + 1);
          this.start = -1;
          try {
            this.onValue(JSON.parse(json));
          } catch (error) {
            this.onError(error instanceof Error ? error : new Error(String(error)), json.slice(0, 200));
          }
        } else if (this.depth < 0) {
          this.depth = 0;
        }
      }
    }
    // Keep only the unfinished value (or nothing).
    if (this.depth === 0) {
      this.buffer = '';
      this.scanned = 0;
    } else {
      this.buffer = text.slice(this.start);
      this.scanned = this.buffer.length;
      this.start = 0;
    }
  }
}
