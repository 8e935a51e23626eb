/**
 * What committing regenerated trees would change, worked out without writing anything and
 * without isomorphic-git's `add`: the desired trees are hashed in memory (Git's own ids),
 * compared with HEAD's folder by folder (equal ids are not entered), and the plan keeps only the
 * blobs and trees that HEAD lacks; the new root tree reuses every other entry of HEAD's.
 * `commit.ts` writes the plan.
 *
 * Modes: the generated trees are regular files (100644), whatever HEAD had; an input (a spec, a
 * key) keeps the executable bit HEAD gives it, since Custody commits its content, not its mode.
 * Names that are not valid UTF-8 are refused (`unsupported-path`) before anything is written:
 * isomorphic-git reads them as strings with U+FFFD in place of the bytes, so a tree rebuilt from
 * them would lose or rename files.
 *
 * (isomorphic-git's `add('.')` + `commit` re-reads and re-hashes every file of the working tree:
 * 75× native Git for 10 changed files out of 5,000 in the prototype; this path stays near native.)
 */
import git from 'isomorphic-git';
import type { Tree } from '../generate/index.js';
import type { InputFolder } from './inputs.js';
import { unsupportedPath, type IndexEntry } from './index-file.js';
import { buildTree, makeTree, objectId, treeFiles, treeMode, type Entry, type MemoryTree, type ObjectType } from './objects.js';
import { gitArgs, headCommit, type Repository } from './repository.js';
import { treeEntries } from './trees.js';
import { cmp } from '../core/order.js';

export interface FileChange {
  /** Repository path. */
  readonly path: string;
  readonly status: 'added' | 'modified' | 'deleted';
  /** Blob id in the new commit (absent when deleted). */
  readonly oid?: string;
  /** Blob id in HEAD (absent when added). */
  readonly previous?: string;
  /** New content (absent when deleted); text is UTF-8. */
  readonly content?: Buffer | string;
}

export interface CommitPlanOptions {
  readonly repo: Repository;
  /** Generated trees: each replaces its whole folder (Custody owns `bundles/` and `generated/`). */
  readonly trees: readonly Tree[];
  /** Input folders committed with them: their selected files as given, their other files as in HEAD. */
  readonly inputs?: readonly InputFolder[];
}

