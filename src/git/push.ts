/**
 * Pushing a branch over smart HTTP with isomorphic-git. The token comes from the environment and
 * goes only into the Authorization header that `onAuth` returns when the server asks (HTTP 401):
 * never into a URL, a remote's configuration or a message. Every refusal of the remote is a
 * typed error that says what to do; the local commit is never touched, whatever happens.
 */
import git, { type HttpClient, type PushResult as IsoPushResult } from 'isomorphic-git';
import { GitopsError } from './errors.js';
import { gitHttp } from './http.js';
import { assertSecureTransport, resolveRemote, TOKEN_VARIABLES, type Remote, type Token } from './remote.js';
import { currentBranch, gitArgs, type Repository } from './repository.js';

export interface PushOptions {
  readonly repo: Repository;
  /** A remote's name or an http(s) URL; default `origin`. */
  readonly remote?: string;
  /** The local branch; default HEAD's. */
  readonly branch?: string;
  /** The branch to update on the remote; default the same name. */
  readonly remoteBranch?: string;
  readonly token?: Token;
  /** The HTTP client; default isomorphic-git's for Node. */
  readonly http?: HttpClient;
}

export interface PushResult {
  readonly remote: Remote;
  readonly branch: string;
  readonly remoteRef: string;
  readonly commit: string;
  /** What the remote branch pointed at before; undefined when the push created it. */
  readonly previous?: string;
  readonly upToDate: boolean;
}

const ZERO = '0000000000000000000000000000000000000000';

export async function pushBranch(options: PushOptions): Promise<PushResult> {
  const { repo, token } = options;
  const branch = options.branch ?? (await currentBranch(repo));
  if (!branch)
    throw new GitopsError('no-branch', 'HEAD is not on a branch: there is nothing to push', 'pass --branch, or switch to a branch (git switch -c NAME)');
  let commit: string;
  try {
    commit = await git.resolveRef({ ...gitArgs(repo), ref: `refs/heads/${branch}` });
  } catch {
    throw new GitopsError('no-branch', `there is no local branch "${branch}"`, 'commit on it first (custody commit), or name an existing branch with --branch');
  }
  const remote = await resolveRemote(repo, options.remote);
  assertSecureTransport(remote.url, token, 'the remote');
  const remoteRef = `refs/heads/${options.remoteBranch ?? branch}`;
  const messages: string[] = [];
  let previous: string | undefined;
  let authTried = false;
  let result: IsoPushResult;
  try {
    result = await git.push({
      ...gitArgs(repo),
      http: options.http ?? gitHttp,
      url: remote.url,
      ...(remote.name ? { remote: remote.name } : {}),
      ref: `refs/heads/${branch}`,
      remoteRef,
      // Only when the server asks; GitHub takes a token as the password of any user name.
      onAuth: () => {
        authTried = true;
        return token ? { username: 'x-access-token', password: token.value } : undefined;
      },
      // A refused token is not retried (the next 401 ends the push with a clear error).
      onAuthFailure: () => undefined,
      onPrePush: ({ remoteRef: r }) => {
        previous = r.oid === ZERO ? undefined : r.oid;
        return true;
      },
      onMessage: (line) => {
        const text = line.trim();
        if (text) messages.push(text);
      },
    });
  } catch (err) {
    // isomorphic-git hands the remote's last lines to onMessage without waiting for them.
    await new Promise((r) => setImmediate(r));
    throw pushError(err, { remote, branch, remoteRef, commit, token, authTried, messages });
  }
  const refResult = result.refs?.[remoteRef];
  if (!result.ok || (refResult && !refResult.ok)) {
    await new Promise((r) => setImmediate(r));
    throw rejected(refResult?.error ?? result.error ?? 'refused', { remote, branch, remoteRef, commit, messages });
  }
  return { remote, branch, remoteRef, commit, ...(previous ? { previous } : {}), upToDate: previous === commit };
}

interface Context {
  readonly remote: Remote;
  readonly branch: string;
  readonly remoteRef: string;
  readonly commit: string;
  readonly token?: Token;
  readonly authTried?: boolean;
  readonly messages: readonly string[];
}

const kept = (c: Context) => `Nothing is lost: commit ${c.commit.slice(0, 12)} stays on your local branch ${c.branch}.`;

function remoteSaid(c: Context): string {
  const lines = c.messages.filter((m) => !/^(Total|Counting|Compressing|Writing|Resolving|Enumerating)/.test(m)).slice(-6);
  return lines.length ? ` The remote said: ${lines.map((l) => `"${l}"`).join(' ')}.` : '';
}

