/**
 * The summary of a policy change, pure: each part compared by its own comparer (workflows with
 * their settings, agents and access; manifest trees; bundles; keys), then counted.
 */
import path from 'node:path';
import { cmp } from '../core/order.js';
import { compareBundles } from './bundle-changes.js';
import { compareKeyFiles } from './key-changes.js';
import { compareManifests } from './manifest-changes.js';
import { compareTrustFiles } from './trust-changes.js';
import type { ChangeSummary, DiffSide } from './model.js';
import { compareWorkflows } from './workflow-changes.js';

export function summarize(base: DiffSide, head: DiffSide): ChangeSummary {
  const notCompared = [...new Set([...(base.invalid ?? []), ...(head.invalid ?? [])])].sort(cmp);
  // A workflow whose file fails in either version is compared in neither: a spec that does not
  // check would otherwise read as every one of its flows removed (or added).
  const skip = new Set(notCompared.map((f) => path.posix.basename(f)));
  const baseWorkflows = base.workflows.filter((w) => !skip.has(path.posix.basename(w.file)));
  const headWorkflows = head.workflows.filter((w) => !skip.has(path.posix.basename(w.file)));
  const workflows = compareWorkflows(baseWorkflows, headWorkflows);
  const manifests = compareManifests(base.files, head.files);
  const bundles = compareBundles(base.files, head.files);
  const access = { added: 0, changed: 0, removed: 0 };
  for (const w of workflows) {
    for (const a of w.access) access[a.kind === 'added' ? 'added' : a.kind === 'removed' ? 'removed' : 'changed'] += a.methods.length;
  }
  const objects = { added: 0, changed: 0, removed: 0 };
  for (const m of manifests) {
    objects.added += m.added;
    objects.changed += m.changed;
    objects.removed += m.removed;
  }
  const keys = base.keys || head.keys ? compareKeyFiles(base.keys ?? new Map(), head.keys ?? new Map()) : undefined;
  const trust = base.keys || head.keys ? compareTrustFiles(base.keys ?? new Map(), head.keys ?? new Map()) : undefined;
  return {
    workflows,
    manifests,
    bundles,
    notCompared,
    ...(keys ? { keys } : {}),
    ...(trust ? { trust } : {}),
    counts: { access, objects, bundles: bundles.length },
  };
}

/** Nothing to say: no access, key, root, token key, manifest or bundle change, and nothing left unchecked. */
export function isEmpty(summary: ChangeSummary): boolean {
  return (
    summary.workflows.length === 0 &&
    summary.manifests.length === 0 &&
    summary.bundles.length === 0 &&
    summary.notCompared.length === 0 &&
    !summary.keys &&
    !summary.trust &&
    !summary.generated?.files.length &&
    summary.generated?.checked !== false
  );
}
