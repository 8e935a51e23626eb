/**
 * Reading a revision without a checkout (isomorphic-git `readTree`/`readBlob`): its workflow
 * specs, its keys and the files of its generated trees. Comparing two revisions walks both trees
 * together and skips every folder whose Git tree id is the same on both sides, so only files that
 * differ are ever read.
 */
import git from 'isomorphic-git';
import type { InputFile } from '../workflow/index.js';
import { cmp } from '../core/order.js';
import { GENERATED_ROOTS, isKeyFile, isKeyInput, isWorkflowFile, KEY_SUBFOLDERS, KEYS_DIR, WORKFLOWS_DIR } from '../contract/index.js';
import { gitArgs, isNotFound, type Repository } from './repository.js';

export interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly oid: string;
}

/** A tree's entries by name (a commit id reads its root tree). */
export async function treeEntries(repo: Repository, oid: string, filepath?: string): Promise<Map<string, TreeEntry>> {
  try {
    const { tree } = await git.readTree({ ...gitArgs(repo), oid, ...(filepath ? { filepath } : {}) });
    return new Map(tree.map((e) => [e.path, e]));
  } catch (err) {
    if (isNotFound(err)) return new Map();
    throw err;
  }
}

export async function readText(repo: Repository, oid: string): Promise<string> {
  const { blob } = await git.readBlob({ ...gitArgs(repo), oid });
  return Buffer.from(blob).toString('utf8');
}

/** The top-level blobs of one folder of a commit (or tree) that `select` takes, in name order. */
async function folderAt(repo: Repository, commitOrTree: string | undefined, folder: string, select: (name: string) => boolean): Promise<[string, TreeEntry][]> {
  if (!commitOrTree) return [];
  const dir = (await treeEntries(repo, commitOrTree)).get(folder);
  if (dir?.type !== 'tree') return [];
  return [...(await treeEntries(repo, dir.oid))].filter(([name, e]) => e.type === 'blob' && select(name)).sort(([a], [b]) => cmp(a, b));
}

/** The workflow specs of a commit, as the loader takes them. */
export async function workflowInputsAt(repo: Repository, commit: string | undefined): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const [name, e] of await folderAt(repo, commit, WORKFLOWS_DIR, isWorkflowFile))
    out.push({ file: `${WORKFLOWS_DIR}/${name}`, text: await readText(repo, e.oid) });
  return out;
}

/**
 * The files under `roots` that differ between two trees (commit or tree ids; undefined: empty),
 * by repository path, with their content on each side. Folders with equal ids are not entered.
 */
export async function differingFiles(
  repo: Repository,
  base: string | undefined,
  head: string | undefined,
  roots: readonly string[] = GENERATED_ROOTS,
): Promise<{ base: Map<string, string>; head: Map<string, string> }> {
  const out = { base: new Map<string, string>(), head: new Map<string, string>() };
  const baseRoot = base ? await treeEntries(repo, base) : new Map<string, TreeEntry>();
  const headRoot = head ? await treeEntries(repo, head) : new Map<string, TreeEntry>();
  const tree = (e: TreeEntry | undefined) => (e?.type === 'tree' ? e.oid : undefined);
  const blob = (e: TreeEntry | undefined) => (e?.type === 'blob' ? e.oid : undefined);
  const walk = async (a: string | undefined, b: string | undefined, prefix: string): Promise<void> => {
    if (a === b) return;
    const ea = a ? await treeEntries(repo, a) : new Map<string, TreeEntry>();
    const eb = b ? await treeEntries(repo, b) : new Map<string, TreeEntry>();
    for (const name of new Set([...ea.keys(), ...eb.keys()])) {
      const x = ea.get(name);
      const y = eb.get(name);
      if (x?.oid === y?.oid && x?.type === y?.type) continue;
      const path = `${prefix}/${name}`;
      if (tree(x) || tree(y)) await walk(tree(x), tree(y), path);
      if (blob(x)) out.base.set(path, await readText(repo, blob(x)!));
      if (blob(y)) out.head.set(path, await readText(repo, blob(y)!));
    }
  };
  for (const root of roots) await walk(tree(baseRoot.get(root)), tree(headRoot.get(root)), root);
  return out;
}

/**
 * The inputs of `keys/` of a commit or tree (`isKeyInput`: its `*.pem` files and `active`, and the
 * files of `roots/` and `jwks/`), by path relative to `keys/`: what `readKeys` reads from the
 * working tree, so the trees are checked against what generate would render from this commit.
 */
export async function keyFilesAt(repo: Repository, commitOrTree: string | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // A link's blob is its target's path: not a key, and the key check says so.
  const text = async (e: TreeEntry) => (e.mode === '120000' ? `(a symbolic link to ${await readText(repo, e.oid)})` : await readText(repo, e.oid));
  for (const [name, e] of await folderAt(repo, commitOrTree, KEYS_DIR, isKeyFile)) out.set(name, await text(e));
  if (!commitOrTree) return out;
  const keys = (await treeEntries(repo, commitOrTree)).get(KEYS_DIR);
  if (keys?.type !== 'tree') return out;
  for (const sub of KEY_SUBFOLDERS) {
    for (const [name, e] of await folderAt(repo, keys.oid, sub, (n) => isKeyInput(`${sub}/${n}`))) out.set(`${sub}/${name}`, await text(e));
  }
  return out;
}
