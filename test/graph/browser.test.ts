/**
 * The SVG pictures in a real browser (headless chromium): each parses as a document whose root
 * is the drawing (a parse error would show as a <parsererror> page), nothing from the spec became
 * an element, and every agent's name is a text of the picture.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dotToSvg, toDot, visible, workflowGraph } from '../../src/graph/index.js';
import type { Workflow } from '../../src/workflow/index.js';
import { dumpDom } from '../helpers/chromium.js';
import { repoPath } from '../helpers/paths.js';
import { exampleWorkflows } from '../helpers/workflows.js';
import { hostile } from './hostile.js';

const decodeXml = (s: string) =>
  s.replace(/&#([0-9]+);|&#x([0-9a-f]+);|&(lt|gt|amp|quot|apos|nbsp);/gi, (_, d?: string, h?: string, n?: string) =>
    d
      ? String.fromCodePoint(Number(d))
      : h
        ? String.fromCodePoint(parseInt(h, 16))
        : ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0' } as Record<string, string>)[n!]!,
  );

async function checkInBrowser(file: string, workflow: Workflow): Promise<void> {
  const dom = await dumpDom(pathToFileURL(file).href);
  assert.not.match(dom, /parsererror/i, `${file} does not parse`);
  assert.match(dom, /^(?:<!DOCTYPE svg[^>]*>\s*)?<svg /, `${file}: the document is not the drawing`);
  const elements = new Set([...dom.matchAll(/<([a-zA-Z][a-zA-Z0-9:-]*)/g)].map((m) => m[1]!.toLowerCase()));
  assert.equal(
    [...elements].filter((e) => !['svg', 'g', 'title', 'polygon', 'path', 'text', 'ellipse'].includes(e)),
    [],
    `${file}: unexpected elements`,
  );
  const texts = new Set([...dom.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decodeXml(m[1]!)));
  for (const agent of workflow.agents) assert.ok(texts.has(visible(agent.name)), `${file}: agent ${JSON.stringify(agent.name)} is not shown`);
}

test('the committed pictures of both examples parse in chromium and show every agent', async () => {
  for (const w of exampleWorkflows()) await checkInBrowser(repoPath('docs', 'pictures', `${w.name}.svg`), w);
});

test('a workflow of hostile names gives an SVG that parses in chromium, with no element from the spec', async () => {
  const w = hostile();
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'custody-svg-')), 'hostile.svg');
  writeFileSync(file, await dotToSvg(toDot(workflowGraph(w))));
  await checkInBrowser(file, w);
});

test.run();
