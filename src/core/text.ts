/**
 * Text from a spec or a repository made safe for where it is shown: Markdown that reads as
 * written (never as HTML, Markdown or a summary marker), a terminal that gets no control or
 * bidi character raw; and the count-and-noun every message uses.
 */

/**
 * Controls (C0, DEL, C1), bidi overrides and marks, and the Unicode line and paragraph separators
 * (which some viewers break lines at): no reader should get them raw.
 */
const UNSAFE = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE_CHARS = new RegExp(`[${UNSAFE}]`, 'g');
/** What a code span can neither escape nor keep from an HTML comment or a table row. */
const NOT_IN_CODE_SPAN = new RegExp(`[<|${UNSAFE}]`);

/**
 * Text set in Markdown so that it reads as written and never as Markdown or HTML: `<` and `&` as
 * character references (no tag, no HTML comment, so never a summary marker), the characters of
 * inline constructs backslash-escaped (code, emphasis, links, strikethrough, math, table cells),
 * `_` too unless it sits between letters or digits (where it is inert), and control characters
 * written as escapes (`\n`), so that the text stays on its line.
 */
export function markdownText(s: string): string {
  return (
    s
      .replace(UNSAFE_CHARS, escapeChar)
      .replace(/[\\`*[\]|~$]/g, '\\$&')
      .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
      // GitHub turns @name into a notification, #1 into an issue link, and URLs into links, after
      // Markdown: a zero-width space after @ and # breaks the first two, an escaped ":" or "." the
      // autolinks (scheme://, mailto:, www.).
      .replace(/[@#]/g, '$&\u200b')
      .replace(/:(?=\/\/)|(?<=\b(?:mailto|xmpp))(?=:)/gi, (m) => (m === ':' ? '\\:' : '\\'))
      .replace(/\b(www)\./gi, '$1\\.')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
  );
}

/** A character no reader should get raw (a control, a bidi override) as an escape: `\n`, `\u202e`. */
function escapeChar(c: string): string {
  const json = JSON.stringify(c).slice(1, -1);
  return json.length > 1 ? json : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Plain text for a terminal or a commit message: controls and bidi overrides escaped, lines kept. */
export function terminalText(s: string): string {
  return s.replace(UNSAFE_CHARS, (c) => (c === '\n' ? c : escapeChar(c)));
}

/**
 * A Markdown code span of any text: fenced with one backtick more than the longest run inside
 * it. Text that holds `<`, `|` or a control character, which a code span can neither escape nor
 * keep from an HTML comment or a table row, is set as `<code>` around escaped text instead.
 */
export function markdownCode(s: string): string {
  if (NOT_IN_CODE_SPAN.test(s)) return `<code>${markdownText(s)}</code>`;
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^`|`$/.test(s) || (/^ /.test(s) && / $/.test(s) && s.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/**
 * At most `max` characters of `s`, as a string of their own: a slice of a long string can keep the
 * whole of it alive (V8 makes slices that point into their parent), so text cut from what a
 * caller sent and then kept would hold on to everything the caller sent.
 */
export function cut(s: string, max: number): string {
  return s.length <= max ? s : Buffer.from(s.slice(0, max), 'utf16le').toString('utf16le');
}

/** "1 file", "2 files": the count and its noun, for nouns with a regular plural. */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * A short, single-line, escaped piece of input for a message: controls, line breaks and bidi
 * overrides escaped, at most `max` characters. Error messages never carry more of a file than
 * this (a spec could be a link to a file of secrets, or a binary).
 */
export function excerpt(s: string, max = 60): string {
  const escaped = terminalText(s).replace(/\n/g, '\\n');
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}
