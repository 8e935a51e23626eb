/** The access matrix as the table `custody matrix` prints (and a golden file pins). */
import type { Workflow } from '../workflow/index.js';
import type { AccessMatrix } from './matrix.js';

export function formatMatrix(workflow: Workflow, m: AccessMatrix, at?: string): string {
  const n = m.agents.length;
  const lines: string[] = [];
  lines.push(
    `${m.workflow}: ${n} agents × ${n - 1} peers × ${m.methods.length} methods (${m.methods.join(', ')}) = ${m.cells.length} triples` +
      `${at ? ` at ${at}` : ''}: ${m.counts.allow} allow, ${m.counts.conditional} conditional, ${m.counts.deny} deny`,
  );
  lines.push('');
  const rows: string[][] = [['FROM', 'TO', ...m.methods, 'ALLOWED']];
  // Cells by triple, once: a search per cell made printing quadratic in the matrix's size.
  const byTriple = new Map(m.cells.map((c) => [`${c.from}\n${c.to}\n${c.method}`, c]));
  for (const from of m.agents) {
    for (const to of m.agents) {
      if (from === to) continue;
      const cells = m.methods.map((method) => byTriple.get(`${from}\n${to}\n${method}`)!);
      const allowed = cells.flatMap((c) => c.rules.map((r) => `${c.method} ${r.path}${r.condition ? `: ${r.condition}` : ''}${r.written ? ` [as written: ${r.written}]` : ''}`));
      rows.push([from, to, ...cells.map((c) => (c.decision === 'conditional' ? 'cond' : c.decision)), allowed.join('; ')]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) lines.push(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
  lines.push('');
  const domains = [...new Set(workflow.actors.map((a) => a.cluster.trustDomain))].sort();
  lines.push(`Everything else is denied: other methods, other paths, and callers without an agent's exact mesh identity, spiffe://<trust domain of its cluster>/ns/${workflow.name}/sa/<agent> (trust domains: ${domains.join(', ')}).`);
  return `${lines.join('\n')}\n`;
}
