/**
 * The access-change summary of a policy change: pure. Two versions of the repository go in (their
 * checked workflows and the files of their generated trees), a structured summary comes out:
 * per workflow, what each agent may now do, may no longer do, or may do under other conditions,
 * with renames recognised; per manifest tree, how many objects were added, changed and removed;
 * and the policy bundles that changed. `render.ts` lays it out for a pull request, a terminal or
 * a program.
 */
import path from 'node:path';
import type { Agent, Workflow } from '../workflow/index.js';
import { agentRenames, grantKey, grants, workflowRenames, type Grant } from './access.js';
import { isManifestFile, manifestObjects, manifestTree, type ManifestObject } from './manifest-objects.js';
import { compareKeyFiles, type KeyChanges, type KeyFiles } from './key-changes.js';
import { accessWords, agentWords, settingWords, workflowWords } from './words.js';
import { cmp } from '../core/order.js';

/** One version of the repository, as the summary needs it. */
export interface DiffSide {
  /** Its checked workflows (those without errors). */
  readonly workflows: readonly Workflow[];
  /** Workflow files with errors in this version (repository paths): compared in neither. */
  readonly invalid?: readonly string[];
  /**
   * Files under `generated/` and `bundles/` by repository path. Files equal in both versions may
   * be left out (a reader that skips identical Git trees does): they count for nothing.
   */
  readonly files: ReadonlyMap<string, string>;
  /** The whole of `keys/` (`*.pem`, `active`) when it differs between the versions; else absent on both sides. */
  readonly keys?: KeyFiles;
}

/**
 * Files of the head's generated trees that this change touches and that are not what the head's
 * specs and keys generate: a hand edit, or trees committed without their specs. The access
 * summary reads the specs, so these files enforce something it does not describe.
 */
export interface GeneratedCheck {
  /** False when the head's specs or keys have errors: nothing could be compared. */
  readonly checked: boolean;
  readonly reason?: string;
  readonly files: readonly { readonly path: string; readonly problem: 'differs' | 'not-generated' | 'missing' }[];
}

export type AccessChangeKind = 'added' | 'removed' | 'condition' | 'path';

export interface AccessChange {
  readonly kind: AccessChangeKind;
  readonly from: string;
  readonly to: string;
  /** Sorted. */
  readonly methods: readonly string[];
  readonly path: string;
  /** `path` changes: the path the grant had. */
  readonly previousPath?: string;
  /** When it holds (in the head version; in the base version for `removed`); null: always. */
  readonly condition: string | null;
  /** `condition` changes: when it held before; null: always. */
  readonly previousCondition?: string | null;
  /** The condition as written in the spec, when deciding the caller's attributes simplified it. */
  readonly written?: string;
  /** The change in plain words. */
  readonly text: string;
}

export type AgentChangeKind = 'added' | 'removed' | 'renamed' | 'moved' | 'attributes' | 'image' | 'port';

export interface AgentChange {
  readonly kind: AgentChangeKind;
  /** The head name (the base name for `removed`). */
  readonly agent: string;
  readonly previousName?: string;
  readonly actor?: string;
  readonly cluster?: string;
  /** `moved`, `image`, `port`: before and after, as words. */
  readonly before?: string;
  readonly after?: string;
  /** `renamed`: the identity the mesh gives it now. */
  readonly principal?: string;
  /** `attributes`: each attribute that changed; absent values are missing attributes. */
  readonly attributes?: readonly { readonly name: string; readonly before?: string | number | boolean; readonly after?: string | number | boolean }[];
  readonly text: string;
}

export interface SettingChange {
  readonly setting: 'owner' | 'timezone' | 'trustDomain';
  readonly before: string;
  readonly after: string;
  readonly text: string;
}

export interface WorkflowChange {
  /** The head name (the base name when removed). */
  readonly workflow: string;
  readonly status: 'added' | 'removed' | 'renamed' | 'changed';
  readonly previousName?: string;
  readonly text?: string;
  readonly settings: readonly SettingChange[];
  readonly agents: readonly AgentChange[];
  /** Added first, then changed paths and conditions, then removed; by caller, callee and path within each. */
  readonly access: readonly AccessChange[];
}

