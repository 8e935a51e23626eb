/**
 * custody verify's JSON report in the pull-request summary: both outcomes rendered (golden files
 * test/golden/diff/proof-*.{md,txt}, UPDATE_GOLDEN=1 to regenerate and review), a stopped run
 * said to prove nothing, and a file that is not such a report refused with its name.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../../src/core/errors.js';
import { render, summarize, type ChangeSummary } from '../../src/summary/index.js';
import { proofFromReport } from '../../src/verify/index.js';
import { repoPath } from '../helpers/paths.js';

const GOLDEN = repoPath('test', 'golden', 'diff');

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) {
    writeFileSync(file, actual);
    return;
  }
  assert.fixture(actual, readFileSync(file, 'utf8'), name);
}

const row = (from: string, to: string, method: string, p: string, expected: boolean, actual: boolean | null) => ({
  from,
  to,
  method,
  path: p,
  expected,
  ...(actual === null ? {} : { actual }),
  ok: actual === expected,
});

/** As custody verify --json writes it (a list of WorkflowReport), literally. */
const report = (rows: ReturnType<typeof row>[], problem?: string) =>
  JSON.stringify(
    [
      {
        workflow: 'studio',
        via: 'ext_authz gRPC',
        at: '2026-12-02T10:00:00.000Z',
        sidecars: [
          { agent: 'owner', activeRevision: 'a1b2c3', expectedRevision: 'a1b2c3' },
          { agent: 'vfx-1', ...(problem ? { problem } : { activeRevision: 'a1b2c3', expectedRevision: 'a1b2c3' }) },
        ],
        rows,
        mismatches: rows.filter((r) => !r.ok).length,
      },
    ],
    null,
    2,
  );

const PASSED = report([
  row('owner', 'vfx-1', 'POST', '/api/vfx-1', true, true),
  row('owner', 'vfx-1', 'GET', '/api/vfx-1', false, false),
  row('vfx-1', 'owner', 'POST', '/api/owner', true, true),
]);
const FAILED = report(
  [
    row('owner', 'vfx-1', 'POST', '/api/vfx-1', true, null),
    row('owner', 'vfx-1', 'GET', '/api/vfx-1', false, true),
    row('vfx-1', 'owner', 'POST', '/api/owner', true, true),
  ],
  'did not activate revision a1b2c3 within 20 s',
);

// The summary of a change with nothing else in it: the proof is what is rendered.
const NOTHING: ChangeSummary = summarize({ workflows: [], files: new Map() }, { workflows: [], files: new Map() });

test('verified: "real OPA enforces exactly this spec: N triples checked" (golden)', () => {
  const proof = proofFromReport(PASSED, 'verify.json');
  golden('proof-verified.md', render(NOTHING, 'markdown', { proof }));
  golden('proof-verified.txt', render(NOTHING, 'text', { proof }));
  assert.match(render(NOTHING, 'markdown', { proof }), '\nReal OPA enforces exactly this spec: 3 triples checked.\n');
  // For programs, the proof as data beside the summary.
  const json = JSON.parse(render(NOTHING, 'json', { proof })) as {
    proof: { status: string; workflows: { workflow: string; triples: number; mismatches: unknown[] }[] };
  };
  assert.equal(json.proof, { status: 'checked', workflows: [{ workflow: 'studio', via: 'ext_authz gRPC', triples: 3, mismatches: [], sidecars: [] }] });
});

test('mismatches: the claim withdrawn, each mismatched triple listed with what the spec says and what OPA answered (golden)', () => {
  const proof = proofFromReport(FAILED, 'verify.json');
  const md = render(NOTHING, 'markdown', { proof });
  golden('proof-mismatch.md', md);
  golden('proof-mismatch.txt', render(NOTHING, 'text', { proof }));
  assert.match(md, '> [!CAUTION]\n> Real OPA does not enforce this spec: 2 of 3 triples differ.');
  assert.match(md, '| `studio` | owner | vfx-1 | `GET` | `/api/vfx-1` | deny | allow |');
  assert.match(md, '| `studio` | owner | vfx-1 | `POST` | `/api/vfx-1` | allow | no answer |');
  assert.match(md, '  - sidecar `vfx-1`: did not activate revision a1b2c3 within 20 s');
});

test('an empty report (verify stopped early) proves nothing, and says so', () => {
  const proof = proofFromReport('', 'verify.json');
  assert.equal(proof, { status: 'missing', reason: "verify.json is empty; the verify step's log says why" });
  assert.match(
    render(NOTHING, 'markdown', { proof }),
    "> [!WARNING]\n> Not proven: custody verify gave no report (verify.json is empty; the verify step's log says why).",
  );
});

test('a file that is not a verify report is refused, naming the file and the field', () => {
  const refused = (text: string, message: string, field?: string) => {
    try {
      proofFromReport(text, 'wrong.json');
    } catch (err) {
      assert.instance(err, CustodyError);
      assert.is((err as CustodyError).code, 'verify-report-invalid');
      assert.match((err as Error).message, message);
      assert.equal((err as CustodyError).location, { file: 'wrong.json', ...(field ? { field } : {}) });
      return;
    }
    assert.unreachable('accepted');
  };
  refused('{"workflows": []}', 'not a list of workflow reports');
  refused('not json', 'not JSON');
  refused('[{"workflow": "studio", "via": "ext_authz gRPC", "sidecars": [], "rows": [{"from": "a"}]}]', 'a row without from, to', '[0].rows[0]');
});

test.run();
