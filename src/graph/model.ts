/**
 * The workflow as a graph, before any drawing syntax: boxes (clusters, organisations) holding
 * agents, one arrow per flow, and what the reviewer's analysis found, attached to what it is
 * about. Every text here is data: the renderers escape it, none of it is markup.
 *
 * Identifiers are positions (`a3`, `f7`), never names, so no name can become drawing syntax and
 * the same spec always gives the same picture.
 */
import { cmp } from '../core/order.js';
import { accessMatrix, analyseWorkflow, decide, probePath, type Finding } from '../policy/index.js';
import type { Agent, Flow, Workflow } from '../workflow/index.js';
import { conditionLines, SYMBOLS } from './conditions.js';

/**
 * Without an instant: `always` (no condition, or one the source's attributes always meet),
 * `conditional` (a time window or period decides), `never` (the source's attributes never meet it).
 * At an instant: `open` or `closed`.
 */
export type FlowState = 'always' | 'conditional' | 'never' | 'open' | 'closed';

export interface GraphAgent {
  readonly id: string;
  readonly name: string;
  readonly warnings: readonly string[];
}

export interface GraphBox {
  readonly id: string;
  readonly kind: 'cluster' | 'actor';
  /** The title, one line each: the first is the name. */
  readonly lines: readonly string[];
  /** The owner's organisation, or the cluster that holds it. */
  readonly owner: boolean;
  readonly warning: boolean;
  readonly boxes: readonly GraphBox[];
  readonly agents: readonly GraphAgent[];
}

export interface GraphFlow {
  readonly id: string;
  /** Position in `spec.flows`. */
  readonly index: number;
  readonly from: string;
  readonly to: string;
  /** The ids of its agents. */
  readonly source: string;
  readonly target: string;
  /** Methods and path, then conditions, then warnings. */
  readonly lines: readonly string[];
  readonly state: FlowState;
  readonly warning: boolean;
  /** Whether it returns data to the owner's organisation: drawn back to the start, not laid out forward. */
  readonly toOwner: boolean;
}

export interface WorkflowGraph {
  readonly workflow: string;
  readonly title: string;
  readonly boxes: readonly GraphBox[];
  readonly flows: readonly GraphFlow[];
}

export interface GraphOptions {
  /** Grey out what is closed at this instant: the text as given (shown in the title) and its nanoseconds. */
  readonly at?: { readonly text: string; readonly ns: bigint };
}

/** Short words for the pictures; the full sentences are `custody check`'s. */
const AGENT_WARNING: Readonly<Partial<Record<Finding['code'], string>>> = {
  'unreachable-agent': 'unreachable from the owner',
  'no-return-to-owner': 'data never returns to the owner',
  'isolated-agent': 'in no flow',
};

