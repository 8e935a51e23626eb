/**
 * `custody generate` killed with SIGKILL at chosen points of its swap (test/helpers/kill-at.mjs),
 * then run again: the trees never end at different revisions, a revision nobody asked for is
 * never swapped in later, and `--check` reports what a killed run left instead of "up to date".
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readTree, recoverTrees } from '../../src/generate/index.js';
import { custody } from '../helpers/cli.js';
import { repoPath } from '../helpers/paths.js';

const SPEC = 'movie-post-production.yaml';
// X changes a grant: both trees. Y changes an image: generated/ only.
const X = (text: string) => text.replace('path: /api/hdr', 'path: /api/hdr/*');
const Y = (text: string) => text.replace('hdr/tonemap:1.0', 'hdr/tonemap:1.1');

/** A repository with the examples' specs and keys, generated once. */
async function workspace() {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-crash-'));
  cpSync(repoPath('workflows'), path.join(dir, 'workflows'), { recursive: true });
  cpSync(repoPath('keys'), path.join(dir, 'keys'), { recursive: true });
  const first = await custody(['generate', '--out', '.'], dir);
  assert.is(first.code, 0, first.stderr);
  const spec = path.join(dir, 'workflows', SPEC);
  const original = readFileSync(spec, 'utf8');
  return { dir, edit: (f: (t: string) => string) => writeFileSync(spec, f(original)) };
}

/** `custody generate` killed by SIGKILL at the point `env` names. */
function killed(dir: string, env: Record<string, string>): Promise<NodeJS.Signals | null> {
  const preload = pathToFileURL(repoPath('test', 'helpers', 'kill-at.mjs')).href;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', preload, repoPath('bin', 'custody.js'), 'generate', '--out', '.'],
      { cwd: dir, env: { ...process.env, ...env } },
      (err) => resolve(err?.signal ?? null),
    );
  });
}

