/**
 * docs/pictures/ holds exactly the pictures of the example workflows, as they are drawn now: a
 * changed spec or renderer without `custody graph --pictures` (or `npm run pictures`) fails here,
 * as a stale bundles/ tree fails `generate --check`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { PICTURES_DIR } from '../../src/cli/graph-command.js';
import { pictures } from '../../src/graph/index.js';
import { repoPath } from '../helpers/paths.js';
import { exampleWorkflows } from '../helpers/workflows.js';

test('docs/pictures/ is what the examples draw, and nothing else', async () => {
  const wanted = await pictures(exampleWorkflows());
  assert.equal([...wanted.keys()], ['clinical-trial-analysis.svg', 'movie-post-production.svg']);
  assert.equal(readdirSync(repoPath(PICTURES_DIR)).sort(), [...wanted.keys()]);
  for (const [name, svg] of wanted) {
    const committed = readFileSync(repoPath(PICTURES_DIR, name), 'utf8');
    assert.ok(committed === svg, `${PICTURES_DIR}/${name} is stale: run npm run pictures and commit the result`);
  }
});

test('the README shows the movie workflow near the top', () => {
  const readme = readFileSync(repoPath('README.md'), 'utf8');
  const at = readme.indexOf(`](${PICTURES_DIR}/movie-post-production.svg)`);
  assert.ok(at > 0 && at < readme.indexOf('\n## Quick start'), 'the picture is linked before the quick start');
});

test.run();
