/** One workflow to one picture format, and the committed pictures of a set of workflows. */
import { cmp } from '../core/order.js';
import type { Workflow } from '../workflow/index.js';
import { toDot } from './dot.js';
import { toMermaid } from './mermaid.js';
import { workflowGraph, type GraphOptions } from './model.js';
import { dotToSvg } from './svg.js';

export const GRAPH_FORMATS = ['mermaid', 'dot', 'svg'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export async function renderGraph(workflow: Workflow, format: GraphFormat, options: GraphOptions = {}): Promise<string> {
  const graph = workflowGraph(workflow, options);
  if (format === 'mermaid') return toMermaid(graph);
  const dot = toDot(graph);
  return format === 'dot' ? dot : dotToSvg(dot);
}

/** `<workflow>.svg` for each workflow, in name order: what the documentation shows. */
export async function pictures(workflows: readonly Workflow[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const w of [...workflows].sort((a, b) => cmp(a.name, b.name))) out.set(`${w.name}.svg`, await renderGraph(w, 'svg'));
  return out;
}
