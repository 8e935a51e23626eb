/**
 * Writing and comparing whole trees on disk. Trees are built in a staging folder beside their
 * final place and swapped in together (see `writeTrees`), so a reader never sees half of one, and
 * a failure, or a kill followed by `recoverTrees`, leaves every tree as it was.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
import { inParallel } from '../core/parallel.js';
import type { Tree } from './render.js';

export interface StaleEntry {
  readonly path: string;
  /**
   * `mode`: the content is right but the file is executable; the trees are regular files, and
   * Git would see the mode. (A link or other non-regular file is `changed`.)
   */
  readonly kind: 'changed' | 'missing' | 'extra' | 'mode';
}

/** The file operations the writer uses; tests replace them to inject failures. */
export interface TreeFs {
  mkdir(p: string, o: { recursive: true }): Promise<unknown>;
  writeFile(p: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(p: string, o: { recursive: true; force: true }): Promise<void>;
}

/**
 * Calls `visit` for every entry under `dir` that is not a folder (path relative, with `/`);
 * false when `dir` is missing or not a folder.
 */
async function walkTree(dir: string, visit: (rel: string, entry: Dirent) => Promise<void>): Promise<boolean> {
  try {
    if (!(await fs.lstat(dir)).isDirectory()) return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else await visit(child, entry);
    }
  };
  await walk('');
  return true;
}

export async function readTree(dir: string): Promise<Map<string, Buffer> | undefined> {
  const out = new Map<string, Buffer>();
  const found = await walkTree(dir, async (rel) => {
    out.set(rel, await fs.readFile(path.join(dir, rel)));
  });
  return found ? out : undefined;
}

/** A file of a tree on disk: its bytes (none for a link or other non-regular file), and its kind. */
interface DiskFile {
  readonly content?: Buffer;
  readonly kind: 'regular' | 'executable' | 'other';
}

/** Like `readTree`, with each file's kind; a missing folder (or not a folder): no files. */
async function readFiles(dir: string): Promise<Map<string, DiskFile>> {
  const out = new Map<string, DiskFile>();
  await walkTree(dir, async (rel, entry) => {
    if (!entry.isFile()) {
      out.set(rel, { kind: 'other' });
      return;
    }
    const handle = await fs.open(path.join(dir, rel), 'r');
    try {
      // Git's test for an executable file: the owner's execute bit.
      const mode = (await handle.stat()).mode;
      out.set(rel, { content: await handle.readFile(), kind: mode & 0o100 ? 'executable' : 'regular' });
    } finally {
      await handle.close();
    }
  });
  return out;
}

/**
 * What differs between the tree on disk under `outDir` and the desired one, sorted by path. A
 * link (or other non-regular file) where a file belongs is `changed`; a file with the right
 * content but executable is `mode`: `writeTree` writes regular files without the bit. The bit
 * counts only when some file of the tree lacks it: on a file system without modes (FAT, a
 * Windows drive under WSL) every file shows it, a rewrite would not clear it, and Git there
 * ignores it (`core.fileMode` false).
 */
