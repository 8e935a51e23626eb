/**
 * The change diagram in the Markdown summary: one Mermaid block per changed workflow, which no
 * name or path can end early, which Mermaid itself parses and draws (in headless chromium), and
 * which text and JSON leave out.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { visible } from '../../src/graph/index.js';
import { mermaidBlock } from '../../src/summary/render.js';
import { render, summarize } from '../../src/summary/index.js';
import type { Workflow } from '../../src/workflow/index.js';
import { decodeHtml, renderInBrowser } from '../helpers/mermaid.js';
import { hostile } from '../graph/hostile.js';

const FENCE_NAME = '```\n</details> <!-- custody-summary:end --> ~~~';
const FENCE_PATH = '/```mermaid\n```';

/** The hostile movie, changed: one flow removed, one path changed, and an agent and a flow added whose name and path hold fences. */
function change(): { base: Workflow; head: Workflow } {
  const base = hostile();
  const from = base.agents[0]!;
  const head: Workflow = {
    ...base,
    agents: [...base.agents, { ...from, name: FENCE_NAME }],
    actors: base.actors.map((a) => (a.name === from.actor ? { ...a, agents: [...a.agents, FENCE_NAME] } : a)),
    flows: [
      ...base.flows.slice(1).map((f, i) => (i === 0 ? { ...f, path: `${f.path}/v2` } : f)),
      { index: base.flows.length, from: FENCE_NAME, to: base.agents[1]!.name, methods: ['GET'], path: FENCE_PATH },
    ],
  };
  return { base, head };
}

/** The fenced blocks of a Markdown text as CommonMark reads them: a fence closes on a line of at least as many backticks. */
function fencedBlocks(md: string): { info: string; body: string }[] {
  const blocks: { info: string; body: string }[] = [];
  let open: { fence: string; info: string; lines: string[] } | undefined;
  for (const line of md.split('\n')) {
    if (open) {
      const close = /^ {0,3}(`{3,})\s*$/.exec(line);
      if (close && close[1]!.length >= open.fence.length) {
        blocks.push({ info: open.info, body: open.lines.join('\n') });
        open = undefined;
      } else open.lines.push(line);
      continue;
    }
    const start = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (start) open = { fence: start[1]!, info: start[2]!.trim(), lines: [] };
  }
  assert.is(open, undefined, 'a fence is left open');
  return blocks;
}

test('a hostile change: one Mermaid block holding exactly the diagram, drawn by Mermaid with every name as written', async () => {
  const { base, head } = change();
  const summary = summarize({ workflows: [base], files: new Map() }, { workflows: [head], files: new Map() });
  assert.is(summary.workflows.length, 1);
  const diagram = summary.workflows[0]!.diagram!;
  assert.ok(diagram, 'no diagram');
  const md = render(summary, 'markdown');
  const blocks = fencedBlocks(md);
  assert.equal(
    blocks.map((b) => b.info),
    ['mermaid'],
  );
  assert.is(`${blocks[0]!.body}\n`, diagram);
  // Nothing of the spec's reaches the Markdown as a fence or a summary marker.
  assert.is(md.split('<!--').length, 1);
  assert.not.match(diagram, '`');

  const [drawn] = await renderInBrowser([['hostile change', blocks[0]!.body]]);
  assert.is(drawn!.error, undefined, drawn!.error);
  const labels = [...drawn!.svg!.matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) =>
    m[1]!
      .split(/<br ?\/?>/)
      .map(decodeHtml)
      .join('\n'),
  );
  assert.ok(labels.includes(`${visible(FENCE_NAME)}\nadded`), labels.join(' | '));
  assert.ok(labels.includes(`GET ${visible(FENCE_PATH)}`), labels.join(' | '));
  assert.ok(labels.includes(`${visible(base.agents[1]!.name)}`), labels.join(' | '));
});

test('text and JSON have no diagram', () => {
  const { base, head } = change();
  const summary = summarize({ workflows: [base], files: new Map() }, { workflows: [head], files: new Map() });
  assert.not.match(render(summary, 'text'), 'flowchart');
  const json = render(summary, 'json');
  assert.not.match(json, 'flowchart');
  assert.not.match(json, '"diagram"');
});

test('the fence is longer than any run of backticks in what it holds', () => {
  assert.equal(mermaidBlock('flowchart LR\n  a["x"]\n'), ['```mermaid', 'flowchart LR', '  a["x"]', '```']);
  assert.equal(mermaidBlock('a ``` b\n````\n'), ['`````mermaid', 'a ``` b', '````', '`````']);
});

test('a change too large to draw says so instead of drawing it', () => {
  const base = hostile();
  const [a, b] = [base.agents[0]!.name, base.agents[1]!.name];
  const head: Workflow = {
    ...base,
    flows: [...base.flows, ...Array.from({ length: 201 }, (_, i) => ({ index: base.flows.length + i, from: a, to: b, methods: ['GET'], path: `/many/${i}` }))],
  };
  const summary = summarize({ workflows: [base], files: new Map() }, { workflows: [head], files: new Map() });
  const md = render(summary, 'markdown');
  assert.not.match(md, '```mermaid');
  // 201 added, and as context the movie's three flows of those agents (vfx-2 → color, color → hdr, hdr → owner).
  assert.match(md, '<sub>The change is too large to draw here (204 arrows); custody graph draws the whole workflow.</sub>');
});

test.run();
