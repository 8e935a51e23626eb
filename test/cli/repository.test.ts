/**
 * The repository the trees sync from, and the deployment warnings of check and generate: the spec's
 * repository, else the clone's https or ssh origin (never with credentials), else Custody's own
 * examples' repository with a warning; and a warning while the examples' signing key is active.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { treeRepositoryUrl } from '../../src/git/index.js';
import { custody } from '../helpers/cli.js';
import { git, tempDir } from '../helpers/fixture-repository.js';
import { repoPath } from '../helpers/paths.js';

const SPEC = `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata:
  name: bank-audit
spec:
  owner: bank
  actors:
    bank:
      cluster: { name: bank-core, trustDomain: mesh.bank.example }
      agents:
        ledger: { image: registry.bank.example/ledger:7.2.1 }
    auditor:
      cluster: { name: audit-eu, trustDomain: mesh.audit.example }
      agents:
        audit-review: { image: registry.audit.example/review:2.3.0 }
  flows:
    - { from: audit-review, to: ledger, methods: [GET], path: /api/evidence/* }
`;

/** A clone holding one workflow without a repository, and the examples' key. */
function clone(origin: string | undefined): string {
  const dir = tempDir('repository');
  cpSync(repoPath('keys'), path.join(dir, 'keys'), { recursive: true });
  mkdirSync(path.join(dir, 'workflows'));
  writeFileSync(path.join(dir, 'workflows', 'bank-audit.yaml'), SPEC);
  git(dir, 'init', '-q', '-b', 'main');
  if (origin) git(dir, 'remote', 'add', 'origin', origin);
  return dir;
}

const read = (dir: string, file: string) => readFileSync(path.join(dir, 'generated', file), 'utf8');

test('the origin URL as the trees name it: https and ssh only, never with credentials', () => {
  assert.is(treeRepositoryUrl('https://git.bank.example/platform/custody.git'), 'https://git.bank.example/platform/custody.git');
  assert.is(treeRepositoryUrl('ssh://git@git.bank.example:2222/platform/custody.git'), 'ssh://git@git.bank.example:2222/platform/custody.git');
  assert.is(treeRepositoryUrl('git@github.com:bank/custody.git'), 'ssh://git@github.com/bank/custody.git');
  // A local path or plain http is this machine's (a test fixture, a mirror): no cluster reaches it.
  assert.is(treeRepositoryUrl('/srv/git/custody.git'), undefined);
  assert.is(treeRepositoryUrl('file:///srv/git/custody.git'), undefined);
  assert.is(treeRepositoryUrl('http://127.0.0.1:8080/acme/custody.git'), undefined);
  for (const bad of ['https://bank:s3cret@git.bank.example/platform/custody.git', 'https://ghp_abcdef0123456789@github.com/bank/custody.git']) {
    try {
      treeRepositoryUrl(bad);
      assert.unreachable(bad);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'credentials-in-url');
      assert.not.match((err as Error).message, /s3cret|ghp_abcdef/);
    }
  }
});

test('an ssh origin with a password: the set-url suggestion drops the password and keeps the ssh user', () => {
  for (const [bad, clean] of [
    ['ssh://deploy:s3cret@git.bank.example:2222/platform/custody.git', 'ssh://deploy@git.bank.example:2222/platform/custody.git'],
    ['ssh://git:s3cret@github.com/bank/custody.git', 'ssh://git@github.com/bank/custody.git'],
  ] as const) {
    let refused: { code?: string; message: string; hint?: string } | undefined;
    try {
      treeRepositoryUrl(bad);
    } catch (err) {
      refused = err as typeof refused;
    }
    assert.is(refused?.code, 'credentials-in-url', bad);
    assert.is(refused!.hint, `remove them (git remote set-url origin ${clean}), or set spec.repository in the workflow`);
    assert.not.match(`${refused!.message} ${refused!.hint}`, 's3cret');
    // What it suggests is an origin the trees take as it is.
    assert.is(treeRepositoryUrl(clean), clean);
  }
});

test('without a repository in the spec, generate takes the https origin and does not warn', async () => {
  const dir = clone('https://git.bank.example/platform/custody.git');
  const r = await custody(['generate'], dir);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, 'default-repository');
  assert.match(read(dir, 'argocd/audit-eu/application-bank-audit.yaml'), '    repoURL: https://git.bank.example/platform/custody.git\n');
  assert.match(read(dir, 'flux/audit-eu/gitrepository.yaml'), '  url: https://git.bank.example/platform/custody.git\n');
  const server = read(dir, 'clusters/bank-core/custody-system/deployment.yaml');
  assert.match(server, '            - name: CUSTODY_REPOSITORY\n              value: https://git.bank.example/platform/custody.git\n');
  assert.match(read(dir, 'clusters/bank-core/custody-system/serviceentry-git.bank.example-443.yaml'), '    - git.bank.example\n');
  // The spec's own setting wins over the origin (ssh for the auditor's cluster; the owner's, where
  // the bundle server runs, needs https and gives its own).
  writeFileSync(
    path.join(dir, 'workflows', 'bank-audit.yaml'),
    SPEC.replace('  owner: bank\n', '  owner: bank\n  repository: "ssh://git@git.bank.example/platform/trees.git"\n').replace(
      'name: bank-core,',
      'name: bank-core, repository: "https://git.bank.example/platform/trees.git",',
    ),
  );
  const spec = await custody(['generate'], dir);
  assert.is(spec.code, 0, spec.stderr);
  assert.match(read(dir, 'flux/audit-eu/gitrepository.yaml'), '  url: ssh://git@git.bank.example/platform/trees.git\n');
  assert.match(read(dir, 'flux/bank-core/gitrepository.yaml'), '  url: https://git.bank.example/platform/trees.git\n');
});