export interface ObjectChange {
  readonly change: 'added' | 'changed' | 'removed';
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
  /** The file holding it (in the head version; in the base version when removed). */
  readonly file: string;
}

export interface ManifestTreeChange {
  /** Under `generated/`: `clusters/<cluster>`, `argocd/<cluster>`, `flux/<cluster>`, … */
  readonly tree: string;
  readonly cluster?: string;
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
  readonly objects: readonly ObjectChange[];
}

export interface BundleChange {
  readonly workflow: string;
  readonly agent: string;
  readonly status: 'added' | 'changed' | 'removed';
  /** The files of `bundles/<workflow>/<agent>/` that differ. */
  readonly files: readonly string[];
}

export interface ChangeSummary {
  /** Only workflows with a change. */
  readonly workflows: readonly WorkflowChange[];
  /** Only trees with a change, by tree. */
  readonly manifests: readonly ManifestTreeChange[];
  /** By workflow and agent. */
  readonly bundles: readonly BundleChange[];
  /** Workflow files with errors in either version, left out of the comparison. */
  readonly notCompared: readonly string[];
  /** The bundle verification keys, when they changed. */
  readonly keys?: KeyChanges;
  /** Whether the changed generated files are what the head's specs generate (when it was checked). */
  readonly generated?: GeneratedCheck;
  readonly counts: {
    readonly access: { readonly added: number; readonly changed: number; readonly removed: number };
    readonly objects: { readonly added: number; readonly changed: number; readonly removed: number };
    readonly bundles: number;
  };
}


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
  return { workflows, manifests, bundles, notCompared, ...(keys ? { keys } : {}), counts: { access, objects, bundles: bundles.length } };
}

/** Nothing to say: no access, key, manifest or bundle change, and nothing left unchecked. */
export function isEmpty(summary: ChangeSummary): boolean {
  return summary.workflows.length === 0 && summary.manifests.length === 0 && summary.bundles.length === 0 && summary.notCompared.length === 0
    && !summary.keys && !summary.generated?.files.length && summary.generated?.checked !== false;
}


function compareWorkflows(base: readonly Workflow[], head: readonly Workflow[]): WorkflowChange[] {
  const renames = workflowRenames(base, head);
  const byName = new Map(head.map((w) => [w.name, w]));
  const matched = new Set<string>();
  const out: WorkflowChange[] = [];
  for (const b of base) {
    const headName = byName.has(b.name) ? b.name : renames.get(b.name);
    const h = headName === undefined ? undefined : byName.get(headName);
    if (!h) {
      out.push(compareWorkflow(b, undefined));
      continue;
    }
    matched.add(h.name);
    // Same spec, same everything: no need to work out its grants.
    if (JSON.stringify({ ...b, file: '' }) === JSON.stringify({ ...h, file: '' })) continue;
    const change = compareWorkflow(b, h);
    if (change.status !== 'changed' || change.settings.length || change.agents.length || change.access.length) out.push(change);
  }
  for (const h of head) if (!matched.has(h.name)) out.push(compareWorkflow(undefined, h));
  return out.sort((a, b) => cmp(a.workflow, b.workflow));
}

const clusterOf = (w: Workflow, a: Agent) => w.actors.find((x) => x.name === a.actor)?.cluster.name ?? '';

function compareWorkflow(b: Workflow | undefined, h: Workflow | undefined): WorkflowChange {
  const renames = b && h ? agentRenames(b, h) : new Map<string, string>();
  const rename = (n: string) => renames.get(n) ?? n;
  const status = !b ? 'added' : !h ? 'removed' : b.name !== h.name ? 'renamed' : 'changed';
  const name = (h ?? b)!.name;
  const settings: SettingChange[] = [];
  if (b && h) {
    for (const setting of ['owner', 'timezone', 'trustDomain'] as const) {
      if (b[setting] !== h[setting]) settings.push({ setting, before: b[setting], after: h[setting], text: settingWords(setting, b[setting], h[setting]) });
    }
  }
  const agents = compareAgents(b, h, renames);
  const access = compareAccess(b ? remapGrants(grants(b), rename) : new Map(), h ? grants(h) : new Map());
  const change: Omit<WorkflowChange, 'text'> = {
    workflow: name,
    status,
    ...(status === 'renamed' ? { previousName: b!.name } : {}),
    settings,
    agents,
    access,
  };
  const text = workflowWords(change, (b ?? h)!);
  return { ...change, ...(text ? { text } : {}) };
}

