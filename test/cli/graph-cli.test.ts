/** `custody graph` as a user runs it: the package's bin, in a child process (run `npm run build` first). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { custody } from '../helpers/cli.js';
import { repoPath } from '../helpers/paths.js';

const goldenFile = (name: string) => readFileSync(repoPath('test', 'golden', 'graph', name), 'utf8');
const MOVIE = 'workflows/movie-post-production.yaml';

/** A repository of its own: the examples and their committed pictures. */
function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-graph-'));
  mkdirSync(path.join(dir, '.git'));
  cpSync(repoPath('workflows'), path.join(dir, 'workflows'), { recursive: true });
  cpSync(repoPath('docs', 'pictures'), path.join(dir, 'docs', 'pictures'), { recursive: true });
  return dir;
}

test('graph prints Mermaid by default and DOT on request, as the golden files', async () => {
  const mermaid = await custody(['graph', MOVIE]);
  assert.is(mermaid.code, 0, mermaid.stderr);
  assert.is(mermaid.stdout, goldenFile('movie-post-production.mmd'));
  const dot = await custody(['graph', 'workflows/clinical-trial-analysis.yaml', '--format', 'dot', '--at', '2026-11-21T17:00:00Z']);
  assert.is(dot.code, 0, dot.stderr);
  assert.is(dot.stdout, goldenFile('clinical-trial-analysis.at-saturday.dot'));
});

test('--output writes the file, its format from the extension unless --format says otherwise', async () => {
  const dir = workspace();
  assert.is((await custody(['graph', MOVIE, '--output', 'out/movie.svg'], dir)).code, 0);
  const svg = readFileSync(path.join(dir, 'out', 'movie.svg'), 'utf8');
  assert.is(svg, readFileSync(repoPath('docs', 'pictures', 'movie-post-production.svg'), 'utf8'));
  assert.is((await custody(['graph', MOVIE, '--output', 'movie.dot'], dir)).stdout, '');
  assert.is(readFileSync(path.join(dir, 'movie.dot'), 'utf8'), goldenFile('movie-post-production.dot'));
  assert.is((await custody(['graph', MOVIE, '--output', 'movie.txt', '--format', 'dot'], dir)).code, 0);
  assert.is(readFileSync(path.join(dir, 'movie.txt'), 'utf8'), goldenFile('movie-post-production.dot'));
});

test('usage errors exit 2; a spec with errors exits 1 and draws nothing', async () => {
  for (const args of [
    ['graph'],
    ['graph', MOVIE, '--format', 'png'],
    ['graph', MOVIE, '--at', 'noon'],
    ['graph', MOVIE, '--check'],
    ['graph', '--pictures', MOVIE],
    ['graph', 'no-such.yaml'],
  ]) {
    const r = await custody(args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stdout, '');
  }
  const dir = workspace();
  writeFileSync(path.join(dir, 'bad.yaml'), readFileSync(repoPath(MOVIE), 'utf8').replace('to: vfx-1, methods', 'to: vfx-9, methods'));
  const bad = await custody(['graph', 'bad.yaml'], dir);
  assert.is(bad.code, 1);
  assert.is(bad.stdout, '');
  assert.match(bad.stderr, /error\[unknown-agent\]/);
  assert.match((await custody(['graph', '--help'])).stdout, /^Usage: custody graph FILE/);
});

test('graph --pictures --check passes on the committed pictures, fails on a stale, missing or orphan one, and --pictures repairs them', async () => {
  const ok = await custody(['graph', '--pictures', '--check']);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.is(ok.stdout, 'up to date: 2 pictures in docs/pictures/\n');

  const dir = workspace();
  const movie = path.join(dir, MOVIE);
  writeFileSync(movie, readFileSync(movie, 'utf8').replace('path: /api/hdr', 'path: /api/hdr2'));
  writeFileSync(path.join(dir, 'docs', 'pictures', 'gone.svg'), '<svg/>');
  rmSync(path.join(dir, 'docs', 'pictures', 'clinical-trial-analysis.svg'));
  const stale = await custody(['graph', '--pictures', '--check'], dir);
  assert.is(stale.code, 1);
  assert.is(
    stale.stdout,
    [
      'stale: docs/pictures/clinical-trial-analysis.svg (missing)',
      'stale: docs/pictures/movie-post-production.svg (changed)',
      'stale: docs/pictures/gone.svg (no such workflow)',
      '3 stale pictures: run custody graph --pictures and commit the result',
      '',
    ].join('\n'),
  );
  const written = await custody(['graph', '--pictures'], dir);
  assert.is(written.code, 0, written.stderr);
  assert.is(written.stdout, 'wrote docs/pictures/: 3 pictures changed\n');
  assert.match(readFileSync(path.join(dir, 'docs', 'pictures', 'movie-post-production.svg'), 'utf8'), 'POST /api/hdr2');
  assert.not.ok(existsSync(path.join(dir, 'docs', 'pictures', 'gone.svg')));
  assert.is((await custody(['graph', '--pictures', '--check'], dir)).code, 0);
});

test.run();
