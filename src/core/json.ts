/** JSON as reviewers read it in diffs: keys sorted, two-space indent, final newline, same bytes every time. */
import { compareUtf8 } from './order.js';

/** Keys in UTF-8 byte order, the order OPA's canonical form uses too (not JavaScript's UTF-16 order). */
export const compareKeys = compareUtf8;

export function sortedValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(compareKeys)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortedValue(v);
    }
    return out;
  }
  return value;
}

export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortedValue(value), null, 2)}\n`;
}
