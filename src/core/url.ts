/**
 * Credentials in URLs, one rule wherever a URL comes from the user: a push remote, the bundle
 * server's repository, a URL a spec or the origin remote puts into the generated trees. A URL that
 * carries them is refused, never used or copied, and is quoted only with them taken out.
 */

/** The schemes for which a URL parser knows where the host is: an "@" it leaves is in the path. */
const SPECIAL_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:', 'ftp:', 'file:']);

/**
 * Whether a URL may carry credentials, however it is spelt: a user name or password where a URL
 * parser finds one (a scheme in any case, one slash or none, spaces around), or an "@" a parser
 * cannot place (a scheme it does not know, such as `git+https:/user:token@host`, or a password
 * holding "/"), which could be one. ssh's user `git@` is everyone's, not a secret.
 */
export function hasCredentials(url: string): boolean {
  const v = url.trim();
  if (/^(?:ssh:\/\/)?git@[^:/@\s]+[:/][^@]*$/i.test(v)) return false;
  try {
    const u = new URL(v);
    if (u.username || u.password) return true;
    if (SPECIAL_SCHEMES.has(u.protocol)) return false;
  } catch {
    // Not a URL: the "@" below decides.
  }
  return v.includes('@');
}

/** A URL as it may be printed: any user name and password taken out (also from forms `new URL` refuses or misreads). */
export function redactUrl(url: string): string {
  let shown = url.trim();
  let special = false;
  try {
    const u = new URL(shown);
    u.username = '';
    u.password = '';
    shown = u.href;
    special = SPECIAL_SCHEMES.has(u.protocol);
  } catch {
    // Not a URL: shown as given, less what could be credentials.
  }
  if (special || !shown.includes('@')) return shown;
  // Everything up to the last "@" could be credentials (a password may hold "/" or "@"); the
  // scheme is kept only when slashes follow it, else it could be the user name of `user:token@`.
  return shown.replace(/^([a-z][a-z0-9+.-]*:[/\\]+)?.*@/i, (_all, scheme: string | undefined) => `${scheme ?? ''}…@`);
}

/**
 * Whether a URL that Custody would write where others read it (the generated trees, from a spec or
 * from the clone's origin remote) carries a secret: a password under any scheme, and a user name
 * under any scheme but ssh (over https a token often stands there alone, `https://<token>@host/`).
 * ssh keeps its user (`git@`, `deploy@`): it names the account whose key authenticates, which is
 * no secret. {@link hasCredentials} lets only `git@` through, for remotes that must be http(s)
 * anyway. A URL a parser cannot read is judged as {@link hasCredentials} judges it: an "@" it
 * cannot place could be one.
 */
export function carriesSecret(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return hasCredentials(url);
  }
  return parsed.password !== '' || (parsed.protocol !== 'ssh:' && parsed.username !== '');
}

/**
 * A URL with what {@link carriesSecret} finds taken out, and no more: an ssh URL loses only its
 * password and keeps its user, the account whose key authenticates, so that a command suggested
 * with it (`git remote set-url`) still reaches that account and passes the rule it came from.
 * Any other URL as {@link redactUrl} gives it.
 */
export function withoutSecret(url: string): string {
  try {
    const u = new URL(url.trim());
    if (u.protocol === 'ssh:') {
      u.password = '';
      return u.href;
    }
  } catch {
    // Not a URL: redactUrl takes out whatever could be credentials.
  }
  return redactUrl(url);
}

/**
 * A value as a message may quote it: a URL (text that starts with a scheme) without the
 * credentials {@link carriesSecret} finds in it, any other text as it is (an image digest's "@"
 * is no user name).
 */
export function quotable(value: string): string {
  return /^\s*[a-z][a-z0-9+.-]+:/i.test(value) && carriesSecret(value) ? redactUrl(value) : value;
}
