/** The files of the generated trees that differ between two versions: what the tree comparers start from. */
import { cmp } from '../core/order.js';

/**
 * Paths `keep` takes whose content differs, in either direction, sorted. A file equal on both
 * sides may be absent from both maps (a reader that skips identical Git trees leaves it out).
 */
export function changedPaths(base: ReadonlyMap<string, string>, head: ReadonlyMap<string, string>, keep: (path: string) => boolean): string[] {
  const out = new Set<string>();
  for (const [p, text] of base) if (keep(p) && head.get(p) !== text) out.add(p);
  for (const [p, text] of head) if (keep(p) && base.get(p) !== text) out.add(p);
  return [...out].sort(cmp);
}
