/**
 * custody commit against native git: the commit holds exactly what `custody generate` changes
 * (and the edited spec), byte for byte what `git add` would have staged, nothing else; the index
 * is left so that `git status` is clean for those paths and untouched elsewhere.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Tree } from '../../src/generate/index.js';
import { openRepository, parseGitDate, planCommit } from '../../src/git/index.js';
import { commitRegenerated } from '../../src/gitops/index.js';
import { cleanEnv, custody, edit, fixtureRepository, git, MOVIE, publishVfxTrust, tempDir } from '../helpers/fixture-repository.js';
import { repoPath } from '../helpers/paths.js';

const AUTHOR = ['--author-name', 'Ada Lovelace', '--author-email', 'ada@example.invalid'];
const NEW_FLOW =
  '- { from: hdr, to: owner, methods: [POST], path: /api/owner }\n    - { from: vfx-2, to: hdr, methods: [GET], path: /api/frames/*, when: [{ days: [Mon, Tue, Wed, Thu, Fri], hours: { from: "08:00", to: "17:00" } }] }';

const lines = (s: string) => s.split('\n').filter(Boolean).sort();

test('commits exactly the regenerated files and the edited spec; other changes stay as they were; git status is clean', async () => {
  const dir = await fixtureRepository();
  writeFileSync(path.join(dir, 'notes.txt'), 'one\n');
  writeFileSync(path.join(dir, 'docs.md'), 'one\n');
  git(dir, 'add', 'notes.txt', 'docs.md');
  git(dir, 'commit', '-q', '-m', 'notes');
  const before = git(dir, 'rev-parse', 'HEAD');
  // A person's other work: modified, staged, untracked.
  writeFileSync(path.join(dir, 'notes.txt'), 'two\n');
  writeFileSync(path.join(dir, 'docs.md'), 'two\n');
  git(dir, 'add', 'docs.md');
  writeFileSync(path.join(dir, 'scratch.txt'), 'x\n');
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  // What native git would stage for the same change, in a copy: generate, then add those folders.
  const copy = tempDir('copy');
  cpSync(dir, copy, { recursive: true });
  assert.is((await custody(['generate'], copy)).code, 0);
  git(copy, 'add', '-A', 'bundles', 'generated', 'workflows', 'keys');
  const expected = lines(git(copy, 'diff', '--cached', '--name-status', '--', 'bundles', 'generated', 'workflows', 'keys'));
  assert.ok(expected.length > 3 && expected.some((l) => l.startsWith('A\tgenerated/')) && expected.includes(`M\t${MOVIE}`), expected.join('\n'));

  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `committed ${git(dir, 'rev-parse', '--short=12', 'HEAD')} on main: ${expected.length} files`);
  assert.is(git(dir, 'rev-parse', 'HEAD^'), before);
  assert.equal(lines(git(dir, 'diff-tree', '--no-commit-id', '--name-status', '-r', 'HEAD')), expected);
  // Same blobs as native git staged, path for path.
  const ours = git(dir, 'ls-tree', '-r', 'HEAD', '--', 'bundles', 'generated', 'workflows', 'keys');
  const theirs = git(copy, 'ls-files', '-s', '--', 'bundles', 'generated', 'workflows', 'keys').replace(/^(\d+) ([0-9a-f]+) 0\t/gm, '$1 blob $2\t');
  assert.is(ours, theirs);
  assert.equal(lines(git(dir, 'status', '--porcelain')), ['?? scratch.txt', 'M  docs.md', ' M notes.txt'].sort());
  const message = git(dir, 'log', '-1', '--format=%B');
  assert.match(message, /^Policy: movie-post-production: 1 grant added\n\nAccess changes\n  movie-post-production\n/);
  assert.match(message, '    + vfx-2 may now GET /api/frames/* from hdr, Mon–Fri 08:00–17:00 Europe/Paris; data moves hdr → vfx-2\n');
  assert.match(message, 'Policy bundles (bundles/): 1 changed\n  movie-post-production/hdr: changed (data.json)');
  assert.is(git(dir, 'log', '-1', '--format=%an <%ae> / %cn <%ce>'), 'Ada Lovelace <ada@example.invalid> / Ada Lovelace <ada@example.invalid>');
  git(dir, 'fsck', '--strict', '--no-progress');

  // Again: nothing changed, no commit.
  const again = await custody(['commit', ...AUTHOR], dir);
  assert.is(again.code, 0, again.stderr);
  assert.is(again.stdout, 'nothing to commit: bundles/ and generated/ match HEAD\n');
  assert.is(git(dir, 'rev-parse', 'HEAD^'), before);
});

test('--trees-only commits bundles/ and generated/ only; --message-file heads the message; a detached HEAD moves', async () => {
  const dir = await fixtureRepository();
  git(dir, 'switch', '-q', '--detach');
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  // The spec committed first (--trees-only refuses uncommitted specs: guards.test.ts).
  git(dir, 'commit', '-q', '-m', 'spec', '--', MOVIE);
  writeFileSync(path.join(dir, 'msg.txt'), 'Frames for HDR review\n\nTicket: PROD-42\n');
  const r = await custody(['commit', ...AUTHOR, '--trees-only', '--message-file', 'msg.txt'], dir);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'on a detached HEAD');
  const files = lines(git(dir, 'diff-tree', '--no-commit-id', '--name-only', '-r', 'HEAD'));
  assert.ok(files.length > 0 && files.every((f) => f.startsWith('bundles/') || f.startsWith('generated/')), files.join('\n'));
  assert.equal(lines(git(dir, 'status', '--porcelain')), ['?? msg.txt']);
  const message = git(dir, 'log', '-1', '--format=%B');
  // The specs are HEAD's already: the summary says what this commit itself changes.
  assert.match(message, /^Frames for HDR review\n\nTicket: PROD-42\n\nAccess changes: none\nManifests \(generated\/\)/);
});

test('spec errors: exit 1, nothing written, nothing committed; no author anywhere: exit 2', async () => {
  const dir = await fixtureRepository();
  const head = git(dir, 'rev-parse', 'HEAD');
  const data = readFileSync(path.join(dir, 'bundles/movie-post-production/hdr/data.json'), 'utf8');
  edit(dir, MOVIE, 'to: vfx-1, methods', 'to: vfx-9, methods');
  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'error[unknown-agent]');
  assert.is(r.stdout, '1 error: nothing written or committed\n');
  assert.is(git(dir, 'rev-parse', 'HEAD'), head);
  assert.is(readFileSync(path.join(dir, 'bundles/movie-post-production/hdr/data.json'), 'utf8'), data);
  edit(dir, MOVIE, 'to: vfx-9, methods', 'to: vfx-1, methods');
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  const anonymous = await custody(['commit'], dir, { HOME: tempDir('home') });
  assert.is(anonymous.code, 2);
  assert.match(anonymous.stderr, 'custody commit: error[missing-author]: no author name for the commit (pass --author-name and --author-email');
  assert.is(git(dir, 'rev-parse', 'HEAD'), head);
  // The author from Git's environment variables, as git commit takes it.
  const env = await custody(['commit'], dir, {
    GIT_AUTHOR_NAME: 'Grace',
    GIT_AUTHOR_EMAIL: 'grace@example.invalid',
    GIT_COMMITTER_NAME: 'CI',
    GIT_COMMITTER_EMAIL: 'ci@example.invalid',
  });
  assert.is(env.code, 0, env.stderr);
  assert.is(git(dir, 'log', '-1', '--format=%an <%ae> / %cn <%ce>'), 'Grace <grace@example.invalid> / CI <ci@example.invalid>');
});

test('GIT_AUTHOR_DATE and GIT_COMMITTER_DATE are read as native git reads them; an unreadable one, or a name or e-mail with <, > or a line break: exit 2, no commit', async () => {
  const dir = await fixtureRepository();
  const dates = [
    '@1790000000 -0530',
    '1700000000 +0000',
    '2026-03-29T01:30:00+01:00',
    '2026-10-25 02:30:00 -03:30',
    '2026-11-23T12:00:00Z',
    '2026-11-23T12:00:00.250+14:00',
  ];
  const tree = git(dir, 'rev-parse', 'HEAD^{tree}');
  for (const date of dates) {
    // Native git's reading of the same text: a commit object made by git commit-tree.
    const native = execFileSync('git', ['commit-tree', tree, '-m', 'x'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...cleanEnv(), GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@x', GIT_AUTHOR_DATE: date },
    }).trim();
    const expected = git(dir, 'log', '-1', '--format=%ad', '--date=raw', native);
    const mine = parseGitDate(date, 'GIT_AUTHOR_DATE');
    const offset = -mine.timezoneOffset;
    const zone = `${offset < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}${String(Math.abs(offset) % 60).padStart(2, '0')}`;
    assert.is(`${mine.timestamp} ${zone}`, expected, date);
  }
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  const head = git(dir, 'rev-parse', 'HEAD');
  for (const [args, env] of [
    [['--author-name', 'Eve\nsigned-off: x', '--author-email', 'e@x.invalid'], {}],
    [['--author-name', 'Eve', '--author-email', 'e@x>'], {}],
    [AUTHOR, { GIT_COMMITTER_NAME: 'CI <bot>' }],
  ] as const) {
    const refused = await custody(['commit', ...args], dir, env);
    assert.is(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, 'error[invalid-option]: the ');
    assert.match(refused.stderr, "holds a character Git's commit header cannot carry");
  }
  const bad = await custody(['commit', ...AUTHOR], dir, { GIT_AUTHOR_DATE: 'last tuesday' });
  assert.is(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, 'error[invalid-option]: GIT_AUTHOR_DATE "last tuesday" is not a date this command reads');
  assert.is(git(dir, 'rev-parse', 'HEAD'), head);
  const r = await custody(['commit', ...AUTHOR], dir, { GIT_AUTHOR_DATE: dates[2]!, GIT_COMMITTER_DATE: dates[0]! });
  assert.is(r.code, 0, r.stderr);
  assert.is(git(dir, 'log', '-1', '--format=%ad / %cd', '--date=raw'), `${Date.parse(dates[2]!) / 1000} +0100 / 1790000000 -0530`);
});

test('a merge in progress or an index isomorphic-git cannot write: exit 3, nothing committed', async () => {
  const dir = await fixtureRepository();
  writeFileSync(path.join(dir, 'notes.txt'), 'base\n');
  git(dir, 'add', 'notes.txt');
  git(dir, 'commit', '-q', '-m', 'notes');
  git(dir, 'switch', '-q', '-c', 'other');
  writeFileSync(path.join(dir, 'notes.txt'), 'other\n');
  git(dir, 'commit', '-q', '-am', 'other');
  git(dir, 'switch', '-q', 'main');
  writeFileSync(path.join(dir, 'notes.txt'), 'main\n');
  git(dir, 'commit', '-q', '-am', 'main');
  try {
    git(dir, 'merge', '-q', 'other');
  } catch {
    // the conflict is the point
  }
  const head = git(dir, 'rev-parse', 'HEAD');
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stderr, 'error[unmerged-paths]: a merge is in progress');
  assert.is(git(dir, 'rev-parse', 'HEAD'), head);
  git(dir, 'merge', '--abort');
  git(dir, 'update-index', '--index-version', '4');
  const v4 = await custody(['commit', ...AUTHOR], dir);
  assert.is(v4.code, 3, v4.stdout + v4.stderr);
  assert.match(
    v4.stderr,
    /error\[index-unsupported\]: Custody cannot rewrite this repository.s index \(version 4\); nothing was committed \(rewrite it in version 2/,
  );
  assert.is(git(dir, 'rev-parse', 'HEAD'), head);
  git(dir, 'update-index', '--index-version', '2');
  git(dir, 'update-index', '--split-index');
  const split = await custody(['commit', ...AUTHOR], dir);
  assert.is(split.code, 3, split.stdout + split.stderr);
  assert.match(split.stderr, 'error[index-unsupported]: Custody cannot rewrite this repository\'s index (the "link" extension (a split index))');
  assert.is(git(dir, 'rev-parse', 'HEAD'), head);
  assert.ok(!existsSync(path.join(dir, '.git', 'index.lock')), 'the lock is released');
  git(dir, 'update-index', '--no-split-index');
  const ok = await custody(['commit', ...AUTHOR], dir);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(git(dir, 'status', '--porcelain'), '');
});

test('the index: other entries are kept as they were (skip-worktree, assume-unchanged); a held index.lock stops the commit', async () => {
  const dir = await fixtureRepository();
  writeFileSync(path.join(dir, 'notes.txt'), 'one\n');
  writeFileSync(path.join(dir, 'local.conf'), 'one\n');
  git(dir, 'add', 'notes.txt', 'local.conf');
  git(dir, 'commit', '-q', '-m', 'notes');
  git(dir, 'update-index', '--skip-worktree', 'local.conf');
  git(dir, 'update-index', '--assume-unchanged', 'notes.txt');
  const flags = () => lines(git(dir, 'ls-files', '-v', 'notes.txt', 'local.conf'));
  assert.equal(flags(), ['S local.conf', 'h notes.txt']);
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  writeFileSync(path.join(dir, '.git', 'index.lock'), '');
  const locked = await custody(['commit', ...AUTHOR], dir);
  assert.is(locked.code, 3, locked.stdout + locked.stderr);
  assert.match(locked.stderr, /error\[index-locked\]: .*index.lock exists: another Git command is running/);
  assert.is(git(dir, 'log', '-1', '--format=%s'), 'notes');
  rmSync(path.join(dir, '.git', 'index.lock'));
  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 0, r.stderr);
  assert.equal(flags(), ['S local.conf', 'h notes.txt']);
  assert.is(git(dir, 'status', '--porcelain'), '');
  assert.ok(!existsSync(path.join(dir, '.git', 'index.lock')));
});

test('the first commit of a repository (unborn branch) holds every file, and git status is clean', async () => {
  const dir = await fixtureRepository();
  const fresh = tempDir('fresh');
  cpSync(path.join(dir, 'workflows'), path.join(fresh, 'workflows'), { recursive: true });
  cpSync(path.join(dir, 'keys'), path.join(fresh, 'keys'), { recursive: true });
  git(fresh, 'init', '-q', '-b', 'main');
  const r = await custody(['commit', ...AUTHOR], fresh);
  assert.is(r.code, 0, r.stderr);
  assert.is(git(fresh, 'rev-list', '--count', 'HEAD'), '1');
  assert.is(git(fresh, 'status', '--porcelain'), '?? keys/README.md');
  // Same tree as the fixture, which native git committed from the same files.
  assert.is(git(fresh, 'rev-parse', 'HEAD:bundles'), git(dir, 'rev-parse', 'HEAD:bundles'));
  assert.is(git(fresh, 'rev-parse', 'HEAD:generated'), git(dir, 'rev-parse', 'HEAD:generated'));
  assert.match(
    git(fresh, 'log', '-1', '--format=%s'),
    /^Policy: clinical-trial-analysis, movie-post-production: \d+ grants added; bundle signing keys changed$/,
  );
});

test('a generated file committed executable: committed and indexed as 100644, rewritten without +x, git status clean', async () => {
  const dir = await fixtureRepository();
  const rego = 'bundles/movie-post-production/vfx-1/policy.rego';
  const executable = () => {
    chmodSync(path.join(dir, rego), 0o755);
    git(dir, 'add', rego);
    git(dir, 'commit', '-q', '-m', 'executable');
    assert.match(git(dir, 'ls-files', '-s', rego), /^100755 /);
  };
  const committed = async (r: { code: number; stderr: string }) => {
    assert.is(r.code, 0, r.stderr);
    assert.is(git(dir, 'diff-tree', '--no-commit-id', '--raw', '-r', 'HEAD').replace(/ [0-9a-f]{40} [0-9a-f]{40} /, ' … '), `:100755 100644 … M\t${rego}`);
    assert.match(git(dir, 'ls-files', '-s', rego), /^100644 /);
    assert.is(statSync(path.join(dir, rego)).mode & 0o111, 0, 'the working file has no +x');
    assert.is(git(dir, 'status', '--porcelain'), '');
    git(dir, 'fsck', '--strict', '--no-progress');
    const again = await custody(['commit', ...AUTHOR], dir);
    assert.is(again.stdout, 'nothing to commit: bundles/ and generated/ match HEAD\n', again.stderr);
    assert.is(git(dir, 'status', '--porcelain'), '');
    assert.is((await custody(['generate', '--check'], dir)).code, 0);
  };
  executable();
  // The content is what the specs generate: only the mode is stale. generate, then commit: the
  // index entry's id already matches, its mode does not.
  const check = await custody(['generate', '--check'], dir);
  assert.is(check.code, 1, check.stdout + check.stderr);
  assert.match(check.stdout, `stale: ${rego} (mode)\n`);
  assert.is((await custody(['generate'], dir)).code, 0);
  assert.is(statSync(path.join(dir, rego)).mode & 0o111, 0);
  assert.is(git(dir, 'status', '--porcelain'), ` M ${rego}`);
  await committed(await custody(['commit', ...AUTHOR], dir));
  // custody commit alone regenerates the file and commits it.
  executable();
  await committed(await custody(['commit', ...AUTHOR], dir));

  // Only the working file made executable (HEAD and the index say 100644): generate puts it back.
  chmodSync(path.join(dir, rego), 0o755);
  assert.is(git(dir, 'status', '--porcelain'), ` M ${rego}`);
  const gen = await custody(['generate'], dir);
  assert.is(gen.code, 0, gen.stderr);
  assert.match(gen.stdout, 'wrote bundles/');
  assert.is(statSync(path.join(dir, rego)).mode & 0o111, 0);
  assert.is(git(dir, 'status', '--porcelain'), '');

  // Every file of bundles/ committed executable (generate then takes the bits for a file system
  // without modes and leaves them): the commit makes them 100644, and the working files follow.
  execFileSync('chmod', ['-R', '+x', path.join(dir, 'bundles')]);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'all executable');
  const all = await custody(['commit', ...AUTHOR], dir);
  assert.is(all.code, 0, all.stderr);
  assert.match(git(dir, 'ls-files', '-s', rego), /^100644 /);
  assert.is(statSync(path.join(dir, rego)).mode & 0o111, 0);
  assert.is(git(dir, 'status', '--porcelain'), '');
});

test('an input committed executable keeps its mode: no mode-only commit, and the edited spec stays 100755 in commit and index', async () => {
  const dir = await fixtureRepository();
  chmodSync(path.join(dir, MOVIE), 0o755);
  git(dir, 'add', MOVIE);
  git(dir, 'commit', '-q', '-m', 'executable spec');
  const head = git(dir, 'rev-parse', 'HEAD');
  const none = await custody(['commit', ...AUTHOR], dir);
  assert.is(none.stdout, 'nothing to commit: bundles/ and generated/ match HEAD\n', none.stderr);
  assert.is(git(dir, 'rev-parse', 'HEAD'), head);
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 0, r.stderr);
  assert.match(git(dir, 'ls-tree', 'HEAD', MOVIE), /^100755 blob /);
  assert.match(git(dir, 'ls-files', '-s', MOVIE), /^100755 /);
  assert.is(git(dir, 'status', '--porcelain'), '');
  git(dir, 'fsck', '--strict', '--no-progress');
});

test('a peer root and a token key set under keys/ are committed with the trees they change; a README beside them is not; a removed root leaves the commit too', async () => {
  const dir = await fixtureRepository();
  publishVfxTrust(dir);
  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 0, r.stdout + r.stderr);
  // The reviewer's warnings, as generate gives them: hdr-west has sent no token issuer yet.
  assert.match(r.stderr, 'custody commit: warning[no-sidecar-auth]: workflows/movie-post-production.yaml:');
  assert.match(r.stderr, 'the bundle server cannot authenticate the sidecars of cluster "hdr-west"');
  const committed = lines(git(dir, 'diff-tree', '--no-commit-id', '--name-status', '-r', 'HEAD'));
  assert.ok(committed.includes('A\tkeys/roots/vfx-central.pem'), committed.join('\n'));
  assert.ok(committed.includes('A\tkeys/jwks/vfx-central.json'), committed.join('\n'));
  assert.ok(committed.includes('M\tgenerated/clusters/color-central/istiod-values.yaml'), committed.join('\n'));
  assert.not.ok(
    committed.some((l) => l.includes('README')),
    committed.join('\n'),
  );
  // The committed bytes are the files', and Git's own status agrees that nothing else is pending.
  assert.is(git(dir, 'show', 'HEAD:keys/roots/vfx-central.pem'), readFileSync(path.join(dir, 'keys', 'roots', 'vfx-central.pem'), 'utf8').trimEnd());
  assert.equal(lines(git(dir, 'status', '--porcelain', '--untracked-files=all')), ['?? keys/roots/README.md']);
  // Nothing stale in the summary of that commit: the trees were generated from the root it holds.
  const diff = await custody(['diff', '--base', 'HEAD~1'], dir);
  assert.is(diff.code, 0, diff.stdout + diff.stderr);
  assert.match(diff.stdout, '  ! mesh root of vfx-central added: SHA-256 58:C2:62:68');

  rmSync(path.join(dir, 'keys', 'roots', 'vfx-central.pem'));
  const removed = await custody(['commit', ...AUTHOR], dir);
  assert.is(removed.code, 0, removed.stdout + removed.stderr);
  const second = lines(git(dir, 'diff-tree', '--no-commit-id', '--name-status', '-r', 'HEAD'));
  assert.ok(second.includes('D\tkeys/roots/vfx-central.pem'), second.join('\n'));
  assert.ok(second.includes('M\tgenerated/clusters/color-central/istiod-values.yaml'), second.join('\n'));
  assert.equal(lines(git(dir, 'status', '--porcelain', '--untracked-files=all')), ['?? keys/roots/README.md']);
  git(dir, 'fsck', '--strict', '--no-progress');
});

test('keys/roots as a symbolic link to a folder: refused (unsupported-input), nothing committed', async () => {
  const dir = await fixtureRepository();
  const elsewhere = tempDir('roots');
  copyFileSync(repoPath('test', 'fixtures', 'roots', 'vfx-central.pem'), path.join(elsewhere, 'vfx-central.pem'));
  symlinkSync(elsewhere, path.join(dir, 'keys', 'roots'));
  const head = git(dir, 'rev-parse', 'HEAD');
  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, 'error[unsupported-input]: keys/roots is a symbolic link');
  assert.is(git(dir, 'rev-parse', 'HEAD'), head);
});

test('file names that are not UTF-8 (in HEAD or only in the index): refused with unsupported-path, nothing committed or changed', async () => {
  const dir = await fixtureRepository();
  const bad = (name: string, byte: number) => Buffer.concat([Buffer.from(path.join(dir, name)), Buffer.from([byte])]);
  writeFileSync(bad('a', 0xe8), 'first\n');
  writeFileSync(bad('a', 0xe9), 'second\n');
  git(dir, '-c', 'core.quotePath=true', 'add', '-A');
  git(dir, '-c', 'core.quotePath=true', 'commit', '-q', '-m', 'latin-1 names');
  assert.equal(
    lines(git(dir, '-c', 'core.quotePath=true', 'ls-files')).filter((l) => l.startsWith('"')),
    ['"a\\350"', '"a\\351"'],
  );
  const head = git(dir, 'rev-parse', 'HEAD');
  let index = readFileSync(path.join(dir, '.git', 'index'));
  const bundle = readFileSync(path.join(dir, 'bundles/movie-post-production/hdr/data.json'));
  const unchanged = () => {
    assert.is(git(dir, 'rev-parse', 'HEAD'), head);
    assert.ok(readFileSync(path.join(dir, '.git', 'index')).equals(index), 'the index is untouched');
    assert.ok(readFileSync(path.join(dir, 'bundles/movie-post-production/hdr/data.json')).equals(bundle), 'the trees are not rewritten');
    assert.ok(!existsSync(path.join(dir, '.git', 'index.lock')));
  };
  // Without the check, the root tree rebuilt from isomorphic-git's names (both "a\uFFFD") would
  // be committed with one of the two files gone.
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, 'error[unsupported-path]: "a\\350" is not a valid UTF-8 file name');
  assert.match(r.stderr, "git mv $'a\\350'");
  unchanged();
  // Refused as well when nothing would change.
  git(dir, 'checkout', '-q', '--', MOVIE);
  index = readFileSync(path.join(dir, '.git', 'index')); // native git refreshed its stat data
  const none = await custody(['commit', ...AUTHOR], dir);
  assert.is(none.code, 2, none.stdout + none.stderr);
  assert.match(none.stderr, 'error[unsupported-path]');
  unchanged();
  git(dir, 'fsck', '--strict', '--no-progress');

  // Renamed, and the renames committed with native git: custody commit works again.
  renameSync(bad('a', 0xe8), path.join(dir, 'a-1'));
  renameSync(bad('a', 0xe9), path.join(dir, 'a-2'));
  git(dir, 'add', '-A', '.');
  git(dir, 'commit', '-q', '-m', 'renamed');
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  const ok = await custody(['commit', ...AUTHOR], dir);
  assert.is(ok.code, 0, ok.stderr);
  assert.equal(
    lines(git(dir, 'ls-tree', '--name-only', 'HEAD')).filter((n) => n.startsWith('a')),
    ['a-1', 'a-2'],
  );
  assert.is(git(dir, 'status', '--porcelain'), '');

  // Staged only (HEAD's names are valid): refused on reading the index, before any object, ref or index write.
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(bad('sub/b', 0xff), 'staged\n');
  git(dir, 'add', 'sub');
  edit(dir, MOVIE, 'to: hdr, methods: [GET], path: /api/frames/*', 'to: hdr, methods: [GET, PUT], path: /api/frames/*');
  const renamed = git(dir, 'rev-parse', 'HEAD');
  const staged = await custody(['commit', ...AUTHOR], dir);
  assert.is(staged.code, 2, staged.stdout + staged.stderr);
  assert.match(staged.stderr, 'error[unsupported-path]: "sub/b\\377" is not a valid UTF-8 file name');
  assert.is(git(dir, 'rev-parse', 'HEAD'), renamed);
  assert.match(git(dir, '-c', 'core.quotePath=true', 'status', '--porcelain'), 'A  "sub/b\\377"');
  assert.ok(!existsSync(path.join(dir, '.git', 'index.lock')));
  git(dir, 'fsck', '--strict', '--no-progress');
});

test('property: for random trees and random changes, the commit is the tree native git makes, and git status is clean', async () => {
  const dir = tempDir('prop');
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(path.join(dir, 'README'), "not custody's\n");
  git(dir, 'add', 'README');
  git(dir, 'commit', '-q', '-m', 'start');
  const repo = openRepository(dir);
  const name = fc.constantFrom('a', 'b', 'c.yaml', 'd-e', 'f.json', 'a.b', 'z');
  const file = fc.tuple(fc.array(fc.constantFrom('x', 'y', 'x-y', 'y.z'), { maxLength: 3 }), name).map(([dirs, n]) => [...dirs, n].join('/'));
  const tree = fc.dictionary(file, fc.string({ maxLength: 40 }), { maxKeys: 25 });
  const trees = fc.tuple(tree, tree, fc.boolean());
  let commits = 0;
  await fc.assert(
    fc.asyncProperty(trees, async ([generated, bundles, keepBundles]) => {
      // A path cannot be both a file and a folder.
      const clean = (t: Record<string, string>) => Object.fromEntries(Object.entries(t).filter(([p]) => !Object.keys(t).some((q) => q.startsWith(`${p}/`))));
      const desired: Tree[] = [
        { root: 'generated', files: new Map(Object.entries(clean(generated))) },
        { root: 'bundles', files: new Map(Object.entries(keepBundles ? clean(bundles) : {})) },
      ];
      const plan = await planCommit({ repo, trees: desired });
      const r = await commitRegenerated({ repo, trees: desired, author: { name: 'P', email: 'p@example.invalid' } });
      assert.is(r.commit === undefined, plan.changes.length === 0);
      if (r.commit) commits++;
      assert.is(git(dir, 'status', '--porcelain'), '');
      git(dir, 'add', '-A');
      assert.is(git(dir, 'write-tree'), git(dir, 'rev-parse', 'HEAD^{tree}'));
      assert.ok(existsSync(path.join(dir, 'README')));
    }),
    { numRuns: 25, seed: 20261123 },
  );
  assert.ok(commits > 10, `only ${commits} commits`);
  git(dir, 'fsck', '--strict', '--no-progress');
});

test('the reflog gets the commit as git commit writes it: on the branch, and on a detached HEAD, found again after switching away', async () => {
  const dir = await fixtureRepository();
  edit(dir, MOVIE, '- { from: hdr, to: owner, methods: [POST], path: /api/owner }', NEW_FLOW);
  const r = await custody(['commit', ...AUTHOR], dir, { GIT_COMMITTER_DATE: '@1790000000 +0200' });
  assert.is(r.code, 0, r.stderr);
  const head = git(dir, 'rev-parse', 'HEAD');
  for (const ref of ['HEAD', 'main']) {
    assert.is(git(dir, 'reflog', 'show', '-1', '--format=%H %gs', ref), `${head} commit: Policy: movie-post-production: 1 grant added`);
  }
  assert.match(
    readFileSync(path.join(dir, '.git', 'logs', 'refs', 'heads', 'main'), 'utf8'),
    ` ${head} Ada Lovelace <ada@example.invalid> 1790000000 +0200\tcommit: `,
  );
  git(dir, 'switch', '-q', '--detach');
  edit(dir, MOVIE, 'to: hdr, methods: [GET], path: /api/frames/*', 'to: hdr, methods: [GET, POST], path: /api/frames/*');
  assert.is((await custody(['commit', ...AUTHOR], dir)).code, 0);
  const detached = git(dir, 'rev-parse', 'HEAD');
  git(dir, 'switch', '-q', 'main');
  assert.is(git(dir, 'rev-parse', 'HEAD@{1}'), detached, "the detached commit is in HEAD's reflog");
  git(dir, 'fsck', '--strict', '--no-progress');
});

test.run();
