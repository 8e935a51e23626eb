/**
 * What a command that reads Git's HEAD would not see: the specs, keys and generated trees of the
 * working tree that differ from HEAD. The bundle server serves commits, so a spec that `check`
 * and `generate` accept serves nothing until it is committed; `serve` and `status` say so at
 * once, and `verify` and `demo` refuse to run rather than report the gap as policy mismatches.
 */
import path from 'node:path';
import { BUNDLES_DIR, GENERATED_DIR, KEYS_DIR, WORKFLOWS_DIR } from '../contract/index.js';
import { currentBranch, GitopsError, headCommit, INPUTS, workingTreeChanges, type FileChange, type Repository, type WorkingFolder } from '../git/index.js';

/** The folders whose committed state the server and the sidecars depend on: the inputs `commit` commits, and the trees. */
const FOLDERS: readonly WorkingFolder[] = [...INPUTS, { root: BUNDLES_DIR }, { root: GENERATED_DIR }];

/** One thing that differs from HEAD: a spec or key file, or a generated folder (a workflow's bundles, a cluster's tree). */
export interface UncommittedItem {
  /** `workflows/x.yaml`, `keys/k.pem`, `bundles/<workflow>/`, `generated/<kind>/<cluster>/`. */
  readonly path: string;
  /** The workflow it belongs to, when known: a spec's declared name, a bundle folder's name. */
  readonly workflow?: string;
  /** What differs, in words: `bank-audit is in workflows/ but not committed`. */
  readonly words: string;
  readonly files: number;
}

export interface Uncommitted {
  /** The branch HEAD is on (undefined: detached). */
  readonly branch?: string;
  /** HEAD's commit (undefined: no commit yet). */
  readonly head?: string;
  readonly items: readonly UncommittedItem[];
}

/**
 * `names`: the workflow each spec file declares, by repository path (`workflows/x.yaml`), so a
 * new spec is named as the user knows it.
 */
export async function uncommittedChanges(repo: Repository, names: ReadonlyMap<string, string> = new Map()): Promise<Uncommitted> {
  const [changes, branch, head] = await Promise.all([workingTreeChanges(repo, FOLDERS), currentBranch(repo), headCommit(repo)]);
  const groups = new Map<string, FileChange[]>();
  for (const c of changes) {
    const key = groupOf(c.path);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const items = [...groups].map(([key, files]): UncommittedItem => {
    const workflow = key.startsWith(`${BUNDLES_DIR}/`) ? key.split('/')[1] : names.get(key);
    return { path: key, ...(workflow ? { workflow } : {}), words: wordsOf(key, files, workflow), files: files.length };
  });
  return { ...(branch ? { branch } : {}), ...(head ? { head } : {}), items };
}

/** An input file (a spec, a key, a peer root) stands alone; a generated file counts under its workflow's or cluster's folder. */
function groupOf(p: string): string {
  const parts = p.split('/');
  if (parts[0] === WORKFLOWS_DIR || parts[0] === KEYS_DIR) return p;
  const depth = parts[0] === BUNDLES_DIR ? 2 : 3;
  return parts.length > depth ? `${parts.slice(0, depth).join('/')}/` : p;
}

function wordsOf(key: string, files: readonly FileChange[], workflow: string | undefined): string {
  const all = (s: FileChange['status']) => files.every((f) => f.status === s);
  if (!key.endsWith('/')) {
    const folder = `${path.posix.dirname(key)}/`;
    const what = key.startsWith(`${WORKFLOWS_DIR}/`) && workflow ? `${workflow} (${key})` : key;
    if (all('added')) return `${what} is in ${folder} but not committed`;
    if (all('deleted')) return `${key} is deleted from ${folder} but still committed`;
    return `${what} has changes that are not committed`;
  }
  const count = `${files.length} file${files.length === 1 ? '' : 's'}`;
  if (all('added')) return `${key} is not committed (${count})`;
  if (all('deleted')) return `${key} is deleted but still committed (${count})`;
  return `${key} differs from HEAD (${count})`;
}

/** Where the commands stand: `main at 3f2a…`. */
export function describeHead(u: Uncommitted): string {
  const at = u.head ? u.head.slice(0, 12) : 'no commit yet';
  return u.branch ? `${u.branch} at ${at}` : `a detached HEAD at ${at}`;
}

export const COMMIT_HINT = 'run custody commit: it generates the trees and commits them with their specs';

/**
 * Refuses to go on when something the command relies on is not committed. `workflows`: the
 * workflows the command checks with their spec files (repository paths); only their specs and
 * bundles block, and the rest is returned for the caller to mention.
 */
export function requireCommitted(u: Uncommitted, command: string, workflows: readonly { name: string; specPath: string }[]): UncommittedItem[] {
  const names = new Set(workflows.map((w) => w.name));
  const specs = new Set(workflows.map((w) => w.specPath));
  const blocking = u.items.filter((i) => specs.has(i.path) || (i.path.startsWith(`${BUNDLES_DIR}/`) && i.workflow !== undefined && names.has(i.workflow)));
  if (blocking.length) {
    throw new GitopsError(
      'uncommitted-changes',
      `${blocking.map((i) => i.words).join('; ')}: ${command} asks sidecars fed by the bundle server, which serves only what is committed (${describeHead(u)}), so it would report the difference as policy mismatches`,
      `${COMMIT_HINT}; then run custody ${command} again`,
      { paths: blocking.map((i) => i.path) },
    );
  }
  return u.items.filter((i) => !blocking.includes(i));
}

/** A spec file's repository path from the path a loaded workflow carries (relative to where the command ran). */
export function specPathOf(repo: Repository, cwd: string, file: string): string {
  return path.relative(repo.dir, path.resolve(cwd, file)).split(path.sep).join('/');
}
