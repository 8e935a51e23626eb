/**
 * The shape of src/, checked so that it cannot drift back. The rules:
 *
 * - every folder under src/ is one layer of LAYERS, listed in data-flow order (a folder that is
 *   not listed fails: add it where it belongs rather than leaving it unchecked);
 * - a file imports only from its own layer or a lower one (earlier in LAYERS);
 * - no import cycle between files, and none between folders;
 * - a file over MAX_LINES lines says why it is one piece: its opening comment (the comments before
 *   its first line of code) contains LONG_FILE_MARKER, as in
 *   `// One cohesive format: the index reader and writer share every field offset, so they stay together.`
 *
 * Every import counts, `import type` and `export ... from` included: a type is a dependency of
 * the design even when it vanishes at run time.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { test } from 'uvu';
import { cmp } from '../../src/core/order.js';
import { repoPath } from '../helpers/paths.js';

const LAYERS = [
  'core',
  'contract',
  'keys',
  'workflow',
  'policy',
  'manifests',
  'graph',
  'generate',
  'bundle',
  'git',
  'summary',
  'github',
  'server',
  'cluster',
  'gitops',
  'verify',
  'cli',
];
const MAX_LINES = 300;
const LONG_FILE_MARKER = /\bone cohesive\b/i;

const SRC = repoPath('src');

interface Import {
  /** Both relative to src/, with `/` separators. */
  readonly from: string;
  readonly to: string;
  readonly specifier: string;
  readonly line: number;
}

function sourceFiles(dir = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(SRC, dir), { withFileTypes: true })) {
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (entry.name.endsWith('.ts')) out.push(rel);
  }
  return out.sort();
}

const files = sourceFiles();
const texts = new Map(files.map((f) => [f, readFileSync(path.join(SRC, f), 'utf8')]));
const imports: Import[] = [];
/** Relative imports that are not a file of src/: the graph would be incomplete without them. */
const unresolved: string[] = [];

for (const [from, text] of texts) {
  for (const { fileName: specifier, pos } of ts.preProcessFile(text, true, true).importedFiles) {
    if (!specifier.startsWith('.')) continue;
    const line = text.slice(0, pos).split('\n').length;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
    const where = `src/${from}:${line} imports '${specifier}'`;
    if (target.startsWith('../')) unresolved.push(`${where}, which is outside src/`);
    else if (target.endsWith('.js') && texts.has(target.replace(/\.js$/, '.ts'))) imports.push({ from, to: target.replace(/\.js$/, '.ts'), specifier, line });
    // Data files (the workflow JSON Schema) are leaves: they import nothing.
    else if (!target.endsWith('.js') && existsSync(path.join(SRC, target))) continue;
    else unresolved.push(`${where}, which is no file of src/`);
  }
}

const folderOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '.');
const at = (i: Import): string => `src/${i.from}:${i.line} imports '${i.specifier}'`;

/** Tarjan's strongly connected components; each group of more than one node holds a cycle. */
function tangles(nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      group.push(w);
      if (w === v) break;
    }
    if (group.length > 1 || (edges.get(v) ?? []).includes(v)) groups.push(group.sort());
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return groups.sort((a, b) => cmp(a[0]!, b[0]!));
}

/** A shortest cycle through the group's first node, staying inside the group: [a, b, ..., a]. */
function shortestCycle(group: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[] {
  const start = group[0]!;
  const inside = new Set(group);
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const w of edges.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const cycle = [v];
        while (cycle[0] !== start) cycle.unshift(previous.get(cycle[0]!)!);
        return [...cycle, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no cycle through ${start}: not a strongly connected group`);
}

function adjacency(pairs: Iterable<readonly [string, string]>): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const [a, b] of pairs) {
    const list = edges.get(a) ?? [];
    if (!list.includes(b)) list.push(b);
    edges.set(a, list.sort());
  }
  return edges;
}

function report(title: string, problems: readonly string[]): void {
  if (problems.length === 0) return;
  const failure = new Error(`${title} (${problems.length}):\n${problems.join('\n')}\n`);
  // uvu prints the message, then the stack from its first line break: a one-line stack keeps the
  // list from being printed twice (where this test failed says nothing the list does not).
  failure.stack = title;
  throw failure;
}

test('every folder of src/ is a layer', () => {
  const problems: string[] = [];
  for (const folder of [...new Set(files.map(folderOf))]) {
    if (folder === '.') {
      problems.push(`src/ holds files outside any layer folder: ${files.filter((f) => folderOf(f) === '.').join(', ')}`);
    } else if (!LAYERS.includes(folder)) {
      problems.push(`src/${folder}/ is not in LAYERS (test/architecture/layers.test.ts): add it at its place in the data flow`);
    }
  }
  report('folders that are no layer', problems);
});

test('every relative import is a file of src/', () => {
  report('unresolved imports', unresolved);
});

test('no import cycle between files', () => {
  const edges = adjacency(imports.map((i) => [i.from, i.to] as const));
  const problems = tangles(files, edges).map((group) => {
    const cycle = shortestCycle(group, edges);
    const steps = cycle.slice(1).map((to, k) => at(imports.find((i) => i.from === cycle[k] && i.to === to)!));
    const rest = group.length > cycle.length - 1 ? `\n  (one cycle of a tangle of ${group.length} files: ${group.map((f) => `src/${f}`).join(', ')})` : '';
    return `cycle: ${cycle.map((f) => `src/${f}`).join(' -> ')}\n${steps.map((s) => `  ${s}`).join('\n')}${rest}`;
  });
  report('file import cycles', problems);
});

test('no import cycle between folders', () => {
  const across = imports.filter((i) => folderOf(i.from) !== folderOf(i.to));
  const edges = adjacency(across.map((i) => [folderOf(i.from), folderOf(i.to)] as const));
  const problems = tangles([...new Set(files.map(folderOf))].sort(), edges).map((group) => {
    const cycle = shortestCycle(group, edges);
    const steps = cycle.slice(1).map((to, k) => {
      const these = across.filter((i) => folderOf(i.from) === cycle[k] && folderOf(i.to) === to);
      return `  ${cycle[k]} -> ${to}: ${these.length} import(s), e.g. ${at(these[0]!)}`;
    });
    const rest = group.length > cycle.length - 1 ? `\n  (one cycle of a tangle of folders: ${group.join(', ')})` : '';
    return `cycle: ${cycle.join(' -> ')}\n${steps.join('\n')}${rest}`;
  });
  report('folder import cycles', problems);
});

test('no import from a lower layer to a higher one', () => {
  const rank = (file: string): number => LAYERS.indexOf(folderOf(file));
  const problems = imports
    .filter((i) => rank(i.from) >= 0 && rank(i.to) > rank(i.from))
    .map((i) => `${at(i)}: ${folderOf(i.from)} (layer ${rank(i.from) + 1}) must not import ${folderOf(i.to)} (layer ${rank(i.to) + 1})`);
  report('imports against the layers', problems);
});

test(`a file over ${MAX_LINES} lines says why in its opening comment`, () => {
  const problems: string[] = [];
  for (const [file, text] of texts) {
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines <= MAX_LINES) continue;
    const opening = (ts.getLeadingCommentRanges(text, 0) ?? []).map((r) => text.slice(r.pos, r.end)).join('\n');
    if (!LONG_FILE_MARKER.test(opening)) {
      problems.push(`src/${file}: ${lines} lines, and its opening comment does not say why it is one piece (a line with "one cohesive ...: why")`);
    }
  }
  report(`files over ${MAX_LINES} lines`, problems);
});

test.run();
