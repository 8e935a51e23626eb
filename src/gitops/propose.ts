/**
 * `custody pr` as a function: regenerate and commit on a branch of its own, push it, and open
 * or update the pull request whose description carries the access-change summary (and the one
 * summary comment). Each step keeps what the previous ones did: a refused push or API call
 * leaves the commit on the local branch, and running again picks up from there.
 */
import git, { type HttpClient } from 'isomorphic-git';
import type { Octokit } from '@octokit/rest';
import type { Tree } from '../generate/index.js';
import { loadWorkflows, type Workflow } from '../workflow/index.js';
import type { AuthorOptions } from './author.js';
import type { InputFolder } from './desired.js';
import { GitopsError } from './errors.js';
import { gitHubClient, repositoryFromUrl, upsertPullRequest, upsertSummaryComment, type CommentResult, type PullRequestResult, type RepositoryName } from './github.js';
import { assertSecureTransport, pushBranch, resolveRemote, type PushResult, type Token } from './push.js';
import { commitRegenerated, type RegenerateResult } from './regenerate.js';
import { headline, render, type RevisionLabel } from './render.js';
import { currentBranch, gitArgs, headCommit, isNotFound, type Repository } from './repository.js';
import { WORKFLOWS_DIR } from '../contract/index.js';
import { summarizeCommits, workflowInputsAt } from './revision.js';
import type { ChangeSummary } from './diff.js';

export interface ProposeOptions {
  readonly repo: Repository;
  readonly trees: readonly Tree[];
  readonly inputs?: readonly InputFolder[];
  /** The checked workflows of `inputs`, if the caller has them. */
  readonly workflows?: readonly Workflow[];
  readonly author?: AuthorOptions;
  readonly message?: string;
  /** The branch the pull request goes into; default `main`. */
  readonly base?: string;
  /** The head branch; default HEAD's branch, or a new `custody/<workflow>` when HEAD is on the base. */
  readonly branch?: string;
  /** Remote name or http(s) URL; default `origin`. */
  readonly remote?: string;
  readonly token?: Token;
  /** `owner/name`; default from the remote's URL. */
  readonly repository?: RepositoryName;
  readonly apiUrl?: string;
  /** The title of a new pull request; default a headline of the summary. */
  readonly title?: string;
  readonly http?: HttpClient;
  readonly octokit?: Octokit;
}

export interface ProposeResult {
  readonly branch: string;
  /** The branch was created (HEAD was on the base branch or detached). */
  readonly branchCreated: boolean;
  readonly regenerated: RegenerateResult;
  readonly push: PushResult;
  readonly summary: ChangeSummary;
  readonly base: RevisionLabel;
  readonly head: RevisionLabel;
  readonly pullRequest: PullRequestResult;
  readonly comment: CommentResult;
}

const BRANCH_PREFIX = 'custody/';

/** `custody/<workflow>` when the working tree changes one workflow's spec, else `custody/policy-update`. */
export async function defaultBranchName(repo: Repository, inputs: readonly InputFolder[] | undefined): Promise<string> {
  const folder = inputs?.find((i) => i.root === WORKFLOWS_DIR);
  const committed = new Map((await workflowInputsAt(repo, await headCommit(repo))).map((f) => [f.file, f.text]));
  const changed = [...(folder?.files ?? [])]
    .map(([name, bytes]) => ({ file: `${WORKFLOWS_DIR}/${name}`, text: bytes.toString('utf8') }))
    .filter((f) => committed.get(f.file) !== f.text);
  const names = [...new Set(loadWorkflows(changed).workflows.map((w) => w.name))];
  return `${BRANCH_PREFIX}${names.length === 1 ? names[0] : 'policy-update'}`;
}

