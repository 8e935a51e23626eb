/**
 * Writing a planned commit (`commit-plan.ts`): only the objects HEAD lacks, then the commit; the
 * branch moves to it, and the index gets the new ids of the changed paths with the working
 * files' stat data, so `git status` is clean afterwards and whatever else the person had staged
 * stays staged (index-file.ts patches only those entries). Same desired trees as HEAD: no
 * commit. The index gets the mode committed, not only the id.
 */
import path from 'node:path';
import type { BigIntStats } from 'node:fs';
import git from 'isomorphic-git';
import { gitZone, type Person } from './author.js';
import type { CommitPlan } from './commit-plan.js';
import { GitopsError } from './errors.js';
import { GitIndexFile, type IndexEntry, type IndexUpdate } from './index-file.js';
import { looseObject } from './objects.js';
import { currentBranch, gitArgs, headCommit, type Repository } from './repository.js';

export interface CommitWriteOptions {
  /** May still be in the making (the summary): objects are written meanwhile. */
  readonly message: string | Promise<string>;
  readonly author: Person;
  readonly committer: Person;
  /**
   * Folders whose every file was rewritten on disk (replaced whole by `writeTree`): the index
   * entries of all their files get fresh stat data, not only the changed ones, so Git does not
   * re-hash the whole folder on the next `git status`.
   */
  readonly rewritten?: readonly string[];
}

export interface CommitResult {
  readonly commit: string;
  readonly parent?: string;
  /** The branch moved; undefined when HEAD is detached (HEAD itself moved). */
  readonly branch?: string;
}

/** How many object files to write at once: enough to overlap the file system's latency. */
const WRITE_CONCURRENCY = 32;

async function writeObjects(repo: Repository, objects: CommitPlan['objects']): Promise<void> {
  const list = [...objects];
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const [oid, o] = list[next++]!;
      // Deflated here with Node's zlib; isomorphic-git writes the loose object (and skips one it has).
      await git.writeObject({ fs: repo.fs, dir: repo.dir, gitdir: repo.gitdir, type: o.type, object: looseObject(o.type, o.content), format: 'deflated', oid });
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, list.length) }, worker));
}

/**
 * Writes the planned commit: objects, commit, branch, index. Returns undefined (and writes
 * nothing) when the plan changes nothing: no empty commits.
 */
export async function writeCommit(plan: CommitPlan, options: CommitWriteOptions): Promise<CommitResult | undefined> {
  if (plan.changes.length === 0 && plan.tree.oid === plan.parentTree) return undefined;
  const { repo } = plan;
  const branch = await currentBranch(repo);
  // The index is locked and read (a merge in progress refused) before anything is written, and
  // written once at the end, whatever the number of paths.
  const index = await GitIndexFile.open(repo.fs, repo.gitdir);
  let commit: string;
  try {
    const [message] = await Promise.all([options.message, writeObjects(repo, plan.objects)]);
    commit = await git.writeCommit({
      ...gitArgs(repo),
      commit: {
        message: message.endsWith('\n') ? message : `${message}\n`,
        tree: plan.tree.oid,
        parent: plan.parent ? [plan.parent] : [],
        author: options.author,
        committer: options.committer,
      },
    });
    // Someone else committed meanwhile: moving the branch now would drop their commit.
    if ((await headCommit(repo)) !== plan.parent) {
      throw new GitopsError(
        'write-failed',
        `${branch ?? 'HEAD'} moved while the commit was being made; nothing was committed (the objects written are harmless)`,
        'run the command again',
      );
    }
    await git.writeRef({ ...gitArgs(repo), ref: branch ? `refs/heads/${branch}` : 'HEAD', value: commit, force: true });
    await appendReflog(repo, branch, plan.parent, commit, options.committer, message);
  } catch (err) {
    await index.release();
    throw err;
  }
  try {
    await index.commit(await indexUpdates(repo, index.entries(), plan, new Set(options.rewritten ?? [])));
  } catch (err) {
    await index.release();
    throw err;
  }
  return { commit, ...(plan.parent ? { parent: plan.parent } : {}), ...(branch ? { branch } : {}) };
}

const ZERO = '0'.repeat(40);

/**
 * The reflog lines `git commit` writes (HEAD's and the branch's), which isomorphic-git's
 * `writeRef` does not: so `git reflog` shows the commit, and one made on a detached HEAD can be
 * found again after switching away. Written only where Git keeps reflogs (a `logs/` folder, as
 * non-bare repositories have by default).
 */
async function appendReflog(
  repo: Repository,
  branch: string | undefined,
  previous: string | undefined,
  commit: string,
  who: Person,
  message: string,
): Promise<void> {
  const logs = path.join(repo.gitdir, 'logs');
  try {
    if (!(await repo.fs.promises.stat(logs)).isDirectory()) return;
  } catch {
    return;
  }
  const subject = message.split('\n', 1)[0]!.trim();
  const line = `${previous ?? ZERO} ${commit} ${who.name} <${who.email}> ${who.timestamp} ${gitZone(who.timezoneOffset)}\tcommit${previous ? '' : ' (initial)'}: ${subject}\n`;
  for (const ref of ['HEAD', ...(branch ? [`refs/heads/${branch}`] : [])]) {
    const file = path.join(logs, ...ref.split('/'));
    await repo.fs.promises.mkdir(path.dirname(file), { recursive: true });
    await repo.fs.promises.appendFile(file, line);
  }
}

/**
 * What the index needs so every Custody path equals the new commit (id and mode), with the
 * working files' stat data.
 */
async function indexUpdates(
  repo: Repository,
  current: ReadonlyMap<string, IndexEntry>,
  plan: CommitPlan,
  rewritten: ReadonlySet<string>,
): Promise<IndexUpdate[]> {
  const updates: IndexUpdate[] = [];
  // Each with whether its folder is a generated tree (Custody's whole, so its modes too).
  const refresh: [string, IndexEntry, boolean][] = [];
  for (const [root, { files, select }] of plan.owned) {
    const mine = (p: string) => p.startsWith(`${root}/`) && (!select || select(p.slice(root.length + 1)));
    for (const p of current.keys()) if (mine(p) && !files.has(p)) updates.push({ path: p });
    for (const [p, want] of files) {
      const have = current.get(p);
      // An entry whose id already matches still needs the mode committed (e.g. 100755 → 100644).
      if (!have || have.oid !== want.oid || have.mode !== want.mode || rewritten.has(root)) refresh.push([p, want, !select]);
    }
  }
  let next = 0;
  const worker = async () => {
    while (next < refresh.length) {
      const [p, { oid, mode }, generated] = refresh[next++]!;
      const file = path.join(repo.dir, ...p.split('/'));
      let stat: BigIntStats | undefined;
      try {
        stat = await repo.fs.promises.lstat(file, { bigint: true });
        // A generated file committed as 100644 but executable on disk (left so when writeTree
        // had no reason to rewrite it): the working file follows the commit, else git status
        // shows the mode. (Where the file system has no modes, chmod changes nothing and Git
        // ignores them.)
        if (generated && mode === 0o100644 && stat.isFile() && (stat.mode & 0o111n) !== 0n) {
          await repo.fs.promises.chmod(file, Number(stat.mode & 0o666n));
          stat = await repo.fs.promises.lstat(file, { bigint: true });
        }
      } catch {
        stat = undefined; // not in the working tree: Git will see it missing and say so
      }
      updates.push({ path: p, oid, mode, ...(stat ? { stat } : {}) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, refresh.length) }, worker));
  return updates;
}