export function workflowGraph(workflow: Workflow, options: GraphOptions = {}): WorkflowGraph {
  const findings = analyseWorkflow(workflow);
  const agentId = new Map(workflow.agents.map((a, i) => [a.name, `a${i}`]));
  const agentWarnings = new Map<string, string[]>();
  const cycles: Set<string>[] = [];
  const actorWarnings = new Map<string, string[]>();
  for (const f of findings) {
    const words = AGENT_WARNING[f.code];
    if (words !== undefined) push(agentWarnings, f.subjects[0]!, `${SYMBOLS.warning} ${words}`);
    else if (f.code === 'cycle') cycles.push(new Set(f.subjects));
    else if (f.code === 'bi-exposure') push(actorWarnings, f.subjects[0]!, `${SYMBOLS.warning} its process is visible to ${f.subjects[1]}`);
  }
  const agent = (a: Agent): GraphAgent => ({ id: agentId.get(a.name)!, name: visible(a.name), warnings: (agentWarnings.get(a.name) ?? []).map(visible) });
  const agentsOf = (actor: string) => workflow.agents.filter((a) => a.actor === actor).map(agent);

  const clusters = new Map<string, Workflow['actors'][number][]>();
  for (const actor of workflow.actors) push(clusters, actor.cluster.name, actor);
  const boxes: GraphBox[] = [];
  let boxCount = 0;
  // The owner's cluster first: Graphviz lays out from the first nodes, so the data starts on the left.
  const holdsOwner = (actors: readonly { name: string }[]) => (actors.some((a) => a.name === workflow.owner) ? 0 : 1);
  for (const [name, actors] of [...clusters].sort(([a, x], [b, y]) => holdsOwner(x) - holdsOwner(y) || cmp(a, b))) {
    const region = actors[0]!.cluster.region;
    const where = `cluster ${name}${region === undefined ? '' : ` · ${region}`}`;
    const actorBox = (actor: Workflow['actors'][number], extra: string[]): GraphBox => {
      const warnings = actorWarnings.get(actor.name) ?? [];
      const owner = actor.name === workflow.owner;
      return {
        id: `b${boxCount++}`,
        kind: 'actor',
        lines: [`${actor.name}${owner ? ` ${SYMBOLS.owner} owner` : ''}`, ...extra, ...warnings].map(visible),
        owner,
        warning: warnings.length > 0,
        boxes: [],
        agents: agentsOf(actor.name),
      };
    };
    if (actors.length === 1) {
      boxes.push(actorBox(actors[0]!, [where]));
      continue;
    }
    // Organisations sharing a cluster share its administrators and its mesh: a reviewer must see it.
    const id = `b${boxCount++}`;
    boxes.push({
      id,
      kind: 'cluster',
      lines: [where, `${SYMBOLS.warning} shared by ${actors.map((a) => a.name).join(', ')}`].map(visible),
      owner: actors.some((a) => a.name === workflow.owner),
      warning: true,
      boxes: actors.map((a) => actorBox(a, [])),
      agents: [],
    });
  }

  const ownerAgents = new Set(workflow.agents.filter((a) => a.actor === workflow.owner).map((a) => a.name));
  const flows = workflow.flows.map((flow): GraphFlow => {
    const inCycle = cycles.some((c) => c.has(flow.from) && c.has(flow.to));
    const state = options.at ? stateAt(workflow, flow, options.at.ns) : effectiveState(workflow, flow);
    const lines = [`${flow.methods.join(' ')} ${flow.path}`, ...conditionLines(flow)];
    if (state === 'never') lines.push(`${SYMBOLS.warning} never holds for ${flow.from}`);
    if (inCycle) lines.push(`${SYMBOLS.cycle} cycle among contractors`);
    return {
      id: `f${flow.index}`,
      index: flow.index,
      from: visible(flow.from),
      to: visible(flow.to),
      source: agentId.get(flow.from)!,
      target: agentId.get(flow.to)!,
      lines: lines.map(visible),
      state,
      warning: inCycle || state === 'never',
      toOwner: ownerAgents.has(flow.to),
    };
  });

  const title = [`${workflow.name}`, `owner ${workflow.owner}`, `times in ${workflow.timezone}`, ...(options.at ? [`at ${options.at.text}`] : [])].join(' · ');
  return { workflow: workflow.name, title: visible(title), boxes, flows };
}

/** What the access matrix makes of the flow alone, attributes decided from its source. */
function effectiveState(workflow: Workflow, flow: Flow): FlowState {
  const agents = workflow.agents.filter((a) => a.name === flow.from || a.name === flow.to);
  const cells = accessMatrix({ ...workflow, agents, flows: [flow] }).cells.filter((c) => c.from === flow.from && flow.methods.includes(c.method));
  if (cells.some((c) => c.decision === 'allow')) return 'always';
  return cells.some((c) => c.decision === 'conditional') ? 'conditional' : 'never';
}

/** Whether the evaluator lets the flow alone through at the instant (another flow may open the same pair). */
function stateAt(workflow: Workflow, flow: Flow, atNs: bigint): FlowState {
  const principal = workflow.agents.find((a) => a.name === flow.from)!.principal;
  const only = { ...workflow, flows: [flow] };
  const path = probePath(flow.path);
  return flow.methods.some((method) => decide(only, { principal, to: flow.to, method, path }, atNs)) ? 'open' : 'closed';
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Control characters become their visible pictures (U+2400 block) and lone surrogates U+FFFD:
 * a name with a line break must not break a line of the drawing, and SVG (XML) cannot carry them.
 */
export function visible(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd').replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 ? String.fromCharCode(0x2400 + code) : code === 0x7f ? '\u2421' : '\ufffd';
  });
}
