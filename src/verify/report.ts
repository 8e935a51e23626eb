/**
 * A `custody verify --json` report read back for the pull-request summary (`custody diff` and
 * `custody comment --verify-report FILE`): the CI job runs verify in one step and comments in
 * another, so the report is a file between them. Its shape is checked, so a wrong file is an
 * error naming it, not a summary that claims a proof it does not hold.
 */
import { CustodyError } from '../core/errors.js';
import type { Proof, ProofWorkflow } from '../summary/index.js';
import type { WorkflowReport } from './verify.js';

/**
 * `text`: the file's content, `file`: its name as the user gave it. An empty file is a verify run
 * that stopped before its report (a server that did not start, a spec with errors): the summary
 * says the change is not proven rather than failing the comment.
 */
export function proofFromReport(text: string, file: string): Proof {
  if (text.trim() === '') return { status: 'missing', reason: `${file} is empty; the verify step's log says why` };
  const bad = (why: string, field?: string): never => {
    throw new CustodyError('verify-report-invalid', 'invalid', `not a custody verify --json report: ${why}`, {
      location: { file, ...(field ? { field } : {}) },
      hint: 'give the file custody verify --json writes (custody verify --json FILE... > report.json)',
    });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return bad(`not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(parsed)) return bad('not a list of workflow reports');
  const workflows = (parsed as unknown[]).map((r, i): ProofWorkflow => {
    const w = r as Partial<WorkflowReport>;
    if (typeof w?.workflow !== 'string' || typeof w.via !== 'string') bad('a report without its workflow or how it was asked', `[${i}]`);
    if (!Array.isArray(w.rows) || !Array.isArray(w.sidecars)) bad('a report without its rows or sidecars', `[${i}]`);
    w.rows!.forEach((x, j) => {
      const ok = typeof x?.from === 'string' && typeof x.to === 'string' && typeof x.method === 'string' && typeof x.path === 'string';
      if (!ok || typeof x.expected !== 'boolean' || typeof x.ok !== 'boolean')
        bad('a row without from, to, method, path, expected and ok', `[${i}].rows[${j}]`);
    });
    return {
      workflow: w.workflow!,
      via: w.via!,
      triples: w.rows!.length,
      mismatches: w
        .rows!.filter((x) => !x.ok)
        .map((x) => ({
          from: x.from,
          to: x.to,
          method: x.method,
          path: x.path,
          expected: x.expected,
          ...(typeof x.actual === 'boolean' ? { actual: x.actual } : {}),
        })),
      sidecars: w.sidecars!.filter((s) => typeof s?.problem === 'string').map((s) => ({ agent: String(s.agent), problem: s.problem! })),
    };
  });
  return { status: 'checked', workflows };
}
