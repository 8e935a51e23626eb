/**
 * The graph as a Mermaid flowchart (what GitHub renders in Markdown): one subgraph per box, one
 * arrow per flow. Every text is written as a quoted label in which only letters, digits and a
 * few harmless punctuation marks stay as they are; everything else is a numeric entity (`#34;`),
 * which Mermaid turns into an HTML character reference, so no name or path can close a quote,
 * start a comment (`%%`), draw an arrow or inject markup.
 */
import type { FlowState, GraphBox, WorkflowGraph } from './model.js';

export const COLOURS = {
  ink: '#1f2937',
  grey: '#9ca3af',
  warning: '#c2410c',
  ownerFill: '#eef6ff',
  ownerStroke: '#1d4ed8',
  boxFill: '#f8fafc',
  boxStroke: '#64748b',
  warningFill: '#fff7ed',
  added: '#15803d',
  removed: '#b91c1c',
  changed: '#d97706',
} as const;

const SAFE = /[A-Za-z0-9 .,:/_=()-]/;

/**
 * Text as a Mermaid label body: safe characters kept, every other one a numeric entity. Mermaid
 * drops the last `;` of any source line where `style` or `classDef` is followed by `:` and `#`
 * (its pre-pass for colour values), which would spoil an entity of the label: their first letter
 * is written as an entity too, so the words never appear.
 */
export function mermaidText(text: string): string {
  let out = '';
  for (const ch of text) out += SAFE.test(ch) ? ch : `#${ch.codePointAt(0)};`;
  return out.replace(/style/g, '#115;tyle').replace(/classDef/g, '#99;lassDef');
}

/** Lines as one quoted label, `<br>` between them (the only markup, never from data). */
export function mermaidLabel(lines: readonly string[]): string {
  return `"${lines.map(mermaidText).join('<br>')}"`;
}

export function arrow(state: FlowState): string {
  return state === 'always' || state === 'open' ? '-->' : '-.->';
}

export function toMermaid(graph: WorkflowGraph): string {
  const out: string[] = ['flowchart LR'];
  const styles: string[] = [];
  const box = (b: GraphBox, indent: string): void => {
    out.push(`${indent}subgraph ${b.id}[${mermaidLabel(b.lines)}]`);
    for (const inner of b.boxes) box(inner, `${indent}  `);
    for (const a of b.agents) {
      out.push(`${indent}  ${a.id}[${mermaidLabel([a.name, ...a.warnings])}]`);
      if (a.warnings.length) styles.push(`  style ${a.id} fill:${COLOURS.warningFill},stroke:${COLOURS.warning},stroke-width:2px`);
    }
    out.push(`${indent}end`);
    const stroke = b.warning ? COLOURS.warning : b.owner ? COLOURS.ownerStroke : COLOURS.boxStroke;
    styles.push(
      `  style ${b.id} fill:${b.owner && b.kind === 'actor' ? COLOURS.ownerFill : COLOURS.boxFill},stroke:${stroke},stroke-width:${b.owner || b.warning ? 2 : 1}px`,
    );
  };
  for (const b of graph.boxes) box(b, '  ');
  const links = new Map<string, number[]>();
  graph.flows.forEach((f, i) => {
    out.push(`  ${f.source} ${arrow(f.state)}|${mermaidLabel(f.lines)}| ${f.target}`);
    const colour = f.state === 'never' || f.state === 'closed' ? COLOURS.grey : f.warning ? COLOURS.warning : COLOURS.ink;
    links.set(colour, [...(links.get(colour) ?? []), i]);
  });
  for (const [colour, indexes] of links) styles.push(linkStyle(indexes, colour));
  return `${[...out, ...styles].join('\n')}\n`;
}

/** Links are styled by their position among the arrows, several at once. */
export function linkStyle(indexes: readonly number[], colour: string): string {
  return `  linkStyle ${indexes.join(',')} stroke:${colour},color:${colour}`;
}
