/**
 * The commands that read Git's HEAD (serve, status, verify, demo) say at once what the working
 * tree holds that HEAD does not: the bundle server serves commits only.
 */
import { CustodyError } from '../core/errors.js';
import { openRepository, type Repository } from '../git/index.js';
import { COMMIT_HINT, describeHead, requireCommitted, specPathOf, uncommittedChanges, type Uncommitted, type UncommittedItem } from '../gitops/index.js';
import type { Workflow } from '../workflow/index.js';
import { printError } from './errors.js';
import type { Io } from './io.js';

/** The repository the command runs in; undefined outside one (nothing to compare). */
export function repositoryAt(cwd: string): Repository | undefined {
  try {
    return openRepository(cwd);
  } catch (err) {
    if (err instanceof CustodyError && (err.code === 'not-a-repository' || err.code === 'unsupported-worktree')) return undefined;
    throw err;
  }
}

/** One warning line per uncommitted item, as every problem is printed. */
export function warnUncommitted(io: Io, command: string, u: Uncommitted, items: readonly UncommittedItem[] = u.items): void {
  for (const item of items) {
    printError(
      io.stderr,
      command,
      new CustodyError('uncommitted-changes', 'usage', `${item.words}: the bundle server serves only what is committed (${describeHead(u)})`, {
        hint: COMMIT_HINT,
      }),
      'warning',
    );
  }
}

/** serve and status: the differences, said and returned; the command goes on. */
export async function noteUncommitted(
  io: Io,
  command: string,
  repo: Repository | undefined,
  workflows: readonly Workflow[] = [],
): Promise<Uncommitted | undefined> {
  if (!repo) return undefined;
  const u = await uncommittedChanges(repo, namesOf(repo, io, workflows));
  warnUncommitted(io, command, u);
  return u;
}

/** verify and demo: refuses (exit 2) when the checked workflows' specs or bundles are not committed; warns about the rest. */
export async function requireCommittedWorkflows(
  io: Io,
  command: string,
  repo: Repository | undefined,
  checked: readonly Workflow[],
  workflows: readonly Workflow[],
): Promise<void> {
  if (!repo) return;
  const u = await uncommittedChanges(repo, namesOf(repo, io, checked));
  const rest = requireCommitted(
    u,
    command,
    workflows.map((w) => ({ name: w.name, specPath: specPathOf(repo, io.cwd, w.file) })),
  );
  warnUncommitted(io, command, u, rest);
}

function namesOf(repo: Repository, io: Io, workflows: readonly Workflow[]): Map<string, string> {
  return new Map(workflows.map((w) => [specPathOf(repo, io.cwd, w.file), w.name]));
}
