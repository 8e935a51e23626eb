/**
 * Where a push goes and with what credentials: a remote by name or URL, http(s) only and never
 * with credentials in it, and a token from the environment that crosses the network in clear
 * text to nowhere but this machine. Checked before anything is committed or sent, by the push
 * and by the pull request's API calls alike.
 */
import git from 'isomorphic-git';
import { carriesSecret, hasCredentials, redactUrl, withoutSecret } from '../core/url.js';
import { GitopsError } from './errors.js';
import type { Repository } from './repository.js';

export interface Token {
  readonly value: string;
  /** The environment variable it came from, for messages (never the value). */
  readonly source: string;
}

/** The variables a token is read from, first found wins. */
export const TOKEN_VARIABLES = ['CUSTODY_GIT_TOKEN', 'GITHUB_TOKEN', 'GH_TOKEN'] as const;

export function tokenFromEnv(env: NodeJS.ProcessEnv = process.env): Token | undefined {
  for (const source of TOKEN_VARIABLES) {
    const value = env[source]?.trim();
    if (value) return { value, source };
  }
  return undefined;
}

export interface Remote {
  /** The URL, without credentials. */
  readonly url: string;
  /** The remote's name when it was given by name. */
  readonly name?: string;
}

/**
 * A remote by name (`origin`) or URL; only http(s), and never with credentials in it. Anything
 * with a scheme or an "@" is taken for a URL, never looked up as a name: a name is quoted in the
 * message that it is no remote, and `https:/user:token@host` (one slash) is no remote name.
 */
export async function resolveRemote(repo: Repository, remote = 'origin'): Promise<Remote> {
  let url: string | undefined;
  let name: string | undefined;
  const given = remote.trim();
  if (isUrlLike(given) || given.includes('@')) {
    url = given;
  } else {
    name = given;
    const config = (key: string) => git.getConfig({ fs: repo.fs, dir: repo.dir, gitdir: repo.gitdir, path: key }) as Promise<string | undefined>;
    url = ((await config(`remote.${given}.pushurl`)) ?? (await config(`remote.${given}.url`)))?.trim();
    if (!url) {
      const names = await git.listRemotes({ fs: repo.fs, dir: repo.dir, gitdir: repo.gitdir });
      throw new GitopsError(
        'no-remote',
        `no remote "${given}" in this repository${names.length ? ` (remotes: ${names.map((r) => r.remote).join(', ')})` : ''}`,
        'pass --remote with a remote name or an https URL, or add one: git remote add origin https://github.com/OWNER/REPO.git',
      );
    }
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  // Credentials first, whatever the scheme: the URL is quoted in the messages below.
  if (hasCredentials(url)) {
    const clean = redactUrl(url);
    throw new GitopsError(
      'credentials-in-url',
      `the URL of ${name ? `remote "${name}"` : 'the remote'} (${clean}) carries credentials; Custody does not send or print URLs with credentials`,
      `remove them (git remote set-url ${name ?? 'origin'} ${clean}) and put the token in ${TOKEN_VARIABLES.join(' or ')}`,
    );
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol)) {
    const ssh = /^(?:ssh:\/\/)?git@([^:/]+)[:/](.+?)$/.exec(url);
    throw new GitopsError(
      'unsupported-remote',
      `${redactUrl(url)} is not an http(s) remote: isomorphic-git pushes over smart HTTP only`,
      ssh ? `use https://${ssh[1]}/${ssh[2]} (with --remote, or git remote set-url --push)` : 'use the https URL of the repository',
    );
  }
  return { url: `${parsed.protocol}//${parsed.host}${parsed.pathname}`, ...(name ? { name } : {}) };
}

/**
 * Whether a repository or remote is meant as a URL rather than a local path or a remote's name:
 * a scheme in any case (`https:`, `HTTPS:`, `git+https:`, `ssh:`; two letters at least, so that a
 * Windows drive stays a path), or the scp form `user@host:path`. Spaces around do not count.
 */
export function isUrlLike(value: string): boolean {
  const v = value.trim();
  return /^[a-z][a-z0-9+.-]+:/i.test(v) || /^[^/\s]+@[^/\s]*:/.test(v);
}

/** Loopback: the only place a token may travel over plain HTTP (a test server, a local proxy). */
export function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
  } catch {
    return false;
  }
}

/** Refuses to send `token` in clear text: plain http is for loopback only. */
export function assertSecureTransport(url: string, token: Token | undefined, what: string): void {
  let protocol: string;
  try {
    protocol = new URL(url.trim()).protocol;
  } catch {
    throw new GitopsError('invalid-option', `${what} ${redactUrl(url)} is not a URL`, 'give an https URL');
  }
  if (protocol !== 'https:' && protocol !== 'http:')
    throw new GitopsError('invalid-option', `${what} ${redactUrl(url)} is not an http(s) URL`, 'give an https URL');
  if (token && protocol === 'http:' && !isLoopback(url.trim())) {
    throw new GitopsError(
      'insecure-remote',
      `${what} ${redactUrl(url)} is plain http: the token from ${token.source} would cross the network in clear text, so nothing was sent`,
      `use the https URL${what.startsWith('the API') ? ' (--api-url https://…)' : ' (--remote https://…)'}; plain http is accepted only for this machine (localhost)`,
    );
  }
}

/**
 * The repository URL the generated trees name (Argo CD `repoURL`, Flux `url`, the bundle server's
 * repository), from a clone's origin remote. Only https and ssh count: they are what a cluster's
 * reconciler fetches over, while a local path or plain http is a test fixture or a mirror on this
 * machine, which no cluster can reach (so a fresh local clone, as the tests make, keeps the
 * default). The scp form `git@host:path` is written `ssh://git@host/path`, the form Flux accepts.
 * Credentials are refused, never copied, by the rule the spec's own URLs are checked with
 * ({@link carriesSecret}): any user part of an https URL and a password anywhere.
 */
export function treeRepositoryUrl(url: string): string | undefined {
  const trimmed = url.trim();
  const scp = /^([A-Za-z0-9._-]+)@([^:/\s]+):(?!\/\/)(\S+)$/.exec(trimmed);
  const candidate = scp ? `ssh://${scp[1]}@${scp[2]}/${scp[3]!.replace(/^\/+/, '')}` : trimmed;
  let parsed: URL;
  try {
    parsed = new URL(candidate);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'ssh:') return undefined;
  if (carriesSecret(candidate)) {
    const clean = withoutSecret(candidate);
    throw new GitopsError(
      'credentials-in-url',
      `the origin remote (${clean}) carries credentials; Custody does not write them into the generated trees`,
      `remove them (git remote set-url origin ${clean}), or set spec.repository in the workflow`,
    );
  }
  if (parsed.protocol === 'https:') return `https://${parsed.host}${parsed.pathname}`;
  return `ssh://${parsed.username ? `${parsed.username}@` : ''}${parsed.host}${parsed.pathname}`;
}

/** The clone's origin as {@link treeRepositoryUrl} has it; undefined without a remote, or one that does not count. */
export async function originRepositoryUrl(repo: Repository): Promise<string | undefined> {
  const url = (await git.getConfig({ fs: repo.fs, dir: repo.dir, gitdir: repo.gitdir, path: 'remote.origin.url' })) as string | undefined;
  return url ? treeRepositoryUrl(url) : undefined;
}
