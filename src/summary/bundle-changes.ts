/**
 * What changed in the policy bundles (`bundles/<workflow>/<agent>/`): per agent, added, removed
 * or changed, with the files that differ.
 */
import { cmp } from '../core/order.js';
import { changedPaths } from './changed-files.js';
import type { BundleChange } from './model.js';

export function compareBundles(base: ReadonlyMap<string, string>, head: ReadonlyMap<string, string>): BundleChange[] {
  const paths = changedPaths(base, head, (p) => /^bundles\/[^/]+\/[^/]+\/./.test(p));
  const groups = new Map<string, string[]>();
  for (const p of paths) {
    const [, workflow, agent] = p.split('/');
    const key = `${workflow}/${agent}`;
    groups.set(key, [...(groups.get(key) ?? []), p.split('/').slice(3).join('/')]);
  }
  const present = (files: ReadonlyMap<string, string>, prefix: string) => [...files.keys()].some((p) => p.startsWith(prefix));
  return [...groups]
    .sort(([a], [b]) => cmp(a, b))
    .map(([key, files]) => {
      const [workflow, agent] = key.split('/') as [string, string];
      const prefix = `bundles/${key}/`;
      // Files equal on both sides may have been left out, so "added" needs the base to hold none
      // of the changed files and the head all of them (and the reverse for "removed").
      const inBase = files.some((f) => base.has(prefix + f));
      const inHead = files.some((f) => head.has(prefix + f));
      const status =
        !inBase && inHead && !present(base, prefix) && files.every((f) => head.has(prefix + f))
          ? 'added'
          : inBase && !inHead && !present(head, prefix) && files.every((f) => base.has(prefix + f))
            ? 'removed'
            : 'changed';
      return { workflow, agent, status, files };
    });
}
