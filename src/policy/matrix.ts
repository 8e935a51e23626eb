/**
 * The access matrix of the seed paper: every (source agent, destination agent, method) triple,
 * N(N−1)M of them, M being the methods the workflow names plus GET, with its decision.
 */
import { attributeHolds, parsePathPattern, shortestMatch, type Condition, type Flow, type Workflow } from '../workflow/index.js';
import { decide } from './evaluate.js';
import { flowConditionInWords } from './words.js';

export type Decision = 'allow' | 'conditional' | 'deny';

export interface MatrixRule {
  readonly flow: number;
  readonly path: string;
  /** What must hold beyond the source, destination, method and path, in words; absent when nothing. */
  readonly condition?: string;
  /**
   * The flow's `when:` as written, when what is known of the source (its attributes) simplified
   * it; without the dates, which `condition` already states.
   */
  readonly written?: string;
}

export interface MatrixCell {
  readonly from: string;
  readonly to: string;
  readonly method: string;
  readonly decision: Decision;
  /** The flows that allow it, on which paths and when. Empty for deny. */
  readonly rules: readonly MatrixRule[];
}

export interface AccessMatrix {
  readonly workflow: string;
  readonly agents: readonly string[];
  readonly methods: readonly string[];
  readonly cells: readonly MatrixCell[];
  readonly counts: Readonly<Record<Decision, number>>;
}

export function matrixMethods(workflow: Workflow): string[] {
  return [...new Set(['GET', ...workflow.flows.flatMap((f) => f.methods)])].sort();
}

/** How many triples the matrix of a workflow has: N(N-1)M. */
export function matrixSize(workflow: Workflow): number {
  const n = workflow.agents.length;
  return n * (n - 1) * matrixMethods(workflow).length;
}

export function accessMatrix(workflow: Workflow): AccessMatrix {
  const agents = workflow.agents.map((a) => a.name);
  const methods = matrixMethods(workflow);
  const cells: MatrixCell[] = [];
  const counts = { allow: 0, conditional: 0, deny: 0 };
  // Flows by pair, once: scanning every flow for every cell made large workflows quadratic twice over.
  const byPair = new Map<string, Flow[]>();
  for (const f of workflow.flows) {
    const key = `${f.from}\n${f.to}`;
    const list = byPair.get(key);
    if (list) list.push(f);
    else byPair.set(key, [f]);
  }
  for (const from of agents) {
    for (const to of agents) {
      if (from === to) continue;
      const pair = byPair.get(`${from}\n${to}`) ?? [];
      for (const method of methods) {
        const rules = pair.filter((f) => f.methods.includes(method)).flatMap((f) => matrixRule(workflow, f));
        const decision: Decision = rules.length === 0 ? 'deny' : rules.some((r) => r.condition === undefined) ? 'allow' : 'conditional';
        counts[decision]++;
        cells.push({ from, to, method, decision, rules });
      }
    }
  }
  return { workflow: workflow.name, agents, methods, cells, counts };
}

/**
 * A flow's rule as it stands for its own source: attribute tests are decided from the spec
 * (an agent's attributes are known), so only time remains conditional. Empty if it never holds.
 */
function matrixRule(workflow: Workflow, flow: Flow): MatrixRule[] {
  // Only the `when:` part is ever simplified (its attribute tests decided); the dates (`notBefore`,
  // `until`) stand in the condition as written, so the "as written" text leaves them out rather
  // than repeat them.
  const written = flowConditionInWords({ when: flow.when }, workflow.timezone);
  const attributes = workflow.agents.find((a) => a.name === flow.from)?.attributes ?? {};
  let when: Condition[] | undefined;
  if (flow.when) {
    when = [];
    for (const c of flow.when) {
      if (!attributeHolds(c, attributes)) continue;
      if (c.hours && c.hours.from === c.hours.to) continue;
      // The attribute test is decided; only time is left. 00:00–24:00 is the whole day: no condition at all.
      const hours = c.hours && !(c.hours.from === '00:00' && c.hours.to === '24:00') ? c.hours : undefined;
      when.push({ ...(c.days ? { days: c.days } : {}), ...(hours ? { hours } : {}) });
    }
    if (when.length === 0) return [];
    if (when.some((c) => !c.hours && !c.days)) when = undefined;
  }
  const condition = flowConditionInWords({ ...flow, ...(when ? { when } : { when: undefined }) }, workflow.timezone);
  const decided = flowConditionInWords({ when }, workflow.timezone);
  return [
    {
      flow: flow.index,
      path: flow.path,
      ...(condition !== undefined ? { condition } : {}),
      ...(written !== undefined && written !== decided ? { written } : {}),
    },
  ];
}

/** The matrix resolved at one instant: every conditional cell becomes allow or deny. */
export function matrixAt(workflow: Workflow, matrix: AccessMatrix, atNs: bigint): MatrixCell[] {
  const principal = new Map(workflow.agents.map((a) => [a.name, a.principal]));
  return matrix.cells.map((cell) => {
    if (cell.decision !== 'conditional') return cell;
    const open = cell.rules.filter((r) =>
      decide(workflow, { principal: principal.get(cell.from)!, to: cell.to, method: cell.method, path: probePath(r.path) }, atNs),
    );
    return { ...cell, decision: open.length ? 'allow' : 'deny', rules: open };
  });
}

/** A concrete request path that a flow path pattern (as a matrix rule holds it) matches. */
export function probePath(pattern: string): string {
  return shortestMatch(parsePathPattern(pattern));
}
