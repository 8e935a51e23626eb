/**
 * The proof beside a pull request's summary: what `custody verify` found when real OPA sidecars,
 * fed by the bundle server, were asked every (source, destination, method) triple of the changed
 * workflows. The summary says what the spec allows; this says the engine enforces exactly that.
 * Pure: the report is read and checked by verify/report.ts.
 */
import { markdownCode, markdownText, plural } from '../core/text.js';

export interface ProofMismatch {
  readonly from: string;
  readonly to: string;
  readonly method: string;
  readonly path: string;
  /** What the spec says. */
  readonly expected: boolean;
  /** What the sidecar answered; undefined: no answer. */
  readonly actual?: boolean;
}

export interface ProofWorkflow {
  readonly workflow: string;
  /** How the sidecars were asked (Envoy's ext_authz gRPC call, or OPA's API). */
  readonly via: string;
  readonly triples: number;
  readonly mismatches: readonly ProofMismatch[];
  /** Sidecars that did not activate the served bundle, with why. */
  readonly sidecars: readonly { readonly agent: string; readonly problem: string }[];
}

export type Proof =
  | { readonly status: 'checked'; readonly workflows: readonly ProofWorkflow[] }
  /** custody verify stopped before writing a report (it says why in the job's log). */
  | { readonly status: 'missing'; readonly reason: string };

const answer = (a: boolean | undefined) => (a === undefined ? 'no answer' : a ? 'allow' : 'deny');

/** One sentence: the claim, or what breaks it. */
export function proofHeadline(proof: Proof): string {
  if (proof.status === 'missing') return `not proven: custody verify gave no report (${proof.reason})`;
  const triples = proof.workflows.reduce((n, w) => n + w.triples, 0);
  const bad = proof.workflows.reduce((n, w) => n + w.mismatches.length, 0);
  if (proof.workflows.length === 0) return 'no workflow to verify: the change touches no workflow spec';
  return bad === 0
    ? `real OPA enforces exactly this spec: ${plural(triples, 'triple')} checked`
    : `real OPA does not enforce this spec: ${bad} of ${plural(triples, 'triple')} differ`;
}

export const proofFailed = (proof: Proof) => proof.status === 'missing' || proof.workflows.some((w) => w.mismatches.length > 0);

export function proofText(proof: Proof): string[] {
  const out = [`Proof (custody verify): ${proofHeadline(proof)}`];
  if (proof.status === 'missing') return out;
  for (const w of proof.workflows) {
    out.push(`  ${w.workflow}: ${plural(w.triples, 'triple')} via ${w.via}, ${w.mismatches.length} mismatched`);
    for (const s of w.sidecars) out.push(`    ! sidecar ${s.agent}: ${s.problem}`);
    for (const m of w.mismatches)
      out.push(
        `    ! ${m.from} → ${m.to} ${m.method} ${m.path}: the spec says ${answer(m.expected)}, ${m.actual === undefined ? 'OPA gave no answer' : `OPA answered ${answer(m.actual)}`}`,
      );
  }
  return out;
}

export function proofMarkdown(proof: Proof): string[] {
  const out = ['#### Proof (`custody verify`)', ''];
  const headline = proofHeadline(proof);
  const sentence = `${headline[0]!.toUpperCase()}${headline.slice(1)}.`;
  if (proofFailed(proof)) out.push(`> [!${proof.status === 'missing' ? 'WARNING' : 'CAUTION'}]`, `> ${markdownText(sentence)}`, '');
  else out.push(markdownText(sentence), '');
  if (proof.status === 'missing') return out;
  for (const w of proof.workflows) {
    out.push(`- ${markdownCode(w.workflow)}: ${plural(w.triples, 'triple')} via ${markdownText(w.via)}, ${w.mismatches.length} mismatched`);
    for (const s of w.sidecars) out.push(`  - sidecar ${markdownCode(s.agent)}: ${markdownText(s.problem)}`);
  }
  out.push('');
  const rows = proof.workflows.flatMap((w) => w.mismatches.map((m) => ({ workflow: w.workflow, ...m })));
  if (rows.length) {
    out.push('| workflow | from | to | method | path | spec | OPA |', '|---|---|---|---|---|---|---|');
    for (const m of rows)
      out.push(
        `| ${markdownCode(m.workflow)} | ${markdownText(m.from)} | ${markdownText(m.to)} | ${markdownCode(m.method)} | ${markdownCode(m.path)} | ${answer(m.expected)} | ${answer(m.actual)} |`,
      );
    out.push('');
  }
  return out;
}
