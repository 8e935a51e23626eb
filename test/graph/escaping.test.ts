/**
 * Names, paths and attribute values are data: whatever a spec holds, the Mermaid and DOT texts
 * keep their structure (every line one of the statements the renderer writes) and give back
 * exactly the model's text once their escapes are decoded; the SVG holds no markup from the spec.
 * The workflow here is built as an object, past the validator, so that nothing hostile is
 * filtered out before the renderers see it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dotToSvg, mermaidText, toDot, toMermaid, workflowGraph, type GraphBox, type WorkflowGraph } from '../../src/graph/index.js';
import { hostile, movie } from './hostile.js';

const graph = workflowGraph(hostile());

function expectedLines(g: WorkflowGraph): string[] {
  const box = (b: GraphBox): string[][] => [[...b.lines], ...b.boxes.flatMap(box), ...b.agents.map((a) => [a.name, ...a.warnings])];
  return [...g.boxes.flatMap(box), ...g.flows.map((f) => [...f.lines])].map((lines) => lines.join('\n'));
}

test('the hostile workflow really is hostile, and the model keeps its text (control characters made visible)', () => {
  const text = JSON.stringify(graph);
  for (const s of ['<script>', '-->', '%%', '"]', '#quot;', '&amp;', '}; digraph']) assert.ok(text.includes(s), s);
  assert.ok(text.includes('line␊break␍␊'));
  assert.ok(text.includes('␀␛[31m␡'));
  assert.ok(text.includes('astral \ufffd lone'));
  assert.not.ok(/[\u0000-\u001f]/.test(text.replace(/\\[nrt"\\]|\\u[0-9a-f]{4}/g, '')));
});

const LABEL = '"(?:[A-Za-z0-9 .,:/_=()-]|#[0-9]+;|<br>)*"';
const MERMAID_LINE = new RegExp(
  [
    '^flowchart LR$',
    `^ *subgraph b[0-9]+\\[${LABEL}\\]$`,
    `^ *a[0-9]+\\[${LABEL}\\]$`,
    '^ *end$',
    `^  a[0-9]+ (?:-->|-\\.->)\\|${LABEL}\\| a[0-9]+$`,
    '^  style [ab][0-9]+ fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6},stroke-width:[12]px$',
    '^  linkStyle [0-9]+(?:,[0-9]+)* stroke:#[0-9a-f]{6},color:#[0-9a-f]{6}$',
  ].join('|'),
);

test('Mermaid: every line is one of the statements the renderer writes, whatever the names', () => {
  const mermaid = toMermaid(graph);
  const lines = mermaid.trimEnd().split('\n');
  for (const line of lines) assert.ok(MERMAID_LINE.test(line), `unexpected Mermaid line: ${line}`);
  assert.is(lines.filter((l) => / -(?:-|\.-)>\|/.test(l)).length, movie.flows.length);
  assert.is(lines.filter((l) => /^ *subgraph /.test(l)).length, lines.filter((l) => /^ *end$/.test(l)).length);
});

test('Mermaid: the words its colour pre-pass looks for never appear in a label', () => {
  assert.is(mermaidText('style a0 fill:red;#1'), '#115;tyle a0 fill:red#59;#35;1');
  assert.is(mermaidText('classDef x fill:#f00;'), '#99;lassDef x fill:#35;f00#59;');
  assert.not.match(
    toMermaid(graph)
      .split('\n')
      .filter((l) => !l.startsWith('  style '))
      .join('\n'),
    /style|classDef/,
  );
});

test('Mermaid: decoding the labels gives back exactly the model text', () => {
  const labels = [...toMermaid(graph).matchAll(new RegExp(LABEL, 'g'))].map((m) =>
    m[0]
      .slice(1, -1)
      .split('<br>')
      .map((l) => l.replace(/#([0-9]+);/g, (_, n: string) => String.fromCodePoint(Number(n))))
      .join('\n'),
  );
  assert.equal(labels, expectedLines(graph));
});

const DOT_TEXT = '(?:[^<>&"\\n]|&#[0-9]+;)*';
const DOT_LABEL = `<(?:<B>${DOT_TEXT}</B>|${DOT_TEXT})(?:<BR/>${DOT_TEXT})*>`;
const DOT_LINE = new RegExp(
  [
    '^digraph workflow \\{$',
    `^  graph \\[rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=t, label=${DOT_LABEL}, nodesep=0\\.4, ranksep=0\\.8\\];$`,
    '^  (?:node|edge) \\[[^<>\\n]*\\];$',
    '^ *subgraph cluster_b[0-9]+ \\{$',
    `^ *label=${DOT_LABEL}; style="rounded,filled"; color="#[0-9a-f]{6}"; fillcolor="#[0-9a-f]{6}"; penwidth=[12];$`,
    `^ *a[0-9]+ \\[label=${DOT_LABEL}(?:, color="#[0-9a-f]{6}", fillcolor="#[0-9a-f]{6}", penwidth=2)?\\];$`,
    `^  a[0-9]+ -> a[0-9]+ \\[id="f[0-9]+", label=${DOT_LABEL}, style=(?:solid|dashed|dotted)(?:, constraint=false)?, color="#[0-9a-f]{6}", fontcolor="#[0-9a-f]{6}"\\];$`,
    '^ *\\}$',
  ].join('|'),
);

test('DOT: every line is one of the statements the renderer writes, whatever the names', () => {
  const lines = toDot(graph).trimEnd().split('\n');
  for (const line of lines) assert.ok(DOT_LINE.test(line), `unexpected DOT line: ${line}`);
  assert.is(lines.filter((l) => / -> /.test(l)).length, movie.flows.length);
});

const decodeXml = (s: string) =>
  s.replace(/&#([0-9]+);|&#x([0-9a-f]+);|&(lt|gt|amp|quot|apos);/gi, (_, d?: string, h?: string, n?: string) =>
    d
      ? String.fromCodePoint(Number(d))
      : h
        ? String.fromCodePoint(parseInt(h, 16))
        : ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[n!]!,
  );

test('DOT: decoding the labels gives back exactly the model text', () => {
  const labels = [...toDot(graph).matchAll(new RegExp(`label=(${DOT_LABEL})`, 'g'))].map((m) =>
    m[1]!
      .slice(1, -1)
      .replace(/<\/?B>/g, '')
      .split('<BR/>')
      .map(decodeXml)
      .join('\n'),
  );
  assert.equal(labels, [graph.title, ...expectedLines(graph)]);
});

test('SVG: no element from the spec, and every text is a line of the model', async () => {
  const svg = await dotToSvg(toDot(graph));
  const tags = new Set([...svg.matchAll(/<([a-zA-Z][a-zA-Z0-9:-]*)/g)].map((m) => m[1]));
  assert.equal([...tags].sort(), ['!DOCTYPE', 'ellipse', 'g', 'path', 'polygon', 'svg', 'text', 'title'].filter((t) => tags.has(t)).sort());
  assert.not.ok(/<script|<br|<B>/i.test(svg));
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decodeXml(m[1]!));
  const wanted = new Set([graph.title, ...expectedLines(graph).flatMap((l) => l.split('\n'))]);
  for (const t of texts) assert.ok(wanted.has(t), `SVG text not from the model: ${JSON.stringify(t)}`);
  for (const w of wanted) assert.ok(texts.includes(w), `model line missing from the SVG: ${JSON.stringify(w)}`);
});

test.run();