export async function staleEntries(outDir: string, tree: Tree): Promise<StaleEntry[]> {
  const current = await readFiles(path.join(outDir, tree.root));
  const modes = [...current.values()].some((f) => f.kind === 'regular');
  const out: StaleEntry[] = [];
  for (const [rel, content] of tree.files) {
    const have = current.get(rel);
    if (!have) out.push({ path: `${tree.root}/${rel}`, kind: 'missing' });
    else if (have.kind === 'other' || !have.content!.equals(Buffer.from(content, 'utf8'))) out.push({ path: `${tree.root}/${rel}`, kind: 'changed' });
    else if (have.kind === 'executable' && modes) out.push({ path: `${tree.root}/${rel}`, kind: 'mode' });
  }
  for (const rel of current.keys()) if (!tree.files.has(rel)) out.push({ path: `${tree.root}/${rel}`, kind: 'extra' });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Replaces `outDir/<root>` by the tree, atomically. */
export async function writeTree(outDir: string, tree: Tree, io: TreeFs = fs as unknown as TreeFs): Promise<void> {
  await writeTrees(outDir, [tree], io);
}

// How several trees are replaced together, and why so. `bundles/` and `generated/` must never end
// at different revisions, but no one rename replaces two folders: they sit side by side at the top
// of the repository, where Git and the reconcilers read them, and Node offers no atomic exchange
// (renameat2 RENAME_EXCHANGE). So each tree takes two renames, and the staging folder records the
// swap so that a run killed between any two steps can be undone. For one swap, `<id>` random:
//
//   1. `.custody-new-<id>/` receives every tree and MARKER, the list of the trees being swapped.
//   2. It is renamed `.custody-ready-<id>/`: complete; the swap begins.
//   3. For each tree: the current one moves to `.custody-old-<id>/<root>`, the new one into place.
//   4. The commit point: MARKER is deleted (one unlink). Then the ready and old folders are.
//
// `recoverTrees` rolls back, never forward: a later run must not swap in a revision abandoned
// with its run (its specs may have been reverted since). While MARKER exists the swap is not
// committed: each tree it lists (or that was moved to the old folder) that is in place but no
// longer in the ready folder is the new one, and goes back into it. Then MARKER (first, so that a
// recovery killed half-way is not misled by a half-deleted ready folder), the ready folder and
// any new folder are deleted; every tree missing from its place is restored from an old folder,
// and the old folders are deleted. A ready folder without MARKER is either empty (committed: the
// trees in place stay) or an earlier writer's, which wrote none: its trees are deleted, never
// swapped in, and those it moved aside are taken as its swap's. A killed write thus ends, after
// recovery, with every tree as it was or, only if it got past step 4's unlink, every tree new;
// never with a tree half written, missing, or from an abandoned run.
// (One writer at a time in `outDir`: a run rolls back any swap it finds, another's included.)
const STAGING = /^\.custody-(new|ready|old)-[0-9a-f]+$/;
// The names an earlier version of this writer used, one pair per tree.
const LEGACY = /^\.(.+)\.custody-(new|old)-[0-9a-f]+$/;
const MARKER = '.custody-trees';

/**
 * Replaces several trees together, as described above: a failure reported to this process, or a
 * kill followed by `recoverTrees`, leaves every tree as it was; only a completed call changes them.
 */
export async function writeTrees(outDir: string, trees: readonly Tree[], io: TreeFs = fs as unknown as TreeFs): Promise<void> {
  await io.mkdir(outDir, { recursive: true });
  await recoverTrees(outDir, io);
  if (trees.length === 0) return;
  const id = randomBytes(6).toString('hex');
  const staging = path.join(outDir, `.custody-new-${id}`);
  const ready = path.join(outDir, `.custody-ready-${id}`);
  const previous = path.join(outDir, `.custody-old-${id}`);
  try {
    for (const tree of trees) await stage(path.join(staging, tree.root), tree, io);
    await io.writeFile(path.join(staging, MARKER), `${JSON.stringify(trees.map((t) => t.root))}\n`);
    await io.rename(staging, ready);
    await io.mkdir(previous, { recursive: true });
    for (const tree of trees) {
      try {
        await io.rename(path.join(outDir, tree.root), path.join(previous, tree.root));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      await io.rename(path.join(ready, tree.root), path.join(outDir, tree.root));
    }
    await io.rm(path.join(ready, MARKER), { recursive: true, force: true });
  } catch (err) {
    // Undone as after a kill; should that fail too, the next run's recovery finishes it.
    await rollBack(outDir, id, io).catch(() => undefined);
    throw err;
  }
  // Committed: what is left is only the replaced trees, which the next run removes if this fails.
  await io.rm(ready, { recursive: true, force: true }).catch(() => undefined);
  await io.rm(previous, { recursive: true, force: true }).catch(() => undefined);
}

async function stage(dir: string, tree: Tree, io: TreeFs): Promise<void> {
  await io.mkdir(dir, { recursive: true });
  const rels = [...tree.files.keys()].sort();
  // Each folder once, then the files several at a time (a large workflow writes tens of thousands).
  for (const sub of [...new Set(rels.map((rel) => path.posix.dirname(rel)))].sort()) {
    if (sub !== '.') await io.mkdir(path.join(dir, ...sub.split('/')), { recursive: true });
  }
  await inParallel(rels, 32, (rel) => io.writeFile(path.join(dir, ...rel.split('/')), tree.files.get(rel)!));
}

/** The staging folders in `outDir` that a writer killed (or failing to clean up) left, sorted. */
export async function leftoverFolders(outDir: string): Promise<string[]> {
  try {
    return (await fs.readdir(outDir)).filter((n) => STAGING.test(n) || LEGACY.test(n)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Undoes what killed writers left in `outDir`, rolling back (see above): afterwards each tree is
 * as it was before the interrupted swap and no staging folder is left. Returns the folders it
 * removed.
 */
export async function recoverTrees(outDir: string, io: TreeFs = fs as unknown as TreeFs): Promise<string[]> {
  const names = await leftoverFolders(outDir);
  for (const name of names) {
    const kind = STAGING.exec(name)?.[1];
    if (kind === 'ready' || kind === 'new') await rollBack(outDir, name.slice(name.lastIndexOf('-') + 1), io);
  }
  for (const name of names) {
    const legacy = LEGACY.exec(name);
    if (STAGING.exec(name)?.[1] === 'old') await restore(outDir, name, io);
    // An earlier writer killed between its two renames left the tree only in its `old` folder.
    else if (legacy?.[2] === 'old' && !(await exists(path.join(outDir, legacy[1]!)))) await io.rename(path.join(outDir, name), path.join(outDir, legacy[1]!));
    else if (legacy) await io.rm(path.join(outDir, name), { recursive: true, force: true });
  }
  return names;
}

/** Undoes swap `id` up to the restoring of the trees it moved aside (which `restore` does). */
async function rollBack(outDir: string, id: string, io: TreeFs): Promise<void> {
  const ready = path.join(outDir, `.custody-ready-${id}`);
  for (const root of await swapped(ready, path.join(outDir, `.custody-old-${id}`))) {
    // In place, and no longer in the ready folder: the new tree; it goes back.
    if (!(await exists(path.join(ready, root))) && (await exists(path.join(outDir, root)))) await io.rename(path.join(outDir, root), path.join(ready, root));
  }
  await io.rm(path.join(ready, MARKER), { recursive: true, force: true });
  await io.rm(ready, { recursive: true, force: true });
  await io.rm(path.join(outDir, `.custody-new-${id}`), { recursive: true, force: true });
  await restore(outDir, `.custody-old-${id}`, io);
}

/**
 * The trees of an uncommitted swap, which `rollBack` undoes: those MARKER lists (if it can be
 * read) and those moved to the old folder. None once MARKER is gone from an empty ready folder:
 * the swap committed. A ready folder with trees but no MARKER is an earlier writer's (it wrote
 * none) or a recovery's killed half-way: the trees moved aside are the swap's.
 */
async function swapped(ready: string, old: string): Promise<string[]> {
  const list = async (dir: string) => (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n !== MARKER);
  let listed: unknown = [];
  try {
    listed = JSON.parse(await fs.readFile(path.join(ready, MARKER), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (await list(ready)).length === 0) return [];
  }
  const name = (r: unknown): r is string => typeof r === 'string' && /^[^/\\]+$/.test(r) && r !== '.' && r !== '..';
  return [...new Set([...(Array.isArray(listed) ? listed.filter(name) : []), ...(await list(old))])].sort();
}

/** Puts back each tree of the old folder `name` whose place is empty, then deletes the folder. */
async function restore(outDir: string, name: string, io: TreeFs): Promise<void> {
  const old = path.join(outDir, name);
  let roots: string[];
  try {
    roots = (await fs.readdir(old)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const root of roots) if (!(await exists(path.join(outDir, root)))) await io.rename(path.join(old, root), path.join(outDir, root));
  await io.rm(old, { recursive: true, force: true });
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
