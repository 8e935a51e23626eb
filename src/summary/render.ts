/**
 * The change summary laid out: Markdown for a pull request, plain text for a terminal and for
 * commit messages, JSON for programs. Pure; the same summary always gives the same bytes.
 */
import { KEY_JWKS_DIR, KEY_ROOTS_DIR, KEYS_DIR } from '../contract/index.js';
import { markdownCode, markdownText, plural, terminalText } from '../core/text.js';
import type { AccessChange, ChangeSummary, ObjectChange, WorkflowChange } from './model.js';
import { proofMarkdown, proofText, type Proof } from './proof.js';
import { isEmpty } from './summarize.js';
import { accessWords, agentWords, list, participantWords, settingWords, type Style } from './words.js';

export type SummaryFormat = 'markdown' | 'text' | 'json';

/** A revision as the reader named it, and the commit it resolved to. */
export interface RevisionLabel {
  readonly name: string;
  readonly commit: string;
}

export interface RenderOptions {
  readonly base?: RevisionLabel;
  readonly head?: RevisionLabel;
  /** What custody verify found for the changed workflows, when it ran (verify/report.ts). */
  readonly proof?: Proof;
}

/** Marks the summary section in a pull request body, so an update replaces it and nothing else. */
export const SUMMARY_START = '<!-- custody-summary:start -->';
export const SUMMARY_END = '<!-- custody-summary:end -->';

/**
 * Every name, path and piece of text from a spec or a repository goes through `name`, `code` or
 * `text`: escaped, so that the summary never holds HTML or Markdown of a spec author's making
 * (nor, thus, a summary marker), and a table row stays one row.
 */
const MARKDOWN: Style = { name: markdownText, code: markdownCode, verb: (s) => `**${s}**`, text: markdownText };
const { name: md, code } = MARKDOWN;
const SIGN: Record<AccessChange['kind'], string> = { added: '+', path: '~', condition: '~', removed: '-' };
const MAX_OBJECTS = 200;
const OBJECT_SIGN: Record<ObjectChange['change'], string> = { added: '+', changed: '~', removed: '-' };
const objectName = (o: ObjectChange) => [o.namespace, o.name].filter(Boolean).join('/') || o.file;
/**
 * A change diagram larger than this is not drawn: GitHub's Mermaid refuses more than 50,000
 * characters or 500 arrows, a pull request body holds 65,536 characters, and a few hundred arrows
 * are no longer a picture one reads. All diagrams of one summary share `MAX_DIAGRAMS_CHARS`.
 */
const MAX_DIAGRAM_ARROWS = 200;
const MAX_DIAGRAMS_CHARS = 30_000;

function bundleCounts(summary: ChangeSummary): string {
  const n = (status: string) => summary.bundles.filter((b) => b.status === status).length;
  return (['changed', 'added', 'removed'] as const)
    .filter((s) => n(s))
    .map((s) => `${n(s)} ${s}`)
    .join(', ');
}

export function render(summary: ChangeSummary, format: SummaryFormat, options: RenderOptions = {}): string {
  if (format === 'json') {
    // The diagrams are a Markdown picture, not data: a program has the changes themselves.
    const workflows = summary.workflows.map(({ diagram: _, ...w }) => w);
    const labels = { ...(options.base ? { base: options.base } : {}), ...(options.head ? { head: options.head } : {}) };
    return `${JSON.stringify({ ...labels, ...summary, workflows, ...(options.proof ? { proof: options.proof } : {}) }, null, 2)}\n`;
  }
  return format === 'markdown' ? markdown(summary, options) : terminalText(text(summary, options));
}

/** One line for a commit subject or a pull request title. */
export function headline(summary: ChangeSummary): string {
  const names = summary.workflows.map((w) => w.workflow);
  const { added, changed, removed } = summary.counts.access;
  const access =
    added + changed + removed === 0
      ? 'no access change'
      : list([added ? `${plural(added, 'grant')} added` : '', changed ? `${changed} changed` : '', removed ? `${removed} removed` : ''].filter(Boolean));
  const drift = summary.generated?.files.length ?? 0;
  // What a reviewer must not miss comes first: trees that are not the specs', and the keys.
  const warnings = [
    drift ? `${plural(drift, 'generated file')} not from the specs` : '',
    summary.generated?.checked === false ? 'generated files not checked' : '',
    summary.keys ? 'bundle signing keys changed' : '',
    summary.trust?.roots.length ? 'mesh roots changed' : '',
    summary.trust?.tokenKeys.length ? 'cluster token keys changed' : '',
  ].filter(Boolean);
  if (names.length === 0) {
    if (warnings.length) return `Policy: ${warnings.join('; ')}`;
    return summary.manifests.length || summary.bundles.length ? 'Regenerate manifests and policy bundles (no access change)' : 'No policy change';
  }
  const subject = names.length <= 2 ? names.join(', ') : `${names[0]} and ${names.length - 1} more workflows`;
  return `Policy: ${subject}: ${[access, ...warnings].join('; ')}`;
}

