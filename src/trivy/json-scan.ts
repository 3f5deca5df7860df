/**
 * A validating JSON scanner over bytes, for reports too large to `JSON.parse` quickly.
 *
 * A Trivy report with 100,000 findings is ~450 MB of indented JSON, most of it descriptions and
 * reference lists the gate never reads. `JSON.parse` builds every one of those strings (≈3 s and
 * ≈1.5 GB of heap for such a file); this scanner walks the bytes once, checks the structure, and
 * decodes only the values its caller asks for.
 *
 * What is validated, exactly as JSON (RFC 8259) requires: every object, array, key, colon, comma,
 * literal and number, string termination, and nothing but white space after the top-level value —
 * so a truncated or spliced file is always rejected, and every escape sequence. Strings whose value
 * is read are checked byte by byte. The interior of long strings that are skipped is searched for
 * its closing quote and its escapes natively: a raw control character (a literal tab or newline)
 * deep inside an unread description is not reported. That is the one leniency.
 */

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    readonly detail: string,
    readonly offset: number,
  ) {
    super(`${detail} at byte ${offset}`);
  }
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Strings longer than this are finished with a native `indexOf` search for the closing quote. */
const SHORT_STRING = 32;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function describeByte(c: number | undefined): string {
  if (c === undefined) return 'end of input';
  if (c >= 0x21 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/** Node's native Buffer slicers (present on every Buffer, missing from @types/node). */
interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

/**
 * A cursor over one JSON text. Methods advance `pos`; every method that expects a token throws a
 * JsonSyntaxError (with the byte offset) when it finds something else.
 */
export class JsonScanner {
  pos = 0;
  readonly buf: Buffer;
  readonly end: number;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = this.buf.length;
    // A UTF-8 byte-order mark is tolerated (JSON.parse would not see one after decoding either).
    if (this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) this.pos = 3;
  }

  fail(detail: string, at = this.pos): never {
    throw new JsonSyntaxError(detail, at);
  }

  /** Skips white space; returns the next byte (undefined at the end). */
  peek(): number | undefined {
    const b = this.buf;
    const end = this.end;
    let i = this.pos;
    while (i < end) {
      const c = b[i] as number;
      if (c === SPACE || c === LF || c === CR || c === TAB) i++;
      else break;
    }
    this.pos = i;
    return i < end ? b[i] : undefined;
  }

  kind(): JsonKind {
    const c = this.peek();
    switch (c) {
      case LBRACE:
        return 'object';
      case LBRACKET:
        return 'array';
      case QUOTE:
        return 'string';
      case 0x74: // t
      case 0x66: // f
        return 'boolean';
      case 0x6e: // n
        return 'null';
      default:
        if (c === MINUS || (c !== undefined && c >= ZERO && c <= NINE)) return 'number';
        return this.fail(`unexpected ${describeByte(c)}`);
    }
  }

  expectEnd(): void {
    const c = this.peek();
    if (c !== undefined) this.fail(`unexpected ${describeByte(c)} after the end of the document`);
  }

  // ── objects and arrays ────────────────────────────────────────────────────────────────────────

  /** Key of the member being read (raw bytes between the quotes), set by `key()`. */
  keyStart = 0;
  keyEnd = 0;
  keyEscaped = false;

  /** Enters the object at `pos`; true when it has members (read each with `key()`, then its value). */
  enterObject(): boolean {
    if (this.peek() !== LBRACE) this.fail(`expected an object, found ${describeByte(this.buf[this.pos])}`);
    this.pos++;
    if (this.peek() === RBRACE) {
      this.pos++;
      return false;
    }
    return true;
  }

  /** Reads a member's key and colon; `pos` is then on the value, which the caller must consume. */
  key(): void {
    const b = this.buf;
    let i = this.pos;
    let c = b[i] as number;
    while (c === SPACE || c === LF || c === CR || c === TAB) c = b[++i] as number;
    if (c !== QUOTE) this.fail(`expected a key string, found ${describeByte(i < this.end ? c : undefined)}`, i);
    const start = i + 1;
    // Fast path: a plain key (no escape, no control character) up to its closing quote.
    for (i = start; ; i++) {
      c = b[i] as number;
      if (c === QUOTE || c === BACKSLASH || c < SPACE || i >= this.end) break;
    }
    if (c === QUOTE && i < this.end) {
      this.keyStart = start;
      this.keyEnd = i;
      this.keyEscaped = false;
      this.pos = i + 1;
    } else {
      this.pos = start - 1;
      this.keyStart = start;
      this.keyEscaped = this.scanFullString();
      this.keyEnd = this.pos - 1;
    }
    i = this.pos;
    c = b[i] as number;
    while (c === SPACE || c === LF || c === CR || c === TAB) c = b[++i] as number;
    if (c !== COLON) this.fail(`expected ':' after a key, found ${describeByte(i < this.end ? c : undefined)}`, i);
    this.pos = i + 1;
  }

  /** Length in bytes of the current key (for dispatching on it). */
  keyLength(): number {
    return this.keyEnd - this.keyStart;
  }

  /** The current key decoded (for messages and escaped keys). */
  keyName(): string {
    return this.decode(this.keyStart, this.keyEnd, this.keyEscaped);
  }

  /** After a member's value: true when another member follows, false after the closing brace. */
  nextMember(): boolean {
    const c = this.peek();
    if (c === COMMA) {
      this.pos++;
      return true;
    }
    if (c === RBRACE) {
      this.pos++;
      return false;
    }
    return this.fail(`expected ',' or '}' in an object, found ${describeByte(c)}`);
  }

  /** Enters the array at `pos`; true when it has elements. */
  enterArray(): boolean {
    if (this.peek() !== LBRACKET) this.fail(`expected an array, found ${describeByte(this.buf[this.pos])}`);
    this.pos++;
    if (this.peek() === RBRACKET) {
      this.pos++;
      return false;
    }
    return true;
  }

  /** After an element: true when another follows, false after the closing bracket. */
  nextItem(): boolean {
    const c = this.peek();
    if (c === COMMA) {
      this.pos++;
      return true;
    }
    if (c === RBRACKET) {
      this.pos++;
      return false;
    }
    return this.fail(`expected ',' or ']' in an array, found ${describeByte(c)}`);
  }

  /** True when the current key is exactly `expected` (ASCII bytes from `keyBytes`). */
  keyIs(expected: Uint8Array): boolean {
    if (this.keyEscaped) return this.keyName() === String.fromCharCode(...expected);
    const start = this.keyStart;
    if (this.keyEnd - start !== expected.length) return false;
    const b = this.buf;
    for (let k = 0; k < expected.length; k++) if (b[start + k] !== expected[k]) return false;
    return true;
  }

  // ── scalars ───────────────────────────────────────────────────────────────────────────────────

  /** Reads a string value (validated byte by byte) and decodes it. */
  string(): string {
    if (this.peek() !== QUOTE) this.fail(`expected a string, found ${describeByte(this.buf[this.pos])}`);
    const start = this.pos + 1;
    const escaped = this.scanFullString();
    return this.decode(start, this.pos - 1, escaped, this.lastAscii);
  }

  /** Decodes the raw bytes of a string (between its quotes). */
  decode(start: number, end: number, escaped: boolean, ascii = false): string {
    // Buffer#latin1Slice/utf8Slice are what Buffer#toString calls after checking its arguments.
    const buf = this.buf as unknown as FastSlices;
    if (!escaped) return ascii ? buf.latin1Slice(start, end) : buf.utf8Slice(start, end);
    return JSON.parse(this.buf.toString('utf8', start - 1, end + 1)) as string;
  }

  number(): number {
    const start = this.pos;
    this.scanNumber();
    return Number(this.buf.toString('latin1', start, this.pos));
  }

  /** A string, or undefined for null; anything else is reported through `wrongType`. */
  optionalString(wrongType: (kind: JsonKind) => never): string | undefined {
    const kind = this.kind();
    if (kind === 'string') return this.string();
    if (kind === 'null') {
      this.skip();
      return undefined;
    }
    return wrongType(kind);
  }

  // ── skipping ──────────────────────────────────────────────────────────────────────────────────

  /** Skips one value of any kind, validating its structure; iterative, so nesting depth is free. */
  skip(): void {
    const b = this.buf;
    const end = this.end;
    // Open containers, innermost last: 1 = object, 0 = array (one reused array: skip never nests).
    const stack = this.stack;
    let depth = 0;
    let i = this.pos;
    for (;;) {
      // A value starts here.
      let c = b[i] as number;
      while (c === SPACE || c === LF || c === CR || c === TAB) c = b[++i] as number;
      if (c === QUOTE) i = skipStringAt(this, b, i, end);
      else if (c === LBRACE || c === LBRACKET) {
        const isObject = c === LBRACE;
        c = b[++i] as number;
        while (c === SPACE || c === LF || c === CR || c === TAB) c = b[++i] as number;
        if (c === (isObject ? RBRACE : RBRACKET)) i++;
        else {
          if (isObject) i = this.skipKey(i);
          stack[depth++] = isObject ? 1 : 0;
          continue;
        }
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        this.pos = i;
        this.scanNumber();
        i = this.pos;
      } else {
        this.pos = i;
        this.scanLiteral(i < end ? c : undefined);
        i = this.pos;
      }
      // After a value: commas and closing brackets.
      for (;;) {
        if (depth === 0) {
          this.pos = i;
          return;
        }
        let d = b[i] as number;
        while (d === SPACE || d === LF || d === CR || d === TAB) d = b[++i] as number;
        const inObject = stack[depth - 1] === 1;
        if (d === COMMA) {
          i++;
          if (inObject) {
            d = b[i] as number;
            while (d === SPACE || d === LF || d === CR || d === TAB) d = b[++i] as number;
            i = this.skipKey(i);
          }
          break;
        }
        if (d === (inObject ? RBRACE : RBRACKET)) {
          i++;
          depth--;
          continue;
        }
        this.fail(`expected ',' or '${inObject ? '}' : ']'}', found ${describeByte(i < end ? d : undefined)}`, i);
      }
    }
  }

  /** A key at `i` (its opening quote), then white space and the colon; returns the index after it. */
  private skipKey(i: number): number {
    const b = this.buf;
    const end = this.end;
    if (b[i] !== QUOTE) this.fail(`expected a key string, found ${describeByte(i < end ? b[i] : undefined)}`, i);
    const open = i++;
    for (;;) {
      if (i >= end) this.fail('unterminated string', open);
      const c = b[i] as number;
      if (c === QUOTE) break;
      if (c === BACKSLASH) i = this.escapeAt(i);
      else if (c < SPACE) this.fail('control character in a string', i);
      else i++;
    }
    let c = b[++i] as number;
    while (c === SPACE || c === LF || c === CR || c === TAB) c = b[++i] as number;
    if (c !== COLON) this.fail(`expected ':' after a key, found ${describeByte(i < end ? c : undefined)}`, i);
    return i + 1;
  }

  private scanLiteral(c: number | undefined): void {
    const b = this.buf;
    const i = this.pos;
    if (c === 0x74 && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65) this.pos += 4;
    else if (c === 0x66 && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65) this.pos += 5;
    else if (c === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) this.pos += 4;
    else this.fail(c === undefined ? 'unexpected end of input, expected a value' : `unexpected ${describeByte(c)}, expected a value`);
  }

  private scanNumber(): void {
    const b = this.buf;
    let i = this.pos;
    if (b[i] === MINUS) i++;
    let c = b[i];
    if (c === ZERO) i++;
    else if (c !== undefined && c >= 0x31 && c <= NINE) {
      i++;
      while ((c = b[i]) !== undefined && c >= ZERO && c <= NINE) i++;
    } else this.fail('invalid number', i);
    if (b[i] === DOT) {
      i++;
      if (!((c = b[i]) !== undefined && c >= ZERO && c <= NINE)) this.fail('invalid number: digits expected after the decimal point', i);
      while ((c = b[i]) !== undefined && c >= ZERO && c <= NINE) i++;
    }
    c = b[i];
    if (c === 0x65 || c === 0x45) {
      i++;
      if (b[i] === PLUS || b[i] === MINUS) i++;
      if (!((c = b[i]) !== undefined && c >= ZERO && c <= NINE)) this.fail('invalid number: digits expected in the exponent', i);
      while ((c = b[i]) !== undefined && c >= ZERO && c <= NINE) i++;
    }
    this.pos = i;
  }

  /** Validates an escape at `i` (the backslash); returns the index after it. */
  escapeAt(i: number): number {
    const b = this.buf;
    const e = b[i + 1];
    switch (e) {
      case QUOTE:
      case BACKSLASH:
      case 0x2f: // /
      case 0x62: // b
      case 0x66: // f
      case 0x6e: // n
      case 0x72: // r
      case 0x74: // t
        return i + 2;
      case 0x75: // u
        if (isHex(b[i + 2] ?? 0) && isHex(b[i + 3] ?? 0) && isHex(b[i + 4] ?? 0) && isHex(b[i + 5] ?? 0)) return i + 6;
        return this.fail('invalid \\u escape in a string', i);
      case undefined:
        return this.fail('unterminated string', i);
      default:
        return this.fail(`invalid escape '\\${String.fromCharCode(e)}' in a string`, i);
    }
  }

  /** A string checked byte by byte; `pos` ends after the closing quote. */
  private readonly stack: number[] = [];

  /** Position of the next backslash at or after the last search (a cache for `skipStringAt`). */
  nextBackslash = -1;

  /** Set by `scanFullString`: the string just scanned was pure ASCII. */
  private lastAscii = true;

  private scanFullString(): boolean {
    const b = this.buf;
    const end = this.end;
    const open = this.pos;
    let i = open + 1;
    let escaped = false;
    let ascii = true;
    for (;;) {
      if (i >= end) this.fail('unterminated string', open);
      const c = b[i] as number;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        i = this.escapeAt(i);
        continue;
      }
      if (c < SPACE) this.fail('control character in a string', i);
      if (c >= 0x80) ascii = false;
      i++;
    }
    this.pos = i + 1;
    this.lastAscii = ascii;
    return escaped;
  }

  /** Skips a string: the first bytes are checked, a long rest is searched for its closing quote. */
  skipString(): void {
    this.pos = skipStringAt(this, this.buf, this.pos, this.end);
  }

}

