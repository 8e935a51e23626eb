/**
 * `custody commit` as a function: write the regenerated trees to the working tree as `custody
 * generate` does, then commit exactly what changed under them (and the inputs they were rendered
 * from), with the access-change summary in the message.
 */
import path from 'node:path';
import { recoverTrees, staleEntries, writeTrees, type Tree } from '../generate/index.js';
import type { InputFile, Workflow } from '../workflow/index.js';
import { GENERATED_ROOTS, isKeyInput, isWorkflowFile, KEYS_DIR, WORKFLOWS_DIR } from '../contract/index.js';
import {
  GitopsError,
  keyFilesAt,
  planCommit,
  readText,
  resolvePeople,
  writeCommit,
  type AuthorOptions,
  type CommitPlan,
  type CommitResult,
  type FileChange,
  type InputFolder,
  type Repository,
} from '../git/index.js';
import { headline, render, summarize, type ChangeSummary } from '../summary/index.js';
import { sideOf } from './revision-summary.js';

export interface RegenerateOptions {
  readonly repo: Repository;
  /** The desired trees (`desiredTrees`). */
  readonly trees: readonly Tree[];
  /** Input folders to commit with them (`readInputFolders`); none: only the trees are committed. */
  readonly inputs?: readonly InputFolder[];
  /**
   * Commit the trees alone: `inputs` must then equal HEAD's (else `inputs-uncommitted`, nothing
   * written), so the commit's trees are what its own specs and keys generate.
   */
  readonly treesOnly?: boolean;
  /** The checked workflows of `inputs` (the caller checked them already): spares loading them again for the summary. */
  readonly workflows?: readonly Workflow[];
  /** The message's own text, before the summary; default: a headline made from the summary. */
  readonly message?: string;
  readonly author?: AuthorOptions;
  /**
   * Write the trees to the working tree first, as `custody generate` does; default true. False
   * when they are there already (after `custody generate`): only the commit is made.
   */
  readonly write?: boolean;
}

export interface RegenerateResult {
  /** Undefined when nothing changed: no commit. */
  readonly commit?: CommitResult;
  readonly summary: ChangeSummary;
  readonly changes: readonly FileChange[];
  /** Folders rewritten in the working tree. */
  readonly written: readonly string[];
  readonly message?: string;
}

export async function commitRegenerated(options: RegenerateOptions): Promise<RegenerateResult> {
  const { repo } = options;
  // Planned before anything is written: the plan reads the desired trees and HEAD, not the working tree.
  const plan = await planCommit({ repo, trees: options.trees, ...(options.inputs ? { inputs: options.inputs } : {}) });
  if (options.treesOnly) {
    const inputs = plan.changes.filter((c) => !options.trees.some((t) => c.path.startsWith(`${t.root}/`)));
    if (inputs.length) {
      throw new GitopsError(
        'inputs-uncommitted',
        `the trees would be generated from ${inputs.map((c) => c.path).join(', ')} as in the working tree, which differ${inputs.length === 1 ? 's' : ''} from HEAD: a commit of the trees alone would not match its own specs and keys (custody generate --check would fail on it)`,
        'commit them first (git commit), or drop --trees-only to commit them with the trees',
      );
    }
  }
  const written: string[] = [];
  if (options.write !== false) {
    // As `custody generate`: what an interrupted run left is undone first, then the stale trees
    // are replaced in one swap, so that they never end at different revisions.
    let stale: Tree[] = [...options.trees];
    try {
      await recoverTrees(repo.dir);
      stale = [];
      for (const tree of options.trees) if ((await staleEntries(repo.dir, tree)).length) stale.push(tree);
      await writeTrees(repo.dir, stale);
      written.push(...stale.map((t) => t.root));
    } catch (err) {
      throw new GitopsError(
        'write-failed',
        `cannot write ${stale.map((t) => `${t.root}/`).join(', ')}: ${(err as Error).message}; the previous tree${stale.length === 1 ? ' is' : 's are'} unchanged and nothing was committed`,
        "check the folder's permissions and free space, then run the command again",
      );
    }
  }
  if (plan.changes.length === 0) return { summary: summarize({ workflows: [], files: new Map() }, { workflows: [], files: new Map() }), changes: [], written };
  const people = await resolvePeople(repo, options.author);
  // The summary is worked out while the objects are written.
  const summary = summarizePlan(plan, options.workflows);
  const message = summary.then((s) => `${options.message?.trim() || headline(s)}\n\n${render(s, 'text')}`);
  // Settled either way, so a failed write is the error reported, not an unhandled rejection.
  message.catch(() => undefined);
  const commit = await writeCommit(plan, { message, ...people, rewritten: written });
  return { ...(commit ? { commit } : {}), summary: await summary, changes: plan.changes, written, message: await message };
}

/**
 * The summary of a planned commit: HEAD against HEAD with the changes. Only changed files are
 * read, and only the specs the commit changes are loaded (the others are the same on both
 * sides); `headWorkflows`, the checked specs of the working tree, spares loading them again.
 */
export async function summarizePlan(plan: CommitPlan, headWorkflows?: readonly Workflow[]): Promise<ChangeSummary> {
  const { repo } = plan;
  const generated = (p: string) => GENERATED_ROOTS.some((r) => p.startsWith(`${r}/`));
  const spec = (p: string) => p.startsWith(`${WORKFLOWS_DIR}/`) && isWorkflowFile(p) && p.split('/').length === 2;
  const base = new Map<string, string>();
  const head = new Map<string, string>();
  const baseInputs: InputFile[] = [];
  const headInputs: InputFile[] = [];
  for (const c of plan.changes) {
    if (generated(c.path)) {
      if (c.previous) base.set(c.path, await readText(repo, c.previous));
      if (c.content !== undefined) head.set(c.path, c.content.toString());
    } else if (spec(c.path)) {
      if (c.previous) baseInputs.push({ file: c.path, text: await readText(repo, c.previous) });
      if (c.content !== undefined) headInputs.push({ file: c.path, text: c.content.toString() });
    }
  }
  const changed = new Set(headInputs.map((i) => path.posix.basename(i.file)));
  const headSide = headWorkflows ? { workflows: headWorkflows.filter((w) => changed.has(path.posix.basename(w.file))), files: head } : sideOf(headInputs, head);
  const keys = await plannedKeys(plan);
  return summarize({ ...sideOf(baseInputs, base), ...(keys ? { keys: keys.base } : {}) }, { ...headSide, ...(keys ? { keys: keys.head } : {}) });
}

/** `keys/` in HEAD and in the planned commit, when the plan changes it. */
async function plannedKeys(plan: CommitPlan): Promise<{ base: Map<string, string>; head: Map<string, string> } | undefined> {
  const changes = plan.changes.filter((c) => c.path.startsWith(`${KEYS_DIR}/`) && isKeyInput(c.path.slice(KEYS_DIR.length + 1)));
  if (changes.length === 0) return undefined;
  const base = await keyFilesAt(plan.repo, plan.parentTree);
  const head = new Map(base);
  for (const c of changes) {
    const name = c.path.slice(KEYS_DIR.length + 1);
    if (c.content === undefined) head.delete(name);
    else head.set(name, c.content.toString());
  }
  return { base, head };
}
