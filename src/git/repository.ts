/**
 * A Git repository as the gitops commands see it: its working folder, its Git folder, the file
 * system (injected, as isomorphic-git takes it) and one object cache shared by every read of a
 * command, so pack indexes are parsed once.
 */
import nodeFs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { GitopsError } from './errors.js';

export type Fs = typeof nodeFs;

export interface Repository {
  readonly fs: Fs;
  /** The working tree's root. */
  readonly dir: string;
  /** The Git folder (`.git`, or where a `.git` file points for worktrees). */
  readonly gitdir: string;
  /** isomorphic-git's cache: one per command, dropped with it. */
  readonly cache: object;
}

/** The repository holding `cwd` (its nearest folder with `.git`). */
export function openRepository(cwd: string, fs: Fs = nodeFs): Repository {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const dotgit = path.join(dir, '.git');
    let stat: nodeFs.Stats | undefined;
    try {
      stat = fs.statSync(dotgit);
    } catch {
      stat = undefined;
    }
    if (stat?.isDirectory()) return { fs, dir, gitdir: dotgit, cache: {} };
    if (stat?.isFile()) {
      // A linked worktree or submodule: `.git` is a file naming the Git folder.
      const m = /^gitdir: (.+)$/m.exec(fs.readFileSync(dotgit, 'utf8'));
      if (m) {
        const gitdir = path.resolve(dir, m[1]!.trim());
        // A linked worktree's Git folder keeps only HEAD and the index; objects and branches are
        // in the folder `commondir` names, which isomorphic-git does not follow: a commit made
        // here would land where Git never looks.
        if (fs.existsSync(path.join(gitdir, 'commondir'))) {
          throw new GitopsError(
            'unsupported-worktree',
            `${dir} is a linked worktree (git worktree add): custody cannot commit in it`,
            'run the command in the main working tree of the repository, or in a separate clone',
          );
        }
        return { fs, dir, gitdir, cache: {} };
      }
    }
    if (path.dirname(dir) === dir) {
      throw new GitopsError(
        'not-a-repository',
        `${path.resolve(cwd)} is not inside a Git repository`,
        'run the command inside a clone of the repository that holds workflows/',
      );
    }
  }
}

/** The arguments every isomorphic-git call takes. */
export const gitArgs = (repo: Repository) => ({ fs: repo.fs, dir: repo.dir, gitdir: repo.gitdir, cache: repo.cache });

/** The branch HEAD is on (short name), or undefined when HEAD is detached. */
export async function currentBranch(repo: Repository): Promise<string | undefined> {
  const branch = await git.currentBranch({ fs: repo.fs, dir: repo.dir, gitdir: repo.gitdir, fullname: false, test: false });
  return branch ?? undefined;
}

/** The commit HEAD points at, or undefined on an unborn branch (a repository without commits). */
export async function headCommit(repo: Repository): Promise<string | undefined> {
  try {
    return await git.resolveRef({ fs: repo.fs, dir: repo.dir, gitdir: repo.gitdir, ref: 'HEAD' });
  } catch (err) {
    if ((err as { code?: string }).code === 'NotFoundError') return undefined;
    throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === 'NotFoundError';
}
