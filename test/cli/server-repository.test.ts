/**
 * The owner's cluster runs the bundle server, which fetches its repository over https only: an
 * ssh:// repository there (the cluster's own, the spec.repository it inherits, or the clone's
 * origin) is an error at the place to edit, while clusters that only run Argo CD or Flux keep ssh.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkInputs } from '../../src/cli/workflows.js';
import { topology } from '../../src/manifests/index.js';
import { loadConfig } from '../../src/server/config.js';
import { formatDiagnostic } from '../../src/workflow/index.js';
import { custody } from '../helpers/cli.js';
import { git, tempDir } from '../helpers/fixture-repository.js';
import { repoPath } from '../helpers/paths.js';
import { bankAuditSpec, loadOne } from '../helpers/workflows.js';

const SSH = 'ssh://git@git.bank.example/platform/trees.git';
const HTTPS = 'https://git.bank.example/platform/trees.git';

/** A workflow owned by bank (cluster bank-core) with a partner in audit-eu; each `repository` given only when set. */
function spec(o: { name?: string; repository?: string; owner?: string; partner?: string; ownerCluster?: string; partnerCluster?: string } = {}): string {
  const repo = (url: string | undefined) => (url ? `, repository: "${url}"` : '');
  return bankAuditSpec({
    name: o.name ?? 'audit',
    ...(o.repository ? { spec: `  repository: "${o.repository}"\n` } : {}),
    owner: { cluster: o.ownerCluster ?? 'bank-core', settings: repo(o.owner) },
    auditor: { cluster: o.partnerCluster ?? 'audit-eu', settings: repo(o.partner) },
  });
}

const TOKEN =
  'for a private repository the server reads a token from CUSTODY_GIT_TOKEN, which the generated Deployment takes from the Secret custody-git-credentials (key token, see docs/gitops.md)';
const errors = (inputs: { file: string; text: string }[], origin?: string) =>
  checkInputs(inputs, undefined, undefined, origin ? { repository: origin } : {})
    .diagnostics.filter((d) => d.severity === 'error')
    .map(formatDiagnostic);

test('an ssh spec.repository that the owner’s cluster inherits: an error at spec.repository', () => {
  assert.equal(errors([{ file: 'workflows/audit.yaml', text: spec({ repository: SSH }) }]), [
    `error[ssh-server-repository]: workflows/audit.yaml:7:15: spec.repository: cluster "bank-core" runs the bundle server of workflow "audit" (the owner's cluster), and its repository, ${SSH} (spec.repository, which it inherits), is not https: the server fetches over https only and would refuse this configuration at start, so no sidecar would get a bundle and no agent would become Ready (set spec.repository to the https:// URL of the repository, e.g. ${HTTPS}, or give cluster "bank-core" its own (spec.actors.bank.cluster.repository) and let the other clusters keep ssh://; ${TOKEN})`,
  ]);
});

test('an ssh repository of the owner’s cluster itself: an error at that field; a contractor’s cluster may keep ssh', () => {
  assert.equal(errors([{ file: 'workflows/audit.yaml', text: spec({ repository: HTTPS, owner: 'ssh://deploy@git.bank.example:2222/platform/trees.git' }) }]), [
    `error[ssh-server-repository]: workflows/audit.yaml:10:84: spec.actors.bank.cluster.repository: cluster "bank-core" runs the bundle server of workflow "audit" (the owner's cluster), and its repository, ssh://deploy@git.bank.example:2222/platform/trees.git (its repository here), is not https: the server fetches over https only and would refuse this configuration at start, so no sidecar would get a bundle and no agent would become Ready (give cluster "bank-core" the https:// URL of the repository here, e.g. ${HTTPS} (clusters that only run Argo CD or Flux may keep ssh://); ${TOKEN})`,
  ]);
  // ssh for everyone but the owner's cluster, and ssh for a contractor only: both fine.
  assert.equal(errors([{ file: 'workflows/audit.yaml', text: spec({ repository: SSH, owner: HTTPS }) }]), []);
  assert.equal(errors([{ file: 'workflows/audit.yaml', text: spec({ repository: HTTPS, partner: SSH }) }]), []);
  assert.equal(errors([{ file: 'workflows/audit.yaml', text: spec({ partner: SSH }) }]), []);
});