async function localBranch(repo: Repository, name: string): Promise<string | undefined> {
  try {
    return await git.resolveRef({ ...gitArgs(repo), ref: `refs/heads/${name}` });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Puts HEAD on `name`: created at HEAD if new; an existing branch must point at HEAD already. */
async function switchTo(repo: Repository, name: string): Promise<boolean> {
  const head = await headCommit(repo);
  if (!head) throw new GitopsError('no-branch', 'the repository has no commit yet: there is nothing to branch from', 'commit the specs on the base branch first');
  const existing = await localBranch(repo, name);
  if (existing && existing !== head) {
    throw new GitopsError('branch-exists', `branch ${name} exists and points elsewhere (${existing.slice(0, 12)})`, `switch to it (git switch ${name}) and run the command again, or name another branch with --branch`);
  }
  if (!existing) {
    try {
      await git.branch({ ...gitArgs(repo), ref: name, object: head, checkout: false });
    } catch (err) {
      if ((err as { code?: string }).code === 'InvalidRefNameError') throw new GitopsError('invalid-option', `"${name}" is not a valid branch name`, 'use letters, digits, "-", "_", "." and "/"');
      throw err;
    }
  }
  // The working tree and the index already are HEAD's: only HEAD moves, as `git switch` would.
  await git.writeRef({ ...gitArgs(repo), ref: 'HEAD', value: `refs/heads/${name}`, symbolic: true, force: true });
  return !existing;
}

/** Undoes `switchTo` for a branch it created: HEAD back on `previous` (or detached at `head`), the branch deleted. */
async function switchBack(repo: Repository, created: string, previous: string | undefined, head: string): Promise<void> {
  if (previous) await git.writeRef({ ...gitArgs(repo), ref: 'HEAD', value: `refs/heads/${previous}`, symbolic: true, force: true });
  else await git.writeRef({ ...gitArgs(repo), ref: 'HEAD', value: head, force: true });
  await git.deleteBranch({ ...gitArgs(repo), ref: created });
}

async function baseCommit(repo: Repository, remoteName: string | undefined, base: string): Promise<{ oid: string; name: string }> {
  for (const ref of [...(remoteName ? [`refs/remotes/${remoteName}/${base}`] : []), `refs/heads/${base}`]) {
    try {
      return { oid: await git.resolveRef({ ...gitArgs(repo), ref }), name: ref.replace(/^refs\/(remotes|heads)\//, '') };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  throw new GitopsError('unknown-revision', `the base branch ${base} is not in this clone${remoteName ? ` (neither ${remoteName}/${base} nor ${base})` : ''}`, `fetch it (git fetch ${remoteName ?? 'origin'} ${base}), or name the base with --base`);
}

export async function proposeChange(options: ProposeOptions): Promise<ProposeResult> {
  const { repo } = options;
  const base = options.base ?? 'main';
  const remote = await resolveRemote(repo, options.remote);
  // Before anything is committed: a token that would cross the network in clear text stops here.
  assertSecureTransport(remote.url, options.token, 'the remote');
  if (!options.octokit) assertSecureTransport(options.apiUrl ?? 'https://api.github.com', options.token, 'the API root');
  const repository = options.repository ?? repositoryFromUrl(remote.url);
  if (!repository) throw new GitopsError('invalid-option', `cannot tell the GitHub repository from ${remote.url}`, 'pass --repo OWNER/NAME');
  const current = await currentBranch(repo);
  let branch = options.branch ?? current;
  let branchCreated = false;
  if (!branch || branch === base) {
    if (options.branch === base) throw new GitopsError('invalid-option', `the head branch and the base branch are both ${base}`, 'name another head branch with --branch');
    branch = await defaultBranchName(repo, options.inputs);
  }
  const start = await headCommit(repo);
  if (branch !== current) branchCreated = await switchTo(repo, branch);
  let regenerated: RegenerateResult;
  try {
    regenerated = await commitRegenerated({
      repo, trees: options.trees,
      ...(options.inputs ? { inputs: options.inputs } : {}),
      ...(options.workflows ? { workflows: options.workflows } : {}),
      ...(options.author ? { author: options.author } : {}),
      ...(options.message ? { message: options.message } : {}),
    });
  } catch (err) {
    // No commit on the branch made for this run (no author, a locked index...): HEAD goes back.
    if (branchCreated && start && (await headCommit(repo)) === start) await switchBack(repo, branch, current, start);
    throw err;
  }
  const head = (await headCommit(repo))!;
  const baseRef = await baseCommit(repo, remote.name, base);
  const [mergeBase] = (await git.findMergeBase({ ...gitArgs(repo), oids: [head, baseRef.oid] })) as (string | undefined)[];
  if (!mergeBase) {
    throw new GitopsError('invalid-option', `${branch} and ${baseRef.name} share no history: GitHub cannot open a pull request between them`, 'branch off the base branch (git switch -c NAME origin/main), or name the right base with --base');
  }
  if (mergeBase === head) {
    // Nothing was committed on a branch made for this run: HEAD goes back, the branch goes away.
    if (branchCreated && !regenerated.commit) await switchBack(repo, branch, current, head);
    throw new GitopsError('nothing-to-propose', `${branch} has no commit that ${baseRef.name} lacks: there is no change to propose`, 'edit a workflow spec under workflows/ and run the command again');
  }
  const push = await pushBranch({ repo, remote: remote.name ?? remote.url, branch, ...(options.token ? { token: options.token } : {}), ...(options.http ? { http: options.http } : {}) });
  const summary = await summarizeCommits(repo, mergeBase, head, { checkGenerated: true });
  const labels = { base: { name: baseRef.name, commit: mergeBase }, head: { name: branch, commit: head } };
  const markdown = render(summary, 'markdown', labels);
  const octokit = options.octokit ?? gitHubClient({ ...(options.token ? { token: options.token } : {}), ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) });
  const pullRequest = await upsertPullRequest(octokit, { ...repository, base, head: branch, title: options.title ?? headline(summary), summaryMarkdown: markdown });
  const comment = await upsertSummaryComment(octokit, { ...repository, number: pullRequest.number }, markdown);
  return { branch, branchCreated, regenerated, push, summary, ...labels, pullRequest, comment };
}
