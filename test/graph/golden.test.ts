/**
 * The pictures of both examples, as Mermaid and DOT, against golden files (SVG is checked fresh
 * in docs/pictures/ by the pictures test). `UPDATE_GOLDEN=1` rewrites them; review the diff.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderGraph } from '../../src/graph/index.js';
import { parseInstant } from '../../src/workflow/index.js';
import { repoPath } from '../helpers/paths.js';
import { exampleWorkflows } from '../helpers/workflows.js';

const update = process.env.UPDATE_GOLDEN === '1';

function golden(rel: string, actual: string): void {
  const file = repoPath('test', 'golden', 'graph', rel);
  if (update) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file graph/${rel} is missing: run UPDATE_GOLDEN=1 on this test`);
  assert.fixture(actual, readFileSync(file, 'utf8'), `graph/${rel} differs from its golden file`);
}

test('both examples as Mermaid and DOT match their golden files', async () => {
  for (const w of exampleWorkflows()) {
    golden(`${w.name}.mmd`, await renderGraph(w, 'mermaid'));
    golden(`${w.name}.dot`, await renderGraph(w, 'dot'));
  }
});

test('the clinical workflow on a Saturday: the closed flow greyed, in both formats', async () => {
  const w = exampleWorkflows().find((x) => x.name === 'clinical-trial-analysis')!;
  const at = { text: '2026-11-21T17:00:00Z', ns: (parseInstant('2026-11-21T17:00:00Z') as { ns: bigint }).ns };
  const mermaid = await renderGraph(w, 'mermaid', { at });
  const dot = await renderGraph(w, 'dot', { at });
  golden('clinical-trial-analysis.at-saturday.mmd', mermaid);
  golden('clinical-trial-analysis.at-saturday.dot', dot);
  // What the golden file must show, said independently of it: only the samples (flow 1) are grey.
  assert.match(mermaid, /\n  linkStyle 1 stroke:#9ca3af,color:#9ca3af\n/);
  assert.equal(
    dot
      .split('\n')
      .filter((l) => l.includes('color="#9ca3af"'))
      .map((l) => /id="(f\d+)"/.exec(l)?.[1]),
    ['f1'],
  );
});

test('the same spec gives the same bytes, SVG included', async () => {
  for (const w of exampleWorkflows()) {
    for (const format of ['mermaid', 'dot', 'svg'] as const) assert.is(await renderGraph(w, format), await renderGraph(w, format), `${w.name} ${format}`);
  }
});

test.run();
