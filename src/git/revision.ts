/**
 * The commit a revision names, resolved as Git resolves it, without a checkout (isomorphic-git
 * reads refs and objects in place).
 */
import git from 'isomorphic-git';
import { GitopsError } from './errors.js';
import { gitArgs, isNotFound, type Repository } from './repository.js';

/**
 * The commit a revision names: a branch, tag, remote branch (`origin/main`), `HEAD`, a full or
 * abbreviated commit id, each optionally followed by `^`, `^N` and `~N` steps as in Git.
 */
export async function resolveRevision(repo: Repository, revision: string): Promise<string> {
  const m = /^(.+?)((?:[~^]\d*)*)$/.exec(revision.trim());
  const unknown = (why = `"${revision}" names no commit in this repository`) =>
    new GitopsError(
      'unknown-revision',
      why,
      'name a branch, tag or commit, e.g. main, origin/main, HEAD~1 or a commit id; fetch it first if it exists only on the remote',
    );
  if (!m) throw unknown();
  const [, name, steps] = m as unknown as [string, string, string];
  let oid: string | undefined;
  try {
    oid = await git.resolveRef({ fs: repo.fs, dir: repo.dir, gitdir: repo.gitdir, ref: name });
  } catch (err) {
    if (!isNotFound(err) && (err as { code?: string }).code !== 'InvalidRefNameError') throw err;
  }
  if (oid === undefined && /^[0-9a-f]{4,40}$/i.test(name)) {
    try {
      oid = await git.expandOid({ ...gitArgs(repo), oid: name.toLowerCase() });
    } catch (err) {
      if (!isNotFound(err) && (err as { code?: string }).code !== 'AmbiguousError') throw err;
      if ((err as { code?: string }).code === 'AmbiguousError') throw unknown(`"${name}" is an ambiguous abbreviation`);
    }
  }
  if (oid === undefined) throw unknown();
  let commit = await peelToCommit(repo, oid, revision);
  for (const step of steps.match(/[~^]\d*/g) ?? []) {
    const n = step.length > 1 ? Number(step.slice(1)) : 1;
    if (step[0] === '^') {
      if (n === 0) continue;
      const parents: string[] = (await git.readCommit({ ...gitArgs(repo), oid: commit })).commit.parent;
      if (!parents[n - 1]) throw unknown(`${revision}: commit ${commit.slice(0, 12)} has no parent ${n}`);
      commit = parents[n - 1]!;
    } else {
      for (let i = 0; i < n; i++) {
        const parent: string | undefined = (await git.readCommit({ ...gitArgs(repo), oid: commit })).commit.parent[0];
        if (!parent) throw unknown(`${revision}: commit ${commit.slice(0, 12)} has no parent`);
        commit = parent;
      }
    }
  }
  return commit;
}

async function peelToCommit(repo: Repository, oid: string, revision: string): Promise<string> {
  for (let i = 0; i < 10; i++) {
    let object;
    try {
      object = await git.readObject({ ...gitArgs(repo), oid, format: 'parsed' });
    } catch (err) {
      if (isNotFound(err))
        throw new GitopsError(
          'unknown-revision',
          `"${revision}" points at ${oid.slice(0, 12)}, which this clone does not hold`,
          'fetch it first (git fetch), or fetch full history in CI (fetch-depth: 0)',
        );
      throw err;
    }
    if (object.type === 'commit') return oid;
    if (object.type !== 'tag') throw new GitopsError('unknown-revision', `"${revision}" names a ${object.type}, not a commit`);
    oid = (object.object as { object: string }).object;
  }
  throw new GitopsError('unknown-revision', `"${revision}": too many nested tags`);
}