function remapGrants(map: Map<string, Grant>, rename: (n: string) => string): Map<string, Grant> {
  const out = new Map<string, Grant>();
  for (const g of map.values()) {
    const r = { ...g, from: rename(g.from), to: rename(g.to) };
    out.set(grantKey(r), r);
  }
  return out;
}

function compareAgents(b: Workflow | undefined, h: Workflow | undefined, renames: ReadonlyMap<string, string>): AgentChange[] {
  const out: Omit<AgentChange, 'text'>[] = [];
  const headAgents = new Map((h?.agents ?? []).map((a) => [a.name, a]));
  const seen = new Set<string>();
  // A workflow added or removed whole says so once; its agents are not listed one by one.
  if (b && h) {
    for (const ba of b.agents) {
      const name = renames.get(ba.name) ?? ba.name;
      const ha = headAgents.get(name);
      if (!ha) {
        out.push({ kind: 'removed', agent: ba.name, actor: ba.actor, cluster: clusterOf(b, ba) });
        continue;
      }
      seen.add(name);
      if (name !== ba.name) out.push({ kind: 'renamed', agent: name, previousName: ba.name, principal: ha.principal });
      const where = (w: Workflow, a: Agent) => `actor ${a.actor} (cluster ${clusterOf(w, a)})`;
      if (where(b, ba) !== where(h, ha)) out.push({ kind: 'moved', agent: name, before: where(b, ba), after: where(h, ha), actor: ha.actor, cluster: clusterOf(h, ha) });
      const attributes = [...new Set([...Object.keys(ba.attributes), ...Object.keys(ha.attributes)])].sort(cmp)
        .filter((k) => ba.attributes[k] !== ha.attributes[k])
        .map((k) => ({ name: k, ...(k in ba.attributes ? { before: ba.attributes[k]! } : {}), ...(k in ha.attributes ? { after: ha.attributes[k]! } : {}) }));
      if (attributes.length) out.push({ kind: 'attributes', agent: name, attributes });
      if (ba.image !== ha.image) out.push({ kind: 'image', agent: name, before: ba.image, after: ha.image });
      if (ba.port !== ha.port) out.push({ kind: 'port', agent: name, before: String(ba.port), after: String(ha.port) });
    }
    for (const ha of h.agents) {
      if (!seen.has(ha.name)) out.push({ kind: 'added', agent: ha.name, actor: ha.actor, cluster: clusterOf(h, ha), after: ha.image });
    }
  }
  const order: Record<AgentChangeKind, number> = { renamed: 0, added: 1, removed: 2, moved: 3, attributes: 4, image: 5, port: 6 };
  return out
    .sort((x, y) => order[x.kind] - order[y.kind] || cmp(x.agent, y.agent))
    .map((c) => ({ ...c, text: agentWords(c) }));
}

