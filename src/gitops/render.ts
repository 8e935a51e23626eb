/**
 * The change summary laid out: Markdown for a pull request, plain text for a terminal and for
 * commit messages, JSON for programs. Pure; the same summary always gives the same bytes.
 */
import type { AccessChange, ChangeSummary, WorkflowChange } from './diff.js';
import { accessWords, agentWords, list, settingWords, type Style } from './words.js';

export type SummaryFormat = 'markdown' | 'text' | 'json';

/** A revision as the reader named it, and the commit it resolved to. */
export interface RevisionLabel {
  readonly name: string;
  readonly commit: string;
}

export interface RenderOptions {
  readonly base?: RevisionLabel;
  readonly head?: RevisionLabel;
}

/** Marks the summary section in a pull request body, so an update replaces it and nothing else. */
export const SUMMARY_START = '<!-- custody-summary:start -->';
export const SUMMARY_END = '<!-- custody-summary:end -->';

const MARKDOWN: Style = { name: (s) => s, code: (s) => `\`${s}\``, verb: (s) => `**${s}**` };
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const SIGN: Record<AccessChange['kind'], string> = { added: '+', path: '~', condition: '~', removed: '-' };
const MAX_OBJECTS = 200;

function bundleCounts(summary: ChangeSummary): string {
  const n = (status: string) => summary.bundles.filter((b) => b.status === status).length;
  return (['changed', 'added', 'removed'] as const).filter((s) => n(s)).map((s) => `${n(s)} ${s}`).join(', ');
}

export function render(summary: ChangeSummary, format: SummaryFormat, options: RenderOptions = {}): string {
  if (format === 'json') return `${JSON.stringify({ ...(options.base ? { base: options.base } : {}), ...(options.head ? { head: options.head } : {}), ...summary }, null, 2)}\n`;
  return format === 'markdown' ? markdown(summary, options) : text(summary, options);
}

/** One line for a commit subject or a pull request title. */
export function headline(summary: ChangeSummary): string {
  const names = summary.workflows.map((w) => w.workflow);
  const { added, changed, removed } = summary.counts.access;
  const access = added + changed + removed === 0 ? 'no access change'
    : list([added ? `${added} grant${added === 1 ? '' : 's'} added` : '', changed ? `${changed} changed` : '', removed ? `${removed} removed` : ''].filter(Boolean));
  if (names.length === 0) {
    return summary.manifests.length || summary.bundles.length ? 'Regenerate manifests and policy bundles (no access change)' : 'No policy change';
  }
  const subject = names.length <= 2 ? names.join(', ') : `${names[0]} and ${names.length - 1} more workflows`;
  return `Policy: ${subject}: ${access}`;
}

const label = (r: RevisionLabel) => `${r.name} (${r.commit.slice(0, 12)})`;

function text(summary: ChangeSummary, options: RenderOptions): string {
  const out: string[] = [];
  if (options.base && options.head) out.push(`Changes from ${label(options.base)} to ${label(options.head)}`, '');
  if (isNothing(summary)) {
    out.push('No change to access, manifests or policy bundles.');
    return `${out.join('\n')}\n`;
  }
  if (summary.workflows.length) {
    out.push('Access changes');
    for (const w of summary.workflows) {
      out.push(`  ${w.workflow}${w.text ? `: ${w.text}` : ''}`);
      for (const s of w.settings) out.push(`    ! ${s.text}`);
      for (const a of w.agents) out.push(`    * ${a.text}`);
      for (const a of w.access) out.push(`    ${SIGN[a.kind]} ${a.text}`);
      if (!w.settings.length && !w.agents.length && !w.access.length) out.push('    (no grant changes)');
    }
  } else {
    out.push('Access changes: none');
  }
  if (summary.manifests.length) {
    const o = summary.counts.objects;
    out.push(`Manifests (generated/): ${o.added} added, ${o.changed} changed, ${o.removed} removed`);
    const width = Math.max(...summary.manifests.map((m) => m.tree.length));
    for (const m of summary.manifests) out.push(`  ${m.tree.padEnd(width)}  ${m.added} added, ${m.changed} changed, ${m.removed} removed`);
  }
  if (summary.bundles.length) {
    out.push(`Policy bundles (bundles/): ${bundleCounts(summary)}`);
    for (const b of summary.bundles) out.push(`  ${b.workflow}/${b.agent}: ${b.status} (${b.files.join(', ')})`);
  }
  if (summary.notCompared.length) out.push(`Not compared (the spec has errors in one of the versions): ${summary.notCompared.join(', ')}`);
  return `${out.join('\n')}\n`;
}

