/**
 * `custody pr` as a function: regenerate and commit on a branch of its own, push it, and open
 * or update the pull request whose description carries the access-change summary (and the one
 * summary comment). Each step keeps what the previous ones did: a refused push or API call
 * leaves the commit on the local branch, and running again picks up from there.
 */
import type { HttpClient } from 'isomorphic-git';
import type { Octokit } from '@octokit/rest';
import { WORKFLOWS_DIR } from '../contract/index.js';
import type { Tree } from '../generate/index.js';
import { loadWorkflows, type Workflow } from '../workflow/index.js';
import {
  assertSecureTransport,
  baseCommit,
  currentBranch,
  GitopsError,
  headCommit,
  mergeBaseOf,
  pushBranch,
  resolveRemote,
  switchBack,
  switchTo,
  workflowInputsAt,
  type AuthorOptions,
  type InputFolder,
  type PushResult,
  type Repository,
  type Token,
} from '../git/index.js';
import {
  gitHubClient,
  repositoryFromUrl,
  upsertPullRequest,
  upsertSummaryComment,
  type CommentResult,
  type PullRequestResult,
  type RepositoryName,
} from '../github/index.js';
import { commitRegenerated, type RegenerateResult } from './regenerate.js';
import { summarizeCommits } from './revision-summary.js';
import { headline, render, type ChangeSummary, type RevisionLabel } from '../summary/index.js';

export interface ProposeOptions {
  readonly repo: Repository;
  readonly trees: readonly Tree[];
  /** The clone's origin the trees were rendered with (`desiredTrees`), for the summary's check of them. */
  readonly treeRepository?: string;
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
    if (options.branch === base)
      throw new GitopsError('invalid-option', `the head branch and the base branch are both ${base}`, 'name another head branch with --branch');
    branch = await defaultBranchName(repo, options.inputs);
  }
  const start = await headCommit(repo);
  if (branch !== current) branchCreated = await switchTo(repo, branch);
  let regenerated: RegenerateResult;
  try {
    regenerated = await commitRegenerated({
      repo,
      trees: options.trees,
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
  const mergeBase = await mergeBaseOf(repo, head, baseRef.oid);
  if (!mergeBase) {
    throw new GitopsError(
      'invalid-option',
      `${branch} and ${baseRef.name} share no history: GitHub cannot open a pull request between them`,
      'branch off the base branch (git switch -c NAME origin/main), or name the right base with --base',
    );
  }
  if (mergeBase === head) {
    // Nothing was committed on a branch made for this run: HEAD goes back, the branch goes away.
    if (branchCreated && !regenerated.commit) await switchBack(repo, branch, current, head);
    throw new GitopsError(
      'nothing-to-propose',
      `${branch} has no commit that ${baseRef.name} lacks: there is no change to propose`,
      'edit a workflow spec under workflows/ and run the command again',
    );
  }
  const push = await pushBranch({
    repo,
    remote: remote.name ?? remote.url,
    branch,
    ...(options.token ? { token: options.token } : {}),
    ...(options.http ? { http: options.http } : {}),
  });
  const summary = await summarizeCommits(repo, mergeBase, head, {
    checkGenerated: true,
    ...(options.treeRepository ? { repository: options.treeRepository } : {}),
  });
  const labels = { base: { name: baseRef.name, commit: mergeBase }, head: { name: branch, commit: head } };
  const markdown = render(summary, 'markdown', labels);
  const octokit =
    options.octokit ?? gitHubClient({ ...(options.token ? { token: options.token } : {}), ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) });
  const pullRequest = await upsertPullRequest(octokit, {
    ...repository,
    base,
    head: branch,
    title: options.title ?? headline(summary),
    summaryMarkdown: markdown,
  });
  const comment = await upsertSummaryComment(octokit, { ...repository, number: pullRequest.number }, markdown);
  return { branch, branchCreated, regenerated, push, summary, ...labels, pullRequest, comment };
}