function compareAccess(base: ReadonlyMap<string, Grant>, head: ReadonlyMap<string, Grant>): AccessChange[] {
  type One = Omit<AccessChange, 'methods' | 'text'> & { method: string };
  const removed: Grant[] = [];
  const added: Grant[] = [];
  const changes: One[] = [];
  for (const [key, g] of base) {
    const n = head.get(key);
    if (!n) removed.push(g);
    else if ((g.condition ?? null) !== (n.condition ?? null)) {
      changes.push({ kind: 'condition', from: n.from, to: n.to, method: n.method, path: n.path, condition: n.condition ?? null, previousCondition: g.condition ?? null, ...(n.written ? { written: n.written } : {}) });
    }
  }
  for (const [key, g] of head) if (!base.has(key)) added.push(g);
  // A grant that only moved to another path, same caller, callee, method and condition, reads as
  // a path change rather than one grant gone and another come.
  const unpaired: Grant[] = [];
  for (const r of removed.sort(byGrant)) {
    const i = added.sort(byGrant).findIndex((a) => a.from === r.from && a.to === r.to && a.method === r.method && (a.condition ?? null) === (r.condition ?? null));
    if (i < 0) {
      unpaired.push(r);
      continue;
    }
    const a = added.splice(i, 1)[0]!;
    changes.push({ kind: 'path', from: a.from, to: a.to, method: a.method, path: a.path, previousPath: r.path, condition: a.condition ?? null, ...(a.written ? { written: a.written } : {}) });
  }
  for (const a of added) changes.push({ kind: 'added', from: a.from, to: a.to, method: a.method, path: a.path, condition: a.condition ?? null, ...(a.written ? { written: a.written } : {}) });
  for (const r of unpaired) changes.push({ kind: 'removed', from: r.from, to: r.to, method: r.method, path: r.path, condition: r.condition ?? null, ...(r.written ? { written: r.written } : {}) });
  // One line per grant whatever its number of methods: "may now GET and POST /x to y".
  const groups = new Map<string, Omit<AccessChange, 'text'> & { methods: string[] }>();
  for (const c of changes) {
    const { method, ...rest } = c;
    const key = JSON.stringify([rest.kind, rest.from, rest.to, rest.path, rest.previousPath ?? null, rest.condition, rest.previousCondition ?? null, rest.written ?? null]);
    const g = groups.get(key);
    if (g) g.methods.push(method);
    else groups.set(key, { ...rest, methods: [method] });
  }
  const order: Record<AccessChangeKind, number> = { added: 0, path: 1, condition: 2, removed: 3 };
  return [...groups.values()]
    .map((g) => ({
      kind: g.kind, from: g.from, to: g.to, methods: g.methods.sort(cmp), path: g.path,
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

function changedPaths(base: ReadonlyMap<string, string>, head: ReadonlyMap<string, string>, keep: (path: string) => boolean): string[] {
  const out = new Set<string>();
  for (const [p, text] of base) if (keep(p) && head.get(p) !== text) out.add(p);
  for (const [p, text] of head) if (keep(p) && base.get(p) !== text) out.add(p);
  return [...out].sort(cmp);
}

function compareManifests(base: ReadonlyMap<string, string>, head: ReadonlyMap<string, string>): ManifestTreeChange[] {
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
      change, kind: o.kind, ...(o.namespace !== undefined ? { namespace: o.namespace } : {}), ...(o.name !== undefined ? { name: o.name } : {}), file: o.file,
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

function compareBundles(base: ReadonlyMap<string, string>, head: ReadonlyMap<string, string>): BundleChange[] {
  const paths = changedPaths(base, head, (p) => /^bundles\/[^/]+\/[^/]+\/./.test(p));
  const groups = new Map<string, string[]>();
  for (const p of paths) {
    const [, workflow, agent] = p.split('/');
    const key = `${workflow}/${agent}`;
    groups.set(key, [...(groups.get(key) ?? []), p.split('/').slice(3).join('/')]);
  }
  const present = (files: ReadonlyMap<string, string>, prefix: string) => [...files.keys()].some((p) => p.startsWith(prefix));
  return [...groups].sort(([a], [b]) => cmp(a, b)).map(([key, files]) => {
    const [workflow, agent] = key.split('/') as [string, string];
    const prefix = `bundles/${key}/`;
    // Files equal on both sides may have been left out, so "added" needs the base to hold none
    // of the changed files and the head all of them (and the reverse for "removed").
    const inBase = files.some((f) => base.has(prefix + f));
    const inHead = files.some((f) => head.has(prefix + f));
    const status = !inBase && inHead && !present(base, prefix) && files.every((f) => head.has(prefix + f)) ? 'added'
      : inBase && !inHead && !present(head, prefix) && files.every((f) => base.has(prefix + f)) ? 'removed' : 'changed';
    return { workflow, agent, status, files };
  });
}