function rejected(reason: string, c: Context): GitopsError {
  if (/non-fast-forward|fetch first|stale info/i.test(reason)) return nonFastForward(c);
  return new GitopsError(
    'push-rejected',
    `${c.remote.url} refused to update ${c.remoteRef}: ${reason}.${remoteSaid(c)} ${kept(c)}`,
    'the branch is protected or a server hook refused the commit: push to another branch (--branch NAME) and merge it through a pull request (custody pr)',
    { reason, remoteMessages: c.messages },
  );
}

function nonFastForward(c: Context): GitopsError {
  return new GitopsError(
    'non-fast-forward',
    `${c.remoteRef} on ${c.remote.url} has commits that your ${c.branch} does not. ${kept(c)}`,
    `bring them in first (git pull --rebase ${c.remote.name ?? c.remote.url} ${c.remoteRef.replace(/^refs\/heads\//, '')}), run custody commit if the trees need it, then push again`,
  );
}

export function pushError(err: unknown, c: Context): GitopsError {
  if (err instanceof GitopsError) return err;
  const e = err as { code?: string; message?: string; data?: { statusCode?: number; statusMessage?: string; reason?: string; result?: IsoPushResult } };
  const where = c.remote.url;
  switch (e.code) {
    case 'HttpError': {
      const status = e.data?.statusCode ?? 0;
      if (status === 401) {
        return new GitopsError(
          'auth-failed',
          c.token
            ? `${where} refused the token from ${c.token.source} (HTTP 401). ${kept(c)}`
            : `${where} asks for credentials (HTTP 401) and no token is set. ${kept(c)}`,
          c.token
            ? `check that the token in ${c.token.source} is valid, not expired, and grants access to this repository`
            : `set ${TOKEN_VARIABLES.join(' or ')} to a token that may push to the repository`,
          { status },
        );
      }
      if (status === 403) {
        return new GitopsError(
          'forbidden',
          `${where} does not let ${c.token ? `the token from ${c.token.source}` : 'anonymous users'} push (HTTP 403). ${kept(c)}`,
          'give the token write access to the repository\'s contents (GitHub: "contents: write" for an app or Actions token, the repo scope for a classic token)',
          { status },
        );
      }
      if (status >= 300 && status < 400) {
        return new GitopsError(
          'remote-error',
          `${where} answered with a redirect (HTTP ${status}); Custody follows no redirect with a token, which could send it elsewhere or in clear text. ${kept(c)}`,
          'use the URL the repository now lives at (git ls-remote shows where the redirect goes), over https',
          { status },
        );
      }
      if (status === 404) {
        return new GitopsError(
          'remote-not-found',
          `${where} has no such repository (HTTP 404), or it is private and ${c.token ? 'the token cannot see it' : 'no token is set'}. ${kept(c)}`,
          'check the URL (--remote) and the token',
          { status },
        );
      }
      return new GitopsError(
        'remote-error',
        `${where} failed: HTTP ${status} ${e.data?.statusMessage ?? ''}. ${kept(c)}`.replace(/\s+\./, '.'),
        'try again later, or check the server',
        { status },
      );
    }
    case 'PushRejectedError':
      if (e.data?.reason === 'not-fast-forward') return nonFastForward(c);
      return rejected(e.data?.reason ?? 'rejected', c);
    case 'GitPushError': {
      const refs = e.data?.result?.refs ?? {};
      const reason =
        Object.values(refs)
          .map((r) => r.error)
          .filter(Boolean)
          .join('; ') || 'refused';
      return rejected(reason, c);
    }
    case 'SmartHttpError':
      return new GitopsError(
        'remote-error',
        `${where} did not answer as a Git server over smart HTTP. ${kept(c)}`,
        'check the URL: it should end in .git on most servers',
      );
    case 'UserCanceledError':
      return new GitopsError(
        'auth-failed',
        `${where} refused the credentials. ${kept(c)}`,
        `check the token in ${c.token?.source ?? TOKEN_VARIABLES.join(' or ')}`,
      );
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'ECONNRESET':
    case 'ETIMEDOUT':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
      return new GitopsError(
        'remote-unreachable',
        `cannot reach ${where} (${e.code}). ${kept(c)}`,
        'check the URL and the network, then push again (custody push)',
      );
    default:
      return new GitopsError(
        'remote-error',
        `pushing to ${where} failed: ${e.message ?? String(err)}. ${kept(c)}`,
        'push again (custody push); if it keeps failing, push with git push',
      );
  }
}