function isNothing(summary: ChangeSummary): boolean {
  return !summary.workflows.length && !summary.manifests.length && !summary.bundles.length && !summary.notCompared.length;
}

function markdownWorkflow(w: WorkflowChange): string[] {
  const out: string[] = [];
  const title = w.status === 'renamed' ? `${w.previousName} → ${w.workflow}` : w.workflow;
  out.push(`#### ${title}${w.status === 'added' ? ' (new)' : w.status === 'removed' ? ' (removed)' : ''}`, '');
  if (w.text) out.push(`${w.text}.`, '');
  const lines: string[] = [];
  for (const s of w.settings) lines.push(`- **${s.setting === 'trustDomain' ? 'trust domain' : s.setting}**: ${settingWords(s.setting, s.before, s.after, MARKDOWN).replace(/^[^:]*: /, '')}`);
  for (const a of w.agents) lines.push(`- ${agentWords(a, MARKDOWN)}`);
  for (const a of w.access) lines.push(`- ${accessWords(a, MARKDOWN)}`);
  if (!lines.length) lines.push('- no grant changes');
  out.push(...lines, '');
  return out;
}

function markdown(summary: ChangeSummary, options: RenderOptions): string {
  const out: string[] = ['### Custody: access changes', ''];
  if (isNothing(summary)) {
    out.push('No change to access, manifests or policy bundles.', '');
  } else {
    const { added, changed, removed } = summary.counts.access;
    out.push(added + changed + removed
      ? `${plural(added, 'grant')} added, ${changed} changed, ${removed} removed (a grant: one caller, method and path to one agent).`
      : 'No grant is added, changed or removed.', '');
    for (const w of summary.workflows) out.push(...markdownWorkflow(w));
    if (summary.manifests.length) {
      const o = summary.counts.objects;
      out.push(`#### Manifests (\`generated/\`): ${o.added} added, ${o.changed} changed, ${o.removed} removed`, '');
      out.push('| tree | added | changed | removed |', '|---|---:|---:|---:|');
      for (const m of summary.manifests) out.push(`| \`${m.tree}\` | ${m.added} | ${m.changed} | ${m.removed} |`);
      out.push('');
      const objects = summary.manifests.flatMap((m) => m.objects.map((o) => `- ${o.change} ${o.kind} \`${[o.namespace, o.name].filter(Boolean).join('/') || o.file}\` in \`${m.tree}\``));
      out.push('<details><summary>Objects</summary>', '', ...objects.slice(0, MAX_OBJECTS));
      if (objects.length > MAX_OBJECTS) out.push(`- … and ${objects.length - MAX_OBJECTS} more (custody diff --json lists them all)`);
      out.push('', '</details>', '');
    }
    if (summary.bundles.length) {
      out.push(`#### Policy bundles (\`bundles/\`): ${bundleCounts(summary)}`, '');
      for (const b of summary.bundles) out.push(`- \`${b.workflow}/${b.agent}\`: ${b.status} (${b.files.map((f) => `\`${f}\``).join(', ')})`);
      out.push('');
    }
    if (summary.notCompared.length) {
      out.push(`**Not compared** (the spec has errors in one of the versions): ${summary.notCompared.map((f) => `\`${f}\``).join(', ')}`, '');
    }
  }
  if (options.base && options.head) out.push(`<sub>From \`${options.base.commit.slice(0, 12)}\` (${options.base.name}) to \`${options.head.commit.slice(0, 12)}\` (${options.head.name}), by custody diff.</sub>`, '');
  return out.join('\n');
}
