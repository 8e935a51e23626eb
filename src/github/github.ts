/**
 * Pull requests and the summary comment through GitHub's REST API (@octokit/rest), idempotent:
 * one open pull request per head branch and one summary comment per pull request, found again
 * and updated on every run. `baseUrl` reaches GitHub Enterprise Server (`https://HOST/api/v3`).
 */
import { Octokit } from '@octokit/rest';
import { GitopsError, TOKEN_VARIABLES, type Token } from '../git/index.js';
import { SUMMARY_END, SUMMARY_START } from '../summary/index.js';

/** The first line of the summary comment: how a later run finds it again. */
export const COMMENT_MARKER = '<!-- custody-summary -->';

export interface GitHubOptions {
  readonly token?: Token;
  /** API root; default `https://api.github.com`. GitHub Enterprise Server: `https://HOST/api/v3`. */
  readonly apiUrl?: string;
  readonly userAgent?: string;
  /** Where Octokit's warnings (deprecations) go; its request log is kept quiet. */
  readonly warn?: (message: string) => void;
}

export function gitHubClient(options: GitHubOptions = {}): Octokit {
  const noop = () => undefined;
  return new Octokit({
    ...(options.token ? { auth: options.token.value } : {}),
    baseUrl: (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: options.userAgent ?? 'custody',
    log: { debug: noop, info: noop, warn: options.warn ?? noop, error: noop },
  });
}

export interface RepositoryName {
  readonly owner: string;
  readonly repo: string;
}

export function parseRepositoryName(text: string): RepositoryName | undefined {
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\/([A-Za-z0-9._-]+)$/.exec(text.trim());
  return m ? { owner: m[1]!, repo: m[2]!.replace(/\.git$/, '') } : undefined;
}

/** `owner/name` from a remote URL such as `https://github.com/owner/name.git`. */
export function repositoryFromUrl(url: string): RepositoryName | undefined {
  try {
    const parts = new URL(url).pathname.replace(/^\/+|\/+$/g, '').split('/');
    return parts.length >= 2 ? parseRepositoryName(parts.slice(-2).join('/')) : undefined;
  } catch {
    return undefined;
  }
}

/** The API root for a remote: github.com's, or the GitHub Enterprise Server convention for other hosts. */
export function apiUrlFor(remoteUrl: string): string {
  const u = new URL(remoteUrl);
  return u.hostname === 'github.com' || u.hostname === 'www.github.com' ? 'https://api.github.com' : `${u.protocol}//${u.host}/api/v3`;
}

/**
 * The summary as it goes between the markers: it must never hold a marker (or any HTML comment
 * opener), or the next update would stop at it. `render` escapes every `<` taken from a spec, so
 * this only matters for a summary built some other way; there, a `<!--` becomes `&lt;!--`, which
 * Markdown shows as written.
 */
export function neutralizeMarkers(markdown: string): string {
  return markdown.split('<!--').join('&lt;!--');
}

/**
 * A pull request body with the summary section put in, or replaced: text outside the markers is
 * the author's and stays. The section runs from the first start marker to the last end marker
 * after it, so a body that gathered several sections (from a summary that carried a marker of
 * its own, before it was escaped) comes back to one.
 */
export function withSummary(body: string | null | undefined, summaryMarkdown: string): string {
  const section = `${SUMMARY_START}\n${neutralizeMarkers(summaryMarkdown.trim())}\n${SUMMARY_END}`;
  const text = body ?? '';
  const start = text.indexOf(SUMMARY_START);
  const end = start >= 0 ? text.lastIndexOf(SUMMARY_END) : -1;
  if (start >= 0 && end > start) return `${text.slice(0, start)}${section}${text.slice(end + SUMMARY_END.length)}`;
  return text.trim() ? `${text.trimEnd()}\n\n${section}\n` : `${section}\n`;
}

export interface PullRequestSpec extends RepositoryName {
  readonly base: string;
  /** The head branch (in the same repository). */
  readonly head: string;
  /** Used when the pull request is created; an existing one keeps its title. */
  readonly title: string;
  readonly summaryMarkdown: string;
}

export interface PullRequestResult {
  readonly number: number;
  readonly url: string;
  readonly created: boolean;
}

interface HttpFailure {
  status?: number;
  message?: string;
  response?: { data?: unknown; headers?: Record<string, string | undefined> };
}

function alreadyExists(err: HttpFailure): boolean {
  const data = err.response?.data as { message?: string; errors?: { message?: string }[] } | undefined;
  return (
    err.status === 422 && [data?.message, ...(data?.errors ?? []).map((e) => e.message), err.message].some((m) => /pull request already exists/i.test(m ?? ''))
  );
}

/**
 * Opens the pull request, or updates the open one for the same head branch: creating it answers
 * 422 "A pull request already exists for owner:branch", then the open one is found and its
 * summary section replaced. Running twice gives one pull request with the latest summary.
 */
export async function upsertPullRequest(octokit: Octokit, spec: PullRequestSpec): Promise<PullRequestResult> {
  const { owner, repo } = spec;
  const where = `${owner}/${repo}`;
  try {
    const { data } = await octokit.rest.pulls.create({
      owner,
      repo,
      base: spec.base,
      head: spec.head,
      title: spec.title,
      body: withSummary('', spec.summaryMarkdown),
    });
    return { number: data.number, url: data.html_url, created: true };
  } catch (err) {
    if (!alreadyExists(err as HttpFailure)) throw gitHubError(err, `opening a pull request from ${spec.head} into ${spec.base} in ${where}`);
  }
  try {
    const { data: open } = await octokit.rest.pulls.list({ owner, repo, state: 'open', head: `${owner}:${spec.head}`, base: spec.base, per_page: 10 });
    const pull = open[0];
    if (!pull) {
      throw new GitopsError(
        'github-rejected',
        `GitHub says a pull request from ${spec.head} into ${spec.base} exists in ${where}, but lists none open`,
        'it may be closed or in another repository (a fork): reopen it, or push to another branch with --branch',
      );
    }
    await octokit.rest.pulls.update({ owner, repo, pull_number: pull.number, body: withSummary(pull.body, spec.summaryMarkdown) });
    return { number: pull.number, url: pull.html_url, created: false };
  } catch (err) {
    throw gitHubError(err, `updating the pull request from ${spec.head} in ${where}`);
  }
}

export interface CommentResult {
  readonly id: number;
  readonly url: string;
  readonly created: boolean;
}

/** A comment's author as the API gives it. */
export interface CommentAuthor {
  readonly login: string;
  readonly id: number;
  readonly type: string;
}

/** The account GitHub Actions' GITHUB_TOKEN writes as. */
export const ACTIONS_BOT = 'github-actions[bot]';

/**
 * Who may have written Custody's summary comment: the account the token belongs to, so that a
 * comment someone else wrote with the marker is never taken for Custody's (and updated, or left
 * saying "no change"). A person's token (or a classic one) names its account through GET /user (matched by id, which a rename keeps).
 * GITHUB_TOKEN and an app's installation token cannot call it (403 "Resource not accessible by
 * integration"); then, inside GitHub Actions (GITHUB_ACTIONS=true), the author must be
 * `github-actions[bot]`, and elsewhere any bot account (`type: Bot`, which only a GitHub App or
 * GitHub itself can be). A person can never pass for either.
 */
export async function summaryAuthor(octokit: Octokit, env: NodeJS.ProcessEnv = process.env): Promise<(author: CommentAuthor | null | undefined) => boolean> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    return (a) => !!a && a.id === data.id;
  } catch (err) {
    const e = err as HttpFailure;
    if (e.status !== 403 || e.response?.headers?.['x-ratelimit-remaining'] === '0') throw err;
  }
  if (env.GITHUB_ACTIONS === 'true') return (a) => !!a && a.type === 'Bot' && a.login === ACTIONS_BOT;
  return (a) => !!a && a.type === 'Bot';
}

