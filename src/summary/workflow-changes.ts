/**
 * How the workflows of two versions correspond (same name, or renamed: `workflowRenames`) and
 * what changed in each: its settings, its agents, and the access it grants, compared after its
 * renamed agents are mapped to their new names, so a rename reads as one and not as every flow
 * removed and added again.
 */
import type { Workflow } from '../workflow/index.js';
import { cmp } from '../core/order.js';
import { changeDiagram } from '../graph/index.js';
import { compareAccess } from './access-changes.js';
import { agentRenames, grantKey, grants, workflowRenames, type Grant } from './access.js';
import { compareAgents } from './agent-changes.js';
import type { Participant, WorkflowChange } from './model.js';
import { compareSettings } from './setting-changes.js';
import { workflowWords } from './words.js';

export function compareWorkflows(base: readonly Workflow[], head: readonly Workflow[]): WorkflowChange[] {
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

function compareWorkflow(b: Workflow | undefined, h: Workflow | undefined): WorkflowChange {
  const renames = b && h ? agentRenames(b, h) : new Map<string, string>();
  const rename = (n: string) => renames.get(n) ?? n;
  const status = !b ? 'added' : !h ? 'removed' : b.name !== h.name ? 'renamed' : 'changed';
  const name = (h ?? b)!.name;
  const settings = compareSettings(b, h);
  const agents = compareAgents(b, h, renames);
  const access = compareAccess(b ? remapGrants(grants(b), rename) : new Map(), h ? grants(h) : new Map());
  const change: Omit<WorkflowChange, 'text'> = {
    workflow: name,
    status,
    ...(status === 'renamed' ? { previousName: b!.name } : {}),
    ...(status === 'added' ? { participants: participants(h!) } : {}),
    settings,
    agents,
    access,
  };
  const text = workflowWords(change, (b ?? h)!);
  // An added (removed) workflow is drawn against an empty one: all of it green (red).
  const none = (w: Workflow): Workflow => ({ ...w, agents: [], flows: [] });
  const diagram = changeDiagram(b ?? none(h!), h ?? none(b!), renames);
  return { ...change, ...(text ? { text } : {}), ...(diagram ? { diagram } : {}) };
}

export function participants(w: Workflow): Participant[] {
  const images = new Map(w.agents.map((a) => [a.name, a.image]));
  return [...w.actors]
    .sort((a, b) => Number(b.name === w.owner) - Number(a.name === w.owner) || cmp(a.name, b.name))
    .map((a) => ({
      actor: a.name,
      owner: a.name === w.owner,
      cluster: a.cluster.name,
      ...(a.cluster.region ? { region: a.cluster.region } : {}),
      agents: [...a.agents].sort(cmp).map((name) => ({ name, image: images.get(name) ?? '' })),
    }));
}

function remapGrants(map: Map<string, Grant>, rename: (n: string) => string): Map<string, Grant> {
  const out = new Map<string, Grant>();
  for (const g of map.values()) {
    const r = { ...g, from: rename(g.from), to: rename(g.to) };
    out.set(grantKey(r), r);
  }
  return out;
}