/** A digest of a tree on disk (its paths and bytes), or `missing`: short in a failure's diff. */
const digest = async (dir: string) => {
  const tree = await readTree(dir);
  if (!tree) return 'missing';
  const hash = createHash('sha256');
  for (const [rel, bytes] of [...tree].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(`${rel}\0${bytes.length}\0`).update(bytes);
  return `${tree.size} files, sha256 ${hash.digest('hex')}`;
};
const trees = async (dir: string) => ({ bundles: await digest(path.join(dir, 'bundles')), generated: await digest(path.join(dir, 'generated')) });
const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.custody-'));

test('a revision abandoned by a killed run is never swapped in later (killed after staging, change reverted, another change made)', async () => {
  const { dir, edit } = await workspace();
  const before = await trees(dir);
  edit(X);
  assert.is(await killed(dir, { CUSTODY_TEST_KILL_AFTER_RENAME: '^\\.custody-ready-[0-9a-f]+$' }), 'SIGKILL');
  const ready = leftovers(dir);
  assert.is(ready.length, 1, 'the killed run left its staging folder');
  assert.match(ready[0]!, /^\.custody-ready-/);
  assert.equal(await trees(dir), before, 'the killed run had changed no tree');

  edit((t) => t); // X reverted
  const reverted = await custody(['generate', '--out', '.'], dir);
  assert.is(reverted.code, 0, reverted.stderr);
  const leftAfterRevert = leftovers(dir);
  edit(Y);
  const y = await custody(['generate', '--out', '.'], dir);
  assert.is(y.code, 0, y.stderr);
  assert.equal((await trees(dir)).bundles, before.bundles, "bundles/ is not the abandoned revision's");
  assert.is(y.stdout, 'wrote generated/: 367 files, 2 changed\n');
  assert.is((await custody(['generate', '--check', '--out', '.'], dir)).code, 0);
  // The run after the revert had nothing stale, and still removed the staging folder.
  assert.is(reverted.stdout, `undid an interrupted generate: removed ${ready[0]}/\nup to date: 419 files from 2 workflows\n`);
  assert.equal(leftAfterRevert, []);
});

test('--check reports what a killed run left as stale, and removes nothing', async () => {
  const { dir, edit } = await workspace();
  const before = await trees(dir);
  edit(X);
  assert.is(await killed(dir, { CUSTODY_TEST_KILL_AFTER_RENAME: '^\\.custody-ready-[0-9a-f]+$' }), 'SIGKILL');
  const ready = leftovers(dir);
  assert.is(ready.length, 1);
  edit((t) => t); // X reverted: the trees themselves are up to date
  const check = await custody(['generate', '--check', '--out', '.'], dir);
  assert.is(check.code, 1, '--check does not call the trees up to date while a killed run left staging behind');
  assert.is(check.stdout, `stale: ${ready[0]}/ (left by an interrupted generate)\n1 leftover folder: run custody generate\n`);
  assert.equal(leftovers(dir), ready, '--check removes nothing');
  assert.equal(await trees(dir), before, '--check writes nothing');
});

test('killed between the swaps of bundles/ and generated/: recovery puts both back at the same revision', async () => {
  const { dir, edit } = await workspace();
  const before = await trees(dir);
  edit(X);
  // The new bundles/ is in place, generated/ not yet.
  assert.is(await killed(dir, { CUSTODY_TEST_KILL_AFTER_RENAME: '^bundles$' }), 'SIGKILL');
  assert.not.equal((await trees(dir)).bundles, before.bundles, 'the run was killed after swapping bundles/');
  await recoverTrees(dir);
  assert.equal(await trees(dir), before, 'both trees at the revision before the killed run');
  assert.equal(leftovers(dir), []);

  const rerun = await custody(['generate', '--out', '.'], dir);
  assert.is(rerun.code, 0, rerun.stderr);
  assert.is(rerun.stdout, 'wrote bundles/: 52 files, 1 changed\nwrote generated/: 367 files, 1 changed\n');
  assert.is((await custody(['generate', '--check', '--out', '.'], dir)).code, 0);
});

test('what a run killed after its swap leaves is removed by the next run, even with nothing stale; --check reports it', async () => {
  const { dir, edit } = await workspace();
  edit(X);
  // Both trees swapped; the replaced ones are still in the old folder.
  assert.is(await killed(dir, { CUSTODY_TEST_KILL_BEFORE_RM: '^\\.custody-old-[0-9a-f]+$' }), 'SIGKILL');
  const after = await trees(dir);
  const old = leftovers(dir);
  assert.is(old.length, 1);
  assert.match(old[0]!, /^\.custody-old-/);

  const check = await custody(['generate', '--check', '--out', '.'], dir);
  assert.is(check.code, 1);
  assert.equal(
    check.stdout.split('\n').filter((l) => l.startsWith('stale:')),
    [`stale: ${old[0]}/ (left by an interrupted generate)`],
  );
  assert.equal(leftovers(dir), old, '--check removes nothing');

  const rerun = await custody(['generate', '--out', '.'], dir);
  assert.is(rerun.code, 0, rerun.stderr);
  assert.is(rerun.stdout, `undid an interrupted generate: removed ${old[0]}/\nup to date: 419 files from 2 workflows\n`);
  assert.equal(leftovers(dir), []);
  assert.equal(await trees(dir), after, 'the trees the killed run had swapped in stay');
  assert.is((await custody(['generate', '--check', '--out', '.'], dir)).code, 0);
});

test('a run with nothing stale still removes the folders a killed run left (made here as it leaves them)', async () => {
  const { dir } = await workspace();
  const before = await trees(dir);
  // A run killed after its swap, before removing the trees it replaced.
  mkdirSync(path.join(dir, '.custody-old-0a1b2c3d4e5f', 'bundles', 'w', 'a'), { recursive: true });
  writeFileSync(path.join(dir, '.custody-old-0a1b2c3d4e5f', 'bundles', 'w', 'a', 'policy.rego'), 'package replaced\n');
  const r = await custody(['generate', '--out', '.'], dir);
  assert.is(r.code, 0, r.stderr);
  assert.equal(leftovers(dir), []);
  assert.is(r.stdout, 'undid an interrupted generate: removed .custody-old-0a1b2c3d4e5f/\nup to date: 419 files from 2 workflows\n');
  assert.equal(await trees(dir), before);
});

test.run();
