/**
 * What changed in the manifest trees (`generated/`), per tree (one cluster's, or the
 * reconcilers' wiring): the Kubernetes objects added, changed and removed, by identity.
 */
import { cmp } from '../core/order.js';
import { changedPaths } from './changed-files.js';
import { isManifestFile, manifestObjects, manifestTree, type ManifestObject } from './manifest-objects.js';
import type { ManifestTreeChange, ObjectChange } from './model.js';

export function compareManifests(base: ReadonlyMap<string, string>, head: ReadonlyMap<string, string>): ManifestTreeChange[] {
  const paths = changedPaths(base, head, (p) => isManifestFile(p) && manifestTree(p) !== undefined);
  const trees = new Map<string, { cluster?: string; base: ManifestObject[]; head: ManifestObject[] }>();
  for (const p of paths) {
    const { tree, cluster } = manifestTree(p)!;
    let t = trees.get(tree);
    if (!t) trees.set(tree, (t = { ...(cluster ? { cluster } : {}), base: [], head: [] }));
    const b = base.get(p);
    const h = head.get(p);
    if (b !== undefined) t.base.push(...manifestObjects(p, b));
    if (h !== undefined) t.head.push(...manifestObjects(p, h));
  }
  const out: ManifestTreeChange[] = [];
  for (const [tree, t] of [...trees].sort(([a], [b]) => cmp(a, b))) {
    const before = keyed(t.base);
    const after = keyed(t.head);
    const objects: ObjectChange[] = [];
    const describe = (change: ObjectChange['change'], o: ManifestObject): ObjectChange => ({
      change,
      kind: o.kind,
      ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
      ...(o.name !== undefined ? { name: o.name } : {}),
      file: o.file,
    });
    for (const [key, o] of after) {
      const was = before.get(key);
      if (!was) objects.push(describe('added', o));
      else if (was.content !== o.content) objects.push(describe('changed', o));
    }
    for (const [key, o] of before) if (!after.has(key)) objects.push(describe('removed', o));
    if (objects.length === 0) continue;
    objects.sort((x, y) => cmp(x.kind, y.kind) || cmp(x.namespace ?? '', y.namespace ?? '') || cmp(x.name ?? '', y.name ?? '') || cmp(x.file, y.file));
    const count = (c: ObjectChange['change']) => objects.filter((o) => o.change === c).length;
    out.push({ tree, ...(t.cluster ? { cluster: t.cluster } : {}), added: count('added'), changed: count('changed'), removed: count('removed'), objects });
  }
  return out;
}

/** Objects by key; a key seen twice in one tree (a duplicate) gets a suffix so neither is lost. */
function keyed(objects: readonly ManifestObject[]): Map<string, ManifestObject> {
  const out = new Map<string, ManifestObject>();
  for (const o of [...objects].sort((a, b) => cmp(a.file, b.file))) {
    let key = o.key;
    for (let n = 2; out.has(key); n++) key = `${o.key}#${n}`;
    out.set(key, o);
  }
  return out;
}