export interface CommitPlan {
  readonly repo: Repository;
  /** HEAD's commit; undefined on an unborn branch. */
  readonly parent?: string;
  readonly parentTree?: string;
  /** The new root tree. */
  readonly tree: MemoryTree;
  /** Sorted by path; empty when the desired state is HEAD's. */
  readonly changes: readonly FileChange[];
  /** Objects HEAD does not have at these paths, to write. */
  readonly objects: ReadonlyMap<string, { readonly type: ObjectType; readonly content: Buffer | string }>;
  /** Per folder Custody wrote, every desired path's blob id and mode: what the index must hold. */
  readonly owned: ReadonlyMap<string, { readonly files: ReadonlyMap<string, IndexEntry>; readonly select?: (rel: string) => boolean }>;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const REGULAR = 0o100644;

/**
 * A tree's entries as isomorphic-git reads them (`prefix`: the tree's path, for messages). A name
 * with U+FFFD may be bytes that are not UTF-8, decoded lossily: the tree object's own bytes tell,
 * and such a name is refused.
 */
async function entriesOf(repo: Repository, oid: string, prefix: string): Promise<Map<string, { mode: string; type: string; oid: string }>> {
  const entries = await treeEntries(repo, oid);
  if (![...entries.keys()].some((name) => name.includes('\uFFFD'))) return entries;
  const { object } = await git.readObject({ ...gitArgs(repo), oid, format: 'content' });
  const bytes = Buffer.from(object as Uint8Array);
  for (let at = 0; at < bytes.length;) {
    const start = bytes.indexOf(0x20, at) + 1;
    const end = bytes.indexOf(0, start);
    if (start === 0 || end < 0) break;
    const name = bytes.subarray(start, end);
    try {
      UTF8.decode(name);
    } catch {
      throw unsupportedPath(prefix ? Buffer.concat([Buffer.from(`${prefix}/`), name]) : name, 'HEAD');
    }
    at = end + 21;
  }
  return entries;
}

/** A tree entry's mode as the index holds it: a number. */
const indexMode = (mode: string) => parseInt(mode, 8);

/**
 * An input folder's tree (`sub`: '' for its root, else one of its `folders`): HEAD's entries but
 * its selected files, which are the working tree's; each keeps the executable bit HEAD gives it
 * (a new one: 100644). `files` collects what the index must hold.
 */
async function inputTree(
  repo: Repository,
  head: string | undefined,
  input: InputFolder,
  sub: string,
  files: Map<string, IndexEntry>,
): Promise<MemoryTree | undefined> {
  const rel = (name: string) => (sub ? `${sub}/${name}` : name);
  const entries = new Map<string, Entry>();
  const executable = new Set<string>();
  if (head) {
    for (const [name, e] of await entriesOf(repo, head, `${input.root}/${sub}`.replace(/\/$/, ''))) {
      if (!(e.type === 'blob' && input.select(rel(name)))) entries.set(name, { mode: treeMode(e.mode), type: e.type as ObjectType, oid: e.oid });
      else if (treeMode(e.mode) === '100755') executable.add(name);
    }
  }
  for (const [p, content] of input.files) {
    const cut = p.lastIndexOf('/');
    if ((cut < 0 ? '' : p.slice(0, cut)) !== sub) continue;
    const name = p.slice(cut + 1);
    const mode = executable.has(name) ? '100755' : '100644';
    const oid = objectId('blob', content);
    entries.set(name, { mode, type: 'blob', oid, content });
    files.set(`${input.root}/${p}`, { oid, mode: indexMode(mode) });
  }
  if (!sub) {
    for (const folder of input.folders ?? []) {
      const e = entries.get(folder);
      const below = await inputTree(repo, e?.type === 'tree' ? e.oid : undefined, input, folder, files);
      if (below) entries.set(folder, { mode: '40000', type: 'tree', oid: below.oid, tree: below });
      else if (e?.type === 'tree') entries.delete(folder);
    }
  }
  return entries.size ? makeTree(entries) : undefined;
}

/** What committing the desired trees would change, computed without writing anything. */
export async function planCommit(options: CommitPlanOptions): Promise<CommitPlan> {
  const { repo } = options;
  const parent = await headCommit(repo);
  const parentTree = parent ? (await git.readCommit({ ...gitArgs(repo), oid: parent })).commit.tree : undefined;
  const rootEntries = parentTree ? await entriesOf(repo, parentTree, '') : new Map();
  const root = new Map<string, Entry>([...rootEntries].map(([name, e]) => [name, { mode: treeMode(e.mode), type: e.type as ObjectType, oid: e.oid }]));
  const replaced = new Map<string, MemoryTree | undefined>();
  const owned = new Map<string, { files: Map<string, IndexEntry>; select?: (rel: string) => boolean }>();
  for (const tree of options.trees) {
    // Regular files (100644), whatever mode HEAD has at a path (executable, link): the folder is Custody's.
    const desired = buildTree(tree.files);
    replaced.set(tree.root, desired);
    owned.set(tree.root, { files: new Map(desired ? [...treeFiles(desired, tree.root)].map(([p, e]) => [p, { oid: e.oid, mode: REGULAR }]) : []) });
  }
  for (const input of options.inputs ?? []) {
    const existing = root.get(input.root);
    const files = new Map<string, IndexEntry>();
    replaced.set(input.root, await inputTree(repo, existing?.type === 'tree' ? existing.oid : undefined, input, '', files));
    owned.set(input.root, { files, select: input.select });
  }
  for (const [name, tree] of replaced) {
    if (tree) root.set(name, { mode: '40000', type: 'tree', oid: tree.oid, tree });
    else root.delete(name);
  }
  const tree = makeTree(root);
  const changes: FileChange[] = [];
  const objects = new Map<string, { type: ObjectType; content: Buffer | string }>();
  if (tree.oid !== parentTree) {
    objects.set(tree.oid, { type: 'tree', content: tree.bytes });
    const walk = async (mem: MemoryTree | undefined, head: string | undefined, prefix: string): Promise<void> => {
      if (mem && mem.oid === head) return;
      if (mem) objects.set(mem.oid, { type: 'tree', content: mem.bytes });
      const theirs = head ? await entriesOf(repo, head, prefix) : new Map();
      const below: Promise<void>[] = [];
      for (const name of new Set([...(mem?.entries.keys() ?? []), ...theirs.keys()])) {
        const x = mem?.entries.get(name);
        const y = theirs.get(name);
        if (x && y && x.oid === y.oid && treeMode(x.mode) === treeMode(y.mode)) continue;
        const p = `${prefix}/${name}`;
        const yBlob = y?.type === 'blob' ? (y.oid as string) : undefined;
        // Sibling folders are read at the same time: the reads overlap.
        if (x?.type === 'tree' || y?.type === 'tree') below.push(walk(x?.type === 'tree' ? x.tree : undefined, y?.type === 'tree' ? y.oid : undefined, p));
        if (x?.type === 'blob' && x.content !== undefined) {
          objects.set(x.oid, { type: 'blob', content: x.content });
          changes.push({ path: p, status: yBlob ? 'modified' : 'added', oid: x.oid, ...(yBlob ? { previous: yBlob } : {}), content: x.content });
        } else if (yBlob && x?.type !== 'blob') {
          changes.push({ path: p, status: 'deleted', previous: yBlob });
        }
      }
      await Promise.all(below);
    };
    await Promise.all(
      [...replaced].map(([name, mem]) => {
        const head = rootEntries.get(name);
        return walk(mem, head?.type === 'tree' ? head.oid : undefined, name);
      }),
    );
  }
  changes.sort((a, b) => cmp(a.path, b.path));
  return { repo, ...(parent ? { parent } : {}), ...(parentTree ? { parentTree } : {}), tree, changes, objects, owned };
}
