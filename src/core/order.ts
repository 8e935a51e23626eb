/**
 * Canonical ordering, the one place every sort of Custody's output comes from. Two orders exist
 * because two consumers fix them: code-unit order (JavaScript's default sort) for names people
 * read, and UTF-8 byte order, which Go, OPA's canonical JSON and Git's index use.
 */

/** Strings in code-unit order (the default sort's), as a comparator that chains with `||`. */
export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** UTF-8 byte order (code point order): not JavaScript's UTF-16 order for astral characters. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Go sorts strings byte-wise on UTF-8, i.e. by code point. JS's default sort compares UTF-16
 * units and puts astral characters (surrogates, 0xD800..) before U+E000..U+FFFF, so `"😀"` would
 * land before `"！"` (U+FF01) and a digest would differ.
 */
export function sortUtf8(keys: Iterable<string>): string[] {
  return [...keys]
    .map((k) => [k, Buffer.from(k, 'utf8')] as const)
    .sort((a, b) => Buffer.compare(a[1], b[1]))
    .map(([k]) => k);
}
