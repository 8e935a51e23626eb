/**
 * Which files of some folders of the working tree differ from HEAD, as `git status` would list
 * them (staged or not, tracked or new): each file on disk is hashed as Git hashes a blob and
 * compared with HEAD's entry by id, so nothing is written and Git's index is not needed. The
 * commands that read a commit (the bundle server, verify, the demo) use it to say at once what
 * they will not see.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import type { FileChange } from './commit-plan.js';
import { objectId } from './objects.js';
import { gitArgs, headCommit, type Repository } from './repository.js';
import { treeEntries, type TreeEntry } from './trees.js';
import { cmp } from '../core/order.js';

export interface WorkingFolder {
  /** Top-level folder, e.g. `workflows`. */
  readonly root: string;
  /**
   * Which paths relative to `root` count (a README beside the specs does not), read at the top and
   * in `folders`; absent: every file, at any depth.
   */
  readonly select?: (rel: string) => boolean;
  /** With `select`: the subfolders (one level) read as well. */
  readonly folders?: readonly string[];
}

/**
 * The files of `folders` that differ between HEAD and the working tree, sorted by path (status
 * `added`: on disk only; `deleted`: in HEAD only; `modified`: both, other content). Only a
 * folder whose files differ is read below its first level in HEAD.
 */
export async function workingTreeChanges(repo: Repository, folders: readonly WorkingFolder[]): Promise<FileChange[]> {
  const head = await headCommit(repo);
  const headTree = head ? (await git.readCommit({ ...gitArgs(repo), oid: head })).commit.tree : undefined;
  const root = headTree ? await treeEntries(repo, headTree) : new Map<string, TreeEntry>();
  const out: FileChange[] = [];
  const walk = async (rel: string, tree: string | undefined, folder: WorkingFolder, top: boolean): Promise<void> => {
    const { select } = folder;
    const theirs = tree ? await treeEntries(repo, tree) : new Map<string, TreeEntry>();
    const ours = new Map<string, 'file' | 'dir'>();
    try {
      for (const e of await fsp.readdir(path.join(repo.dir, ...rel.split('/')), { withFileTypes: true })) {
        if (e.isFile() || e.isSymbolicLink()) ours.set(e.name, 'file');
        else if (e.isDirectory()) ours.set(e.name, 'dir');
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    }
    for (const name of new Set([...ours.keys(), ...theirs.keys()])) {
      const p = `${rel}/${name}`;
      const mine = ours.get(name);
      const entry = theirs.get(name);
      const blob = entry?.type === 'blob' ? entry.oid : undefined;
      if (select) {
        // An input folder: its selected files only, at the top and in its input subfolders.
        if (top && folder.folders?.includes(name) && (mine === 'dir' || entry?.type === 'tree')) {
          await walk(p, entry?.type === 'tree' ? entry.oid : undefined, folder, false);
        }
        if (!select(p.slice(folder.root.length + 1)) || (mine === 'dir' && !blob)) continue;
      } else if (mine === 'dir' || entry?.type === 'tree') {
        await walk(p, entry?.type === 'tree' ? entry.oid : undefined, folder, false);
      }
      const file = mine === 'file' ? await blobId(repo, p) : undefined;
      if (file === blob) continue;
      if (file && blob) out.push({ path: p, status: 'modified', oid: file, previous: blob });
      else if (file) out.push({ path: p, status: 'added', oid: file });
      else if (blob) out.push({ path: p, status: 'deleted', previous: blob });
    }
  };
  for (const f of folders) {
    const entry = root.get(f.root);
    await walk(f.root, entry?.type === 'tree' ? entry.oid : undefined, f, true);
  }
  return out.sort((a, b) => cmp(a.path, b.path));
}

/** The id Git gives the file (a link: its target, as Git stores it). */
async function blobId(repo: Repository, rel: string): Promise<string> {
  const file = path.join(repo.dir, ...rel.split('/'));
  const stat = await fsp.lstat(file);
  return objectId('blob', stat.isSymbolicLink() ? Buffer.from(await fsp.readlink(file)) : await fsp.readFile(file));
}
