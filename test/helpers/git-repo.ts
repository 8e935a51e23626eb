/** Temporary Git repositories made with the native git command, as a person's clone would be. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoPath } from './paths.js';

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
}

/** A repository holding the committed examples (workflows/ and bundles/) on branch main. */
export function exampleRepository(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-repo-'));
  cpSync(repoPath('workflows'), path.join(dir, 'workflows'), { recursive: true });
  cpSync(repoPath('bundles'), path.join(dir, 'bundles'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'examples');
  return dir;
}

export function commitAll(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}
