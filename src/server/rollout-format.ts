/** The rollout view as the table `custody status` and `custody demo` print. */
import { terminalText } from '../core/text.js';
import type { RolloutView } from './rollout.js';

export function formatRollout(view: RolloutView): string {
  const short = (r?: string) => (r ? r.slice(0, 12) : '-');
  const lines = [
    `${view.repository}${view.branch ? ` (${view.branch})` : ''} at ${short(view.head?.commit)}${view.repositoryError ? `  ERROR: ${view.repositoryError.message}` : ''}`,
    '',
  ];
  const rows: string[][] = [['WORKFLOW', 'AGENT', 'CLUSTER', 'SERVED', 'ENFORCED', 'SINCE', 'STATE', 'DENIED']];
  for (const a of view.agents) {
    const active = [...new Set(a.sidecars.map((s) => short(s.activeRevision)))].join(',') || '-';
    const since =
      a.sidecars
        .map((s) => s.lastSuccessfulActivation ?? '')
        .sort()
        .at(-1) || '-';
    const state = a.buildError
      ? `build failed at ${short(a.buildError.revision)}`
      : a.sidecars.length === 0
        ? 'no sidecar reported'
        : a.sidecars.some((s) => s.error)
          ? `sidecar error: ${a.sidecars.find((s) => s.error)!.error!.message ?? a.sidecars.find((s) => s.error)!.error!.code}`
          : a.inSync
            ? 'in sync'
            : 'rolling out';
    rows.push([a.workflow, a.agent, a.cluster ?? '-', short(a.served?.revision), active, since, state, String(a.recentDenials.length)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    lines.push(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  const denials = view.agents.flatMap((a) =>
    a.recentDenials
      .slice(0, 3)
      .map(
        (d) =>
          `  ${a.workflow}/${a.agent}: denied ${d.method ?? '?'} ${d.path ?? '?'} from ${d.source ?? 'no identity'}${d.timestamp ? ` at ${d.timestamp}` : ''}`,
      ),
  );
  if (denials.length) lines.push('', 'Recent denials:', ...denials);
  // Agents write status messages and request paths: nothing of theirs reaches a terminal raw.
  return `${terminalText(lines.join('\n'))}\n`;
}