/**
 * Skips the string whose opening quote is at `open`; returns the index after its closing quote.
 * A free function (not a method) because it is the hottest loop of the scanner.
 */
function skipStringAt(scanner: JsonScanner, b: Buffer, open: number, end: number): number {
  let i = open + 1;
  const limit = i + SHORT_STRING < end ? i + SHORT_STRING : end;
  while (i < limit) {
    const c = b[i] as number;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i = scanner.escapeAt(i);
    else if (c < SPACE) scanner.fail('control character in a string', i);
    else i++;
  }
  for (;;) {
    const quote = b.indexOf(QUOTE, i);
    if (quote < 0) scanner.fail('unterminated string', open);
    // No backslash before the quote: it closes the string. The next backslash position is cached,
    // so these searches stay linear over the whole document.
    let backslash = scanner.nextBackslash;
    if (backslash < i) {
      backslash = b.indexOf(BACKSLASH, i);
      if (backslash < 0) backslash = end;
      scanner.nextBackslash = backslash;
    }
    if (backslash > quote) return quote + 1;
    // Escapes before the quote: validate them, and find out whether this quote is one of them.
    while (i < quote) {
      if (b[i] === BACKSLASH) i = scanner.escapeAt(i);
      else i++;
    }
    if (i === quote) return quote + 1;
    // The quote was escaped (`\"`): continue after it.
  }
}

/** 1-based line and column of a byte offset (for error messages). */
export function lineColumn(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = buf.indexOf(LF); i >= 0 && i < offset; i = buf.indexOf(LF, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** The ASCII bytes of a key name, for `keyIs`. */
export function keyBytes(name: string): Uint8Array {
  return Uint8Array.from(name, (ch) => ch.charCodeAt(0));
}
