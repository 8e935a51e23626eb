/**
 * Who a commit is by. Git's own order: what the command is told, then `GIT_AUTHOR_*` /
 * `GIT_COMMITTER_*`, then `user.name` / `user.email` of the repository's configuration, then the
 * user's (`~/.gitconfig`, `$XDG_CONFIG_HOME/git/config`), which isomorphic-git does not read.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import git from 'isomorphic-git';
import { GitopsError } from './errors.js';
import type { Repository } from './repository.js';

export interface Person {
  readonly name: string;
  readonly email: string;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  /** Minutes, as JavaScript's `getTimezoneOffset` (UTC+2 is -120): isomorphic-git's convention. */
  readonly timezoneOffset: number;
}

export interface AuthorOptions {
  readonly name?: string;
  readonly email?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: Date;
}

/** `user.name` / `user.email` from a Git configuration file's text (sections and keys case-insensitive). */
export function userFromConfig(text: string): { name?: string; email?: string } {
  const out: { name?: string; email?: string } = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"[^"]*")?\s*\]/.exec(line);
    if (header) {
      section = header[1]!.toLowerCase();
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*)$/.exec(line);
    if (section !== 'user' || !kv) continue;
    let value = kv[2]!.replace(/\s[#;].*$/, '').trim();
    if (/^".*"$/.test(value)) value = value.slice(1, -1).replace(/\\(["\\])/g, '$1');
    const key = kv[1]!.toLowerCase();
    if (key === 'name' || key === 'email') out[key] = value;
  }
  return out;
}

function globalUser(env: NodeJS.ProcessEnv): { name?: string; email?: string } {
  const home = env.HOME ?? os.homedir();
  const files = [path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'git', 'config'), path.join(home, '.gitconfig')];
  const out: { name?: string; email?: string } = {};
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    Object.assign(out, Object.fromEntries(Object.entries(userFromConfig(text)).filter(([, v]) => v)));
  }
  return out;
}

export async function resolvePeople(repo: Repository, options: AuthorOptions = {}): Promise<{ author: Person; committer: Person }> {
  const env = options.env ?? process.env;
  const config = async (key: string) => (await git.getConfig({ fs: repo.fs, dir: repo.dir, gitdir: repo.gitdir, path: key })) as string | undefined;
  const fallback = globalUser(env);
  const name = options.name ?? env.GIT_AUTHOR_NAME ?? (await config('user.name')) ?? fallback.name;
  const email = options.email ?? env.GIT_AUTHOR_EMAIL ?? (await config('user.email')) ?? fallback.email;
  if (!name || !email) {
    throw new GitopsError('missing-author', `no author ${!name ? 'name' : 'e-mail'} for the commit`,
      'pass --author-name and --author-email, set GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL, or git config user.name / user.email');
  }
  const now = options.now ?? new Date();
  const when = { timestamp: Math.floor(now.getTime() / 1000), timezoneOffset: now.getTimezoneOffset() };
  const author = { name, email, ...when };
  const committer = {
    name: env.GIT_COMMITTER_NAME ?? name,
    email: env.GIT_COMMITTER_EMAIL ?? email,
    ...when,
  };
  return { author, committer };
}
