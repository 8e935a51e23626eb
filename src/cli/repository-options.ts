/** What the Git and pull-request commands share: the repository, the regenerated trees, authors, messages. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KEYS_DIR, WORKFLOWS_DIR } from '../contract/index.js';
import { desiredTrees, type Tree } from '../generate/index.js';
import { KeysError } from '../keys/index.js';
import { openRepository, readInputFolders, type InputFolder, type Repository } from '../git/index.js';
import { parseRepositoryName, type RepositoryName } from '../github/index.js';
import { type RegenerateResult } from '../gitops/index.js';
import type { Workflow } from '../workflow/index.js';
import { asCustodyError, OperationalError, printDiagnostics, printError, UsageError } from './errors.js';
import { displayPath, EXIT, type Io } from './io.js';
import { readDeployment } from './deployment.js';
import { checkInputs, plural } from './workflows.js';

export function repository(io: Io): Repository {
  return openRepository(io.cwd);
}

/** The specs and keys of the working tree, checked as `generate` checks them, and the trees they give. */
export async function regeneration(
  io: Io,
  repo: Repository,
  command: string,
): Promise<{ trees: Tree[]; inputs: InputFolder[]; workflows: readonly Workflow[]; repository?: string } | number> {
  const inputs = await readInputFolders(repo.dir);
  const specs = inputs.find((i) => i.root === WORKFLOWS_DIR)!;
  if (specs.files.size === 0) throw new UsageError(`no workflow files (*.yaml) in ${path.join(repo.dir, WORKFLOWS_DIR)}`);
  const keysDir = path.join(repo.dir, KEYS_DIR);
  // The reviewer's warnings as generate prints them: what is committed here is what gets deployed.
  const { facts, roots, jwks, keys } = await readDeployment(repo.dir, keysDir, io);
  const checked = checkInputs(
    [...specs.files].map(([n, bytes]) => ({ file: displayPath(path.join(repo.dir, WORKFLOWS_DIR, n), io.cwd), text: bytes.toString('utf8') })),
    roots,
    jwks,
    facts,
  );
  printDiagnostics(io.stderr, command, checked.diagnostics);
  if (checked.errors > 0) {
    io.stdout.write(`${plural(checked.errors, 'error')}: nothing written or committed\n`);
    return EXIT.invalid;
  }
  if (keys instanceof Error) {
    if (!(keys instanceof KeysError)) throw new OperationalError(`cannot read ${keysDir}: ${keys.message}`);
    printError(io.stderr, command, asCustodyError(keys)!);
    io.stdout.write('1 error: nothing written or committed\n');
    return EXIT.invalid;
  }
  const origin = facts.repository;
  return { trees: desiredTrees(checked.workflows, keys, origin), inputs, workflows: checked.workflows, ...(origin ? { repository: origin } : {}) };
}

export function authorOptions(values: { 'author-name'?: string; 'author-email'?: string }) {
  return { ...(values['author-name'] ? { name: values['author-name'] } : {}), ...(values['author-email'] ? { email: values['author-email'] } : {}) };
}

export function messageFrom(io: Io, file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(path.resolve(io.cwd, file), 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --message-file ${file}: ${(err as Error).message}`);
  }
}

export function describeCommit(r: RegenerateResult): string {
  if (!r.commit) return `nothing to commit: bundles/ and generated/ match HEAD\n`;
  const roots = new Map<string, number>();
  for (const c of r.changes) roots.set(`${c.path.split('/')[0]}/`, (roots.get(`${c.path.split('/')[0]}/`) ?? 0) + 1);
  const where = r.commit.branch ?? 'a detached HEAD';
  return `committed ${r.commit.commit.slice(0, 12)} on ${where}: ${plural(r.changes.length, 'file')} (${[...roots].map(([k, n]) => `${k} ${n}`).join(', ')})\n`;
}

export function repoName(text: string | undefined): RepositoryName | undefined {
  if (text === undefined) return undefined;
  const parsed = parseRepositoryName(text);
  if (!parsed) throw new UsageError(`--repo ${text} is not OWNER/NAME`);
  return parsed;
}
