/**
 * Writing and comparing whole trees on disk. A tree is replaced in one rename: it is built in a
 * temporary folder beside its final place, so a failure at any point leaves the previous tree as
 * it was, and a reader never sees half of one.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
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
  const suffix = randomBytes(6).toString('hex');
  const target = path.join(outDir, tree.root);
  const staging = path.join(outDir, `.${tree.root}.custody-new-${suffix}`);
  const previous = path.join(outDir, `.${tree.root}.custody-old-${suffix}`);
  await io.mkdir(outDir, { recursive: true });
  try {
    await io.mkdir(staging, { recursive: true });
    const rels = [...tree.files.keys()].sort();
    // Each folder once, then the files several at a time (a large workflow writes tens of thousands).
    for (const dir of [...new Set(rels.map((rel) => path.posix.dirname(rel)))].sort()) {
      if (dir !== '.') await io.mkdir(path.join(staging, ...dir.split('/')), { recursive: true });
    }
    await inParallel(rels, 32, (rel) => io.writeFile(path.join(staging, ...rel.split('/')), tree.files.get(rel)!));
  } catch (err) {
    await io.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  let moved = false;
  try {
    try {
      await io.rename(target, previous);
      moved = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await io.rename(staging, target);
  } catch (err) {
    if (moved) await io.rename(previous, target).catch(() => undefined);
    await io.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  if (moved) await io.rm(previous, { recursive: true, force: true });
}

/** Runs `task` on every item, at most `limit` at once; fails with the first error once all have settled. */
async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
