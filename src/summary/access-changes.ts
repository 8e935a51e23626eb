/**
 * What changed in the access a workflow grants (flows, as grants: caller, callee, method, path
 * and condition): added, removed, under another condition, or moved to another path; one line
 * per grant whatever its number of methods.
 */
import { cmp } from '../core/order.js';
import type { Grant } from './access.js';
import type { AccessChange, AccessChangeKind } from './model.js';
import { accessWords } from './words.js';

export function compareAccess(base: ReadonlyMap<string, Grant>, head: ReadonlyMap<string, Grant>): AccessChange[] {
  type One = Omit<AccessChange, 'methods' | 'text'> & { method: string };
  const removed: Grant[] = [];
  const added: Grant[] = [];
  const changes: One[] = [];
  for (const [key, g] of base) {
    const n = head.get(key);
    if (!n) removed.push(g);
    else if ((g.condition ?? null) !== (n.condition ?? null)) {
      changes.push({
        kind: 'condition',
        from: n.from,
        to: n.to,
        method: n.method,
        path: n.path,
        condition: n.condition ?? null,
        previousCondition: g.condition ?? null,
        ...(n.written ? { written: n.written } : {}),
      });
    }
  }
  for (const [key, g] of head) if (!base.has(key)) added.push(g);
  // A grant that only moved to another path, same caller, callee, method and condition, reads as
  // a path change rather than one grant gone and another come.
  const unpaired: Grant[] = [];
  for (const r of removed.sort(byGrant)) {
    const i = added
      .sort(byGrant)
      .findIndex((a) => a.from === r.from && a.to === r.to && a.method === r.method && (a.condition ?? null) === (r.condition ?? null));
    if (i < 0) {
      unpaired.push(r);
      continue;
    }
    const a = added.splice(i, 1)[0]!;
    changes.push({
      kind: 'path',
      from: a.from,
      to: a.to,
      method: a.method,
      path: a.path,
      previousPath: r.path,
      condition: a.condition ?? null,
      ...(a.written ? { written: a.written } : {}),
    });
  }
  for (const a of added)
    changes.push({
      kind: 'added',
      from: a.from,
      to: a.to,
      method: a.method,
      path: a.path,
      condition: a.condition ?? null,
      ...(a.written ? { written: a.written } : {}),
    });
  for (const r of unpaired)
    changes.push({
      kind: 'removed',
      from: r.from,
      to: r.to,
      method: r.method,
      path: r.path,
      condition: r.condition ?? null,
      ...(r.written ? { written: r.written } : {}),
    });
  // One line per grant whatever its number of methods: "may now GET and POST /x to y".
  const groups = new Map<string, Omit<AccessChange, 'text'> & { methods: string[] }>();
  for (const c of changes) {
    const { method, ...rest } = c;
    const key = JSON.stringify([
      rest.kind,
      rest.from,
      rest.to,
      rest.path,
      rest.previousPath ?? null,
      rest.condition,
      rest.previousCondition ?? null,
      rest.written ?? null,
    ]);
    const g = groups.get(key);
    if (g) g.methods.push(method);
    else groups.set(key, { ...rest, methods: [method] });
  }
  const order: Record<AccessChangeKind, number> = { added: 0, path: 1, condition: 2, removed: 3 };
  return [...groups.values()]
    .map((g) => ({
      kind: g.kind,
      from: g.from,
      to: g.to,
      methods: g.methods.sort(cmp),
      path: g.path,
      ...(g.previousPath !== undefined ? { previousPath: g.previousPath } : {}),
      condition: g.condition,
      ...(g.previousCondition !== undefined ? { previousCondition: g.previousCondition } : {}),
      ...(g.written !== undefined ? { written: g.written } : {}),
    }))
    .sort((x, y) => order[x.kind] - order[y.kind] || cmp(x.from, y.from) || cmp(x.to, y.to) || cmp(x.path, y.path) || cmp(x.methods.join(), y.methods.join()))
    .map((c) => ({ ...c, text: accessWords(c) }));
}

function byGrant(a: Grant, b: Grant): number {
  return cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.method, b.method) || cmp(a.path, b.path);
}
