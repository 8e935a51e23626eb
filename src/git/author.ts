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
    throw new GitopsError(
      'missing-author',
      `no author ${!name ? 'name' : 'e-mail'} for the commit`,
      'pass --author-name and --author-email, set GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL, or git config user.name / user.email',
    );
  }
  // Git's ident line is `name <email> seconds zone`: a newline or angle bracket would end it early
  // (git fsck: missingEmail) and split the reflog line. Git strips them silently; refused here.
  for (const [what, value] of [
    ['author name', name],
    ['author e-mail', email],
    ['committer name', env.GIT_COMMITTER_NAME],
    ['committer e-mail', env.GIT_COMMITTER_EMAIL],
  ] as const) {
    if (value !== undefined && /[<>\r\n\0]/.test(value)) {
      throw new GitopsError(
        'invalid-option',
        `the ${what} ${JSON.stringify(value)} holds a character Git's commit header cannot carry (<, >, a line break or NUL)`,
        `give it without them (--author-name, --author-email, GIT_AUTHOR_* / GIT_COMMITTER_* or git config user.*)`,
      );
    }
  }
  const now = options.now ?? new Date();
  const when = { timestamp: Math.floor(now.getTime() / 1000), timezoneOffset: now.getTimezoneOffset() };
  const authorWhen = env.GIT_AUTHOR_DATE ? parseGitDate(env.GIT_AUTHOR_DATE, 'GIT_AUTHOR_DATE') : when;
  const author = { name, email, ...authorWhen };
  const committer = {
    name: env.GIT_COMMITTER_NAME ?? name,
    email: env.GIT_COMMITTER_EMAIL ?? email,
    ...(env.GIT_COMMITTER_DATE ? parseGitDate(env.GIT_COMMITTER_DATE, 'GIT_COMMITTER_DATE') : when),
  };
  return { author, committer };
}

/** An offset as Git writes it after a timestamp (`+0200`), from isomorphic-git's minutes (UTC+2 is -120). */
export function gitZone(timezoneOffset: number): string {
  const minutes = -timezoneOffset;
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/**
 * A date as Git takes it in GIT_AUTHOR_DATE / GIT_COMMITTER_DATE: its own format (`@1700000000
 * +0100`, the `@` optional) or ISO 8601 with an offset or Z (`2026-11-23T12:00:00+01:00`).
 * Reproducible commits (tests, CI re-runs) set both. Git's other forms (RFC 2822, "yesterday")
 * are refused with what to write instead, rather than guessed.
 */
export function parseGitDate(text: string, source: string): { timestamp: number; timezoneOffset: number } {
  const value = text.trim();
  const internal = /^@?(\d{1,12})(?:\s+([+-])(\d\d)(\d\d))?$/.exec(value);
  if (internal) {
    const minutes = internal[2] ? (Number(internal[3]) * 60 + Number(internal[4])) * (internal[2] === '-' ? -1 : 1) : 0;
    return { timestamp: Number(internal[1]), timezoneOffset: -minutes || 0 };
  }
  const iso = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d))?(?:\.\d+)?\s*(Z|([+-])(\d\d):?(\d\d))$/i.exec(value);
  if (iso) {
    const [, y, mo, d, h, mi, sec, zone, sign, oh, om] = iso;
    const minutes = zone!.toUpperCase() === 'Z' ? 0 : (Number(oh) * 60 + Number(om)) * (sign === '-' ? -1 : 1);
    const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0));
    const check = new Date(utc);
    if (check.getUTCMonth() === Number(mo) - 1 && check.getUTCDate() === Number(d) && Number(h) < 24 && Number(mi) < 60 && Number(sec ?? 0) < 60) {
      return { timestamp: Math.floor(utc / 1000) - minutes * 60, timezoneOffset: -minutes || 0 };
    }
  }
  throw new GitopsError(
    'invalid-option',
    `${source} "${value}" is not a date this command reads`,
    `write it as Git's internal format (@<seconds since 1970> +hhmm) or ISO 8601 with an offset (2026-11-23T12:00:00+01:00), or unset ${source}`,
  );
}
