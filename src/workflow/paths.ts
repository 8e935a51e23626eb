/**
 * Flow path patterns, the one definition of what a flow's `path` means. A pattern is exact
 * (`/a/b`: that path only) or a prefix (`/a/*`: `/a` itself and everything below it, never `/ab`;
 * `/*`: every path). The checker takes validity from here (`pathProblem`), the reference evaluator
 * and the matrix the meaning (`matches`, `shortestMatch`), the Istio ALLOW rules translate a
 * `PathPattern`. The Rego module has to say the meaning again in Rego: it takes the prefix mark and
 * the refused escapes from here, and real OPA is tested against `matches`. The JSON schema repeats
 * the validity rule as a regular expression for editors; a test keeps the two the same.
 */

/** How a prefix pattern ends. */
export const PREFIX_MARK = '/*';

export type PathPattern =
  | { readonly kind: 'exact'; readonly path: string }
  /** `base` is the pattern without its final `/*`: empty for `/*`. */
  | { readonly kind: 'prefix'; readonly base: string };

/** Why `text` is not a flow path the policy can match exactly, or undefined when it is one. */
export function pathProblem(text: string): string | undefined {
  if (!text.startsWith('/')) return 'is not absolute (it must start with "/")';
  if (/[?#]/.test(text)) return 'holds a query or fragment, which is not part of the path';
  const body = text.endsWith(PREFIX_MARK) ? text.slice(0, -PREFIX_MARK.length) : text;
  if (body.includes('*')) return 'holds "*" other than a final "/*"';
  if (body.includes('//')) return 'holds an empty segment "//"';
  if (body.split('/').some((s) => s === '.' || s === '..')) return 'holds a "." or ".." segment';
  // RFC 3986 pchar, less percent-escapes: the policy compares raw request paths, and an escaped
  // character would never match (or, for %2F, would smuggle a "/" past a prefix).
  if (!/^[A-Za-z0-9\-._~!$&'()+,;=:@/]*$/.test(body)) return 'holds characters that are not allowed in a path (percent-escapes included)';
  return undefined;
}

/** The typed pattern of a valid path (the loader has checked it; anything else is a bug). */
export function parsePathPattern(text: string): PathPattern {
  const problem = pathProblem(text);
  if (problem) throw new Error(`internal: unchecked flow path ${JSON.stringify(text)} ${problem}`);
  return text.endsWith(PREFIX_MARK) ? { kind: 'prefix', base: text.slice(0, -PREFIX_MARK.length) } : { kind: 'exact', path: text };
}

/**
 * Whether a request path (query already removed) is one the pattern names: the reference the
 * Rego module's `path_matches` and the Istio translation are tested against.
 */
export function matches(pattern: PathPattern, path: string): boolean {
  if (pattern.kind === 'exact') return path === pattern.path;
  return path === pattern.base || path.startsWith(`${pattern.base}/`);
}

/** The shortest request path the pattern matches: where a probe of the flow is sent. */
export function shortestMatch(pattern: PathPattern): string {
  if (pattern.kind === 'exact') return pattern.path;
  return pattern.base === '' ? '/' : pattern.base;
}

/**
 * Escapes an upstream server could decode into a "/", "\" or ".", and the backslash itself: a
 * request path holding one is refused, as a dot segment is, since it could step out of a prefix.
 */
export const AMBIGUOUS_ESCAPES = /%2f|%5c|%2e|\\/i;

/** Whether a request path (query already removed) is one the policy decides on at all. */
export function isPlainPath(path: string): boolean {
  return path.startsWith('/') && !AMBIGUOUS_ESCAPES.test(path) && !path.split('/').some((s) => s === '.' || s === '..');
}
