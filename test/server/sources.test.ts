/**
 * What the server reads from Git, and what it says about it: errors logged once per change (not
 * on every poll); a repository URL carrying credentials refused and never printed; a bundle above
 * its size bound not served (the last good one is); an agent folder that is a symbolic link not
 * served, with the reason in the log; a local clone on a detached HEAD serves that commit.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/server/index.js';
import { commitAll, exampleRepository, git } from '../helpers/git-repo.js';
import { makeKey, startTestServer } from '../helpers/server.js';

const W = 'movie-post-production';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a build error and a repository error are logged once, not on every poll, and their end once', async () => {
  const repo = exampleRepository();
  const t = await startTestServer({ pollSeconds: 0.1 }, repo);
  try {
    const data = path.join(repo, 'bundles', W, 'color', 'data.json');
    const good = readFileSync(data, 'utf8');
    writeFileSync(data, '{ not json');
    commitAll(repo, 'break color');
    await pause(1500);
    assert.is(t.logs.filter((l) => l.includes(`${W}/color: build failed`)).length, 1, t.logs.join('\n'));
    writeFileSync(data, good);
    commitAll(repo, 'mend color');
    await pause(600);
    assert.is(t.logs.filter((l) => l.includes(`${W}/color builds again`)).length, 1, t.logs.join('\n'));

    git(repo, 'branch', '-m', 'main', 'renamed');
    await pause(1500);
    assert.is(t.logs.filter((l) => l.includes('cannot read the repository')).length, 1, t.logs.join('\n'));
    git(repo, 'branch', '-m', 'renamed', 'main');
    await pause(600);
    assert.is(t.logs.filter((l) => l.includes('the repository is readable again')).length, 1, t.logs.join('\n'));
  } finally {
    await t.server.close();
  }
});

test('a local clone on a detached HEAD (a pull request merge commit, as CI checks it out) serves the commit checked out, not main', async () => {
  const repo = exampleRepository();
  git(repo, 'switch', '-q', '-c', 'feature');
  const data = path.join(repo, 'bundles', W, 'color', 'data.json');
  writeFileSync(data, readFileSync(data, 'utf8').replace('"/api/color"', '"/api/color/v2"'));
  commitAll(repo, 'feature');
  const feature = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'switch', '-q', '--detach', feature);
  git(repo, 'branch', '-q', '-D', 'feature');
  const main = git(repo, 'rev-parse', 'main');
  assert.is.not(main, feature);
  const t = await startTestServer({}, repo);
  try {
    assert.is(t.server.catalog.status().head?.commit, feature);
  } finally {
    await t.server.close();
  }
});

test('a repository URL with credentials in it is refused, and the credentials are not printed', () => {
  const dir = exampleRepository();
  const key = makeKey(dir, 'k');
  for (const url of [
    'https://deploy:s3cr3t-t0ken@git.example/acme/custody.git',
    'https://s3cr3t-t0ken@git.example/acme/custody.git',
    'http://x:s3cr3t-t0ken@git.example/a.git',
  ]) {
    let message = 'accepted';
    try {
      loadConfig({ env: {}, cwd: dir, overrides: { repository: url, signingKeys: [{ id: 'k', file: key.file }] } });
    } catch (err) {
      message = (err as Error).message;
    }
    assert.match(message, /credentials/, url);
    assert.match(message, /CUSTODY_GIT_TOKEN/);
    assert.not.match(message, /s3cr3t/, 'never printed');
    assert.match(message, /git\.example/, 'the rest of the URL is shown');
  }
});

test('a bundle above maxBundleBytes is not built or served; the last good one is, with the reason logged', async () => {
  const repo = exampleRepository();
  const t = await startTestServer({ pollSeconds: 3600, maxBundleBytes: 256 * 1024 }, repo);
  try {
    const color = () => t.server.catalog.get(W, 'color')!;
    const first = color().revision;
    mkdirSync(path.join(repo, 'bundles', W, 'color', 'padding'));
    writeFileSync(path.join(repo, 'bundles', W, 'color', 'padding', 'data.json'), JSON.stringify({ blob: randomBytes(300 * 1024).toString('base64') }));
    const big = commitAll(repo, 'a large bundle');
    await t.server.refresh();
    assert.is(color().revision, first, 'the last good bundle is still served');
    assert.match(color().failure!.message, /maxBundleBytes/);
    assert.is(color().failure!.revision, big);
    const r = await fetch(`${t.server.url}/bundles/${W}/color.tar.gz`, { headers: { authorization: `Bearer ${t.tokens[`${W}/color`]}` } });
    assert.is(r.status, 200);
    assert.ok((await r.arrayBuffer()).byteLength < 256 * 1024);
    assert.match(t.logs.join('\n'), /color: build failed.*maxBundleBytes/);
  } finally {
    await t.server.close();
  }
});

test('an agent folder replaced by a symbolic link is not served, and the log says why', async () => {
  const repo = exampleRepository();
  const t = await startTestServer({ pollSeconds: 3600 }, repo);
  try {
    assert.ok(t.server.catalog.get(W, 'hdr'));
    rmSync(path.join(repo, 'bundles', W, 'hdr'), { recursive: true });
    symlinkSync('color', path.join(repo, 'bundles', W, 'hdr'));
    commitAll(repo, 'hdr is color now');
    await t.server.refresh();
    await t.server.refresh();
    assert.is(t.server.catalog.get(W, 'hdr'), undefined, 'a link is not followed');
    const said = t.logs.filter((l) => l.includes(`bundles/${W}/hdr`));
    assert.is(said.length, 1, t.logs.join('\n'));
    assert.match(said[0]!, /symbolic link/);
  } finally {
    await t.server.close();
  }
});

test.run();
