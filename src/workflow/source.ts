/** A parsed YAML file that can say where any field of it stands (line and column), for diagnostics. */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { excerpt } from '../core/text.js';
import { DiagnosticCodes, type Diagnostic } from './diagnostic.js';

export type FieldPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly column: number;
}

export class SourceFile {
  private constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    /** The document as plain JSON-like data. */
    readonly value: unknown,
  ) {}

  /** Parses `text`; YAML syntax problems come back as diagnostics, all of them. */
  static parse(file: string, text: string): { source?: SourceFile; diagnostics: Diagnostic[] } {
    const lines = new LineCounter();
    // YAML 1.2 core schema: `08:00` stays a string (YAML 1.1 would read it as the number 480) and
    // `on`/`yes` stay strings. Duplicate keys are errors, never "last one wins".
    const parsed = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, version: '1.2', prettyErrors: true });
    const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
    const diagnostics: Diagnostic[] = [];
    const first = docs[0];
    for (const doc of docs) {
      let syntax = false;
      for (const err of [...doc.errors, ...doc.warnings]) {
        const pos = err.linePos?.[0] ?? { line: 1, col: 1 };
        // A repeated key is how an actor (or any name) used twice shows in YAML: say so in those words,
        // naming the key and where it stands.
        if (err.code === 'DUPLICATE_KEY') {
          const where = keyPathAt(doc.contents, err.pos[0], []);
          const name = where?.at(-1);
          const parent = where ? fieldName(where.slice(0, -1)) : '';
          diagnostics.push({
            severity: 'error',
            code: DiagnosticCodes.duplicateName,
            file,
            line: pos.line,
            column: pos.col,
            field: where ? fieldName(where) : '',
            message:
              name === undefined
                ? 'this name is already used as a key of the same mapping'
                : `"${excerpt(String(name), 100)}" is already used as a key of ${parent || 'the document'}`,
            hint: 'each actor, agent and field is named once; rename or merge the two',
          });
          continue;
        }
        // After one syntax error the parser's later complaints (a mis-indented line gives three or
        // four) are mostly its consequences: the first, where the reader must look, is the one said.
        if (syntax) continue;
        syntax = true;
        diagnostics.push({
          severity: 'error',
          code: DiagnosticCodes.yamlSyntax,
          file,
          line: pos.line,
          column: pos.col,
          field: '',
          message: excerpt(err.message.split('\n')[0] ?? err.message, 200),
          hint: 'fix the YAML syntax at this place',
        });
      }
    }
    if (docs.length > 1) {
      const second = docs[1]!;
      const pos = lines.linePos(second.range[0]);
      diagnostics.push({
        severity: 'error',
        code: DiagnosticCodes.yamlSyntax,
        file,
        line: pos.line,
        column: pos.col,
        field: '',
        message: 'a workflow file holds exactly one YAML document',
        hint: 'move each workflow into a file of its own',
      });
    }
    if (!first) {
      diagnostics.push({
        severity: 'error',
        code: DiagnosticCodes.notAMapping,
        file,
        line: 1,
        column: 1,
        field: '',
        message: 'the file is empty',
        hint: 'write a Workflow (see workflows/movie-post-production.yaml)',
      });
    }
    // A name used twice still leaves a document to check (the later value of the key is kept): its
    // other errors are reported with it, not hidden behind it.
    if (!first || diagnostics.some((d) => d.code !== DiagnosticCodes.duplicateName)) return { diagnostics };
    let value: unknown;
    try {
      value = first.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // An alias without its anchor (or too many aliases) only shows when the document is resolved.
      return {
        diagnostics: [
          {
            severity: 'error',
            code: DiagnosticCodes.yamlSyntax,
            file,
            line: 1,
            column: 1,
            field: '',
            message: excerpt((err as Error).message, 200),
            hint: 'define the anchor (&name) before its alias (*name), or write the value out',
          },
        ],
      };
    }
    return { source: new SourceFile(file, first, lines, value), diagnostics };
  }

  /**
   * Where `path` is written. With `key`, the position of the map key naming the last segment
   * (for "unknown field" and duplicates); otherwise of the value. Falls back to the nearest
   * enclosing node that exists.
   */
  position(path: FieldPath, key = false): Position {
    let node: unknown = this.doc.contents;
    let offset = nodeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) break;
        if (last && key) {
          offset = nodeStart(pair.key) ?? offset;
          break;
        }
        node = pair.value;
        offset = nodeStart(node) ?? nodeStart(pair.key) ?? offset;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) break;
        node = item;
        offset = nodeStart(node) ?? offset;
      } else {
        break;
      }
    }
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }
}

/** The field path of the map key that starts at `offset`, if any. */
function keyPathAt(node: unknown, offset: number, path: (string | number)[]): (string | number)[] | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (nodeStart(pair.key) === offset) return [...path, key];
      const inner = keyPathAt(pair.value, offset, [...path, key]);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) {
      const inner = keyPathAt(node.items[i], offset, [...path, i]);
      if (inner) return inner;
    }
  }
  return undefined;
}

function nodeStart(node: unknown): number | undefined {
  const range = (node as Node | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}

/** `spec.flows[3].to` from `['spec','flows',3,'to']`. */
export function fieldName(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
