/** The access matrix as the table `custody matrix` prints (and a golden file pins). */
import type { Workflow } from '../workflow/index.js';
import type { AccessMatrix } from './matrix.js';

/** `allowedOnly`: leave out the pairs of agents whose every method is denied (said below the table). */
export function formatMatrix(workflow: Workflow, m: AccessMatrix, at?: string, options: { allowedOnly?: boolean } = {}): string {
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
  let left = 0;
  for (const from of m.agents) {
    for (const to of m.agents) {
      if (from === to) continue;
      const cells = m.methods.map((method) => byTriple.get(`${from}\n${to}\n${method}`)!);
      if (options.allowedOnly && cells.every((c) => c.decision === 'deny')) {
        left++;
        continue;
      }
      const allowed = cells.flatMap((c) =>
        c.rules.map((r) => `${c.method} ${r.path}${r.condition ? `: ${r.condition}` : ''}${r.written ? ` [as written: ${r.written}]` : ''}`),
      );
      rows.push([from, to, ...cells.map((c) => (c.decision === 'conditional' ? 'cond' : c.decision)), allowed.join('; ')]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    lines.push(
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    );
  lines.push('');
  if (options.allowedOnly) lines.push(`${left} of ${n * (n - 1)} pairs of agents, every method denied, are left out (--allowed).`);
  const domains = [...new Set(workflow.actors.map((a) => a.cluster.trustDomain))].sort();
  lines.push(
    `Everything else is denied: other methods, other paths, and callers without an agent's exact mesh identity, spiffe://<trust domain of its cluster>/ns/${workflow.name}/sa/<agent> (trust domains: ${domains.join(', ')}).`,
  );
  return `${lines.join('\n')}\n`;
}
