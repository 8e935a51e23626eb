/**
 * Writing and comparing whole trees on disk. A tree is replaced in one rename: it is built in a
 * temporary folder beside its final place, so a failure at any point leaves the previous tree as
 * it was, and a reader never sees half of one.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Tree } from './render.js';

export interface StaleEntry {
  readonly path: string;
  readonly kind: 'changed' | 'missing' | 'extra';
}

/** The file operations the writer uses; tests replace them to inject failures. */
export interface TreeFs {
  mkdir(p: string, o: { recursive: true }): Promise<unknown>;
  writeFile(p: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(p: string, o: { recursive: true; force: true }): Promise<void>;
}

export async function readTree(dir: string): Promise<Map<string, Buffer> | undefined> {
  const out = new Map<string, Buffer>();
  try {
    const stat = await fs.lstat(dir);
    if (!stat.isDirectory()) return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const walk = async (rel: string) => {
    for (const entry of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else out.set(child, await fs.readFile(path.join(dir, child)));
    }
  };
  await walk('');
  return out;
}

/** What differs between the tree on disk under `outDir` and the desired one, sorted by path. */
export async function staleEntries(outDir: string, tree: Tree): Promise<StaleEntry[]> {
  const current = (await readTree(path.join(outDir, tree.root))) ?? new Map<string, Buffer>();
  const out: StaleEntry[] = [];
  for (const [rel, content] of tree.files) {
    const have = current.get(rel);
    if (!have) out.push({ path: `${tree.root}/${rel}`, kind: 'missing' });
    else if (!have.equals(Buffer.from(content, 'utf8'))) out.push({ path: `${tree.root}/${rel}`, kind: 'changed' });
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
