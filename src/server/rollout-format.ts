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
    // To the second: OPA's nanoseconds take ten columns a reader never needs.
    const sinceShown = since.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+Z$/, '$1Z');
    const state = a.buildError
      ? `build failed at ${short(a.buildError.revision)}`
      : a.sidecars.length === 0
        ? 'no sidecar reported'
        : a.sidecars.some((s) => s.error)
          ? `sidecar error: ${a.sidecars.find((s) => s.error)!.error!.message ?? a.sidecars.find((s) => s.error)!.error!.code}`
          : a.inSync
            ? 'in sync'
            : 'rolling out';
    rows.push([a.workflow, a.agent, a.cluster ?? '-', short(a.served?.revision), active, sinceShown, state, String(a.recentDenials.length)]);
  }
  const widths = fitWidths(rows);
  for (const r of rows)
    lines.push(
      r
        .map((c, i) => elide(c, widths[i]!).padEnd(widths[i]!))
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
  const crowded = view.agents.filter((a) => a.moreSidecars);
  if (crowded.length)
    lines.push(
      '',
      `More sidecars reported within the hour than are kept (ENFORCED and STATE are of those heard from last):`,
      ...crowded.map((a) => `  ${a.workflow}/${a.agent}: the ${a.moreSidecars!.kept} heard from last, of more`),
    );
  if (denials.length) lines.push('', 'Recent denials:', ...denials);
  // Agents write status messages and request paths: nothing of theirs reaches a terminal raw.
  return `${terminalText(lines.join('\n'))}\n`;
}

/** The table fits a 120-column terminal: `custody status` is read there, not scrolled sideways. */
export const STATUS_WIDTH = 120;
/** Columns that may be shortened, widest first, and how narrow each may become (WORKFLOW, AGENT, CLUSTER, ENFORCED, STATE). */
const ELIDABLE: readonly (readonly [number, number])[] = [
  [0, 12],
  [1, 10],
  [2, 10],
  [4, 12],
  [6, 12],
];

/**
 * Each column as wide as its widest cell, then, while the row is wider than `STATUS_WIDTH`, the
 * widest shortenable column loses one (ties: the leftmost), never below its minimum. The same
 * rows always give the same widths.
 */
function fitWidths(rows: readonly string[][]): number[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  while (total() > STATUS_WIDTH) {
    let pick: number | undefined;
    for (const [i, min] of ELIDABLE) if (widths[i]! > min && (pick === undefined || widths[i]! > widths[pick]!)) pick = i;
    if (pick === undefined) break;
    widths[pick]!--;
  }
  return widths;
}

/** A cell longer than its column keeps its start and ends with "…", so it still reads as a prefix. */
function elide(cell: string, width: number): string {
  return cell.length <= width ? cell : `${cell.slice(0, width - 1)}…`;
}
