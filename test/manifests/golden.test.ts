/**
 * Golden files for the movie workflow's trees (clusters, Argo CD, Flux): every byte reviewed like
 * code. `UPDATE_GOLDEN=1 npm test` rewrites them; review the diff.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderManifests } from '../../src/manifests/index.js';
import { repoPath } from '../helpers/paths.js';
import { exampleWorkflows } from '../helpers/workflows.js';
import { exampleInputs } from './helpers.js';

const update = process.env.UPDATE_GOLDEN === '1';
const ROOT = repoPath('test', 'golden', 'generated', 'movie-post-production');

function listFiles(dir: string, rel = ''): string[] {
  if (!existsSync(path.join(dir, rel))) return [];
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(dir, `${rel}${e.name}/`) : [`${rel}${e.name}`]));
}

test('the movie workflow renders five cluster trees that match their golden files', async () => {
  const movie = exampleWorkflows().filter((w) => w.name === 'movie-post-production');
  const tree = renderManifests(movie, await exampleInputs());
  const clusters = [...new Set([...tree.files.keys()].filter((p) => p.startsWith('clusters/')).map((p) => p.split('/')[1]))];
  assert.equal(clusters, ['color-central', 'hdr-west', 'sound-west', 'studio-central', 'vfx-central']);
  if (update) {
    rmSync(ROOT, { recursive: true, force: true });
    for (const [rel, content] of tree.files) {
      mkdirSync(path.dirname(path.join(ROOT, rel)), { recursive: true });
      writeFileSync(path.join(ROOT, rel), content);
    }
  }
  assert.equal(
    listFiles(ROOT).sort(),
    [...tree.files.keys()].sort(),
    'the same files as the golden tree (run UPDATE_GOLDEN=1 npm test after a deliberate change)',
  );
  for (const [rel, content] of tree.files) assert.fixture(content, readFileSync(path.join(ROOT, rel), 'utf8'), `${rel} differs from its golden file`);
});

test.run();