const PROBLEM: Record<NonNullable<ChangeSummary['generated']>['files'][number]['problem'], string> = {
  differs: 'differs from what the specs generate',
  'not-generated': 'the specs generate no such file',
  missing: 'deleted, but the specs generate it',
};
const DRIFT_LEAD =
  'Not generated from the specs: these changed files are not what the specs and keys of the head generate (a hand edit, or trees committed without their specs); the access described here does not cover them. custody generate --check lists them; run custody generate and commit.';

const TRUST_DIRS = { roots: `${KEYS_DIR}/${KEY_ROOTS_DIR}/`, tokenKeys: `${KEYS_DIR}/${KEY_JWKS_DIR}/` };

const label = (r: RevisionLabel) => `${r.name} (${r.commit.slice(0, 12)})`;

function text(summary: ChangeSummary, options: RenderOptions): string {
  const out: string[] = [];
  if (options.base && options.head) out.push(`Changes from ${label(options.base)} to ${label(options.head)}`, '');
  if (options.proof) out.push(...proofText(options.proof), '');
  if (isEmpty(summary)) {
    out.push('No change to access, manifests or policy bundles.');
    return `${out.join('\n')}\n`;
  }
  const generated = summary.generated;
  if (generated?.files.length) {
    out.push(DRIFT_LEAD);
    for (const f of generated.files) out.push(`  ! ${f.path}: ${PROBLEM[f.problem]}`);
  } else if (generated && !generated.checked) {
    out.push(`Generated files not checked against the specs: ${generated.reason ?? 'unknown reason'}`);
  }
  if (summary.workflows.length) {
    out.push('Access changes');
    for (const w of summary.workflows) {
      out.push(`  ${w.workflow}${w.text ? `: ${w.text}` : ''}`);
      for (const p of w.participants ?? []) out.push(`    = ${participantWords(p)}`);
      for (const s of w.settings) out.push(`    ! ${s.text}`);
      for (const a of w.agents) out.push(`    * ${a.text}`);
      for (const a of w.access) out.push(`    ${SIGN[a.kind]} ${a.text}`);
      if (!w.settings.length && !w.agents.length && !w.access.length) out.push('    (no grant changes)');
    }
  } else {
    out.push('Access changes: none');
  }
  if (summary.keys) {
    out.push('Bundle signing keys (keys/)');
    for (const t of summary.keys.text) out.push(`  ! ${t}`);
  }
  if (summary.trust?.roots.length) {
    out.push(`Mesh roots (${TRUST_DIRS.roots})`);
    for (const r of summary.trust.roots) out.push(`  ! ${r.text}`);
  }
  if (summary.trust?.tokenKeys.length) {
    out.push(`Cluster token keys (${TRUST_DIRS.tokenKeys})`);
    for (const k of summary.trust.tokenKeys) out.push(`  ! ${k.text}`);
  }
  if (summary.manifests.length) {
    const o = summary.counts.objects;
    out.push(`Manifests (generated/): ${o.added} added, ${o.changed} changed, ${o.removed} removed`);
    const width = Math.max(...summary.manifests.map((m) => m.tree.length));
    // Each object by name, not only counts: a reviewer reads what a tree gains or loses.
    let shown = 0;
    for (const m of summary.manifests) {
      out.push(`  ${m.tree.padEnd(width)}  ${m.added} added, ${m.changed} changed, ${m.removed} removed`);
      for (const o of m.objects) {
        if (shown++ < MAX_OBJECTS) out.push(`    ${OBJECT_SIGN[o.change]} ${o.kind} ${objectName(o)}`);
      }
    }
    if (shown > MAX_OBJECTS) out.push(`    … and ${shown - MAX_OBJECTS} more (custody diff --json lists them all)`);
  }
  if (summary.bundles.length) {
    out.push(`Policy bundles (bundles/): ${bundleCounts(summary)}`);
    for (const b of summary.bundles) out.push(`  ${b.workflow}/${b.agent}: ${b.status} (${b.files.join(', ')})`);
  }
  if (summary.notCompared.length) out.push(`Not compared (the spec has errors in one of the versions): ${summary.notCompared.join(', ')}`);
  return `${out.join('\n')}\n`;
}

/**
 * A fenced Mermaid block. The diagram's labels hold no backtick (graph/mermaid.ts writes every one
 * as an entity); the fence is still made longer than any run of backticks in it, so that nothing
 * in the diagram could end the block (CommonMark closes a fence only with one at least as long).
 */
export function mermaidBlock(diagram: string): string[] {
  const run = Math.max(0, ...[...diagram.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, run + 1));
  return [`${fence}mermaid`, ...diagram.replace(/\n$/, '').split('\n'), fence];
}

function diagramLines(w: WorkflowChange, budget: { chars: number }): string[] {
  if (!w.diagram) return [];
  const arrows = w.diagram.split('\n').filter((l) => / (-->|-\.->)\|/.test(l)).length;
  if (arrows > MAX_DIAGRAM_ARROWS || w.diagram.length > budget.chars) {
    return [`<sub>The change is too large to draw here (${plural(arrows, 'arrow')}); custody graph draws the whole workflow.</sub>`, ''];
  }
  budget.chars -= w.diagram.length;
  return [...mermaidBlock(w.diagram), ''];
}