test('an actor sharing the owner’s cluster takes the repository another actor gives it there: one error, at the field given', () => {
  // The auditor moves onto bank-core and names no repository: bank-core's is bank's ssh one, not spec.repository.
  const found = errors([{ file: 'workflows/audit.yaml', text: spec({ repository: HTTPS, owner: SSH, partnerCluster: 'bank-core' }) }]);
  assert.is(found.length, 1, found.join('\n'));
  assert.ok(
    found[0]!.startsWith(
      `error[ssh-server-repository]: workflows/audit.yaml:10:84: spec.actors.bank.cluster.repository: cluster "bank-core" runs the bundle server of workflow "audit" (the owner's cluster), and its repository, ${SSH} (its repository here)`,
    ),
    found[0],
  );
});

test('the owner’s cluster given ssh in another workflow, where it is a contractor’s: the error is in that workflow', () => {
  const owning = { file: 'workflows/a.yaml', text: spec({ name: 'a' }) };
  // In b, bank-core is the auditor's cluster and b's own owner is elsewhere.
  const other = { file: 'workflows/b.yaml', text: spec({ name: 'b', ownerCluster: 'lab-us', partnerCluster: 'bank-core', repository: HTTPS, partner: SSH }) };
  const found = errors([owning, other]);
  assert.is(found.length, 1, found.join('\n'));
  assert.ok(
    found[0]!.startsWith(
      'error[ssh-server-repository]: workflows/b.yaml:14:84: spec.actors.auditor.cluster.repository: cluster "bank-core" runs the bundle server of workflow "a"',
    ),
    found[0],
  );
});

test('the clone’s ssh origin, taken by the owner’s cluster for want of a repository: an error at spec, where spec.repository goes', () => {
  const text = spec();
  assert.equal(errors([{ file: 'workflows/audit.yaml', text }], SSH), [
    `error[ssh-server-repository]: workflows/audit.yaml:6:3: spec.repository: cluster "bank-core" runs the bundle server of workflow "audit" (the owner's cluster), and its repository, ${SSH} (the clone's origin remote, which it takes since no spec gives it a repository), is not https: the server fetches over https only and would refuse this configuration at start, so no sidecar would get a bundle and no agent would become Ready (set spec.repository (or spec.actors.bank.cluster.repository) to the https:// URL of the repository, e.g. ${HTTPS}; ${TOKEN})`,
  ]);
  assert.equal(errors([{ file: 'workflows/audit.yaml', text }], HTTPS), []);
  // The owner's cluster with an https repository of its own: the ssh origin serves the others.
  assert.equal(errors([{ file: 'workflows/audit.yaml', text: spec({ owner: HTTPS }) }], SSH), []);
});

test('the owner’s repository check refuses is one the bundle server refuses to start with, and the one it accepts starts', () => {
  for (const [repository, refused] of [
    [SSH, true],
    [HTTPS, false],
  ] as const) {
    const text = spec({ owner: repository });
    assert.is(checkInputs([{ file: 'workflows/audit.yaml', text }]).errors, refused ? 1 : 0, repository);
    // What the generator hands the server as CUSTODY_REPOSITORY, from the spec alone.
    const given = topology(loadOne(text).workflows).cluster('bank-core').settings.repository;
    assert.is(given, repository);
    const load = () =>
      loadConfig({ env: { CUSTODY_REPOSITORY: given }, cwd: tempDir('server-repository'), overrides: { signingKeys: [{ id: 'k', file: 'k.pem' }] } });
    if (refused) assert.throws(load, /is not an http\(s\) URL/);
    else assert.is(load().repository, HTTPS);
  }
});

test('check exits 1 and generate writes nothing in a clone whose ssh origin the owner’s cluster would take', async () => {
  const dir = tempDir('server-repository');
  cpSync(repoPath('keys'), path.join(dir, 'keys'), { recursive: true });
  mkdirSync(path.join(dir, 'workflows'));
  writeFileSync(path.join(dir, 'workflows', 'audit.yaml'), spec());
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'remote', 'add', 'origin', 'git@git.bank.example:platform/trees.git');
  for (const command of ['check', 'generate']) {
    const r = await custody([command], dir);
    assert.is(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      `custody ${command}: error[ssh-server-repository]: workflows/audit.yaml:6:3: spec.repository: cluster "bank-core" runs the bundle server`,
    );
  }
  assert.not.ok(existsSync(path.join(dir, 'generated')));
  // An https repository for the owner's cluster alone is enough: the contractor's keeps the ssh origin.
  writeFileSync(path.join(dir, 'workflows', 'audit.yaml'), spec({ owner: HTTPS }));
  const r = await custody(['generate'], dir);
  assert.is(r.code, 0, r.stderr);
});

test.run();
