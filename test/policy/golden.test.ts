/**
 * Golden files for everything the compiler and the matrix print, from a fixture with every kind
 * of condition. `UPDATE_GOLDEN=1 npm test` rewrites them; review the diff like code.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderBundles, stableJson } from '../../src/generate/index.js';
import { accessMatrix, formatMatrix } from '../../src/policy/index.js';
import { formatDiagnostic } from '../../src/workflow/index.js';
import { repoPath } from '../helpers/paths.js';
import { loadOne } from '../helpers/workflows.js';

const update = process.env.UPDATE_GOLDEN === '1';

function golden(rel: string, actual: string): void {
  const file = repoPath('test', 'golden', rel);
  if (update) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file ${rel} is missing: run UPDATE_GOLDEN=1 npm test`);
  assert.fixture(actual, readFileSync(file, 'utf8'), `${rel} differs from its golden file`);
}

/** Every file under a golden folder (relative to test/golden), sorted. */
function goldenFiles(folder: string, rel = ''): string[] {
  const dir = repoPath('test', 'golden', folder, rel);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? goldenFiles(folder, `${rel}${e.name}/`) : [`${folder}/${rel}${e.name}`]))
    .sort();
}

/** A golden file nothing produces any more would pass unnoticed: name it (or, when updating, remove it). */
function noStale(folder: string, produced: readonly string[]): void {
  const stale = goldenFiles(folder).filter((f) => !produced.includes(f));
  if (update) {
    for (const f of stale) rmSync(repoPath('test', 'golden', f));
    return;
  }
  assert.equal(stale, [], `golden files no longer produced: ${stale.join(', ')} (run UPDATE_GOLDEN=1 npm test to remove them)`);
}

const r = loadOne(readFileSync(repoPath('test', 'fixtures', 'conditions.yaml'), 'utf8'), 'test/fixtures/conditions.yaml');

test('the fixture checks, with the two warnings it is meant to raise', () => {
  assert.equal(r.diagnostics.map(formatDiagnostic), [
    'warning[alternative-never-holds]: test/fixtures/conditions.yaml:34:11: spec.flows[1].when[1]: this alternative can never hold: attribute "role" of agent "worker" is "assistant", so equals "lead" is false (remove it or fix it; the other alternatives still apply)',
    'warning[alternative-never-holds]: test/fixtures/conditions.yaml:37:101: spec.flows[2].when[1]: this alternative can never hold: attribute "level" of agent "worker" is 2, so greaterThan 3 is false (remove it or fix it; the other alternatives still apply)',
  ]);
});

test('bundle sources match their golden files', () => {
  const tree = renderBundles(r.workflows);
  assert.equal([...tree.files.keys()].sort(), [...tree.files.keys()]);
  for (const [rel, content] of tree.files) golden(`bundles/${rel}`, content);
  noStale(
    'bundles',
    [...tree.files.keys()].map((rel) => `bundles/${rel}`),
  );
});

test('the matrix, as a table and as JSON, matches its golden files', () => {
  const w = r.workflows[0]!;
  const m = accessMatrix(w);
  golden('matrix/conditions.txt', formatMatrix(w, m));
  golden('matrix/conditions.json', stableJson(m));
  noStale('matrix', ['matrix/conditions.txt', 'matrix/conditions.json']);
});

test.run();
