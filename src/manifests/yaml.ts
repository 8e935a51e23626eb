/**
 * YAML as reviewers read it in diffs: `apiVersion`, `kind`, `metadata` first, every other key
 * sorted, block style, no line wrapping, the same bytes every time.
 *
 * A small emitter rather than the `yaml` package's (which takes ~0.2 ms an object: seconds for a
 * large workflow's 25,000 objects). It only writes what the renderer produces (maps, lists,
 * strings, numbers, booleans) and quotes conservatively: a string is plain only if it reads back
 * as the same string under YAML 1.2 and YAML 1.1 (Go's parsers), else it is written as a JSON
 * string, which is a valid YAML double-quoted scalar. The tests read every file back with the
 * `yaml` package, kustomize (Go, yaml.v3) and OPA (Go, sigs.k8s.io/yaml).
 */
import { compareKeys } from '../core/json.js';
import { GENERATED_HEADER } from './constants.js';

const FIRST = ['apiVersion', 'kind', 'metadata'];

// Plain if: no indicator first, only unambiguous characters, not a word or number of YAML 1.1 or 1.2.
const PLAIN = /^[A-Za-z_./][A-Za-z0-9_./@+=:*-]*$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?[A-Za-z]+$/;
const RESERVED = /^(y|n|yes|no|true|false|on|off|null|\.inf|\.nan|=)$/i;
const NUMBERISH = /^[0-9.]+[eE]|^\.[0-9]|^[-+]?0[xXoObB]/;

// The same labels, names and values recur in every object: decide each string once.
const written = new Map<string, string>();

function scalarText(s: string): string {
  let text = written.get(s);
  if (text === undefined) {
    const plain = (PLAIN.test(s) || QUANTITY.test(s)) && !RESERVED.test(s) && !NUMBERISH.test(s) && !s.endsWith(':');
    text = plain ? s : JSON.stringify(s);
    if (s.length <= 256 && written.size < 100_000) written.set(s, text);
  }
  return text;
}

/** A multi-line string as a literal block, when its lines allow it. */
function blockable(s: string): boolean {
  return s.includes('\n') && !/[\r\t]/.test(s) && !/^ /.test(s) && !/ (\n|$)/.test(s);
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return scalarText(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`internal: cannot write ${v} as YAML`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return 'null';
  throw new Error(`internal: cannot write ${typeof v} as YAML`);
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

// UTF-8 byte order, as the JSON files use; for ASCII keys (all of Custody's) it is plain code unit order.
const ASCII = /^[\x00-\x7f]*$/;
const byKey = (a: string, b: string) => (ASCII.test(a) && ASCII.test(b) ? (a < b ? -1 : a > b ? 1 : 0) : compareKeys(a, b));

// Objects built by the same code have the same keys: sort each set of keys once.
const orders = new Map<string, string[]>();

function keysOf(m: Record<string, unknown>, top: boolean): string[] {
  const keys = Object.keys(m).filter((k) => m[k] !== undefined);
  if (!top) {
    const signature = keys.join('\n');
    let order = orders.get(signature);
    if (!order) {
      order = keys.sort(byKey);
      if (orders.size < 10_000) orders.set(signature, order);
    }
    return order;
  }
  const first = FIRST.filter((k) => keys.includes(k));
  return [...first, ...keys.filter((k) => !first.includes(k)).sort(byKey)];
}

function block(s: string, pad: string, out: string[], head: string): void {
  const trailing = /\n*$/.exec(s)![0].length;
  const chomp = trailing === 1 ? '' : trailing === 0 ? '-' : '+';
  out.push(`${head}|${chomp}`);
  const body = trailing === 0 ? s : s.slice(0, -1);
  for (const line of body.split('\n')) out.push(line === '' ? '' : `${pad}${line}`);
}

/** `head` is what precedes the value on its line ("key:" or "-"), `pad` the indentation of nested lines. */
function value(v: unknown, head: string, pad: string, out: string[]): void {
  if (isMap(v)) {
    const keys = keysOf(v, false);
    if (keys.length === 0) out.push(`${head} {}`);
    else {
      out.push(head);
      map(v, keys, pad, out);
    }
  } else if (Array.isArray(v)) {
    if (v.length === 0) out.push(`${head} []`);
    else {
      out.push(head);
      list(v, pad, out);
    }
  } else if (typeof v === 'string' && blockable(v)) {
    block(v, pad, out, `${head} `);
  } else {
    out.push(`${head} ${scalar(v)}`);
  }
}

function map(m: Record<string, unknown>, keys: readonly string[], pad: string, out: string[]): void {
  for (const k of keys) value(m[k], `${pad}${scalarText(k)}:`, `${pad}  `, out);
}

function list(items: readonly unknown[], pad: string, out: string[]): void {
  for (const item of items) {
    if (isMap(item) && keysOf(item, false).length > 0) {
      // The first entry shares the dash's line; the others align with it.
      const keys = keysOf(item, false);
      const mark = out.length;
      map(item, keys, `${pad}  `, out);
      out[mark] = `${pad}- ${out[mark]!.slice(pad.length + 2)}`;
    } else {
      value(item, `${pad}-`, `${pad}  `, out);
    }
  }
}

function document(v: unknown, top: boolean): string {
  if (!isMap(v)) throw new Error('internal: a YAML document here is a mapping');
  const keys = keysOf(v, top);
  if (keys.length === 0) return '{}\n';
  const out: string[] = [];
  map(v, keys, '', out);
  return `${out.join('\n')}\n`;
}

/** One document, headed by a comment saying where it comes from. */
export function toYaml(v: unknown): string {
  return `# ${GENERATED_HEADER}\n\n${document(v, true)}`;
}

/** Text for an embedded file (a ConfigMap value), without the header. */
export function toYamlText(v: unknown): string {
  return document(v, false);
}
