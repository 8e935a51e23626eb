/**
 * docs/first-hour.md, run: its workflow written into a temporary copy of the repository, then
 * check, generate, commit and verify (real OPA behind Envoy's ext_authz) as the page shows them,
 * each step's key line asserted as the page quotes it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { custody, fixtureRepository, git } from '../helpers/fixture-repository.js';
import { repoPath } from '../helpers/paths.js';

const SPEC = `# An auditor reads the bank's ledger evidence on weekdays during office hours.
apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata:
  name: bank-audit
spec:
  owner: bank
  timezone: Europe/Paris
  actors:
    bank:
      cluster: { name: bank-prod, trustDomain: mesh.bank.example }
      agents:
        ledger: { image: registry.example/ledger:1 }
    auditor:
      cluster: { name: auditor-prod, trustDomain: mesh.auditor.example }
      agents:
        audit-review: { image: registry.example/audit-review:1 }
  flows:
    - { from: audit-review, to: ledger, methods: [GET], path: /api/evidence/*, when: [{ days: [Mon, Tue, Wed, Thu, Fri], hours: { from: "09:00", to: "17:00" } }] }
`;

/** The warnings docs/first-hour.md says `check` gives about its workflow, by code. */
const OWN_WARNINGS = [
  'default-repository',
  'missing-peer-root',
  'missing-peer-root',
  'no-east-west-gateway',
  'no-return-to-owner',
  'no-sidecar-auth',
  'no-sidecar-auth',
];

const OPA = { OPA_ENVOY_BIN: process.env.OPA_ENVOY_BIN ?? repoPath('.tools', 'bin', 'opa-envoy-plugin') };

test('the walk-through shows the workflow this test writes, and the README quick start links it', () => {
  const doc = readFileSync(repoPath('docs', 'first-hour.md'), 'utf8');
  assert.ok(doc.includes(`\`\`\`yaml\n${SPEC}\`\`\``), 'docs/first-hour.md shows the spec of this test');
  assert.match(readFileSync(repoPath('README.md'), 'utf8'), '(docs/first-hour.md)');
  assert.match(doc.replace(/\s+/g, ' '), 'Seven of the warnings on standard error are about your workflow.');
  for (const code of new Set(OWN_WARNINGS)) assert.match(doc, code, `docs/first-hour.md explains ${code}`);
});

test('first hour: check, generate, commit, then verify --workflow bank-audit passes against real OPA', async () => {
  const dir = await fixtureRepository();
  writeFileSync(path.join(dir, 'workflows', 'bank-audit.yaml'), SPEC);

  const check = await custody(['check'], dir);
  assert.is(check.code, 0, check.stderr);
  assert.match(check.stdout, /^ok: \d+ workflows, \d+ agents, \d+ flows, \d+ warnings\n$/);
  assert.match(
    check.stderr,
    'custody check: warning[no-return-to-owner]: workflows/bank-audit.yaml:17:9: spec.actors.auditor.agents.audit-review: data at agent "audit-review" never returns to the owner "bank": ',
  );
  const own = check.stderr
    .split('\n')
    .filter((line) => line.includes(' workflows/bank-audit.yaml:'))
    .map((line) => /warning\[([a-z-]+)\]/.exec(line)?.[1]);
  assert.equal(own.sort(), OWN_WARNINGS);

  const generate = await custody(['generate'], dir);
  assert.is(generate.code, 0, generate.stderr);
  assert.match(generate.stdout, /^wrote bundles\/: \d+ files, \d+ changed\nwrote generated\/: \d+ files, \d+ changed\n$/);

  const commit = await custody(['commit', '--author-name', 'Ada Lovelace', '--author-email', 'ada@example.invalid'], dir);
  assert.is(commit.code, 0, commit.stderr);
  for (const line of [
    'Access changes\n',
    '  bank-audit: new workflow bank-audit: owner bank, 2 agents, 1 flow; organisations auditor and bank; clusters auditor-prod and bank-prod; no region given\n',
    '    = organisation bank (owner): cluster bank-prod, no region given; agent ledger (registry.example/ledger:1)\n',
    '    = organisation auditor: cluster auditor-prod, no region given; agent audit-review (registry.example/audit-review:1)\n',
    '    + audit-review may now GET /api/evidence/* from ledger, Mon–Fri 09:00–17:00 Europe/Paris; data moves ledger → audit-review\n',
  ])
    assert.match(commit.stdout, line);
  assert.match(commit.stdout, `committed ${git(dir, 'rev-parse', '--short=12', 'HEAD')} on main: `);
  assert.match(commit.stdout, 'workflows/ 1)');
  assert.is(git(dir, 'status', '--porcelain', '--', 'workflows', 'bundles', 'generated'), '');

  const verify = await custody(['verify', '--workflow', 'bank-audit'], dir, OPA);
  assert.is(verify.code, 0, verify.stderr);
  assert.match(verify.stdout, '  FROM          TO            METHOD  PATH           EXPECTED  ACTUAL\n');
  assert.match(verify.stdout, '  ledger        audit-review  GET     /              deny      deny    ok\n');
  assert.match(verify.stdout, '\nverified: every sidecar enforces exactly its workflow (2 triples)\n');
});

test.run();
