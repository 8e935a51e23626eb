/**
 * Reading a revision without a checkout (isomorphic-git `readTree`/`readBlob`): its workflow
 * specs, checked with the spec loader, and the files of its generated trees. Comparing two
 * revisions walks both trees together and skips every folder whose Git tree id is the same on
 * both sides, so only files that differ are ever read.
 */
import git from 'isomorphic-git';
import { GENERATED_ROOTS, isKeyFile, isWorkflowFile, KEYS_DIR, WORKFLOWS_DIR } from '../contract/index.js';
import { desiredTrees } from '../generate/index.js';
import { KeysError, parseKeyFiles, type KeySet } from '../keys/index.js';
import { loadWorkflows, type InputFile } from '../workflow/index.js';
import { summarize, type ChangeSummary, type DiffSide, type GeneratedCheck } from './diff.js';
import { GitopsError } from './errors.js';
import type { RevisionLabel } from './render.js';
import { cmp } from '../core/order.js';
import { gitArgs, isNotFound, type Repository } from './repository.js';

interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly oid: string;
}

/**
 * The commit a revision names: a branch, tag, remote branch (`origin/main`), `HEAD`, a full or
 * abbreviated commit id, each optionally followed by `^`, `^N` and `~N` steps as in Git.
 */
export async function resolveRevision(repo: Repository, revision: string): Promise<string> {
  const m = /^(.+?)((?:[~^]\d*)*)$/.exec(revision.trim());
  const unknown = (why = `"${revision}" names no commit in this repository`) =>
    new GitopsError('unknown-revision', why, 'name a branch, tag or commit, e.g. main, origin/main, HEAD~1 or a commit id; fetch it first if it exists only on the remote');
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
      if (isNotFound(err)) throw new GitopsError('unknown-revision', `"${revision}" points at ${oid.slice(0, 12)}, which this clone does not hold`, 'fetch it first (git fetch), or fetch full history in CI (fetch-depth: 0)');
      throw err;
    }
    if (object.type === 'commit') return oid;
    if (object.type !== 'tag') throw new GitopsError('unknown-revision', `"${revision}" names a ${object.type}, not a commit`);
    oid = (object.object as { object: string }).object;
  }
  throw new GitopsError('unknown-revision', `"${revision}": too many nested tags`);
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
  for (const [name, e] of await folderAt(repo, commit, WORKFLOWS_DIR, isWorkflowFile)) out.push({ file: `${WORKFLOWS_DIR}/${name}`, text: await readText(repo, e.oid) });
  return out;
}

/** A side of the summary: the specs checked (files with errors set aside) and the given files. */
export function sideOf(inputs: readonly InputFile[], files: ReadonlyMap<string, string>): DiffSide {
  const loaded = loadWorkflows(inputs);
  const invalid = [...new Set(loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file))].sort();
  return { workflows: loaded.workflows, invalid, files };
}

/**
 * The files under `roots` that differ between two trees (commit or tree ids; undefined: empty),
 * by repository path, with their content on each side. Folders with equal ids are not entered.
 */
