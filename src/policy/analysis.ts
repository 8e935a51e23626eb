/**
 * What a reviewer should look at beyond validity: where the owner's data can and cannot go.
 * Edges follow the data, not the requests (workflow/direction.ts): a GET flow from A to B moves
 * B's data to A. Where data can reach and return counts every way a flow moves data (requests and
 * responses); loops and exposure count each flow in the way it is for (`mainDirection`).
 * Conditional flows are included: they can be taken.
 */
import type { DiagnosticCode, Workflow } from '../workflow/index.js';
import { dataEdges, DiagnosticCodes, mainDirection } from '../workflow/index.js';

export interface Finding {
  readonly code: DiagnosticCode;
  /** Where in the spec it is best shown. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly hint?: string;
  /** The agents or actors it is about, by name: what a picture marks (messages are for people). */
  readonly subjects: readonly string[];
}

export function analyseWorkflow(workflow: Workflow): Finding[] {
  const findings: Finding[] = [];
  const agentPath = (name: string) => {
    const agent = workflow.agents.find((a) => a.name === name)!;
    return ['spec', 'actors', agent.actor, 'agents', name];
  };
  const ownerAgents = new Set(workflow.agents.filter((a) => a.actor === workflow.owner).map((a) => a.name));
  // Data edges: source -> agents its data can go to, in requests or responses.
  const next = new Map<string, Set<string>>();
  const prev = new Map<string, Set<string>>();
  const add = (edges: Map<string, Set<string>>, a: string, b: string) => {
    if (!edges.has(a)) edges.set(a, new Set());
    edges.get(a)!.add(b);
  };
  const inFlows = new Set<string>();
  const main = new Map<string, Set<string>>();
  for (const f of workflow.flows) {
    inFlows.add(f.from).add(f.to);
    for (const e of dataEdges(f)) {
      add(next, e.source, e.target);
      add(prev, e.target, e.source);
    }
    const m = mainDirection(f);
    add(main, m.source, m.target);
  }
  const reached = reach(ownerAgents, next);
  const returns = reach(ownerAgents, prev);
  for (const agent of workflow.agents) {
    if (ownerAgents.has(agent.name)) continue;
    const hasFlows = inFlows.has(agent.name);
    if (!hasFlows) {
      findings.push({
        code: DiagnosticCodes.isolatedAgent,
        path: agentPath(agent.name),
        message: `agent "${agent.name}" is in no flow: it can neither receive nor send anything`,
        hint: 'add its flows, or remove the agent',
        subjects: [agent.name],
      });
      continue;
    }
    if (!reached.has(agent.name)) {
      findings.push({
        code: DiagnosticCodes.unreachableAgent,
        path: agentPath(agent.name),
        message: `agent "${agent.name}" cannot be reached from the owner "${workflow.owner}": no chain of flows brings it the owner's data`,
        hint: 'add a flow that feeds it, or remove it',
        subjects: [agent.name],
      });
    }
    if (!returns.has(agent.name)) {
      findings.push({
        code: DiagnosticCodes.noReturnToOwner,
        path: agentPath(agent.name),
        message: `data at agent "${agent.name}" never returns to the owner "${workflow.owner}": no chain of flows leads back`,
        hint: 'add the flow that delivers its results, or confirm that the data is meant to end there',
        subjects: [agent.name],
      });
    }
  }
  for (const cycle of contractorCycles(workflow, ownerAgents, main)) {
    const first = workflow.flows.find((f) => cycle.includes(f.from) && cycle.includes(f.to))!;
    findings.push({
      code: DiagnosticCodes.cycle,
      path: ['spec', 'flows', first.index],
      message: `data can circulate among ${cycle.map((a) => `"${a}"`).join(', ')} without passing the owner`,
      hint: "make sure the loop is intended: each pass is a fresh copy of the owner's data at contractors",
      subjects: cycle,
    });
  }
  findings.push(...biExposure(workflow));
  return findings;
}

function reach(start: Set<string>, edges: Map<string, Set<string>>): Set<string> {
  const seen = new Set(start);
  const queue = [...start];
  while (queue.length) {
    for (const n of edges.get(queue.shift()!) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}

/** Strongly connected sets of two or more contractor agents (Tarjan), in a stable order. */
function contractorCycles(workflow: Workflow, ownerAgents: Set<string>, next: Map<string, Set<string>>): string[][] {
  const nodes = workflow.agents.map((a) => a.name).filter((n) => !ownerAgents.has(n));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of [...(next.get(v) ?? [])].sort()) {
      if (ownerAgents.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return out.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/**
 * A contractor whose every input comes from, and every output goes to, one same other
 * contractor: that one sees both sides of its work and can infer its process (business
 * intelligence). The owner is left out: it commissioned the work and knows what it asked for.
 */
function biExposure(workflow: Workflow): Finding[] {
  const actorOf = new Map(workflow.agents.map((a) => [a.name, a.actor]));
  const findings: Finding[] = [];
  for (const actor of workflow.actors) {
    if (actor.name === workflow.owner) continue;
    const inputs = new Set<string>();
    const outputs = new Set<string>();
    for (const f of workflow.flows) {
      const m = mainDirection(f);
      const from = actorOf.get(m.source)!;
      const to = actorOf.get(m.target)!;
      if (to === actor.name && from !== actor.name) inputs.add(from);
      if (from === actor.name && to !== actor.name) outputs.add(to);
    }
    const [only] = inputs;
    if (inputs.size === 1 && outputs.size === 1 && outputs.has(only!) && only !== workflow.owner) {
      findings.push({
        code: DiagnosticCodes.businessIntelligenceExposure,
        path: ['spec', 'actors', actor.name],
        message: `every input of contractor "${actor.name}" comes from, and every output goes to, contractor "${only}", which can infer what "${actor.name}" does`,
        hint: `route its input or its output through the owner or another actor if "${actor.name}" must keep its process private`,
        subjects: [actor.name, only!],
      });
    }
  }
  return findings;
}
