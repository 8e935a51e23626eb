import { BundleError } from './errors.js';
import { sortUtf8 } from '../core/order.js';

/**
 * A JSON tree that keeps what OPA's digest depends on and JSON.parse loses: number literals as
 * written (OPA decodes with json.Decoder.UseNumber, so `1.50`, `1E+2`, `-0` and 30-digit integers
 * are hashed verbatim) and keys in a Map (no `__proto__` surprises).
 */
export type JsonValue = null | boolean | string | JsonNumber | readonly JsonValue[] | JsonObject;
export type JsonObject = ReadonlyMap<string, JsonValue>;

export class JsonNumber {
  constructor(readonly literal: string) {}
}

/**
 * Go's json.Decoder has a nesting limit of 10000; a recursive parser in JS would exhaust the stack
 * well before that, so anything this deep is refused instead of risking a digest OPA disagrees with.
 */
const MAX_DEPTH = 1000;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * Parses UTF-8 JSON (RFC 8259, no BOM). Rejects what OPA would silently rewrite before hashing
 * (invalid UTF-8 and lone surrogate escapes become U+FFFD in Go), so a digest computed here is
 * never one OPA computes differently. Duplicate keys keep the last value, as Go's decoder does.
 */
export function parseJson(bytes: Uint8Array): JsonValue {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new BundleError('bad-json', 'not valid UTF-8');
  }
  return new Parser(text).document();
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  document(): JsonValue {
    const value = this.value(0);
    this.space();
    if (this.pos !== this.text.length) this.fail('unexpected text after the top-level value');
    return value;
  }

  private value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.space();
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (this.literal('true')) return true;
    if (this.literal('false')) return false;
    if (this.literal('null')) return null;
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) this.fail('expected a JSON value');
    this.pos += m[0].length;
    return new JsonNumber(m[0]);
  }

  private object(depth: number): JsonObject {
    const out = new Map<string, JsonValue>();
    this.pos++;
    this.space();
    if (this.eat('}')) return out;
    do {
      this.space();
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.space();
      if (!this.eat(':')) this.fail("expected ':'");
      out.set(key, this.value(depth + 1));
      this.space();
    } while (this.eat(','));
    if (!this.eat('}')) this.fail("expected ',' or '}'");
    return out;
  }

  private array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.space();
    if (this.eat(']')) return out;
    do {
      out.push(this.value(depth + 1));
      this.space();
    } while (this.eat(','));
    if (!this.eat(']')) this.fail("expected ',' or ']'");
    return out;
  }

  private string(): string {
    const t = this.text;
    let out = '';
    let start = ++this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string');
      const code = t.charCodeAt(this.pos);
      if (code === 0x22) break;
      if (code < 0x20) this.fail('control character in string');
      if (code !== 0x5c) {
        this.pos++;
        continue;
      }
      out += t.slice(start, this.pos);
      const e = t[this.pos + 1] ?? '';
      if (e === 'u') {
        const unit = this.hex4(this.pos + 2);
        this.pos += 6;
        if (unit >= 0xd800 && unit <= 0xdbff && t.startsWith('\\u', this.pos)) {
          const low = this.hex4(this.pos + 2);
          if (low < 0xdc00 || low > 0xdfff) this.fail('lone surrogate escape');
          this.pos += 6;
          out += String.fromCharCode(unit, low);
        } else if (unit >= 0xd800 && unit <= 0xdfff) {
          this.fail('lone surrogate escape');
        } else {
          out += String.fromCharCode(unit);
        }
      } else {
        const s = SHORT_ESCAPES[e];
        if (s === undefined) this.fail('invalid escape');
        out += s;
        this.pos += 2;
      }
      start = this.pos;
    }
    out += t.slice(start, this.pos);
    this.pos++;
    return out;
  }

  private hex4(at: number): number {
    const h = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) this.fail('invalid \\u escape');
    return parseInt(h, 16);
  }

  private space(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos++;
    }
  }

  private literal(word: string): boolean {
    if (!this.text.startsWith(word, this.pos)) return false;
    this.pos += word.length;
    return true;
  }

  private eat(c: string): boolean {
    if (this.text[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  private fail(what: string): never {
    throw new BundleError('bad-json', `${what} at character ${this.pos}`);
  }
}

/**
 * OPA's digest input for a structured file (v1/bundle/hash.go `walk`): no whitespace, object keys
 * in Go string order, primitives as Go's json.Encoder writes them with SetEscapeHTML(false).
 */
export function canonicalText(value: JsonValue): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return encodeString(value);
  if (value instanceof JsonNumber) return value.literal;
  if (value instanceof Map) {
    const parts: string[] = [];
    for (const key of sortUtf8(value.keys())) {
      parts.push(`${encodeString(key)}:${canonicalText(value.get(key) as JsonValue)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return `[${(value as readonly JsonValue[]).map(canonicalText).join(',')}]`;
}

/**
 * JSON.stringify matches Go ≥ 1.22's encoder (\b \f \n \r \t short forms, other controls as
 * lowercase \u00xx, DEL and non-ASCII literal, no HTML escaping) except that Go always escapes
 * U+2028 and U+2029. Lone surrogates would become U+FFFD in Go, so they are refused.
 */
export function encodeString(s: string): string {
  if (/\p{Cs}/u.test(s)) throw new BundleError('bad-json', 'string contains a lone surrogate');
  return JSON.stringify(s).replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}