/**
 * The one summary comment of a pull request (or issue), created or updated in place. Only a
 * comment that starts with the marker and was written by the token's own account (see
 * `summaryAuthor`) is Custody's; one by anyone else is left alone, and a new one created.
 */
export async function upsertSummaryComment(
  octokit: Octokit,
  target: RepositoryName & { readonly number: number },
  summaryMarkdown: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CommentResult> {
  const { owner, repo, number } = target;
  const body = `${COMMENT_MARKER}\n${neutralizeMarkers(summaryMarkdown.trim())}\n`;
  try {
    const isMine = await summaryAuthor(octokit, env);
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 });
    const mine = comments.find((c) => (c.body ?? '').startsWith(COMMENT_MARKER) && isMine(c.user));
    if (mine) {
      const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
      return { id: data.id, url: data.html_url, created: false };
    }
    const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body });
    return { id: data.id, url: data.html_url, created: true };
  } catch (err) {
    throw gitHubError(err, `writing the summary comment on #${number} in ${owner}/${repo}`);
  }
}

/** A failed API call as a typed error that says what to do. */
export function gitHubError(err: unknown, doing: string): GitopsError {
  if (err instanceof GitopsError) return err;
  const e = err as HttpFailure;
  const data = e.response?.data as { message?: string; errors?: { message?: string; code?: string; field?: string }[] } | undefined;
  const said = [data?.message, ...(data?.errors ?? []).map((x) => x.message ?? [x.field, x.code].filter(Boolean).join(' '))].filter(Boolean).join('; ');
  const detail = said ? ` GitHub said: "${said}".` : '';
  switch (e.status) {
    case 401:
      return new GitopsError(
        'github-auth',
        `GitHub refused the token while ${doing} (HTTP 401).${detail}`,
        `set ${TOKEN_VARIABLES.join(' or ')} to a valid token`,
        { status: 401 },
      );
    case 403: {
      const limited = e.response?.headers?.['x-ratelimit-remaining'] === '0';
      return new GitopsError(
        'github-forbidden',
        `GitHub did not allow ${doing} (HTTP 403${limited ? ', rate limit spent' : ''}).${detail}`,
        limited
          ? 'wait until the rate limit resets, then run the command again'
          : 'the token needs "pull-requests: write" (and "issues: write" for the comment), or the repo scope for a classic token',
        { status: 403 },
      );
    }
    case 404:
      return new GitopsError(
        'github-not-found',
        `GitHub found nothing while ${doing} (HTTP 404): the repository does not exist, or the token cannot see it.${detail}`,
        'check --repo, --api-url (GitHub Enterprise: https://HOST/api/v3) and the token',
        { status: 404 },
      );
    case 422:
      return new GitopsError(
        'github-rejected',
        `GitHub refused ${doing} (HTTP 422).${detail}`,
        'check that the branch was pushed and differs from the base branch',
        { status: 422 },
      );
    default:
      if (!e.response) {
        return new GitopsError(
          'github-unreachable',
          `cannot reach the GitHub API while ${doing}: ${e.message ?? String(err)}`,
          'check --api-url and the network, then run the command again',
        );
      }
      return new GitopsError('github-rejected', `GitHub failed while ${doing} (HTTP ${e.status}).${detail}`, 'run the command again later', {
        status: e.status,
      });
  }
}
