/**
 * Writing and comparing whole trees on disk. A tree is replaced in one rename: it is built in a
 * temporary folder beside its final place, so a failure at any point leaves the previous tree as
 * it was, and a reader never sees half of one.
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

// Staging folders beside the trees. `new` is being written; its rename to `ready` is the commit
// point (a folder rename is atomic); `old` holds the trees being replaced until the swap is over.
const STAGING = /^\.custody-(new|ready|old)-[0-9a-f]+$/;
// The names an earlier version of this writer used, one pair per tree.
const LEGACY = /^\.(.+)\.custody-(new|old)-[0-9a-f]+$/;

/**
 * Replaces several trees together (`bundles/` and `generated/` must never end at different
 * revisions). All are written to one staging folder first; renaming it to `ready` commits the
 * change; then each tree is swapped by two renames. A failure reported to this process puts every
 * tree back as it was; a process killed after the commit point leaves a `ready` folder that the
 * next run (or `recoverTrees`) completes, so the trees end either all old or all new, and nothing
 * half-written is ever left in place.
 */
export async function writeTrees(outDir: string, trees: readonly Tree[], io: TreeFs = fs as unknown as TreeFs): Promise<void> {
  await io.mkdir(outDir, { recursive: true });
  await recoverTrees(outDir, io);
  if (trees.length === 0) return;
  const suffix = randomBytes(6).toString('hex');
  const staging = path.join(outDir, `.custody-new-${suffix}`);
  const ready = path.join(outDir, `.custody-ready-${suffix}`);
  const previous = path.join(outDir, `.custody-old-${suffix}`);
  try {
    for (const tree of trees) await stage(path.join(staging, tree.root), tree, io);
    await io.rename(staging, ready);
  } catch (err) {
    await io.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  const swapped: { root: string; hadPrevious: boolean; placed: boolean }[] = [];
  try {
    await io.mkdir(previous, { recursive: true });
    for (const tree of trees) {
      const step = { root: tree.root, hadPrevious: false, placed: false };
      swapped.push(step);
      try {
        await io.rename(path.join(outDir, tree.root), path.join(previous, tree.root));
        step.hadPrevious = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      await io.rename(path.join(ready, tree.root), path.join(outDir, tree.root));
      step.placed = true;
    }
  } catch (err) {
    // Undo in reverse: the new tree goes back to staging, the previous one to its place.
    for (const step of swapped.reverse()) {
      if (step.placed) await io.rename(path.join(outDir, step.root), path.join(ready, step.root)).catch(() => undefined);
      if (step.hadPrevious) await io.rename(path.join(previous, step.root), path.join(outDir, step.root)).catch(() => undefined);
    }
    await io.rm(ready, { recursive: true, force: true }).catch(() => undefined);
    await io.rm(previous, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  await io.rm(ready, { recursive: true, force: true });
  await io.rm(previous, { recursive: true, force: true });
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

/**
 * Finishes what a killed writer left in `outDir`: a `ready` folder (committed) is swapped in;
 * unfinished staging and replaced trees are removed. Returns the names it removed or completed.
 */
export async function recoverTrees(outDir: string, io: TreeFs = fs as unknown as TreeFs): Promise<string[]> {
  let names: string[];
  try {
    names = (await fs.readdir(outDir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const done: string[] = [];
  for (const name of names.filter((n) => n.startsWith('.custody-ready-') && STAGING.test(n))) {
    const ready = path.join(outDir, name);
    const previous = path.join(outDir, name.replace('-ready-', '-old-'));
    await io.mkdir(previous, { recursive: true });
    for (const root of (await fs.readdir(ready)).sort()) {
      const target = path.join(outDir, root);
      if (await exists(target)) await io.rename(target, path.join(previous, root));
      await io.rename(path.join(ready, root), target);
    }
    await io.rm(ready, { recursive: true, force: true });
    await io.rm(previous, { recursive: true, force: true });
    done.push(name);
  }
  for (const name of names) {
    const legacy = LEGACY.exec(name);
    // An earlier writer killed between its two renames left the tree only in its `old` folder.
    if (legacy && legacy[2] === 'old' && !(await exists(path.join(outDir, legacy[1]!)))) {
      await io.rename(path.join(outDir, name), path.join(outDir, legacy[1]!));
      done.push(name);
      continue;
    }
    if (STAGING.test(name) || legacy) {
      await io.rm(path.join(outDir, name), { recursive: true, force: true });
      if (!done.includes(name)) done.push(name);
    }
  }
  return done;
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