export async function differingFiles(
  repo: Repository, base: string | undefined, head: string | undefined, roots: readonly string[] = GENERATED_ROOTS,
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

export interface RevisionSummary {
  readonly summary: ChangeSummary;
  readonly base: RevisionLabel;
  readonly head: RevisionLabel;
}

/**
 * The summary between two revisions of the repository (what `custody diff` prints), with the
 * check that the changed generated files are what the head's specs generate (unless told not to).
 */
export async function summarizeRevisions(repo: Repository, baseRevision: string, headRevision: string, options: { checkGenerated?: boolean } = {}): Promise<RevisionSummary> {
  const base = await resolveRevision(repo, baseRevision);
  const head = await resolveRevision(repo, headRevision);
  return { summary: await summarizeCommits(repo, base, head, { checkGenerated: options.checkGenerated ?? true }), base: { name: baseRevision, commit: base }, head: { name: headRevision, commit: head } };
}

/**
 * The summary between two commits. Only the specs that differ are loaded (a spec the same in both
 * has the same grants): loading is the costly part for large workflows.
 */
export async function summarizeCommits(repo: Repository, base: string | undefined, head: string, options: { checkGenerated?: boolean } = {}): Promise<ChangeSummary> {
  // One walk for every folder the summary reads: folders equal on both sides are not entered.
  const all = await differingFiles(repo, base, head, [...GENERATED_ROOTS, WORKFLOWS_DIR, KEYS_DIR]);
  const under = (m: ReadonlyMap<string, string>, roots: readonly string[]) => new Map([...m].filter(([p]) => roots.some((r) => p.startsWith(`${r}/`))));
  const files = { base: under(all.base, GENERATED_ROOTS), head: under(all.head, GENERATED_ROOTS) };
  const inputs = (m: ReadonlyMap<string, string>) => [...under(m, [WORKFLOWS_DIR])].filter(([p]) => p.split('/').length === 2 && isWorkflowFile(p)).map(([file, text]) => ({ file, text }));
  // The whole of keys/ when anything in it differs: which key is required depends on all of them.
  const keysChanged = [...all.base.keys(), ...all.head.keys()].some((p) => p.startsWith(`${KEYS_DIR}/`));
  const keys = keysChanged ? { base: await keyFilesAt(repo, base), head: await keyFilesAt(repo, head) } : undefined;
  const summary = summarize(
    { ...sideOf(inputs(all.base), files.base), ...(keys ? { keys: keys.base } : {}) },
    { ...sideOf(inputs(all.head), files.head), ...(keys ? { keys: keys.head } : {}) },
  );
  if (!options.checkGenerated) return summary;
  return { ...summary, generated: await checkGenerated(repo, head, files, keys?.head) };
}

/** `keys/` (its `*.pem` files and `active`) of a commit or tree, by file name. */
export async function keyFilesAt(repo: Repository, commitOrTree: string | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [name, e] of await folderAt(repo, commitOrTree, KEYS_DIR, isKeyFile)) {
    // A link's blob is its target's path: not a key, and the key check says so.
    out.set(name, e.mode === '120000' ? `(a symbolic link to ${await readText(repo, e.oid)})` : await readText(repo, e.oid));
  }
  return out;
}

/**
 * Are the generated files this change touches what the head's specs and keys generate (with
 * this version of Custody)? `custody generate --check` on the head, limited to those files, so
 * a hand edit of a bundle or manifest cannot hide behind a summary read from the specs.
 */
export async function checkGenerated(
  repo: Repository, head: string, files: { base: ReadonlyMap<string, string>; head: ReadonlyMap<string, string> }, headKeys?: ReadonlyMap<string, string>,
): Promise<GeneratedCheck> {
  const touched = [...new Set([...files.base.keys(), ...files.head.keys()])].sort();
  if (touched.length === 0) return { checked: true, files: [] };
  const loaded = loadWorkflows(await workflowInputsAt(repo, head));
  const invalid = [...new Set(loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file))];
  if (invalid.length) return { checked: false, reason: `the specs have errors (${invalid.join(', ')})`, files: [] };
  let keys: KeySet;
  try {
    keys = parseKeyFiles(headKeys ?? (await keyFilesAt(repo, head)));
  } catch (err) {
    if (!(err instanceof KeysError)) throw err;
    return { checked: false, reason: err.message, files: [] };
  }
  const rendered = new Map<string, string>();
  for (const tree of desiredTrees(loaded.workflows, keys)) for (const [p, content] of tree.files) rendered.set(`${tree.root}/${p}`, content);
  const out: { path: string; problem: 'differs' | 'not-generated' | 'missing' }[] = [];
  for (const p of touched) {
    const have = files.head.get(p);
    const want = rendered.get(p);
    if (have !== undefined && want === undefined) out.push({ path: p, problem: 'not-generated' });
    else if (have !== undefined && have !== want) out.push({ path: p, problem: 'differs' });
    else if (have === undefined && want !== undefined) out.push({ path: p, problem: 'missing' });
  }
  return { checked: true, files: out };
}
