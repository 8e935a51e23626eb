/**
 * The operational errors of commits, pushes and pull requests: one catalog, each code stable
 * (tools match on it, never on the text), each message saying what happened and what to do.
 * `kind` tells the CLI which exit code to use: a wrong command line is a usage error (2), a
 * remote or repository that refuses is an operational failure (3). GitHub's refusals are in the
 * same catalog: the commands that meet them report every code the same way.
 */
import { CustodyError } from '../core/errors.js';

export const GITOPS_ERRORS = {
  /** The folder is not inside a Git working tree. */
  'not-a-repository': 'usage',
  /** `--base` / `--head` name nothing in the repository. */
  'unknown-revision': 'usage',
  /** A flag or setting cannot be used as given (e.g. `--repo` not `owner/name`). */
  'invalid-option': 'usage',
  /** The index holds a merge in progress (unmerged paths): committing now would lose it. */
  'unmerged-paths': 'operational',
  /** Another Git command holds the index (`index.lock` exists). */
  'index-locked': 'operational',
  /** The index is in a format Custody cannot rewrite (version 4, split or sparse index). */
  'index-unsupported': 'operational',
  /** A linked worktree (`git worktree add`): isomorphic-git cannot write to its shared Git folder. */
  'unsupported-worktree': 'usage',
  /** A path Custody cannot carry through a commit unchanged (not valid UTF-8). */
  'unsupported-path': 'usage',
  /** An input of the trees (a spec, a key) is a symbolic link: commits carry files, not links. */
  'unsupported-input': 'usage',
  /** `--trees-only` while specs or keys differ from HEAD: the trees would not match the commit's own inputs. */
  'inputs-uncommitted': 'usage',
  /** The specs or trees of the working tree differ from HEAD, which the command reads (the bundle server serves commits). */
  'uncommitted-changes': 'usage',
  /** A token would travel over plain HTTP to a host other than this machine. */
  'insecure-remote': 'usage',
  /** A generated tree could not be written to the working tree (the previous one is unchanged). */
  'write-failed': 'operational',
  /** No author name or e-mail anywhere (flags, environment, Git configuration). */
  'missing-author': 'usage',
  /** No such remote, or it has no URL. */
  'no-remote': 'usage',
  /** A remote other than http(s): isomorphic-git speaks smart HTTP only. */
  'unsupported-remote': 'usage',
  /** A URL carrying a user name or password: credentials belong in the environment. */
  'credentials-in-url': 'usage',
  /** HEAD is not on a branch where a branch is needed. */
  'no-branch': 'usage',
  /** The branch to create exists already and points elsewhere. */
  'branch-exists': 'usage',
  /** The head branch has nothing beyond the base branch: no pull request to open. */
  'nothing-to-propose': 'usage',
  /** The Git server refused the credentials (HTTP 401), or none were given. */
  'auth-failed': 'operational',
  /** The credentials are valid but may not write (HTTP 403). */
  forbidden: 'operational',
  /** The Git server does not know the repository (HTTP 404). */
  'remote-not-found': 'operational',
  /** No answer from the Git server (connection refused, DNS, timeout). */
  'remote-unreachable': 'operational',
  /** The server did not answer as a smart-HTTP Git server, or failed (5xx). */
  'remote-error': 'operational',
  /** The remote branch has commits the local one does not. */
  'non-fast-forward': 'operational',
  /** The server refused the update (a protected branch, a server-side hook). */
  'push-rejected': 'operational',
  /** GitHub refused the token (401). */
  'github-auth': 'operational',
  /** GitHub accepted the token but it may not do this (403), or the rate limit is spent. */
  'github-forbidden': 'operational',
  /** GitHub does not know the repository or pull request, or the token cannot see it (404). */
  'github-not-found': 'operational',
  /** GitHub refused the request's content (422), e.g. no commits between the branches. */
  'github-rejected': 'operational',
  /** No answer from the GitHub API. */
  'github-unreachable': 'operational',
} as const;

export type GitopsErrorCode = keyof typeof GITOPS_ERRORS;
export type GitopsErrorKind = (typeof GITOPS_ERRORS)[GitopsErrorCode];

/** A CustodyError whose kind follows from its code (the catalog above), never given apart from it. */
export class GitopsError extends CustodyError {
  override name = 'GitopsError';
  declare readonly code: GitopsErrorCode;
  declare readonly kind: GitopsErrorKind;

  constructor(
    code: GitopsErrorCode,
    message: string,
    /** What to do about it, one sentence. */
    hint?: string,
    /** Structured details (status codes, refs, the remote's own words); never a credential. */
    data: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, GITOPS_ERRORS[code], message, { ...(hint !== undefined ? { hint } : {}), data });
  }
}
