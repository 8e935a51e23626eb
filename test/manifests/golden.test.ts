/**
 * Golden files for each example workflow's trees (clusters, Argo CD, Flux): every byte reviewed like
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

function listFiles(dir: string, rel = ''): string[] {
  if (!existsSync(path.join(dir, rel))) return [];
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(dir, `${rel}${e.name}/`) : [`${rel}${e.name}`]));
}

for (const [workflow, expected] of [
  ['movie-post-production', ['color-central', 'hdr-west', 'sound-west', 'studio-central', 'vfx-central']],
  ['clinical-trial-analysis', ['shared-eu', 'site-boston', 'sponsor-prod']],
] as const) {
  test(`the ${workflow} workflow renders ${expected.length} cluster trees that match their golden files`, async () => {
    const root = repoPath('test', 'golden', 'generated', workflow);
    const tree = renderManifests(
      exampleWorkflows().filter((w) => w.name === workflow),
      await exampleInputs(),
    );
    const clusters = [...new Set([...tree.files.keys()].filter((p) => p.startsWith('clusters/')).map((p) => p.split('/')[1]))];
    assert.equal(clusters, [...expected]);
    if (update) {
      rmSync(root, { recursive: true, force: true });
      for (const [rel, content] of tree.files) {
        mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        writeFileSync(path.join(root, rel), content);
      }
    }
    assert.equal(
      listFiles(root).sort(),
      [...tree.files.keys()].sort(),
      'the same files as the golden tree (run UPDATE_GOLDEN=1 npm test after a deliberate change)',
    );
    for (const [rel, content] of tree.files) assert.fixture(content, readFileSync(path.join(root, rel), 'utf8'), `${rel} differs from its golden file`);
  });
}

test.run();
