/**
 * What custody commit refuses rather than commit something wrong: a linked worktree (its objects
 * would land where Git never looks), a spec or the workflows folder that is a symbolic link (it
 * would be committed as a link, a deleted spec with its whole policy), a key file carrying a
 * private key. Each: a clear error, exit 2, nothing committed, the repository as it was.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { custody, edit, fixtureRepository, git, MOVIE, tempDir } from '../helpers/fixture-repository.js';

const AUTHOR = ['--author-name', 'Ada Lovelace', '--author-email', 'ada@example.invalid'];
const NEW_FLOW = '- { from: hdr, to: owner, methods: [POST], path: /api/owner }\n    - { from: vfx-1, to: owner, methods: [POST], path: /api/owner }';

test('a linked worktree: refused, nothing written to either Git folder; git fsck passes', async () => {
  const dir = await fixtureRepository();
  const wt = path.join(tempDir('wt'), 'wt');
  git(dir, 'worktree', 'add', '-q', '-b', 'feature', wt);
  edit(wt, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  const objects = git(dir, 'count-objects', '-v');
  const r = await custody(['commit', ...AUTHOR], wt);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, 'error[unsupported-worktree]');
  assert.match(r.stderr, '(run the command in the main working tree of the repository, or in a separate clone');
  assert.is(git(dir, 'rev-parse', 'feature'), git(dir, 'rev-parse', 'main'));
  assert.is(git(dir, 'count-objects', '-v'), objects);
  git(dir, 'fsck', '--strict', '--no-progress');
});

test('a spec that is a symbolic link: refused, the committed spec and its bundles stay', async () => {
  const dir = await fixtureRepository();
  const spec = path.join(dir, 'workflows', 'clinical-trial-analysis.yaml');
  const elsewhere = path.join(tempDir('specs'), 'clinical-trial-analysis.yaml');
  renameSync(spec, elsewhere);
  symlinkSync(elsewhere, spec);
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  const head = git(dir, 'rev-parse', 'HEAD');
  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, 'error[unsupported-input]: workflows/clinical-trial-analysis.yaml is a symbolic link: custody commits inputs as files');
  assert.is(git(dir, 'rev-parse', 'HEAD'), head);
  assert.ok(git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', 'bundles/clinical-trial-analysis/').split('\n').length > 6);
  assert.is(git(dir, 'status', '--porcelain', 'bundles/'), '');
});

test('the workflows folder as a symbolic link: refused before any spec is read, nothing committed', async () => {
  const dir = await fixtureRepository();
  const elsewhere = path.join(tempDir('specs'), 'workflows');
  renameSync(path.join(dir, 'workflows'), elsewhere);
  symlinkSync(elsewhere, path.join(dir, 'workflows'));
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  const head = git(dir, 'rev-parse', 'HEAD');
  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, 'error[unsupported-input]: workflows is a symbolic link: custody commits inputs as files in a folder');
  assert.not.match(r.stdout + r.stderr, 'warning[', 'nothing read through the link');
  assert.is(git(dir, 'rev-parse', 'HEAD'), head);
});

test('a key file with a private key appended: refused by the key check, nothing committed or pushed', async () => {
  const dir = await fixtureRepository();
  const key = path.join(dir, 'keys', 'custody-example.pem');
  const before = readFileSync(key, 'utf8');
  appendFileSync(key, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  const head = git(dir, 'rev-parse', 'HEAD');
  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, 'custody-example.pem: holds a private key; remove it from the repository at once');
  assert.is(git(dir, 'rev-parse', 'HEAD'), head);
  assert.is(git(dir, 'show', 'HEAD:keys/custody-example.pem') + '\n', before);
  assert.not.match(git(dir, 'diff', '--cached', '--name-only'), 'keys/');
});

test('--trees-only with a spec edited but not committed: refused before anything is written; once the spec is committed, the trees follow', async () => {
  const dir = await fixtureRepository();
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  const head = git(dir, 'rev-parse', 'HEAD');
  const r = await custody(['commit', ...AUTHOR, '--trees-only'], dir);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    'error[inputs-uncommitted]: the trees would be generated from workflows/movie-post-production.yaml as in the working tree, which differs from HEAD',
  );
  assert.match(r.stderr, '(commit them first (git commit), or drop --trees-only');
  assert.is(git(dir, 'rev-parse', 'HEAD'), head);
  assert.equal(git(dir, 'status', '--porcelain'), ' M workflows/movie-post-production.yaml', 'nothing regenerated in the working tree either');
  git(dir, 'commit', '-q', '-m', 'spec', MOVIE);
  const ok = await custody(['commit', ...AUTHOR, '--trees-only'], dir);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.is(git(dir, 'status', '--porcelain'), '');
  const check = await custody(['generate', '--check'], dir);
  assert.is(check.code, 0, check.stdout);
});

test.run();
