/**
 * What the commands that read HEAD would not see: specs, keys and generated trees of the working
 * tree that differ from HEAD, named as the user knows them; and the refusal verify and demo make
 * when the workflows they check are among them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openRepository } from '../../src/git/index.js';
import { requireCommitted, uncommittedChanges } from '../../src/gitops/index.js';
import { edit, fixtureRepository, git, MOVIE } from '../helpers/fixture-repository.js';

const BANK = 'workflows/bank-audit.yaml';

function addBankAudit(dir: string): void {
  writeFileSync(path.join(dir, BANK), readFileSync(path.join(dir, MOVIE), 'utf8').replace('name: movie-post-production', 'name: bank-audit'));
}

test('a clean clone: nothing differs; a README beside the specs and a file outside the four folders do not count', async () => {
  const dir = await fixtureRepository();
  writeFileSync(path.join(dir, 'workflows', 'README.md'), 'notes\n');
  writeFileSync(path.join(dir, 'notes.txt'), 'x\n');
  const u = await uncommittedChanges(openRepository(dir));
  assert.equal(u.items, []);
  assert.is(u.branch, 'main');
  assert.is(u.head, git(dir, 'rev-parse', 'HEAD'));
});

test('a new spec, its bundles, an edited spec, a deleted cluster file and a staged key: each named once, by workflow or folder', async () => {
  const dir = await fixtureRepository();
  addBankAudit(dir);
  mkdirSync(path.join(dir, 'bundles', 'bank-audit', 'owner'), { recursive: true });
  writeFileSync(path.join(dir, 'bundles', 'bank-audit', 'owner', 'data.json'), '{}\n');
  writeFileSync(path.join(dir, 'bundles', 'bank-audit', 'owner', 'policy.rego'), 'package x\n');
  edit(dir, 'workflows/clinical-trial-analysis.yaml', 'apiVersion', '# edited\napiVersion');
  rmSync(path.join(dir, 'generated', 'clusters', 'sound-west', 'kustomization.yaml'));
  writeFileSync(path.join(dir, 'keys', 'next.pem'), 'not yet a key\n');
  git(dir, 'add', 'keys/next.pem');
  // A peer's root is an input too; a README beside it and a file in another subfolder are not.
  mkdirSync(path.join(dir, 'keys', 'roots'));
  mkdirSync(path.join(dir, 'keys', 'old'));
  writeFileSync(path.join(dir, 'keys', 'roots', 'vfx-central.pem'), 'a root\n');
  writeFileSync(path.join(dir, 'keys', 'roots', 'README.md'), 'notes\n');
  writeFileSync(path.join(dir, 'keys', 'old', 'retired.pem'), 'old\n');
  const u = await uncommittedChanges(openRepository(dir), new Map([[BANK, 'bank-audit']]));
  assert.equal(
    u.items.map((i) => i.words),
    [
      'bundles/bank-audit/ is not committed (2 files)',
      'generated/clusters/sound-west/ is deleted but still committed (1 file)',
      'keys/next.pem is in keys/ but not committed',
      'keys/roots/vfx-central.pem is in keys/roots/ but not committed',
      'bank-audit (workflows/bank-audit.yaml) is in workflows/ but not committed',
      'workflows/clinical-trial-analysis.yaml has changes that are not committed',
    ],
  );
  assert.equal(u.items.find((i) => i.path === 'bundles/bank-audit/')?.workflow, 'bank-audit');
});

test('a spec deleted from the working tree: still committed, said so', async () => {
  const dir = await fixtureRepository();
  rmSync(path.join(dir, 'workflows', 'clinical-trial-analysis.yaml'));
  const u = await uncommittedChanges(openRepository(dir));
  assert.equal(
    u.items.map((i) => i.words),
    ['workflows/clinical-trial-analysis.yaml is deleted from workflows/ but still committed'],
  );
});

test('requireCommitted refuses (usage, exit 2) for the checked workflows only, and returns the rest to mention', async () => {
  const dir = await fixtureRepository();
  addBankAudit(dir);
  edit(dir, 'bundles/movie-post-production/hdr/data.json', '"', ' "');
  const u = await uncommittedChanges(openRepository(dir), new Map([[BANK, 'bank-audit']]));
  try {
    requireCommitted(u, 'verify', [{ name: 'bank-audit', specPath: BANK }]);
    assert.unreachable('bank-audit is not committed');
  } catch (err) {
    const e = err as { code: string; kind: string; message: string; hint: string };
    assert.is(e.code, 'uncommitted-changes');
    assert.is(e.kind, 'usage');
    assert.match(
      e.message,
      /^bank-audit \(workflows\/bank-audit\.yaml\) is in workflows\/ but not committed: verify asks sidecars fed by the bundle server, which serves only what is committed \(main at [0-9a-f]{12}\)/,
    );
    assert.match(e.hint, /^run custody commit/);
  }
  const rest = requireCommitted(u, 'verify', [{ name: 'clinical-trial-analysis', specPath: 'workflows/clinical-trial-analysis.yaml' }]);
  assert.equal(
    rest.map((i) => i.path),
    ['bundles/movie-post-production/', BANK],
  );
  assert.throws(
    () => requireCommitted(u, 'demo', [{ name: 'movie-post-production', specPath: MOVIE }]),
    /bundles\/movie-post-production\/ differs from HEAD \(1 file\)/,
  );
});

test.run();
