/**
 * The part of a workflow a change touches, as a Mermaid diagram for a pull request: added flows
 * green, removed red, changed (methods, path, conditions) amber, and as grey context the unchanged
 * flows one hop around them. Agents and flows far from the change are left out, so that a change
 * to a 300-agent workflow still gives a picture one can read.
 */
import { cmp } from '../core/order.js';
import type { Flow, Workflow } from '../workflow/index.js';
import { conditionLines } from './conditions.js';
import { COLOURS, linkStyle, mermaidLabel } from './mermaid.js';
import { visible } from './model.js';

export type FlowChange = 'added' | 'removed' | 'changed' | 'context';

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly change: FlowChange;
  readonly lines: readonly string[];
}

const lines = (f: Flow) => [`${f.methods.join(' ')} ${f.path}`, ...conditionLines(f)];
const same = (a: Flow, b: Flow) => JSON.stringify(lines(a)) === JSON.stringify(lines(b));

/**
 * Flows of base and head paired between the same agents: equal ones first, then those with the
 * same path, then the rest in order. Edges come in head order, the removed ones last.
 */
function pairFlows(base: readonly Flow[], head: readonly Flow[]): Edge[] {
  const left = [...base];
  const paired = new Map<Flow, Flow>();
  for (const match of [same, (a: Flow, b: Flow) => a.path === b.path, () => true]) {
    for (const h of head) {
      if (paired.has(h)) continue;
      const i = left.findIndex((b) => b.from === h.from && b.to === h.to && match(b, h));
      if (i >= 0) paired.set(h, left.splice(i, 1)[0]!);
    }
  }
  const edge = (f: Flow, change: FlowChange, extra: string[] = []): Edge => ({ from: f.from, to: f.to, change, lines: [...lines(f), ...extra] });
  return [
    ...head.map((h) => {
      const b = paired.get(h);
      if (!b) return edge(h, 'added');
      return same(b, h)
        ? edge(h, 'context')
        : edge(
            h,
            'changed',
            lines(b)
              .filter((l) => !lines(h).includes(l))
              .map((l) => `was: ${l}`),
          );
    }),
    ...left.map((b) => edge(b, 'removed')),
  ];
}

const COLOUR: Readonly<Record<FlowChange, string>> = { added: COLOURS.added, removed: COLOURS.removed, changed: COLOURS.changed, context: COLOURS.grey };

/**
 * The diagram, or undefined when no flow and no agent changed. `renamed` maps an agent's base name
 * to its head name: its flows are paired under the new name (a rename is not every flow removed
 * and added again) and the agent is drawn as renamed.
 */
export function changeDiagram(base: Workflow, head: Workflow, renamed: ReadonlyMap<string, string> = new Map()): string | undefined {
  if (renamed.size) {
    const r = (n: string) => renamed.get(n) ?? n;
    base = { ...base, agents: base.agents.map((a) => ({ ...a, name: r(a.name) })), flows: base.flows.map((f) => ({ ...f, from: r(f.from), to: r(f.to) })) };
  }
  const previous = new Map([...renamed].map(([from, to]) => [to, from]));
  const all = pairFlows(base.flows, head.flows);
  const baseAgents = new Map(base.agents.map((a) => [a.name, a.actor]));
  const headAgents = new Map(head.agents.map((a) => [a.name, a.actor]));
  const touched = new Set<string>();
  for (const e of all) if (e.change !== 'context') touched.add(e.from).add(e.to);
  for (const name of new Set([...baseAgents.keys(), ...headAgents.keys()]))
    if (baseAgents.get(name) !== headAgents.get(name) || previous.has(name)) touched.add(name);
  if (touched.size === 0) return undefined;
  const edges = all.filter((e) => e.change !== 'context' || touched.has(e.from) || touched.has(e.to));
  const shown = new Set([...touched, ...edges.flatMap((e) => [e.from, e.to])]);

  const names = [...shown].sort(cmp);
  const id = new Map(names.map((n, i) => [n, `a${i}`]));
  const byActor = new Map<string, string[]>();
  for (const n of names) {
    const actor = headAgents.get(n) ?? baseAgents.get(n)!;
    byActor.set(actor, [...(byActor.get(actor) ?? []), n]);
  }
  const out = ['flowchart LR'];
  const styles: string[] = [];
  [...byActor]
    .sort(([a], [b]) => cmp(a, b))
    .forEach(([actor, agents], i) => {
      const owner = actor === head.owner ? ' ★ owner' : '';
      out.push(`  subgraph b${i}[${mermaidLabel([visible(`${actor}${owner}`)])}]`);
      for (const n of agents) {
        const moved = baseAgents.has(n) && headAgents.has(n) && baseAgents.get(n) !== headAgents.get(n);
        const state = !baseAgents.has(n) ? 'added' : !headAgents.has(n) ? 'removed' : previous.has(n) || moved ? 'changed' : undefined;
        const note = [
          ...(state === 'added' || state === 'removed' ? [state] : []),
          ...(previous.has(n) ? [visible(`renamed from ${previous.get(n)!}`)] : []),
          ...(moved ? [visible(`moved from ${baseAgents.get(n)!}`)] : []),
        ];
        out.push(`    ${id.get(n)}[${mermaidLabel([visible(n), ...note])}]`);
        if (state) styles.push(`  style ${id.get(n)} stroke:${COLOUR[state]},stroke-width:2px`);
      }
      out.push('  end');
    });
  const links = new Map<FlowChange, number[]>();
  edges.forEach((e, i) => {
    out.push(`  ${id.get(e.from)} ${e.change === 'removed' || e.change === 'context' ? '-.->' : '-->'}|${mermaidLabel(e.lines.map(visible))}| ${id.get(e.to)}`);
    links.set(e.change, [...(links.get(e.change) ?? []), i]);
  });
  for (const change of ['added', 'removed', 'changed', 'context'] as const) {
    const indexes = links.get(change);
    if (indexes) styles.push(linkStyle(indexes, COLOUR[change]));
  }
  return `${[...out, ...styles].join('\n')}\n`;
}
