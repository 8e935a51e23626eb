/**
 * What a workflow allows, as a set of grants (caller, callee, method, path → when), and how two
 * versions of a workflow correspond (renamed agents). Grants come from the access matrix, so an
 * attribute test is already decided from the spec: a reviewer reads what the sidecars will do,
 * with the condition as written alongside when the two differ.
 */
import path from 'node:path';
import { cmp } from '../core/order.js';
import { accessMatrix } from '../policy/index.js';
import type { Agent, Flow, Workflow } from '../workflow/index.js';

export interface Grant {
  readonly from: string;
  readonly to: string;
  readonly method: string;
  readonly path: string;
  /** What must hold beyond caller, method and path (time only: attributes are decided); absent: always. */
  readonly condition?: string;
  /** The condition as written in the spec, when deciding attributes changed it. */
  readonly written?: string;
}

export const grantKey = (g: Pick<Grant, 'from' | 'to' | 'method' | 'path'>) => `${g.from}\0${g.to}\0${g.method}\0${g.path}`;

/**
 * The workflow's grants by key. Two flows with the same caller, callee, method and path add up:
 * either one's condition suffices, and one without a condition makes the grant unconditional.
 */
export function grants(workflow: Workflow): Map<string, Grant> {
  const collected = new Map<
    string,
    { from: string; to: string; method: string; path: string; always: boolean; conditions: Set<string>; written: Set<string> }
  >();
  const agents = new Map(workflow.agents.map((a) => [a.name, a]));
  // The matrix of each flow on its own (its two agents, its one flow): the same rules as the
  // whole matrix's, without its N(N−1)M cells (a 330-agent workflow has 430,000 of them).
  const cells = workflow.flows.flatMap((flow) => accessMatrix({ ...workflow, agents: [agents.get(flow.from)!, agents.get(flow.to)!], flows: [flow] }).cells);
  for (const cell of cells) {
    for (const rule of cell.rules) {
      const key = grantKey({ ...cell, path: rule.path });
      let g = collected.get(key);
      if (!g)
        collected.set(
          key,
          (g = { from: cell.from, to: cell.to, method: cell.method, path: rule.path, always: false, conditions: new Set(), written: new Set() }),
        );
      if (rule.condition === undefined) g.always = true;
      else g.conditions.add(rule.condition);
      if (rule.written !== undefined) g.written.add(rule.written);
    }
  }
  const out = new Map<string, Grant>();
  for (const [key, g] of collected) {
    const condition = g.always ? undefined : [...g.conditions].sort().join(' or ');
    const written = g.written.size ? [...g.written].sort().join(' or ') : undefined;
    out.set(key, {
      from: g.from,
      to: g.to,
      method: g.method,
      path: g.path,
      ...(condition !== undefined ? { condition } : {}),
      ...(written !== undefined && written !== condition ? { written } : {}),
    });
  }
  return out;
}

/** A flow as seen from one of its agents: the agent itself written `@`, so renamed agents compare equal. */
function flowSignature(flow: Flow, self: string): string {
  const side = (n: string) => (n === self ? '@' : n);
  return JSON.stringify([side(flow.from), side(flow.to), flow.methods, flow.path, flow.when ?? null, flow.notBefore ?? null, flow.until ?? null]);
}

function flowsOf(workflow: Workflow, agent: string): string[] {
  return workflow.flows
    .filter((f) => f.from === agent || f.to === agent)
    .map((f) => flowSignature(f, agent))
    .sort();
}

function sameDefinition(a: Agent, b: Agent, wa: Workflow, wb: Workflow): boolean {
  const cluster = (w: Workflow, agent: Agent) => w.actors.find((x) => x.name === agent.actor)?.cluster.name;
  return (
    a.actor === b.actor &&
    a.image === b.image &&
    a.port === b.port &&
    a.storage === b.storage &&
    cluster(wa, a) === cluster(wb, b) &&
    JSON.stringify(sortedEntries(a.attributes)) === JSON.stringify(sortedEntries(b.attributes))
  );
}

const sortedEntries = (o: Readonly<Record<string, unknown>>) => Object.entries(o).sort(([x], [y]) => cmp(x, y));

function overlap(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const rest = [...b];
  let common = 0;
  for (const s of a) {
    const i = rest.indexOf(s);
    if (i >= 0) {
      common++;
      rest.splice(i, 1);
    }
  }
  return common / (a.length + b.length - common);
}

/**
 * Agents of `base` that reappear in `head` under another name: an agent removed and one added
 * read as a rename when they have the same flows (with the other ends unchanged), or the same
 * definition (actor, cluster, image, port, storage, attributes). Greedy, best match first (same
 * flows, then same definition, then the share of flows in common), each agent used once; ties
 * broken by name for stable output.
 */
export function agentRenames(base: Workflow, head: Workflow): Map<string, string> {
  const headNames = new Set(head.agents.map((a) => a.name));
  const baseNames = new Set(base.agents.map((a) => a.name));
  const removed = base.agents.filter((a) => !headNames.has(a.name));
  const added = head.agents.filter((a) => !baseNames.has(a.name));
  const candidates: { from: string; to: string; score: number }[] = [];
  for (const r of removed) {
    const rf = flowsOf(base, r.name);
    for (const a of added) {
      const af = flowsOf(head, a.name);
      const similarity = overlap(rf, af);
      const sameFlows = rf.length > 0 && similarity === 1;
      const sameDef = sameDefinition(r, a, base, head);
      if (sameFlows || sameDef) candidates.push({ from: r.name, to: a.name, score: (sameFlows ? 2 : 0) + (sameDef ? 1 : 0) + similarity });
    }
  }
  candidates.sort((x, y) => y.score - x.score || cmp(x.from, y.from) || cmp(x.to, y.to));
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const c of candidates) {
    if (out.has(c.from) || taken.has(c.to)) continue;
    out.set(c.from, c.to);
    taken.add(c.to);
  }
  return out;
}

/** The workflow's flows and agents with names mapped (for comparing across a rename). */
function structure(workflow: Workflow, rename: (n: string) => string = (n) => n): string {
  const agents = workflow.agents.map((a) => rename(a.name)).sort();
  const flows = workflow.flows
    .map((f) => JSON.stringify([rename(f.from), rename(f.to), f.methods, f.path, f.when ?? null, f.notBefore ?? null, f.until ?? null]))
    .sort();
  return JSON.stringify([agents, flows]);
}

/**
 * Workflows of `base` that reappear in `head` under another name: the same file, or the same
 * agents and flows.
 */
export function workflowRenames(base: readonly Workflow[], head: readonly Workflow[]): Map<string, string> {
  const headNames = new Set(head.map((w) => w.name));
  const baseNames = new Set(base.map((w) => w.name));
  const removed = base.filter((w) => !headNames.has(w.name));
  const added = head.filter((w) => !baseNames.has(w.name));
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const byFile of [true, false]) {
    for (const r of removed) {
      if (out.has(r.name)) continue;
      const match = added.find(
        (a) => !taken.has(a.name) && (byFile ? path.posix.basename(a.file) === path.posix.basename(r.file) : structure(a) === structure(r)),
      );
      if (match) {
        out.set(r.name, match.name);
        taken.add(match.name);
      }
    }
  }
  return out;
}
