/**
 * The Mermaid text as Mermaid itself reads it: its own parser and renderer (the `mermaid`
 * package's browser build, as GitHub runs it) in headless chromium, with the strict security
 * level. Every diagram must parse and render, and the labels it shows, decoded, must be exactly
 * the model's lines: hostile names included, nothing lost, nothing turned into markup.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { changeDiagram, toMermaid, workflowGraph, type GraphBox, type WorkflowGraph } from '../../src/graph/index.js';
import { parseInstant } from '../../src/workflow/index.js';
import { decodeHtml, renderInBrowser } from '../helpers/mermaid.js';
import { repoPath } from '../helpers/paths.js';
import { exampleWorkflows, loadOne } from '../helpers/workflows.js';
import { hostile } from './hostile.js';

const saturday = { at: { text: '2026-11-21T17:00:00Z', ns: (parseInstant('2026-11-21T17:00:00Z') as { ns: bigint }).ns } };
const graphs: [string, WorkflowGraph][] = [
  ...exampleWorkflows().map((w): [string, WorkflowGraph] => [w.name, workflowGraph(w)]),
  ['clinical at saturday', workflowGraph(exampleWorkflows()[0]!, saturday)],
  ['warnings', workflowGraph(loadOne(readFileSync(repoPath('test', 'fixtures', 'warnings.yaml'), 'utf8')).workflows[0]!)],
  ['hostile', workflowGraph(hostile())],
];
const BROKEN = 'flowchart LR\n  a["x"] --> |"y| b\n';

function modelLabels(g: WorkflowGraph): string[] {
  const box = (b: GraphBox): string[][] => [[...b.lines], ...b.boxes.flatMap(box), ...b.agents.map((a) => [a.name, ...a.warnings])];
  return [...g.boxes.flatMap(box), ...g.flows.map((f) => [...f.lines])].map((l) => l.join('\n')).sort();
}

const ELEMENTS = new Set([
  'svg',
  'style',
  'g',
  'marker',
  'path',
  'polygon',
  'circle',
  'rect',
  'foreignobject',
  'div',
  'span',
  'p',
  'br',
  'defs',
  'filter',
  'fedropshadow',
  'line',
  'text',
  'tspan',
]);

test('Mermaid parses and renders every diagram, shows exactly the model text, and makes no markup of it', async () => {
  const rendered = await renderInBrowser([...graphs.map(([name, g]): [string, string] => [name, toMermaid(g)]), ['broken', BROKEN]]);
  assert.equal(
    rendered.map((r) => r.name),
    [...graphs.map(([n]) => n), 'broken'],
  );
  // The harness can tell a diagram Mermaid rejects.
  assert.match(rendered.at(-1)!.error ?? '', /Parse error/);
  for (const [i, [name, g]] of graphs.entries()) {
    const { svg, error } = rendered[i]!;
    assert.is(error, undefined, `${name}: ${error}`);
    const elements = new Set([...svg!.matchAll(/<([a-zA-Z][\w:-]*)/g)].map((m) => m[1]!.toLowerCase()));
    assert.equal(
      [...elements].filter((e) => !ELEMENTS.has(e)),
      [],
      `${name}: unexpected elements`,
    );
    const labels = [...svg!.matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) =>
      m[1]!
        .split(/<br ?\/?>/)
        .map(decodeHtml)
        .join('\n'),
    );
    assert.equal(labels.sort(), modelLabels(g), `${name}: the labels Mermaid shows`);
  }
});

test('Mermaid parses and renders the change diagrams of pull requests, hostile names included', async () => {
  const movie = exampleWorkflows()[1]!;
  const base = hostile();
  const diagrams: [string, string][] = [
    ['movie', changeDiagram(movie, { ...movie, flows: [...movie.flows.slice(1), { ...movie.flows[0]!, path: '/api/v1' }] })!],
    ['hostile', changeDiagram(base, { ...base, flows: base.flows.slice(2), agents: base.agents.slice(0, -1) })!],
  ];
  const rendered = await renderInBrowser(diagrams);
  for (const r of rendered) {
    assert.is(r.error, undefined, `${r.name}: ${r.error}`);
    assert.ok(r.svg!.includes('<p>'), `${r.name}: no labels`);
  }
});

test.run();
