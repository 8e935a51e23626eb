/**
 * The graph in Graphviz's DOT language, laid out left to right. Identifiers are the model's
 * positional ids and every text is an HTML-like label whose data is XML-escaped (`&`, `<`, `>`,
 * quotes): a name cannot end the label, add an attribute or a statement, and the SVG Graphviz
 * writes from it stays well-formed.
 */
import { COLOURS } from './mermaid.js';
import type { GraphBox, WorkflowGraph } from './model.js';

const FONT = 'Helvetica';

export function dotText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Lines as one HTML-like label, the first in bold when asked. */
function label(lines: readonly string[], boldFirst = false): string {
  return `<${lines.map((l, i) => (i === 0 && boldFirst ? `<B>${dotText(l)}</B>` : dotText(l))).join('<BR/>')}>`;
}

export function toDot(graph: WorkflowGraph): string {
  const out: string[] = [
    'digraph workflow {',
    `  graph [rankdir=LR, fontname="${FONT}", fontsize=12, labelloc=t, label=${label([graph.title], true)}, nodesep=0.4, ranksep=0.8];`,
    `  node [shape=box, style="rounded,filled", fontname="${FONT}", fontsize=11, color="${COLOURS.ink}", fillcolor="#ffffff"];`,
    `  edge [fontname="${FONT}", fontsize=9, color="${COLOURS.ink}", fontcolor="${COLOURS.ink}"];`,
  ];
  const box = (b: GraphBox, indent: string): void => {
    const stroke = b.warning ? COLOURS.warning : b.owner ? COLOURS.ownerStroke : COLOURS.boxStroke;
    const fill = b.owner && b.kind === 'actor' ? COLOURS.ownerFill : COLOURS.boxFill;
    out.push(`${indent}subgraph cluster_${b.id} {`);
    out.push(
      `${indent}  label=${label(b.lines, true)}; style="rounded,filled"; color="${stroke}"; fillcolor="${fill}"; penwidth=${b.owner || b.warning ? 2 : 1};`,
    );
    for (const inner of b.boxes) box(inner, `${indent}  `);
    for (const a of b.agents) {
      const warn = a.warnings.length ? `, color="${COLOURS.warning}", fillcolor="${COLOURS.warningFill}", penwidth=2` : '';
      out.push(`${indent}  ${a.id} [label=${label([a.name, ...a.warnings], true)}${warn}];`);
    }
    out.push(`${indent}}`);
  };
  for (const b of graph.boxes) box(b, '  ');
  for (const f of graph.flows) {
    const grey = f.state === 'never' || f.state === 'closed';
    const colour = grey ? COLOURS.grey : f.warning ? COLOURS.warning : COLOURS.ink;
    const style = f.state === 'always' || f.state === 'open' ? 'solid' : f.state === 'conditional' ? 'dashed' : 'dotted';
    out.push(
      `  ${f.source} -> ${f.target} [id="${f.id}", label=${label(f.lines)}, style=${style}${f.toOwner ? ', constraint=false' : ''}, color="${colour}", fontcolor="${colour}"];`,
    );
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