function markdownWorkflow(w: WorkflowChange, budget: { chars: number }): string[] {
  const out: string[] = [];
  const title = w.status === 'renamed' ? `${md(w.previousName ?? '')} → ${md(w.workflow)}` : md(w.workflow);
  out.push(`#### ${title}${w.status === 'added' ? ' (new)' : w.status === 'removed' ? ' (removed)' : ''}`, '');
  if (w.text) out.push(`${md(w.text)}.`, '');
  if (w.participants?.length) out.push(...w.participants.map((p) => `- ${participantWords(p, MARKDOWN)}`), '');
  const lines: string[] = [];
  for (const s of w.settings)
    lines.push(
      `- **${s.setting === 'trustDomain' ? 'trust domain' : s.setting}**: ${settingWords(s.setting, s.before, s.after, MARKDOWN).replace(/^[^:]*: /, '')}`,
    );
  for (const a of w.agents) lines.push(`- ${agentWords(a, MARKDOWN)}`);
  for (const a of w.access) lines.push(`- ${accessWords(a, MARKDOWN)}`);
  if (!lines.length) lines.push('- no grant changes');
  out.push(...lines, '', ...diagramLines(w, budget));
  return out;
}

function markdown(summary: ChangeSummary, options: RenderOptions): string {
  const out: string[] = ['### Custody: access changes', ''];
  // First, as the claim the rest rests on: the engine enforces what the summary describes.
  if (options.proof) out.push(...proofMarkdown(options.proof));
  if (isEmpty(summary)) {
    out.push('No change to access, manifests or policy bundles.', '');
  } else {
    const generated = summary.generated;
    if (generated?.files.length) {
      out.push(`> [!CAUTION]\n> ${md(DRIFT_LEAD)}`, '');
      for (const f of generated.files) out.push(`- ${code(f.path)}: ${PROBLEM[f.problem]}`);
      out.push('');
    } else if (generated && !generated.checked) {
      out.push(`> [!WARNING]\n> Generated files not checked against the specs: ${md(generated.reason ?? 'unknown reason')}`, '');
    }
    const { added, changed, removed } = summary.counts.access;
    out.push(
      added + changed + removed
        ? `${plural(added, 'grant')} added, ${changed} changed, ${removed} removed (a grant: one caller, method and path to one agent).`
        : 'No grant is added, changed or removed.',
      '',
    );
    const budget = { chars: MAX_DIAGRAMS_CHARS };
    for (const w of summary.workflows) out.push(...markdownWorkflow(w, budget));
    if (summary.keys) {
      out.push('#### Bundle signing keys (`keys/`)', '');
      for (const t of summary.keys.text) out.push(`- ${md(t)}`);
      out.push('');
    }
    if (summary.trust?.roots.length) {
      out.push(`#### Mesh roots (${code(TRUST_DIRS.roots)})`, '');
      for (const r of summary.trust.roots) out.push(`- ${md(r.text)}`);
      out.push('');
    }
    if (summary.trust?.tokenKeys.length) {
      out.push(`#### Cluster token keys (${code(TRUST_DIRS.tokenKeys)})`, '');
      for (const k of summary.trust.tokenKeys) out.push(`- ${md(k.text)}`);
      out.push('');
    }
    if (summary.manifests.length) {
      const o = summary.counts.objects;
      out.push(`#### Manifests (\`generated/\`): ${o.added} added, ${o.changed} changed, ${o.removed} removed`, '');
      out.push('| tree | added | changed | removed |', '|---|---:|---:|---:|');
      for (const m of summary.manifests) out.push(`| ${code(m.tree)} | ${m.added} | ${m.changed} | ${m.removed} |`);
      out.push('');
      const objects = summary.manifests.flatMap((m) => m.objects.map((o) => `- ${o.change} ${md(o.kind)} ${code(objectName(o))} in ${code(m.tree)}`));
      out.push('<details><summary>Objects</summary>', '', ...objects.slice(0, MAX_OBJECTS));
      if (objects.length > MAX_OBJECTS) out.push(`- … and ${objects.length - MAX_OBJECTS} more (custody diff --json lists them all)`);
      out.push('', '</details>', '');
    }
    if (summary.bundles.length) {
      out.push(`#### Policy bundles (\`bundles/\`): ${bundleCounts(summary)}`, '');
      for (const b of summary.bundles) out.push(`- ${code(`${b.workflow}/${b.agent}`)}: ${b.status} (${b.files.map(code).join(', ')})`);
      out.push('');
    }
    if (summary.notCompared.length) {
      out.push(`**Not compared** (the spec has errors in one of the versions): ${summary.notCompared.map(code).join(', ')}`, '');
    }
  }
  if (options.base && options.head)
    out.push(
      `<sub>From ${code(options.base.commit.slice(0, 12))} (${md(options.base.name)}) to ${code(options.head.commit.slice(0, 12))} (${md(options.head.name)}), by custody diff.</sub>`,
      '',
    );
  return out.join('\n');
}