test('with no origin that counts, check and generate keep the default and say where it is used and what to do', async () => {
  // No remote at all (check), and a plain http one (generate): machine-local, so it does not count.
  for (const [origin, command] of [
    [undefined, 'check'],
    ['http://127.0.0.1:9/acme/custody.git', 'generate'],
  ] as const) {
    const dir = clone(origin);
    {
      const r = await custody([command], dir);
      assert.is(r.code, 0, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => l.includes('warning[default-repository]'));
      assert.equal(lines, [
        `custody ${command}: warning[default-repository]: workflows/bank-audit.yaml:6:3: spec.repository: clusters "audit-eu", "bank-core" would sync from https://github.com/custody-dev/custody.git, Custody's own examples, not your repository: it is the Argo CD repoURL and the Flux GitRepository of their trees, and in the owner's cluster the repository the bundle server reads (CUSTODY_REPOSITORY) and its egress to github.com (set spec.repository to the https:// or ssh:// URL of the repository holding this workflow (or run generate in a clone whose origin remote is that URL), then generate again)`,
      ]);
    }
    if (command === 'generate') assert.match(read(dir, 'flux/bank-core/gitrepository.yaml'), '  url: https://github.com/custody-dev/custody.git\n');
  }
});

test('an origin with credentials is refused: nothing written, the token printed nowhere', async () => {
  const dir = clone('https://bank:tok_0123456789@git.bank.example/platform/custody.git');
  const r = await custody(['generate'], dir);
  assert.is(r.code, 2);
  assert.match(r.stderr, 'custody generate: error[credentials-in-url]: the origin remote (https://git.bank.example/platform/custody.git) carries credentials');
  assert.not.match(r.stdout + r.stderr, 'tok_0123456789');
  assert.throws(() => read(dir, 'flux/bank-core/gitrepository.yaml'));
});

test('a spec repository with credentials is refused by check and generate: nothing written, the token printed nowhere', async () => {
  const dir = clone('https://git.bank.example/platform/custody.git');
  writeFileSync(
    path.join(dir, 'workflows', 'bank-audit.yaml'),
    SPEC.replace('  owner: bank\n', '  owner: bank\n  repository: "https://ci-bot:tok_0123456789@git.bank.example/platform/custody.git"\n'),
  );
  for (const command of ['check', 'generate']) {
    const r = await custody([command], dir);
    assert.is(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      `custody ${command}: error[credentials-in-url]: workflows/bank-audit.yaml:7:15: spec.repository: the URL https://git.bank.example/platform/custody.git carries credentials (removed here)`,
    );
    assert.not.match(r.stdout + r.stderr, 'tok_0123456789');
  }
  assert.throws(() => read(dir, 'flux/bank-core/gitrepository.yaml'));
});

test('a repository no URL parser reads is refused by check and generate at its field, not met by generate as a crash', async () => {
  const dir = clone('https://git.bank.example/platform/custody.git');
  for (const url of [
    'https://git.bank.example:notaport/platform/custody.git',
    'https://[::1/platform/custody.git',
    'ssh://git@git.bank.example:99999/custody.git',
  ]) {
    writeFileSync(path.join(dir, 'workflows', 'bank-audit.yaml'), SPEC.replace('  owner: bank\n', `  owner: bank\n  repository: "${url}"\n`));
    for (const command of ['check', 'generate']) {
      const r = await custody([command], dir);
      assert.is(r.code, 1, r.stderr);
      assert.match(r.stderr, `custody ${command}: error[invalid-value]: workflows/bank-audit.yaml:7:15: spec.repository: "${url}" is not a valid URL: `);
      assert.not.match(r.stderr, 'unexpected');
    }
  }
  assert.throws(() => read(dir, 'flux/bank-core/gitrepository.yaml'));
});

test('check and generate warn while the active signing key is the examples’ key, and not once it is replaced', async () => {
  const dir = clone('https://git.bank.example/platform/custody.git');
  const r = await custody(['check'], dir);
  assert.match(
    r.stderr,
    'custody check: warning[example-signing-key]: keys/custody-example.pem:1:1: the active signing key "custody-example" is the examples\' key, whose private half was discarded: no bundle server can sign with it, so every sidecar would refuse its bundle and no agent would become Ready (make your own: custody keygen --id <your-key-id> (the public key goes to keys/, the private key stays outside Git for the bundle server\'s Secret), delete keys/custody-example.pem, then generate again; see keys/README.md)\n',
  );
  const keygen = await custody(['keygen', '--id', 'bank-2026', '--private', path.join(tempDir('key'), 'bank-2026.key.pem')], dir);
  assert.is(keygen.code, 0, keygen.stderr);
  writeFileSync(path.join(dir, 'keys', 'active'), 'bank-2026\n');
  const after = await custody(['generate'], dir);
  assert.is(after.code, 0, after.stderr);
  assert.not.match(after.stderr, 'example-signing-key');
});

test.run();
