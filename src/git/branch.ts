/**
 * The branch moves of `custody pr`: a branch of its own put at HEAD (and taken back when nothing
 * was committed on it), the base branch found as this clone knows it, and where the two meet.
 * Only refs move: the working tree and the index stay as they are.
 */
import git from 'isomorphic-git';
import { GitopsError } from './errors.js';
import { gitArgs, headCommit, isNotFound, type Repository } from './repository.js';

async function localBranch(repo: Repository, name: string): Promise<string | undefined> {
  try {
    return await git.resolveRef({ ...gitArgs(repo), ref: `refs/heads/${name}` });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Puts HEAD on `name`: created at HEAD if new; an existing branch must point at HEAD already. */
export async function switchTo(repo: Repository, name: string): Promise<boolean> {
  const head = await headCommit(repo);
  if (!head)
    throw new GitopsError('no-branch', 'the repository has no commit yet: there is nothing to branch from', 'commit the specs on the base branch first');
  const existing = await localBranch(repo, name);
  if (existing && existing !== head) {
    throw new GitopsError(
      'branch-exists',
      `branch ${name} exists and points elsewhere (${existing.slice(0, 12)})`,
      `switch to it (git switch ${name}) and run the command again, or name another branch with --branch`,
    );
  }
  if (!existing) {
    try {
      await git.branch({ ...gitArgs(repo), ref: name, object: head, checkout: false });
    } catch (err) {
      if ((err as { code?: string }).code === 'InvalidRefNameError')
        throw new GitopsError('invalid-option', `"${name}" is not a valid branch name`, 'use letters, digits, "-", "_", "." and "/"');
      throw err;
    }
  }
  // The working tree and the index already are HEAD's: only HEAD moves, as `git switch` would.
  await git.writeRef({ ...gitArgs(repo), ref: 'HEAD', value: `refs/heads/${name}`, symbolic: true, force: true });
  return !existing;
}

/** Undoes `switchTo` for a branch it created: HEAD back on `previous` (or detached at `head`), the branch deleted. */
export async function switchBack(repo: Repository, created: string, previous: string | undefined, head: string): Promise<void> {
  if (previous) await git.writeRef({ ...gitArgs(repo), ref: 'HEAD', value: `refs/heads/${previous}`, symbolic: true, force: true });
  else await git.writeRef({ ...gitArgs(repo), ref: 'HEAD', value: head, force: true });
  await git.deleteBranch({ ...gitArgs(repo), ref: created });
}
/** The base branch as this clone has it: the remote's copy first, else the local branch. */
export async function baseCommit(repo: Repository, remoteName: string | undefined, base: string): Promise<{ oid: string; name: string }> {
  for (const ref of [...(remoteName ? [`refs/remotes/${remoteName}/${base}`] : []), `refs/heads/${base}`]) {
    try {
      return { oid: await git.resolveRef({ ...gitArgs(repo), ref }), name: ref.replace(/^refs\/(remotes|heads)\//, '') };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  throw new GitopsError(
    'unknown-revision',
    `the base branch ${base} is not in this clone${remoteName ? ` (neither ${remoteName}/${base} nor ${base})` : ''}`,
    `fetch it (git fetch ${remoteName ?? 'origin'} ${base}), or name the base with --base`,
  );
}

/** Where two commits' histories meet (Git's merge base); undefined when they share none. */
export async function mergeBaseOf(repo: Repository, a: string, b: string): Promise<string | undefined> {
  const [found] = (await git.findMergeBase({ ...gitArgs(repo), oids: [a, b] })) as (string | undefined)[];
  return found;
}
