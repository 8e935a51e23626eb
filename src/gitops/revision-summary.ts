/**
 * The access-change summary between two revisions of a repository: the files that differ read
 * from Git (git/), the specs that differ checked (workflow/), the two sides compared (summary/),
 * and the changed generated files checked against what the head's specs generate.
 */
import { loadWorkflows, type InputFile } from '../workflow/index.js';
import { GENERATED_ROOTS, isWorkflowFile, KEYS_DIR, WORKFLOWS_DIR } from '../contract/index.js';
import { differingFiles, keyFilesAt, resolveRevision, type Repository } from '../git/index.js';
import { summarize, type ChangeSummary, type DiffSide, type RevisionLabel } from '../summary/index.js';
import { checkGenerated } from './generated-check.js';

/** A side of the summary: the specs checked (files with errors set aside) and the given files. */
export function sideOf(inputs: readonly InputFile[], files: ReadonlyMap<string, string>): DiffSide {
  const loaded = loadWorkflows(inputs);
  const invalid = [...new Set(loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file))].sort();
  return { workflows: loaded.workflows, invalid, files };
}

export interface RevisionSummary {
  readonly summary: ChangeSummary;
  readonly base: RevisionLabel;
  readonly head: RevisionLabel;
}

export interface SummaryOptions {
  /** Check that the changed generated files are what the head's specs generate. */
  readonly checkGenerated?: boolean;
  /** The clone's origin, as `generate` used it for clusters whose spec names no repository (read by the caller). */
  readonly repository?: string;
}

/**
 * The summary between two revisions of the repository (what `custody diff` prints), with the
 * check that the changed generated files are what the head's specs generate (unless told not to).
 */
export async function summarizeRevisions(repo: Repository, baseRevision: string, headRevision: string, options: SummaryOptions = {}): Promise<RevisionSummary> {
  const base = await resolveRevision(repo, baseRevision);
  const head = await resolveRevision(repo, headRevision);
  return {
    summary: await summarizeCommits(repo, base, head, { ...options, checkGenerated: options.checkGenerated ?? true }),
    base: { name: baseRevision, commit: base },
    head: { name: headRevision, commit: head },
  };
}

/**
 * The summary between two commits. Only the specs that differ are loaded (a spec the same in both
 * has the same grants): loading is the costly part for large workflows.
 */
export async function summarizeCommits(repo: Repository, base: string | undefined, head: string, options: SummaryOptions = {}): Promise<ChangeSummary> {
  // One walk for every folder the summary reads: folders equal on both sides are not entered.
  const all = await differingFiles(repo, base, head, [...GENERATED_ROOTS, WORKFLOWS_DIR, KEYS_DIR]);
  const under = (m: ReadonlyMap<string, string>, roots: readonly string[]) => new Map([...m].filter(([p]) => roots.some((r) => p.startsWith(`${r}/`))));
  const files = { base: under(all.base, GENERATED_ROOTS), head: under(all.head, GENERATED_ROOTS) };
  const inputs = (m: ReadonlyMap<string, string>) =>
    [...under(m, [WORKFLOWS_DIR])].filter(([p]) => p.split('/').length === 2 && isWorkflowFile(p)).map(([file, text]) => ({ file, text }));
  // The whole of keys/ when anything in it differs: which key is required depends on all of them.
  const keysChanged = [...all.base.keys(), ...all.head.keys()].some((p) => p.startsWith(`${KEYS_DIR}/`));
  const keys = keysChanged ? { base: await keyFilesAt(repo, base), head: await keyFilesAt(repo, head) } : undefined;
  const summary = summarize(
    { ...sideOf(inputs(all.base), files.base), ...(keys ? { keys: keys.base } : {}) },
    { ...sideOf(inputs(all.head), files.head), ...(keys ? { keys: keys.head } : {}) },
  );
  if (!options.checkGenerated) return summary;
  return { ...summary, generated: await checkGenerated(repo, head, files, keys?.head, options.repository) };
}
