/**
 * Reads the beginning of a JSON document, as a model streams it, into the value it shows so far:
 * open strings, arrays and objects are closed where the text stops; a key without its value, and a
 * number or literal that may still grow ("12" of "1200", "tr" of "true"), are left out. Objects and
 * arrays the text stops inside are remembered, so a reader can tell a finished item from one being
 * written (`isCutOff`). Progress only: the answer a step uses is always the complete, validated one.
 */
export function parsePartialJson(text: string): unknown {
  const parser = new PartialParser(text);
  try {
    const value = parser.value(0);
    return value === END ? undefined : value;
  } catch {
    // Not JSON at all (a model writing prose, a malformed answer): nothing to show.
    return undefined;
  }
}

/** True for an object or array the text stopped inside (its last item may be unfinished). */
export function isCutOff(value: unknown): boolean {
  return typeof value === 'object' && value !== null && cutOff.has(value);
}

const cutOff = new WeakSet<object>();
const END: unique symbol = Symbol('end of text');
/** Deeper than any step schema nests; guards the recursion against a pathological answer. */
const MAX_DEPTH = 64;
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
const LITERALS: Array<[string, unknown]> = [
  ['true', true],
  ['false', false],
  ['null', null],
];

class PartialParser {
  private i = 0;
  /** Set once any part reached the end of the text: every container still open is cut off. */
  private ended = false;

  constructor(private readonly s: string) {}

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new SyntaxError('nested too deeply');
    this.skipSpace();
    if (this.i >= this.s.length) return this.end();
    const c = this.s[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    return this.literal();
  }

  private object(depth: number): Record<string, unknown> | typeof END {
    this.i++;
    const obj: Record<string, unknown> = {};
    for (;;) {
      this.skipSpace();
      const c = this.s[this.i];
      if (c === undefined) return this.cut(obj);
      if (c === '}') {
        this.i++;
        return obj;
      }
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c !== '"') throw new SyntaxError(`unexpected ${c} in an object`);
      const key = this.string();
      if (this.ended) return this.cut(obj);
      this.skipSpace();
      if (this.i >= this.s.length) return this.cut(obj);
      if (this.s[this.i] !== ':') throw new SyntaxError('expected a colon');
      this.i++;
      const value = this.value(depth + 1);
      if (value !== END) obj[key] = value;
      if (this.ended) return this.cut(obj);
    }
  }

  private array(depth: number): unknown[] {
    this.i++;
    const arr: unknown[] = [];
    for (;;) {
      this.skipSpace();
      const c = this.s[this.i];
      if (c === undefined) return this.cut(arr);
      if (c === ']') {
        this.i++;
        return arr;
      }
      if (c === ',') {
        this.i++;
        continue;
      }
      const value = this.value(depth + 1);
      if (value !== END) arr.push(value);
      if (this.ended) return this.cut(arr);
    }
  }

  /** A string, closed where the text stops (a cut-off escape sequence is dropped). */
  private string(): string {
    this.i++;
    let out = '';
    for (;;) {
      const quote = this.s.indexOf('"', this.i);
      const slash = this.s.indexOf('\\', this.i);
      if (quote === -1 && slash === -1) {
        out += this.s.slice(this.i);
        this.i = this.s.length;
        this.ended = true;
        return out;
      }
      if (slash === -1 || (quote !== -1 && quote < slash)) {
        out += this.s.slice(this.i, quote);
        this.i = quote + 1;
        return out;
      }
      out += this.s.slice(this.i, slash);
      const kind = this.s[slash + 1];
      if (kind === undefined) return this.endString(out);
      if (kind === 'u') {
        const hex = this.s.slice(slash + 2, slash + 6);
        if (hex.length < 4) return this.endString(out);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.i = slash + 6;
      } else {
        out += ESCAPES[kind] ?? kind;
        this.i = slash + 2;
      }
    }
  }

  private endString(out: string): string {
    this.i = this.s.length;
    this.ended = true;
    return out;
  }

  /** A number the text stops inside may still grow: left out. */
  private number(): number | typeof END {
    const start = this.i;
    while (this.i < this.s.length && /[0-9eE+.-]/.test(this.s[this.i] as string)) this.i++;
    if (this.i >= this.s.length) return this.end();
    const n = Number(this.s.slice(start, this.i));
    if (Number.isNaN(n)) throw new SyntaxError('not a number');
    return n;
  }

  private literal(): unknown {
    const rest = this.s.slice(this.i, this.i + 5);
    for (const [word, value] of LITERALS) {
      if (rest.startsWith(word)) {
        this.i += word.length;
        return value;
      }
      if (word.startsWith(rest)) return this.end();
    }
    throw new SyntaxError(`unexpected ${rest}`);
  }

  private end(): typeof END {
    this.i = this.s.length;
    this.ended = true;
    return END;
  }

  private cut<T extends object>(container: T): T {
    cutOff.add(container);
    this.ended = true;
    return container;
  }

  private skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i] as string)) this.i++;
  }
}
